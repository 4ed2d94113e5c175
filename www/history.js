// The run's whole curves, rebuilt from the worker's incremental snapshots: each progress
// message holds only the history that is new since the previous one (and weights and scatter
// only now and then), so they are appended here. Pure data, no DOM; unit-tested in Node.

/** The evaluation curves, one array per field, all of the same length. */
function emptyEvals() {
  return {
    step: [],
    loss: [],
    preds_diff: [],
    model_cos: [],
    model_diff: [],
    eta_over_n: [],
    // against GD++ (what multi-layer models are compared with)
    preds_diff_gdpp: [],
    model_cos_gdpp: [],
    model_diff_gdpp: [],
    // distance of the weights from the construction (layers.js)
    dist_kq: [],
    dist_pv: [],
  };
}

/**
 * An empty history: {snapshot (the latest, with weights and scatter carried over), trainX
 * (step of each training loss), trainLoss, evals, etaChanges}. etaChanges: [{step, from, to}]
 * each time GD's η changed during the run: the evaluations up to `step` were measured against
 * an earlier η (the engine keeps no past predictions to measure them again).
 */
export function createHistory() {
  return { snapshot: null, trainX: [], trainLoss: [], evals: emptyEvals(), etaChanges: [] };
}

/**
 * Adds snapshot `snap` to history `h` (both are changed in place): the training losses from
 * index `snap.train_from` and the evaluations from `snap.evals.from` replace what `h` holds from
 * there on; weights and scatter missing from `snap` are taken from the previous snapshot.
 */
export function addSnapshot(h, snap) {
  // Weights and scatter come only in full snapshots: keep the last ones in between.
  if (h.snapshot) {
    if (!snap.weights) snap.weights = h.snapshot.weights;
    if (!snap.scatter) snap.scatter = h.snapshot.scatter;
    if (!snap.layers) snap.layers = h.snapshot.layers;
  }
  if (snap.train_from !== h.trainLoss.length) {
    h.trainLoss.length = Math.min(h.trainLoss.length, snap.train_from);
    h.trainX.length = h.trainLoss.length;
  }
  for (const v of snap.train_loss) {
    h.trainX.push(h.trainLoss.length);
    h.trainLoss.push(v);
  }
  const ev = snap.evals;
  if (ev.from !== h.evals.step.length) {
    for (const k of Object.keys(h.evals)) h.evals[k].length = Math.min(h.evals[k].length, ev.from);
  }
  for (const k of Object.keys(h.evals)) for (const v of ev[k] || []) h.evals[k].push(v);
  // The snapshot that first shows a new η is sent right after the change: every evaluation
  // received so far was measured against the old one. (GD still being computed has no η, null:
  // its arrival measures every evaluation so far, so it is no change.)
  const from = h.snapshot && h.snapshot.baselines ? h.snapshot.baselines.gd_eta : null;
  const to = snap.baselines ? snap.baselines.gd_eta : null;
  if (typeof from === "number" && typeof to === "number" && from !== to && h.evals.step.length) {
    const step = h.evals.step[h.evals.step.length - 1];
    const last = h.etaChanges[h.etaChanges.length - 1];
    // Changes with no evaluation between them (unticking "auto", then typing a value) are one:
    // every point so far was measured against the η before the first.
    if (last && last.step === step) {
      last.to = to;
      if (last.to === last.from) h.etaChanges.pop();
    } else h.etaChanges.push({ step, from, to });
  }
  h.snapshot = snap;
  return h;
}
