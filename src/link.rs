//! A link = the run's settings ([`Config`]) + what the page shows: `prompt`, an edited prompt's
//! URL code (see prompt.rs), `present`, presenter mode, `pin` (repeatable), the settings of a
//! pinned run the page trains again and draws beside this one, and `workers`, how many workers
//! share the training (never the numbers: see shard.rs). The settings keys are Config's; the
//! view keys are read here, so `Config::from_query` keeps reporting every other key as unknown.
//!
//! Classroom keys (see the `classroom` part below): `lock` (settings shown but fixed), `hide`
//! (panels left out), `view` (only these cards, for a frame on a slide) and `autoplay`. Their
//! names come from one place each: [`SCHEMA`]'s keys, [`PANELS`] and [`CARDS`]. `tour=N` opens
//! the page's guided tour at step N (1 to [`TOUR_STEPS`]; the steps are the page's, www/tour.js).

use crate::config::{percent_decode, sanitize, Config, Notice, SCHEMA};
use crate::prompt;
use serde::Serialize;

/// The keys of a link that describe what the page shows rather than the run.
pub const VIEW_KEYS: &[&str] = &[
    "prompt", "present", "pin", "workers", "lock", "hide", "view", "autoplay", "tour",
];

/// At most this many pinned runs (the page keeps as many).
pub const MAX_PINS: usize = 3;
/// A pin's settings longer than this are not read (every setting written out fits in ~400).
const MAX_PIN_BYTES: usize = 2000;
/// The most workers a link may ask for.
pub const MAX_WORKERS: u32 = 16;
/// How many steps the page's guided tour has (www/tour.js; e2e/tour.test.mjs checks that the
/// two agree). A link's `tour=N` names one of them.
pub const TOUR_STEPS: u32 = 14;

/// What the page shows, beyond the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    /// An edited prompt's URL code, validated against the run's d and N and re-encoded
    /// canonically by [`prompt::encode_url`]; `None`: the page shows an evaluation task.
    pub prompt: Option<String>,
    /// Presenter mode: larger type and the charts sized for a projector (`present=true`).
    pub present: bool,
    /// Pinned runs, each as its settings' canonical query (`Config::to_query`; `""` = the
    /// defaults). Same settings, same seed: the page trains each again to the same numbers.
    pub pins: Vec<String>,
    /// How many workers share each training step (`workers=N`); `None`: automatic (worker.js: a pool of one per core when steps are expensive). The
    /// numbers are the same bits for any count (shard.rs).
    pub workers: Option<u32>,
    /// Settings the link fixes (`lock=`): schema keys in schema order (`lock=all`: every key).
    pub lock: Vec<&'static str>,
    /// Panels left out (`hide=`): names of [`PANELS`], in its order.
    pub hide: Vec<&'static str>,
    /// Only these cards, laid out to fill the frame (`view=`): names of [`CARDS`], in its order;
    /// empty: the whole page.
    pub view: Vec<&'static str>,
    /// Whether the run the link opens trains at once (`autoplay=false`: it waits for Play).
    pub autoplay: bool,
    /// The guided tour's step on show (`tour=N`, 1-based, at most [`TOUR_STEPS`]); `None`: no
    /// tour. Never with `view`: a frame that shows some cards has no room for it.
    pub tour: Option<u32>,
}

impl Default for View {
    fn default() -> View {
        View {
            prompt: None,
            present: false,
            pins: Vec::new(),
            workers: None,
            lock: Vec::new(),
            hide: Vec::new(),
            view: Vec::new(),
            autoplay: true,
            tour: None,
        }
    }
}

/// A part of the page a link can name: its name in the link and what it is, for the page's
/// Copy link dialog.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Part {
    pub name: &'static str,
    pub label: &'static str,
}

/// The panels a link can hide (`hide=`).
pub const PANELS: &[Part] = &[
    Part {
        name: "header",
        label: "title and introduction",
    },
    Part {
        name: "settings",
        label: "settings",
    },
    Part {
        name: "headline",
        label: "headline sentence",
    },
    Part {
        name: "prompt",
        label: "one prompt, up close",
    },
    Part {
        name: "numbers",
        label: "numbers table",
    },
    Part {
        name: "story",
        label: "the story",
    },
];

/// The cards a link can show alone (`view=`), e.g. in an `<iframe>` on a slide.
pub const CARDS: &[Part] = &[
    Part {
        name: "loss",
        label: "loss during training",
    },
    Part {
        name: "align",
        label: "alignment with GD",
    },
    Part {
        name: "layers",
        label: "layer by layer",
    },
    Part {
        name: "copy",
        label: "classic tokens: the copy",
    },
    Part {
        name: "weights",
        label: "weights",
    },
    Part {
        name: "scatter",
        label: "predictions",
    },
    Part {
        name: "ood",
        label: "out of distribution",
    },
    Part {
        name: "shifts",
        label: "prompts unlike training",
    },
    Part {
        name: "sweep",
        label: "step size sweep",
    },
    Part {
        name: "prompt",
        label: "one prompt, up close",
    },
    Part {
        name: "numbers",
        label: "numbers table",
    },
];

/// The names a link's classroom keys accept, as JSON for the page: {panels, cards, lock,
/// tour_steps}.
pub fn parts_json() -> String {
    let lock: Vec<&str> = SCHEMA.iter().map(|k| k.key).collect();
    serde_json::json!({ "panels": PANELS, "cards": CARDS, "lock": lock, "tour_steps": TOUR_STEPS })
        .to_string()
}

/// Reads a link's query string: the settings first (unknown keys are reported by Config), then
/// the view keys against those settings. A view value that does not fit is dropped with a
/// notice; nothing here fails.
pub fn parse(query: &str) -> (Config, View, Vec<Notice>) {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut settings = Vec::new();
    let mut code: Option<String> = None;
    let mut present: Option<String> = None;
    let mut pins: Vec<String> = Vec::new();
    let mut extra_pins = 0;
    let mut workers: Option<String> = None;
    let mut tours: Vec<String> = Vec::new();
    let mut classroom: Vec<(&'static str, String)> = Vec::new();
    let mut notices = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if percent_decode(k) == "prompt" {
            if code.is_some() {
                notices.push(Notice {
                    key: "prompt".into(),
                    message: "prompt was given more than once; the last value is used.".into(),
                });
            }
            code = Some(percent_decode(v));
        } else if percent_decode(k) == "present" {
            present = Some(percent_decode(v));
        } else if percent_decode(k) == "pin" {
            if pins.len() < MAX_PINS {
                pins.push(percent_decode(v));
            } else {
                extra_pins += 1;
            }
        } else if percent_decode(k) == "workers" {
            workers = Some(percent_decode(v));
        } else if percent_decode(k) == "tour" {
            tours.push(percent_decode(v));
        } else if let Some(key) = CLASSROOM_KEYS.iter().find(|c| **c == percent_decode(k)) {
            classroom.push((key, percent_decode(v)));
        } else {
            settings.push(part);
        }
    }
    let (cfg, mut cfg_notices) = Config::from_query(&settings.join("&"));
    cfg_notices.append(&mut cfg.combination_notices());
    cfg_notices.append(&mut notices);
    let mut notices = cfg_notices;
    let mut view = View::default();
    if let Some(v) = present {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => view.present = true,
            "false" | "0" | "no" | "off" => {}
            _ => notices.push(Notice {
                key: "present".into(),
                message: format!(
                    "present must be true or false, not '{}'; the page is shown as usual.",
                    v.chars().take(40).collect::<String>()
                ),
            }),
        }
    }
    if let Some(v) = workers {
        let t = v.trim();
        match t.parse::<u32>() {
            _ if t.eq_ignore_ascii_case("auto") => {}
            Ok(n) if (1..=MAX_WORKERS).contains(&n) => view.workers = Some(n),
            _ => notices.push(Notice {
                key: "workers".into(),
                message: format!(
                    "workers must be 'auto' or a whole number from 1 to {MAX_WORKERS}, not '{}'; the automatic count is used.",
                    v.chars().take(40).collect::<String>()
                ),
            }),
        }
    }
    if let Some(code) = code {
        match prompt::parse_url(&code, cfg.d, cfg.n).and_then(|p| prompt::encode_url(&p)) {
            Ok(canonical) => view.prompt = Some(canonical),
            Err(e) => notices.push(Notice {
                key: "prompt".into(),
                message: format!(
                    "The prompt in the link was not used: {e} The page shows an evaluation task instead."
                ),
            }),
        }
    }
    if extra_pins > 0 {
        notices.push(Notice {
            key: "pin".into(),
            message: format!(
                "The link pins {} runs; only the first {MAX_PINS} are shown.",
                MAX_PINS + extra_pins
            ),
        });
    }
    for (i, pin) in pins.iter().enumerate() {
        match pin_settings(pin) {
            Ok(pinned) => view.pins.push(pinned.to_query()),
            Err(why) => notices.push(Notice {
                key: "pin".into(),
                message: format!(
                    "Pinned run {} in the link was not used: {why}. The page works on without it.",
                    i + 1
                ),
            }),
        }
    }
    read_classroom(&classroom, &mut view, &mut notices);
    read_tour(&tours, &mut view, &mut notices);
    (cfg, view, notices)
}

/// Reads `tour` (its values in link order; the last one counts) into `view`, after the
/// classroom keys: a frame showing only some cards (`view`) has no room for the tour.
fn read_tour(values: &[String], view: &mut View, notices: &mut Vec<Notice>) {
    let Some(value) = values.last() else { return };
    let mut say = |message: String| {
        notices.push(Notice {
            key: "tour".into(),
            message,
        })
    };
    if values.len() > 1 {
        say("tour was given more than once; the last value is used.".into());
    }
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=TOUR_STEPS).contains(&n) && !view.view.is_empty() => say(format!(
            "tour={n} was not used: a link that shows only some cards (view) has no room for the guided tour."
        )),
        Ok(n) if (1..=TOUR_STEPS).contains(&n) => view.tour = Some(n),
        _ => say(format!(
            "tour must be a step number from 1 to {TOUR_STEPS}, not '{}'; the page opens without the tour (Take the tour starts it).",
            sanitize(value)
        )),
    }
}

/// A pinned run's settings, read strictly: a pin stands for a run that was trained, so a value
/// that would need a correction means the link does not describe that run.
fn pin_settings(text: &str) -> Result<Config, String> {
    if text.len() > MAX_PIN_BYTES {
        return Err(format!(
            "its settings are {} bytes long, at most {MAX_PIN_BYTES} are read",
            text.len()
        ));
    }
    let (cfg, notices) = Config::from_query(text);
    match notices.first() {
        None => Ok(cfg),
        Some(n) => {
            // The sentence says what the correction would be; here nothing is corrected.
            let what = n.message.split(';').next().unwrap_or_default();
            Err(format!(
                "its settings are not valid as written ({})",
                what.trim_end_matches('.')
            ))
        }
    }
}

/// Percent-encodes `text` for a query value: everything but `A–Z a–z 0–9 - . _ ~` (the bytes
/// JavaScript's encodeURIComponent leaves alone, less `! ' ( ) *`, which canonical settings
/// never contain).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical link query: the non-default settings (Config::to_query), then the view keys
/// (`pin` values percent-encoded), `tour` last.
pub fn to_query(cfg: &Config, view: &View) -> String {
    let mut parts = vec![cfg.to_query()];
    if let Some(code) = &view.prompt {
        parts.push(format!("prompt={code}"));
    }
    if view.present {
        parts.push("present=true".into());
    }
    for pin in &view.pins {
        // An empty value is a pin of the default settings; keep the key.
        parts.push(format!("pin={}", percent_encode(pin)));
    }
    if let Some(n) = view.workers {
        parts.push(format!("workers={n}"));
    }
    parts.extend(classroom_query(view));
    if let Some(n) = view.tour {
        parts.push(format!("tour={n}"));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("&")
}

// ---- classroom: lock, hide, view, autoplay ---------------------------------------------------

const CLASSROOM_KEYS: &[&str] = &["lock", "hide", "view", "autoplay"];
/// A list longer than this is cut (every list name is short, and each list has < 30 names).
const MAX_LIST_CHARS: usize = 2000;

/// Reads the classroom keys (`pairs`: key, decoded value, in link order) into `view`. A repeated
/// key keeps its last value; unknown names are dropped; each problem is one notice.
fn read_classroom(pairs: &[(&'static str, String)], view: &mut View, notices: &mut Vec<Notice>) {
    for key in CLASSROOM_KEYS {
        let mine: Vec<&String> = pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v)
            .collect();
        let Some(value) = mine.last() else { continue };
        if mine.len() > 1 {
            notices.push(Notice {
                key: (*key).into(),
                message: format!("{key} was given more than once; the last value is used."),
            });
        }
        let notice = match *key {
            "lock" => {
                let keys: Vec<&'static str> = SCHEMA.iter().map(|k| k.key).collect();
                read_names(key, value, &keys, Some("all"), &mut view.lock)
            }
            "hide" => read_names(key, value, &names(PANELS), None, &mut view.hide),
            "view" => read_names(key, value, &names(CARDS), None, &mut view.view),
            _ => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => None,
                "false" | "0" | "no" | "off" => {
                    view.autoplay = false;
                    None
                }
                _ => Some(format!(
                    "autoplay must be true or false, not '{}'; the run starts at once.",
                    sanitize(value)
                )),
            },
        };
        if let Some(message) = notice {
            notices.push(Notice {
                key: (*key).into(),
                message,
            });
        }
    }
}

fn names(parts: &[Part]) -> Vec<&'static str> {
    parts.iter().map(|p| p.name).collect()
}

/// Reads a comma list of `allowed` names (case and spaces ignored; `all`, if given, names every
/// one) into `out`, in the order of `allowed`. Returns a notice naming what was dropped.
fn read_names(
    key: &str,
    value: &str,
    allowed: &[&'static str],
    all: Option<&str>,
    out: &mut Vec<&'static str>,
) -> Option<String> {
    let cut = value.chars().count() > MAX_LIST_CHARS;
    let text: String = value.chars().take(MAX_LIST_CHARS).collect();
    let mut unknown: Vec<String> = Vec::new();
    let mut chosen = vec![false; allowed.len()];
    for name in text.split(',').map(|n| n.trim().to_ascii_lowercase()) {
        if name.is_empty() {
            continue;
        }
        if all == Some(name.as_str()) {
            chosen.iter_mut().for_each(|c| *c = true);
        } else if let Some(i) = allowed.iter().position(|a| *a == name) {
            chosen[i] = true;
        } else if !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    *out = allowed
        .iter()
        .zip(&chosen)
        .filter(|(_, c)| **c)
        .map(|(a, _)| *a)
        .collect();
    let known = match all {
        Some(all) => format!("'{all}' or {}", allowed.join(", ")),
        None => allowed.join(", "),
    };
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(3)
            .map(|u| format!("'{}'", sanitize(u)))
            .collect();
        let more = if unknown.len() > 3 {
            format!(" and {} more", unknown.len() - 3)
        } else {
            String::new()
        };
        Some(format!(
            "{key} does not know {}{more}, so {} ignored; it takes {known}.",
            shown.join(", "),
            if unknown.len() == 1 {
                "it was"
            } else {
                "they were"
            },
        ))
    } else if cut {
        Some(format!("{key} was too long; only its start was read."))
    } else if out.is_empty() {
        Some(format!("{key} names nothing; it takes {known}."))
    } else {
        None
    }
}

/// The classroom keys of a canonical link (`lock=all` when every setting is locked).
fn classroom_query(view: &View) -> Vec<String> {
    let mut parts = Vec::new();
    if !view.lock.is_empty() {
        if view.lock.len() == SCHEMA.len() {
            parts.push("lock=all".to_string());
        } else {
            parts.push(format!("lock={}", view.lock.join(",")));
        }
    }
    if !view.hide.is_empty() {
        parts.push(format!("hide={}", view.hide.join(",")));
    }
    if !view.view.is_empty() {
        parts.push(format!("view={}", view.view.join(",")));
    }
    if !view.autoplay {
        parts.push("autoplay=false".into());
    }
    parts
}
