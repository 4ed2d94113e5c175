//! The Trainer: one `Run` (model, optimiser, training history) and its `Comparison` (evaluation
//! tasks, references, read-outs), advanced together a chunk of steps at a time so the page's
//! worker stays responsive. Everything the page and the CLI show comes from here.
//!
//! The references arrive stage by stage (`references.rs`): all before training for the CLI
//! (`new`), a slice at a time between training chunks for the page (`new_staged`, then
//! `advance_references`). Evaluations recorded before a stage has arrived are kept, with the
//! weights they measured, and measured against it when it does: once every stage is there the
//! history holds the same numbers as a run that had them from the start.

use crate::compare::{compared_stage, Comparison, Evaluation, SweepPoint, MEASURED};
use crate::config::Config;
use crate::interpolate::{self, Interpolation};
use crate::layerwise::{self, LayerReadout};
use crate::model::Model;
use crate::references::{Arrival, OodRow, Stage};
use crate::run::{Run, Status};
use crate::shard::ShardGrad;
use crate::shift::{ShiftRow, Shifts};
use crate::staged::Clock;
use std::rc::Rc;

pub struct Trainer {
    pub run: Run,
    pub compare: Comparison,
    /// Evaluations (history index, the evaluation with its predictions, the weights it
    /// measured) recorded while a stage it is measured against (`MEASURED`) was still to come.
    awaiting: Vec<(usize, Evaluation, Model)>,
    /// The weights of the latest evaluation.
    latest_model: Model,
    /// The first history index measured anew since the last `take_revised`.
    revised_from: Option<usize>,
    /// A start from the construction waits for the learner it is the construction of.
    waiting_for_start: bool,
}

impl Trainer {
    /// A fresh run with every reference computed (the CLI; the same numbers as `new_staged`
    /// once all of its stages have arrived).
    pub fn new(cfg: Config) -> Trainer {
        let mut t = Trainer::new_staged(cfg, Clock::unlimited());
        t.advance_references(f64::INFINITY);
        t
    }

    /// A fresh run whose references are still to come (`advance_references`, a slice at a
    /// time on `clock`): it can train at once (from a random start; a start from the
    /// construction waits for it: `can_train`).
    pub fn new_staged(cfg: Config, clock: Rc<Clock>) -> Trainer {
        let mut run = Run::new(cfg.clone());
        let mut compare = Comparison::new(&cfg, &run.untrained, clock);
        let waiting_for_start = layerwise::starts_from_construction(&cfg);
        if waiting_for_start {
            // Not the random weights' η/N: the start is another model, still to come.
            compare.untrained.eta_over_n = f64::NAN;
            compare.latest.eta_over_n = f64::NAN;
        }
        run.history.push_eval(&compare.untrained);
        Trainer {
            latest_model: run.untrained.clone(),
            waiting_for_start,
            awaiting: Vec::new(),
            revised_from: None,
            run,
            compare,
        }
    }

    /// Whether training can go on now (not while a start from the construction is to come).
    pub fn can_train(&self) -> bool {
        !self.waiting_for_start
    }

    /// Compute the references for about `budget_ms` more (∞: to the end) and take in those that
    /// arrived; returns true once all are there.
    pub fn advance_references(&mut self, budget_ms: f64) -> bool {
        for arrival in self.compare.advance(budget_ms) {
            match arrival {
                Arrival::Untrained {
                    model,
                    yhat,
                    sens,
                    start,
                } => self.untrained_arrived(model, (yhat, sens), start),
                other => {
                    if let Some(stage) = self.compare.apply(other) {
                        self.measure_awaiting(stage);
                    }
                }
            }
        }
        self.compare.complete()
    }

    /// The untrained model's evaluation (with `start`: the start from the construction, which
    /// training begins from), measured against the stages there, in history row 0.
    fn untrained_arrived(&mut self, model: Model, preds: (Vec<f32>, Vec<f32>), start: bool) {
        if start {
            self.run.start_from(model.clone());
            self.latest_model = model.clone();
            self.waiting_for_start = false;
        }
        let tasks = self.compare.eval_tasks();
        let mut e = Evaluation::unmeasured(&model, tasks, preds, 0);
        let ready: Vec<Stage> = MEASURED
            .into_iter()
            .filter(|s| self.compare.ready(*s))
            .collect();
        for &stage in &ready {
            e.measure(&model, &self.compare.baselines, stage);
        }
        self.run.history.set_eval(0, &e);
        self.revise(0);
        if self.compare.latest.step == 0 {
            self.compare.latest = e.clone();
        }
        if ready.len() < MEASURED.len() {
            self.awaiting.insert(0, (0, e.clone(), model));
        }
        self.compare.untrained = e;
        self.compare.arrived(Stage::Untrained);
    }

    /// Measure the evaluations kept for `stage` (now there) and their history rows.
    fn measure_awaiting(&mut self, stage: Stage) {
        if !MEASURED.contains(&stage) {
            return;
        }
        let b = &self.compare.baselines;
        for (index, e, model) in &mut self.awaiting {
            e.measure(model, b, stage);
            self.run.history.set_eval(*index, e);
            self.revised_from = Some(self.revised_from.map_or(*index, |r| r.min(*index)));
        }
        self.compare
            .untrained
            .measure(&self.run.untrained, b, stage);
        self.compare.latest.measure(&self.latest_model, b, stage);
        if MEASURED.iter().all(|s| self.compare.ready(*s)) {
            self.awaiting.clear();
        }
    }

    fn revise(&mut self, index: usize) {
        self.revised_from = Some(self.revised_from.map_or(index, |r| r.min(index)));
    }

    /// The first history index measured anew since the last call (evaluations that a stage
    /// arriving completed), if any: the page's incremental snapshots resend from there.
    pub fn take_revised(&mut self) -> Option<usize> {
        self.revised_from.take()
    }

    /// Train up to `max_steps` more steps (fewer when the budget ends or the loss diverges),
    /// evaluating every `eval_every` steps and at the end. Returns the number of steps taken.
    pub fn advance(&mut self, max_steps: usize) -> usize {
        let mut done = 0;
        while done < max_steps && self.run.status == Status::Training && self.can_train() {
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
            || !self.can_train()
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
        self.latest_model = self.run.model.clone();
        if MEASURED.iter().any(|s| !self.compare.ready(*s)) {
            let index = self.run.history.eval_step.len() - 1;
            let e = self.compare.latest.clone();
            self.awaiting.push((index, e, self.latest_model.clone()));
        }
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

    /// The current model and every learner on prompts unlike training (`Comparison::shifts`),
    /// with the shifts the settings ask for.
    pub fn shifts(&mut self) -> Vec<ShiftRow> {
        let cfg = &self.run.cfg;
        let shifts = Shifts {
            kappa: cfg.test_aniso,
            rho: cfg.test_corr,
            mu: cfg.task_mean,
        };
        let arch = self.run.arch;
        let (model, ws) = self.run.model_and_workspace();
        self.compare.shifts(model, ws, &arch, &shifts)
    }

    /// Loss and alignment after every layer of the current model (`layerwise::readout`); the
    /// learners' columns are NaN until their stage has arrived. No rows for classic tokens,
    /// whose first layer only copies (it is compared with no GD step).
    pub fn layer_readout(&self) -> LayerReadout {
        if self.run.arch.classic() {
            return LayerReadout {
                step: self.run.step,
                per_step: false,
                recurrent: false,
                rows: Vec::new(),
            };
        }
        layerwise::readout(
            &self.run.model,
            self.compare.eval_tasks(),
            (
                &self.compare.baselines.compared_steps(&self.run.arch),
                self.compare.baselines.gdpp_per_step,
            ),
            &self.compare.layer_refs,
            self.run.step,
        )
    }

    /// The loss on the straight path from the current weights to the construction of the
    /// compared learner (`interpolate::path`); None for softmax attention and while that
    /// learner is still to come.
    pub fn interpolation(&self) -> Option<Interpolation> {
        if !self.compare.ready(compared_stage(&self.run.arch)) {
            return None;
        }
        let steps = self.compare.baselines.compared_steps(&self.run.arch);
        interpolate::path(
            &self.run.model,
            &steps,
            self.compare.eval_tasks(),
            self.run.step,
        )
    }

    /// Alignment of the latest evaluated model with GD over a log grid of η around η*.
    pub fn eta_sweep(&self, points: usize) -> Vec<SweepPoint> {
        self.compare.eta_sweep(points)
    }
}
