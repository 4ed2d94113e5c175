// "One prompt, up close": one evaluation task (or a prompt the learner edited) answered by the
// frozen transformer, the untrained one and every baseline learner. The answers come from a
// second, small engine handle on the main thread (the wasm `PromptView`: a frozen copy of the
// run that the worker sends with its snapshots), so a drag is answered in the same frame even
// while the worker trains; evaluation tasks come from the worker's `Lab`. Every number is the
// engine's; this module wires the card (promptplot.js draws, promptmath.js words it).

import { PromptView } from "./pkg/icl_lab.js";
import { el, setText } from "./dom.js";
import { drawSoon, yieldToBrowser } from "./frames.js";
import { localEngine } from "./local.js";
import { fmt, int, isNum } from "./format.js";
import { COMPUTING } from "./pending.js";
import { addExample, copyPrompt, LEARNER_COLORS, learnersShown, promptSentences, removeExample, roundPrompt } from "./promptmath.js";
import { createPromptPlot, pointName } from "./promptplot.js";

const LINK_MS = 300; // the address bar follows an edit once it settles
const ANNOUNCE_MS = 450; // screen readers hear a moved point once the keys settle
const MAX_EXAMPLES = (n) => Math.max(2 * n, 100); // prompt::max_examples

/**
 * The card in `host`. deps = {evalPrompt(i) → Promise<{index, count, examples, query, target,
 * w}>, writeLink(code|null) (the address bar: the edited prompt's code, or null),
 * error(message), dragEnd()}. Returns {newRun(run), setModel(frozen, step, training), setTraining(bool),
 * code (the edited prompt's URL code, or null), state (for tests)}.
 */
export function createPromptCard(host, deps) {
  // ---- DOM ----------------------------------------------------------------------------------
  const title = el("h2", { id: "prompt-title" }, "One prompt, up close");
  const intro = el("p", { class: "prompt-intro" }, "Every chart below averages over thousands of tasks. Here is one: its examples, its query, and what each learner answers. Drag a point and every answer is recomputed by the frozen model.");
  const where = el("span", { class: "prompt-where", "data-testid": "prompt-where" }, "—");
  const btn = (text, testid, label) => {
    const b = el("button", { type: "button", class: "small", "data-testid": testid }, text);
    if (label) b.setAttribute("aria-label", label);
    return b;
  };
  const prev = btn("← Previous", "prompt-prev", "Previous evaluation task");
  const next = btn("Next →", "prompt-next", "Next evaluation task");
  const random = btn("Random task", "prompt-random");
  const back = btn("Back to the task", "prompt-back");
  const add = btn("Add example", "prompt-add");
  back.hidden = true;
  const nav = el("div", { class: "prompt-nav" });
  nav.append(prev, next, random, back, add, where);
  const help = el("p", { class: "prompt-help" });
  const plotHost = el("div", { class: "prompt-plot-host" });
  const table = el("table", { class: "prompt-table", "data-testid": "prompt-answers" });
  const thead = el("thead");
  const headRow = el("tr");
  thead.append(headRow);
  const tbody = el("tbody");
  table.append(thead, tbody);
  const sentences = el("div", { class: "prompt-sentences", "data-testid": "prompt-sentences" });
  const live = el("p", { class: "sr-only", "aria-live": "polite", "data-testid": "prompt-live" });
  const side = el("div", { class: "prompt-side" });
  side.append(el("div", { class: "table-wrap" }, undefined), sentences);
  side.firstChild.append(table);
  const body = el("div", { class: "prompt-body" });
  body.append(plotHost, side);
  host.append(title, intro, nav, help, body, live);

  // ---- state --------------------------------------------------------------------------------
  const s = {
    view: null, // PromptView
    run: null, // {config, query}
    prompt: null, // {examples, query}
    task: null, // the evaluation task shown or edited: {index, count, target, w, examples, query}
    edited: false,
    ans: null,
    without: null, // the answer without the selected example
    selected: null, // {kind, index}
    step: 0,
    training: false,
    seq: 0, // the latest evaluation-task request
    runs: 0, // runs begun (newRun): a later one makes an earlier one's setting up stale
    pending: null, // weights that arrived before the engine was loaded
  };
  const plot = createPromptPlot(plotHost, {
    edit: (p, info) => edit(p, info),
    select: (t, how) => select(t, how),
    add: (row) => edit(addExample(s.prompt, row, maxExamples()), { done: true, added: true }),
    remove: (i) => removeAt(i),
    announce: (text) => announce(text),
    dragEnd: () => deps.dragEnd(),
  });
  // Redraw when the width changes (the plot sets its own height from the width: reacting to
  // height changes would loop).
  let shownWidth = 0;
  new ResizeObserver((entries) => {
    const w = Math.round(entries[0].contentRect.width);
    if (w === shownWidth) return;
    shownWidth = w;
    drawSoon(plot, () => plot.resize());
  }).observe(plotHost);

  const modelOwner = {}; // a new model's answers in the frame queue (setModel)

  const maxExamples = () => (s.run ? MAX_EXAMPLES(s.run.config.n) : 100);

  // ---- answers ------------------------------------------------------------------------------
  function ask(prompt, withTarget) {
    const req = { examples: prompt.examples, query: prompt.query };
    if (withTarget && s.task && isNum(s.task.target)) req.target = s.task.target;
    const box = plot.xBox;
    if (box && s.run.config.d === 1) req.range = box;
    return JSON.parse(s.view.answer(JSON.stringify(req)));
  }

  let asked = 0; // answers computed so far: a later computation makes an earlier one stale

  /** Every answer for the prompt on show: {ans, without, seq}, or null (an error, reported). */
  function answers() {
    if (!s.view || !s.prompt) return null;
    try {
      const ans = ask(s.prompt, !s.edited);
      const sel = s.selected;
      const without = sel && sel.kind === "example" && s.prompt.examples.length > 1 && sel.index < s.prompt.examples.length ? ask(removeExample(s.prompt, sel.index), false) : null;
      return { ans, without, seq: ++asked };
    } catch (err) {
      deps.error(err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  function show({ ans, without }) {
    s.ans = ans;
    s.without = without;
    render();
  }

  /** Recomputes every answer for the prompt on show and redraws (synchronously: a drag). */
  function recompute() {
    const a = answers();
    if (a) show(a);
  }

  const answersOwner = {}; // answers computed, waiting for a frame (recomputeSoon)
  const firstOwner = {}; // the card's first picture, waiting for a frame
  let pictured = false; // the plot has drawn a picture

  /**
   * Recomputes every answer now and draws them in a coming frame (frames.js), unless newer
   * answers came first. A new task or model: with the CPU slowed 4×, answering and drawing
   * took 50–73 ms in one task; answering takes 10–30 ms of it. `state.ans` changes with the
   * table and the sentences. The card's first picture is drawn in a turn of its own, before
   * them: with the CPU slowed 4×, its drawing code, run for the first time, took 20–48 ms, and
   * the first answers' whole turn 45–97 ms (the later pictures take 4–14 ms).
   */
  function recomputeSoon() {
    const a = answers();
    if (!a) return;
    if (!pictured) drawSoon(firstOwner, () => a.seq === asked && picture(a.ans));
    drawSoon(answersOwner, () => a.seq === asked && show(a));
  }

  /** Draws the plot for answers `ans` to the prompt on show; returns the learners it shows. */
  function picture(ans) {
    const { prompt, run } = s;
    const shown = learnersShown(ans, run.config);
    const truthLabel = s.edited ? "true line of the original task" : "true line";
    plot.set({
      d: run.config.d,
      prompt,
      ans,
      shown,
      w: s.task && s.task.w ? s.task.w : null,
      truthLabel: run.config.d === 1 ? truthLabel : s.edited ? "true W of the original task" : "true W",
      target: s.edited ? null : ans.target,
      selected: s.selected,
      maxExamples: maxExamples(),
      xRange: run.config.x_range * Math.sqrt(run.config.aniso),
    });
    pictured = true;
    return shown;
  }

  function render() {
    if (!s.ans) return;
    const shown = picture(s.ans);
    renderTable(shown);
    renderText();
  }

  let tableKey = "";
  let rows = new Map();
  function renderTable(shown) {
    const { ans } = s;
    const d = s.run.config.d;
    const key = shown.map((l) => l.key + l.label).join("|") + `|${d === 1}|${isNum(ans.target) && !s.edited}`;
    if (key !== tableKey) {
      tableKey = key;
      headRow.replaceChildren(el("th", { scope: "col" }, "learner"), el("th", { scope: "col", title: "each learner's answer ŷ to the query" }, "ŷ at x_q"), el("th", { scope: "col", title: d === 1 ? "the implied weight ∂ŷ/∂x_q: the slope of the learner's line" : "the length of the implied weight vector ∂ŷ/∂x_q" }, d === 1 ? "slope" : "|∂ŷ/∂x_q|"));
      rows = new Map();
      const list = [];
      if (isNum(ans.target) && !s.edited) list.push({ key: "target", label: "true answer", color: LEARNER_COLORS.truth, dash: [7, 5] });
      list.push(...shown);
      tbody.replaceChildren(
        ...list.map((l) => {
          const tr = el("tr", { "data-testid": `answer-${l.key}` });
          const th = el("th", { scope: "row" });
          const sw = el("span", { class: "swatch" });
          sw.style.borderTopColor = l.color;
          sw.style.borderTopWidth = l.key === "transformer" ? "3px" : "2px";
          sw.style.borderTopStyle = l.dash && l.dash.length ? (l.dash[0] <= 2 ? "dotted" : "dashed") : "solid";
          th.append(sw, el("span", {}, l.label));
          const a = el("td", { "data-testid": `answer-${l.key}-y` });
          const w = el("td");
          tr.append(th, a, w);
          rows.set(l.key, { a, w });
          return tr;
        }),
      );
    }
    for (const [k, r] of rows) {
      if (k === "target") {
        setText(r.a, fmt(ans.target, 3));
        setText(r.w, d === 1 && s.task && s.task.w ? fmt(s.task.w[0], 3) : "");
        continue;
      }
      const w = ans.implied_weights[k] || [];
      // A learner whose step size is still being computed (null in the answer) says so.
      const waiting = k === "gd" || k === "gd_same_step" ? !isNum(ans.gd_eta) : k === "gdpp" && !isNum(ans.gdpp_eta);
      setText(r.a, waiting ? COMPUTING : fmt(ans.predictions[k], 3));
      setText(r.w, waiting ? "" : d === 1 ? fmt(w[0], 3) : fmt(Math.hypot(...w), 3));
    }
  }

  function renderText() {
    const { ans, prompt, run } = s;
    const d = run.config.d;
    const where1 = s.edited
      ? `edited prompt: ${prompt.examples.length} example${prompt.examples.length === 1 ? "" : "s"}${s.task && !s.task.shared ? ` (from evaluation task ${int(s.task.index + 1)})` : " (from the link)"}`
      : `evaluation task ${int(s.task.index + 1)} of ${int(s.task.count)} · ${prompt.examples.length} examples`;
    setText(where, where1);
    back.hidden = !s.edited || !s.task || Boolean(s.task.shared);
    add.disabled = prompt.examples.length >= maxExamples();
    const how =
      d === 1
        ? "Drag an example or the query (◆); click empty space to add an example; double-click an example, or focus it and press Delete, to remove it. Tab moves between points, arrow keys move the focused one (Shift: larger steps)."
        : d === 2
          ? "Drag a dot to move its x; the mouse wheel over a dot, or + and − on a focused dot, change its label y. Click empty space to add an example (label 0). Tab moves between points, arrow keys move the focused one; Delete or a double-click removes an example."
          : "Drag a bar to change an example's label y (or focus it with Tab and use the up and down arrows); Delete removes the focused example; “Add example” copies the selected one.";
    setText(help, how);
    const inf = s.without && s.selected ? { index: s.selected.index, without: s.without } : null;
    const list = promptSentences(ans, prompt, { step: int(s.step), training: s.training, edited: s.edited, influence: inf, noise: run.config.noise > 0 });
    const have = [...sentences.children];
    if (have.length !== list.length || have.some((p, i) => p.getAttribute("data-id") !== list[i].id)) {
      sentences.replaceChildren(...list.map((x) => el("p", { "data-id": x.id, "data-testid": `prompt-sentence-${x.id}` })));
    }
    list.forEach((x, i) => setText(sentences.children[i], x.text));
  }

  // ---- editing ------------------------------------------------------------------------------
  let linkTimer = 0;
  let announceTimer = 0;

  function edit(p, info) {
    // An edited prompt holds only what its link can hold: every number to 4 decimals.
    s.prompt = roundPrompt(p);
    if (!s.edited) s.edited = true;
    recompute();
    if (info.done) {
      clearTimeout(linkTimer);
      linkTimer = setTimeout(() => deps.writeLink(codeNow()), LINK_MS);
      const t = info.target;
      clearTimeout(announceTimer);
      announceTimer = setTimeout(() => announce(summary(t, info)), info.keyboard ? ANNOUNCE_MS : 0);
    }
  }

  function summary(t, info) {
    const p = s.ans ? s.ans.predictions : null;
    const answers = p ? ` Transformer ${fmt(p.transformer, 3)}, GD ${fmt(p.gd, 3)}, OLS ${fmt(p.ols, 3)}.` : "";
    if (info && info.added) return `Example ${s.prompt.examples.length} added.${answers}`;
    if (!t) return answers.trim();
    const d = s.run.config.d;
    if (t.kind === "query") return `The query moved to ${s.prompt.query.slice(0, Math.min(d, 2)).map((v) => fmt(v, 3)).join(", ")}.${answers}`;
    const e = s.prompt.examples[t.index];
    if (!e) return answers.trim();
    return `Example ${t.index + 1}: ${d <= 2 ? `x = ${e.slice(0, d).map((v) => fmt(v, 3)).join(", ")}, ` : ""}y = ${fmt(e[d], 3)}.${answers}`;
  }

  function announce(text) {
    live.textContent = text;
  }

  function select(t, how) {
    const same = s.selected && t && s.selected.kind === t.kind && s.selected.index === t.index;
    s.selected = t;
    if (!same) recompute();
    if (how === "pointer" && t) plot.focusPoint(t);
  }

  function removeAt(i) {
    if (s.prompt.examples.length <= 1) {
      announce("A prompt needs at least one example.");
      return;
    }
    const p = removeExample(s.prompt, i);
    const n = p.examples.length;
    s.selected = n ? { kind: "example", index: Math.min(i, n - 1) } : null;
    edit(p, { done: true });
    announce(`Example ${i + 1} removed; ${n} left.${s.ans ? ` Transformer ${fmt(s.ans.predictions.transformer, 3)}, GD ${fmt(s.ans.predictions.gd, 3)}.` : ""}`);
    if (s.selected) plot.focusPoint(s.selected);
  }

  function codeNow() {
    if (!s.edited || !s.view || !s.prompt) return null;
    try {
      return s.view.code(JSON.stringify(copyPrompt(s.prompt)));
    } catch (err) {
      deps.error(err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  // ---- evaluation tasks ---------------------------------------------------------------------
  async function showTask(index) {
    const seq = ++s.seq;
    const task = await deps.evalPrompt(index);
    if (seq !== s.seq || !task) return;
    s.task = task;
    s.prompt = copyPrompt(task);
    s.edited = false;
    s.selected = null;
    clearTimeout(linkTimer);
    deps.writeLink(null);
    plot.resetBox();
    recomputeSoon();
  }

  const count = () => (s.task ? s.task.count : 1);
  const index = () => (s.task ? s.task.index : 0);
  prev.addEventListener("click", () => showTask((index() - 1 + count()) % count()));
  next.addEventListener("click", () => showTask((index() + 1) % count()));
  random.addEventListener("click", () => showTask(Math.floor(Math.random() * count())));
  back.addEventListener("click", () => showTask(index()));
  add.addEventListener("click", () => {
    const d = s.run.config.d;
    const ex = s.prompt.examples;
    const from = s.selected && s.selected.kind === "example" && ex[s.selected.index] ? ex[s.selected.index] : ex[ex.length - 1];
    // d = 1, 2: a new point halfway between the query and the origin's side, label 0 (drag it);
    // d > 2: a copy of the selected example (change its label y).
    const row = d > 2 ? from.slice() : d === 1 ? [s.prompt.query[0] / 2, 0] : [s.prompt.query[0] / 2, s.prompt.query[1] / 2, 0];
    s.selected = { kind: "example", index: ex.length };
    edit(addExample(s.prompt, row, maxExamples()), { done: true, added: true });
    plot.focusPoint(s.selected);
  });

  // ---- the run ------------------------------------------------------------------------------
  return {
    /** Draws the card again (the colour scheme changed). */
    redraw() {
      if (s.ans) render();
    },
    /**
     * A new run: run = {config, query, untrained (Float32Array), learners (JSON text), code
     * (the link's validated prompt code, or null)}.
     */
    async newRun(run) {
      const mine = ++s.runs;
      if (s.view) s.view.free();
      s.view = null;
      s.pending = null;
      s.step = 0;
      await localEngine();
      // The frozen model is built in a task of its own, not in the one that handles the run's
      // start (with the CPU slowed 4×, that task took 40–74 ms with it, 31–43 ms without).
      await yieldToBrowser();
      if (mine !== s.runs) return; // a newer run began meanwhile
      s.view = new PromptView(run.query, run.untrained, run.learners);
      if (s.pending) {
        // The run's first weights arrived while the engine was loading.
        s.view.set_model(s.pending.frozen.params, s.pending.frozen.learners);
        s.view.set_untrained(s.pending.frozen.untrained);
        s.step = s.pending.step;
        s.pending = null;
      }
      s.run = { config: run.config, query: run.query };
      s.ans = null;
      s.without = null;
      s.selected = null;
      plot.resetBox();
      if (run.code) {
        try {
          const p = JSON.parse(s.view.from_code(run.code));
          s.task = null;
          s.prompt = copyPrompt(p);
          s.edited = true;
          // A shared prompt: its last example is the one the text talks about.
          s.selected = { kind: "example", index: s.prompt.examples.length - 1 };
          recompute();
          // The task list is still there, for "Next" and "Random".
          const seq = ++s.seq;
          const t = await deps.evalPrompt(0);
          // "Next" shows task 1; the shared prompt has no task, no true W and no true answer.
          if (seq === s.seq && t) s.task = { ...t, w: null, target: null, index: t.count - 1, shared: true };
          render();
          return;
        } catch (err) {
          deps.error(err instanceof Error ? err.message : String(err));
        }
      }
      await showTask(0);
    },
    /**
     * The trained parameters now: frozen = {params (Float32Array), untrained (Float32Array),
     * learners (JSON text)}.
     */
    setModel(frozen, step, training) {
      s.training = training;
      if (!s.view) {
        s.pending = { frozen, step };
        return;
      }
      try {
        s.view.set_model(frozen.params, frozen.learners);
        // (A start from the construction arrives after the run began: the untrained model too.)
        s.view.set_untrained(frozen.untrained);
      } catch (err) {
        deps.error(err instanceof Error ? err.message : String(err));
        return;
      }
      s.step = step;
      s.training = training;
      // In the page's frame queue (frames.js): a model that arrives with a progress message is
      // answered in one frame and drawn in the next, and of several in one frame only the last.
      drawSoon(modelOwner, () => {
        if (!plot.dragging) recomputeSoon();
      });
    },
    setTraining(training) {
      if (s.training === training) return;
      s.training = training;
      if (s.ans) renderText();
    },
    /** True while a point is being dragged (the page holds back its other charts meanwhile). */
    get dragging() {
      return plot.dragging;
    },
    /** The edited prompt's URL code (null: an evaluation task is on show). */
    get code() {
      return codeNow();
    },
    /** For tests and the bench: the prompt, the answer, the drag latencies (ms). */
    get state() {
      return { prompt: s.prompt, ans: s.ans, edited: s.edited, task: s.task && { index: s.task.index, count: s.task.count }, selected: s.selected, step: s.step, latency: plot.latency, work: plot.work };
    },
  };
}
