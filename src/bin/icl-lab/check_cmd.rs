//! `icl-lab check run.json`: re-runs the settings of a saved report (`icl-lab run --json`, or the
//! page's "Download run") for as many steps as it holds, and says whether every number is
//! identical. They must be: the same seed and the same engine give the same numbers, in the
//! browser's WebAssembly build as here.
//!
//!   icl-lab check run.json [--quiet]
//!
//! Exit codes: 0 identical, 1 some numbers differ, 2 the file cannot be checked.

use icl_lab::report;
use icl_lab::run::Status;
use icl_lab::train::Trainer;
use serde_json::Value;
use std::io::IsTerminal;
use std::process::ExitCode;

use crate::saved::{read_report, same, saved_config};

const USAGE: &str = "usage: icl-lab check run.json [--quiet]
  re-runs the settings saved in run.json (a report of `icl-lab run --json` or the page's
  \"Download run\") for the steps it holds and compares every number; exit 0 if identical";

/// What a report holds that a re-run cannot reproduce: how long it took, and the corrections
/// made to the link or command line it came from.
const NOT_COMPARED: &[&str] = &["seconds", "ms_per_step", "notices"];
/// Differences named in full; the rest are counted.
const SHOWN: usize = 5;

fn fail(msg: &str) -> ExitCode {
    eprintln!("icl-lab check: {msg}");
    ExitCode::from(2)
}

pub fn main(args: &[String]) -> ExitCode {
    let (mut path, mut quiet) = (None, false);
    for a in args {
        match a.as_str() {
            "--quiet" => quiet = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with("--") => {
                return fail(&format!("unknown option '{flag}'\n{USAGE}"))
            }
            file if path.is_none() => path = Some(file.to_string()),
            extra => return fail(&format!("one file at a time ('{extra}' is one too many)")),
        }
    }
    let Some(path) = path else {
        return fail(&format!("which run? give the saved report's file\n{USAGE}"));
    };
    let saved = match read_report(&path) {
        Ok(v) => v,
        Err(msg) => return fail(&msg),
    };
    let cfg = match saved_config(&path, &saved) {
        Ok(c) => c,
        Err(msg) => return fail(&msg),
    };
    let Some(steps) = saved.get("steps_done").and_then(Value::as_u64) else {
        return fail(&format!(
            "{path} has no \"steps_done\": it is not a report of a run"
        ));
    };
    let steps = steps as usize;
    if steps > cfg.steps {
        return fail(&format!(
            "{path} says {steps} steps were done, more than its settings' {}",
            cfg.steps
        ));
    }

    let settings = match cfg.to_query() {
        q if q.is_empty() => "the default settings".to_string(),
        q => q.replace('&', " "),
    };
    let fixed_eta = cfg.gd_eta.is_some();
    let mut t = Trainer::new(cfg);
    let show = !quiet && std::io::stderr().is_terminal();
    while t.run.step < steps && t.run.status == Status::Training {
        t.advance((steps - t.run.step).min(100));
        if show {
            eprint!("\ricl-lab check: re-running {}/{steps} steps ", t.run.step);
        }
    }
    if show {
        eprintln!();
    }
    let fresh = report::report(&mut t, Vec::new(), 0.0);
    // Both sides through JSON text, so each number is compared as the file writes it.
    let fresh: Value = match serde_json::to_string(&fresh).map(|s| serde_json::from_str(&s)) {
        Ok(Ok(v)) => v,
        _ => return fail("could not encode the re-run's report"),
    };

    let mut diff = Diff::default();
    compare(&saved, &fresh, String::new(), &mut diff);
    if diff.differ.is_empty() {
        println!(
            "identical: all {} values in {path} match a re-run of {settings} for {steps} steps",
            diff.values
        );
        return ExitCode::SUCCESS;
    }
    let shown: Vec<&str> = diff.differ.iter().take(SHOWN).map(String::as_str).collect();
    let more = diff.differ.len().saturating_sub(SHOWN);
    eprintln!(
        "icl-lab check: not identical: {} of {} values in {path} differ from a re-run of {settings} for {steps} steps{}.\n  {}{}",
        diff.differ.len(),
        diff.values,
        if fixed_eta {
            " (if GD's step size η was changed on the page while the run trained, the curves before the change used the old η, which the file does not keep)"
        } else {
            ""
        },
        shown.join("\n  "),
        if more > 0 {
            format!("\n  … and {more} more")
        } else {
            String::new()
        }
    );
    ExitCode::from(1)
}

#[derive(Default)]
struct Diff {
    /// Leaf values compared (numbers, texts, switches, nulls).
    values: usize,
    /// One sentence per difference, with its place in the report.
    differ: Vec<String>,
}

/// Walks the saved report `a` and the re-run's `b` together (keys of NOT_COMPARED at the top
/// level skipped), noting every leaf that differs and every place one has and the other lacks.
fn compare(a: &Value, b: &Value, at: String, out: &mut Diff) {
    let place = |at: &str| {
        if at.is_empty() {
            "the report".to_string()
        } else {
            at.to_string()
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                if at.is_empty() && NOT_COMPARED.contains(&k.as_str()) {
                    continue;
                }
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match y.get(k) {
                    Some(vb) => compare(va, vb, here, out),
                    None => out
                        .differ
                        .push(format!("{here} is in the file but not in a re-run")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                if !(at.is_empty() && NOT_COMPARED.contains(&k.as_str())) {
                    let here = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    out.differ.push(format!("{here} is missing from the file"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.differ.push(format!(
                    "{} has {} entries in the file, {} re-run",
                    place(&at),
                    x.len(),
                    y.len()
                ));
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                compare(va, vb, format!("{at}[{i}]"), out);
            }
        }
        _ => {
            out.values += 1;
            if !same(a, b) {
                out.differ
                    .push(format!("{} is {a} in the file, {b} re-run", place(&at)));
            }
        }
    }
}
