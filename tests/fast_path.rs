//! Oracle: the SIMD engine for linear attention (batched.rs, C-form layers) gives the same loss,
//! gradient, predictions and sensitivities as the reference path of `lsa.rs`, whose gradients
//! are checked against finite differences in tests/gradients.rs.

use icl_lab::config::Config;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use rand_distr::{Distribution, StandardNormal};

/// `label_blind`: the tasks' context labels moved to other tasks, as a `labels = shuffled`
/// training batch has them (both engines read the same tokens).
fn compare(
    layers: usize,
    recurrent: bool,
    heads: usize,
    clip_tokens: bool,
    query_in_keys: bool,
    label_blind: bool,
) {
    let cfg = Config {
        d: 4,
        n: 6,
        ..Config::default()
    };
    let mut arch = Arch::from_config(&cfg);
    arch.layers = layers;
    arch.recurrent = recurrent;
    arch.heads = heads;
    arch.clip_tokens = clip_tokens;
    arch.query_in_keys = query_in_keys;
    let mut rng = stream(3, Stream::Init);
    let mut model = Model::init(arch, &mut rng);
    for p in &mut model.params {
        let z: f64 = StandardNormal.sample(&mut rng);
        *p = (0.4 * z) as f32;
    }
    let mut tasks = Tasks::sample(
        TaskDist {
            d: 4,
            n: 6,
            x_range: 0.5,
            noise: 0.0,
            aniso: 1.0,
        },
        21,
        &mut stream(3, Stream::Eval),
    );
    if label_blind {
        tasks.shuffle_context_labels();
    }
    let mut ws = Workspace::new(&arch);
    let (mut g_fast, mut g_ref) = (vec![0.0; model.params.len()], vec![0.0; model.params.len()]);
    let l_fast = model.loss_and_grad(&tasks, &mut g_fast, &mut ws);
    let l_ref = model.loss_and_grad_reference(&tasks, &mut g_ref, &mut ws);
    assert!(
        (l_fast - l_ref).abs() <= 1e-5 * l_ref.abs().max(1e-3),
        "loss {l_fast} vs {l_ref}"
    );
    let scale = g_ref.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    for (i, (a, b)) in g_fast.iter().zip(&g_ref).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale,
            "{arch:?} param {i}: fast {a} vs reference {b}"
        );
    }
    let (p_fast, s_fast) = model.predict_with_sensitivity(&tasks, &mut ws);
    for k in 0..tasks.count {
        let want = model.forward(tasks.task_tokens(k), &mut ws);
        assert!((p_fast[k] - want).abs() <= 1e-4 * want.abs().max(1.0));
        let mut sink = vec![0.0; model.params.len()];
        model.backward(1.0, &mut ws, &mut sink, true);
        let w = arch.d + 1;
        for c in 0..arch.d {
            let r = ws.input_grad()[arch.n * w + c];
            assert!(
                (s_fast[k * arch.d + c] - r).abs() <= 1e-4 * r.abs().max(1.0),
                "sensitivity {k},{c}"
            );
        }
    }
}

#[test]
fn simd_engine_matches_reference_path() {
    for layers in 1..=3 {
        for recurrent in [true, false] {
            for heads in 1..=2 {
                compare(layers, recurrent, heads, false, false, false);
            }
        }
    }
    compare(4, true, 1, true, false, false);
    compare(1, true, 1, false, true, false);
    compare(3, false, 2, false, true, false);
    compare(1, true, 1, false, false, true);
    compare(2, false, 2, false, false, true);
}
