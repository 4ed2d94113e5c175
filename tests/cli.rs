//! The `icl-lab prompt` command, through the built binary: a bad prompt exits 2 before any
//! training, a good one prints every learner's answer, and `--weights` reuses a run saved by
//! `icl-lab run --json` (same answers as training it again; mismatched settings exit 2).

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const SMALL: [&str; 2] = ["steps=50", "eval_tasks=256"];

fn icl_lab(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_icl-lab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run icl-lab");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn good_prompt(d: usize, m: usize) -> String {
    let ex: Vec<String> = (0..m)
        .map(|i| {
            let x: Vec<String> = (0..=d)
                .map(|k| format!("{}", ((i * 7 + k * 3) % 11) as f64 / 11.0 - 0.5))
                .collect();
            format!("[{}]", x.join(","))
        })
        .collect();
    let q: Vec<String> = (0..d)
        .map(|k| format!("{}", 0.1 * k as f64 - 0.2))
        .collect();
    format!(
        r#"{{"examples": [{}], "query": [{}]}}"#,
        ex.join(","),
        q.join(",")
    )
}

#[test]
fn bad_prompts_exit_2_with_a_message() {
    for bad in [
        "",
        "not json",
        r#"{"examples": [[0.1, 0.2]], "query": [0.3]}"#, // d = 10 by default
        r#"{"examples": [], "query": [0,0,0,0,0,0,0,0,0,0]}"#,
        r#"{"examples": [[0,0,0,0,0,0,0,0,0,0,"y"]], "query": [0,0,0,0,0,0,0,0,0,0]}"#,
    ] {
        // steps=100000 would take minutes: the prompt must be refused before training.
        let out = icl_lab(&["prompt", "steps=100000"], bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("icl-lab prompt: "), "{err}");
        assert!(out.stdout.is_empty());
    }
    let many = good_prompt(2, 101);
    let out = icl_lab(&["prompt", "d=2", "n=5", "steps=100000"], &many);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 100"));
}

#[test]
fn prompt_prints_every_answer_and_weights_round_trip() {
    let prompt = good_prompt(10, 12);
    let out = icl_lab(&[&["prompt", "--quiet"][..], &SMALL].concat(), &prompt);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "config",
        "gd_eta",
        "predictions",
        "implied_weights",
        "examples_used",
        "trained_n",
    ] {
        assert!(fresh.get(key).is_some(), "no {key}");
    }
    assert_eq!(fresh["examples_used"], 12);
    assert_eq!(fresh["trained_n"], 10);
    for learner in [
        "transformer",
        "untrained",
        "gd",
        "gd_same_step",
        "gdpp",
        "ols",
        "ridge",
    ] {
        assert!(fresh["predictions"][learner].is_f64(), "{learner}");
        assert_eq!(
            fresh["implied_weights"][learner].as_array().map(Vec::len),
            Some(10),
            "{learner}"
        );
    }

    // Save the same run, then answer from its saved weights: identical answers.
    let run = icl_lab(&[&["run", "--json", "--quiet"][..], &SMALL].concat(), "");
    assert!(run.status.success());
    let path = std::env::temp_dir().join(format!("icl-lab-cli-{}.json", std::process::id()));
    std::fs::write(&path, &run.stdout).unwrap();
    let p = path.to_str().unwrap();
    let out = icl_lab(&["prompt", "--weights", p], &prompt);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reused: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reused, fresh);
    // Matching settings are accepted, mismatched ones refused; gd_eta only moves the reference.
    let out = icl_lab(&["prompt", "--weights", p, "steps=50"], &prompt);
    assert!(out.status.success());
    let out = icl_lab(&["prompt", "--weights", p, "layers=2"], &prompt);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("layers=2"));
    let out = icl_lab(&["prompt", "--weights", p, "gd_eta=3"], &prompt);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["gd_eta"], 3.0);
    assert_eq!(
        v["predictions"]["transformer"],
        fresh["predictions"]["transformer"]
    );
    // A report without parameters, or not a report, exits 2.
    let mut rep: Value = serde_json::from_slice(&run.stdout).unwrap();
    rep.as_object_mut().unwrap().remove("params");
    std::fs::write(&path, rep.to_string()).unwrap();
    let out = icl_lab(&["prompt", "--weights", p], &prompt);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("params"));
    std::fs::write(&path, "[1, 2]").unwrap();
    assert_eq!(
        icl_lab(&["prompt", "--weights", p], &prompt).status.code(),
        Some(2)
    );
    std::fs::remove_file(&path).ok();
}

#[test]
fn check_says_whether_a_saved_run_is_identical() {
    let run = icl_lab(
        &[&["run", "--json", "--quiet", "seed=4"][..], &SMALL].concat(),
        "",
    );
    assert!(run.status.success());
    let dir = std::env::temp_dir();
    let path = dir.join(format!("icl-lab-check-{}.json", std::process::id()));
    let p = path.to_str().unwrap();
    std::fs::write(&path, &run.stdout).unwrap();
    let out = icl_lab(&["check", p], "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.starts_with("identical: all "), "{said}");
    assert!(
        said.contains("steps=50") && said.contains("50 steps"),
        "{said}"
    );

    // One number changed, one field dropped: exit 1, and the sentence names both.
    let mut rep: Value = serde_json::from_slice(&run.stdout).unwrap();
    let loss = rep["curves"]["eval_loss"][1].as_f64().unwrap();
    rep["curves"]["eval_loss"][1] = serde_json::json!(loss * (1.0 + 1e-12));
    rep.as_object_mut().unwrap().remove("interpolation");
    // What a re-run cannot reproduce is not compared.
    rep["seconds"] = serde_json::json!(123.0);
    std::fs::write(&path, rep.to_string()).unwrap();
    let out = icl_lab(&["check", p], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not identical: 2 of "), "{err}");
    assert!(err.contains("curves.eval_loss[1] is "), "{err}");
    assert!(
        err.contains("interpolation is missing from the file"),
        "{err}"
    );

    // Files that cannot be checked: exit 2 with a sentence.
    for (text, says) in [
        ("not json", "is not a JSON report"),
        ("{}", "has no \"config\""),
        (r#"{"config": {"d": 500}}"#, "not valid"),
    ] {
        std::fs::write(&path, text).unwrap();
        let out = icl_lab(&["check", p], "");
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{text}"
        );
    }
    let mut rep: Value = serde_json::from_slice(&run.stdout).unwrap();
    rep["steps_done"] = serde_json::json!(51);
    std::fs::write(&path, rep.to_string()).unwrap();
    assert_eq!(icl_lab(&["check", p], "").status.code(), Some(2));
    assert_eq!(icl_lab(&["check"], "").status.code(), Some(2));
    std::fs::remove_file(&path).ok();
}

#[test]
fn csv_has_the_report_columns_and_a_row_per_step() {
    let out = icl_lab(&[&["run", "--csv", "--quiet"][..], &SMALL].concat(), "");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], icl_lab::report::CSV_HEADER);
    assert_eq!(
        lines.len(),
        1 + 51,
        "a row for step 0 and each of the 50 steps"
    );
    assert!(lines[1].starts_with("0,,0."), "{}", lines[1]);
    assert_eq!(lines[2].matches(',').count(), 9);
}
