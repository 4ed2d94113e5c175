//! The presets' texts make claims about the baselines and the construction; each claim that
//! does not need training is checked here, on the preset's own settings (the trained-model
//! claims are checked in tests/paper.rs). A preset whose text would no longer be true fails here.

use icl_lab::baselines;
use icl_lab::config::Config;
use icl_lab::construct;
use icl_lab::model::{Arch, Workspace};
use icl_lab::presets;
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use icl_lab::train::Trainer;

fn preset(name: &str) -> Config {
    let p = presets::find(name).unwrap_or_else(|| panic!("no preset {name}"));
    let (cfg, notices) = Config::from_query(p.query);
    assert!(notices.is_empty(), "{name}: {notices:?}");
    cfg
}

/// "noise": ridge with λ = σ² is best, and OLS, fitting the noise at N = d, is far worse than GD.
#[test]
fn noise_preset_ridge_beats_gd_and_ols_is_far_worse() {
    let cfg = preset("noise");
    assert_eq!(cfg.n, cfg.d, "the text's 'when N = d'");
    let t = Trainer::new(cfg);
    let b = &t.compare.baselines;
    eprintln!(
        "ridge {:.4}  GD {:.4}  OLS {:.4}",
        b.ridge_loss, b.gd_loss, b.ols_loss
    );
    assert!(
        b.ridge_loss < b.gd_loss,
        "ridge {} GD {}",
        b.ridge_loss,
        b.gd_loss
    );
    // "far worse": at least ten times GD's loss.
    assert!(
        b.ols_loss > 10.0 * b.gd_loss,
        "OLS {} GD {}",
        b.ols_loss,
        b.gd_loss
    );
}

/// "ood": GD's loss grows many times over at α = 2 while least squares stays exact.
#[test]
fn ood_preset_gd_grows_many_times_and_ols_stays_exact() {
    let cfg = preset("ood");
    assert_eq!(cfg.alpha, 2.0);
    let mut t = Trainer::new(cfg);
    let rows = t.ood(&[1.0, 2.0]);
    eprintln!("{rows:?}");
    // "many times over": at least ten times its in-distribution loss.
    assert!(rows[1].gd > 10.0 * rows[0].gd, "{rows:?}");
    assert!(rows[1].ols < 1e-4, "{rows:?}");
}

/// "query-in-keys": at one layer the query among the keys changes nothing for the construction,
/// because the query's label entry is 0; from two layers on the constructed model differs from
/// two GD steps.
#[test]
fn query_in_keys_changes_nothing_for_one_constructed_layer_but_does_for_two() {
    let cfg = preset("query-in-keys");
    assert!(cfg.query_in_keys && cfg.layers == 2);
    let dist = TaskDist::from_config(&cfg);
    let tasks = Tasks::sample(dist, 512, &mut stream(3, Stream::Eval));
    let eta = baselines::eta_star(&tasks, 1);
    let rel = |layers: usize| {
        let mut c = cfg.clone();
        c.layers = layers;
        let arch = Arch::from_config(&c);
        let model = construct::gd_model(arch, eta);
        let got = model.predict(&tasks, &mut Workspace::new(&arch));
        let want = baselines::gd(&tasks, eta, layers).yhat;
        let rms = (want.iter().map(|v| v * v).sum::<f64>() / want.len() as f64).sqrt();
        got.iter()
            .zip(&want)
            .map(|(g, w)| (*g as f64 - w).abs() / rms)
            .fold(0.0, f64::max)
    };
    let (one, two) = (rel(1), rel(2));
    eprintln!("query in keys, construction vs GD: K = 1 {one:e}, K = 2 {two:e}");
    assert!(one < 1e-5, "K = 1: {one:e}");
    assert!(two > 1e-2, "K = 2: {two:e}");
}
