// A lecturer's walk through the page (issue 14): the loss chart's message on top and off-scale
// baselines named, not drawn; a changed η marked on the alignment curves and "custom settings"
// in the menu; the Experiment menu browsed with arrow keys without starting runs; a preset that
// scrolls to its chart; the progress sentences true at depth 2 and on a stalled seed; keyboard
// and phone layout; pinned runs; presenter mode at 1280 × 720 (screenshots in e2e/artifacts/).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPage, screenshot, until, useBrowser } from "./helpers.mjs";

const describeChart = (page, id) => page.evaluate((i) => window.__lab.describe(i), id);
const settled = (page) => until(page, () => window.__lab.settled(), null, 30000);

/** Every sentence of the page that says the loss is within some per cent of a learner's. */
const withinClaims = (page) => page.evaluate(() => document.body.innerText.match(/[^.]*within\s*[\d.]+\s*%[^.]*/g) || []);

/**
 * The headline's "now X % below GD’s" against the numbers it is about: true to the rounding.
 */
async function headlineIsTrue(page) {
  const { text, loss, gd } = await page.evaluate(() => ({ text: document.getElementById("headline").innerText, loss: window.__lab.snapshot.latest.loss, gd: window.__lab.snapshot.baselines.gd_loss }));
  const m = text.match(/now ([\d.]+) % (below|above) GD’s/);
  if (!m) return { text, ok: true };
  const said = Number(m[1]) * (m[2] === "below" ? -1 : 1);
  const real = (loss / gd - 1) * 100;
  return { text, ok: Math.abs(said - real) <= 0.6, said, real };
}

describe("lecturer: charts", () => {
  const env = useBrowser();

  test("the loss chart draws the evaluation curve on top of the faded batch curve and the baselines", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=200`);
    await until(page, () => window.__lab.step >= 50, null, 60000);
    await settled(page);
    const { series } = await describeChart(page, "plot-loss");
    assert.match(series[0].label, /training batch/);
    assert.equal(series.at(-1).label, "transformer, evaluation tasks");
    assert.ok(series.findIndex((s) => /1-step GD/.test(s.label)) < series.length - 1);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("noise preset: OLS is named off the scale and does not stretch the axis (screenshot)", { timeout: 240000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?noise=0.5`);
    await until(page, () => window.__lab.step >= 1500, null, 200000);
    await settled(page);
    const r = await page.evaluate(() => window.__lab.snapshot.baselines);
    assert.ok(r.ols_loss > 3 * r.zero_loss, `OLS ${r.ols_loss} is far above the zero predictor ${r.zero_loss}`);
    const { series, ranges } = await describeChart(page, "plot-loss");
    const ols = series.find((s) => s.label.startsWith("OLS"));
    assert.ok(ols.offScale);
    assert.match(ols.label, /^OLS [\d.,]+ \(off the scale, not drawn\)$/);
    const [lo, hi] = ranges[0];
    assert.ok(hi < r.ols_loss / 10, `the axis ends at ${hi}, well below OLS ${r.ols_loss}`);
    assert.ok(lo < r.ridge_loss && r.gd1_loss < hi, "ridge and GD are on the scale");
    // Ridge and one GD step: a visible gap (more than 5 % of the axis's log height).
    const frac = Math.log(r.gd1_loss / r.ridge_loss) / Math.log(hi / lo);
    assert.ok(frac > 0.05, `the ridge-GD gap spans ${frac} of the axis`);
    const legend = await page.getByTestId("chart-loss").locator(".legend").innerText();
    assert.match(legend, /OLS [\d.,]+ \(off the scale, not drawn\)/);
    assert.match(legend, /ridge \(λ = σ² = 0\.25\)/);
    const text = await page.evaluate(() => document.body.innerText);
    assert.ok(!/NaN/.test(text), "no NaN on the page");
    await page.getByTestId("chart-loss").scrollIntoViewIfNeeded();
    await screenshot(page, "noise-preset.png");
    await page.getByTestId("chart-loss").screenshot({ path: "e2e/artifacts/noise-loss-chart.png" });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("lecturer: GD's η, the menu and the presets", () => {
  const env = useBrowser();

  test("changing GD's η marks the stale alignment points and the menu says custom settings", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(env.server.url);
    // Past the step where it reaches GD's loss (≈ 480): its predictions are then near GD's at η*
    // and far from GD's at η = 3, so the two preds diffs below are far apart (at step 150 the
    // model is far from both, and they differed by less than 0.01 on a busy machine).
    await until(page, () => window.__lab.step >= 600, null, 60000);
    assert.equal(await page.getByTestId("preset").inputValue(), "fig2");
    await page.getByTestId("play").click();
    await until(page, () => window.__lab.status === "paused");
    const etaStar = await page.evaluate(() => window.__lab.snapshot.baselines.gd_eta_star);
    await page.getByTestId("auto-gd_eta").uncheck();
    await page.getByTestId("value-gd_eta").fill("3");
    await page.getByTestId("value-gd_eta").press("Enter");
    await until(page, () => window.__lab.snapshot.baselines.gd_eta === 3, null, 30000);
    await settled(page);
    assert.equal(await page.getByTestId("preset").inputValue(), "");
    assert.match(await page.getByTestId("preset").locator("option:checked").innerText(), /custom settings/);
    assert.match(await page.locator("#preset-title").innerText(), /Your own settings/);
    const note = await page.getByTestId("align-eta-note").innerText();
    assert.match(note, /changed to 3 after step [\d,]+: the faded points up to there were measured against η = [\d.]+/);
    assert.ok(note.includes(`η = ${Number(etaStar.toPrecision(3))}`), `${note} names η* ${etaStar}`);
    const align = await describeChart(page, "plot-align");
    assert.equal(align.markers.length, 1);
    assert.match(align.markers[0], /^η changed to 3 here; earlier points are against η = [\d.]+$/);
    assert.ok(align.series.some((s) => s.faded && /preds diff/.test(s.label)));
    // The preds diff in the table is against η = 3 now; the faded curve's last point is not.
    const [tablePd, curvePd] = await page.evaluate(() => [window.__lab.snapshot.latest.preds_diff, window.__lab.history.evals.preds_diff.at(-1)]);
    assert.ok(Math.abs(tablePd - curvePd) > 0.01, `${tablePd} vs ${curvePd}`);
    // Training on: new points are against η = 3 and drawn in full.
    const paused = await page.evaluate(() => window.__lab.step);
    await page.getByTestId("play").click();
    await until(page, (from) => window.__lab.step >= from + 250, paused, 60000);
    assert.equal(await page.getByTestId("preset").inputValue(), "");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("arrow keys on the Experiment menu start no run; Enter starts the one chosen", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=100000`);
    await until(page, () => window.__lab.ready && window.__lab.step > 5, null, 60000);
    const starts = await page.evaluate(() => window.__lab.starts);
    await page.getByTestId("preset").focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.waitForTimeout(1000);
    const chosen = await page.getByTestId("preset").inputValue();
    assert.ok(chosen, "the arrow keys moved the choice");
    assert.equal(await page.evaluate(() => window.__lab.starts), starts, "no run started while browsing");
    assert.equal(await page.evaluate(() => window.__lab.query), "d=5&n=8&steps=100000");
    await page.keyboard.press("Enter");
    await until(page, (s) => window.__lab.starts === s + 1, starts, 10000);
    const want = await page.evaluate((n) => window.__lab.presetQuery(n), chosen);
    await until(page, (q) => window.__lab.ready && window.__lab.query === q, want, 60000);
    // A pointer choice (selectOption) commits at once.
    await page.getByTestId("preset").selectOption("gdpp");
    await until(page, () => window.__lab.ready && window.__lab.query === "layers=2&lr=0.002", null, 60000);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a preset scrolls to the chart to watch, marks it and says what to look for", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(env.server.url);
    await until(page, () => window.__lab.ready, null, 60000);
    await page.getByTestId("preset").selectOption("ood");
    await until(page, () => window.__lab.ready && window.__lab.query === "alpha=2", null, 60000);
    const card = page.getByTestId("chart-ood");
    await until(page, () => document.querySelector("[data-testid=chart-ood]").classList.contains("watched"));
    assert.match(await card.getByTestId("look").innerText(), /α = 2/);
    await page.waitForTimeout(800); // smooth scroll
    const box = await card.boundingBox();
    assert.ok(box.y >= 0 && box.y < 800, `the card is in view (top ${box.y})`);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-testid")), "chart-ood");
    // A story link: the focus moves with the scroll, to the card the preset points at.
    await page.locator("button[data-preset=noise]").click();
    await until(page, () => window.__lab.ready && window.__lab.query === "noise=0.5", null, 60000);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-testid")), "chart-loss");
    assert.equal(await page.locator(".watched").count(), 1);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("lecturer: progress sentences", () => {
  const env = useBrowser();

  test("two layers: no sentence says 'within 1 %' while the model is more than 1 % below GD, also after η = 3", { timeout: 300000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?layers=2`);
    await until(page, () => window.__lab.snapshot && window.__lab.snapshot.latest.loss < 0.98 * window.__lab.snapshot.baselines.gd_loss && window.__lab.step >= 800, null, 240000);
    await page.getByTestId("play").click();
    await until(page, () => window.__lab.status === "paused");
    await settled(page);
    assert.deepEqual(await withinClaims(page), []);
    let h = await headlineIsTrue(page);
    assert.ok(h.ok, JSON.stringify(h));
    await page.getByTestId("auto-gd_eta").uncheck();
    await page.getByTestId("value-gd_eta").fill("3");
    await page.getByTestId("value-gd_eta").press("Enter");
    await until(page, () => window.__lab.snapshot.baselines.gd_eta === 3, null, 30000);
    await settled(page);
    assert.deepEqual(await withinClaims(page), []);
    h = await headlineIsTrue(page);
    assert.ok(h.ok, JSON.stringify(h));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("layers=2, seed=11: a run that stays on a plateau far above GD is not reported as a success", { timeout: 300000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?layers=2&seed=11&steps=2000`);
    await until(page, () => window.__lab.status === "done", null, 280000);
    await settled(page);
    const { verdict, loss, gd } = await page.evaluate(() => ({ verdict: window.__lab.snapshot.progress.verdict, loss: window.__lab.snapshot.latest.loss, gd: window.__lab.snapshot.baselines.gd_loss }));
    assert.ok(loss > gd * 1.5, `the run ends far above GD (${loss} vs ${gd})`);
    assert.notEqual(verdict, "reached");
    const detail = await page.getByTestId("status-detail").innerText();
    assert.doesNotMatch(detail, /reached/);
    assert.match(detail, /plateau|short of|more steps/);
    assert.match(detail, /Try|try|more steps/);
    const headline = await page.getByTestId("headline").innerText();
    assert.doesNotMatch(headline, /reached GD/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("lecturer: keyboard and phone", () => {
  const env = useBrowser();

  test("skip links, one tab stop per slider setting, definitions beside the alignment chart", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=300`);
    await until(page, () => window.__lab.ready, null, 60000);
    await until(page, () => document.querySelectorAll("#controls .control").length >= 15, null, 10000);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-testid")), "skip-charts");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "charts");
    // Every slider is out of the tab order; its number box is the one stop.
    const stops = await page.evaluate(() =>
      [...document.querySelectorAll("#controls .control")].map((c) => [c.dataset.key, [...c.querySelectorAll("input, select, button")].filter((e) => e.tabIndex >= 0 && !e.disabled).length]),
    );
    for (const [key, n] of stops) assert.ok(n <= 2, `${key}: ${n} tab stops`);
    assert.ok(stops.filter(([, n]) => n === 1).length >= 12, JSON.stringify(stops));
    assert.equal(await page.evaluate(() => [...document.querySelectorAll("input[type=range]")].filter((e) => e.tabIndex >= 0).length), 0);
    const defs = await page.getByTestId("align-definitions").textContent();
    for (const w of ["model cos", "preds diff", "model diff"]) assert.ok(defs.includes(w), w);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("phone: settings are a closed drawer, the run bar stays, the table scrolls with a cue and a fixed first column", { timeout: 90000 }, async () => {
    const page = await newPage(env.browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${env.server.url}?d=5&n=8&steps=300`);
    // Once every baseline is there: until then the texts above the charts grow as they arrive.
    await until(page, () => window.__lab.ready && window.__lab.snapshot && !window.__lab.snapshot.pending, null, 60000);
    await settled(page);
    assert.equal(await page.evaluate(() => document.getElementById("settings").open), false);
    const before = (await page.getByTestId("chart-loss").boundingBox()).y;
    await page.locator("#settings > summary").click();
    await page.waitForTimeout(300);
    const after = (await page.getByTestId("chart-loss").boundingBox()).y;
    assert.ok(Math.abs(after - before) < 60, `opening the settings moved the charts by ${after - before} px`);
    await page.locator("#settings > summary").click();
    await page.evaluate(() => window.scrollTo(0, 2500));
    await page.waitForTimeout(200);
    const bar = await page.getByTestId("runbar").boundingBox();
    assert.ok(Math.abs(bar.y) < 2, `the run bar sticks to the top (y = ${bar.y})`);
    assert.ok(await page.getByTestId("scroll-cue").isVisible());
    const wrap = page.getByTestId("table-wrap");
    await wrap.scrollIntoViewIfNeeded();
    const first = page.locator("[data-testid=row-trained] th");
    const x0 = (await first.boundingBox()).x;
    const scrolled = await wrap.evaluate((w) => {
      w.scrollLeft = 300;
      return w.scrollLeft;
    });
    assert.ok(scrolled > 0, "the table scrolls sideways");
    const x1 = (await first.boundingBox()).x;
    assert.ok(Math.abs(x1 - x0) < 2, `the learner column stays (${x0} → ${x1})`);
    await screenshot(page, "phone-table.png");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("lecturer: pinned runs and presenter mode", () => {
  const env = useBrowser();

  test("two pinned runs stay on the loss and alignment charts, survive a reload, and can be removed (screenshot)", { timeout: 180000 }, async () => {
    const page = await newPage(env.browser);
    await page.goto(`${env.server.url}?d=5&n=8&steps=400&lr=0.003`);
    await until(page, () => window.__lab.status === "done", null, 90000);
    await page.getByTestId("pin").click();
    await page.goto(`${env.server.url}?d=5&n=8&steps=400&lr=0.003&attn=softmax&heads=2`);
    await until(page, () => window.__lab.status === "done", null, 90000);
    await page.getByTestId("pin").click();
    await page.goto(`${env.server.url}?d=5&n=8&steps=400&lr=0.003&layers=2`);
    await until(page, () => window.__lab.step >= 200, null, 90000);
    await settled(page);
    assert.equal(await page.evaluate(() => window.__lab.pins.length), 2);
    const loss = await describeChart(page, "plot-loss");
    assert.equal(loss.series.filter((s) => /^pinned \d/.test(s.label)).length, 2);
    assert.equal(loss.series.at(-1).label, "transformer, evaluation tasks");
    const align = await describeChart(page, "plot-align");
    assert.equal(align.series.filter((s) => /^pinned \d/.test(s.label)).length, 4);
    const list = await page.getByTestId("pins").innerText();
    assert.match(list, /pinned 1:[\s\S]*step 400: loss [\d.]+ \([+−][\d.]+% vs its GD/);
    assert.match(list, /pinned 2: [^\n]*attn = softmax/);
    assert.equal(await page.getByTestId("pin-2").locator("a").getAttribute("href"), await page.evaluate(() => `?${window.__lab.pins[1].query}`));
    await until(page, () => window.__lab.status === "done", null, 90000);
    await settled(page);
    await page.getByTestId("chart-loss").scrollIntoViewIfNeeded();
    await screenshot(page, "pinned-comparison.png");
    await page.reload();
    await until(page, () => window.__lab.ready && window.__lab.pins && window.__lab.pins.length === 2, null, 60000);
    await page.getByTestId("unpin-1").click();
    assert.equal(await page.evaluate(() => window.__lab.pins.length), 1);
    assert.match(await page.getByTestId("pins").innerText(), /attn = softmax/);
    // A hostile store is ignored, never a broken page (opened from a link without pins, which
    // would otherwise train its pinned runs again).
    await page.evaluate(() => localStorage.setItem("icl-lab-pins", '[{"label":"<img src=x onerror=alert(1)>","query":"x","curves":{"step":"oops"}}, 5, null]'));
    await page.goto(`${env.server.url}?d=5&n=8&steps=400&lr=0.003&layers=2`);
    await until(page, () => window.__lab.ready && Array.isArray(window.__lab.pins), null, 60000);
    assert.equal(await page.evaluate(() => window.__lab.pins.length), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("presenter mode at 1280 × 720: three charts in view, settings a strip, in the link; a bad value is a notice (screenshot)", { timeout: 120000 }, async () => {
    const page = await newPage(env.browser, { viewport: { width: 1280, height: 720 } });
    await page.goto(`${env.server.url}?present=true&steps=1500`);
    await until(page, () => window.__lab.ready && document.body.classList.contains("present"), null, 60000);
    assert.match(await page.evaluate(() => location.search), /present=true/);
    assert.equal(await page.evaluate(() => document.getElementById("settings").open), false);
    await until(page, () => window.__lab.step >= 1000, null, 90000);
    await settled(page);
    const chartsInView = async () => {
      for (const id of ["chart-loss", "chart-align", "chart-weights"]) {
        const box = await page.getByTestId(id).locator("canvas").first().boundingBox();
        assert.ok(box.y >= 0 && box.y + box.height <= 720, `${id} canvas in view: ${JSON.stringify(box)}`);
      }
    };
    await chartsInView();
    const font = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById("headline")).fontSize));
    assert.ok(font >= 18, `headline type ${font}px`);
    assert.ok(!/NaN/.test(await page.evaluate(() => document.body.innerText)));
    await screenshot(page, "presenter-1280x720.png");
    // A pinned comparison (this run pinned, the label-blind control training): the pin takes one
    // line and the status two at most, so the three charts stay in view.
    await page.getByTestId("pin").click();
    await page.goto(`${env.server.url}?present=true&steps=1500&labels=shuffled`);
    await until(page, () => window.__lab.ready && window.__lab.step >= 600, null, 90000);
    await settled(page);
    assert.match(await page.getByTestId("status-detail").innerText(), /zero predictor/);
    await chartsInView();
    await screenshot(page, "presenter-pinned-1280x720.png");
    // Off again with the button: out of the link.
    await page.getByTestId("present").click();
    assert.doesNotMatch(await page.evaluate(() => location.search), /present/);
    await page.goto(`${env.server.url}?present=maybe`);
    const notice = page.getByTestId("notice");
    await notice.waitFor({ state: "visible", timeout: 60000 });
    assert.match(await notice.innerText(), /present must be true or false/);
    assert.equal(await page.evaluate(() => document.body.classList.contains("present")), false);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
