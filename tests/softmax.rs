//! One softmax head on the paper's task (docs/science.md, "Model" and critique 4), d = N = 10.
//!
//! 1. The hand-written softmax backward equals central finite differences at the weights where
//!    training actually is: the paper's initial scale and a point on the plateau of seed 1.
//! 2. A seed that escapes the plateau ends between one GD step and the zero predictor, and two
//!    heads come close to GD. Release mode (`cargo test --release`).

mod common;
use common::{config, train};

use icl_lab::arch::LayerShape;
use icl_lab::config::Config;
use icl_lab::model::{Model, Workspace};
use icl_lab::progress::{Progress, Verdict};
use icl_lab::rng::{stream, Stream};
use icl_lab::run::Run;
use icl_lab::task::{TaskDist, Tasks};

fn loss(model: &Model, tasks: &Tasks, ws: &mut Workspace) -> f64 {
    (0..tasks.count)
        .map(|k| {
            // The residual in f64: at the paper's init ŷ ≈ 1e-4, and an f32 subtraction of the
            // target would bury W_Q's and W_K's ~1e-6 gradients in rounding noise.
            let r = model.forward(tasks.task_tokens(k), ws) as f64 - tasks.target(k) as f64;
            0.5 * r * r
        })
        .sum::<f64>()
        / tasks.count as f64
}

/// Compares the analytic gradient of `model` with central differences on `tasks`, block by
/// block (W_Q, W_K, W_V, P): the blocks differ in scale by orders of magnitude at the paper's
/// init, so each entry's error is measured against its own block's largest entry. Also checks
/// the directional derivative along each block's gradient, which has a far better signal than
/// single entries. Returns the worst relative errors (entries, directions).
fn check(model: &mut Model, tasks: &Tasks, eps: f32, what: &str) -> (f64, f64) {
    let s: LayerShape = model.arch.shape();
    let dd = s.width * s.width;
    let mut ws = Workspace::new(&model.arch);
    let mut grad = vec![0.0; model.params.len()];
    model.loss_and_grad(tasks, &mut grad, &mut ws);
    let names = ["W_Q", "W_K", "W_V", "P"];
    let (mut worst_entry, mut worst_dir) = (0.0f64, 0.0f64);
    for (b, name) in names.iter().enumerate() {
        let range = b * dd..(b + 1) * dd;
        let gb = &grad[range.clone()];
        let gmax = gb.iter().fold(0.0f64, |m, g| m.max(g.abs() as f64));
        let gnorm = gb.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
        let mut worst = 0.0f64;
        for i in range.clone() {
            let orig = model.params[i];
            model.params[i] = orig + eps;
            let up = loss(model, tasks, &mut ws);
            model.params[i] = orig - eps;
            let down = loss(model, tasks, &mut ws);
            model.params[i] = orig;
            let num = (up - down) / (2.0 * eps as f64);
            let ana = grad[i] as f64;
            worst = worst.max((num - ana).abs() / gmax);
        }
        // Directional derivative along u = g_B/|g_B|: should equal |g_B|.
        let orig: Vec<f32> = model.params[range.clone()].to_vec();
        let step = |model: &mut Model, t: f32| {
            for (k, i) in range.clone().enumerate() {
                model.params[i] = orig[k] + t * (gb[k] as f64 / gnorm) as f32;
            }
        };
        step(model, eps);
        let up = loss(model, tasks, &mut ws);
        step(model, -eps);
        let down = loss(model, tasks, &mut ws);
        step(model, 0.0);
        let dir = (up - down) / (2.0 * eps as f64);
        let dir_err = (dir - gnorm).abs() / gnorm;
        eprintln!(
            "{what}: {name}: |g| {gnorm:.3e}, max |g_i| {gmax:.3e}, worst entry error {worst:.2e} \
             (of max), directional {dir:.4e} vs {gnorm:.4e} (error {dir_err:.2e})"
        );
        worst_entry = worst_entry.max(worst);
        worst_dir = worst_dir.max(dir_err);
    }
    (worst_entry, worst_dir)
}

/// Norm of the label row of W_KQ = W_Kᵀ W_Q (how much a key's score reads its label, against
/// the query's x) and the mean of W_KQ's x-block diagonal (the GD construction's β).
fn key_query_parts(model: &Model) -> (f64, f64) {
    let s = model.arch.shape();
    let (w, d) = (s.width, model.arch.d);
    let p = &model.params;
    let (wq, wk) = (s.wq(p, 0), s.wk(p, 0));
    let kq = |a: usize, b: usize| {
        (0..w)
            .map(|r| wk[r * w + a] as f64 * wq[r * w + b] as f64)
            .sum::<f64>()
    };
    let y_key = (0..d).map(|b| kq(d, b).powi(2)).sum::<f64>().sqrt();
    let x_diag = (0..d).map(|a| kq(a, a)).sum::<f64>() / d as f64;
    (y_key, x_diag)
}

fn eval_tasks(cfg: &Config, count: usize) -> Tasks {
    Tasks::sample(
        TaskDist::from_config(cfg),
        count,
        &mut stream(cfg.seed, Stream::Eval),
    )
}

#[test]
fn softmax_gradient_at_paper_init_and_on_the_plateau() {
    // Seed 1 with one head stays on a plateau at ≈ 0.409 (zero predictor 0.418) from step ≈ 1000
    // on; its weights after 2000 steps are a point of that plateau.
    let cfg = config("attn=softmax&seed=1");
    let mut run = Run::new(cfg.clone());
    let tasks = eval_tasks(&cfg, 64);
    // At the paper's init W_Q's and W_K's gradients are ~1e-6, ~1000× smaller than W_V's and
    // P's; entry errors are relative to the block's largest entry (f32 forward passes give each
    // central difference ~1e-9 of noise, a few % of W_Q's entries), directions to |g_B|.
    let (entry, dir) = check(&mut run.model, &tasks, 1e-3, "init");
    assert!(entry < 5e-2 && dir < 1e-2, "init: {entry:.2e} {dir:.2e}");
    for _ in 0..2000 {
        assert!(run.train_step(f64::INFINITY));
    }
    // The plateau's shortcut: keys read the context label (row d of W_Kᵀ W_Q is large) while
    // the x-block of W_Kᵀ W_Q stays near 0.
    let (y_key, x_diag) = key_query_parts(&run.model);
    eprintln!("plateau: |label row of W_KᵀW_Q| {y_key:.2}, mean x-diagonal {x_diag:.3}");
    assert!(y_key > 5.0 && x_diag.abs() < 0.5, "{y_key} {x_diag}");
    let (entry, dir) = check(&mut run.model, &tasks, 1e-3, "plateau");
    assert!(entry < 5e-2 && dir < 1e-2, "plateau: {entry:.2e} {dir:.2e}");
}

#[test]
fn one_softmax_head_that_escapes_lands_between_gd_and_the_zero_predictor() {
    // Seed 5 leaves the plateau at step ≈ 760 (loss < 0.9 × zero) and is at 0.290 by step 3000
    // (1.42 × GD). One softmax head cannot compute a GD step: the best of the family
    // ŷ = β Σ_i softmax_i(c x_iᵀx_q) y_i is 0.294 against GD's 0.20–0.22, and every seed that
    // escaped ended near 1.4 × GD. So: clearly below 0.9 × zero (it escaped) and clearly
    // above 1.2 × GD (it is not GD).
    // These are the settings of the softmax1 preset, whose text this test keeps true.
    let query = icl_lab::presets::find("softmax1").unwrap().query;
    assert_eq!(query, "attn=softmax&steps=3000&seed=5");
    let t = train(query);
    let b = &t.compare.baselines;
    let loss = t.compare.latest.loss;
    let h = &t.run.history;
    let drop = h
        .eval_step
        .iter()
        .zip(&h.eval_loss)
        .find(|&(_, &l)| l < 0.9 * b.zero_loss)
        .map(|(&s, _)| s);
    eprintln!("drop below 0.9 × zero at step {drop:?}");
    // The preset says it leaves its plateau within the first 1500 steps.
    assert!(drop.is_some_and(|s| s <= 1500), "{drop:?}");
    eprintln!(
        "one head, seed 5: {loss:.4}  zero {:.4}  GD {:.4}",
        b.zero_loss, b.gd_loss
    );
    assert!(loss < 0.9 * b.zero_loss, "stayed on the plateau: {loss}");
    assert!(
        loss > 1.2 * b.gd_loss,
        "one softmax head matched GD: {loss}"
    );
}

#[test]
fn two_softmax_heads_come_close_to_gd() {
    // Two heads leave the plateau (seed 1) and settle near GD: 0.2190 = 1.06 × GD at 2000 steps: a difference of two softmax heads can follow the
    // bilinear GD read-out much more closely than one. The 1.15 bound leaves room for rounding
    // differences between platforms while staying far below one head's 1.4 × GD.
    let t = train("attn=softmax&heads=2&seed=1&steps=2000&eval_every=100");
    let b = &t.compare.baselines;
    let loss = t.compare.latest.loss;
    eprintln!("two heads, seed 1: {loss:.4}  GD {:.4}", b.gd_loss);
    assert!(loss < 1.15 * b.gd_loss, "two heads: {loss}");
}

#[test]
fn seed_1_with_one_head_stays_on_a_plateau_that_the_page_names() {
    // The softmax preset's text says some seeds stay on a plateau near the zero predictor for the
    // whole run and that the status line says so: seed 1, at the default budget, is one.
    let t = train("attn=softmax");
    let b = &t.compare.baselines;
    let p = Progress::of(&t.run.history, b, 1);
    eprintln!(
        "seed 1, one head: {:.4} (zero {:.4}, GD {:.4}); {p:?}",
        t.compare.latest.loss, b.zero_loss, b.gd_loss
    );
    assert_eq!(p.verdict, Verdict::Plateau);
    assert!(p.flat_since.is_some_and(|s| s <= 2000), "{p:?}");
}
