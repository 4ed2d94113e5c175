//! The paper's copy analysis for classic tokens (§4, fig. 5, right): for the first layer's output
//! t_j at each x token j, the norms of ∂t_j/∂e_j (its own token), ∂t_j/∂e_{j+1} (its y token) and
//! ∂t_j/∂e_m for the other context tokens m. The paper reports that ‖∂t_j/∂e_{j+1}‖ grows while
//! the others do not: the softmax layer learns to copy each y_i next to its x_i (an
//! induction-head-like step), after which the linear layer can do one GD step.

use crate::arch::LayerShape;
use crate::classic::Layout;
use crate::kernels::exp;
use crate::model::Model;
use crate::task::Tasks;
use serde::Serialize;

/// The copy analysis of the first layer, averaged over the x tokens of some tasks: Frobenius
/// norms of the Jacobian blocks of its output t_j (all d + 10 entries) with respect to the data
/// entries of an input token (the position code is fixed, not an input).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CopyNorms {
    /// ‖∂t_j/∂e_j‖: the token's own input (the residual connection alone gives ‖I_d‖ = √d).
    pub own: f64,
    /// ‖∂t_j/∂e_{j+1}‖: its y token, from which the copy comes.
    pub next: f64,
    /// Mean of ‖∂t_j/∂e_m‖ over the other context tokens m.
    pub other: f64,
    /// Mean softmax weight of x token j on its y token (over heads): 1/(2N) for uniform
    /// attention, 1 for a pure copy.
    pub attention_next: f64,
    /// How many tasks the averages are over.
    pub tasks: usize,
    /// For reading the numbers: the attention weight of uniform attention, 1/(number of
    /// keys), and ‖∂t_j/∂e_j‖ from the residual connection alone, ‖I_d‖ = √d.
    pub uniform: f64,
    pub residual: f64,
}

impl CopyNorms {
    /// A measurement still to come (the untrained model's, before its stage arrives): NaN, null
    /// in JSON.
    pub fn to_come() -> CopyNorms {
        let nan = f64::NAN;
        CopyNorms {
            own: nan,
            next: nan,
            other: nan,
            attention_next: nan,
            tasks: 0,
            uniform: nan,
            residual: nan,
        }
    }
}

/// Tasks the copy analysis averages over (the first of the evaluation tasks).
pub const COPY_TASKS: usize = 128;

/// The copy analysis of `model`'s first layer (a classic-token model) on the first
/// `COPY_TASKS` of `tasks`.
///
/// With q = W_Q e, k = W_K e, v = W_V e, a_j = softmax(s·q_j·k) over the keys and
/// ō_j = Σ_l a_jl v_l, the first layer gives t_j = e_j + Σ_h P_h ō_j, whose Jacobian is
///   ∂t_j/∂e_m = δ_jm I + Σ_h a_jm [M_h + s·u_hm z_hjᵀ] + δ_jm Σ_h s Σ_l a_jl u_hl r_hlᵀ
/// with M_h = P_h W_V, u_hm = P_h (v_m − ō_j), z_hj = W_Kᵀ q_j and r_hl = W_Qᵀ k_l (the softmax's
/// derivative Σ_i v_i ∂a_ji/∂z_jl = a_jl (v_l − ō_j)), each restricted to the data entries of
/// e_m. A block m ≠ j is a sum of H matrices and H rank-one terms, so its squared Frobenius norm
/// is a sum of inner products over head pairs, without forming it; the own block is formed.
/// tests/classic.rs checks the norms against finite differences. The authors' `analyse_copy`
/// (`src/train.rs`) differentiates the sum of t_j's entries, averages that gradient over tasks
/// before taking its norm, and averages over x and y positions alike; here each block's own norm
/// is averaged, at x tokens only, the positions where the paper says the copy happens.
pub fn copy_norms(model: &Model, tasks: &Tasks) -> CopyNorms {
    let arch = &model.arch;
    let s = arch.layer_shape(0);
    let p = model.layer_params(0);
    let (d, n, w, h, sk) = (arch.d, arch.n, s.width, s.heads, s.keys);
    let count = tasks.count.min(COPY_TASKS);
    let layout = Layout::new(d, n);
    let mut fwd = FirstLayer::new(&s, p, d);
    let mut tokens = vec![0.0f32; s.tokens * w];
    // Per head pair (g, h): ⟨M_g, M_h⟩ (Frobenius, data columns).
    let mut mm = vec![0.0f64; h * h];
    for g in 0..h {
        for k in 0..h {
            mm[g * h + k] = dot64(
                &fwd.m[g * w * d..(g + 1) * w * d],
                &fwd.m[k * w * d..(k + 1) * w * d],
            );
        }
    }
    let mut acc = CopyNorms::default();
    let (mut blocks, mut others) = (0usize, 0usize);
    let mut own = vec![0.0f32; w * d];
    let mut mz = vec![0.0f32; h * h * w];
    let mut u = vec![0.0f32; h * sk * w];
    for task in 0..count {
        layout.lay_out(tasks.task_tokens(task), &mut tokens);
        fwd.run(&s, p, &tokens);
        for i in 0..n {
            let j = 2 * i;
            fwd.prepare_row(&s, j, &mut u, &mut mz);
            let sc = s.score_scale();
            // Blocks m ≠ j: ‖Σ_h a_h (M_h + s u_h z_hᵀ)‖² over head pairs.
            let norm_of = |m: usize| -> f64 {
                let mut sq = 0.0f64;
                for g in 0..h {
                    let ag = fwd.att(&s, g, j, m) as f64;
                    let ug = &u[(g * sk + m) * w..(g * sk + m + 1) * w];
                    let zg = fwd.z_row(&s, g, j);
                    for k in 0..h {
                        let ak = fwd.att(&s, k, j, m) as f64;
                        let uk = &u[(k * sk + m) * w..(k * sk + m + 1) * w];
                        let zk = fwd.z_row(&s, k, j);
                        let sc = sc as f64;
                        // ⟨M_g, u_k z_kᵀ⟩ = u_kᵀ (M_g z_k)
                        let m_gk = dot64(uk, &mz[(g * h + k) * w..(g * h + k + 1) * w]);
                        sq += ag
                            * ak
                            * (mm[g * h + k]
                                + 2.0 * sc * m_gk
                                + sc * sc * dot64(ug, uk) * dot64(zg, zk));
                    }
                }
                sq.max(0.0).sqrt()
            };
            acc.next += norm_of(j + 1);
            for m in (0..sk).filter(|&m| m != j && m != j + 1) {
                acc.other += norm_of(m);
                others += 1;
            }
            // The own block, formed: the residual identity, its attention as a key, and its
            // query's pull on every score.
            own.fill(0.0);
            for c in 0..d {
                own[c * d + c] = 1.0;
            }
            for g in 0..h {
                let a = fwd.att_row(&s, g, j);
                let z = fwd.z_row(&s, g, j);
                let mg = &fwd.m[g * w * d..(g + 1) * w * d];
                let (aj, ujj) = (a[j], &u[(g * sk + j) * w..(g * sk + j + 1) * w]);
                for r in 0..w {
                    let row = &mut own[r * d..(r + 1) * d];
                    for c in 0..d {
                        row[c] += aj * (mg[r * d + c] + sc * ujj[r] * z[c]);
                    }
                    for (l, &al) in a.iter().enumerate() {
                        let coef = sc * al * u[(g * sk + l) * w + r];
                        let rl = &fwd.r[(g * sk + l) * d..(g * sk + l + 1) * d];
                        for c in 0..d {
                            row[c] += coef * rl[c];
                        }
                    }
                }
            }
            acc.own += dot64(&own, &own).sqrt();
            acc.attention_next +=
                (0..h).map(|g| fwd.att(&s, g, j, j + 1) as f64).sum::<f64>() / h as f64;
            blocks += 1;
        }
    }
    let per = |x: f64, k: usize| if k > 0 { x / k as f64 } else { f64::NAN };
    CopyNorms {
        own: per(acc.own, blocks),
        next: per(acc.next, blocks),
        other: per(acc.other, others),
        attention_next: per(acc.attention_next, blocks),
        tasks: count,
        uniform: 1.0 / sk as f64,
        residual: (d as f64).sqrt(),
    }
}

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// The first (softmax) layer of one task, keeping what its Jacobian needs, per head h: the
/// model's M_h = P_h W_V on the data columns (D × d), and the task's P_h v_m (S × D), r_hm =
/// (W_Qᵀ k_m) on the data entries (S × d), z_hj = (W_Kᵀ q_j) on them (T × d) and the attention
/// weights a (T × S).
struct FirstLayer {
    m: Vec<f32>,
    pv: Vec<f32>,
    r: Vec<f32>,
    z: Vec<f32>,
    a: Vec<f32>,
    /// P_h (D × D, row-major) and its transpose-friendly copies of W_K, W_Q per head.
    p: Vec<f32>,
    d: usize,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
}

impl FirstLayer {
    fn new(s: &LayerShape, params: &[f32], d: usize) -> Self {
        let (t, w, h, sk, hd) = (s.tokens, s.width, s.heads, s.keys, s.p_stride());
        let pm = s.p(params);
        let mut p = vec![0.0f32; h * w * w];
        for g in 0..h {
            for r in 0..w {
                p[(g * w + r) * w..(g * w + r + 1) * w]
                    .copy_from_slice(&pm[r * hd + g * w..r * hd + (g + 1) * w]);
            }
        }
        let mut m = vec![0.0f32; h * w * d];
        for g in 0..h {
            let wv = s.wv(params, g);
            for r in 0..w {
                for c in 0..d {
                    m[(g * w + r) * d + c] =
                        (0..w).map(|x| p[(g * w + r) * w + x] * wv[x * w + c]).sum();
                }
            }
        }
        FirstLayer {
            m,
            pv: vec![0.0; h * sk * w],
            r: vec![0.0; h * sk * d],
            z: vec![0.0; h * t * d],
            a: vec![0.0; h * t * sk],
            p,
            d,
            q: vec![0.0; t * w],
            k: vec![0.0; sk * w],
            v: vec![0.0; sk * w],
        }
    }

    fn att(&self, s: &LayerShape, g: usize, j: usize, m: usize) -> f32 {
        self.a[(g * s.tokens + j) * s.keys + m]
    }

    fn att_row(&self, s: &LayerShape, g: usize, j: usize) -> &[f32] {
        &self.a[(g * s.tokens + j) * s.keys..(g * s.tokens + j + 1) * s.keys]
    }

    fn z_row(&self, s: &LayerShape, g: usize, j: usize) -> &[f32] {
        &self.z[(g * s.tokens + j) * self.d..(g * s.tokens + j + 1) * self.d]
    }

    /// The forward pass of task tokens `e` through the first layer, per head.
    fn run(&mut self, s: &LayerShape, params: &[f32], e: &[f32]) {
        let (t, w, sk, d) = (s.tokens, s.width, s.keys, self.d);
        let scale = s.score_scale();
        let mv = |m: &[f32], x: &[f32], out: &mut [f32]| {
            for (r, o) in out.iter_mut().enumerate() {
                *o = (0..w).map(|c| m[r * w + c] * x[c]).sum();
            }
        };
        for g in 0..s.heads {
            let (wq, wk, wv) = (s.wq(params, g), s.wk(params, g), s.wv(params, g));
            for j in 0..t {
                mv(wq, &e[j * w..(j + 1) * w], &mut self.q[j * w..(j + 1) * w]);
            }
            for i in 0..sk {
                mv(wk, &e[i * w..(i + 1) * w], &mut self.k[i * w..(i + 1) * w]);
                mv(wv, &e[i * w..(i + 1) * w], &mut self.v[i * w..(i + 1) * w]);
            }
            let pg = &self.p[g * w * w..(g + 1) * w * w];
            for i in 0..sk {
                let pv = &mut self.pv[(g * sk + i) * w..(g * sk + i + 1) * w];
                mv(pg, &self.v[i * w..(i + 1) * w], pv);
                // r = W_Qᵀ k_i, z = W_Kᵀ q_j on the data entries.
                let r = &mut self.r[(g * sk + i) * d..(g * sk + i + 1) * d];
                for (c, rc) in r.iter_mut().enumerate() {
                    *rc = (0..w).map(|x| wq[x * w + c] * self.k[i * w + x]).sum();
                }
            }
            for j in 0..t {
                let z = &mut self.z[(g * t + j) * d..(g * t + j + 1) * d];
                for (c, zc) in z.iter_mut().enumerate() {
                    *zc = (0..w).map(|x| wk[x * w + c] * self.q[j * w + x]).sum();
                }
                let row = &mut self.a[(g * t + j) * sk..(g * t + j + 1) * sk];
                for (i, sc) in row.iter_mut().enumerate() {
                    let qk: f32 = (0..w).map(|c| self.q[j * w + c] * self.k[i * w + c]).sum();
                    *sc = scale * qk;
                }
                let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
                let mut sum = 0.0;
                for x in row.iter_mut() {
                    *x = exp(*x - max);
                    sum += *x;
                }
                row.iter_mut().for_each(|x| *x /= sum);
            }
        }
    }

    /// For x token j: u_hm = P_h (v_m − ō_j) for every key m (into `u`, H × S × D) and
    /// M_g z_hj for every head pair (into `mz`, H × H × D).
    fn prepare_row(&self, s: &LayerShape, j: usize, u: &mut [f32], mz: &mut [f32]) {
        let (w, sk, h, d) = (s.width, s.keys, s.heads, self.d);
        let mut po = vec![0.0f32; w];
        for g in 0..h {
            // P_h ō_j = Σ_l a_jl P_h v_l
            po.fill(0.0);
            for (l, &al) in self.att_row(s, g, j).iter().enumerate() {
                for (x, pv) in po
                    .iter_mut()
                    .zip(&self.pv[(g * sk + l) * w..(g * sk + l + 1) * w])
                {
                    *x += al * pv;
                }
            }
            for m in 0..sk {
                let um = &mut u[(g * sk + m) * w..(g * sk + m + 1) * w];
                for ((x, pv), o) in um
                    .iter_mut()
                    .zip(&self.pv[(g * sk + m) * w..(g * sk + m + 1) * w])
                    .zip(&po)
                {
                    *x = pv - o;
                }
            }
        }
        for g in 0..h {
            let mg = &self.m[g * w * d..(g + 1) * w * d];
            for k in 0..h {
                let zk = self.z_row(s, k, j);
                let out = &mut mz[(g * h + k) * w..(g * h + k + 1) * w];
                for (r, o) in out.iter_mut().enumerate() {
                    *o = (0..d).map(|c| mg[r * d + c] * zk[c]).sum();
                }
            }
        }
    }
}
