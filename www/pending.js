// The references the engine is still computing while the run trains (snapshot.pending: stage
// names of src/references.rs, in the order they come; their numbers are null until then). A
// number waiting for one reads "computing…": never a dash that could pass for "no value", and
// never a stale number.

export const COMPUTING = "computing…";

/** What the page calls each stage while it is computed. */
const STAGE_NAMES = {
  gd1: "one GD step",
  pgd: "preconditioned GD",
  untrained: "the untrained model",
  eta_star: "GD’s best step size η*",
  gd: "K-step GD",
  ols: "OLS and ridge",
  gd_layers: "GD with as many steps as layers",
  gdpp: "GD++ tuning",
  gdpp_steps: "GD++ per step",
  layers: "the learners after every step",
  ood: "the out-of-distribution baselines",
};

/** True while any of `stages` is still being computed for `snap`. */
export function waitsFor(snap, ...stages) {
  const p = snap && snap.pending;
  return Boolean(p) && stages.some((s) => p.includes(s));
}

/** `text`, or "computing…" while any of `stages` is still to come. */
export function unlessWaiting(snap, stages, text) {
  return waitsFor(snap, ...stages) ? COMPUTING : text;
}

/** The stages still to come, in words ("" when none); the one being computed says how far
 * through it is where the engine counts its work (snapshot.underway: "GD++ tuning, 40 % done"). */
export function pendingNames(snap) {
  const p = (snap && snap.pending) || [];
  const u = snap && snap.underway;
  return p
    .map((s) => {
      const name = STAGE_NAMES[s] || s;
      if (!u || u.stage !== s || typeof u.done !== "number" || !Number.isFinite(u.done)) return name;
      // Floored and below 100 %: a stage is done only when its numbers are there.
      return `${name} (${Math.min(99, Math.floor(100 * u.done))} % done)`;
    })
    .join(", ");
}
