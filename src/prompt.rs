//! One prompt, up close: a single regression prompt (M examples and a query, maybe edited by
//! hand) answered by the frozen transformer, the untrained one and every baseline learner, with
//! each learner's implied weights ∂ŷ/∂x_q; plus the prompt's JSON form and its compact URL code.
//!
//! Bounds (each check gives a one-sentence error, nothing here panics on user input):
//! * 1 ≤ M ≤ [`max_examples`]`(N)` = max(2N, 100) examples. The parameter layout of the model
//!   does not depend on N, so any M can be fed, but the learned step is a *sum* over examples:
//!   far beyond the trained N the transformer's step grows like M/N and its answers say more
//!   about that scaling (reported as `gd_same_step`) than about in-context learning.
//! * every number is finite with |v| ≤ [`MAX_ABS`] = 100: this covers every value the task
//!   distribution can produce within the schema's ranges (inputs up to r·√κ ≤ 4·√10 ≈ 12.7;
//!   labels y = W·x have a standard deviation of at most about 19, at d = 32, r = 4, κ = 10, so
//!   100 is more than 5σ) while keeping every product the f32 forward pass forms far from
//!   overflow.
//! * the JSON text is at most [`MAX_JSON_BYTES`], the URL code at most [`MAX_URL_BYTES`].

use crate::baselines;
use crate::compare::Baselines;
use crate::config::Config;
use crate::model::{Arch, Model, Workspace};
use crate::task::{TaskDist, Tasks};
use crate::train::Trainer;
use serde::Serialize;
use serde_json::Value;

/// Largest |value| accepted for an input, a label or a curve bound (see the module doc).
pub const MAX_ABS: f64 = 100.0;
/// Longest accepted URL code, in bytes.
pub const MAX_URL_BYTES: usize = 8192;
/// Longest accepted JSON prompt, in bytes.
pub const MAX_JSON_BYTES: usize = 1 << 20;
/// Points of the d = 1 curve of a transformer that is not linear in x_q.
pub const CURVE_POINTS: usize = 41;

/// Most examples a prompt may hold for a model trained with N examples: max(2N, 100).
pub fn max_examples(trained_n: usize) -> usize {
    (2 * trained_n).max(100)
}

/// A prompt: M examples (x_i, y_i) and a query x_q, all of dimension d; the query's true label
/// when it is known (an evaluation task), `None` for an edited prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub d: usize,
    pub examples: Vec<(Vec<f64>, f64)>,
    pub query: Vec<f64>,
    pub target: Option<f64>,
}

/// A problem with a prompt: one sentence a learner can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptError(pub String);

impl std::fmt::Display for PromptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PromptError {}

fn err<T>(msg: String) -> Result<T, PromptError> {
    Err(PromptError(msg))
}

/// Checks one number: finite and within ±[`MAX_ABS`].
fn check_value(v: f64, what: &dyn Fn() -> String) -> Result<f64, PromptError> {
    if !v.is_finite() {
        return err(format!("{} is not a finite number.", what()));
    }
    if v.abs() > MAX_ABS {
        // 1e308 would print with 300 digits: large values in scientific notation.
        let shown = if v.abs() < 1e6 {
            v.to_string()
        } else {
            format!("{v:e}")
        };
        return err(format!(
            "{} is {shown}, outside the accepted range −{MAX_ABS} … {MAX_ABS}.",
            what()
        ));
    }
    Ok(v)
}

impl Prompt {
    /// A validated prompt: every example has d inputs, the query d numbers, 1 ≤ M ≤ `max_m`, and
    /// every number is finite with |v| ≤ [`MAX_ABS`].
    pub fn new(
        d: usize,
        examples: Vec<(Vec<f64>, f64)>,
        query: Vec<f64>,
        target: Option<f64>,
        max_m: usize,
    ) -> Result<Prompt, PromptError> {
        if examples.is_empty() {
            return err("The prompt has no examples; give at least one (x, y) pair.".into());
        }
        if examples.len() > max_m {
            return err(format!(
                "The prompt has {}; at most {max_m} are accepted.",
                plural(examples.len(), "example")
            ));
        }
        for (i, (x, y)) in examples.iter().enumerate() {
            if x.len() != d {
                return err(format!(
                    "Example {} has {}; the model reads d = {d} and then the label.",
                    i + 1,
                    plural(x.len(), "input")
                ));
            }
            for (j, v) in x.iter().enumerate() {
                check_value(*v, &|| format!("Example {}, input {}", i + 1, j + 1))?;
            }
            check_value(*y, &|| format!("The label of example {}", i + 1))?;
        }
        if query.len() != d {
            return err(format!(
                "The query has {}; the model reads d = {d}.",
                plural(query.len(), "number")
            ));
        }
        for (j, v) in query.iter().enumerate() {
            check_value(*v, &|| format!("Query input {}", j + 1))?;
        }
        if let Some(t) = target {
            check_value(t, &|| "The target".to_string())?;
        }
        Ok(Prompt {
            d,
            examples,
            query,
            target,
        })
    }

    /// Evaluation task `k` of `tasks` (its examples, query and target), `k` taken modulo the
    /// number of tasks so prev/next/random indices always land on a task.
    pub fn from_tasks(tasks: &Tasks, k: usize) -> Prompt {
        let k = k % tasks.count.max(1);
        let d = tasks.dist.d;
        let (xs, xq) = tasks.inputs(k);
        let examples = xs
            .chunks_exact(d)
            .zip(tasks.labels(k))
            .map(|(x, &y)| (x.iter().map(|&v| v as f64).collect(), y as f64))
            .collect();
        Prompt {
            d,
            examples,
            query: xq.iter().map(|&v| v as f64).collect(),
            target: Some(tasks.target(k) as f64),
        }
    }

    /// The prompt as a one-task batch with n = M under `cfg`'s task distribution (so the
    /// baselines of `baselines.rs` run on it unchanged). The teacher is unknown: `w` is 0.
    pub fn to_tasks(&self, cfg: &Config) -> Tasks {
        let (d, m) = (self.d, self.examples.len());
        let mut dist = TaskDist::from_config(cfg);
        dist.d = d;
        dist.n = m;
        let mut x = Vec::with_capacity((m + 1) * d);
        let mut y = Vec::with_capacity(m + 1);
        for (xi, yi) in &self.examples {
            x.extend(xi.iter().map(|&v| v as f32));
            y.push(*yi as f32);
        }
        x.extend(self.query.iter().map(|&v| v as f32));
        y.push(self.target.unwrap_or(0.0) as f32);
        let mut tokens = Vec::with_capacity((m + 1) * (d + 1));
        for (i, row) in x.chunks_exact(d).enumerate() {
            tokens.extend_from_slice(row);
            tokens.push(if i == m { 0.0 } else { y[i] });
        }
        Tasks {
            dist,
            count: 1,
            w: vec![0.0; d],
            x,
            eps: vec![0.0; m + 1],
            y,
            tokens,
        }
    }

    /// `{"examples": [[x₁, …, x_d, y], …], "query": [x₁, …, x_d], "target": y_q | null}`.
    pub fn to_json(&self) -> Value {
        let examples: Vec<Value> = self
            .examples
            .iter()
            .map(|(x, y)| {
                let mut row: Vec<Value> = x.iter().map(|&v| num(v)).collect();
                row.push(num(*y));
                Value::Array(row)
            })
            .collect();
        serde_json::json!({
            "examples": examples,
            "query": self.query.iter().map(|&v| num(v)).collect::<Vec<_>>(),
            "target": self.target.map(num),
        })
    }
}

/// "1 number", "3 numbers".
/// One example's d inputs and its label from `nums` (JSON and URL prompts alike).
fn example(nums: Vec<f64>, d: usize, what: &str) -> Result<(Vec<f64>, f64), PromptError> {
    if nums.len() != d + 1 {
        return err(format!(
            "{what} has {}; expected d + 1 = {} (the {}, then the label).",
            plural(nums.len(), "number"),
            d + 1,
            plural(d, "input")
        ));
    }
    let (x, y) = nums.split_at(d);
    Ok((x.to_vec(), y[0]))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A JSON number (null when not finite).
fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A prompt to answer and, optionally, the x_q range of the d = 1 curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub prompt: Prompt,
    pub range: Option<(f64, f64)>,
}

/// Parses `{"examples": [[x₁, …, x_d, y], …], "query": [x₁, …, x_d], "target"?: y_q,
/// "range"?: [lo, hi]}` for a model with input dimension `d` trained with `trained_n`
/// examples. Other keys are ignored (so the output of [`Prompt::to_json`] plus extra fields
/// reads back).
pub fn parse_json(text: &str, d: usize, trained_n: usize) -> Result<Request, PromptError> {
    if text.len() > MAX_JSON_BYTES {
        return err(format!(
            "The prompt is {} bytes long; at most {MAX_JSON_BYTES} are accepted.",
            text.len()
        ));
    }
    if text.trim().is_empty() {
        return err(
            "The prompt is empty; expected a JSON object with \"examples\" and \"query\".".into(),
        );
    }
    let v: Value = serde_json::from_str(text)
        .map_err(|e| PromptError(format!("The prompt is not valid JSON ({e}).")))?;
    let Value::Object(obj) = v else {
        return err(
            "The prompt must be a JSON object with \"examples\" and \"query\".".to_string(),
        );
    };
    let max_m = max_examples(trained_n);
    let Some(Value::Array(rows)) = obj.get("examples") else {
        return err("The prompt needs \"examples\": a list of [x₁, …, x_d, y] lists.".into());
    };
    if rows.len() > max_m {
        return err(format!(
            "The prompt has {} examples; at most {max_m} are accepted.",
            rows.len()
        ));
    }
    let mut examples = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let what = format!("Example {}", i + 1);
        examples.push(example(numbers(row, &what)?, d, &what)?);
    }
    let Some(q) = obj.get("query") else {
        return err("The prompt needs \"query\": a list of d numbers.".into());
    };
    let query = numbers(q, "The query")?;
    let target = match obj.get("target") {
        None | Some(Value::Null) => None,
        Some(t) => Some(
            t.as_f64()
                .ok_or_else(|| PromptError("The target is not a number.".into()))?,
        ),
    };
    let range = match obj.get("range") {
        None | Some(Value::Null) => None,
        Some(r) => {
            let r = numbers(r, "The range")?;
            if r.len() != 2 {
                return err("The range must be two numbers [lo, hi].".into());
            }
            let lo = check_value(r[0], &|| "The range's low end".to_string())?;
            let hi = check_value(r[1], &|| "The range's high end".to_string())?;
            if lo >= hi {
                return err(format!(
                    "The range [{lo}, {hi}] is empty: lo must be below hi."
                ));
            }
            Some((lo, hi))
        }
    };
    Ok(Request {
        prompt: Prompt::new(d, examples, query, target, max_m)?,
        range,
    })
}

/// A JSON array of numbers.
fn numbers(v: &Value, what: &str) -> Result<Vec<f64>, PromptError> {
    let Value::Array(items) = v else {
        return err(format!("{what} must be a list of numbers."));
    };
    items
        .iter()
        .enumerate()
        .map(|(j, item)| {
            item.as_f64()
                .ok_or_else(|| PromptError(format!("{what}, entry {}, is not a number.", j + 1)))
        })
        .collect()
}

/// The step sizes of the learners a prompt is compared with (the run's reference values).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Learners {
    /// The reference GD's η (`gd_eta`, or η* for K steps when auto) and its steps K = layers.
    pub gd_eta: f64,
    pub gd_steps: usize,
    /// GD++'s tuned (η, γ), shared by the K steps.
    pub gdpp_eta: f64,
    pub gdpp_gamma: f64,
    /// Ridge's λ = σ² (0 when σ = 0: ridge is then OLS).
    pub ridge_lambda: f64,
}

impl Learners {
    pub fn from_baselines(r: &Baselines) -> Learners {
        Learners {
            gd_eta: r.gd_eta,
            gd_steps: r.gd_steps,
            gdpp_eta: r.gdpp_eta,
            gdpp_gamma: r.gdpp_gamma,
            ridge_lambda: r.ridge_lambda,
        }
    }
}

/// A frozen run: the settings, the trained and the untrained model, and the learners' step
/// sizes. Everything a prompt is answered with.
#[derive(Clone, Copy, Debug)]
pub struct Frozen<'a> {
    pub cfg: &'a Config,
    pub model: &'a Model,
    pub untrained: &'a Model,
    pub learners: Learners,
}

/// One value per learner. `gd_same_step` / `gdpp_same_step` run GD / GD++ with η·M/N: the
/// transformer's learned step is a sum over the examples (η/N per example, fixed at training
/// time), so with M examples it acts like GD at η·M/N in GD's η/M convention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerLearner<T> {
    pub transformer: T,
    pub untrained: T,
    pub gd: T,
    pub gd_same_step: T,
    pub gdpp: T,
    pub gdpp_same_step: T,
    pub ols: T,
    /// Ridge with λ = σ²; with σ = 0, λ = 0 and this equals `ols`.
    pub ridge: T,
}

/// The transformer's answer over a grid of x_q (d = 1 only, when it is not linear in x_q).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    pub xq: Vec<f64>,
    pub transformer: Vec<f64>,
    pub untrained: Vec<f64>,
}

/// Every learner's answer to one prompt.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub config: Config,
    pub d: usize,
    /// M, the prompt's examples, and N, the examples the transformer was trained with.
    pub examples_used: usize,
    pub trained_n: usize,
    pub gd_eta: f64,
    pub gd_steps: usize,
    /// η·M/N for the reference GD's η: the step of `gd_same_step`.
    pub gd_same_step_eta: f64,
    pub gdpp_eta: f64,
    pub gdpp_gamma: f64,
    /// η·M/N for GD++'s η: the step of `gdpp_same_step` (its γ is unchanged: the input
    /// update is a sum over the examples in GD++ as in the construction).
    pub gdpp_same_step_eta: f64,
    pub ridge_lambda: f64,
    pub predictions: PerLearner<f64>,
    /// ∂ŷ/∂x_q per learner (d numbers each): the weight vector of the linear learners, the
    /// backward pass's gradient at this query for the transformer.
    pub implied_weights: PerLearner<Vec<f64>>,
    /// The query's true label, when known (an evaluation task).
    pub target: Option<f64>,
    /// True when ŷ_transformer is exactly linear in x_q (linear attention, the query out of the
    /// keys, no token clipping): then `implied_weights.transformer` describes it everywhere.
    pub transformer_linear_in_query: bool,
    /// Present when d = 1 and the transformer is not linear in x_q.
    pub curve: Option<Curve>,
    /// Plain-language remarks on this answer (e.g. M ≠ N, ridge = OLS at σ = 0).
    pub notes: Vec<String>,
}

impl<'a> Frozen<'a> {
    /// The trainer's current state.
    pub fn from_trainer(t: &'a Trainer) -> Frozen<'a> {
        Frozen {
            cfg: &t.run.cfg,
            model: &t.run.model,
            untrained: &t.run.untrained,
            learners: Learners::from_baselines(&t.compare.baselines),
        }
    }

    /// Answers `req` with every learner. Errors when the prompt's dimension is not the run's d,
    /// it has too many examples, or the models' parameters do not fit the settings.
    pub fn answer(&self, req: &Request) -> Result<Answer, PromptError> {
        let (cfg, p, l) = (self.cfg, &req.prompt, self.learners);
        let arch_n = Arch::from_config(cfg);
        let (d, big_n, m) = (cfg.d, cfg.n, p.examples.len());
        if p.d != d {
            return err(format!(
                "The prompt has d = {}, but the model was trained with d = {d}.",
                p.d
            ));
        }
        let p = Prompt::new(
            d,
            p.examples.clone(),
            p.query.clone(),
            p.target,
            max_examples(big_n),
        )?;
        for (what, mdl) in [("trained", self.model), ("untrained", self.untrained)] {
            if mdl.params.len() != arch_n.n_params() {
                return err(format!(
                    "The {what} model has {} parameters, but these settings need {}.",
                    mdl.params.len(),
                    arch_n.n_params()
                ));
            }
        }
        let arch = Arch { n: m, ..arch_n };
        let model = Model {
            arch,
            params: self.model.params.clone(),
        };
        let untrained = Model {
            arch,
            params: self.untrained.params.clone(),
        };
        let mut ws = Workspace::new(&arch);
        let tasks = p.to_tasks(cfg);
        let (t_y, t_w) = model_answer(&model, tasks.task_tokens(0), &mut ws);
        let (u_y, u_w) = model_answer(&untrained, tasks.task_tokens(0), &mut ws);

        let k = l.gd_steps;
        let same = l.gd_eta * m as f64 / big_n as f64;
        let one = |pr: baselines::Predictions| (pr.yhat[0], pr.sens);
        let gd = one(baselines::gd(&tasks, l.gd_eta, k));
        let gd_same = one(baselines::gd(&tasks, same, k));
        let gdpp = one(baselines::gd_plus_plus(&tasks, l.gdpp_eta, l.gdpp_gamma, k));
        let gdpp_same_eta = l.gdpp_eta * m as f64 / big_n as f64;
        let gdpp_same = one(baselines::gd_plus_plus(
            &tasks,
            gdpp_same_eta,
            l.gdpp_gamma,
            k,
        ));
        let ols = one(baselines::ridge(&tasks, 0.0));
        let ridge = one(baselines::ridge(&tasks, l.ridge_lambda));

        let linear = linear_in_query(&arch);
        let curve = if !linear && d == 1 {
            let (lo, hi) = req.range.unwrap_or_else(|| default_range(&p, cfg));
            let xq: Vec<f64> = (0..CURVE_POINTS)
                .map(|i| lo + (hi - lo) * i as f64 / (CURVE_POINTS - 1) as f64)
                .collect();
            let mut tokens = tasks.task_tokens(0).to_vec();
            let mut at = |mdl: &Model, x: f64| {
                tokens[m * 2] = x as f32; // the query's single input (width d + 1 = 2)
                mdl.forward(&tokens, &mut ws) as f64
            };
            let transformer = xq.iter().map(|&x| at(&model, x)).collect();
            let untrained = xq.iter().map(|&x| at(&untrained, x)).collect();
            Some(Curve {
                xq,
                transformer,
                untrained,
            })
        } else {
            None
        };

        let mut notes = Vec::new();
        if m != big_n {
            notes.push(format!(
                "The prompt has M = {m} examples but the transformer was trained with N = {big_n}: \
                 its learned step is a sum over examples, so it acts like GD at η·M/N = {same:.4} \
                 (gd_same_step) rather than at η = {:.4} (gd).",
                l.gd_eta
            ));
        }
        if l.ridge_lambda == 0.0 {
            notes.push("Without label noise (σ = 0) ridge's λ = σ² is 0: ridge equals OLS.".into());
        }
        if m < d {
            notes.push(format!(
                "With M = {m} < d = {d} examples OLS is underdetermined: it gives the minimum-norm fit."
            ));
        }
        if !linear {
            notes.push(
                "This transformer is not linear in the query (softmax attention, LayerNorm, an MLP, \
                 the query in the keys, or token clipping), so its implied weights are the local \
                 slope at this query."
                    .into(),
            );
        }
        Ok(Answer {
            config: cfg.clone(),
            d,
            examples_used: m,
            trained_n: big_n,
            gd_eta: l.gd_eta,
            gd_steps: k,
            gd_same_step_eta: same,
            gdpp_eta: l.gdpp_eta,
            gdpp_gamma: l.gdpp_gamma,
            gdpp_same_step_eta: gdpp_same_eta,
            ridge_lambda: l.ridge_lambda,
            predictions: PerLearner {
                transformer: t_y,
                untrained: u_y,
                gd: gd.0,
                gd_same_step: gd_same.0,
                gdpp: gdpp.0,
                gdpp_same_step: gdpp_same.0,
                ols: ols.0,
                ridge: ridge.0,
            },
            implied_weights: PerLearner {
                transformer: t_w,
                untrained: u_w,
                gd: gd.1,
                gd_same_step: gd_same.1,
                gdpp: gdpp.1,
                gdpp_same_step: gdpp_same.1,
                ols: ols.1,
                ridge: ridge.1,
            },
            target: p.target,
            transformer_linear_in_query: linear,
            curve,
            notes,
        })
    }
}

/// Whether ŷ is exactly linear in x_q: with linear attention and the query out of the keys, the
/// context tokens never see the query, so every layer maps the query token by a matrix fixed
/// by the context (for any K). Softmax, the query in the keys, clipped tokens (K > 3), LayerNorm
/// (it divides the query token by its own spread) or an MLP (GELU) break it.
pub fn linear_in_query(arch: &Arch) -> bool {
    !arch.softmax && !arch.query_in_keys && !arch.clip_tokens && !arch.layernorm && arch.mlp == 0
}

/// The curve's default x_q range: symmetric, 1.5 × the largest of r·√κ and the prompt's |x|.
fn default_range(p: &Prompt, cfg: &Config) -> (f64, f64) {
    let mut half = cfg.x_range * cfg.aniso.sqrt();
    for v in p.examples.iter().flat_map(|(x, _)| x).chain(&p.query) {
        half = half.max(v.abs());
    }
    (-1.5 * half, 1.5 * half)
}

/// ŷ and ∂ŷ/∂x_q of `model` on one task's tokens, through the reference path.
fn model_answer(model: &Model, tokens: &[f32], ws: &mut Workspace) -> (f64, Vec<f64>) {
    let (n, d) = (model.arch.n, model.arch.d);
    let y = model.forward(tokens, ws);
    let mut sink = vec![0.0; model.params.len()];
    model.backward(1.0, ws, &mut sink, true);
    let row = &ws.input_grad()[n * (d + 1)..n * (d + 1) + d];
    (y as f64, row.iter().map(|&v| v as f64).collect())
}

/// Answers a JSON prompt (see [`parse_json`]) against the trainer's current model; the answer
/// as JSON text.
pub fn answer_json(t: &Trainer, text: &str) -> Result<String, PromptError> {
    let req = parse_json(text, t.run.cfg.d, t.run.cfg.n)?;
    let ans = Frozen::from_trainer(t).answer(&req)?;
    serde_json::to_string(&ans)
        .map_err(|e| PromptError(format!("Could not encode the answer ({e}).")))
}

/// Evaluation task `index` (modulo their number) as `{index, count, examples, query, target, w}`.
pub fn eval_prompt_json(tasks: &Tasks, index: usize) -> String {
    let count = tasks.count.max(1);
    let mut v = Prompt::from_tasks(tasks, index).to_json();
    v["index"] = Value::from(index % count);
    v["count"] = Value::from(tasks.count);
    // The task's teacher W (known only for evaluation tasks): the page draws the true line.
    let (k, d) = (index % count, tasks.dist.d);
    if let Some(w) = tasks.w.get(k * d..(k + 1) * d) {
        v["w"] = w.iter().map(|&x| num(x as f64)).collect();
    }
    v.to_string()
}

// ---------------------------------------------------------------------------------------------
// The URL code.
//
//   code    := example (';' example)* '|' query
//   example := num (',' num){d}          the d inputs, then the label
//   query   := num (',' num){d−1}
//   num     := a decimal number, written by `encode_url` with at most 4 decimals
//              ('-'? digits ('.' digits)?), read by `parse_url` as any finite f64 literal
//
// Only digits, '-', '.', ',', ';' and '|' appear, none of which the page's query string needs to
// escape. `parse_url` takes the value already URL-decoded.
// ---------------------------------------------------------------------------------------------

/// A number with at most 4 decimals, trailing zeros dropped (`0.5`, `-1.25`, `3`, never `-0`).
fn fmt4(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The prompt's URL code (target dropped: an edited prompt has none). Errors when the code
/// would exceed [`MAX_URL_BYTES`], so every code this returns reads back with [`parse_url`].
pub fn encode_url(p: &Prompt) -> Result<String, PromptError> {
    let row = |xs: &mut dyn Iterator<Item = f64>| xs.map(fmt4).collect::<Vec<_>>().join(",");
    let examples: Vec<String> = p
        .examples
        .iter()
        .map(|(x, y)| row(&mut x.iter().copied().chain([*y])))
        .collect();
    let code = format!(
        "{}|{}",
        examples.join(";"),
        row(&mut p.query.iter().copied())
    );
    if code.len() > MAX_URL_BYTES {
        return err(format!(
            "This prompt needs {} bytes to share in a link; at most {MAX_URL_BYTES} fit.",
            code.len()
        ));
    }
    Ok(code)
}

/// Reads a URL code (see the grammar above) for a model with input dimension `d` trained with
/// `trained_n` examples. Total: every input gives a prompt or a one-sentence error.
pub fn parse_url(code: &str, d: usize, trained_n: usize) -> Result<Prompt, PromptError> {
    if code.len() > MAX_URL_BYTES {
        return err(format!(
            "The prompt code is {} bytes long; at most {MAX_URL_BYTES} are accepted.",
            code.len()
        ));
    }
    let code = code.trim();
    if code.is_empty() {
        return err("The prompt code is empty.".into());
    }
    let Some((ex_part, q_part)) = code.split_once('|') else {
        return err("The prompt code has no '|' before the query.".into());
    };
    if q_part.contains('|') {
        return err("The prompt code has more than one '|'.".into());
    }
    let max_m = max_examples(trained_n);
    if ex_part.trim().is_empty() {
        return err("The prompt code has no examples before the '|'.".into());
    }
    let count = ex_part.split(';').count();
    if count > max_m {
        return err(format!(
            "The prompt code has {count} examples; at most {max_m} are accepted."
        ));
    }
    let mut examples = Vec::with_capacity(count);
    for (i, part) in ex_part.split(';').enumerate() {
        let what = format!("Example {}", i + 1);
        examples.push(example(url_numbers(part, &what)?, d, &what)?);
    }
    let query = url_numbers(q_part, "The query")?;
    Prompt::new(d, examples, query, None, max_m)
}

/// The URL code of a JSON prompt (see [`parse_json`]) for the run configured by `cfg`.
pub fn url_from_json(text: &str, cfg: &Config) -> Result<String, PromptError> {
    encode_url(&parse_json(text, cfg.d, cfg.n)?.prompt)
}

/// The JSON prompt (see [`Prompt::to_json`]) of a URL code for the run configured by `cfg`.
pub fn json_from_url(code: &str, cfg: &Config) -> Result<String, PromptError> {
    Ok(parse_url(code, cfg.d, cfg.n)?.to_json().to_string())
}

/// Comma-separated numbers; each must parse as a finite f64 (range checks are Prompt::new's).
fn url_numbers(part: &str, what: &str) -> Result<Vec<f64>, PromptError> {
    part.split(',')
        .enumerate()
        .map(|(j, s)| {
            let s = s.trim();
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => err(format!(
                    "{what}, number {}: '{}' is not a finite number.",
                    j + 1,
                    shown(s)
                )),
                Err(_) => err(format!(
                    "{what}, number {}: '{}' is not a number.",
                    j + 1,
                    shown(s)
                )),
            }
        })
        .collect()
}

/// User text safe to echo: at most 16 characters, control and invisible direction-changing
/// characters replaced by '?'.
fn shown(s: &str) -> String {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    let mut out: String = s
        .chars()
        .take(16)
        .map(|c| if invisible(c) { '?' } else { c })
        .collect();
    if s.chars().nth(16).is_some() {
        out.push('…');
    }
    out
}
