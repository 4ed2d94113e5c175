//! The browser boundary, and the only file that imports wasm-bindgen: a `Lab` handle that the
//! page's Web Worker owns. Everything crosses as JSON text (small, and serde turns NaN into
//! null); errors cross as `JsError` with a sentence a learner can act on.

use crate::config::Config;
use crate::link;
use crate::model::{Arch, Model};
use crate::presets::PRESETS;
use crate::prompt::{Frozen, Learners, Request};
use crate::references::OOD_ALPHAS;
use crate::report;
use crate::run;
use crate::shard::{self, ShardGrad, Sharder};
use crate::staged::Clock;
use crate::train::Trainer;
use wasm_bindgen::prelude::*;

fn json<T: serde::Serialize>(v: &T) -> Result<String, JsError> {
    serde_json::to_string(v)
        .map_err(|e| JsError::new(&format!("could not encode the lab's state: {e}")))
}

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The parameter schema (the page builds its controls from it).
#[wasm_bindgen]
pub fn schema() -> String {
    Config::schema_json()
}

/// The named presets: [{name, title, description, query}].
#[wasm_bindgen]
pub fn presets() -> Result<String, JsError> {
    json(&PRESETS)
}

/// What a link asks for beyond its run (link.rs): `{pins, present, notices}`, the pinned runs'
/// canonical settings, presenter mode and every correction. The page reads it before it trains
/// the pinned runs again.
#[wasm_bindgen]
pub fn read_link(query: &str) -> Result<String, JsError> {
    let (_, view, notices) = link::parse(query);
    json(&serde_json::json!({ "pins": view.pins, "present": view.present, "notices": notices }))
}

/// The names a link's classroom keys accept: {panels, cards, lock}, and the guided tour's number
/// of steps, tour_steps (link.rs).
#[wasm_bindgen]
pub fn view_parts() -> String {
    link::parts_json()
}

/// A link's canonical query (link.rs: validated settings, then the view keys), its notices
/// dropped: what the page's own link builder (www/link.js) must agree with.
#[wasm_bindgen]
pub fn canonical_link(query: &str) -> String {
    let (cfg, view, _) = link::parse(query);
    link::to_query(&cfg, &view)
}

/// One training run, set up from a URL query string.
#[wasm_bindgen]
pub struct Lab {
    trainer: Trainer,
    notices: Vec<crate::config::Notice>,
    view: link::View,
}

#[wasm_bindgen]
impl Lab {
    /// Validates `query`, a link (link.rs: the settings and the view keys such as `prompt`);
    /// never fails on bad values: they are corrected or dropped and reported by `notices`.
    /// Samples the evaluation tasks; the baselines and the other references come later
    /// (`advance_references`), so training can start at once.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Lab {
        let (cfg, view, notices) = link::parse(query);
        Lab {
            trainer: Trainer::new_staged(cfg, Clock::new(js_sys::Date::now)),
            notices,
            view,
        }
    }

    /// The link's validated prompt code (canonical), or undefined when it had none or a bad one.
    pub fn prompt_code(&self) -> Option<String> {
        self.view.prompt.clone()
    }

    /// Whether the link asked for presenter mode (`present=true`, validated by link.rs).
    pub fn present(&self) -> bool {
        self.view.present
    }

    /// The link's pinned runs (link.rs), each as its settings' canonical query, as JSON.
    pub fn pins(&self) -> Result<String, JsError> {
        json(&self.view.pins)
    }

    /// What the link asked the page to show (link::View: prompt, present, pins, workers, lock,
    /// hide, view, autoplay, tour), validated, as JSON.
    pub fn view(&self) -> Result<String, JsError> {
        json(&self.view)
    }

    /// The trained model's flat parameters now (for a `PromptView` on the page's main thread).
    pub fn params(&self) -> Vec<f32> {
        self.trainer.run.model.params.clone()
    }

    /// The untrained model's flat parameters.
    pub fn untrained_params(&self) -> Vec<f32> {
        self.trainer.run.untrained.params.clone()
    }

    /// The learners' step sizes a prompt is compared with (prompt::Learners), as JSON.
    pub fn learners(&self) -> Result<String, JsError> {
        json(&Learners::from_baselines(&self.trainer.compare.baselines))
    }

    /// The corrections made to the query: [{key, message}].
    pub fn notices(&self) -> Result<String, JsError> {
        json(&self.notices)
    }

    /// Every setting after validation.
    pub fn config(&self) -> Result<String, JsError> {
        json(&self.trainer.run.cfg)
    }

    /// The canonical query string: only non-default settings.
    pub fn query(&self) -> String {
        self.trainer.run.cfg.to_query()
    }

    /// Train up to `max_steps` steps; returns how many were taken (none while `can_train` is
    /// false).
    pub fn advance(&mut self, max_steps: u32) -> u32 {
        self.trainer.advance(max_steps as usize) as u32
    }

    /// Compute the references for about `budget_ms` more (references.rs, a slice at a time);
    /// true once all are there.
    pub fn advance_references(&mut self, budget_ms: f64) -> bool {
        self.trainer.advance_references(budget_ms)
    }

    /// Whether every reference is there.
    pub fn references_done(&self) -> bool {
        self.trainer.compare.complete()
    }

    /// How many stages of the references are still to come.
    pub fn pending(&self) -> u32 {
        self.trainer.compare.pending.len() as u32
    }

    /// Whether training can go on (a start from the construction waits for its learner).
    pub fn can_train(&self) -> bool {
        self.trainer.can_train()
    }

    pub fn step(&self) -> u32 {
        self.trainer.run.step as u32
    }

    /// How many workers the link asks to share the training (`workers=N`); 0: one per core.
    pub fn workers(&self) -> u32 {
        self.view.workers.unwrap_or(0)
    }

    /// How many shards a training step's batch has (shard.rs): the work the pool shares.
    pub fn shard_count(&self) -> u32 {
        self.trainer.run.shard_count() as u32
    }

    /// One training step with its shards computed by the pool's `ShardWorker`s (all of them, in
    /// shard order, `[loss, grad…]` each); the same step `advance(1)` would take. Returns whether
    /// a step was taken.
    pub fn advance_with(&mut self, shards: &[f64]) -> Result<bool, JsError> {
        let n = self.trainer.run.model.params.len();
        let shards = shard::unflatten(shards, n)
            .filter(|s| s.len() == self.trainer.run.shard_count())
            .ok_or_else(|| JsError::new("the worker pool sent shards that do not fit this run"))?;
        Ok(self.trainer.advance_with(&shards))
    }

    /// "training", "done" or "diverged".
    pub fn status(&self) -> String {
        serde_json::to_value(self.trainer.run.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }

    /// History since (`train_from`, `eval_from`) and the current state (see report::Snapshot);
    /// `full` adds the weights and the prediction scatter, `layers` the per-layer read-out.
    /// Evaluations measured anew since the last snapshot (a reference arrived) are sent again.
    pub fn snapshot(
        &mut self,
        train_from: u32,
        eval_from: u32,
        full: bool,
        layers: bool,
    ) -> Result<String, JsError> {
        let eval_from = match self.trainer.take_revised() {
            Some(r) => r.min(eval_from as usize),
            None => eval_from as usize,
        };
        json(&report::snapshot(
            &self.trainer,
            train_from as usize,
            eval_from,
            (full, layers),
        ))
    }

    /// Change a setting that needs no retraining (`gd_eta`, and the test-time settings `alpha`,
    /// `test_aniso`, `test_corr`, `task_mean`); returns notices as JSON.
    pub fn set_cheap(&mut self, key: &str, value: &str) -> Result<String, JsError> {
        let mut cfg = self.trainer.run.cfg.clone();
        let notice = cfg.set(key, value);
        match key {
            "gd_eta" => self.trainer.set_gd_eta(cfg.gd_eta),
            "alpha" => self.trainer.run.cfg.alpha = cfg.alpha,
            "test_aniso" => self.trainer.run.cfg.test_aniso = cfg.test_aniso,
            "test_corr" => self.trainer.run.cfg.test_corr = cfg.test_corr,
            "task_mean" => self.trainer.run.cfg.task_mean = cfg.task_mean,
            _ => {
                return Err(JsError::new(&format!(
                    "'{key}' changes training: start a new run to change it"
                )))
            }
        }
        json(&notice.into_iter().collect::<Vec<_>>())
    }

    /// The run so far as the CLI's report (`icl-lab run --json`, report::Report), computed by the
    /// engine: `seconds` is the training time the page measured. `icl-lab check` re-runs it.
    pub fn report(&mut self, seconds: f64) -> Result<String, JsError> {
        let notices = self.notices.clone();
        let rep = report::report(&mut self.trainer, notices, seconds);
        serde_json::to_string_pretty(&rep)
            .map(|text| text + "\n")
            .map_err(|e| JsError::new(&format!("could not encode the run's report: {e}")))
    }

    /// The curves so far as CSV, the columns of `icl-lab run --csv`.
    pub fn curves_csv(&self) -> String {
        report::curves_csv(&self.trainer.run.history)
    }

    /// Prompts unlike training: the in-distribution row and one per shift that is on
    /// (`shift.rs`); empty until the references are all there.
    pub fn shifts(&mut self) -> Result<String, JsError> {
        json(&self.trainer.shifts())
    }

    /// Out-of-distribution losses over the α grid, plus the row at the chosen α.
    pub fn ood(&mut self) -> Result<String, JsError> {
        let mut alphas = OOD_ALPHAS.to_vec();
        let a = self.trainer.run.cfg.alpha;
        if !alphas.contains(&a) {
            alphas.push(a);
            alphas.sort_by(f64::total_cmp);
        }
        json(&self.trainer.ood(&alphas))
    }

    /// The loss on the path from the current weights to the construction (interpolate.rs), or
    /// null for softmax attention.
    pub fn interpolation(&self) -> Result<String, JsError> {
        json(&self.trainer.interpolation())
    }

    /// The current model's alignment with GD over a grid of η.
    pub fn eta_sweep(&self, points: u32) -> Result<String, JsError> {
        json(&self.trainer.eta_sweep(points.clamp(2, 200) as usize))
    }

    /// Every learner's answer to one prompt (JSON in and out; see prompt.rs).
    pub fn prompt(&self, prompt_json: &str) -> Result<String, JsError> {
        crate::prompt::answer_json(&self.trainer, prompt_json).map_err(|e| JsError::new(&e.0))
    }

    /// Evaluation task `index` (modulo their number) as a prompt:
    /// {index, count, examples, query, target}.
    pub fn eval_prompt(&self, index: u32) -> String {
        crate::prompt::eval_prompt_json(self.trainer.compare.eval_tasks(), index as usize)
    }

    /// A prompt's URL code, and back (the value of the page's `prompt` key; see prompt.rs).
    pub fn prompt_to_url(&self, prompt_json: &str) -> Result<String, JsError> {
        crate::prompt::url_from_json(prompt_json, &self.trainer.run.cfg)
            .map_err(|e| JsError::new(&e.0))
    }
    pub fn prompt_from_url(&self, code: &str) -> Result<String, JsError> {
        crate::prompt::json_from_url(code, &self.trainer.run.cfg).map_err(|e| JsError::new(&e.0))
    }
}

/// One prompt answered on the page's main thread, so that dragging an example never waits for
/// the training worker: a frozen copy of the run (its settings, the trained and untrained
/// parameters and the learners' step sizes, all sent by the worker's `Lab`) and the same
/// `prompt::Frozen::answer` as `Lab::prompt`. Every number is still the engine's.
#[wasm_bindgen]
pub struct PromptView {
    cfg: Config,
    model: Model,
    untrained: Model,
    learners: Learners,
}

fn learners_from_json(text: &str) -> Result<Learners, JsError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| JsError::new(&format!("bad learners: {e}")))?;
    // A step size still being computed is null: NaN here, and those learners answer null.
    let f = |k: &str| match v.get(k) {
        Some(serde_json::Value::Null) => Ok(f64::NAN),
        Some(x) => x
            .as_f64()
            .ok_or_else(|| JsError::new(&format!("bad learners: '{k}' is not a number"))),
        None => Err(JsError::new(&format!("bad learners: '{k}' is missing"))),
    };
    Ok(Learners {
        gd_eta: f("gd_eta")?,
        gd_steps: f("gd_steps")? as usize,
        gdpp_eta: f("gdpp_eta")?,
        gdpp_gamma: f("gdpp_gamma")?,
        ridge_lambda: f("ridge_lambda")?,
    })
}

#[wasm_bindgen]
impl PromptView {
    /// `query`: the run's canonical settings (`Lab::query`); `untrained`: `Lab::untrained_params`;
    /// `learners`: `Lab::learners`. The trained parameters start as the untrained ones until
    /// `set_model`.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str, untrained: Vec<f32>, learners: &str) -> Result<PromptView, JsError> {
        let (cfg, _) = Config::from_query(query);
        let arch = Arch::from_config(&cfg);
        if untrained.len() != arch.n_params() {
            return Err(JsError::new(&format!(
                "the untrained model has {} parameters, but these settings need {}",
                untrained.len(),
                arch.n_params()
            )));
        }
        Ok(PromptView {
            model: Model {
                arch,
                params: untrained.clone(),
            },
            untrained: Model {
                arch,
                params: untrained,
            },
            learners: learners_from_json(learners)?,
            cfg,
        })
    }

    /// The trained model's parameters now (`Lab::params`) and the learners (`Lab::learners`).
    pub fn set_model(&mut self, params: Vec<f32>, learners: &str) -> Result<(), JsError> {
        if params.len() != self.untrained.params.len() {
            return Err(JsError::new(
                "the parameters do not fit this run's settings",
            ));
        }
        self.learners = learners_from_json(learners)?;
        self.model.params = params;
        Ok(())
    }

    /// The untrained model's parameters (`Lab::untrained_params`): a start from the
    /// construction arrives after the run has begun.
    pub fn set_untrained(&mut self, params: Vec<f32>) -> Result<(), JsError> {
        if params.len() != self.untrained.params.len() {
            return Err(JsError::new(
                "the parameters do not fit this run's settings",
            ));
        }
        self.untrained.params = params;
        Ok(())
    }

    /// Every learner's answer to one JSON prompt (see prompt.rs), as JSON.
    pub fn answer(&self, prompt_json: &str) -> Result<String, JsError> {
        let req: Request = crate::prompt::parse_json(prompt_json, self.cfg.d, self.cfg.n)
            .map_err(|e| JsError::new(&e.0))?;
        let frozen = Frozen {
            cfg: &self.cfg,
            model: &self.model,
            untrained: &self.untrained,
            learners: self.learners,
        };
        let ans = frozen.answer(&req).map_err(|e| JsError::new(&e.0))?;
        json(&ans)
    }

    /// The URL code of a JSON prompt (the value of the link's `prompt` key; see link.rs).
    pub fn code(&self, prompt_json: &str) -> Result<String, JsError> {
        crate::prompt::url_from_json(prompt_json, &self.cfg).map_err(|e| JsError::new(&e.0))
    }

    /// The JSON prompt of a URL code (validated for this run's d and N).
    pub fn from_code(&self, code: &str) -> Result<String, JsError> {
        crate::prompt::json_from_url(code, &self.cfg).map_err(|e| JsError::new(&e.0))
    }
}

/// A pool worker's engine (www/shardworker.js): computes shards of the training steps of the run
/// of `query` for the page's worker pool. It holds no optimiser and no history: the `Lab` sends
/// the weights of every step and adds the shards up in shard order.
#[wasm_bindgen]
pub struct ShardWorker {
    model: Model,
    sharder: Sharder,
    out: ShardGrad,
}

#[wasm_bindgen]
impl ShardWorker {
    /// `query` is the Lab's canonical query (`Lab::query`), so it needs no correction.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> ShardWorker {
        let (cfg, _) = Config::from_query(query);
        let model = run::initial_model(&cfg);
        ShardWorker {
            sharder: Sharder::new(&cfg, &model),
            out: ShardGrad {
                loss: 0.0,
                grad: vec![0.0; model.params.len()],
            },
            model,
        }
    }

    /// Shards `from..to` of training step `step` at weights `params`, flat (`[loss, grad…]` each).
    pub fn compute(
        &mut self,
        params: &[f32],
        step: u32,
        from: u32,
        to: u32,
    ) -> Result<Vec<f64>, JsError> {
        if params.len() != self.model.params.len() {
            return Err(JsError::new(
                "the weights sent to a pool worker do not fit its run",
            ));
        }
        self.model.params.copy_from_slice(params);
        let mut flat = Vec::with_capacity((to.saturating_sub(from) as usize) * (params.len() + 1));
        for i in from..to {
            self.sharder
                .compute(&self.model, step as usize, i as usize, &mut self.out);
            shard::flatten(&self.out, &mut flat);
        }
        Ok(flat)
    }
}
