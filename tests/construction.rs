//! Oracle: the paper's construction (appendix A.1) *is* gradient descent. The constructed LSA's
//! prediction equals ŷ_GD of the closed-form GD formula; K stacked copies equal K GD steps; the
//! GD++ construction equals the GD++ update — through both the reference and the fast path.

use icl_lab::baselines;
use icl_lab::config::Config;
use icl_lab::construct;
use icl_lab::metrics;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};

fn arch(d: usize, n: usize, layers: usize, recurrent: bool) -> Arch {
    let cfg = Config {
        d,
        n,
        layers,
        recurrent,
        ..Config::default()
    };
    Arch::from_config(&cfg)
}

/// Largest |model − reference| relative to the reference predictions' RMS, over both paths.
fn max_rel_err(model: &Model, tasks: &Tasks, want: &[f64]) -> f64 {
    let rms = (want.iter().map(|v| v * v).sum::<f64>() / want.len() as f64).sqrt();
    let mut ws = Workspace::new(&model.arch);
    let fast = model.predict(tasks, &mut ws);
    let mut worst = 0.0f64;
    for k in 0..tasks.count {
        let slow = model.forward(tasks.task_tokens(k), &mut ws) as f64;
        worst = worst
            .max((slow - want[k]).abs() / rms)
            .max((fast[k] as f64 - want[k]).abs() / rms);
    }
    worst
}

#[test]
fn one_constructed_layer_is_one_gd_step() {
    for (d, n) in [
        (1, 1),
        (2, 5),
        (5, 5),
        (10, 10),
        (10, 25),
        (20, 40),
        (32, 100),
    ] {
        let tasks = Tasks::sample(
            TaskDist {
                d,
                n,
                x_range: 0.5,
                noise: 0.0,
                aniso: 1.0,
            },
            200,
            &mut stream(11, Stream::Eval),
        );
        for eta in [0.5, baselines::eta_star_one_step(&tasks)] {
            let model = construct::gd_model(arch(d, n, 1, true), eta);
            let gd = baselines::gd(&tasks, eta, 1);
            let err = max_rel_err(&model, &tasks, &gd.yhat);
            assert!(err < 1e-5, "d={d} N={n} η={eta}: relative error {err:e}");
        }
    }
}

#[test]
fn k_stacked_layers_are_k_gd_steps() {
    for (d, n) in [(3, 6), (10, 10)] {
        let tasks = Tasks::sample(
            TaskDist {
                d,
                n,
                x_range: 0.5,
                noise: 0.0,
                aniso: 1.0,
            },
            200,
            &mut stream(12, Stream::Eval),
        );
        for k in 1..=4 {
            for recurrent in [true, false] {
                let eta = baselines::eta_star(&tasks, k);
                let model = construct::gd_model(arch(d, n, k, recurrent), eta);
                let gd = baselines::gd(&tasks, eta, k);
                let err = max_rel_err(&model, &tasks, &gd.yhat);
                assert!(err < 1e-5, "d={d} N={n} K={k}: relative error {err:e}");
            }
        }
    }
}

#[test]
fn gd_plus_plus_construction_is_the_gd_plus_plus_update() {
    let (d, n) = (10, 10);
    let tasks = Tasks::sample(
        TaskDist {
            d,
            n,
            x_range: 0.5,
            noise: 0.0,
            aniso: 1.0,
        },
        200,
        &mut stream(13, Stream::Eval),
    );
    for k in 1..=3 {
        let (eta, gamma) = (8.0, 0.17);
        let model = construct::gd_plus_plus_model(arch(d, n, k, true), eta, gamma);
        let want = baselines::gd_plus_plus(&tasks, eta, gamma, k);
        let err = max_rel_err(&model, &tasks, &want.yhat);
        assert!(err < 1e-5, "K={k}: relative error {err:e}");
    }
    // With γ = 0 GD++ is plain GD.
    let a = baselines::gd_plus_plus(&tasks, 5.0, 0.0, 3);
    let b = baselines::gd(&tasks, 5.0, 3);
    for (x, y) in a.yhat.iter().zip(&b.yhat) {
        assert!((x - y).abs() < 1e-9);
    }
}

#[test]
fn sensitivities_of_construction_and_gd_agree() {
    // ∂ŷ/∂x_q of the constructed model (backprop) equals GD's weight W after the step.
    let (d, n) = (10, 10);
    let tasks = Tasks::sample(
        TaskDist {
            d,
            n,
            x_range: 0.5,
            noise: 0.0,
            aniso: 1.0,
        },
        100,
        &mut stream(14, Stream::Eval),
    );
    for k in [1, 2] {
        let eta = 4.0;
        let model = construct::gd_model(arch(d, n, k, true), eta);
        let (yhat, sens) = model.predict_with_sensitivity(&tasks, &mut Workspace::new(&model.arch));
        let a = metrics::alignment(&yhat, &sens, &baselines::gd(&tasks, eta, k), d);
        assert!(a.model_cos > 0.99999, "K={k}: cos {}", a.model_cos);
        assert!(a.model_diff < 1e-4 && a.preds_diff < 1e-5, "K={k}: {a:?}");
        // GD++ sensitivity tracks the transformed query too.
        let m = construct::gd_plus_plus_model(arch(d, n, k, true), eta, 0.15);
        let (yhat, sens) = m.predict_with_sensitivity(&tasks, &mut Workspace::new(&m.arch));
        let a = metrics::alignment(
            &yhat,
            &sens,
            &baselines::gd_plus_plus(&tasks, eta, 0.15, k),
            d,
        );
        assert!(
            a.model_cos > 0.99999 && a.model_diff < 1e-4,
            "GD++ K={k}: {a:?}"
        );
    }
}

#[test]
fn construction_weight_view_is_the_paper_matrix() {
    let model = construct::gd_model(arch(4, 8, 1, true), 6.0);
    let v = metrics::weight_view(&model, 0, 0);
    let w = 5;
    for a in 0..w {
        for b in 0..w {
            let kq = if a == b && a < 4 { 1.0 } else { 0.0 };
            let pv = if a == 4 && b == 4 { -6.0 / 8.0 } else { 0.0 };
            assert!((v.w_kq[a * w + b] - kq).abs() < 1e-6 && (v.w_pv[a * w + b] - pv).abs() < 1e-6);
        }
    }
    assert!((v.eta_over_n - 0.75).abs() < 1e-6);
}
