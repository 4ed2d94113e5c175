//! The Trainer: one `Run` (model, optimiser, training history) and its `Comparison` (evaluation
//! tasks, baselines, read-outs), advanced together a chunk of steps at a time so the page's
//! worker stays responsive. Everything the page and the CLI show comes from here.

use crate::compare::{Comparison, OodRow, SweepPoint};
use crate::config::Config;
use crate::interpolate::{self, Interpolation};
use crate::layerwise::{self, LayerReadout};
use crate::run::{Run, Status};
use crate::shard::ShardGrad;

pub struct Trainer {
    pub run: Run,
    pub compare: Comparison,
}

impl Trainer {
    /// A fresh run, its evaluation tasks and baselines, and the untrained model's evaluation.
    pub fn new(cfg: Config) -> Trainer {
        let mut run = Run::new(cfg.clone());
        let (model, ws) = run.model_and_workspace();
        let mut compare = Comparison::new(&cfg, model, ws);
        // `init = construction`: start from the construction of the learner compared with.
        let steps = compare.baselines.compared_steps(&run.arch);
        if let Some(start) = layerwise::initial_construction(&cfg, &steps, &run.model) {
            run.start_from(start);
            let (model, ws) = run.model_and_workspace();
            compare.restart(model, ws);
        }
        run.history.push_eval(&compare.untrained);
        Trainer { run, compare }
    }

    /// Train up to `max_steps` more steps (fewer when the budget ends or the loss diverges),
    /// evaluating every `eval_every` steps and at the end. Returns the number of steps taken.
    pub fn advance(&mut self, max_steps: usize) -> usize {
        let mut done = 0;
        while done < max_steps && self.run.status == Status::Training {
            if !self.run.train_step(self.compare.baselines.zero_loss) {
                break;
            }
            done += 1;
            if self.run.eval_due() {
                self.evaluate_now();
            }
        }
        done
    }

    /// One step with the batch's shards computed elsewhere (the page's worker pool; see
    /// shard.rs), evaluating when due, exactly as `advance(1)` would. Returns whether a step was
    /// taken.
    pub fn advance_with(&mut self, shards: &[ShardGrad]) -> bool {
        if self.run.status != Status::Training
            || !self
                .run
                .apply_shards(shards, self.compare.baselines.zero_loss)
        {
            return false;
        }
        if self.run.eval_due() {
            self.evaluate_now();
        }
        true
    }

    /// Evaluate the current model on the evaluation tasks and record it (unless this step was
    /// just recorded).
    pub fn evaluate_now(&mut self) {
        let step = self.run.step;
        if self.run.history.evaluated_at(step) {
            return;
        }
        let (model, ws) = self.run.model_and_workspace();
        let e = self.compare.evaluate(model, ws, step);
        self.run.history.push_eval(e);
    }

    /// Change the reference GD's step size (None = η*) without touching training: the GD
    /// baseline and the latest alignment are recomputed; the history keeps the old values.
    pub fn set_gd_eta(&mut self, eta: Option<f64>) {
        self.run.cfg.gd_eta = eta;
        self.compare.set_gd_eta(eta);
    }

    /// Model predictions (latest evaluation) and the reference GD's, for the first `count` tasks.
    pub fn prediction_pairs(&self, count: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        self.compare.prediction_pairs(count)
    }

    /// Out-of-distribution losses of the current model and the baselines (see `Comparison::ood`).
    pub fn ood(&mut self, alphas: &[f64]) -> Vec<OodRow> {
        let (model, ws) = self.run.model_and_workspace();
        self.compare.ood(model, ws, alphas)
    }

    /// Loss and alignment after every layer of the current model (`layerwise::readout`).
    pub fn layer_readout(&self) -> LayerReadout {
        layerwise::readout(
            &self.run.model,
            &self.compare.eval_tasks,
            (
                &self.compare.baselines.compared_steps(&self.run.arch),
                self.compare.baselines.gdpp_per_step,
            ),
            &self.compare.layer_refs,
            self.run.step,
        )
    }

    /// The loss on the straight path from the current weights to the construction of the
    /// compared learner (`interpolate::path`); None for softmax attention.
    pub fn interpolation(&self) -> Option<Interpolation> {
        let steps = self.compare.baselines.compared_steps(&self.run.arch);
        interpolate::path(
            &self.run.model,
            &steps,
            &self.compare.eval_tasks,
            self.run.step,
        )
    }

    /// Alignment of the latest evaluated model with GD over a log grid of η around η*.
    pub fn eta_sweep(&self, points: usize) -> Vec<SweepPoint> {
        self.compare.eta_sweep(points)
    }
}
