// node:fs and node:fs/promises over deno_fs: Node's shapes (callbacks,
// promises, *Sync), Buffers, Stats, and Node's errors (`code` ENOENT, EACCES,
// EEXIST ..., `syscall`, `path`).
import { core } from "ext:core/mod.js";
import * as deno from "ext:deno_fs/30_fs.js";
import { Buffer } from "ext:duroxide/node/buffer.js";
import { Readable, Writable } from "ext:duroxide/node/stream.js";
import { basename, dirname, resolve } from "ext:duroxide/node/path.js";
import { explainDenied } from "ext:duroxide/node/denied.js";
import { forbidAllInSteps } from "ext:duroxide/guard.js";

const DESCRIPTIONS = {
  ENOENT: [-2, "no such file or directory"],
  EACCES: [-13, "permission denied"],
  EEXIST: [-17, "file already exists"],
  EISDIR: [-21, "illegal operation on a directory"],
  ENOTDIR: [-20, "not a directory"],
  ENOTEMPTY: [-39, "directory not empty"],
  EPERM: [-1, "operation not permitted"],
  EBADF: [-9, "bad file descriptor"],
  ELOOP: [-40, "too many symbolic links encountered"],
  EXDEV: [-18, "cross-device link not permitted"],
  EINVAL: [-22, "invalid argument"],
  EMFILE: [-24, "too many open files"],
  ENOSPC: [-28, "no space left on device"],
  EBUSY: [-16, "resource busy or locked"],
};

/** deno io error class names, for errors that carry no `code`. */
const CODES_BY_NAME = {
  NotFound: "ENOENT", PermissionDenied: "EACCES", AlreadyExists: "EEXIST", IsADirectory: "EISDIR",
  NotADirectory: "ENOTDIR", FilesystemLoop: "ELOOP", Busy: "EBUSY",
};

function nodeError(err, syscall, path, dest) {
  if (err?.name === "NotCapable") return explainDenied(err);
  const code = err?.code ?? CODES_BY_NAME[err?.name];
  if (!code) return err;
  // Node opens a directory fine and fails at the read, naming no path.
  if (code === "EISDIR" && syscall === "open") return nodeError(err, "read");
  const [errno, description] = DESCRIPTIONS[code] ?? [undefined, String(err.message).replace(/ \(os error \d+\).*$/, "")];
  const where = path === undefined ? "" : ` '${path}'${dest === undefined ? "" : ` -> '${dest}'`}`;
  const error = new Error(`${code}: ${description}, ${syscall}${where}`);
  Object.assign(error, { errno, code, syscall });
  if (path !== undefined) error.path = String(path);
  if (dest !== undefined) error.dest = String(dest);
  return error;
}

function toPath(path, name = "path") {
  if (typeof path === "string") return path;
  if (path instanceof URL) return decodeURIComponent(path.pathname);
  if (path instanceof Uint8Array) return new TextDecoder().decode(path);
  const err = new TypeError(`The "${name}" argument must be of type string or an instance of Buffer or URL. Received ${path === null ? "null" : typeof path}`);
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

function encodingOf(options) {
  if (typeof options === "string") return options;
  return options?.encoding ?? null;
}

function toBytes(data, encoding) {
  if (typeof data === "string") return Buffer.from(data, encoding ?? "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const err = new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${typeof data}`);
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

function decoded(bytes, encoding) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding && encoding !== "buffer" ? buffer.toString(encoding) : buffer;
}

/** deno_fs's sync stat parser reads `Deno.build.os` from the global scope; lend it one for the call. */
function withDenoBuild(fn) {
  if (globalThis.Deno !== undefined) return fn();
  Object.defineProperty(globalThis, "Deno", { value: { build: core.build }, configurable: true });
  try {
    return fn();
  } finally {
    delete globalThis.Deno;
  }
}

export class Stats {
  constructor(info) {
    const ms = (d) => (d ? d.getTime() : 0);
    this.dev = info.dev ?? 0;
    this.ino = info.ino ?? 0;
    this.mode = info.mode ?? 0;
    this.nlink = info.nlink ?? 1;
    this.uid = info.uid ?? 0;
    this.gid = info.gid ?? 0;
    this.rdev = info.rdev ?? 0;
    this.size = info.size;
    this.blksize = info.blksize ?? 4096;
    this.blocks = info.blocks ?? 0;
    this.atimeMs = ms(info.atime);
    this.mtimeMs = ms(info.mtime);
    this.ctimeMs = ms(info.ctime ?? info.mtime);
    this.birthtimeMs = ms(info.birthtime);
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
    Object.defineProperty(this, "kind", {
      value: { file: info.isFile, dir: info.isDirectory, link: info.isSymlink, info },
    });
  }
  isFile() {
    return this.kind.file;
  }
  isDirectory() {
    return this.kind.dir;
  }
  isSymbolicLink() {
    return this.kind.link;
  }
  isFIFO() {
    return Boolean(this.kind.info.isFifo);
  }
  isSocket() {
    return Boolean(this.kind.info.isSocket);
  }
  isBlockDevice() {
    return Boolean(this.kind.info.isBlockDevice);
  }
  isCharacterDevice() {
    return Boolean(this.kind.info.isCharDevice);
  }
}

export class Dirent {
  constructor(entry, parentPath) {
    this.name = entry.name;
    this.parentPath = parentPath;
    this.path = parentPath;
    Object.defineProperty(this, "kind", { value: entry });
  }
  isFile() {
    return this.kind.isFile;
  }
  isDirectory() {
    return this.kind.isDirectory;
  }
  isSymbolicLink() {
    return this.kind.isSymlink;
  }
  isFIFO() {
    return false;
  }
  isSocket() {
    return false;
  }
  isBlockDevice() {
    return false;
  }
  isCharacterDevice() {
    return false;
  }
}

export const constants = {
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_TRUNC: 512, O_APPEND: 1024,
  S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFLNK: 40960,
};

/** Node's flag strings as deno open options. */
function openOptions(flags = "r", mode) {
  const table = {
    r: { read: true }, "r+": { read: true, write: true }, rs: { read: true }, "rs+": { read: true, write: true },
    w: { write: true, create: true, truncate: true }, wx: { write: true, createNew: true },
    "w+": { read: true, write: true, create: true, truncate: true }, "wx+": { read: true, write: true, createNew: true },
    a: { append: true, create: true }, ax: { append: true, createNew: true }, "a+": { read: true, append: true, create: true },
    "ax+": { read: true, append: true, createNew: true }, as: { append: true, create: true },
  };
  const options = table[flags];
  if (!options) {
    const err = new TypeError(`The value "${flags}" is invalid for option "flags"`);
    err.code = "ERR_INVALID_ARG_VALUE";
    throw err;
  }
  return mode === undefined ? { ...options } : { ...options, mode };
}

// -- the operations, once each: async (promise) and sync --

const ops = {
  async readFile(path, options) {
    const file = toPath(path);
    try {
      return decoded(await deno.readFile(file, { signal: options?.signal }), encodingOf(options));
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  readFileSync(path, options) {
    const file = toPath(path);
    try {
      return decoded(deno.readFileSync(file), encodingOf(options));
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  async writeFile(path, data, options) {
    const file = toPath(path);
    const flag = typeof options === "object" ? options?.flag : undefined;
    try {
      await deno.writeFile(file, toBytes(data, encodingOf(options)), writeOptions(flag, options));
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  writeFileSync(path, data, options) {
    const file = toPath(path);
    const flag = typeof options === "object" ? options?.flag : undefined;
    try {
      deno.writeFileSync(file, toBytes(data, encodingOf(options)), writeOptions(flag, options));
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  async appendFile(path, data, options) {
    const file = toPath(path);
    try {
      await deno.writeFile(file, toBytes(data, encodingOf(options)), { append: true, create: true });
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  appendFileSync(path, data, options) {
    const file = toPath(path);
    try {
      deno.writeFileSync(file, toBytes(data, encodingOf(options)), { append: true, create: true });
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  async mkdir(path, options) {
    const dir = toPath(path);
    const recursive = typeof options === "object" && Boolean(options?.recursive);
    const first = recursive ? firstMissing(dir) : undefined;
    try {
      await deno.mkdir(dir, { recursive, mode: typeof options === "number" ? options : options?.mode });
    } catch (e) {
      throw nodeError(e, "mkdir", dir);
    }
    return first;
  },
  mkdirSync(path, options) {
    const dir = toPath(path);
    const recursive = typeof options === "object" && Boolean(options?.recursive);
    const first = recursive ? firstMissing(dir) : undefined;
    try {
      deno.mkdirSync(dir, { recursive, mode: typeof options === "number" ? options : options?.mode });
    } catch (e) {
      throw nodeError(e, "mkdir", dir);
    }
    return first;
  },
  async readdir(path, options) {
    const dir = toPath(path);
    const entries = [];
    try {
      for await (const entry of deno.readDir(dir)) entries.push(entry);
    } catch (e) {
      throw nodeError(e, "scandir", dir);
    }
    return listing(entries, dir, options);
  },
  readdirSync(path, options) {
    const dir = toPath(path);
    try {
      return listing([...deno.readDirSync(dir)], dir, options);
    } catch (e) {
      throw nodeError(e, "scandir", dir);
    }
  },
  async stat(path, options) {
    const file = toPath(path);
    try {
      return new Stats(await deno.stat(file));
    } catch (e) {
      if (options?.throwIfNoEntry === false && e?.name === "NotFound") return undefined;
      throw nodeError(e, "stat", file);
    }
  },
  statSync(path, options) {
    const file = toPath(path);
    try {
      return new Stats(withDenoBuild(() => deno.statSync(file)));
    } catch (e) {
      if (options?.throwIfNoEntry === false && e?.name === "NotFound") return undefined;
      throw nodeError(e, "stat", file);
    }
  },
  async lstat(path, options) {
    const file = toPath(path);
    try {
      return new Stats(await deno.lstat(file));
    } catch (e) {
      if (options?.throwIfNoEntry === false && e?.name === "NotFound") return undefined;
      throw nodeError(e, "lstat", file);
    }
  },
  lstatSync(path, options) {
    const file = toPath(path);
    try {
      return new Stats(withDenoBuild(() => deno.lstatSync(file)));
    } catch (e) {
      if (options?.throwIfNoEntry === false && e?.name === "NotFound") return undefined;
      throw nodeError(e, "lstat", file);
    }
  },
  async rm(path, options = {}) {
    const target = toPath(path);
    try {
      await deno.remove(target, { recursive: Boolean(options.recursive) });
    } catch (e) {
      if (options.force && e?.name === "NotFound") return;
      throw nodeError(e, "rm", target);
    }
  },
  rmSync(path, options = {}) {
    const target = toPath(path);
    try {
      deno.removeSync(target, { recursive: Boolean(options.recursive) });
    } catch (e) {
      if (options.force && e?.name === "NotFound") return;
      throw nodeError(e, "rm", target);
    }
  },
  async rmdir(path, options = {}) {
    const dir = toPath(path);
    try {
      await deno.remove(dir, { recursive: Boolean(options.recursive) });
    } catch (e) {
      throw nodeError(e, "rmdir", dir);
    }
  },
  rmdirSync(path, options = {}) {
    const dir = toPath(path);
    try {
      deno.removeSync(dir, { recursive: Boolean(options.recursive) });
    } catch (e) {
      throw nodeError(e, "rmdir", dir);
    }
  },
  async unlink(path) {
    const file = toPath(path);
    try {
      await deno.remove(file);
    } catch (e) {
      throw nodeError(e, "unlink", file);
    }
  },
  unlinkSync(path) {
    const file = toPath(path);
    try {
      deno.removeSync(file);
    } catch (e) {
      throw nodeError(e, "unlink", file);
    }
  },
  async rename(from, to) {
    const [a, b] = [toPath(from, "oldPath"), toPath(to, "newPath")];
    try {
      await deno.rename(a, b);
    } catch (e) {
      throw nodeError(e, "rename", a, b);
    }
  },
  renameSync(from, to) {
    const [a, b] = [toPath(from, "oldPath"), toPath(to, "newPath")];
    try {
      deno.renameSync(a, b);
    } catch (e) {
      throw nodeError(e, "rename", a, b);
    }
  },
  async copyFile(from, to, mode = 0) {
    const [a, b] = [toPath(from, "src"), toPath(to, "dest")];
    if (mode & constants.COPYFILE_EXCL && await pathExists(b)) throw nodeError({ code: "EEXIST" }, "copyfile", a, b);
    try {
      await deno.copyFile(a, b);
    } catch (e) {
      throw nodeError(e, "copyfile", a, b);
    }
  },
  copyFileSync(from, to, mode = 0) {
    const [a, b] = [toPath(from, "src"), toPath(to, "dest")];
    if (mode & constants.COPYFILE_EXCL && existsSync(b)) throw nodeError({ code: "EEXIST" }, "copyfile", a, b);
    try {
      deno.copyFileSync(a, b);
    } catch (e) {
      throw nodeError(e, "copyfile", a, b);
    }
  },
  async mkdtemp(prefix) {
    const p = toPath(prefix, "prefix");
    try {
      return await deno.makeTempDir({ dir: dirname(p) === "." && !p.startsWith(".") ? undefined : dirname(p), prefix: basename(p) });
    } catch (e) {
      throw nodeError(e, "mkdtemp", `${p}XXXXXX`);
    }
  },
  mkdtempSync(prefix) {
    const p = toPath(prefix, "prefix");
    try {
      return deno.makeTempDirSync({ dir: dirname(p) === "." && !p.startsWith(".") ? undefined : dirname(p), prefix: basename(p) });
    } catch (e) {
      throw nodeError(e, "mkdtemp", `${p}XXXXXX`);
    }
  },
  async realpath(path) {
    const file = toPath(path);
    try {
      return await deno.realPath(file);
    } catch (e) {
      throw nodeError(e, "realpath", file);
    }
  },
  realpathSync(path) {
    const file = toPath(path);
    try {
      return deno.realPathSync(file);
    } catch (e) {
      throw nodeError(e, "realpath", file);
    }
  },
  async access(path, mode = constants.F_OK) {
    const file = toPath(path);
    let stats;
    try {
      stats = await deno.stat(file);
    } catch (e) {
      throw nodeError(e, "access", file);
    }
    checkAccess(stats, mode, file);
  },
  accessSync(path, mode = constants.F_OK) {
    const file = toPath(path);
    let stats;
    try {
      stats = withDenoBuild(() => deno.statSync(file));
    } catch (e) {
      throw nodeError(e, "access", file);
    }
    checkAccess(stats, mode, file);
  },
  async chmod(path, mode) {
    const file = toPath(path);
    try {
      await deno.chmod(file, typeof mode === "string" ? parseInt(mode, 8) : mode);
    } catch (e) {
      throw nodeError(e, "chmod", file);
    }
  },
  chmodSync(path, mode) {
    const file = toPath(path);
    try {
      deno.chmodSync(file, typeof mode === "string" ? parseInt(mode, 8) : mode);
    } catch (e) {
      throw nodeError(e, "chmod", file);
    }
  },
  async symlink(target, path) {
    const [a, b] = [toPath(target, "target"), toPath(path)];
    try {
      await deno.symlink(a, b);
    } catch (e) {
      throw nodeError(e, "symlink", a, b);
    }
  },
  symlinkSync(target, path) {
    const [a, b] = [toPath(target, "target"), toPath(path)];
    try {
      deno.symlinkSync(a, b);
    } catch (e) {
      throw nodeError(e, "symlink", a, b);
    }
  },
  async readlink(path) {
    const file = toPath(path);
    try {
      return await deno.readLink(file);
    } catch (e) {
      throw nodeError(e, "readlink", file);
    }
  },
  readlinkSync(path) {
    const file = toPath(path);
    try {
      return deno.readLinkSync(file);
    } catch (e) {
      throw nodeError(e, "readlink", file);
    }
  },
  async truncate(path, length = 0) {
    const file = toPath(path);
    try {
      await deno.truncate(file, length);
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  truncateSync(path, length = 0) {
    const file = toPath(path);
    try {
      deno.truncateSync(file, length);
    } catch (e) {
      throw nodeError(e, "open", file);
    }
  },
  async utimes(path, atime, mtime) {
    const file = toPath(path);
    try {
      await deno.utime(file, atime, mtime);
    } catch (e) {
      throw nodeError(e, "utime", file);
    }
  },
  utimesSync(path, atime, mtime) {
    const file = toPath(path);
    try {
      deno.utimeSync(file, atime, mtime);
    } catch (e) {
      throw nodeError(e, "utime", file);
    }
  },
};

function writeOptions(flag, options) {
  const mode = typeof options === "object" ? options?.mode : undefined;
  const o = openOptions(flag ?? "w", mode);
  return { append: Boolean(o.append), create: o.create !== false, createNew: Boolean(o.createNew), mode, signal: options?.signal };
}

function firstMissing(dir) {
  let current = resolve(dir);
  let first;
  while (!existsSync(current)) {
    first = current;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return first;
}

function listing(entries, dir, options) {
  if (typeof options === "object" && options?.withFileTypes) return entries.map((e) => new Dirent(e, dir));
  const encoding = encodingOf(options);
  return entries.map((e) => (encoding === "buffer" ? Buffer.from(e.name) : e.name));
}

function checkAccess(stats, mode, file) {
  if (mode === constants.F_OK) return;
  const bits = stats.mode ?? 0;
  const uid = globalThis.process.getuid?.() ?? -1;
  const shift = uid === 0 ? -1 : uid === stats.uid ? 6 : 0;
  if (shift < 0) {
    if ((mode & constants.X_OK) && !(bits & 0o111)) throw nodeError({ code: "EACCES" }, "access", file);
    return;
  }
  const allowed = (bits >> shift) & 7;
  if ((mode & allowed) !== mode) throw nodeError({ code: "EACCES" }, "access", file);
}

function existsSync(path) {
  try {
    withDenoBuild(() => deno.statSync(toPath(path)));
    return true;
  } catch {
    return false;
  }
}

async function pathExists(path) {
  try {
    await deno.stat(toPath(path));
    return true;
  } catch {
    return false;
  }
}

// -- file handles and descriptors --

/** fs.promises.open(...): a FileHandle over a deno FsFile. */
export class FileHandle {
  #file;
  #path;
  constructor(file, path) {
    this.#file = file;
    this.#path = path;
    this.fd = file[Symbol.for("Deno.internal.rid")] ?? -1;
  }
  async read(buffer = Buffer.alloc(16384), offset = 0, length = buffer.byteLength - offset, position = null) {
    if (position !== null && position !== undefined) await this.#file.seek(position, 0);
    const n = await this.#file.read(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
    return { bytesRead: n ?? 0, buffer };
  }
  async write(data, offsetOrPosition, lengthOrEncoding) {
    const bytes = typeof data === "string" ? Buffer.from(data, typeof lengthOrEncoding === "string" ? lengthOrEncoding : "utf8") : data;
    let written = 0;
    while (written < bytes.byteLength) written += await this.#file.write(bytes.subarray(written));
    return { bytesWritten: written, buffer: data };
  }
  async readFile(options) {
    const chunks = [];
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await this.#file.read(buffer);
      if (n === null) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return decoded(Buffer.concat(chunks), encodingOf(options));
  }
  async writeFile(data, options) {
    await this.write(toBytes(data, encodingOf(options)));
  }
  async appendFile(data, options) {
    await this.writeFile(data, options);
  }
  async stat() {
    return new Stats(await this.#file.stat());
  }
  async truncate(length = 0) {
    await this.#file.truncate(length);
  }
  async sync() {
    await this.#file.sync();
  }
  async close() {
    this.#file.close();
  }
  createReadStream(options) {
    return createReadStream(this.#path, options);
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}

async function openHandle(path, flags = "r", mode) {
  const file = toPath(path);
  try {
    return new FileHandle(await deno.open(file, openOptions(flags, mode)), file);
  } catch (e) {
    throw nodeError(e, "open", file);
  }
}

const descriptors = new Map();
let nextDescriptor = 100;

function descriptor(fd) {
  const entry = descriptors.get(fd);
  if (!entry) throw nodeError({ code: "EBADF" }, "fstat");
  return entry;
}

function openSync(path, flags = "r", mode) {
  const file = toPath(path);
  try {
    const fd = nextDescriptor++;
    descriptors.set(fd, { file: deno.openSync(file, openOptions(flags, mode)), path: file });
    return fd;
  } catch (e) {
    throw nodeError(e, "open", file);
  }
}

function closeSync(fd) {
  descriptor(fd).file.close();
  descriptors.delete(fd);
}

function readSync(fd, buffer, offset = 0, length = buffer.byteLength - offset, position = null) {
  if (typeof offset === "object" && offset !== null) ({ offset = 0, length = buffer.byteLength - offset, position = null } = offset);
  const { file } = descriptor(fd);
  if (position !== null && position !== undefined) file.seekSync(position, 0);
  return file.readSync(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length)) ?? 0;
}

function writeSync(fd, data, offsetOrPosition, lengthOrEncoding) {
  const { file } = descriptor(fd);
  let bytes = typeof data === "string" ? Buffer.from(data, typeof lengthOrEncoding === "string" ? lengthOrEncoding : "utf8") : data;
  if (typeof data !== "string" && typeof offsetOrPosition === "number") {
    bytes = bytes.subarray(offsetOrPosition, typeof lengthOrEncoding === "number" ? offsetOrPosition + lengthOrEncoding : undefined);
  }
  let written = 0;
  while (written < bytes.byteLength) written += file.writeSync(bytes.subarray(written));
  return written;
}

function fstatSync(fd) {
  return new Stats(withDenoBuild(() => descriptor(fd).file.statSync()));
}

function fsyncSync(fd) {
  descriptor(fd).file.syncSync();
}

// -- streams --

function createReadStream(path, options = {}) {
  if (typeof options === "string") options = { encoding: options };
  const file = toPath(path);
  const start = options.start ?? 0;
  const end = options.end ?? Infinity;
  let position = start;
  let handle = null;
  const stream = new Readable({
    highWaterMark: options.highWaterMark ?? 65536,
    encoding: options.encoding,
    async read(size) {
      try {
        if (!handle) {
          handle = await deno.open(file, { read: true });
          if (start > 0) await handle.seek(start, 0);
          stream.emit("open", -1);
          stream.emit("ready");
        }
        const wanted = Math.min(size, end - position + 1);
        if (wanted <= 0) {
          this.push(null);
          return;
        }
        const buffer = new Uint8Array(wanted);
        const n = await handle.read(buffer);
        if (n === null || n === 0) {
          this.push(null);
          return;
        }
        position += n;
        this.bytesRead = position - start;
        this.push(Buffer.from(buffer.buffer, 0, n));
      } catch (e) {
        this.destroy(nodeError(e, "open", file));
      }
    },
    destroy(err, callback) {
      try {
        handle?.close();
      } catch {
        // already closed
      }
      callback(err);
    },
  });
  stream.path = file;
  stream.bytesRead = 0;
  return stream;
}

function createWriteStream(path, options = {}) {
  if (typeof options === "string") options = { encoding: options };
  const file = toPath(path);
  let handle = null;
  const opening = deno.open(file, openOptions(options.flags ?? "w", options.mode)).then(
    (h) => {
      handle = h;
      stream.emit("open", -1);
      stream.emit("ready");
      return h;
    },
    (e) => {
      stream.destroy(nodeError(e, "open", file));
      return null;
    },
  );
  const stream = new Writable({
    highWaterMark: options.highWaterMark,
    async write(chunk, encoding, callback) {
      try {
        const h = handle ?? await opening;
        if (!h) return;
        let written = 0;
        while (written < chunk.byteLength) written += await h.write(chunk.subarray(written));
        stream.bytesWritten += written;
        callback();
      } catch (e) {
        callback(nodeError(e, "write", file));
      }
    },
    async final(callback) {
      await opening;
      callback();
    },
    destroy(err, callback) {
      opening.then((h) => {
        try {
          h?.close();
        } catch {
          // already closed
        }
        callback(err);
      });
    },
  });
  stream.path = file;
  stream.bytesWritten = 0;
  return stream;
}

// -- the three faces of each operation --

const SYNC_ONLY = new Set(Object.keys(ops).filter((n) => n.endsWith("Sync")));

function callbackVersion(name) {
  const run = ops[name];
  return function (...args) {
    const callback = args.pop();
    if (typeof callback !== "function") {
      const err = new TypeError(`The "cb" argument must be of type function. Received ${typeof callback}`);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    run(...args).then(
      (value) => callback(null, value),
      (err) => callback(err),
    );
  };
}

const callbacks = {};
const syncs = {};
const promiseOps = {};
for (const name of Object.keys(ops)) {
  if (SYNC_ONLY.has(name)) syncs[name] = ops[name];
  else {
    callbacks[name] = callbackVersion(name);
    promiseOps[name] = ops[name];
  }
}

export const promises = forbidAllInSteps("fs.promises", { ...promiseOps, open: openHandle });
promises.constants = constants;

function openCallback(path, flags, mode, callback) {
  if (typeof flags === "function") [callback, flags, mode] = [flags, "r", undefined];
  else if (typeof mode === "function") [callback, mode] = [mode, undefined];
  try {
    const fd = openSync(path, flags, mode);
    globalThis.queueMicrotask(() => callback(null, fd));
  } catch (e) {
    globalThis.queueMicrotask(() => callback(e));
  }
}

function closeCallback(fd, callback) {
  try {
    closeSync(fd);
    globalThis.queueMicrotask(() => callback?.(null));
  } catch (e) {
    globalThis.queueMicrotask(() => callback?.(e));
  }
}

function existsCallback(path, callback) {
  pathExists(path).then((found) => callback(found));
}

function unavailable(name) {
  return function () {
    throw new Error(`fs.${name} is not available in duroxide`);
  };
}

const fs = {
  ...forbidAllInSteps("fs", {
    ...callbacks,
    ...syncs,
    existsSync,
    exists: existsCallback,
    open: openCallback,
    close: closeCallback,
    openSync,
    closeSync,
    readSync,
    writeSync,
    fstatSync,
    fsyncSync,
    createReadStream,
    createWriteStream,
  }),
  promises,
  constants,
  Stats,
  Dirent,
  ...constants,
  watch: unavailable("watch"),
  watchFile: unavailable("watchFile"),
  unwatchFile: unavailable("unwatchFile"),
};

export default fs;
export const {
  readFile, readFileSync, writeFile, writeFileSync, appendFile, appendFileSync, mkdir, mkdirSync, readdir, readdirSync,
  stat, statSync, lstat, lstatSync, rm, rmSync, rmdir, rmdirSync, unlink, unlinkSync, rename, renameSync, copyFile,
  copyFileSync, mkdtemp, mkdtempSync, realpath, realpathSync, access, accessSync, chmod, chmodSync, symlink, symlinkSync,
  readlink, readlinkSync, truncate, truncateSync, utimes, utimesSync, exists, existsSync: existsSyncGuarded, open, close,
  openSync: openSyncGuarded, closeSync: closeSyncGuarded, readSync: readSyncGuarded, writeSync: writeSyncGuarded,
  fstatSync: fstatSyncGuarded, createReadStream: createReadStreamGuarded, createWriteStream: createWriteStreamGuarded,
  watch, watchFile, unwatchFile,
} = fs;
export {
  closeSyncGuarded as closeSync,
  createReadStreamGuarded as createReadStream,
  createWriteStreamGuarded as createWriteStream,
  existsSyncGuarded as existsSync,
  fstatSyncGuarded as fstatSync,
  openSyncGuarded as openSync,
  readSyncGuarded as readSync,
  writeSyncGuarded as writeSync,
};
