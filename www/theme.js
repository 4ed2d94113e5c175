// The colours the page draws with on canvas, for the light and the dark scheme (the system's
// prefers-color-scheme, as style.css follows it): the chart's background, axes, grid and text
// (the same as style.css's --card, --muted and --text), and one colour per learner and metric,
// the same in every chart, the legends, the tables and the text. In Node (tests) it is the light
// palette.

const LIGHT = {
  bg: "#ffffff",
  text: "#1f2328",
  axis: "#5c6370",
  grid: "#e6e8eb",
  frame: "#b8bec6",
  labelBg: "rgba(255,255,255,0.85)",
  crosshair: "rgba(31,35,40,0.35)",
  cellLine: "rgba(31,35,40,0.45)",
  point: "#33373d",
  query: "#111111",
  queryRing: "rgba(17,17,17,0.55)",
  selected: "#1c64c8",
  diagonal: "#9ca3af",
  model: "#d9480f",
  modelTrain: "rgba(217,72,15,0.22)",
  gd1: "#1c7ed6",
  gdK: "#0b3d91",
  gdpp: "#2b8a3e",
  pgd: "#b07d00",
  ols: "#7048e8",
  ridge: "#ae3ec9",
  zero: "#6b7280",
  cos: "#7048e8",
  predsDiff: "#d9480f",
  modelDiff: "#0c8599",
  gdLoss: "#1c7ed6",
  pins: ["#212529", "#9c6644", "#e64980"],
};

const DARK = {
  bg: "#1b1f24",
  text: "#e6e8eb",
  axis: "#a3acb8",
  grid: "#2c333b",
  frame: "#4a525c",
  labelBg: "rgba(27,31,36,0.85)",
  crosshair: "rgba(230,232,235,0.4)",
  cellLine: "rgba(230,232,235,0.45)",
  point: "#d0d5dc",
  query: "#ffffff",
  queryRing: "rgba(255,255,255,0.6)",
  selected: "#6ea8ff",
  diagonal: "#7d8794",
  model: "#ff7a45",
  modelTrain: "rgba(255,122,69,0.3)",
  gd1: "#4dabf7",
  gdK: "#91a7ff",
  gdpp: "#51cf66",
  pgd: "#fcc419",
  ols: "#b197fc",
  ridge: "#e599f7",
  zero: "#adb5bd",
  cos: "#b197fc",
  predsDiff: "#ff7a45",
  modelDiff: "#3bc9db",
  gdLoss: "#4dabf7",
  pins: ["#f1f3f5", "#d4a373", "#f783ac"],
};

const query = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

/** The palette of the scheme on show. */
export function palette() {
  return query && query.matches ? DARK : LIGHT;
}

/** Calls `fn()` whenever the system switches between the light and the dark scheme. */
export function onSchemeChange(fn) {
  if (query) query.addEventListener("change", () => fn());
}

/** One colour per learner and metric (charts.js, numbers.js, layers.js), of the scheme on show. */
export const COLORS = Object.defineProperties(
  {},
  Object.fromEntries(["model", "modelTrain", "gd1", "gdK", "gdpp", "pgd", "ols", "ridge", "zero", "cos", "predsDiff", "modelDiff", "gdLoss"].map((k) => [k, { get: () => palette()[k], enumerable: true }])),
);
