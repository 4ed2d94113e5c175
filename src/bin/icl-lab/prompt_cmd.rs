//! `icl-lab prompt`: every learner's answer to one prompt read from stdin, from a run trained
//! here or reloaded from `icl-lab run --json` output (`--weights`).
//!
//!   icl-lab prompt [--preset NAME] [key=value …] [--weights run.json] [--lenient] [--quiet]
//!       < prompt.json        {"examples": [[x₁, …, x_d, y], …], "query": [x₁, …, x_d]}
//!
//! Exit codes: 0 answered, 2 bad arguments, settings, saved run or prompt, 3 training diverged.

use icl_lab::config::{Config, Notice, SCHEMA};
use icl_lab::model::{Arch, Model};
use icl_lab::presets::{self, PRESETS};
use icl_lab::prompt::{self, Frozen, Learners, MAX_JSON_BYTES};
use icl_lab::run::{self, Status};
use icl_lab::train::Trainer;
use serde_json::Value;

use crate::saved::{read_report, saved_config};
use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: icl-lab prompt [--preset NAME] [key=value ...] [--weights run.json] [--lenient] [--quiet] < prompt.json
  prompt.json: {\"examples\": [[x1, ..., xd, y], ...], \"query\": [x1, ..., xd]}
               (optional: \"target\": y_q, \"range\": [lo, hi] for the d = 1 curve)
  --weights    reuse a run saved by `icl-lab run --json` instead of training; settings given
               here must match the saved ones (gd_eta may differ: it only moves the GD reference)";

fn fail(msg: &str) -> ExitCode {
    eprintln!("icl-lab prompt: {msg}");
    ExitCode::from(2)
}

pub fn main(args: &[String]) -> ExitCode {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let (mut weights, mut lenient, mut quiet) = (None, false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--lenient" => lenient = true,
            "--quiet" => quiet = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--weights" => match it.next() {
                Some(path) => weights = Some(path.clone()),
                None => return fail(&format!("--weights needs a file name\n{USAGE}")),
            },
            "--preset" => {
                let Some(p) = it.next().and_then(|name| presets::find(name)) else {
                    let names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
                    return fail(&format!(
                        "--preset needs a known preset name; presets: {}",
                        names.join(", ")
                    ));
                };
                pairs.extend(
                    p.query
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        // a view key (the page's `prompt`) is not a setting of the run
                        .filter(|(k, _)| !icl_lab::link::VIEW_KEYS.contains(k))
                        .map(|(k, v)| (k.to_string(), v.to_string())),
                );
            }
            flag if flag.starts_with("--") => {
                return fail(&format!("unknown option '{flag}'\n{USAGE}"))
            }
            kv => match kv.split_once('=') {
                Some((k, v)) => pairs.push((k.to_string(), v.to_string())),
                None => {
                    return fail(&format!(
                        "'{kv}' is not a setting: write key=value, e.g. d=10"
                    ))
                }
            },
        }
    }
    let (cfg, notices) = Config::from_pairs(pairs.iter().map(|(k, v)| (k, v)));
    for Notice { message, .. } in &notices {
        eprintln!("icl-lab prompt: {message}");
    }
    if !notices.is_empty() && !lenient {
        return fail("settings were invalid (see above); fix them, or pass --lenient");
    }

    // Read and check the prompt before any training, so a bad prompt fails at once.
    let mut text = String::new();
    let read = std::io::stdin()
        .take(MAX_JSON_BYTES as u64 + 1)
        .read_to_string(&mut text);
    if let Err(e) = read {
        return fail(&format!("could not read the prompt from stdin: {e}"));
    }

    let (cfg, model, untrained, learners, status) = match weights {
        Some(path) => match load_run(&path, &cfg, &pairs) {
            Ok((cfg, model, learners)) => {
                let untrained = run::initial_model(&cfg);
                (cfg, model, untrained, learners, Status::Done)
            }
            Err(msg) => return fail(&msg),
        },
        None => {
            if let Err(e) = prompt::parse_json(&text, cfg.d, cfg.n) {
                return fail(&e.to_string());
            }
            let mut t = Trainer::new(cfg);
            while t.run.status == Status::Training {
                t.advance(100);
            }
            if !quiet {
                eprintln!(
                    "icl-lab prompt: trained {} steps, eval loss {:.4} (GD {:.4})",
                    t.run.step, t.compare.latest.loss, t.compare.baselines.gd_loss
                );
            }
            if t.run.status == Status::Diverged {
                eprintln!(
                    "icl-lab prompt: training diverged at step {}: lower lr",
                    t.run.step
                );
            }
            let l = Learners::from_baselines(&t.compare.baselines);
            (t.run.cfg, t.run.model, t.run.untrained, l, t.run.status)
        }
    };
    let req = match prompt::parse_json(&text, cfg.d, cfg.n) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let frozen = Frozen {
        cfg: &cfg,
        model: &model,
        untrained: &untrained,
        learners,
    };
    let ans = match frozen.answer(&req) {
        Ok(a) => a,
        Err(e) => return fail(&e.to_string()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = serde_json::to_writer_pretty(&mut out, &ans)
        .map_err(std::io::Error::other)
        .and_then(|_| writeln!(out));
    if let Err(e) = written {
        eprintln!("icl-lab prompt: could not write the output: {e}");
        return ExitCode::FAILURE;
    }
    if status == Status::Diverged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// The settings, trained model and reference step sizes of a saved `icl-lab run --json` report.
/// Settings given on the command line must equal the saved ones, except `gd_eta` (it only moves
/// the GD reference: a number replaces the saved η, `auto` takes the saved η*).
fn load_run(
    path: &str,
    given: &Config,
    pairs: &[(String, String)],
) -> Result<(Config, Model, Learners), String> {
    let rep = read_report(path)?;
    let mut cfg = saved_config(path, &rep)?;
    let given_text: Vec<(&str, String)> = given.to_pairs();
    let saved_text: Vec<(&str, String)> = cfg.to_pairs();
    for (key, _) in pairs {
        if key == "gd_eta" || !SCHEMA.iter().any(|k| k.key == key) {
            continue;
        }
        let g = given_text.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let s = saved_text.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if g != s {
            return Err(format!(
                "{key}={} was given, but the run in {path} has {key}={}; drop the setting or use a matching run",
                g.map_or("?", |v| v.as_str()),
                s.map_or("?", |v| v.as_str())
            ));
        }
    }
    let params: Vec<f32> = match rep.get("params") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_f64().map(|x| x as f32))
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| {
                format!("the parameters saved in {path} are not all finite numbers (did the run diverge?)")
            })?,
        _ => {
            return Err(format!(
                "{path} has no \"params\": save the run again with this version's `icl-lab run --json`"
            ))
        }
    };
    let arch = Arch::from_config(&cfg);
    if params.len() != arch.n_params() {
        return Err(format!(
            "{path} holds {} parameters, but its settings need {}",
            params.len(),
            arch.n_params()
        ));
    }
    let b = rep
        .get("baselines")
        .ok_or_else(|| format!("{path} has no \"baselines\""))?;
    let field = |k: &str| {
        b.get(k)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("{path} lacks baselines.{k}"))
    };
    let mut learners = Learners {
        gd_eta: field("gd_eta")?,
        gd_steps: field("gd_steps")? as usize,
        gdpp_eta: field("gdpp_eta")?,
        gdpp_gamma: field("gdpp_gamma")?,
        ridge_lambda: field("ridge_lambda")?,
    };
    if pairs.iter().any(|(k, _)| k == "gd_eta") {
        cfg.gd_eta = given.gd_eta;
        learners.gd_eta = match given.gd_eta {
            Some(eta) => eta,
            None => field("gd_eta_star")?,
        };
    }
    Ok((cfg, Model { arch, params }, learners))
}
