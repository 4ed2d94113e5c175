//! The one parameter schema of icl-lab: the page's URL and sliders, the CLI (`icl-lab run d=10 ...`)
//! and the JSON report all read and write settings through [`Config`] and [`SCHEMA`].
//!
//! Parsing never fails and never panics. Every value that cannot be used as written is corrected
//! and the correction is reported as a [`Notice`] (one plain-text sentence):
//! * whole-number settings accept `10`, `10.0` or `1e1`; other numbers are rounded to the nearest
//!   whole number;
//! * numbers outside a setting's range are clamped to the nearest bound;
//! * non-finite values (`NaN`, `inf`), text that is not a number and empty values fall back to the
//!   default (for `gd_eta` and `clip` the default is `auto`); literals too large for an f64, such
//!   as `1e400`, count as huge numbers and are clamped;
//! * unknown keys are ignored, and a repeated key keeps its last value;
//! * settings that do not fit together are made to fit after all keys are read, in one notice:
//!   classic tokens (`tokens = classic`) run the paper's two-layer model only, so they set
//!   `layers = 2`, `recurrent = false`, `attn = softmax`, `layernorm = false` and `mlp = 0` (see
//!   [`Config::reconcile`]).
//!
//! Keys and values echoed in messages are shortened and stripped of control characters, so a
//! message can be shown as plain text whatever the URL contained.

use serde::Serialize;

/// Attention nonlinearity of the transformer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attn {
    Linear,
    Softmax,
}

/// A correction made while reading settings: which key, and one sentence a learner can act on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notice {
    pub key: String,
    pub message: String,
}

/// How a slider moves between `min` and `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Lin,
    Log,
}

/// The type of a setting's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Int,
    Float,
    Bool,
    Choice(&'static [&'static str]),
    /// `auto` or a float.
    AutoFloat,
}

/// One setting: its key in URLs and on the command line, how to show it and what it accepts.
#[derive(Clone, Copy, Debug)]
pub struct Knob {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// Canonical text of the default (exactly what [`Config::to_pairs`] prints for it).
    pub default: &'static str,
    pub min: f64,
    pub max: f64,
    pub scale: Scale,
    pub help: &'static str,
    /// Cheap knobs only change the read-out, so the page need not restart training for them.
    pub cheap: bool,
}

const ATTN_CHOICES: &[&str] = &["linear", "softmax"];

/// Where training starts (see `layerwise::initial_construction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    Random,
    Construction,
}

const INIT_CHOICES: &[&str] = &["random", "construction"];

/// What the context labels of a training prompt are (evaluation prompts are always paired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Labels {
    /// Each context label belongs to its own example: y_i = W·x_i (+ noise).
    Paired,
    /// The context labels are those of another task of the batch (see
    /// `Tasks::shuffle_context_labels`): the prompt says nothing about the query's teacher, so
    /// in-context learning is impossible. A label-blind control for the alignment metrics.
    Shuffled,
}

const LABELS_CHOICES: &[&str] = &["paired", "shuffled"];

/// How a task is presented to the transformer (paper §4, fig. 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tokens {
    /// One token per example, e_i = (x_i, y_i), and the query (x_q, 0): N + 1 tokens (the
    /// paper's main set-up, made for the construction).
    Paired,
    /// x and y in separate tokens, x₁, y₁, …, x_N, y_N, x_q (2N + 1 tokens), with a sinusoidal
    /// position code appended, read by a softmax layer and then a linear one (`classic.rs`).
    Classic,
}

const TOKENS_CHOICES: &[&str] = &["paired", "classic"];

/// Writes the parameter schema once. Each row names a setting (its key is also its [`Config`]
/// field), the field's type, and how the setting is shown and validated; from the rows this
/// generates the [`Config`] struct, its `Default`, the [`SCHEMA`] table and the two by-key
/// dispatches `store` (put a validated value in its field) and `text_of` (a field's canonical
/// text). Without it the same list had to be kept in step by hand in six places; now adding a
/// setting means adding one row (plus the code where the setting acts).
///
/// A row's [`Kind`] comes from its field type (see [`Field`]), so the two cannot disagree, and
/// `default` is the canonical text of the default value, which is also what sets the field in
/// `Config::default()`. Doc comments on a row become the field's doc comments.
macro_rules! settings {
    ($(
        $(#[$attr:meta])*
        $key:ident: $ty:ty {
            label: $label:literal, default: $default:literal, min: $min:expr, max: $max:expr,
            scale: $scale:ident, cheap: $cheap:literal, help: $help:literal $(,)?
        }
    ),* $(,)?) => {
        /// Every setting of one run. Field order is the order of [`SCHEMA`].
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct Config {
            $( $(#[$attr])* pub $key: $ty, )*
        }

        /// Every setting, in the order of the fields of [`Config`].
        pub const SCHEMA: &[Knob] = &[$(
            Knob {
                key: stringify!($key),
                label: $label,
                kind: <$ty as Field>::KIND,
                default: $default,
                min: $min,
                max: $max,
                scale: Scale::$scale,
                help: $help,
                cheap: $cheap,
            },
        )*];

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $key: <$ty as Field>::from_value(default_value(<$ty as Field>::KIND, $default))
                        .expect("a kind's default value has that kind"), )*
                }
            }
        }

        impl Config {
            /// Stores a value validated for the knob `key` in its field.
            fn store(&mut self, key: &str, v: Value) {
                match key {
                    $( stringify!($key) => {
                        if let Some(x) = <$ty as Field>::from_value(v) {
                            self.$key = x;
                        }
                    } )*
                    _ => {}
                }
            }

            /// Canonical text of one field: the inverse of `parse` (round-trips exactly).
            fn text_of(&self, key: &str) -> String {
                match key {
                    $( stringify!($key) => self.$key.text(), )*
                    _ => String::new(),
                }
            }
        }
    };
}

settings! {
    d: usize { label: "input dimension d", default: "10", min: 1.0, max: 32.0, scale: Lin, cheap: false,
        help: "Input dimension d: each task is a hidden linear map y = W·x with x in R^d." },
    n: usize { label: "context size N", default: "10", min: 1.0, max: 100.0, scale: Lin, cheap: false,
        help: "Number N of (x, y) example pairs shown in the context before the query." },
    layers: usize { label: "layers K", default: "1", min: 1.0, max: 8.0, scale: Lin, cheap: false,
        help: "Number K of attention layers, to be compared with K steps of gradient descent." },
    recurrent: bool { label: "shared weights", default: "true", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Apply one set of attention weights K times, like repeating the same GD step, instead of K separate layers." },
    heads: usize { label: "attention heads", default: "1", min: 1.0, max: 4.0, scale: Lin, cheap: false,
        help: "Number of attention heads per layer; a single head is enough for one GD step." },
    attn: Attn { label: "attention", default: "linear", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Linear attention can express a GD step exactly; softmax attention can only approximate it." },
    query_in_keys: bool { label: "query in keys", default: "false", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Let the query token attend to itself as one more example; off means it reads only the N context tokens." },
    /// Paired (x_i, y_i) tokens, or the classic layout with x and y in separate tokens.
    tokens: Tokens { label: "tokens", default: "paired", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Paired: one token (x_i, y_i) per example, as in the construction. Classic: x_i and y_i in separate tokens with a position code, read by a softmax layer then a linear one (paper section 4; sets two layers with their own weights)." },
    /// LayerNorm before attention (the paper's appendix; placement as in its code: `Arch::norm_before`).
    layernorm: bool { label: "LayerNorm", default: "false", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Normalise each token (mean 0, variance 1, then a learned scale and offset) before attention, and before the MLP if there is one: before every layer with shared weights, between layers only with separate ones, as in the paper's code. The prediction is still read from the query's raw label entry." },
    /// Width M of a GELU MLP block with its own residual connection after every attention layer.
    mlp: usize { label: "MLP width M", default: "0", min: 0.0, max: 128.0, scale: Lin, cheap: false,
        help: "Width M of a two-layer GELU MLP added after every attention layer, with its own residual connection, as in a standard transformer block (0 = no MLP, as in the paper's main experiments; its code uses 4·(d+1))." },
    lr: f64 { label: "learning rate", default: "0.001", min: 1e-5, max: 1e-1, scale: Log, cheap: false,
        help: "Adam learning rate for training the transformer; too high diverges, too low learns slowly." },
    batch: usize { label: "batch size", default: "2048", min: 16.0, max: 8192.0, scale: Log, cheap: false,
        help: "Number of fresh regression tasks averaged in each training step." },
    steps: usize { label: "training steps", default: "5000", min: 1.0, max: 100000.0, scale: Log, cheap: false,
        help: "Number of Adam updates to train for." },
    seed: u64 { label: "seed", default: "1", min: 0.0, max: 4294967295.0, scale: Lin, cheap: false,
        help: "Random seed for weights, tasks and evaluation; the same seed reproduces the same run." },
    x_range: f64 { label: "input range r", default: "0.5", min: 0.05, max: 4.0, scale: Lin, cheap: false,
        help: "Inputs are drawn from U(−r, r); the paper's figures used r = 0.5 (its text says 1)." },
    noise: f64 { label: "label noise σ", default: "0", min: 0.0, max: 2.0, scale: Lin, cheap: false,
        help: "Standard deviation σ of the Gaussian noise added to every label y." },
    /// Ratio κ of the largest to the smallest input scale (1 = isotropic inputs).
    aniso: f64 { label: "input anisotropy κ", default: "1", min: 1.0, max: 10.0, scale: Log, cheap: false,
        help: "Ratio κ of the largest to the smallest input scale; with κ > 1 one attention layer's best answer is preconditioned GD, not plain GD." },
    /// Training prompts with their own labels, or label-blind ones (evaluation stays paired).
    labels: Labels { label: "training labels", default: "paired", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Paired: a training prompt's labels belong to its own examples. Shuffled: they come from another task of the batch, so the prompt says nothing about the query (a label-blind control; evaluation prompts stay paired)." },
    eval_tasks: usize { label: "evaluation tasks", default: "2048", min: 256.0, max: 20000.0, scale: Log, cheap: false,
        help: "Number of held-out tasks on which the transformer is compared with gradient descent." },
    eval_every: usize { label: "evaluate every", default: "20", min: 1.0, max: 1000.0, scale: Log, cheap: false,
        help: "Training steps between two evaluations; smaller gives finer curves but slower training." },
    /// `None` = auto: the reference learner uses the step size that minimises its loss.
    gd_eta: Option<f64> { label: "GD step size η", default: "auto", min: 1e-3, max: 100.0, scale: Log, cheap: true,
        help: "Step size η of the reference gradient-descent learner; auto picks the η* that minimises its loss." },
    /// `None` = auto: the paper's threshold, see [`Config::clip_norm`].
    clip: Option<f64> { label: "gradient clip", default: "auto", min: 1e-6, max: 1e3, scale: Log, cheap: false,
        help: "Global gradient-norm clipping threshold; auto uses the paper's 0.001 for K ≤ 2 and 10 above (10 for classic tokens)." },
    alpha: f64 { label: "test input scale α", default: "1", min: 0.25, max: 3.0, scale: Lin, cheap: true,
        help: "Scale of the test inputs for the out-of-distribution read-out (1 = the training distribution)." },
    /// Prompts unlike training (`shift.rs`): each shift alone, at test time only.
    test_aniso: f64 { label: "test anisotropy κ_test", default: "1", min: 1.0, max: 10.0, scale: Log, cheap: true,
        help: "Stretch the test inputs only (covariate shift; training unchanged): the largest input scale is κ_test times the smallest. 1 = off." },
    test_corr: f64 { label: "test input correlation ρ", default: "0", min: 0.0, max: 0.95, scale: Lin, cheap: true,
        help: "Correlate the test inputs only: every pair of coordinates gets correlation ρ, each keeps its variance. 0 = off." },
    task_mean: f64 { label: "test task mean μ", default: "0", min: 0.0, max: 3.0, scale: Lin, cheap: true,
        help: "Test tasks whose hidden W has mean μ in every coordinate (training has mean 0): GD from W₀ = 0 against GD from W₀ = μ. 0 = off." },
    init: Init { label: "start from", default: "random", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Start from small random weights, or from the construction of the learner the model is compared with (GD for one layer, GD++ from two; linear attention without LayerNorm only; an MLP starts from its random weights)." },
    init_noise: f64 { label: "noise on the start", default: "0", min: 0.0, max: 1.0, scale: Lin, cheap: false,
        help: "Standard deviation of the Gaussian noise added to every weight of a start from the construction (0 = the construction exactly)." },
}

/// A value that passed validation, ready to be stored in its field.
enum Value {
    Int(u64),
    Float(f64),
    Bool(bool),
    Choice(usize),
    Auto(Option<f64>),
}

/// A type a [`Config`] field can have: the [`Kind`] of its knobs, how a value validated for
/// that kind is stored, and how the stored value prints.
trait Field: Sized {
    const KIND: Kind;
    /// The value to store; `None` only for a value of another kind, which `parse` never gives.
    fn from_value(v: Value) -> Option<Self>;
    /// Canonical text: the inverse of `parse` (round-trips exactly).
    fn text(&self) -> String;
}

impl Field for usize {
    const KIND: Kind = Kind::Int;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Int(x) => Some(x as usize),
            _ => None,
        }
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Field for u64 {
    const KIND: Kind = Kind::Int;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Int(x) => Some(x),
            _ => None,
        }
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Field for f64 {
    const KIND: Kind = Kind::Float;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Float(x) => Some(x),
            _ => None,
        }
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Field for bool {
    const KIND: Kind = Kind::Bool;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

/// `None` = auto.
impl Field for Option<f64> {
    const KIND: Kind = Kind::AutoFloat;
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Auto(x) => Some(x),
            _ => None,
        }
    }
    fn text(&self) -> String {
        self.map_or("auto".to_string(), |x| x.to_string())
    }
}

impl Field for Attn {
    const KIND: Kind = Kind::Choice(ATTN_CHOICES);
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Choice(i) => Some(if i == 1 { Attn::Softmax } else { Attn::Linear }),
            _ => None,
        }
    }
    fn text(&self) -> String {
        ATTN_CHOICES[(*self == Attn::Softmax) as usize].to_string()
    }
}

impl Field for Init {
    const KIND: Kind = Kind::Choice(INIT_CHOICES);
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Choice(i) => Some(if i == 1 {
                Init::Construction
            } else {
                Init::Random
            }),
            _ => None,
        }
    }
    fn text(&self) -> String {
        INIT_CHOICES[(*self == Init::Construction) as usize].to_string()
    }
}

impl Field for Labels {
    const KIND: Kind = Kind::Choice(LABELS_CHOICES);
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Choice(i) => Some(if i == 1 {
                Labels::Shuffled
            } else {
                Labels::Paired
            }),
            _ => None,
        }
    }
    fn text(&self) -> String {
        LABELS_CHOICES[(*self == Labels::Shuffled) as usize].to_string()
    }
}

impl Field for Tokens {
    const KIND: Kind = Kind::Choice(TOKENS_CHOICES);
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Choice(i) => Some(if i == 1 {
                Tokens::Classic
            } else {
                Tokens::Paired
            }),
            _ => None,
        }
    }
    fn text(&self) -> String {
        TOKENS_CHOICES[(*self == Tokens::Classic) as usize].to_string()
    }
}

/// The knob for `key`, if the key exists.
pub fn knob(key: &str) -> Option<&'static Knob> {
    SCHEMA.iter().find(|k| k.key == key)
}

impl Config {
    /// Reads `key=value` pairs on top of the defaults. Never fails; see the module doc.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> (Config, Vec<Notice>) {
        let mut cfg = Config::default();
        let mut notices = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        for (key, value) in pairs {
            cfg.read_pair(key.as_ref(), Some(value.as_ref()), &mut seen, &mut notices);
        }
        notices.extend(cfg.reconcile());
        (cfg, notices)
    }

    /// Reads a URL query string (`?d=5&layers=2`), percent-decoding keys and values.
    /// A key without `=` has no value and is reported, like any other invalid value.
    pub fn from_query(query: &str) -> (Config, Vec<Notice>) {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut cfg = Config::default();
        let mut notices = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => {
                    let (k, v) = (percent_decode(k), percent_decode(v));
                    cfg.read_pair(&k, Some(&v), &mut seen, &mut notices);
                }
                None => cfg.read_pair(&percent_decode(part), None, &mut seen, &mut notices),
            }
        }
        notices.extend(cfg.reconcile());
        (cfg, notices)
    }

    /// Every key with its canonical text, in schema order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        SCHEMA
            .iter()
            .map(|k| (k.key, self.text_of(k.key)))
            .collect()
    }

    /// Only the keys that differ from the default, in schema order: `"d=5&layers=2"`, or `""`.
    /// Canonical values use only digits, '.', and lowercase letters, so nothing needs escaping.
    pub fn to_query(&self) -> String {
        let default = Config::default();
        self.to_pairs()
            .into_iter()
            .filter(|(key, text)| *text != default.text_of(key))
            .map(|(key, text)| format!("{key}={text}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Sets one key with the same validation as [`Config::from_pairs`] (the page's sliders use
    /// it). Returns `None` when the value was accepted as written. The value's own correction
    /// comes first; a setting that does not fit the others is then made to fit
    /// ([`Config::reconcile`]) and that notice is returned when the value had none.
    pub fn set(&mut self, key: &str, value: &str) -> Option<Notice> {
        let own = match knob(key) {
            Some(k) => self.set_knob(k, Some(value)),
            None => Some(unknown(key)),
        };
        let fit = self.reconcile();
        own.or(fit)
    }

    /// Makes the settings fit together, after every key was read. Classic tokens run only the
    /// model of the paper's section 4: two layers, the first softmax attention (it learns to
    /// copy each y_i next to its x_i; the paper reports that a linear first layer fails to
    /// train) and the second linear, so with their own weights, and without LayerNorm or MLP.
    /// Any other `layers`, `recurrent`, `attn`, `layernorm` or `mlp` is replaced, in one notice
    /// that names what changed.
    pub fn reconcile(&mut self) -> Option<Notice> {
        if self.tokens != Tokens::Classic {
            return None;
        }
        let mut changed = Vec::new();
        if self.layers != 2 {
            changed.push(format!("layers = 2 (not {})", self.layers));
            self.layers = 2;
        }
        if self.recurrent {
            changed.push("recurrent = false".to_string());
            self.recurrent = false;
        }
        if self.attn != Attn::Softmax {
            changed.push("attn = softmax".to_string());
            self.attn = Attn::Softmax;
        }
        if self.layernorm {
            changed.push("layernorm = false".to_string());
            self.layernorm = false;
        }
        if self.mlp != 0 {
            changed.push(format!("mlp = 0 (not {})", self.mlp));
            self.mlp = 0;
        }
        (!changed.is_empty()).then(|| Notice {
            key: "tokens".into(),
            message: format!(
                "Classic tokens run the paper's two-layer model only (a softmax layer, then a \
                 linear one, each with its own weights, no LayerNorm or MLP); using {}.",
                changed.join(", ")
            ),
        })
    }

    /// Gradient-norm clipping threshold; auto follows the reference code (0.001 for K ≤ 2, 10
    /// above; 10 for classic tokens, as in its classic-token notebook).
    pub fn clip_norm(&self) -> f64 {
        self.clip
            .unwrap_or(if self.layers <= 2 && self.tokens == Tokens::Paired {
                0.001
            } else {
                10.0
            })
    }

    /// How many GD steps the model is compared with: one per layer for paired tokens; one for
    /// classic tokens, whose first layer only copies each y_i next to its x_i so that the second
    /// does the one GD step (paper §4: two layers match one step of GD, not two).
    pub fn compared_steps(&self) -> usize {
        match self.tokens {
            Tokens::Paired => self.layers,
            Tokens::Classic => 1,
        }
    }

    /// Settings that are each valid but do not act as written together, as notices saying what
    /// the run does instead. Kept apart from the notices of `from_pairs`, which are about single
    /// values: the page shows these with the others (`link::parse`), the CLI prints them as notes.
    pub fn combination_notices(&self) -> Vec<Notice> {
        let mut out = Vec::new();
        if self.init == Init::Construction && (self.attn == Attn::Softmax || self.layernorm) {
            let with = if self.attn == Attn::Softmax {
                "softmax attention"
            } else {
                "LayerNorm"
            };
            out.push(Notice {
                key: "init".into(),
                message: format!(
                    "init = construction: there is no construction with {with} (no weights make such a layer a GD step), so the run starts from random weights."
                ),
            });
        }
        out
    }

    /// The paper clips token values to [-10, 10] for K > 3 to keep deep models stable.
    pub fn clips_tokens(&self) -> bool {
        self.layers > 3
    }

    /// The schema as a JSON array of
    /// `{key, label, kind, choices?, default, min, max, scale, help, cheap}`, for the page.
    pub fn schema_json() -> String {
        let knobs: Vec<serde_json::Value> = SCHEMA
            .iter()
            .map(|k| {
                let kind = match k.kind {
                    Kind::Int => "int",
                    Kind::Float => "float",
                    Kind::Bool => "bool",
                    Kind::Choice(_) => "choice",
                    Kind::AutoFloat => "autofloat",
                };
                // Whole-number bounds go out as JSON integers so the page can show them as such.
                let float = matches!(k.kind, Kind::Float | Kind::AutoFloat);
                let bound = |x: f64| {
                    if float {
                        serde_json::json!(x)
                    } else {
                        serde_json::json!(x as u64)
                    }
                };
                let mut obj = serde_json::json!({
                    "key": k.key, "label": k.label, "kind": kind, "default": k.default,
                    "min": bound(k.min), "max": bound(k.max),
                    "scale": match k.scale { Scale::Lin => "lin", Scale::Log => "log" },
                    "help": k.help, "cheap": k.cheap,
                });
                if let Kind::Choice(choices) = k.kind {
                    obj["choices"] = serde_json::json!(choices);
                }
                obj
            })
            .collect();
        serde_json::Value::Array(knobs).to_string()
    }

    /// One pair of `from_pairs`/`from_query`: reports unknown and repeated keys, then sets it.
    fn read_pair(
        &mut self,
        key: &str,
        value: Option<&str>,
        seen: &mut Vec<&'static str>,
        notices: &mut Vec<Notice>,
    ) {
        let Some(k) = knob(key) else {
            notices.push(unknown(key));
            return;
        };
        if seen.contains(&k.key) {
            notices.push(Notice {
                key: k.key.into(),
                message: format!(
                    "{} was given more than once; the last value is used.",
                    k.key
                ),
            });
        } else {
            seen.push(k.key);
        }
        if let Some(n) = self.set_knob(k, value) {
            notices.push(n);
        }
    }

    /// Validates `value` (`None` = the key came without a value) and stores the result.
    fn set_knob(&mut self, k: &Knob, value: Option<&str>) -> Option<Notice> {
        let (v, message) = parse(k, value);
        self.store(k.key, v);
        message.map(|message| Notice {
            key: k.key.into(),
            message,
        })
    }
}

/// Validates one value for knob `k`: the value to store, and the correction message if any.
fn parse(k: &Knob, value: Option<&str>) -> (Value, Option<String>) {
    let key = k.key;
    let Some(raw) = value else {
        let msg = format!(
            "{key} has no value (write {key}=…); using the default {}.",
            k.default
        );
        return (default_value(k.kind, k.default), Some(msg));
    };
    let text = raw.trim();
    let shown = sanitize(raw);
    let fallback = |why: &str| {
        let msg = if text.is_empty() {
            format!("{key} is empty; using the default {}.", k.default)
        } else {
            format!("{key} = '{shown}' {why}; using the default {}.", k.default)
        };
        (default_value(k.kind, k.default), Some(msg))
    };
    match k.kind {
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => (Value::Bool(true), None),
            "false" | "0" | "no" | "off" => (Value::Bool(false), None),
            _ => fallback("is not true or false"),
        },
        Kind::Choice(choices) => match choices.iter().position(|c| c.eq_ignore_ascii_case(text)) {
            Some(i) => (Value::Choice(i), None),
            None => fallback(&format!("is not one of {}", choices.join(", "))),
        },
        Kind::AutoFloat if text.is_empty() || text.eq_ignore_ascii_case("auto") => {
            (Value::Auto(None), None)
        }
        Kind::Int | Kind::Float | Kind::AutoFloat => {
            let x = match text.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                // A literal too large for f64 (such as "1e400") is a huge number, not "inf":
                // clamp it like any other number out of range.
                Ok(x) if x.is_infinite() && !text.to_ascii_lowercase().contains("inf") => x,
                Ok(_) => return fallback("is not a finite number"),
                Err(_) => return fallback("is not a number"),
            };
            let whole = k.kind == Kind::Int;
            let rounded = if whole { x.round() } else { x };
            // `+ 0.0` turns -0 into 0, so -0 prints as the canonical "0".
            let stored = rounded.clamp(k.min, k.max) + 0.0;
            let msg = if x < k.min {
                Some(format!(
                    "{key} = {shown} is below the minimum {}; using {stored}.",
                    k.min
                ))
            } else if x > k.max {
                Some(format!(
                    "{key} = {shown} is above the maximum {}; using {stored}.",
                    k.max
                ))
            } else if rounded != x {
                Some(format!(
                    "{key} = {shown} is not a whole number; using {stored}."
                ))
            } else {
                None
            };
            let v = match k.kind {
                Kind::Int => Value::Int(stored as u64),
                Kind::AutoFloat => Value::Auto(Some(stored)),
                _ => Value::Float(stored),
            };
            (v, msg)
        }
    }
}

/// A knob's default as a validated value, from its kind and its default text (the default
/// strings are canonical and in range).
fn default_value(kind: Kind, default: &str) -> Value {
    match kind {
        Kind::Bool => Value::Bool(default == "true"),
        Kind::Choice(choices) => {
            Value::Choice(choices.iter().position(|c| *c == default).unwrap_or(0))
        }
        Kind::AutoFloat => Value::Auto(default.parse().ok()),
        Kind::Int => Value::Int(default.parse().unwrap_or(0)),
        Kind::Float => Value::Float(default.parse().unwrap_or(0.0)),
    }
}

fn unknown(key: &str) -> Notice {
    let shown = sanitize(key);
    Notice {
        key: shown.clone(),
        message: format!("Unknown setting '{shown}' was ignored."),
    }
}

/// Makes user text safe to echo in a plain-text message: at most 40 characters (then "…"),
/// with control and invisible direction-changing characters replaced by '?'.
pub(crate) fn sanitize(text: &str) -> String {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    let mut out: String = text
        .chars()
        .take(40)
        .map(|c| if invisible(c) { '?' } else { c })
        .collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// URL-decodes `%XX` escapes and '+' (space). A malformed escape is kept as written, and bytes
/// that are not UTF-8 become U+FFFD, so decoding cannot fail.
pub(crate) fn percent_decode(s: &str) -> String {
    let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
