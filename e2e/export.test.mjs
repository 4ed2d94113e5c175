// Keeping what a run produced (issue 11): "Download run" gives the CLI's JSON report, which
// `icl-lab check` re-runs to identical numbers (finished and paused runs alike); the curves CSV
// equals `icl-lab run --csv`; a chart's PNG decodes, at twice the css size, with title, legend
// and link drawn in.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { ARTIFACTS, newPage, until, useBrowser } from "./helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "target", "release", "icl-lab");
const noCli = !fs.existsSync(cli) && "build the CLI first (cargo build --release)";

/** Clicks `testid` and resolves to the downloaded file's {name, bytes}. */
async function downloadOf(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.getByTestId(testid).click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(file) };
}

/** `icl-lab check` on `bytes` saved as `name` in e2e/artifacts/: {code, out}. */
function check(bytes, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  fs.writeFileSync(file, bytes);
  const r = spawnSync(cli, ["check", file], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Decodes an 8-bit RGB(A) PNG: {width, height, pixel(x, y) -> [r, g, b, a]}; throws if it is not one. */
function decodePng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  let at = 8;
  let ihdr = null;
  const idat = [];
  for (;;) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    assert.equal(zlib.crc32(buf.subarray(at + 4, at + 8 + len)), buf.readUInt32BE(at + 8 + len), `${type} CRC`);
    if (type === "IHDR") ihdr = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colour: data[9] };
    if (type === "IDAT") idat.push(data);
    at += 12 + len;
    if (type === "IEND") break;
  }
  assert.equal(ihdr.depth, 8);
  const bpp = { 2: 3, 6: 4 }[ihdr.colour];
  assert.ok(bpp, `colour type ${ihdr.colour}`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = ihdr.width * bpp;
  assert.equal(raw.length, ihdr.height * (stride + 1), "the pixel data fills the picture");
  const px = Buffer.alloc(ihdr.height * stride);
  for (let y = 0; y < ihdr.height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      px[y * stride + i] = (x + [0, a, b, (a + b) >> 1, pr][f]) & 255;
    }
  }
  return { width: ihdr.width, height: ihdr.height, pixel: (x, y) => [...px.subarray(y * stride + x * bpp, y * stride + x * bpp + bpp)] };
}

describe("export", () => {
  const env = useBrowser();

  test("Download run passes icl-lab check, finished or paused; the CSV equals the CLI's", { timeout: 240000, skip: noCli }, async () => {
    const page = await newPage(env.browser);
    const query = "d=5&n=8&steps=150&seed=7&eval_every=10";
    await page.goto(`${env.server.url}?${query}`);
    await until(page, () => window.__lab.status === "done", null, 90000);
    const run = await downloadOf(page, "download-run");
    assert.match(run.name, /^icl-lab-run-step150\.json$/);
    const report = JSON.parse(run.bytes.toString("utf8"));
    for (const key of ["config", "steps_done", "final_eval", "baselines", "weights", "ood", "layers", "curves", "params"]) assert.ok(key in report, key);
    assert.equal(report.steps_done, 150);
    const done = check(run.bytes, "page-run-done.json");
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /^identical: all \d+ values/);
    const csv = await downloadOf(page, "download-csv");
    const native = execFileSync(cli, ["run", ...query.split("&"), "--csv", "--quiet"], { encoding: "utf8" });
    assert.equal(csv.bytes.toString("utf8"), native);

    // A run paused part-way: the file holds the steps done so far, and check re-runs as many.
    await page.goto(`${env.server.url}?d=4&n=6&steps=4000&batch=256&eval_tasks=512&seed=2&layers=2`);
    await until(page, () => window.__lab.running && window.__lab.step > 40, null, 60000);
    await page.getByTestId("play").click();
    await until(page, () => window.__lab.status === "paused" && !window.__lab.running, null, 20000);
    const paused = await downloadOf(page, "download-run");
    const steps = JSON.parse(paused.bytes.toString("utf8")).steps_done;
    assert.ok(steps > 40 && steps < 4000, `${steps}`);
    assert.equal(steps, await page.evaluate(() => window.__lab.step));
    const again = check(paused.bytes, "page-run-paused.json");
    assert.equal(again.code, 0, again.out);
    // And a file that does not match its settings is refused with a sentence.
    const bad = JSON.parse(paused.bytes.toString("utf8"));
    bad.final_eval.loss *= 1.001;
    const refused = check(Buffer.from(JSON.stringify(bad)), "page-run-changed.json");
    assert.equal(refused.code, 1);
    assert.match(refused.out, /not identical: 1 of \d+ values .* final_eval\.loss is /s);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a chart's PNG decodes at twice its css size, with the title, legend and link drawn", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=200`);
    await until(page, () => window.__lab.status === "done", null, 90000);
    await until(page, () => window.__lab.settled(), null, 30000);
    for (const name of ["loss", "weights"]) {
      const { bytes, name: file } = await downloadOf(page, `png-${name}`);
      assert.equal(file, `icl-lab-${name}-step200.png`);
      const css = await page.evaluate((n) => {
        const c = document.querySelector(`[data-card="${n}"] canvas`);
        return { w: c.clientWidth, h: c.clientHeight };
      }, name);
      const png = decodePng(bytes);
      // The chart's css width plus 16 px on each side, at 2 pixels per css pixel (scale 2 on a
      // 1× screen); taller than the chart by at least the title and the footer.
      assert.equal(png.width, (css.w + 32) * 2, name);
      assert.ok(png.height >= (css.h + 22 + 14 + 32) * 2, `${name}: ${png.height} for a ${css.h} px chart`);
      assert.deepEqual(await page.evaluate(() => window.__lab.lastExport), { name, width: png.width, height: png.height, scale: 2 });
      // Something is drawn in each band: title (top), chart (middle), footer (bottom).
      const inked = (y0, y1) => {
        let n = 0;
        for (let y = y0; y < y1; y += 2) for (let x = 0; x < png.width; x += 2) if (png.pixel(x, y).slice(0, 3).some((v) => v < 200)) n++;
        return n;
      };
      assert.ok(inked(32, 64) > 50, `${name}: a title`);
      assert.ok(inked(Math.round(png.height * 0.3), Math.round(png.height * 0.6)) > 500, `${name}: a chart`);
      assert.ok(inked(png.height - 56, png.height - 30) > 50, `${name}: a footer`);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, `export-${name}.png`), bytes);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
