// Measures the production JavaScript (gzip -9, as served compressed) and fails above the budget.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 80 * 1000;
const assets = join(import.meta.dirname, "..", "dist", "assets");

let files;
try {
  files = readdirSync(assets).filter((name) => name.endsWith(".js"));
} catch {
  console.error(`error: ${assets} does not exist; run \`npm run build\` first.`);
  process.exit(1);
}
if (files.length === 0) {
  console.error(`error: no .js files in ${assets}; run \`npm run build\` first.`);
  process.exit(1);
}

let rawTotal = 0;
let gzipTotal = 0;
for (const name of files) {
  const raw = readFileSync(join(assets, name));
  const gzipped = gzipSync(raw, { level: 9 }).length;
  rawTotal += raw.length;
  gzipTotal += gzipped;
  console.log(`${name}: ${(raw.length / 1000).toFixed(1)} kB raw, ${(gzipped / 1000).toFixed(1)} kB gzip`);
}
const verdict = gzipTotal <= BUDGET_BYTES ? "within" : "OVER";
console.log(
  `JavaScript total: ${(rawTotal / 1000).toFixed(1)} kB raw, ${(gzipTotal / 1000).toFixed(1)} kB gzip -9 ` +
    `(${verdict} the ${BUDGET_BYTES / 1000} kB budget)`,
);
if (gzipTotal > BUDGET_BYTES) {
  console.error("error: the JavaScript bundle is over budget; drop a dependency or split a lazy chunk.");
  process.exit(1);
}
