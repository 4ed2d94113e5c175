//! A run saved as a report (`icl-lab run --json`, or the page's "Download run"): reading it, and
//! its settings back through the schema.

use icl_lab::config::Config;
use serde_json::Value;

/// The report in the file at `path`, as JSON.
pub fn read_report(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {path}: {e}"))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{path} is not a JSON report of `icl-lab run --json` ({e})"))
}

/// The settings saved in report `rep` (from `path`), read through the schema; they must read
/// back unchanged.
pub fn saved_config(path: &str, rep: &Value) -> Result<Config, String> {
    let Some(Value::Object(saved)) = rep.get("config") else {
        return Err(format!(
            "{path} has no \"config\": save it with `icl-lab run --json`"
        ));
    };
    let saved_pairs = saved.iter().map(|(k, v)| {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => "auto".into(),
            other => other.to_string(),
        };
        (k.clone(), text)
    });
    let (cfg, notices) = Config::from_pairs(saved_pairs);
    let back = serde_json::to_value(&cfg).unwrap_or(Value::Null);
    if !notices.is_empty() || !same(&back, &Value::Object(saved.clone())) {
        let why = notices
            .first()
            .map_or(String::new(), |n| format!(": {}", n.message));
        return Err(format!("the settings saved in {path} are not valid{why}"));
    }
    Ok(cfg)
}

/// Whether two JSON values are equal, numbers compared by value (`1` and `1.0` are the same
/// number, as a file rewritten by another tool may write it).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
