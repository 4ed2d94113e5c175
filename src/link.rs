//! A link = the run's settings ([`Config`]) + what the page shows: `prompt`, an edited prompt's
//! URL code (see prompt.rs), and `present`, presenter mode. The settings keys are Config's; the view keys are read
//! here, so `Config::from_query` keeps reporting every other key as unknown.

use crate::config::{percent_decode, Config, Notice};
use crate::prompt;

/// The keys of a link that describe what the page shows rather than the run.
pub const VIEW_KEYS: &[&str] = &["prompt", "present"];

/// What the page shows, beyond the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// An edited prompt's URL code, validated against the run's d and N and re-encoded
    /// canonically by [`prompt::encode_url`]; `None`: the page shows an evaluation task.
    pub prompt: Option<String>,
    /// Presenter mode: larger type and the charts sized for a projector (`present=true`).
    pub present: bool,
}

/// Reads a link's query string: the settings first (unknown keys are reported by Config), then
/// the view keys against those settings. A view value that does not fit is dropped with a
/// notice; nothing here fails.
pub fn parse(query: &str) -> (Config, View, Vec<Notice>) {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut settings = Vec::new();
    let mut code: Option<String> = None;
    let mut present: Option<String> = None;
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
        } else {
            settings.push(part);
        }
    }
    let (cfg, mut cfg_notices) = Config::from_query(&settings.join("&"));
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
    (cfg, view, notices)
}

/// The canonical link query: the non-default settings (Config::to_query), then the view keys.
pub fn to_query(cfg: &Config, view: &View) -> String {
    let mut parts = vec![cfg.to_query()];
    if let Some(code) = &view.prompt {
        parts.push(format!("prompt={code}"));
    }
    if view.present {
        parts.push("present=true".into());
    }
    parts.retain(|p| !p.is_empty());
    parts.join("&")
}
