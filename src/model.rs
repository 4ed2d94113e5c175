//! The transformer: K attention layers (recurrent = one set of weights applied K times, or deep =
//! K sets), H heads, linear or softmax attention, and the read-out ŷ = −(label entry of the
//! query token after the last layer). Parameters live in one flat vector so the optimiser,
//! the gradient check and the page see them the same way.

use crate::batched::Batched;
use crate::config::{Attn, Config};
use crate::lsa::{self, LayerCache, LayerShape, Scratch};
use crate::rng::Rng;
use crate::task::Tasks;
use rand_distr::{Distribution, StandardNormal};

/// Architecture of a model (everything but the weights).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arch {
    pub d: usize,
    pub n: usize,
    pub layers: usize,
    pub recurrent: bool,
    pub heads: usize,
    pub softmax: bool,
    pub query_in_keys: bool,
    pub clip_tokens: bool,
}

impl Arch {
    pub fn from_config(cfg: &Config) -> Self {
        Arch {
            d: cfg.d,
            n: cfg.n,
            layers: cfg.layers,
            recurrent: cfg.recurrent,
            heads: cfg.heads,
            softmax: cfg.attn == Attn::Softmax,
            query_in_keys: cfg.query_in_keys,
            clip_tokens: cfg.clips_tokens(),
        }
    }
    pub fn shape(&self) -> LayerShape {
        LayerShape {
            width: self.d + 1,
            tokens: self.n + 1,
            keys: if self.query_in_keys {
                self.n + 1
            } else {
                self.n
            },
            heads: self.heads,
            softmax: self.softmax,
            clip_tokens: self.clip_tokens,
        }
    }
    /// Distinct weight sets: 1 when recurrent, K when deep.
    pub fn sets(&self) -> usize {
        if self.recurrent {
            1
        } else {
            self.layers
        }
    }
    pub fn n_params(&self) -> usize {
        self.sets() * self.shape().n_params()
    }
    /// Which weight set layer `l` uses.
    pub fn set_of(&self, l: usize) -> usize {
        if self.recurrent {
            0
        } else {
            l
        }
    }
    /// First token row whose update layer `l` must compute: only the query matters in the last.
    fn row0(&self, l: usize) -> usize {
        if l + 1 == self.layers {
            self.n
        } else {
            0
        }
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub arch: Arch,
    pub params: Vec<f32>,
}

/// Buffers for one task's forward and backward pass, reused across tasks and steps.
#[derive(Clone, Debug)]
pub struct Workspace {
    caches: Vec<LayerCache>,
    scratch: Scratch,
    g: Vec<f32>,
    g_next: Vec<f32>,
    batched: Option<Batched>,
}

impl Workspace {
    pub fn new(arch: &Arch) -> Self {
        let s = arch.shape();
        Workspace {
            caches: (0..arch.layers).map(|_| LayerCache::new(&s)).collect(),
            scratch: Scratch::new(&s),
            g: vec![0.0; s.tokens * s.width],
            g_next: vec![0.0; s.tokens * s.width],
            batched: if arch.softmax {
                None
            } else {
                Some(Batched::new(arch))
            },
        }
    }
    /// ∂(last backward's output)/∂(input tokens), `(N+1) × (d+1)`.
    pub fn input_grad(&self) -> &[f32] {
        &self.g
    }
}

impl Model {
    /// The reference code's initialisation: truncated normal (±2σ) with variance
    /// 0.002 / (K · fan_in), where fan_in is d+1 for W_Q, W_K, W_V and H·(d+1) for P.
    pub fn init(arch: Arch, rng: &mut Rng) -> Model {
        let s = arch.shape();
        let mut params = vec![0.0; arch.n_params()];
        // Haiku's VarianceScaling divides by the std of a unit normal truncated at ±2.
        let base = 0.002 / arch.layers as f64;
        for set in params.chunks_exact_mut(s.n_params()) {
            let (qkv, p) = set.split_at_mut(s.p_offset());
            let sd_qkv = (base / s.width as f64).sqrt() / 0.879_625_661_034_239_8;
            let sd_p = (base / (s.heads * s.width) as f64).sqrt() / 0.879_625_661_034_239_8;
            for x in qkv {
                *x = (sd_qkv * truncated_normal(rng)) as f32;
            }
            for x in p {
                *x = (sd_p * truncated_normal(rng)) as f32;
            }
        }
        Model { arch, params }
    }

    /// The weights of layer `l`.
    pub fn layer_params(&self, l: usize) -> &[f32] {
        let np = self.arch.shape().n_params();
        let set = self.arch.set_of(l);
        &self.params[set * np..(set + 1) * np]
    }

    /// Prediction ŷ for one task's tokens (fills the workspace for `backward`).
    pub fn forward(&self, tokens: &[f32], ws: &mut Workspace) -> f32 {
        let s = self.arch.shape();
        let k = self.arch.layers;
        for l in 0..k {
            if l == 0 {
                ws.caches[0].e_in.copy_from_slice(tokens);
            } else {
                let (done, rest) = ws.caches.split_at_mut(l);
                rest[0].e_in.copy_from_slice(&done[l - 1].e_out);
            }
            lsa::forward(
                &s,
                self.layer_params(l),
                self.arch.row0(l),
                &mut ws.caches[l],
            );
        }
        -ws.caches[k - 1].e_out[self.arch.n * s.width + self.arch.d]
    }

    /// Backward from ∂L/∂ŷ = `g_yhat` after `forward` on the same workspace: adds ∂L/∂params to
    /// `grad`; with `input_grad`, leaves ∂L/∂tokens in `ws.input_grad()`.
    pub fn backward(&self, g_yhat: f32, ws: &mut Workspace, grad: &mut [f32], input_grad: bool) {
        let s = self.arch.shape();
        let np = s.n_params();
        ws.g.fill(0.0);
        ws.g[self.arch.n * s.width + self.arch.d] = -g_yhat;
        for l in (0..self.arch.layers).rev() {
            let set = self.arch.set_of(l);
            let want_in = l > 0 || input_grad;
            lsa::backward(
                &s,
                self.layer_params(l),
                self.arch.row0(l),
                &ws.caches[l],
                &mut ws.g,
                &mut grad[set * np..(set + 1) * np],
                if want_in { Some(&mut ws.g_next) } else { None },
                &mut ws.scratch,
            );
            if want_in {
                std::mem::swap(&mut ws.g, &mut ws.g_next);
            }
        }
    }

    /// Mean ½-squared-error over `tasks`; adds the gradient of that mean to `grad`. Linear
    /// attention runs on the SIMD engine of `batched.rs`, softmax on the reference path.
    pub fn loss_and_grad(&self, tasks: &Tasks, grad: &mut [f32], ws: &mut Workspace) -> f64 {
        match ws.batched.as_mut() {
            Some(b) => b.loss_and_grad(&self.params, tasks, grad),
            None => self.loss_and_grad_reference(tasks, grad, ws),
        }
    }

    /// The same loss and gradient through the reference path only (for tests and benches).
    pub fn loss_and_grad_reference(
        &self,
        tasks: &Tasks,
        grad: &mut [f32],
        ws: &mut Workspace,
    ) -> f64 {
        let inv_b = 1.0 / tasks.count as f32;
        let mut loss = 0.0f64;
        for k in 0..tasks.count {
            let r = self.forward(tasks.task_tokens(k), ws) - tasks.target(k);
            loss += 0.5 * (r as f64) * (r as f64);
            self.backward(r * inv_b, ws, grad, false);
        }
        loss / tasks.count as f64
    }

    /// Predictions ŷ for every task.
    pub fn predict(&self, tasks: &Tasks, ws: &mut Workspace) -> Vec<f32> {
        if let Some(b) = ws.batched.as_mut() {
            return b.predict(&self.params, tasks, false).0;
        }
        (0..tasks.count)
            .map(|k| self.forward(tasks.task_tokens(k), ws))
            .collect()
    }

    /// Predictions and the sensitivities ∂ŷ/∂x_q (`count × d`) for every task.
    pub fn predict_with_sensitivity(
        &self,
        tasks: &Tasks,
        ws: &mut Workspace,
    ) -> (Vec<f32>, Vec<f32>) {
        if let Some(b) = ws.batched.as_mut() {
            return b.predict(&self.params, tasks, true);
        }
        let (d, w) = (self.arch.d, self.arch.d + 1);
        let mut preds = Vec::with_capacity(tasks.count);
        let mut sens = Vec::with_capacity(tasks.count * d);
        let mut sink = vec![0.0; self.params.len()];
        for k in 0..tasks.count {
            preds.push(self.forward(tasks.task_tokens(k), ws));
            self.backward(1.0, ws, &mut sink, true);
            // The gradient of L = ŷ with respect to the query token's x entries.
            let row = &ws.input_grad()[self.arch.n * w..self.arch.n * w + d];
            sens.extend_from_slice(row);
        }
        (preds, sens)
    }
}

/// A unit normal truncated to [−2, 2] by rejection.
fn truncated_normal(rng: &mut Rng) -> f64 {
    loop {
        let z: f64 = StandardNormal.sample(rng);
        if z.abs() <= 2.0 {
            return z;
        }
    }
}
