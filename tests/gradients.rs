//! Oracle: the hand-written backward pass equals central finite differences of the loss, for
//! every model variant (linear/softmax, 1–2 heads, K = 1–3, recurrent/deep, query in keys,
//! token clipping) — both for the weights and for the input tokens (used by `model diff`).

mod common;

use icl_lab::config::Config;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use rand_distr::{Distribution, StandardNormal};

fn check(arch: Arch) {
    let mut rng = stream(7, Stream::Init);
    let mut model = Model::init(arch, &mut rng);
    // Larger weights than the paper's init so every path carries a visible gradient.
    for p in &mut model.params {
        let z: f64 = StandardNormal.sample(&mut rng);
        *p = (0.35 * z) as f32;
    }
    let tasks = common::noisy_tasks(&arch, 3, 7);
    let mut ws = Workspace::new(&arch);
    let mut grad = vec![0.0; model.params.len()];
    model.loss_and_grad(&tasks, &mut grad, &mut ws);

    let worst = common::assert_backward_matches_finite_differences(
        &mut model,
        &tasks,
        &grad,
        &mut ws,
        1e-2,
        &format!("{arch:?}"),
    );
    eprintln!("{arch:?}: worst relative error {worst:.2e}");
}

fn arch(layers: usize, recurrent: bool, heads: usize, softmax: bool, query_in_keys: bool) -> Arch {
    let cfg = Config {
        d: 3,
        n: 4,
        ..Config::default()
    };
    let mut a = Arch::from_config(&cfg);
    a.layers = layers;
    a.recurrent = recurrent;
    a.heads = heads;
    a.softmax = softmax;
    a.query_in_keys = query_in_keys;
    a
}

#[test]
fn linear_attention_gradients() {
    for layers in 1..=3 {
        for recurrent in [true, false] {
            for heads in 1..=2 {
                check(arch(layers, recurrent, heads, false, false));
            }
        }
    }
}

#[test]
fn softmax_attention_gradients() {
    for layers in 1..=3 {
        for recurrent in [true, false] {
            for heads in 1..=2 {
                check(arch(layers, recurrent, heads, true, false));
            }
        }
    }
}

#[test]
fn query_in_keys_gradients() {
    for softmax in [false, true] {
        check(arch(1, true, 1, softmax, true));
        check(arch(2, false, 2, softmax, true));
    }
}

#[test]
fn token_clipping_gradients() {
    for softmax in [false, true] {
        let mut a = arch(4, true, 1, softmax, false);
        a.clip_tokens = true;
        check(a);
    }
}
