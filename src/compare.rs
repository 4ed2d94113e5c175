//! What a run is compared with: the fixed evaluation tasks, the references on them (the
//! baselines of `baselines.rs`, the untrained model, the per-layer references, the OOD rows),
//! arriving stage by stage from `references.rs`, the model's evaluations against them (alignment
//! metrics of `metrics.rs`), and the read-outs with their caches (the OOD table, the η sweep,
//! prediction pairs). The model itself is borrowed from the `Run` when needed.
//!
//! Until a stage has arrived its numbers are NaN (null in JSON: the page shows them as being
//! computed), and so is every alignment or distance measured against it.

use crate::baselines::{self, Predictions};
use crate::config::Config;
use crate::copy::{self, CopyNorms};
use crate::layerwise::{self, GdppStep, LayerRefs};
use crate::metrics::{self, Alignment};
use crate::model::{Arch, Model, Workspace};
use crate::references::{self, Arrival, GdSteps, OodLearners, OodRow, Plan, Stage, Underway};
use crate::rng::{self, Stream};
use crate::shift::{self, ShiftRow, Shifts};
use crate::staged::{block_on, Clock, Job};
use crate::task::{LazyTasks, TaskDist, Tasks};
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;

/// The baselines on the evaluation tasks (each once per run, as its stage arrives; `gd` again
/// when the reference η changes).
#[derive(Clone, Debug, Serialize)]
pub struct Baselines {
    pub zero_loss: f64,
    /// η* of one GD step (closed form) and its loss.
    pub eta_star_1: f64,
    pub gd1_loss: f64,
    /// The K-step reference GD: its η (η* for K steps unless set by `gd_eta`), η* and loss.
    pub gd_steps: usize,
    pub gd_eta: f64,
    pub gd_eta_star: f64,
    pub gd_loss: f64,
    /// K-step GD++ with tuned (η, γ).
    pub gdpp_eta: f64,
    pub gdpp_gamma: f64,
    pub gdpp_loss: f64,
    /// The GD++ the model is compared with, one (η, γ) per step: for deep models (K ≥ 2, not
    /// recurrent) fitted per step (`layerwise::fit_per_step`), otherwise K copies of the shared
    /// pair; and its loss. Deep models' alignment "vs GD++" is against this per-step version.
    pub gdpp_steps: Vec<GdppStep>,
    pub gdpp_steps_loss: f64,
    pub gdpp_per_step: bool,
    pub ols_loss: f64,
    /// Ridge with λ = σ² (equal to OLS when σ = 0).
    pub ridge_lambda: f64,
    pub ridge_loss: f64,
    /// One step of GD preconditioned by the inverse input covariance, at its best η (equal to
    /// plain GD for isotropic inputs; critique 2 for anisotropic ones).
    pub pgd_eta: f64,
    pub pgd_loss: f64,
    /// The gradient-norm clip in force (`clip`, or the paper's rule when auto).
    pub clip_norm: f64,
    /// Classic tokens only: GD with as many steps as the model has layers, at its own η*. The
    /// model is compared with one GD step (its first layer only copies); this is the learner the
    /// same depth would match with paired tokens.
    pub gd_layers: Option<GdSteps>,
    #[serde(skip)]
    pub gd: Predictions,
    #[serde(skip)]
    pub gdpp: Predictions,
    #[serde(skip)]
    pub pgd: Predictions,
}

impl Baselines {
    /// The steps of the learner `arch` is compared with, one per layer: one GD step at the
    /// reference η for K = 1 (and for classic tokens, `Config::compared_steps`); GD++ (shared,
    /// or per step for deep models) from K = 2 on.
    pub fn compared_steps(&self, arch: &Arch) -> Vec<GdppStep> {
        if compared_stage(arch) == Stage::Gd {
            vec![GdppStep {
                eta: self.gd_eta,
                gamma: 0.0,
            }]
        } else {
            self.gdpp_steps.clone()
        }
    }

    /// Before any stage has arrived: the settings' numbers and the zero predictor's loss (needed
    /// from the first step: divergence is measured against it); every other number NaN.
    fn before(zero_loss: f64, cfg: &Config) -> Baselines {
        let nan = f64::NAN;
        let k = cfg.compared_steps();
        Baselines {
            zero_loss,
            eta_star_1: nan,
            gd1_loss: nan,
            gd_steps: k,
            gd_eta: nan,
            gd_eta_star: nan,
            gd_loss: nan,
            gdpp_eta: nan,
            gdpp_gamma: nan,
            gdpp_loss: nan,
            gdpp_steps: Vec::new(),
            gdpp_steps_loss: nan,
            gdpp_per_step: k >= 2 && !cfg.recurrent,
            ols_loss: nan,
            ridge_lambda: cfg.noise * cfg.noise,
            ridge_loss: nan,
            pgd_eta: nan,
            pgd_loss: nan,
            clip_norm: cfg.clip_norm(),
            gd_layers: None,
            gd: Predictions::default(),
            gdpp: Predictions::default(),
            pgd: Predictions::default(),
        }
    }
}

/// The stages an evaluation is measured against: the reference GD, preconditioned GD, GD++.
pub const MEASURED: [Stage; 3] = [Stage::Gd, Stage::Pgd, Stage::GdppSteps];

/// The stage of the learner whose construction the weights are compared with (`dist_kq`, the
/// interpolation path): the reference GD for one layer (and for classic tokens, compared with
/// one GD step), GD++ from two.
pub fn compared_stage(arch: &Arch) -> Stage {
    if arch.layers == 1 || arch.classic() {
        Stage::Gd
    } else {
        Stage::GdppSteps
    }
}

/// One evaluation of the model.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evaluation {
    pub step: usize,
    pub loss: f64,
    pub alignment: Alignment,
    /// Alignment with one step of preconditioned GD instead.
    pub alignment_pgd: Alignment,
    /// Alignment with K-step GD++ at its tuned (η, γ) (critique 3: deeper models track GD++).
    pub alignment_gdpp: Alignment,
    pub eta_over_n: f64,
    /// Distance of the weights from the construction of the compared learner's steps
    /// (‖W_KQ/β − C_KQ‖, ‖W_PV·β − C_PV‖, mean over weight sets; NaN for softmax).
    pub dist_kq: f64,
    pub dist_pv: f64,
    /// Classic tokens: the copy analysis of the first layer (`copy.rs`); None for paired tokens.
    pub copy: Option<CopyNorms>,
    #[serde(skip)]
    pub yhat: Vec<f32>,
    #[serde(skip)]
    pub sens: Vec<f32>,
}

impl Evaluation {
    /// The loss and learned η/N of `model` from its predictions and sensitivities; everything
    /// measured against a reference NaN until `measure`d.
    pub fn unmeasured(
        model: &Model,
        tasks: &Tasks,
        (yhat, sens): (Vec<f32>, Vec<f32>),
        step: usize,
    ) -> Evaluation {
        let y64: Vec<f64> = yhat.iter().map(|&v| v as f64).collect();
        Evaluation {
            step,
            loss: baselines::half_mse(&y64, tasks),
            copy: model.arch.classic().then(|| copy::copy_norms(model, tasks)),
            yhat,
            sens,
            ..Evaluation::to_come(model)
        }
    }

    /// An evaluation still to come: step 0 before the untrained model's has arrived (no
    /// predictions, loss NaN; its learned η/N, read from the weights, is there).
    pub fn to_come(model: &Model) -> Evaluation {
        let nan = f64::NAN;
        Evaluation {
            step: 0,
            loss: nan,
            alignment: Alignment::nan(),
            alignment_pgd: Alignment::nan(),
            alignment_gdpp: Alignment::nan(),
            // Classic tokens' weights hold no GD step size (`report::weights`).
            eta_over_n: if model.arch.classic() {
                nan
            } else {
                metrics::weight_view(model, 0, 0).eta_over_n
            },
            dist_kq: nan,
            dist_pv: nan,
            // A classic-token run records the copy at every evaluation, this one included.
            copy: model.arch.classic().then(CopyNorms::to_come),
            yhat: Vec::new(),
            sens: Vec::new(),
        }
    }

    /// The numbers measured against `stage`'s learner (of `b`, there now) for `model`'s
    /// evaluation: alignment with it and, if the weights are compared with its construction,
    /// their distance from it.
    pub fn measure(&mut self, model: &Model, b: &Baselines, stage: Stage) {
        if self.yhat.is_empty() {
            return; // not evaluated yet
        }
        let d = model.arch.d;
        let with = |p: &Predictions| metrics::alignment(&self.yhat, &self.sens, p, d);
        match stage {
            Stage::Gd => self.alignment = with(&b.gd),
            Stage::Pgd => self.alignment_pgd = with(&b.pgd),
            Stage::GdppSteps => self.alignment_gdpp = with(&b.gdpp),
            _ => {}
        }
        if stage == compared_stage(&model.arch) {
            (self.dist_kq, self.dist_pv) =
                layerwise::construction_distance(model, &b.compared_steps(&model.arch));
        }
    }
}

/// The evaluation side of a run: tasks, references, the untrained and latest evaluations.
pub struct Comparison {
    /// The evaluation tasks, drawn when first needed (`eval_tasks`).
    eval: Rc<LazyTasks>,
    pub baselines: Baselines,
    /// The model at initialisation, evaluated (the reference row of every metric).
    pub untrained: Evaluation,
    pub latest: Evaluation,
    /// The learners after every step 1..K, for the per-layer read-out (`layerwise`).
    pub layer_refs: LayerRefs,
    /// The stages still to arrive, in the order they come.
    pub pending: Vec<Stage>,
    /// Baseline rows of the OOD table, per α: they never change during training.
    ood_baselines: Vec<OodRow>,
    /// The learners' columns of the shift rows, with the reference GD's answers and its η.
    shift_baselines: Vec<(ShiftRow, Vec<f64>, f64)>,
    /// The computation of the references while it is under way.
    job: Option<Job<Arrival>>,
    /// The reference GD's η asked for (None: η*), shared with that computation.
    gd_eta: Rc<Cell<Option<f64>>>,
    /// Where that computation is (`underway`).
    at: Underway,
}

/// The stage being computed and how far through it (0 to 1; NaN, serialised as null, where its
/// work is not counted), for the page's status line.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct StageUnderway {
    pub stage: Stage,
    pub done: f64,
}

impl Comparison {
    /// Sets out to draw the evaluation tasks from the `Eval` stream and to compute every
    /// reference on them (`advance`, on `clock`; the tasks first, a part per slice) for a run
    /// starting from `model`. Only the zero predictor's loss is there at first, computed from the
    /// tasks' query targets alone (`LazyTasks::query_targets`).
    pub fn new(cfg: &Config, model: &Model, clock: Rc<Clock>) -> Comparison {
        let eval = Rc::new(LazyTasks::new(
            TaskDist::from_config(cfg),
            cfg.eval_tasks,
            rng::stream(cfg.seed, Stream::Eval),
        ));
        let gd_eta = Rc::new(Cell::new(cfg.gd_eta));
        let at = Underway::default();
        let plan = Plan {
            cfg: cfg.clone(),
            tasks: eval.clone(),
            model: model.clone(),
            gd_eta: gd_eta.clone(),
            underway: at.clone(),
        };
        let job = Job::new(clock, |clock, out| references::compute(plan, clock, out));
        let untrained = Evaluation::to_come(model);
        Comparison {
            baselines: Baselines::before(baselines::zero_loss_of(&eval.query_targets()), cfg),
            latest: untrained.clone(),
            untrained,
            eval,
            layer_refs: LayerRefs::default(),
            pending: Stage::ALL.to_vec(),
            ood_baselines: Vec::new(),
            shift_baselines: Vec::new(),
            job: Some(job),
            gd_eta,
            at,
        }
    }

    /// The evaluation tasks (drawn now if they were not: see `LazyTasks`).
    pub fn eval_tasks(&self) -> &Tasks {
        self.eval.get()
    }

    /// The evaluation tasks if they have been drawn (the page's snapshots do not wait for them).
    pub fn eval_drawn(&self) -> Option<&Tasks> {
        self.eval.drawn()
    }

    /// The stage being computed and how far through it, while it is still to arrive.
    pub fn underway(&self) -> Option<StageUnderway> {
        let (stage, done) = self.at.get()?;
        (!self.ready(stage)).then_some(StageUnderway { stage, done })
    }

    /// Whether `stage` has arrived.
    pub fn ready(&self, stage: Stage) -> bool {
        !self.pending.contains(&stage)
    }

    /// Whether every reference is there.
    pub fn complete(&self) -> bool {
        self.pending.is_empty()
    }

    /// `stage` is there now.
    pub fn arrived(&mut self, stage: Stage) {
        self.pending.retain(|s| *s != stage);
    }

    /// Compute the references for about `budget_ms` more (∞: to the end); returns what arrived
    /// meanwhile, to be applied in order (`apply`; the untrained model's by the `Trainer`).
    pub fn advance(&mut self, budget_ms: f64) -> Vec<Arrival> {
        let Some(job) = self.job.as_mut() else {
            return Vec::new();
        };
        let arrived = job.advance(budget_ms);
        if job.done() {
            self.job = None;
        }
        arrived
    }

    /// The reference GD's η asked for now, if known (η* only once it has arrived).
    fn wanted_gd_eta(&self) -> Option<f64> {
        let star = self
            .ready(Stage::EtaStar)
            .then_some(self.baselines.gd_eta_star);
        self.gd_eta.get().or(star)
    }

    /// Take in one stage's numbers; returns the stage, or None when they are no longer wanted
    /// (GD at an η the page has changed since). The untrained model's are the `Trainer`'s.
    pub fn apply(&mut self, arrival: Arrival) -> Option<Stage> {
        let b = &mut self.baselines;
        let stage = match arrival {
            Arrival::Gd1 { eta, loss } => {
                (b.eta_star_1, b.gd1_loss) = (eta, loss);
                Stage::Gd1
            }
            Arrival::Pgd { eta, loss, preds } => {
                (b.pgd_eta, b.pgd_loss, b.pgd) = (eta, loss, preds);
                Stage::Pgd
            }
            Arrival::EtaStar(eta) => {
                b.gd_eta_star = eta;
                Stage::EtaStar
            }
            Arrival::Gd { eta, loss, preds } => {
                if self.wanted_gd_eta() != Some(eta) {
                    return None;
                }
                let b = &mut self.baselines;
                (b.gd_eta, b.gd_loss, b.gd) = (eta, loss, preds);
                Stage::Gd
            }
            Arrival::Ols { ols, ridge } => {
                (b.ols_loss, b.ridge_loss) = (ols, ridge);
                Stage::Ols
            }
            Arrival::Gdpp { eta, gamma, loss } => {
                (b.gdpp_eta, b.gdpp_gamma, b.gdpp_loss) = (eta, gamma, loss);
                Stage::Gdpp
            }
            Arrival::GdppSteps {
                steps,
                per_step,
                loss,
                preds,
            } => {
                (b.gdpp_steps, b.gdpp_per_step) = (steps, per_step);
                (b.gdpp_steps_loss, b.gdpp) = (loss, preds);
                Stage::GdppSteps
            }
            Arrival::Layers(refs) => {
                self.layer_refs = refs;
                Stage::Layers
            }
            Arrival::GdLayers(g) => {
                b.gd_layers = g;
                Stage::GdLayers
            }
            Arrival::Ood { gd_eta, rows } => {
                if gd_eta == self.baselines.gd_eta {
                    self.ood_baselines = rows;
                }
                Stage::Ood
            }
            Arrival::Untrained { .. } => return None,
        };
        self.arrived(stage);
        // The per-layer GD follows the reference GD's η (it may have changed meanwhile).
        let b = &self.baselines;
        if self.ready(Stage::Layers) && self.ready(Stage::Gd) && self.layer_refs.gd_eta != b.gd_eta
        {
            self.layer_refs.gd = layerwise::gd_prefixes(self.eval.get(), b.gd_eta, b.gd_steps);
            self.layer_refs.gd_eta = b.gd_eta;
        }
        Some(stage)
    }

    /// Evaluate `model` at `step` as the latest evaluation, against the references there.
    pub fn evaluate(&mut self, model: &Model, ws: &mut Workspace, step: usize) -> &Evaluation {
        let tasks = self.eval.get();
        let mut e = Evaluation::unmeasured(
            model,
            tasks,
            model.predict_with_sensitivity(tasks, ws),
            step,
        );
        for stage in MEASURED {
            if self.ready(stage) {
                e.measure(model, &self.baselines, stage);
            }
        }
        self.latest = e;
        &self.latest
    }

    /// Change the reference GD's step size (None = η*): the GD baseline and the alignments of the
    /// untrained and latest evaluations are recomputed (when GD is not there yet, its stage
    /// computes it at this η; with η* not there yet either, it waits for η*).
    pub fn set_gd_eta(&mut self, eta: Option<f64>) {
        self.gd_eta.set(eta);
        let Some(eta) = self.wanted_gd_eta() else {
            let b = &mut self.baselines;
            (b.gd_eta, b.gd_loss, b.gd) = (f64::NAN, f64::NAN, Predictions::default());
            if self.ready(Stage::Gd) {
                self.pending.push(Stage::Gd);
            }
            (self.latest.alignment, self.untrained.alignment) =
                (Alignment::nan(), Alignment::nan());
            return;
        };
        if !self.ready(Stage::Gd) {
            return;
        }
        let layers = self.ready(Stage::Layers);
        let b = &mut self.baselines;
        b.gd_eta = eta;
        b.gd = baselines::gd(self.eval.get(), b.gd_eta, b.gd_steps);
        b.gd_loss = b.gd.loss(self.eval.get());
        if layers {
            self.layer_refs.gd = layerwise::gd_prefixes(self.eval.get(), b.gd_eta, b.gd_steps);
            self.layer_refs.gd_eta = b.gd_eta;
        }
        self.ood_baselines.clear(); // their GD column used the old η
        for e in [&mut self.latest, &mut self.untrained] {
            if !e.yhat.is_empty() {
                e.alignment = metrics::alignment(&e.yhat, &e.sens, &b.gd, self.eval.dist.d);
            }
        }
    }
}

/// One point of the η sweep: the current model against K-step GD with step size η.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    pub eta: f64,
    pub gd_loss: f64,
    pub preds_diff: f64,
    pub model_cos: f64,
    pub model_diff: f64,
}

/// The read-outs: views of the model against the baselines beyond the recorded evaluations.
impl Comparison {
    /// Latest model predictions and the reference GD's, with the targets, for the first `count`
    /// evaluation tasks (NaN, null in JSON, where one is still to come).
    pub fn prediction_pairs(&self, count: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        // (Nothing before the tasks are drawn: no prediction is there either.)
        let drawn = self.eval.drawn();
        let c = drawn.map_or(0, |t| count.min(t.count));
        let targets = drawn.map_or(Vec::new(), |t| (0..c).map(|k| t.target(k)).collect());
        let model = match self.latest.yhat.get(..c) {
            Some(m) => m.to_vec(),
            None => vec![f32::NAN; c],
        };
        let gd = match self.baselines.gd.yhat.get(..c) {
            Some(g) => g.to_vec(),
            None => vec![f64::NAN; c],
        };
        (model, gd, targets)
    }

    /// Out-of-distribution losses: test inputs scaled by α (x ~ U(−α·r, α·r)) for `model`, GD and
    /// GD++ with the step sizes tuned at α = 1, OLS and ridge (λ = σ²).
    /// The baselines come with the references (their last stage) or, at another α or after a
    /// change of GD's η, are computed once and cached; only the model is evaluated anew. None
    /// until that stage has arrived: the model's column alone would cost the page's worker as
    /// much time, without the baselines the table is about.
    pub fn ood(&mut self, model: &Model, ws: &mut Workspace, alphas: &[f64]) -> Vec<OodRow> {
        if !self.ready(Stage::Ood) {
            return Vec::new();
        }
        alphas
            .iter()
            .map(|&alpha| {
                let tasks = self.eval.get().scaled(alpha);
                let mut row = self.ood_baseline_row(alpha);
                row.model = model.loss(&tasks, ws);
                row
            })
            .collect()
    }

    /// Prompts unlike training (`shift.rs`): the in-distribution row, then one row per shift of
    /// `shifts` that is on, each on the evaluation tasks so shifted, with `model` and every
    /// learner recomputed on them (η, γ and λ as tuned on the training distribution). The
    /// learners' columns are computed once per shift and η and cached; only the model is
    /// evaluated anew. Empty until the references' last stage has arrived, as for `ood`.
    pub fn shifts(
        &mut self,
        model: &Model,
        ws: &mut Workspace,
        arch: &Arch,
        shifts: &Shifts,
    ) -> Vec<ShiftRow> {
        if !self.ready(Stage::Ood) {
            return Vec::new();
        }
        let compared = self.baselines.compared_steps(arch);
        let gd_eta = self.baselines.gd_eta;
        let mut rows = Vec::new();
        for which in std::iter::once(("none", 0.0)).chain(shifts.active()) {
            let tasks = shift::shifted(self.eval.get(), which);
            let cached = self
                .shift_baselines
                .iter()
                .position(|(r, _, eta)| (r.shift, r.value) == which && *eta == gd_eta);
            let at = cached.unwrap_or_else(|| {
                let b = &self.baselines;
                let learners = shift::Learners {
                    gd_eta,
                    gd_steps: b.gd_steps,
                    compared: &compared,
                    ridge_lambda: b.ridge_lambda,
                };
                let (row, gd) = shift::baseline_row(&tasks, which, &learners);
                if self.shift_baselines.len() >= 32 {
                    self.shift_baselines.remove(0); // (a learner moving a slider: keep the latest)
                }
                self.shift_baselines.push((row, gd, gd_eta));
                self.shift_baselines.len() - 1
            });
            let (row, gd, _) = &self.shift_baselines[at];
            let yhat: Vec<f64> = model
                .predict(&tasks, ws)
                .iter()
                .map(|&v| v as f64)
                .collect();
            rows.push(shift::with_model(row.clone(), &tasks, &yhat, gd));
        }
        rows
    }

    /// The baseline columns of the OOD row at `alpha`, from the cache or computed and cached
    /// (NaN while GD waits for η*); `model` is left NaN.
    fn ood_baseline_row(&mut self, alpha: f64) -> OodRow {
        if let Some(r) = self.ood_baselines.iter().find(|r| r.alpha == alpha) {
            return r.clone();
        }
        if !self.ready(Stage::Gd) {
            let nan = f64::NAN;
            return OodRow {
                alpha,
                model: nan,
                gd: nan,
                gdpp: nan,
                ols: nan,
                ridge: nan,
                zero: nan,
            };
        }
        let b = &self.baselines;
        let learners = OodLearners {
            gd_eta: b.gd_eta,
            steps: &b.gdpp_steps,
            ridge_lambda: b.ridge_lambda,
        };
        let r = block_on(references::ood_row(
            self.eval.get(),
            alpha,
            &learners,
            &Clock::unlimited(),
        ));
        self.ood_baselines.push(r.clone());
        r
    }

    /// Alignment of the latest evaluated model with GD over a log grid of η around η*
    /// (critique 5: cosine stays flat, the L2 metrics have their minimum near η*); empty until
    /// η* and an evaluation are there.
    pub fn eta_sweep(&self, points: usize) -> Vec<SweepPoint> {
        let k = self.baselines.gd_steps;
        let centre = self.baselines.gd_eta_star;
        if !self.ready(Stage::EtaStar) || self.latest.yhat.is_empty() {
            return Vec::new();
        }
        (0..points)
            .map(|i| {
                // From η*/10 to 4·η*, log-spaced (GD diverges soon above 2η*).
                let u = i as f64 / (points.max(2) - 1) as f64;
                let eta = centre * libm::exp(libm::log(0.1) + u * libm::log(40.0));
                let gd = baselines::gd(self.eval.get(), eta, k);
                let d = self.eval.dist.d;
                let a = metrics::alignment(&self.latest.yhat, &self.latest.sens, &gd, d);
                SweepPoint {
                    eta,
                    gd_loss: gd.loss(self.eval.get()),
                    preds_diff: a.preds_diff,
                    model_cos: a.model_cos,
                    model_diff: a.model_diff,
                }
            })
            .collect()
    }
}
