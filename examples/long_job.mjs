// A long job run from the shell, whose progress is durable: mirror files from
// a web server, checksum each, pack them with tar and write a manifest.
//   duroxide run examples/long_job.mjs --start Mirror --id mirror-1 \
//     --input '{"base": "https://example.com/data", "files": ["a.csv", "b.csv"], "out": "./mirror"}'
// Kill it (Ctrl-C, or kill -9) and run the same command again: files already
// downloaded are not fetched again; it carries on from the first unfinished step.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const activities = {
  /** Streams one file to disk (no whole-body buffering); stops if the job is cancelled. */
  Download: async (ctx, { base, file, out }) => {
    await mkdir(out, { recursive: true });
    const response = await fetch(`${base}/${file}`, { signal: ctx.signal });
    if (!response.ok) throw new Error(`GET ${base}/${file}: HTTP ${response.status}`);
    const path = join(out, basename(file));
    await pipeline(Readable.fromWeb(response.body), createWriteStream(path));
    return { file: basename(file), bytes: (await stat(path)).size };
  },

  Checksum: async (ctx, { out, file }) => {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(join(out, file))) hash.update(chunk);
    return hash.digest("hex");
  },

  Pack: async (ctx, { out, files }) => {
    const archive = "mirror.tar.gz";
    await promisify(execFile)("tar", ["czf", archive, ...files], { cwd: out, signal: ctx.signal });
    return { archive, bytes: (await stat(join(out, archive))).size };
  },

  WriteManifest: async (ctx, { out, manifest }) => {
    await writeFile(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    return "manifest.json";
  },
};

export const orchestrations = {
  Mirror: function* (ctx, { base, files, out }) {
    const entries = [];
    for (const [i, file] of files.entries()) {
      ctx.setCustomStatus(`downloading ${i + 1}/${files.length}: ${file}`);
      const { file: name, bytes } = yield ctx.scheduleActivityWithRetry("Download", { base, file, out }, {
        maxAttempts: 3,
        backoff: "exponential",
      });
      const sha256 = yield ctx.scheduleActivity("Checksum", { out, file: name });
      entries.push({ file: name, bytes, sha256 });
    }
    ctx.setCustomStatus("packing");
    const archive = yield ctx.scheduleActivity("Pack", { out, files: entries.map((e) => e.file) });
    const manifest = { base, files: entries, archive };
    yield ctx.scheduleActivity("WriteManifest", { out, manifest });
    ctx.setCustomStatus("done");
    return { files: entries.length, bytes: entries.reduce((n, e) => n + e.bytes, 0), archive: archive.archive };
  },
};
