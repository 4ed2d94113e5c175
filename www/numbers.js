// The "Numbers" table: every learner's loss and, for the transformer (trained and untrained),
// its alignment with the reference GD, straight from the latest snapshot. From two layers on each
// transformer cell gets a second line comparing it with GD++; with stretched inputs (κ > 1) and one
// layer the table adds one step of preconditioned GD, and the second line compares with that.
// Each pinned run gets a row below the transformer's, with its final numbers against its own GD.
// A number whose learner is still being computed reads "computing…" (pending.js).

import { DASH, fixed, fmt, fmtLoss, int, isNum, pct, stretched } from "./format.js";
import { COLORS } from "./charts.js";
import { colorOf } from "./pins.js";
import { el, setText } from "./dom.js";
import { unlessWaiting } from "./pending.js";

const COLUMNS = 5; // loss, vs GD, preds diff, model cos, model diff

/**
 * The table's rows: {id, name, color, cells: [[main, second line]; COLUMNS]}. The second line
 * (empty when unused) compares the transformer with GD++ (K ≥ 2) or preconditioned GD.
 */
function rows(snap, config, pins) {
  const r = snap.baselines || {};
  const latest = snap.latest || {};
  const u = snap.untrained || {};
  const K = r.gd_steps;
  const pgd = stretched(config) && isNum(r.pgd_loss);
  // The second line: against GD++ from two layers on (the learner such models are compared
  // with), else against preconditioned GD when the inputs are stretched.
  const gdpp = isNum(K) && K > 1;
  const [tag, otherLoss, otherOf, otherStage] = gdpp ? ["GD++", r.gdpp_loss, (row) => row.gdpp, "gdpp_steps"] : ["PGD", r.pgd_loss, (row) => row.pgd, "pgd"];
  // `text`, or "computing…" while `stages` are still to come.
  const wait = (stages, text) => unlessWaiting(snap, stages, text);
  const vsGd = (loss, stage) => wait(["gd", stage], pct(loss, r.gd_loss));
  const plain = (loss, stage, vs) => [[wait([stage], fmtLoss(loss)), ""], [vs, ""], [DASH, ""], [DASH, ""], [DASH, ""]];
  const model = (row, own) => {
    const p = otherOf(row) || {};
    const second = (text) => (gdpp || pgd ? `${tag} ${wait([otherStage, own], text)}` : "");
    return [
      [wait([own], fmtLoss(row.loss)), ""],
      [wait(["gd", own], pct(row.loss, r.gd_loss)), second(pct(row.loss, otherLoss))],
      [wait(["gd", own], fmt(row.preds_diff, 3)), second(fmt(p.preds_diff, 3))],
      [wait(["gd", own], fixed(row.model_cos, 4)), second(fixed(p.model_cos, 4))],
      [wait(["gd", own], fmt(row.model_diff, 3)), second(fmt(p.model_diff, 3))],
    ];
  };
  const blind = config && config.labels === "shuffled" ? ", label-blind" : "";
  // The trained row waits for the untrained model's evaluation only while it is that one (step 0).
  const list = [
    { id: "row-trained", name: `transformer, trained${blind} (step ${int(snap.step)})`, color: COLORS.model, cells: model(latest, latest.step === 0 ? "untrained" : "") },
    { id: "row-untrained", name: "transformer, untrained (initial weights)", color: COLORS.model, cells: model(u, "untrained") },
    ...(pins || []).map((p, i) => {
      const f = p.final;
      return {
        id: `row-pin-${i + 1}`,
        name: `pinned ${i + 1}: ${p.label}`,
        color: colorOf(i),
        cells: [[fmtLoss(f.loss), ""], [pct(f.loss, f.gd_loss), "its own GD"], [fmt(f.preds_diff, 3), ""], [fixed(f.model_cos, 4), ""], [fmt(f.model_diff, 3), ""]],
      };
    }),
    { id: "row-gd1", name: `1-step GD (η* = ${fmt(r.eta_star_1)})`, color: COLORS.gd1, cells: plain(r.gd1_loss, "gd1", vsGd(r.gd1_loss, "gd1")) },
  ];
  if (pgd) {
    list.push({ id: "row-pgd", name: `1-step preconditioned GD (PGD, η = ${fmt(r.pgd_eta)})`, color: COLORS.pgd, cells: plain(r.pgd_loss, "pgd", vsGd(r.pgd_loss, "pgd")) });
  }
  list.push(
    { id: "row-gd", name: `${isNum(K) ? K : "K"}-step GD (η = ${fmt(r.gd_eta)}) — reference`, color: COLORS.gdK, cells: plain(r.gd_loss, "gd", DASH) },
    { id: "row-gdpp", name: `GD++ (η = ${fmt(r.gdpp_eta)}, γ = ${fmt(r.gdpp_gamma)})`, color: COLORS.gdpp, cells: plain(r.gdpp_loss, "gdpp", vsGd(r.gdpp_loss, "gdpp")) },
    { id: "row-ols", name: "OLS (least squares)", color: COLORS.ols, cells: plain(r.ols_loss, "ols", vsGd(r.ols_loss, "ols")) },
    { id: "row-ridge", name: `ridge (λ = σ² = ${fmt(r.ridge_lambda)})`, color: COLORS.ridge, cells: plain(r.ridge_loss, "ols", vsGd(r.ridge_loss, "ols")) },
    { id: "row-zero", name: "zero predictor (ŷ = 0)", color: COLORS.zero, cells: plain(r.zero_loss, "", vsGd(r.zero_loss, "")) },
  );
  return list;
}

let shape = ""; // the row ids on show: rows are rebuilt only when they change

/** Shows `snap` in the table body `tbody`: rows are built once, then only changed texts move. */
export function updateNumbers(tbody, snap, config, pins) {
  if (!snap) return;
  const table = rows(snap, config, pins);
  const ids = table.map((row) => `${row.id} ${row.color}`).join(","); // a colour scheme switch rebuilds
  if (ids !== shape || tbody.rows.length !== table.length) {
    shape = ids;
    tbody.replaceChildren(
      ...table.map((row) => {
        const tr = document.createElement("tr");
        tr.setAttribute("data-testid", row.id);
        const th = el("th");
        th.scope = "row";
        const dot = el("span", { class: "swatch dot" });
        dot.style.background = row.color;
        th.append(dot, el("span"));
        const tds = Array.from({ length: COLUMNS }, () => {
          const td = el("td");
          td.append(el("span", { class: "main" }), el("span", { class: "second" }));
          return td;
        });
        tr.append(th, ...tds);
        return tr;
      }),
    );
  }
  table.forEach((row, r) => {
    const tr = tbody.rows[r];
    setText(tr.cells[0].lastChild, row.name);
    row.cells.forEach(([main, second], k) => {
      const td = tr.cells[k + 1];
      setText(td.firstChild, main);
      setText(td.lastChild, second);
    });
  });
}
