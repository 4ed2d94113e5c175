//! What a training run is: its settings, the model (and its untrained copy), Adam, the seeded
//! training shards and the history of what happened. It takes one optimisation step at a time,
//! on a fresh batch of tasks, on the ½-MSE of the query predictions (with `labels = shuffled`
//! the batch's context labels belong to other tasks: the label-blind control, see shard.rs).
//! What the model is compared with (evaluation tasks, baselines, read-outs) lives in `compare.rs`.

use crate::compare::Evaluation;
use crate::config::Config;
use crate::model::{Arch, Model, Workspace};
use crate::optim::Adam;
use crate::rng::{self, Stream};
use crate::shard::{self, ShardGrad, Sharder};
use serde::Serialize;

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Steps remain in the budget.
    Training,
    /// The step budget is spent.
    Done,
    /// The loss became non-finite or exploded; training stopped.
    Diverged,
}

/// A training loss above this many times the zero predictor's counts as diverged.
const DIVERGENCE_FACTOR: f64 = 1e4;

/// Per-step and per-evaluation records (struct of arrays, ready for charts and CSV).
#[derive(Clone, Debug, Default, Serialize)]
pub struct History {
    pub train_loss: Vec<f32>,
    pub eval_step: Vec<u32>,
    pub eval_loss: Vec<f64>,
    pub preds_diff: Vec<f64>,
    pub model_cos: Vec<f64>,
    pub model_diff: Vec<f64>,
    pub eta_over_n: Vec<f64>,
    /// The same alignment metrics against K-step GD++ (what multi-layer models are compared with).
    pub preds_diff_gdpp: Vec<f64>,
    pub model_cos_gdpp: Vec<f64>,
    pub model_diff_gdpp: Vec<f64>,
    /// Distance of the weights from the construction (see `Evaluation::dist_kq`).
    pub dist_kq: Vec<f64>,
    pub dist_pv: Vec<f64>,
}

impl History {
    /// Append one evaluation's headline numbers.
    pub fn push_eval(&mut self, e: &Evaluation) {
        self.eval_step.push(e.step as u32);
        self.eval_loss.push(e.loss);
        self.preds_diff.push(e.alignment.preds_diff);
        self.model_cos.push(e.alignment.model_cos);
        self.model_diff.push(e.alignment.model_diff);
        self.eta_over_n.push(e.eta_over_n);
        self.preds_diff_gdpp.push(e.alignment_gdpp.preds_diff);
        self.model_cos_gdpp.push(e.alignment_gdpp.model_cos);
        self.model_diff_gdpp.push(e.alignment_gdpp.model_diff);
        self.dist_kq.push(e.dist_kq);
        self.dist_pv.push(e.dist_pv);
    }

    /// Replace evaluation `index` (measured anew now that what it is measured against is there).
    pub fn set_eval(&mut self, index: usize, e: &Evaluation) {
        let mut one = History::default();
        one.push_eval(e);
        let fields = [
            (&mut self.eval_loss, one.eval_loss[0]),
            (&mut self.preds_diff, one.preds_diff[0]),
            (&mut self.model_cos, one.model_cos[0]),
            (&mut self.model_diff, one.model_diff[0]),
            (&mut self.eta_over_n, one.eta_over_n[0]),
            (&mut self.preds_diff_gdpp, one.preds_diff_gdpp[0]),
            (&mut self.model_cos_gdpp, one.model_cos_gdpp[0]),
            (&mut self.model_diff_gdpp, one.model_diff_gdpp[0]),
            (&mut self.dist_kq, one.dist_kq[0]),
            (&mut self.dist_pv, one.dist_pv[0]),
        ];
        for (column, value) in fields {
            column[index] = value;
        }
        self.eval_step[index] = e.step as u32;
    }

    /// Whether the last recorded evaluation was at `step`.
    pub fn evaluated_at(&self, step: usize) -> bool {
        self.eval_step.last() == Some(&(step as u32))
    }
}

pub struct Run {
    pub cfg: Config,
    pub arch: Arch,
    pub model: Model,
    /// The model at initialisation: the reference row of every metric (critique 5).
    pub untrained: Model,
    pub history: History,
    pub step: usize,
    pub status: Status,
    adam: Adam,
    sharder: Sharder,
    shards: Vec<ShardGrad>,
    grad: Vec<f32>,
    ws: Workspace,
}

impl Run {
    /// The model initialised from the `Init` stream; training batches come in shards (shard.rs).
    pub fn new(cfg: Config) -> Run {
        let arch = Arch::from_config(&cfg);
        let model = initial_model(&cfg);
        let n = model.params.len();
        let sharder = Sharder::new(&cfg, &model);
        let shards = (0..shard::count(cfg.batch))
            .map(|_| ShardGrad {
                loss: 0.0,
                grad: vec![0.0; n],
            })
            .collect();
        Run {
            adam: Adam::new(n, cfg.lr, cfg.clip_norm()),
            untrained: model.clone(),
            ws: Workspace::new(&arch),
            cfg,
            arch,
            model,
            history: History::default(),
            step: 0,
            status: Status::Training,
            sharder,
            shards,
            grad: vec![0.0; n],
        }
    }

    /// One Adam step on a fresh batch, its shards computed here one after the other.
    pub fn train_step(&mut self, zero_loss: f64) -> bool {
        let mut shards = std::mem::take(&mut self.shards);
        for (i, out) in shards.iter_mut().enumerate() {
            self.sharder.compute(&self.model, self.step, i, out);
        }
        let ok = self.apply_shards(&shards, zero_loss);
        self.shards = shards;
        ok
    }

    /// The batch's shards for the step about to be taken, computed by anyone (the page's worker
    /// pool): how many there are, and how to compute one.
    pub fn shard_count(&self) -> usize {
        shard::count(self.cfg.batch)
    }

    /// One Adam step with the batch's shards (in shard order), recording its training loss.
    /// Returns false (and marks the run diverged) when the loss is non-finite or above
    /// `DIVERGENCE_FACTOR` × `zero_loss`, or the step made a parameter non-finite; marks it done
    /// when the budget is spent.
    pub fn apply_shards(&mut self, shards: &[ShardGrad], zero_loss: f64) -> bool {
        let loss = shard::combine(self.cfg.batch, shards, &mut self.grad);
        self.history.train_loss.push(loss as f32);
        if !loss.is_finite() || loss > DIVERGENCE_FACTOR * zero_loss.max(1e-12) {
            self.status = Status::Diverged;
            return false;
        }
        self.adam.step(&mut self.model.params, &mut self.grad);
        if self.model.params.iter().any(|p| !p.is_finite()) {
            self.status = Status::Diverged;
            return false;
        }
        self.step += 1;
        if self.step >= self.cfg.steps {
            self.status = Status::Done;
        }
        true
    }

    /// Whether the current step is due for an evaluation (every `eval_every` steps, and at the end).
    pub fn eval_due(&self) -> bool {
        self.step.is_multiple_of(self.cfg.eval_every) || self.status != Status::Training
    }

    /// Start from `model` instead of the random initialisation (before any step).
    pub fn start_from(&mut self, model: Model) {
        self.untrained = model.clone();
        self.model = model;
    }

    /// The current model with the scratch space to run it (for evaluations and read-outs).
    pub fn model_and_workspace(&mut self) -> (&Model, &mut Workspace) {
        (&self.model, &mut self.ws)
    }
}

/// The model at step 0 of the run with these settings (the `Init` stream of its seed): the
/// untrained model a saved run is compared with, rebuilt without training.
pub fn initial_model(cfg: &Config) -> Model {
    Model::init(
        Arch::from_config(cfg),
        &mut rng::stream(cfg.seed, Stream::Init),
    )
}
