//! Helpers shared by the test files: settings and trained runs (tests/paper.rs, tests/softmax.rs,
//! …) and the finite-difference oracle of the backward pass and its tasks (tests/gradients.rs,
//! tests/classic.rs, tests/assumptions.rs). Each file uses some of them, hence the allowance.
#![allow(dead_code)]

use icl_lab::config::Config;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::run::Status;
use icl_lab::task::{TaskDist, Tasks};
use icl_lab::train::Trainer;

/// The settings of `query`, which must need no correction.
pub fn config(query: &str) -> Config {
    let (cfg, notices) = Config::from_query(query);
    assert!(notices.is_empty(), "{notices:?}");
    cfg
}

/// A run of `query` trained to the end of its budget (it must not diverge).
pub fn train(query: &str) -> Trainer {
    let mut t = Trainer::new(config(query));
    while t.run.status == Status::Training {
        t.advance(500);
    }
    assert_eq!(t.run.status, Status::Done);
    t
}

/// `count` tasks of `arch`'s sizes with label noise (σ = 0.1, inputs U(−0.5, 0.5)), drawn from
/// the evaluation stream of `seed`: the tasks the finite-difference checks differentiate on.
pub fn noisy_tasks(arch: &Arch, count: usize, seed: u64) -> Tasks {
    let dist = TaskDist {
        d: arch.d,
        n: arch.n,
        x_range: 0.5,
        noise: 0.1,
        aniso: 1.0,
    };
    Tasks::sample(dist, count, &mut stream(seed, Stream::Eval))
}

/// Mean ½-squared error of `model` on `tasks` through the reference path (`Model::forward`).
pub fn reference_loss(model: &Model, tasks: &Tasks, ws: &mut Workspace) -> f64 {
    (0..tasks.count)
        .map(|k| {
            let r = (model.forward(tasks.task_tokens(k), ws) - tasks.target(k)) as f64;
            0.5 * r * r
        })
        .sum::<f64>()
        / tasks.count as f64
}

/// The oracle of the hand-written backward pass: `grad` (the loss's gradient at `model`'s
/// weights) against central finite differences of [`reference_loss`] with step `eps`, then the
/// input gradient of ŷ for the first task (the sensitivity behind `model diff`) against central
/// differences of `Model::forward`. f32 forward passes make finite differences of tiny entries
/// noisy: errors are relative to the entry, with a floor of 1 % of the largest entry, and each
/// must stay below 1 %. `what` names the variant in a failure. Returns the worst relative error
/// of the weight gradient.
pub fn assert_backward_matches_finite_differences(
    model: &mut Model,
    tasks: &Tasks,
    grad: &[f32],
    ws: &mut Workspace,
    eps: f32,
    what: &str,
) -> f64 {
    let floor = 1e-2 * grad.iter().fold(0.0f64, |m, g| m.max(g.abs() as f64));
    let mut worst = 0.0f64;
    for (i, &g) in grad.iter().enumerate() {
        let orig = model.params[i];
        model.params[i] = orig + eps;
        let up = reference_loss(model, tasks, ws);
        model.params[i] = orig - eps;
        let down = reference_loss(model, tasks, ws);
        model.params[i] = orig;
        let num = (up - down) / (2.0 * eps as f64);
        let ana = g as f64;
        let err = (num - ana).abs() / (floor + num.abs().max(ana.abs()));
        worst = worst.max(err);
        assert!(
            err < 1e-2,
            "{what}: param {i}: analytic {ana} vs numeric {num}"
        );
    }

    let tokens = tasks.task_tokens(0).to_vec();
    model.forward(&tokens, ws);
    let mut sink = vec![0.0; model.params.len()];
    model.backward(1.0, ws, &mut sink, true);
    let g_in = ws.input_grad().to_vec();
    assert_eq!(g_in.len(), tokens.len());
    let floor = 1e-2 * g_in.iter().fold(0.0f64, |m, g| m.max(g.abs() as f64));
    for (j, g) in g_in.iter().enumerate() {
        let mut t = tokens.clone();
        t[j] += eps;
        let up = model.forward(&t, ws) as f64;
        t[j] -= 2.0 * eps;
        let down = model.forward(&t, ws) as f64;
        let num = (up - down) / (2.0 * eps as f64);
        let err = (num - *g as f64).abs() / (floor + num.abs().max(g.abs() as f64));
        assert!(
            err < 1e-2,
            "{what}: token entry {j}: analytic {g} vs numeric {num}"
        );
    }
    worst
}
