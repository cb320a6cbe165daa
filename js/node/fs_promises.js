// node:fs/promises.
import { promises } from "ext:duroxide/node/fs.js";

export default promises;
export const {
  readFile, writeFile, appendFile, mkdir, readdir, stat, lstat, rm, rmdir, unlink, rename, copyFile, mkdtemp, realpath,
  access, chmod, symlink, readlink, truncate, utimes, open, constants,
} = promises;
