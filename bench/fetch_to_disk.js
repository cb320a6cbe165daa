// Streams one URL to a file and reports the rate; the same script runs under
// `duroxide run` and under Node 20 (bench.py, download table).
//   fetch_to_disk.js <url> <file>
const fs = require('fs');
const { Readable } = require('stream');
const { pipeline } = require('stream/promises');

(async () => {
  const [url, file] = process.argv.slice(2);
  const started = performance.now();
  const response = await fetch(url);
  await pipeline(Readable.fromWeb(response.body), fs.createWriteStream(file));
  const seconds = (performance.now() - started) / 1000;
  const bytes = fs.statSync(file).size;
  console.log(JSON.stringify({ bytes, seconds, mbPerSec: bytes / 1e6 / seconds }));
  process.exit(0);
})();
