// Keeping what a run produced: a chart card as a PNG (HiDPI, with its title, its legend and the
// run's link in a small footer, so a slide or a handout can be traced back to the run), and
// files handed over by the engine (the report JSON, the curves CSV) as downloads. The charts are
// drawn afresh by their own panels (canvas.js); nothing is computed here.

import { FAMILY, panelOf } from "./canvas.js";

const PAD = 16; // css px round the picture
/** Backing pixels per css pixel of an exported PNG: at least 2, more on a denser screen. */
export const exportScale = () => Math.max(2, Math.ceil(window.devicePixelRatio || 1));

/** Saves `blob` as a file called `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The legend of a plot (its <ul class="legend">) as items {label, color, width, dashed, dot}. */
function legendItems(ul) {
  if (!ul) return [];
  return [...ul.querySelectorAll("li")].map((li) => {
    const sw = li.querySelector(".swatch");
    const st = sw ? sw.style : {};
    const dot = Boolean(sw && sw.classList.contains("dot"));
    return {
      label: li.textContent,
      color: dot ? st.background || st.backgroundColor : st.borderTopColor,
      width: parseFloat(st.borderTopWidth) || 2,
      dashed: st.borderTopStyle === "dashed",
      dot,
    };
  });
}

/** Lines of `text` no wider than `width` at the context's font (broken anywhere: a link). */
function wrap(ctx, text, width) {
  const lines = [];
  let line = "";
  for (const ch of text) {
    if (line && ctx.measureText(line + ch).width > width) {
      lines.push(line);
      line = "";
    }
    line += ch;
  }
  if (line) lines.push(line);
  return lines;
}

/** Lays out legend `items` in rows within `width`; returns [{item, x, y}] and the height. */
function legendLayout(ctx, items, width) {
  const rowH = 18;
  let x = 0;
  let y = 0;
  const placed = [];
  for (const item of items) {
    const w = 28 + ctx.measureText(item.label).width + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      y += rowH;
    }
    placed.push({ item, x, y });
    x += w;
  }
  return { placed, height: items.length ? y + rowH : 0 };
}

/**
 * The card `card` (a chart figure) as a PNG picture: its title, each visible chart with its
 * legend, and `footer` (the run's link). Resolves to {blob, width, height, scale} (pixels).
 */
export async function cardPicture(card, footer, colours) {
  const scale = exportScale();
  const plots = [...card.querySelectorAll(".plot")]
    .filter((p) => p.offsetParent !== null)
    .map((p) => ({ canvas: p.querySelector("canvas"), legend: p.querySelector(".legend") }))
    .filter((p) => p.canvas && panelOf(p.canvas) && panelOf(p.canvas).width > 0);
  if (!plots.length) throw new Error("This chart has nothing drawn yet.");
  const inner = Math.max(...plots.map((p) => panelOf(p.canvas).width));
  const width = inner + 2 * PAD;
  const title = (card.querySelector("h3") || {}).textContent || "icl-lab";

  // Measure first (fonts are set on a scratch context), then draw at the final size.
  const m = document.createElement("canvas").getContext("2d");
  const titleFont = `600 16px ${FAMILY}`;
  const legendFont = `12px ${FAMILY}`;
  const footFont = `11px ${FAMILY}`;
  m.font = legendFont;
  const blocks = plots.map((p) => ({ ...p, legendLayout: legendLayout(m, legendItems(p.legend), inner) }));
  m.font = footFont;
  const footLines = wrap(m, footer, inner);
  let height = PAD + 22;
  for (const b of blocks) height += panelOf(b.canvas).height + 6 + b.legendLayout.height + 8;
  height += 6 + footLines.length * 14 + PAD;

  const out = document.createElement("canvas");
  out.width = Math.round(width * scale);
  out.height = Math.round(height * scale);
  const g = out.getContext("2d");
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.fillStyle = colours.background;
  g.fillRect(0, 0, width, height);
  g.fillStyle = colours.text;
  g.font = titleFont;
  g.textBaseline = "top";
  g.fillText(title, PAD, PAD);
  let y = PAD + 22;
  for (const b of blocks) {
    const panel = panelOf(b.canvas);
    const pic = panel.render(scale);
    g.drawImage(pic, PAD, y, panel.width, panel.height);
    y += panel.height + 6;
    g.font = legendFont;
    g.textBaseline = "middle";
    for (const { item, x, y: ly } of b.legendLayout.placed) {
      const cy = y + ly + 9;
      g.strokeStyle = item.color;
      g.fillStyle = item.color;
      if (item.dot) {
        g.beginPath();
        g.arc(PAD + x + 11, cy, 4.5, 0, Math.PI * 2);
        g.fill();
      } else {
        g.lineWidth = item.width;
        g.setLineDash(item.dashed ? [5, 3] : []);
        g.beginPath();
        g.moveTo(PAD + x, cy);
        g.lineTo(PAD + x + 22, cy);
        g.stroke();
        g.setLineDash([]);
      }
      g.fillStyle = colours.text;
      g.fillText(item.label, PAD + x + 28, cy);
    }
    y += b.legendLayout.height + 8;
  }
  g.strokeStyle = colours.line;
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(PAD, y + 0.5);
  g.lineTo(width - PAD, y + 0.5);
  g.stroke();
  y += 6;
  g.font = footFont;
  g.fillStyle = colours.muted;
  g.textBaseline = "top";
  for (const line of footLines) {
    g.fillText(line, PAD, y);
    y += 14;
  }
  const blob = await new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error("The picture could not be encoded."))), "image/png"));
  return { blob, width: out.width, height: out.height, scale };
}
