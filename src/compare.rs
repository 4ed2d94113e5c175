//! What a run is compared with: the fixed evaluation tasks, the baselines on them (GD at η*,
//! GD++, preconditioned GD, OLS / ridge: see `baselines.rs`), the model's evaluations against
//! them (alignment metrics of `metrics.rs`), and the read-outs with their caches (the OOD table,
//! the η sweep, prediction pairs). The model itself is borrowed from the `Run` when needed.

use crate::baselines::{self, Predictions};
use crate::config::{Config, Tokens};
use crate::copy::{self, CopyNorms};
use crate::layerwise::{self, GdppStep, LayerRefs};
use crate::metrics::{self, Alignment};
use crate::model::{Arch, Model, Workspace};
use crate::rng::{self, Stream};
use crate::task::{TaskDist, Tasks};
use serde::Serialize;

/// The baselines on the evaluation tasks (computed once per run; `gd` again when the
/// reference η changes).
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

/// K steps of GD at a step size η, and their loss.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GdSteps {
    pub steps: usize,
    pub eta: f64,
    pub loss: f64,
}

impl Baselines {
    /// The steps of the learner `arch` is compared with, one per layer: one GD step at the
    /// reference η for K = 1 (and for classic tokens); GD++ (shared, or per step for deep
    /// models) from K = 2 on.
    pub fn compared_steps(&self, arch: &Arch) -> Vec<GdppStep> {
        if arch.layers == 1 || self.gd_steps == 1 {
            vec![GdppStep {
                eta: self.gd_eta,
                gamma: 0.0,
            }]
        } else {
            self.gdpp_steps.clone()
        }
    }

    /// Every baseline on `tasks`, with K = `cfg.compared_steps()` steps where a learner has
    /// steps (the layers, or one step for classic tokens).
    pub fn compute(tasks: &Tasks, cfg: &Config) -> Baselines {
        let k = cfg.compared_steps();
        let eta_star_1 = baselines::eta_star_one_step(tasks);
        let gd1_loss = baselines::gd(tasks, eta_star_1, 1).loss(tasks);
        let gd_eta_star = if k == 1 {
            eta_star_1
        } else {
            baselines::eta_star(tasks, k)
        };
        let gd_eta = cfg.gd_eta.unwrap_or(gd_eta_star);
        let gd = baselines::gd(tasks, gd_eta, k);
        let (gdpp_eta, gdpp_gamma) = baselines::gdpp_star(tasks, k);
        let gdpp_shared = baselines::gd_plus_plus(tasks, gdpp_eta, gdpp_gamma, k);
        let gdpp_loss = gdpp_shared.loss(tasks);
        let (gdpp_steps, gdpp_per_step) =
            layerwise::gdpp_steps(tasks, k, cfg.recurrent, gdpp_eta, gdpp_gamma);
        let gdpp = if gdpp_per_step {
            baselines::gd_plus_plus_steps(tasks, &gdpp_steps)
        } else {
            gdpp_shared
        };
        let ridge_lambda = cfg.noise * cfg.noise;
        let precond = baselines::input_preconditioner(tasks);
        let pgd_eta = baselines::eta_star_one_step_preconditioned(tasks, &precond);
        let pgd = baselines::gd_preconditioned(tasks, pgd_eta, 1, &precond);
        let gd_layers = (cfg.tokens == Tokens::Classic).then(|| {
            let eta = baselines::eta_star(tasks, cfg.layers);
            GdSteps {
                steps: cfg.layers,
                eta,
                loss: baselines::gd(tasks, eta, cfg.layers).loss(tasks),
            }
        });
        Baselines {
            gd_layers,
            zero_loss: baselines::zero_loss(tasks),
            eta_star_1,
            gd1_loss,
            gd_steps: k,
            gd_eta,
            gd_eta_star,
            gd_loss: gd.loss(tasks),
            gdpp_eta,
            gdpp_gamma,
            gdpp_loss,
            gdpp_steps_loss: gdpp.loss(tasks),
            gdpp_steps,
            gdpp_per_step,
            ols_loss: baselines::ridge(tasks, 0.0).loss(tasks),
            ridge_lambda,
            ridge_loss: baselines::ridge(tasks, ridge_lambda).loss(tasks),
            clip_norm: cfg.clip_norm(),
            pgd_eta,
            pgd_loss: pgd.loss(tasks),
            pgd,
            gd,
            gdpp,
        }
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

/// Loss, alignment with the reference GD (and preconditioned GD, GD++) and learned η/N of `model`.
pub fn evaluate(
    model: &Model,
    tasks: &Tasks,
    against: &Baselines,
    ws: &mut Workspace,
    step: usize,
) -> Evaluation {
    let (yhat, sens) = model.predict_with_sensitivity(tasks, ws);
    let y64: Vec<f64> = yhat.iter().map(|&v| v as f64).collect();
    let (dist_kq, dist_pv) =
        layerwise::construction_distance(model, &against.compared_steps(&model.arch));
    Evaluation {
        dist_kq,
        dist_pv,
        copy: model.arch.classic().then(|| copy::copy_norms(model, tasks)),
        step,
        loss: baselines::half_mse(&y64, tasks),
        alignment: metrics::alignment(&yhat, &sens, &against.gd, model.arch.d),
        alignment_pgd: metrics::alignment(&yhat, &sens, &against.pgd, model.arch.d),
        alignment_gdpp: metrics::alignment(&yhat, &sens, &against.gdpp, model.arch.d),
        // Classic tokens' weights hold no GD step size (`report::weights`).
        eta_over_n: if model.arch.classic() {
            f64::NAN
        } else {
            metrics::weight_view(model, 0, 0).eta_over_n
        },
        yhat,
        sens,
    }
}

/// The evaluation side of a run: tasks, baselines, the untrained and latest evaluations.
pub struct Comparison {
    pub eval_tasks: Tasks,
    pub baselines: Baselines,
    /// The model at initialisation, evaluated (the reference row of every metric).
    pub untrained: Evaluation,
    pub latest: Evaluation,
    /// Input dimension d (the alignment metrics compare d-dimensional sensitivities).
    d: usize,
    /// Baseline rows of the OOD table, per α: they never change during training.
    ood_baselines: Vec<OodRow>,
    /// The learners after every step 1..K, for the per-layer read-out (`layerwise`).
    pub layer_refs: LayerRefs,
}

impl Comparison {
    /// Samples the evaluation tasks from the `Eval` stream, computes the baselines on them and
    /// evaluates the untrained `model`.
    pub fn new(cfg: &Config, model: &Model, ws: &mut Workspace) -> Comparison {
        let eval_tasks = Tasks::sample(
            TaskDist::from_config(cfg),
            cfg.eval_tasks,
            &mut rng::stream(cfg.seed, Stream::Eval),
        );
        let baselines = Baselines::compute(&eval_tasks, cfg);
        let untrained = evaluate(model, &eval_tasks, &baselines, ws, 0);
        let layer_refs = LayerRefs::compute(
            &eval_tasks,
            baselines.gd_eta,
            baselines.gd_steps,
            &baselines.gdpp_steps,
        );
        Comparison {
            layer_refs,
            latest: untrained.clone(),
            untrained,
            eval_tasks,
            baselines,
            d: model.arch.d,
            ood_baselines: Vec::new(),
        }
    }

    /// Evaluate `model` at `step` as the latest evaluation.
    pub fn evaluate(&mut self, model: &Model, ws: &mut Workspace, step: usize) -> &Evaluation {
        self.latest = evaluate(model, &self.eval_tasks, &self.baselines, ws, step);
        &self.latest
    }

    /// Change the reference GD's step size (None = η*): the GD baseline and the alignments of the
    /// untrained and latest evaluations are recomputed.
    pub fn set_gd_eta(&mut self, eta: Option<f64>) {
        let b = &mut self.baselines;
        b.gd_eta = eta.unwrap_or(b.gd_eta_star);
        b.gd = baselines::gd(&self.eval_tasks, b.gd_eta, b.gd_steps);
        b.gd_loss = b.gd.loss(&self.eval_tasks);
        self.layer_refs.gd = layerwise::gd_prefixes(&self.eval_tasks, b.gd_eta, b.gd_steps);
        self.layer_refs.gd_eta = b.gd_eta;
        self.ood_baselines.clear(); // their GD column used the old η
        for e in [&mut self.latest, &mut self.untrained] {
            e.alignment = metrics::alignment(&e.yhat, &e.sens, &b.gd, self.d);
        }
    }

    /// Restart the comparison from `model` (a start from the construction): the untrained and
    /// latest evaluations become its.
    pub fn restart(&mut self, model: &Model, ws: &mut Workspace) {
        self.untrained = evaluate(model, &self.eval_tasks, &self.baselines, ws, 0);
        self.latest = self.untrained.clone();
    }
}

/// One row of the out-of-distribution table.
#[derive(Clone, Debug, Serialize)]
pub struct OodRow {
    pub alpha: f64,
    pub model: f64,
    pub gd: f64,
    pub gdpp: f64,
    /// Least squares (minimum-norm), and ridge with λ = σ² (equal to OLS without noise).
    pub ols: f64,
    pub ridge: f64,
    pub zero: f64,
}

/// The α grid of the OOD read-out (docs/science.md: GD blows up at α = 2, OLS stays exact).
pub const OOD_ALPHAS: [f64; 11] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0];

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
    /// evaluation tasks.
    pub fn prediction_pairs(&self, count: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        let c = count.min(self.eval_tasks.count);
        let targets = (0..c).map(|k| self.eval_tasks.target(k)).collect();
        (
            self.latest.yhat[..c].to_vec(),
            self.baselines.gd.yhat[..c].to_vec(),
            targets,
        )
    }

    /// Out-of-distribution losses: test inputs scaled by α (x ~ U(−α·r, α·r)) for `model`, GD and
    /// GD++ with the step sizes tuned at α = 1, OLS and ridge (λ = σ²).
    /// The baselines are computed once per α and cached; only the model is evaluated anew.
    pub fn ood(&mut self, model: &Model, ws: &mut Workspace, alphas: &[f64]) -> Vec<OodRow> {
        alphas
            .iter()
            .map(|&alpha| {
                let tasks = self.eval_tasks.scaled(alpha);
                let yhat: Vec<f64> = model
                    .predict(&tasks, ws)
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let mut row = self.ood_baseline_row(alpha, &tasks);
                row.model = baselines::half_mse(&yhat, &tasks);
                row
            })
            .collect()
    }

    /// The baseline columns of the OOD row at `alpha` (`tasks` = the evaluation tasks scaled by
    /// it), from the cache or computed and cached; `model` is left NaN.
    fn ood_baseline_row(&mut self, alpha: f64, tasks: &Tasks) -> OodRow {
        if let Some(r) = self.ood_baselines.iter().find(|r| r.alpha == alpha) {
            return r.clone();
        }
        let b = &self.baselines;
        let k = b.gd_steps;
        let r = OodRow {
            alpha,
            model: f64::NAN,
            gd: baselines::gd(tasks, b.gd_eta, k).loss(tasks),
            gdpp: if b.gdpp_per_step {
                baselines::gd_plus_plus_steps(tasks, &b.gdpp_steps).loss(tasks)
            } else {
                baselines::gd_plus_plus_loss(tasks, b.gdpp_eta, b.gdpp_gamma, k)
            },
            ols: baselines::ridge(tasks, 0.0).loss(tasks),
            ridge: baselines::ridge(tasks, b.ridge_lambda).loss(tasks),
            zero: baselines::zero_loss(tasks),
        };
        self.ood_baselines.push(r.clone());
        r
    }

    /// Alignment of the latest evaluated model with GD over a log grid of η around η*
    /// (critique 5: cosine stays flat, the L2 metrics have their minimum near η*).
    pub fn eta_sweep(&self, points: usize) -> Vec<SweepPoint> {
        let k = self.baselines.gd_steps;
        let centre = self.baselines.gd_eta_star;
        (0..points)
            .map(|i| {
                // From η*/10 to 4·η*, log-spaced (GD diverges soon above 2η*).
                let u = i as f64 / (points.max(2) - 1) as f64;
                let eta = centre * libm::exp(libm::log(0.1) + u * libm::log(40.0));
                let gd = baselines::gd(&self.eval_tasks, eta, k);
                let a = metrics::alignment(&self.latest.yhat, &self.latest.sens, &gd, self.d);
                SweepPoint {
                    eta,
                    gd_loss: gd.loss(&self.eval_tasks),
                    preds_diff: a.preds_diff,
                    model_cos: a.model_cos,
                    model_diff: a.model_diff,
                }
            })
            .collect()
    }
}
