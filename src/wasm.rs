//! The browser boundary, and the only file that imports wasm-bindgen: a `Lab` handle that the
//! page's Web Worker owns. Everything crosses as JSON text (small, and serde turns NaN into
//! null); errors cross as `JsError` with a sentence a learner can act on.

use crate::compare::OOD_ALPHAS;
use crate::config::Config;
use crate::presets::PRESETS;
use crate::report;
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
}

#[wasm_bindgen]
impl Lab {
    /// Validates `query` (never fails on bad values: they are corrected and reported by
    /// `notices`), samples the evaluation tasks and computes the baselines.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Lab {
        let (cfg, notices) = Config::from_query(query);
        Lab {
            trainer: Trainer::new(cfg),
            notices,
        }
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

    /// Train up to `max_steps` steps; returns how many were taken.
    pub fn advance(&mut self, max_steps: u32) -> u32 {
        self.trainer.advance(max_steps as usize) as u32
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
    /// `full` adds the weights and the prediction scatter.
    pub fn snapshot(&self, train_from: u32, eval_from: u32, full: bool) -> Result<String, JsError> {
        json(&report::snapshot(
            &self.trainer,
            train_from as usize,
            eval_from as usize,
            full,
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
