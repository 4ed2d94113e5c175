//! What a run shows, as plain serialisable data: the page's incremental `Snapshot` and the CLI's
//! full `Report` (also the page's "Download run"), and the curves as CSV. Non-finite numbers
//! serialise as `null` (and as empty CSV cells), so nothing downstream prints NaN.

use crate::compare::{Baselines, Evaluation, StageUnderway};
use crate::config::{Config, Notice};
use crate::construct;
use crate::copy::CopyNorms;
use crate::interpolate::Interpolation;
use crate::layerwise::{self, LayerReadout};
use crate::metrics::{self, Alignment, WeightView};
use crate::progress::Progress;
use crate::references::{OodRow, Stage, OOD_ALPHAS};
use crate::run::{History, Status};
use crate::shift::ShiftRow;
use crate::train::Trainer;
use serde::Serialize;

/// Headline numbers of one evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub step: usize,
    pub loss: f64,
    pub preds_diff: f64,
    pub model_cos: f64,
    pub model_diff: f64,
    pub eta_over_n: f64,
    /// The same alignment metrics against one step of preconditioned GD, and against GD++.
    pub pgd: Alignment,
    pub gdpp: Alignment,
    /// Classic tokens: the first layer's copy analysis (`copy.rs`); null for paired tokens.
    pub copy: Option<CopyNorms>,
}

impl From<&Evaluation> for Row {
    fn from(e: &Evaluation) -> Row {
        let Alignment {
            preds_diff,
            model_cos,
            model_diff,
        } = e.alignment;
        Row {
            step: e.step,
            loss: e.loss,
            preds_diff,
            model_cos,
            model_diff,
            eta_over_n: e.eta_over_n,
            pgd: e.alignment_pgd,
            gdpp: e.alignment_gdpp,
            copy: e.copy,
        }
    }
}

/// The learned weights beside the construction: every distinct (layer, head), the GD
/// construction's W_KQ and W_PV at the reference η and, from two layers on, the GD++
/// construction at its tuned (η, γ), which multi-layer models are compared with.
#[derive(Clone, Debug, Serialize)]
pub struct Weights {
    pub width: usize,
    pub learned: Vec<WeightView>,
    /// (Each construction is null, or empty, until the step sizes it is built from are there.)
    pub construction: Option<WeightView>,
    pub construction_gdpp: Option<WeightView>,
    /// Deep models (K ≥ 2, not recurrent): the construction of every layer's own step (GD++ with
    /// that step's fitted η_k, γ_k), one per layer; empty otherwise.
    pub construction_layers: Vec<WeightView>,
    /// With an MLP: the loss of the trained model with its MLP blocks switched off (W₂ = 0) on
    /// the evaluation tasks, which says how much of the answer the MLP gives (null without one).
    pub mlp_off_loss: Option<f64>,
}

/// None for classic tokens: their weights act on tokens of another shape (x and y apart, with a
/// position code), so no GD construction applies to them.
pub fn weights(t: &Trainer) -> Option<Weights> {
    let run = &t.run;
    if run.arch.classic() {
        return None;
    }
    let mut learned = Vec::new();
    for l in 0..run.arch.sets() {
        for h in 0..run.arch.heads {
            learned.push(metrics::weight_view(&run.model, l, h));
        }
    }
    let mut arch = run.arch;
    arch.softmax = false;
    arch.heads = 1;
    let (b, ready) = (&t.compare.baselines, |s| t.compare.ready(s));
    let construction = ready(Stage::Gd).then(|| {
        let model = construct::gd_model(arch, b.gd_eta);
        metrics::weight_view(&model, 0, 0)
    });
    let gdpp = (b.gd_steps >= 2 && ready(Stage::Gdpp)).then(|| {
        let model = construct::gd_plus_plus_model(arch, b.gdpp_eta, b.gdpp_gamma);
        metrics::weight_view(&model, 0, 0)
    });
    let construction_layers = if b.gdpp_per_step && ready(Stage::GdppSteps) {
        let model = layerwise::construction(arch, &b.gdpp_steps);
        (0..arch.sets())
            .map(|l| metrics::weight_view(&model, l, 0))
            .collect()
    } else {
        Vec::new()
    };
    // (Not before the evaluation tasks are drawn: a snapshot does not wait for them.)
    let mlp_off_loss = metrics::mlp_off(&run.model)
        .zip(t.compare.eval_drawn())
        .map(|(m, tasks)| m.loss(tasks, &mut crate::model::Workspace::new(&m.arch)));
    Some(Weights {
        mlp_off_loss,
        construction_layers,
        width: run.arch.d + 1,
        learned,
        construction,
        construction_gdpp: gdpp,
    })
}

/// Prediction pairs on the first evaluation tasks: transformer, reference GD and the truth.
#[derive(Clone, Debug, Serialize)]
pub struct Scatter {
    pub model: Vec<f32>,
    pub gd: Vec<f64>,
    pub target: Vec<f32>,
}

pub const SCATTER_TASKS: usize = 300;

pub fn scatter(t: &Trainer) -> Scatter {
    let (model, gd, target) = t.prediction_pairs(SCATTER_TASKS);
    Scatter { model, gd, target }
}

/// Evaluation records from index `from` on (struct of arrays).
#[derive(Clone, Debug, Serialize)]
pub struct EvalSlice {
    pub from: usize,
    pub step: Vec<u32>,
    pub loss: Vec<f64>,
    pub preds_diff: Vec<f64>,
    pub model_cos: Vec<f64>,
    pub model_diff: Vec<f64>,
    pub eta_over_n: Vec<f64>,
    pub preds_diff_gdpp: Vec<f64>,
    pub model_cos_gdpp: Vec<f64>,
    pub model_diff_gdpp: Vec<f64>,
    pub dist_kq: Vec<f64>,
    pub dist_pv: Vec<f64>,
    /// Classic tokens only (empty otherwise): the copy analysis, see `History`.
    pub copy_own: Vec<f64>,
    pub copy_next: Vec<f64>,
    pub copy_other: Vec<f64>,
    pub copy_attention: Vec<f64>,
}

fn eval_slice(h: &History, from: usize) -> EvalSlice {
    let from = from.min(h.eval_step.len());
    let tail = |v: &Vec<f64>| v.get(from..).map_or_else(Vec::new, <[f64]>::to_vec);
    EvalSlice {
        from,
        step: h.eval_step[from..].to_vec(),
        loss: h.eval_loss[from..].to_vec(),
        preds_diff: h.preds_diff[from..].to_vec(),
        model_cos: h.model_cos[from..].to_vec(),
        model_diff: h.model_diff[from..].to_vec(),
        eta_over_n: h.eta_over_n[from..].to_vec(),
        preds_diff_gdpp: h.preds_diff_gdpp[from..].to_vec(),
        model_cos_gdpp: h.model_cos_gdpp[from..].to_vec(),
        model_diff_gdpp: h.model_diff_gdpp[from..].to_vec(),
        dist_kq: h.dist_kq[from..].to_vec(),
        dist_pv: h.dist_pv[from..].to_vec(),
        copy_own: tail(&h.copy_own),
        copy_next: tail(&h.copy_next),
        copy_other: tail(&h.copy_other),
        copy_attention: tail(&h.copy_attention),
    }
}

/// What the page needs after a chunk of training: new history since the last snapshot, and
/// the current state of everything else.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub step: usize,
    pub steps: usize,
    pub status: Status,
    /// The stages of the references still being computed (`references::Stage`, in the order
    /// they come); left out once all are there. Their numbers are null until then.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Stage>,
    /// The one of them being computed, and how far through it (`references::Underway`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underway: Option<StageUnderway>,
    /// Whether training waits for its start (a start from the construction still to come).
    pub waiting: bool,
    pub train_from: usize,
    pub train_loss: Vec<f32>,
    pub evals: EvalSlice,
    pub latest: Row,
    pub untrained: Row,
    pub baselines: Baselines,
    /// When the run reached GD's (and its target learner's) loss; whether it has gone flat.
    pub progress: Progress,
    /// Only in full snapshots (they are the bulk of one; the page redraws them less often), and
    /// never for classic tokens (see [`weights`]).
    pub weights: Option<Weights>,
    pub scatter: Option<Scatter>,
    /// The read-out after every layer (when asked for, and once its references are there: it
    /// runs the model K times).
    pub layers: Option<LayerReadout>,
}

/// `full` adds the weight view and the prediction scatter, `layers` the per-layer read-out.
pub fn snapshot(
    t: &Trainer,
    train_from: usize,
    eval_from: usize,
    (full, layers): (bool, bool),
) -> Snapshot {
    let (run, cmp) = (&t.run, &t.compare);
    let train_from = train_from.min(run.history.train_loss.len());
    Snapshot {
        step: run.step,
        steps: run.cfg.steps,
        status: run.status,
        pending: cmp.pending.clone(),
        underway: cmp.underway(),
        waiting: !t.can_train(),
        train_from,
        train_loss: run.history.train_loss[train_from..].to_vec(),
        evals: eval_slice(&run.history, eval_from),
        latest: Row::from(&cmp.latest),
        untrained: Row::from(&cmp.untrained),
        baselines: cmp.baselines.clone(),
        progress: Progress::of(&run.history, &cmp.baselines, run.cfg.compared_steps()),
        weights: if full { weights(t) } else { None },
        scatter: full.then(|| scatter(t)),
        layers: (layers && cmp.ready(Stage::Layers)).then(|| t.layer_readout()),
    }
}

/// The CLI's complete account of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub config: Config,
    pub notices: Vec<Notice>,
    pub status: Status,
    pub steps_done: usize,
    pub seconds: f64,
    pub ms_per_step: f64,
    /// When the run reached GD's (and its target learner's) loss; whether it has gone flat.
    pub progress: Progress,
    pub final_eval: Row,
    pub untrained: Row,
    pub baselines: Baselines,
    /// The learned weights beside the construction; null for classic tokens.
    pub weights: Option<Weights>,
    pub ood: Vec<OodRow>,
    /// Prompts unlike training (`shift.rs`): the in-distribution row and one per shift that is on.
    pub shifts: Vec<ShiftRow>,
    /// The read-out after every layer, and the loss on the path from the trained weights to the
    /// construction (null for softmax attention).
    pub layers: LayerReadout,
    pub interpolation: Option<Interpolation>,
    pub curves: History,
    /// The final flat parameters (f32), so `icl-lab prompt --weights` can reuse the run.
    pub params: Vec<f32>,
}

pub fn report(t: &mut Trainer, notices: Vec<Notice>, seconds: f64) -> Report {
    t.advance_references(f64::INFINITY); // (a no-op for the CLI's runs: they have them all)
    let ood = t.ood(&OOD_ALPHAS);
    let shifts = t.shifts();
    let layers = t.layer_readout();
    let interpolation = t.interpolation();
    let (run, cmp) = (&t.run, &t.compare);
    Report {
        config: run.cfg.clone(),
        notices,
        status: run.status,
        steps_done: run.step,
        seconds,
        ms_per_step: if run.step > 0 {
            1e3 * seconds / run.step as f64
        } else {
            0.0
        },
        progress: Progress::of(&run.history, &cmp.baselines, run.cfg.compared_steps()),
        final_eval: Row::from(&cmp.latest),
        untrained: Row::from(&cmp.untrained),
        baselines: cmp.baselines.clone(),
        weights: weights(t),
        ood,
        shifts,
        layers,
        interpolation,
        curves: run.history.clone(),
        params: run.model.params.clone(),
    }
}

/// The header of [`curves_csv`]: the training step, then the columns of [`History`].
pub const CSV_HEADER: &str =
    "step,train_loss,eval_loss,preds_diff,model_cos,model_diff,eta_over_n,\
preds_diff_gdpp,model_cos_gdpp,model_diff_gdpp";

/// The curves as CSV (`icl-lab run --csv`, the page's curves download): one row per training
/// step; the evaluation columns are filled on evaluated steps only.
pub fn curves_csv(h: &History) -> String {
    let mut out = String::with_capacity(64 * (h.train_loss.len() + 2));
    out.push_str(CSV_HEADER);
    out.push('\n');
    let mut e = 0;
    for step in 0..=h.train_loss.len() {
        let train = if step == 0 {
            String::new()
        } else {
            cell(h.train_loss[step - 1] as f64)
        };
        if e < h.eval_step.len() && h.eval_step[e] as usize == step {
            let cols = [
                h.eval_loss[e],
                h.preds_diff[e],
                h.model_cos[e],
                h.model_diff[e],
                h.eta_over_n[e],
                h.preds_diff_gdpp[e],
                h.model_cos_gdpp[e],
                h.model_diff_gdpp[e],
            ];
            let cols: Vec<String> = cols.into_iter().map(cell).collect();
            out.push_str(&format!("{step},{train},{}\n", cols.join(",")));
            e += 1;
        } else if step > 0 {
            out.push_str(&format!("{step},{train},,,,,,,,\n"));
        }
    }
    out
}

/// Non-finite values are left empty rather than printed as NaN.
fn cell(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}
