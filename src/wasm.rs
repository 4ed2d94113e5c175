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

    /// Change a setting that needs no retraining (`gd_eta`, `alpha`); returns notices as JSON.
    pub fn set_cheap(&mut self, key: &str, value: &str) -> Result<String, JsError> {
        let mut cfg = self.trainer.run.cfg.clone();
        let notice = cfg.set(key, value);
        match key {
            "gd_eta" => self.trainer.set_gd_eta(cfg.gd_eta),
            "alpha" => self.trainer.run.cfg.alpha = cfg.alpha,
            _ => {
                return Err(JsError::new(&format!(
                    "'{key}' changes training: start a new run to change it"
                )))
            }
        }
        json(&notice.into_iter().collect::<Vec<_>>())
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
        crate::prompt::eval_prompt_json(&self.trainer.compare.eval_tasks, index as usize)
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
