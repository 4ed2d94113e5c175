// The TensorFlow.js peer: the same model and training as icl-lab's engine, written with tf ops.
//
// Model (docs/science.md): tokens E (B × (N+1) × (d+1)), context e_i = (x_i, y_i), query
// e_q = (x_q, 0) last; K linear self-attention layers with one shared set of weights (recurrent),
// one head: q = E W_Qᵀ, k = E_ctx W_Kᵀ, v = E_ctx W_Vᵀ (keys and values from the N context tokens
// only), scores = q kᵀ (no softmax, no scaling), out = scores v, E ← E + out Pᵀ (residual).
// Prediction ŷ = −E[:, N, d] after the last layer; loss = ½·mean((ŷ − y_q)²).
//
// Like the engine, the last layer computes only the query token's update (the only row the
// read-out uses); earlier layers update every token. The loss and its gradient are the same
// as with all tokens updated in the last layer.
//
// Training: Adam (lr 1e-3, b1 0.9, b2 0.98, eps 1e-8) after global-norm gradient clipping
// (0.001 for K ≤ 2, 10 above); a fresh batch of tasks every step, sampled with tf ops inside
// the step: W ~ N(0, I_d), x ~ U(−0.5, 0.5)^d, y = W x.

/** Global-norm clipping threshold of the reference code. */
export function clipFor(k) {
  return k <= 2 ? 1e-3 : 10;
}

let created = 0;

/**
 * @param tf the TensorFlow.js namespace (backend already chosen)
 * @param {{d?:number,n?:number,k?:number,batch?:number,lr?:number,xRange?:number,seed?:number,
 *          fullLastLayer?:boolean}} opts
 */
export function createPeer(tf, opts = {}) {
  const d = opts.d ?? 10;
  const n = opts.n ?? 10;
  const k = opts.k ?? 1;
  const B = opts.batch ?? 2048;
  const lr = opts.lr ?? 1e-3;
  const r = opts.xRange ?? 0.5;
  const clip = opts.clip ?? clipFor(k);
  const seed = opts.seed ?? 1;
  const fullLast = !!opts.fullLastLayer;
  const T = n + 1;
  const D = d + 1;
  const id = ++created;

  // Truncated normal (±2σ), variance 0.002 / (K · fan_in), fan_in = d+1; 0.8796 is the std of a
  // unit normal truncated at ±2 (the reference code's VarianceScaling).
  const std = Math.sqrt(0.002 / (k * D)) / 0.8796256610342398;
  const mk = (name, s) => tf.variable(tf.truncatedNormal([D, D], 0, std, "float32", s), true, `peer${id}_${name}`);
  const WQ = mk("wq", seed * 4 + 0);
  const WK = mk("wk", seed * 4 + 1);
  const WV = mk("wv", seed * 4 + 2);
  const P = mk("p", seed * 4 + 3);
  const vars = [WQ, WK, WV, P];
  const opt = tf.train.adam(lr, 0.9, 0.98, 1e-8);

  /** A fresh batch: tokens E (B×T×D) and query targets y_q (B). */
  function sample() {
    const W = tf.randomNormal([B, d, 1]);
    const x = tf.randomUniform([B, T, d], -r, r);
    const y = tf.matMul(x, W); // B×T×1
    const yq = y.slice([0, n, 0], [B, 1, 1]).reshape([B]);
    const ycol = tf.concat([y.slice([0, 0, 0], [B, n, 1]), tf.zeros([B, 1, 1])], 1);
    const E = tf.concat([x, ycol], 2);
    return { E, yq };
  }

  /** x (rows × D) times Wᵀ, for a batch of token matrices. */
  function lin(E, rows, Wm) {
    return tf.matMul(E.reshape([B * rows, D]), Wm, false, true).reshape([B, rows, D]);
  }

  /** ŷ (B) for tokens E. */
  function predict(E) {
    let yhat = null;
    for (let l = 0; l < k; l++) {
      const last = l === k - 1;
      const ctx = E.slice([0, 0, 0], [B, n, D]);
      const onlyQuery = last && !fullLast;
      const rows = onlyQuery ? E.slice([0, n, 0], [B, 1, D]) : E;
      const R = onlyQuery ? 1 : T;
      const q = lin(rows, R, WQ);
      const kk = lin(ctx, n, WK);
      const v = lin(ctx, n, WV);
      const scores = tf.matMul(q, kk, false, true); // B×R×N, no softmax, no scaling
      const out = tf.matMul(scores, v); // B×R×D
      const next = rows.add(lin(out, R, P)); // residual
      if (last) {
        yhat = next.slice([0, R - 1, d], [B, 1, 1]).reshape([B]).neg();
      } else {
        E = next;
      }
    }
    return yhat;
  }

  function lossOf(E, yq) {
    return tf.mul(0.5, tf.mean(tf.square(tf.sub(predict(E), yq))));
  }

  /** One training step; resolves to the batch loss (before the update), read back from the backend. */
  async function step() {
    const loss = tf.tidy(() => {
      const { E, yq } = sample();
      const { value, grads } = tf.variableGrads(() => lossOf(E, yq), vars);
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((nm) => tf.sum(tf.square(grads[nm])))));
      // Rescale to norm ≤ clip (unchanged when the norm is already below it).
      const scale = tf.minimum(1, tf.div(clip, tf.maximum(norm, 1e-30)));
      const clipped = {};
      for (const nm of names) clipped[nm] = tf.mul(grads[nm], scale);
      opt.applyGradients(clipped);
      return value;
    });
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  }

  /** Sampling a batch alone (to show how much of a step is data generation). */
  async function sampleOnly() {
    const E = tf.tidy(() => sample().E);
    await E.data();
    E.dispose();
  }

  function dispose() {
    for (const v of vars) v.dispose();
    opt.dispose();
  }

  return { step, sampleOnly, dispose, clip, std, nParams: 4 * D * D };
}
