// Lighthouse on the lab page: layout stability (cumulative layout shift), accessibility, best
// practices and SEO, in Lighthouse's default mobile emulation and as a desktop. It serves www/
// with bench/serve.mjs and drives Debian's chromium (or $CHROMIUM) through chrome-launcher.
//
//   node bench/lighthouse.mjs [query ...]      e.g. node bench/lighthouse.mjs "" "view=loss"
//
// Prints one line per page and form factor, writes the numbers to bench/results/lighthouse.json
// and each full report to bench/results/lighthouse-<query>-<form factor>.json.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../e2e/chromium.mjs";
import { serve } from "./serve.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const queries = process.argv.slice(2).length ? process.argv.slice(2) : [""];
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];

const server = await serve();
const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM_PATH, chromeFlags: CHROMIUM_FLAGS });
const rows = [];
try {
  for (const query of queries) {
    for (const formFactor of ["mobile", "desktop"]) {
      const url = `${server.url}/${query ? `?${query}` : ""}`;
      const config = {
        extends: "lighthouse:default",
        settings:
          formFactor === "desktop"
            ? { formFactor, screenEmulation: { mobile: false, width: 1350, height: 940, deviceScaleFactor: 1, disabled: false }, throttlingMethod: "simulate" }
            : { formFactor },
      };
      const result = await lighthouse(url, { port: chrome.port, output: "json", logLevel: "error", onlyCategories: CATEGORIES }, config);
      const lhr = result.lhr;
      fs.mkdirSync(path.join(here, "results"), { recursive: true });
      const slug = (query || "default").replace(/[^a-z0-9]+/gi, "_");
      fs.writeFileSync(path.join(here, "results", `lighthouse-${slug}-${formFactor}.json`), JSON.stringify(lhr));
      const score = (c) => (lhr.categories[c] ? Math.round(lhr.categories[c].score * 100) : null);
      const cls = lhr.audits["cumulative-layout-shift"].numericValue;
      const failed = Object.values(lhr.audits)
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
        .map((a) => a.id);
      const row = {
        query,
        formFactor,
        cls: Number(cls.toFixed(3)),
        accessibility: score("accessibility"),
        bestPractices: score("best-practices"),
        seo: score("seo"),
        performance: score("performance"),
        failed,
      };
      rows.push(row);
      console.log(
        `${(query || "(default link)").padEnd(24)} ${formFactor.padEnd(8)} CLS ${row.cls.toFixed(3)}  accessibility ${row.accessibility}  best practices ${row.bestPractices}  SEO ${row.seo}  performance ${row.performance}${failed.length ? `  failed: ${failed.join(", ")}` : ""}`,
      );
    }
  }
} finally {
  await chrome.kill();
  server.close();
}
fs.writeFileSync(path.join(here, "results", "lighthouse.json"), `${JSON.stringify(rows, null, 2)}\n`);
