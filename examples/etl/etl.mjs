// ETL with an npm package: extract CSV exports from several URLs in parallel,
// transform them with papaparse (from node_modules: `npm install` first), and
// load one JSON summary per region plus a combined report.
//   cd examples/etl && npm install
//   duroxide run etl.mjs --start Etl --id etl-1 \
//     --input '{"sources": ["https://example.com/eu.csv", "https://example.com/us.csv"], "out": "./report"}'
import Papa from "papaparse";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";

export const activities = {
  Extract: async (ctx, url) => {
    const response = await fetch(url, { signal: ctx.signal });
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    return response.text();
  },

  Transform: async (ctx, { name, csv }) => {
    const { data, errors } = Papa.parse(csv.trim(), { header: true, dynamicTyping: true, skipEmptyLines: true });
    if (errors.length) throw new Error(`${name}: ${errors[0].message} (row ${errors[0].row})`);
    const byProduct = {};
    for (const row of data) byProduct[row.product] = (byProduct[row.product] ?? 0) + row.qty * row.price;
    return { name, rows: data.length, revenue: Object.values(byProduct).reduce((a, b) => a + b, 0), byProduct };
  },

  Load: async (ctx, { out, summaries }) => {
    await mkdir(out, { recursive: true });
    for (const s of summaries) await writeFile(join(out, `${s.name}.json`), JSON.stringify(s, null, 2) + "\n");
    const rows = summaries.map((s) => ({ region: s.name, rows: s.rows, revenue: s.revenue.toFixed(2) }));
    await writeFile(join(out, "report.csv"), Papa.unparse(rows) + "\n");
    return summaries.length + 1;
  },
};

export const orchestrations = {
  Etl: function* (ctx, { sources, out }) {
    const extracted = yield ctx.all(sources.map((url) => ctx.scheduleActivity("Extract", url)));
    const failed = extracted.findIndex((r) => "err" in r);
    if (failed !== -1) throw new Error(`extract ${sources[failed]}: ${extracted[failed].err}`);
    const transformed = yield ctx.all(extracted.map((r, i) =>
      ctx.scheduleActivity("Transform", { name: basename(sources[i], ".csv"), csv: r.ok })));
    const summaries = transformed.map((r) => r.ok);
    const files = yield ctx.scheduleActivity("Load", { out, summaries });
    return { regions: summaries.length, revenue: summaries.reduce((n, s) => n + s.revenue, 0), files };
  },
};
