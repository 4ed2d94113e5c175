// Number formatting for display. The engine sends NaN/inf as null: null is "no value" and is
// shown as a dash, never as "NaN".

export const DASH = "—";

/** True for a real, finite number. */
export function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * True when the run's inputs are stretched (anisotropy κ > 1): then one step of preconditioned
 * GD differs from plain GD and the page shows it beside GD.
 */
export function stretched(config) {
  return Boolean(config) && isNum(config.aniso) && config.aniso > 1;
}

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** "10⁻⁴"-style power of ten. */
function pow10(e) {
  return "10" + String(e).split("").map((c) => SUP[c] ?? c).join("");
}

/** Splits a nonzero `v` into a mantissa with `digits` significant digits and an exponent. */
function sci(v, digits) {
  let e = Math.floor(Math.log10(Math.abs(v)));
  let m = Number((v / 10 ** e).toPrecision(digits));
  if (Math.abs(m) >= 10) {
    m /= 10;
    e += 1;
  }
  return [m, e];
}

/** `v` with `digits` significant digits; tiny and huge values as m×10ᵉ. */
export function fmt(v, digits = 3) {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) {
    const [m, e] = sci(v, digits);
    return `${m}×${pow10(e)}`.replace("-", "−");
  }
  return Number(v.toPrecision(digits)).toString().replace("-", "−");
}

/** A loss: four significant digits, and "≈ 0" for values that are zero up to rounding. */
export function fmtLoss(v) {
  if (!isNum(v)) return DASH;
  if (Math.abs(v) < 1e-9) return "≈ 0";
  return fmt(v, 4);
}

/** A value with a fixed number of decimals (for cosines). */
export function fixed(v, decimals = 3) {
  return isNum(v) ? v.toFixed(decimals).replace("-", "−") : DASH;
}

/**
 * `v` rounded, with "," between thousands. (Not toLocaleString: its first call loads locale
 * data, a long pause on the main thread just when the page starts.)
 */
function grouped(v) {
  return String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An integer with thousands separators. */
export function int(v) {
  return isNum(v) ? grouped(v) : DASH;
}

/** Relative difference a/b − 1 as a signed percentage. */
export function pct(a, b) {
  if (!isNum(a) || !isNum(b) || b === 0) return DASH;
  const r = (a / b - 1) * 100;
  const s = Math.abs(r) >= 100 ? r.toFixed(0) : Math.abs(r) >= 10 ? r.toFixed(1) : r.toFixed(2);
  return `${r >= 0 ? "+" : "−"}${s.replace("-", "")}%`;
}

/**
 * How loss `a` compares with loss `b`, in words: "3.2 % below", "12 % above", or a factor
 * ("25×", "0.31×") when they differ by 2× or more. `name` ends the phrase: relation(7.9, 8.4, "GD’s") → "6.0 % below GD’s".
 */
export function relation(a, b, name) {
  if (!isNum(a) || !isNum(b) || b <= 0 || a < 0) return DASH;
  const r = a / b;
  if (r >= 2 || r <= 0.5) return `${fmt(r, 2)}× ${name}`;
  const p = Math.abs(r - 1) * 100;
  const text = p >= 10 ? p.toFixed(0) : p.toFixed(1);
  return `${text} % ${r < 1 ? "below" : "above"} ${name}`;
}

/** Short tick label for an axis value. */
export function tick(v) {
  if (!isNum(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = sci(v, 2);
    const head = m === 1 ? "" : m === -1 ? "−" : `${String(m).replace("-", "−")}×`;
    return head + pow10(e);
  }
  if (a >= 1000) return grouped(v);
  return String(Number(v.toPrecision(3))).replace("-", "−");
}
