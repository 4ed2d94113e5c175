//! The paper's numbers (docs/science.md, "Numbers to reproduce"), d = N = 10, x ~ U(−0.5, 0.5),
//! no noise, ½-MSE, on the paper's 10 000 evaluation tasks. These train real models for
//! thousands of steps: run them in release mode (`cargo test --release`, as scripts/test.sh does).

mod common;
use common::{config, train};

use icl_lab::baselines;
use icl_lab::metrics;
use icl_lab::progress::{Progress, Verdict};
use icl_lab::report;
use icl_lab::train::Trainer;

#[test]
fn figure_2_one_layer_lsa_becomes_one_gd_step() {
    let t = train("eval_tasks=10000&steps=5000&eval_every=20");
    let r = &t.compare.baselines;
    let progress = Progress::of(&t.run.history, r, 1);
    eprintln!(
        "zero {:.4}  η* {:.3}  GD {:.4}  first within 1%: {:?}",
        r.zero_loss, r.eta_star_1, r.gd_loss, progress.reached_gd_at
    );
    eprintln!("final {:?}", t.compare.latest.alignment);
    assert!(
        (0.40..=0.44).contains(&r.zero_loss),
        "zero predictor {}",
        r.zero_loss
    );
    assert!(
        (0.195..=0.215).contains(&r.gd_loss),
        "GD at η* {}",
        r.gd_loss
    );
    assert!((5.8..=6.4).contains(&r.eta_star_1), "η* {}", r.eta_star_1);
    // The untrained model sits at the zero predictor's loss.
    assert!((t.compare.untrained.loss - r.zero_loss).abs() < 0.01);
    let first = progress
        .reached_gd_at
        .expect("the trained LSA never came within 1% of GD");
    // The paper reports the match after about 2000 steps (B = 2048), and the fig2 preset's text
    // says "within a few hundred steps" (measured: 500): a run slower than 1000 fails here.
    assert!(first <= 1000, "first within 1% at step {first}");
    assert_eq!(progress.verdict, Verdict::Reached);
    let e = &t.compare.latest;
    assert!(
        e.loss <= 1.01 * r.gd_loss,
        "final loss {} vs GD {}",
        e.loss,
        r.gd_loss
    );
    assert!(
        e.alignment.model_cos >= 0.99,
        "model cos {}",
        e.alignment.model_cos
    );
    assert!(
        e.alignment.preds_diff <= 0.05,
        "preds diff {}",
        e.alignment.preds_diff
    );
    let v = metrics::weight_view(&t.run.model, 0, 0);
    let eta_n = r.eta_star_1 / 10.0;
    assert!(
        (v.eta_over_n - eta_n).abs() <= 0.1 * eta_n,
        "learned η/N {} vs η*/N {eta_n}",
        v.eta_over_n
    );
    for a in 0..10 {
        for b in 0..10 {
            let x = v.w_kq[a * 11 + b];
            if a == b {
                assert!((x - 1.0).abs() <= 0.1, "W_KQ/β[{a},{a}] = {x}");
            } else {
                assert!(x.abs() <= 0.1, "W_KQ/β[{a},{b}] = {x}");
            }
        }
    }
}

#[test]
fn multi_step_gd_and_gd_plus_plus() {
    let t = Trainer::new(config("eval_tasks=10000&layers=2"));
    let r = &t.compare.baselines;
    eprintln!(
        "2 steps: GD {:.4} (η {:.3})  GD++ {:.4} (η {:.3}, γ {:.3})",
        r.gd_loss, r.gd_eta, r.gdpp_loss, r.gdpp_eta, r.gdpp_gamma
    );
    assert!((r.gd_loss - 0.153).abs() <= 0.01, "2-step GD {}", r.gd_loss);
    assert!(
        (r.gdpp_loss - 0.108).abs() <= 0.01,
        "2-step GD++ {}",
        r.gdpp_loss
    );
    assert!((r.gdpp_gamma - 0.18).abs() <= 0.03, "γ* {}", r.gdpp_gamma);
    let tasks = t.compare.eval_tasks();
    for (k, gd_want, pp_want) in [(3, 0.128, 0.075), (5, 0.104, 0.051)] {
        let eta = baselines::eta_star(tasks, k);
        let gd = baselines::gd(tasks, eta, k).loss(tasks);
        let (pe, pg) = baselines::gdpp_star(tasks, k);
        let pp = baselines::gd_plus_plus(tasks, pe, pg, k).loss(tasks);
        eprintln!("{k} steps: GD {gd:.4}  GD++ {pp:.4}");
        assert!((gd - gd_want).abs() <= 0.01, "{k}-step GD {gd}");
        assert!(pp <= pp_want + 0.01, "{k}-step GD++ {pp}");
    }
}

#[test]
fn trained_two_layer_recurrent_lsa_beats_two_gd_steps_and_is_close_to_gd_plus_plus() {
    // The preset's budget (5000 steps, seed 1), evaluated on 4096 tasks.
    let t = train("layers=2&eval_every=100&eval_tasks=4096");
    let r = &t.compare.baselines;
    let e = &t.compare.latest;
    let w = report::weights(&t).expect("paired tokens");
    let (learned, gdpp) = (&w.learned[0], w.construction_gdpp.as_ref().unwrap());
    eprintln!(
        "2-layer LSA {:.4} vs 2-step GD {:.4}, GD++ {:.4} (γ* {:.3})",
        e.loss, r.gd_loss, r.gdpp_loss, r.gdpp_gamma
    );
    eprintln!(
        "alignment vs GD {:?}\nalignment vs GD++ {:?}",
        e.alignment, e.alignment_gdpp
    );
    eprintln!(
        "learned η/N {:.3} γ {:.3}; GD++ construction η/N {:.3} γ {:.3}",
        learned.eta_over_n, learned.gamma, gdpp.eta_over_n, gdpp.gamma
    );
    assert!(
        e.loss < r.gd_loss - 0.01,
        "2-layer LSA {} vs 2-step GD {}",
        e.loss,
        r.gd_loss
    );
    // Close to GD++ (measured 1.5 % above it, preds diff 0.037, cos 0.997): within 5 % in loss,
    // and at least three times closer to GD++ than to plain GD in preds diff.
    assert!(
        e.loss < 1.05 * r.gdpp_loss,
        "{} vs GD++ {}",
        e.loss,
        r.gdpp_loss
    );
    let (pp, gd) = (&e.alignment_gdpp, &e.alignment);
    assert!(pp.preds_diff < 0.06 && pp.model_cos > 0.99, "{pp:?}");
    assert!(pp.preds_diff < gd.preds_diff / 3.0, "GD++ {pp:?} GD {gd:?}");
    // Its weights read as the GD++ construction: η/N within 5 %, γ within 10 % (measured
    // 1.331 vs 1.337 and 0.176 vs 0.177).
    assert!(
        (learned.eta_over_n / gdpp.eta_over_n - 1.0).abs() < 0.05,
        "η/N {} vs {}",
        learned.eta_over_n,
        gdpp.eta_over_n
    );
    assert!(
        (learned.gamma / gdpp.gamma - 1.0).abs() < 0.1,
        "γ {} vs {}",
        learned.gamma,
        gdpp.gamma
    );
}

#[test]
fn ols_is_exact_at_n_equals_d_and_ridge_helps_with_noise() {
    let t = Trainer::new(config("steps=1"));
    assert!(
        t.compare.baselines.ols_loss < 1e-6,
        "OLS at N = d: {}",
        t.compare.baselines.ols_loss
    );
    let t = Trainer::new(config("steps=1&noise=0.5&n=20"));
    eprintln!(
        "σ = 0.5: OLS {:.4} ridge {:.4} GD {:.4}",
        t.compare.baselines.ols_loss, t.compare.baselines.ridge_loss, t.compare.baselines.gd_loss
    );
    assert!(
        t.compare.baselines.ridge_loss <= t.compare.baselines.ols_loss,
        "ridge {} > OLS {}",
        t.compare.baselines.ridge_loss,
        t.compare.baselines.ols_loss
    );
    assert!((t.compare.baselines.ridge_lambda - 0.25).abs() < 1e-12);
}

#[test]
fn ood_gd_blows_up_while_ols_stays_exact() {
    let mut t = Trainer::new(config("eval_tasks=10000&steps=1"));
    let rows = t.ood(&[0.5, 1.0, 1.5, 2.0]);
    for (row, want) in rows.iter().zip([0.081, 0.20, 1.30, 9.4]) {
        eprintln!(
            "α = {}: GD {:.4} (paper {want}), OLS {:.2e}",
            row.alpha, row.gd, row.ols
        );
        assert!(
            (row.gd - want).abs() <= 0.12 * want,
            "α = {}: GD {} vs {want}",
            row.alpha,
            row.gd
        );
        assert!(row.ols < 1e-4);
    }
}

#[test]
fn anisotropic_inputs_the_layer_matches_preconditioned_gd() {
    // Critique 2: with unequal input scales one layer's optimum is preconditioned GD. κ = 3, as
    // in the aniso preset, whose text says the layer matches it "far better than plain GD".
    let t = train("aniso=3&eval_every=100");
    let (r, e) = (&t.compare.baselines, &t.compare.latest);
    eprintln!(
        "κ = 3: GD {:.4}, preconditioned GD {:.4}, LSA {:.4}; preds diff vs GD {:.4}, vs PGD {:.4}",
        r.gd_loss, r.pgd_loss, e.loss, e.alignment.preds_diff, e.alignment_pgd.preds_diff
    );
    assert!(r.pgd_loss < r.gd_loss);
    assert!(
        e.loss < r.gd_loss,
        "the trained layer {} should beat plain GD {}",
        e.loss,
        r.gd_loss
    );
    assert!(e.alignment_pgd.preds_diff < 0.5 * e.alignment.preds_diff);
    assert!(e.alignment_pgd.model_cos > e.alignment.model_cos);
}

#[test]
fn deep5_preset_five_separate_layers_beat_five_gd_steps_and_shared_gd_plus_plus() {
    // The deep5 preset (paper fig. 3's deep model on a shorter schedule): its text says the run
    // ends far below five plain GD steps, below GD++ with one shared (η, γ), and above GD++ with
    // its own (η, γ) per step. Measured: 0.0384 vs 5-step GD 0.108, shared GD++ 0.0485,
    // per-step GD++ 0.0049.
    let query = icl_lab::presets::find("deep5").unwrap().query;
    let t = train(query);
    let (b, e) = (&t.compare.baselines, &t.compare.latest);
    eprintln!(
        "deep 5: {:.4} vs 5-step GD {:.4}, GD++ shared {:.4}, per step {:.4}",
        e.loss, b.gd_loss, b.gdpp_loss, b.gdpp_steps_loss
    );
    assert!(b.gdpp_per_step);
    assert!(
        e.loss < 0.5 * b.gd_loss,
        "{} vs 5-step GD {}",
        e.loss,
        b.gd_loss
    );
    assert!(e.loss < b.gdpp_loss, "{} vs GD++ {}", e.loss, b.gdpp_loss);
    assert!(
        e.loss > b.gdpp_steps_loss,
        "{} vs per-step GD++ {}",
        e.loss,
        b.gdpp_steps_loss
    );
}

/// The cosine critique's control (preset "label-blind"): trained like fig. 2, but every training
/// prompt's labels belong to another task. Measured (seed 1, 2048 evaluation tasks): loss 0.4176
/// = the zero predictor's 0.4176 (fig. 2: 0.2060), model cos 0.014 at the end, noise of mean
/// 0.001 and at most 0.05 in size over the run's 250 evaluations after step 0 (fig. 2: 0.9993),
/// preds diff 0.498 (fig. 2: 0.020), model diff 2.12 = the untrained model's (fig. 2: 0.085).
/// Labels left paired would learn GD and fail every bound.
#[test]
fn label_blind_control_learns_nothing_and_scores_no_alignment() {
    let query = |name| {
        icl_lab::presets::find(name)
            .unwrap_or_else(|| panic!("no preset {name}"))
            .query
    };
    let blind = train(query("label-blind"));
    let fig2 = train(query("fig2"));
    let (b, f) = (&blind.compare, &fig2.compare);
    let zero = b.baselines.zero_loss;
    eprintln!(
        "label-blind: loss {:.4} (zero {zero:.4}, GD {:.4}) {:?}\nfig2: loss {:.4} {:?}",
        b.latest.loss, b.baselines.gd_loss, b.latest.alignment, f.latest.loss, f.latest.alignment
    );
    // The same evaluation tasks and baselines: only the training prompts differ.
    assert_eq!(b.baselines.gd_loss.to_bits(), f.baselines.gd_loss.to_bits());
    let h = &blind.run.history;
    // It never learns: every evaluation stays within 2 % of the zero predictor (GD: −50 %).
    for (step, loss) in h.eval_step.iter().zip(&h.eval_loss) {
        assert!(
            (loss / zero - 1.0).abs() < 0.02,
            "step {step}: loss {loss} vs zero {zero}"
        );
    }
    // Its cosine with GD is noise around 0 over the whole run, far below the paired run's.
    let worst = h.model_cos.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    let mean = h.model_cos.iter().sum::<f64>() / h.model_cos.len() as f64;
    assert!(worst < 0.3, "label-blind model cos reached {worst}");
    assert!(mean.abs() < 0.05, "label-blind model cos averages {mean}");
    assert!(b.latest.alignment.model_cos.abs() < 0.1);
    assert!(f.latest.alignment.model_cos > 0.99);
    // Its distances from GD are the untrained model's, many times the paired run's.
    let (a, u) = (&b.latest.alignment, &b.untrained.alignment);
    assert!(
        a.preds_diff > 0.9 * u.preds_diff,
        "{a:?} vs untrained {u:?}"
    );
    assert!(
        a.model_diff > 0.9 * u.model_diff,
        "{a:?} vs untrained {u:?}"
    );
    assert!(a.preds_diff > 10.0 * f.latest.alignment.preds_diff);
    assert!(a.model_diff > 10.0 * f.latest.alignment.model_diff);
}

/// The `gdpp` preset trains at twice the paper's lr to reach its result in seconds on the page
/// (issue: every preset within 10 s). Measured (seed 1): below 2-step GD by 0.01 and within 5 %
/// of GD++ from step 1040 (at the paper's lr 10⁻³: step 1780); after 5000 steps 0.1140, against
/// 0.1145 at the paper's lr, GD++ 0.1123 and 2-step GD 0.1603.
#[test]
fn gdpp_preset_gets_near_gd_plus_plus_early_and_ends_where_the_paper_schedule_does() {
    let p = icl_lab::presets::find("gdpp").unwrap();
    let t = train(p.query);
    let b = &t.compare.baselines;
    let h = &t.run.history;
    let met = h
        .eval_step
        .iter()
        .zip(&h.eval_loss)
        .find(|(_, &l)| l < b.gd_loss - 0.01 && l <= 1.05 * b.gdpp_loss)
        .map(|(&s, _)| s);
    eprintln!(
        "gdpp preset: criterion met at {met:?}; final {:.4}, GD++ {:.4}, 2-step GD {:.4}",
        t.compare.latest.loss, b.gdpp_loss, b.gd_loss
    );
    assert!(met.is_some_and(|s| s <= 1200), "criterion met at {met:?}");
    let last = t.compare.latest.loss;
    assert!(
        last < b.gd_loss - 0.01 && last <= 1.03 * b.gdpp_loss,
        "final {last}"
    );
}
