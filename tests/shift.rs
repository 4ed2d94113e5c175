//! Prompts unlike training (src/shift.rs): the shifts do what they say (correlation ρ, scale
//! ratio κ, teacher mean μ), GD from W₀ = μ is GD from 0 on the unshifted tasks (an identity:
//! moving the teacher and the start by the same μ leaves every residual as it was), and a model
//! trained as in fig. 2 keeps answering like GD on each shift, as measured.

mod common;

use icl_lab::baselines;
use icl_lab::rng::{self, Stream};
use icl_lab::shift::{self, Shifts};
use icl_lab::task::{TaskDist, Tasks};

fn tasks(d: usize, count: usize) -> Tasks {
    let dist = TaskDist {
        d,
        n: 10,
        x_range: 0.5,
        noise: 0.0,
        aniso: 1.0,
    };
    Tasks::sample(dist, count, &mut rng::stream(3, Stream::Eval))
}

/// Sample covariance of input coordinates a and b over every token of every task.
fn cov(t: &Tasks, a: usize, b: usize) -> f64 {
    let d = t.dist.d;
    let rows = t.x.len() / d;
    let mean = |k: usize| {
        t.x.iter()
            .skip(k)
            .step_by(d)
            .map(|&v| v as f64)
            .sum::<f64>()
            / rows as f64
    };
    let (ma, mb) = (mean(a), mean(b));
    t.x.chunks_exact(d)
        .map(|r| (r[a] as f64 - ma) * (r[b] as f64 - mb))
        .sum::<f64>()
        / rows as f64
}

#[test]
fn correlated_inputs_keep_their_variance_and_get_correlation_rho() {
    let t = tasks(6, 4096);
    for rho in [0.3, 0.8] {
        let s = shift::correlated(&t, rho);
        for (a, b) in [(0, 1), (2, 5), (3, 4)] {
            let r = cov(&s, a, b) / (cov(&s, a, a) * cov(&s, b, b)).sqrt();
            assert!(
                (r - rho).abs() < 0.02,
                "ρ = {rho}: pair ({a}, {b}) has correlation {r}"
            );
        }
        for k in 0..6 {
            let ratio = cov(&s, k, k) / cov(&t, k, k);
            assert!(
                (ratio - 1.0).abs() < 0.03,
                "ρ = {rho}: variance of input {k} × {ratio}"
            );
        }
    }
}

#[test]
fn stretched_inputs_span_a_scale_ratio_of_kappa() {
    let t = tasks(5, 2048);
    let s = shift::stretched(&t, 4.0);
    let sd = |t: &Tasks, k| cov(t, k, k).sqrt();
    let ratio = (sd(&s, 0) / sd(&t, 0)) / (sd(&s, 4) / sd(&t, 4));
    assert!((ratio - 4.0).abs() < 1e-3, "first / last scale {ratio}");
    // The middle input keeps its scale (geometric mean 1).
    assert!((sd(&s, 2) / sd(&t, 2) - 1.0).abs() < 1e-6);
}

#[test]
fn gd_from_the_task_mean_is_gd_from_zero_on_the_unshifted_tasks() {
    let t = tasks(5, 512);
    let mu = 1.5;
    let s = shift::with_task_mean(&t, mu);
    let mean_w = s.w.iter().map(|&v| v as f64).sum::<f64>() / s.w.len() as f64;
    let mean_t = t.w.iter().map(|&v| v as f64).sum::<f64>() / t.w.len() as f64;
    assert!((mean_w - mean_t - mu).abs() < 1e-6);
    for steps in [1, 3] {
        let from_mean = baselines::gd_from(&s, &[mu; 5], 5.0, steps).loss(&s);
        let plain = baselines::gd(&t, 5.0, steps).loss(&t);
        assert!(
            (from_mean - plain).abs() <= 1e-5 * plain,
            "{steps} steps: {from_mean} vs {plain}"
        );
        // GD from 0 does not know the mean: on the shifted tasks it is far worse.
        assert!(baselines::gd(&s, 5.0, steps).loss(&s) > 1.5 * plain);
    }
    // From W₀ = 0, `gd_from` is the plain GD of the references, number for number.
    let zero = baselines::gd_from(&t, &[0.0; 5], 5.0, 2);
    assert_eq!(zero.yhat, baselines::gd(&t, 5.0, 2).yhat);
}

#[test]
fn neutral_settings_give_the_in_distribution_row_only() {
    let none = Shifts {
        kappa: 1.0,
        rho: 0.0,
        mu: 0.0,
    };
    assert!(none.active().is_empty());
    let mut t = common::train("steps=40&batch=256&eval_tasks=512");
    let rows = t.shifts();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].shift, "none");
    // That row is the run's own evaluation: same model, same tasks, same GD.
    assert_eq!(rows[0].model, t.compare.latest.loss);
    assert_eq!(rows[0].gd, t.compare.baselines.gd_loss);
    assert_eq!(rows[0].ols, t.compare.baselines.ols_loss);
}

/// Measured (seed 1, 2000 steps, 2048 evaluation tasks): loss transformer / GD / GD from μ,
/// and preds diff against GD —
/// training distribution 0.2068 / 0.2060, 0.022; stretched κ_test = 4: 0.753 / 0.776, 0.037;
/// correlated ρ = 0.5: 1.333 / 1.382, 0.031 (the zero predictor: 0.439); task mean μ = 1:
/// 0.422 / 0.418 / 0.206, 0.029. OLS is exact (0) on every row: no noise, N = d.
#[test]
fn a_model_trained_as_in_fig_2_answers_like_gd_on_every_shift() {
    let mut t = common::train("steps=2000&test_aniso=4&test_corr=0.5&task_mean=1");
    let rows = t.shifts();
    let names: Vec<_> = rows.iter().map(|r| r.shift).collect();
    assert_eq!(names, ["none", "stretched", "correlated", "task_mean"]);
    for r in &rows {
        assert!(
            (r.model / r.gd - 1.0).abs() < 0.05,
            "{}: transformer {} vs GD {}",
            r.shift,
            r.model,
            r.gd
        );
        assert!(
            r.preds_diff < 0.08,
            "{}: preds diff {}",
            r.shift,
            r.preds_diff
        );
        assert!(r.ols < 1e-6, "{}: OLS {}", r.shift, r.ols);
    }
    // Correlated inputs at ρ = 0.5 push GD (and the transformer with it) past the zero predictor.
    let corr = &rows[2];
    assert!(corr.gd > corr.zero && corr.model > corr.zero);
    // With a task mean it behaves like GD from 0, far from GD started at the mean.
    let mean = &rows[3];
    assert!((mean.model - mean.gd).abs() < 0.25 * (mean.model - mean.gd_from_mean).abs());
    assert!((mean.gd_from_mean - rows[0].gd).abs() < 1e-4);
}
