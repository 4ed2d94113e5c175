//! The transformer: K layers (recurrent = one set of weights applied K times, or deep = K sets),
//! each H attention heads, linear or softmax, with an optional LayerNorm and MLP block
//! (block.rs), and the read-out ŷ = −(label entry of the query token after the last layer).
//! Parameters live in one flat vector (layout in `arch.rs`) so the optimiser, the gradient check
//! and the page see them the same way. Whole batches run on the engine `Arch::engine` names,
//! openly: the lane engine (`batched.rs`) for attention alone, linear or softmax; the reference
//! path, one task at a time, with LayerNorm or an MLP. One task at a time, and the tests' oracle,
//! always run on the reference path (`block.rs` over `lsa.rs`, `norm.rs`, `mlp.rs`). Both run
//! classic tokens too (`classic.rs`: x and y in separate tokens, a softmax layer then a linear
//! one).

pub use crate::arch::{Arch, Engine};
use crate::batched::Batched;
use crate::block::{self, BlockCache, BlockScratch};
use crate::classic;
use crate::rng::Rng;
use crate::task::Tasks;
use rand_distr::{Distribution, StandardNormal};

#[derive(Clone, Debug)]
pub struct Model {
    pub arch: Arch,
    pub params: Vec<f32>,
}

/// Buffers for forward and backward passes, reused across tasks and steps: those of the
/// reference path (always there: `Model::forward` / `backward` run one task at a time, and tests
/// compare the engines) and the lane engine's, made at the first whole batch on it (a workspace
/// that only answers single prompts never needs them; softmax's caches grow with K·H·N²).
#[derive(Clone, Debug)]
pub struct Workspace {
    caches: Vec<BlockCache>,
    scratch: BlockScratch,
    g: Vec<f32>,
    g_next: Vec<f32>,
    /// Classic tokens: their layout, and ∂/∂(the paired tokens the sequence was laid out
    /// from).
    layout: Option<classic::Layout>,
    g_paired: Vec<f32>,
    lanes: Option<Box<Batched>>,
}

impl Workspace {
    pub fn new(arch: &Arch) -> Self {
        let s = arch.shape();
        Workspace {
            caches: (0..arch.layers)
                .map(|layer| BlockCache::new(&arch.layer_shape(layer), arch.norm_before(layer)))
                .collect(),
            scratch: BlockScratch::new(&s),
            g: vec![0.0; s.tokens * s.width],
            g_next: vec![0.0; s.tokens * s.width],
            layout: arch.classic().then(|| classic::Layout::new(arch.d, arch.n)),
            g_paired: vec![
                0.0;
                if arch.classic() {
                    (arch.n + 1) * (arch.d + 1)
                } else {
                    0
                }
            ],
            lanes: None,
        }
    }
    /// The lane engine for `arch` (made on first use).
    fn lanes(&mut self, arch: &Arch) -> &mut Batched {
        self.lanes
            .get_or_insert_with(|| Box::new(Batched::new(arch)))
    }
    /// ∂(last backward's output)/∂(input tokens), `(N+1) × (d+1)` (for classic tokens, with
    /// respect to the paired tokens the sequence was laid out from).
    pub fn input_grad(&self) -> &[f32] {
        if self.g_paired.is_empty() {
            &self.g
        } else {
            &self.g_paired
        }
    }
    /// The token matrices after each layer of the last `forward` (the last layer's rows before
    /// the query are copies of its input).
    pub fn layer_outputs(&self) -> impl Iterator<Item = &[f32]> {
        self.caches.iter().map(|c| c.output())
    }
}

impl Model {
    /// The reference code's initialisation: truncated normal (±2σ) with variance
    /// 0.002 / (K · fan_in), where fan_in is d+1 for W_Q, W_K, W_V and the MLP's W_1, H·(d+1) for
    /// P and M for W_2; LayerNorm starts as Haiku's does, with scale 1 and offset 0. Its
    /// classic-token notebook uses 0.02 / (K · fan_in), with the wider tokens' fan_in.
    pub fn init(arch: Arch, rng: &mut Rng) -> Model {
        let s = arch.shape();
        let mut params = vec![0.0; arch.n_params()];
        // Haiku's VarianceScaling divides by the std of a unit normal truncated at ±2.
        let scale = if arch.classic() { 0.02 } else { 0.002 };
        let base = scale / arch.layers as f64;
        let sd = |fan_in: usize| (base / fan_in as f64).sqrt() / 0.879_625_661_034_239_8;
        let (w, m) = (s.width, s.mlp);
        for set in params.chunks_exact_mut(s.n_params()) {
            let (qkv, rest) = set.split_at_mut(s.p_offset());
            for x in qkv {
                *x = (sd(w) * truncated_normal(rng)) as f32;
            }
            for x in &mut rest[..w * s.p_stride()] {
                *x = (sd(s.heads * w) * truncated_normal(rng)) as f32;
            }
            if s.layernorm {
                set[s.norm_attn_offset()..][..w].fill(1.0);
                if m > 0 {
                    set[s.norm_mlp_offset()..][..w].fill(1.0);
                }
            }
            for x in &mut set[s.mlp_w1_offset()..s.mlp_w2_offset()] {
                *x = (sd(w) * truncated_normal(rng)) as f32;
            }
            for x in &mut set[s.mlp_w2_offset()..] {
                *x = (sd(m) * truncated_normal(rng)) as f32;
            }
        }
        Model { arch, params }
    }

    /// The weights of layer `layer`.
    pub fn layer_params(&self, layer: usize) -> &[f32] {
        self.arch.layer_params(&self.params, layer)
    }

    /// Prediction ŷ for one task's tokens through the reference path (fills the workspace for
    /// `backward`). `tokens` are the paired tokens `(N+1) × (d+1)` in both layouts: classic
    /// tokens are laid out from them (`classic::Layout`).
    pub fn forward(&self, tokens: &[f32], ws: &mut Workspace) -> f32 {
        let layers = self.arch.layers;
        for layer in 0..layers {
            if layer == 0 {
                let first = ws.caches[0].input_mut();
                match &ws.layout {
                    Some(layout) => layout.lay_out(tokens, first),
                    None => first.copy_from_slice(tokens),
                }
            } else {
                let (done, rest) = ws.caches.split_at_mut(layer);
                rest[0]
                    .input_mut()
                    .copy_from_slice(done[layer - 1].output());
            }
            block::forward(
                &self.arch.layer_shape(layer),
                self.layer_params(layer),
                self.arch.row0(layer),
                &mut ws.caches[layer],
            );
        }
        -ws.caches[layers - 1].output()[self.arch.readout_index()]
    }

    /// Backward from ∂L/∂ŷ = `g_yhat` after `forward` on the same workspace: adds ∂L/∂params to
    /// `grad`; with `input_grad`, leaves ∂L/∂tokens in `ws.input_grad()`.
    pub fn backward(&self, g_yhat: f32, ws: &mut Workspace, grad: &mut [f32], input_grad: bool) {
        let np = self.arch.shape().n_params();
        ws.g.fill(0.0);
        ws.g[self.arch.readout_index()] = -g_yhat;
        for layer in (0..self.arch.layers).rev() {
            let set = self.arch.set_of(layer);
            let want_in = layer > 0 || input_grad;
            block::backward(
                &self.arch.layer_shape(layer),
                self.layer_params(layer),
                self.arch.row0(layer),
                &mut ws.caches[layer],
                &mut ws.g,
                &mut grad[set * np..(set + 1) * np],
                if want_in { Some(&mut ws.g_next) } else { None },
                &mut ws.scratch,
            );
            if want_in {
                std::mem::swap(&mut ws.g, &mut ws.g_next);
            }
        }
        if let (true, Some(layout)) = (input_grad, &ws.layout) {
            layout.grad_to_paired(&ws.g, &mut ws.g_paired);
        }
    }

    /// Mean ½-squared-error over `tasks`; adds the gradient of that mean to `grad`, on the
    /// architecture's engine.
    pub fn loss_and_grad(&self, tasks: &Tasks, grad: &mut [f32], ws: &mut Workspace) -> f64 {
        match self.arch.engine() {
            Engine::Lanes => ws
                .lanes(&self.arch)
                .loss_and_grad(&self.params, tasks, grad),
            Engine::Reference => self.loss_and_grad_reference(tasks, grad, ws),
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
        for task in 0..tasks.count {
            let r = self.forward(tasks.task_tokens(task), ws) - tasks.target(task);
            loss += 0.5 * (r as f64) * (r as f64);
            self.backward(r * inv_b, ws, grad, false);
        }
        loss / tasks.count as f64
    }

    /// Predictions ŷ for every task, on the architecture's engine.
    pub fn predict(&self, tasks: &Tasks, ws: &mut Workspace) -> Vec<f32> {
        match self.arch.engine() {
            Engine::Lanes => ws.lanes(&self.arch).predict(&self.params, tasks, false).0,
            Engine::Reference => (0..tasks.count)
                .map(|k| self.forward(tasks.task_tokens(k), ws))
                .collect(),
        }
    }

    /// ½ mean squared error of its predictions against the query targets
    /// (`baselines::half_mse`).
    pub fn loss(&self, tasks: &Tasks, ws: &mut Workspace) -> f64 {
        let y: Vec<f64> = self.predict(tasks, ws).iter().map(|&v| v as f64).collect();
        crate::baselines::half_mse(&y, tasks)
    }

    /// Predictions and the sensitivities ∂ŷ/∂x_q (`count × d`) for every task, on the
    /// architecture's engine (both take them from the backward pass to the input tokens).
    pub fn predict_with_sensitivity(
        &self,
        tasks: &Tasks,
        ws: &mut Workspace,
    ) -> (Vec<f32>, Vec<f32>) {
        match self.arch.engine() {
            Engine::Lanes => ws.lanes(&self.arch).predict(&self.params, tasks, true),
            Engine::Reference => self.predict_with_sensitivity_reference(tasks, ws),
        }
    }

    /// The same predictions and sensitivities through the reference path only.
    pub fn predict_with_sensitivity_reference(
        &self,
        tasks: &Tasks,
        ws: &mut Workspace,
    ) -> (Vec<f32>, Vec<f32>) {
        let (d, w) = (self.arch.d, self.arch.d + 1);
        let mut preds = Vec::with_capacity(tasks.count);
        let mut sens = Vec::with_capacity(tasks.count * d);
        let mut sink = vec![0.0; self.params.len()];
        for task in 0..tasks.count {
            preds.push(self.forward(tasks.task_tokens(task), ws));
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
