//! `icl-lab`: the engine headless, for researchers. Same keys as the page's URL.
//!
//!   icl-lab run [--preset NAME] [key=value …] [--json | --csv] [--lenient] [--quiet]
//!   icl-lab prompt [--preset NAME] [key=value …] [--weights run.json] < prompt.json
//!   icl-lab check run.json
//!   icl-lab presets | schema | help

#[path = "icl-lab/check_cmd.rs"]
mod check_cmd;
#[path = "icl-lab/prompt_cmd.rs"]
mod prompt_cmd;
#[path = "icl-lab/saved.rs"]
mod saved;

use icl_lab::config::{Config, Notice};
use icl_lab::presets::{self, PRESETS};
use icl_lab::report;
use icl_lab::run::Status;
use icl_lab::train::Trainer;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
icl-lab — train a linear-attention transformer on in-context regression and compare it with
gradient descent (von Oswald et al., ICML 2023).

USAGE
  icl-lab run [--preset NAME] [key=value ...] [--json | --csv] [--lenient] [--quiet]
  icl-lab prompt [--preset NAME] [key=value ...] [--weights run.json] < prompt.json
                         every learner's answer to one prompt (see `icl-lab prompt --help`)
  icl-lab check run.json re-run a saved report (`run --json`, or the page's \"Download run\")
                         and say whether every number is identical (exit 0) or not (exit 1)
  icl-lab presets        list the presets (paper figures, critics' experiments)
  icl-lab schema         every setting: key, default, range, help (JSON)
  icl-lab help

  run       trains and prints a JSON report (default) or the curves as CSV (--csv)
  --preset  start from a named preset; key=value pairs after it override it
  --lenient accept corrected settings (out of range, unknown keys) instead of failing
  --quiet   no progress bar on stderr

EXAMPLE
  icl-lab run --preset fig2 eval_tasks=10000 --json > fig2.json
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("prompt") => prompt_cmd::main(&args[1..]),
        Some("check") => check_cmd::main(&args[1..]),
        Some("presets") => {
            for p in PRESETS {
                println!(
                    "{:<14} {}\n{:<14} {}\n{:<14} settings: {}\n",
                    p.name,
                    p.title,
                    "",
                    p.description,
                    "",
                    if p.query.is_empty() {
                        "(defaults)"
                    } else {
                        p.query
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Some("schema") => {
            println!("{}", Config::schema_json());
            ExitCode::SUCCESS
        }
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => fail(&format!("unknown command '{other}'")),
        None => fail("no command given"),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("icl-lab: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

enum Output {
    Json,
    Csv,
}

/// The arguments of `icl-lab run`.
struct RunArgs {
    /// Settings in the order given (a preset's first, then the overrides after it).
    pairs: Vec<(String, String)>,
    output: Output,
    lenient: bool,
    quiet: bool,
}

/// Parses `run`'s arguments; the error is a sentence for `fail`.
fn parse_run_args(args: &[String]) -> Result<RunArgs, String> {
    let mut a = RunArgs {
        pairs: Vec::new(),
        output: Output::Json,
        lenient: false,
        quiet: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => a.output = Output::Json,
            "--csv" => a.output = Output::Csv,
            "--lenient" => a.lenient = true,
            "--quiet" => a.quiet = true,
            "--preset" => {
                let Some(name) = it.next() else {
                    return Err("--preset needs a name (see `icl-lab presets`)".into());
                };
                let Some(p) = presets::find(name) else {
                    let names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
                    return Err(format!(
                        "unknown preset '{name}'; presets: {}",
                        names.join(", ")
                    ));
                };
                a.pairs.extend(
                    p.query
                        .split('&')
                        .filter(|s| !s.is_empty())
                        .filter_map(|kv| kv.split_once('='))
                        // a view key (the page's `prompt`) is not a setting of the run
                        .filter(|(k, _)| !icl_lab::link::VIEW_KEYS.contains(k))
                        .map(|(k, v)| (k.to_string(), v.to_string())),
                );
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            kv => match kv.split_once('=') {
                Some((k, v)) => a.pairs.push((k.to_string(), v.to_string())),
                None => {
                    return Err(format!(
                        "'{kv}' is not a setting: write key=value, e.g. d=10"
                    ))
                }
            },
        }
    }
    Ok(a)
}

fn run(args: &[String]) -> ExitCode {
    let a = match parse_run_args(args) {
        Ok(a) => a,
        Err(msg) => return fail(&msg),
    };
    let (cfg, notices) = Config::from_pairs(a.pairs);
    for Notice { message, .. } in &notices {
        eprintln!("icl-lab: {message}");
    }
    if !notices.is_empty() && !a.lenient {
        eprintln!("icl-lab: settings were invalid (see above); fix them, or pass --lenient to run with the corrections");
        return ExitCode::from(2);
    }
    for Notice { message, .. } in cfg.combination_notices() {
        eprintln!("icl-lab: note: {message}");
    }

    let start = Instant::now();
    let mut trainer = Trainer::new(cfg);
    let train_seconds = train(&mut trainer, !a.quiet && std::io::stderr().is_terminal());
    if trainer.run.status == Status::Diverged {
        eprintln!(
            "icl-lab: training diverged at step {} (the loss blew up): lower lr",
            trainer.run.step
        );
    }
    let rep = report::report(&mut trainer, notices, train_seconds);
    if let Err(e) = write_report(&rep, &a.output) {
        eprintln!("icl-lab: could not write the output: {e}");
        return ExitCode::FAILURE;
    }
    if !a.quiet {
        eprintln!(
            "icl-lab: {} steps in {:.1} s ({:.2} ms/step), total {:.1} s",
            trainer.run.step,
            train_seconds,
            rep.ms_per_step,
            start.elapsed().as_secs_f64()
        );
    }
    if trainer.run.status == Status::Diverged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Trains to the end of the budget (or until divergence), with a progress bar on stderr when
/// `show_progress`; returns the seconds spent training.
fn train(trainer: &mut Trainer, show_progress: bool) -> f64 {
    let train_start = Instant::now();
    while trainer.run.status == Status::Training {
        trainer.advance(50);
        if show_progress {
            progress(trainer, train_start.elapsed().as_secs_f64());
        }
    }
    let train_seconds = train_start.elapsed().as_secs_f64();
    if show_progress {
        eprintln!();
    }
    train_seconds
}

/// The report as pretty JSON, or its curves as CSV, on stdout.
fn write_report(rep: &report::Report, output: &Output) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match output {
        Output::Json => serde_json::to_writer_pretty(&mut out, rep)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
        Output::Csv => out.write_all(report::curves_csv(&rep.curves).as_bytes()),
    }
}

fn progress(t: &Trainer, secs: f64) {
    let frac = t.run.step as f64 / t.run.cfg.steps.max(1) as f64;
    let width = 30;
    let filled = (frac * width as f64).round() as usize;
    eprint!(
        "\r[{}{}] {}/{} steps  eval loss {:.4} (GD {:.4})  {:.0} steps/s ",
        "#".repeat(filled.min(width)),
        " ".repeat(width - filled.min(width)),
        t.run.step,
        t.run.cfg.steps,
        t.compare.latest.loss,
        t.compare.baselines.gd_loss,
        t.run.step as f64 / secs.max(1e-9)
    );
}
