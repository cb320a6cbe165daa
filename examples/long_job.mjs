// A long job run from the shell; its progress is durable:
//   duroxide run examples/long_job.mjs --start Backup --input '{"chunks": 5}' --id backup-1
// Stop it (Ctrl-C, or kill it) and run the same command again: it resumes after
// the last finished chunk instead of starting over.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const activities = {
  CopyChunk: async (ctx, { chunk, of }) => {
    await sleep(200); // stands in for real work
    return { chunk, bytes: 1024 * (chunk + 1) };
  },
};

export const orchestrations = {
  Backup: function* (ctx, { chunks }) {
    let bytes = 0;
    for (let chunk = 0; chunk < chunks; chunk++) {
      ctx.setCustomStatus(`chunk ${chunk + 1}/${chunks}`);
      const copied = yield ctx.scheduleActivity('CopyChunk', { chunk, of: chunks });
      bytes += copied.bytes;
    }
    return { chunks, bytes };
  },
};
