//! The wasm facade (`Lab`) as the page's worker uses it, run by wasm-bindgen-test in Node and
//! in headless Chromium: bad queries are corrected with notices, training advances (before the
//! references have arrived, as on the page), snapshots are valid JSON without NaN, and the same
//! query gives the same numbers (linear and softmax).
#![cfg(target_arch = "wasm32")]

use icl_lab::wasm::{presets, schema, Lab};
use wasm_bindgen_test::*;

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("valid JSON")
}

#[wasm_bindgen_test]
fn schema_and_presets_are_json() {
    assert!(json(&schema()).as_array().unwrap().len() >= 17);
    let p = json(&presets().unwrap());
    assert!(p.as_array().unwrap().iter().any(|p| p["name"] == "fig2"));
}

#[wasm_bindgen_test]
fn hostile_query_is_corrected_and_trains() {
    let mut lab =
        Lab::new("d=NaN&n=1e9&lr=<script>alert(1)</script>&bogus=1&batch=64&eval_tasks=256");
    let notices = json(&lab.notices().unwrap());
    let keys: Vec<_> = notices
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap().to_string())
        .collect();
    for k in ["d", "n", "lr", "bogus"] {
        assert!(keys.iter().any(|x| x == k), "no notice for {k}: {keys:?}");
    }
    assert_eq!(lab.advance(5), 5);
    let snap = lab.snapshot(0, 0, true, true).unwrap();
    assert!(!snap.contains("NaN"));
    assert_eq!(json(&snap)["step"], 5);
    assert!(json(&snap)["pending"].as_array().unwrap().len() > 3);
    while !lab.advance_references(5.0) {}
    let snap = lab.snapshot(0, 0, true, true).unwrap();
    assert!(!snap.contains("NaN") && json(&snap).get("pending").is_none());
}

#[wasm_bindgen_test]
fn same_query_same_numbers_and_cheap_knobs_do_not_retrain() {
    let q = "d=4&n=6&batch=128&eval_tasks=256&eval_every=5&seed=9";
    let mut a = Lab::new(q);
    let mut b = Lab::new(q);
    a.advance(20);
    b.advance(20);
    assert!(a.advance_references(f64::INFINITY) && b.advance_references(f64::INFINITY));
    assert_eq!(
        a.snapshot(0, 0, true, true).unwrap(),
        b.snapshot(0, 0, true, true).unwrap()
    );
    a.set_cheap("gd_eta", "2.5").unwrap();
    assert_eq!(a.step(), 20);
    assert_eq!(
        json(&a.snapshot(0, 0, false, false).unwrap())["baselines"]["gd_eta"],
        2.5
    );
    assert!(a.set_cheap("d", "3").is_err());
    let ood = json(&a.ood().unwrap());
    assert!(ood.as_array().unwrap().len() >= 11);
}

#[wasm_bindgen_test]
fn softmax_runs_train_and_repeat_bit_for_bit() {
    let q = "d=4&n=6&attn=softmax&heads=2&layers=2&batch=128&eval_tasks=256&eval_every=5&seed=9";
    let mut a = Lab::new(q);
    let mut b = Lab::new(q);
    assert_eq!(a.advance(20), 20);
    b.advance(20);
    let snap = a.snapshot(0, 0, true).unwrap();
    assert!(!snap.contains("NaN"));
    assert_eq!(json(&snap)["step"], 20);
    assert_eq!(snap, b.snapshot(0, 0, true).unwrap());
}
