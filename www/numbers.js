// The "Numbers" table: every learner's loss and, for the transformer (trained and untrained),
// its alignment with the reference GD, straight from the latest snapshot.

import { DASH, fixed, fmt, fmtLoss, int, isNum, pct } from "./format.js";
import { COLORS } from "./charts.js";

function cell(tag, text, cls) {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

/** The table's rows: [name, colour, loss, preds diff, model cos, model diff, testid]. */
function rows(snap) {
  const r = snap.refs || {};
  const latest = snap.latest || {};
  const u = snap.untrained || {};
  const K = r.gd_steps;
  const align = (row) => [fmt(row.preds_diff, 3), fixed(row.model_cos, 4), fmt(row.model_diff, 3)];
  const none = [DASH, DASH, DASH];
  return [
    [`transformer, trained (step ${int(snap.step)})`, COLORS.model, latest.loss, ...align(latest), "row-trained"],
    ["transformer, untrained (initial weights)", COLORS.model, u.loss, ...align(u), "row-untrained"],
    [`1-step GD (η* = ${fmt(r.eta_star_1)})`, COLORS.gd1, r.gd1_loss, ...none, "row-gd1"],
    [`${isNum(K) ? K : "K"}-step GD (η = ${fmt(r.gd_eta)}) — reference`, COLORS.gdK, r.gd_loss, ...none, "row-gd"],
    [`GD++ (η = ${fmt(r.gdpp_eta)}, γ = ${fmt(r.gdpp_gamma)})`, COLORS.gdpp, r.gdpp_loss, ...none, "row-gdpp"],
    ["OLS (least squares)", COLORS.ols, r.ols_loss, ...none, "row-ols"],
    [`ridge (λ = σ² = ${fmt(r.ridge_lambda)})`, COLORS.ridge, r.ridge_loss, ...none, "row-ridge"],
    ["zero predictor (ŷ = 0)", COLORS.zero, r.zero_loss, ...none, "row-zero"],
  ];
}

/** Shows `snap` in the table body `tbody`: rows are built once, then only changed texts move. */
export function updateNumbers(tbody, snap) {
  if (!snap) return;
  const gd = snap.refs ? snap.refs.gd_loss : null;
  const table = rows(snap);
  if (tbody.rows.length !== table.length) {
    tbody.replaceChildren(
      ...table.map(([, color, , , , , id]) => {
        const tr = document.createElement("tr");
        tr.setAttribute("data-testid", id);
        const th = cell("th", "");
        th.scope = "row";
        const dot = cell("span", "", "swatch dot");
        dot.style.background = color;
        th.append(dot, cell("span", ""));
        tr.append(th, ...Array.from({ length: 5 }, () => cell("td", "")));
        return tr;
      }),
    );
  }
  table.forEach(([name, , loss, pd, cos, md, id], r) => {
    const tr = tbody.rows[r];
    const texts = [name, fmtLoss(loss), id === "row-gd" ? DASH : pct(loss, gd), pd, cos, md];
    const targets = [tr.cells[0].lastChild, ...[...tr.cells].slice(1)];
    texts.forEach((t, k) => {
      if (targets[k].textContent !== t) targets[k].textContent = t;
    });
  });
}
