//! Oracle: the lane engine (batched.rs: linear layers in C-form, softmax layers token by token)
//! gives the same loss, gradient, predictions and sensitivities as the reference path of
//! `lsa.rs`, whose gradients are checked against finite differences in tests/gradients.rs, for
//! every option: linear and softmax attention, 1–2 heads, K = 1–4, recurrent or deep, the query
//! among the keys or not, token clipping, and (linear attention) LayerNorm and an MLP block. Its
//! AVX2 build and its portable one agree bit for bit.

use icl_lab::batched::ALLOW_AVX2;
use icl_lab::config::Config;
use icl_lab::model::{Arch, Engine, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use rand_distr::{Distribution, StandardNormal};
use std::sync::atomic::Ordering;

#[derive(Clone, Copy, Debug)]
struct Variant {
    softmax: bool,
    layers: usize,
    recurrent: bool,
    heads: usize,
    clip_tokens: bool,
    query_in_keys: bool,
    /// The tasks' context labels moved to other tasks, as a `labels = shuffled` training batch
    /// has them (both engines read the same tokens).
    label_blind: bool,
    /// LayerNorm before attention (placement as `Config` gives it) and the MLP width.
    layernorm: bool,
    mlp: usize,
}

/// A model of the variant with N(0, 0.4²) weights (large enough that softmax attention is far
/// from uniform and every path carries a visible gradient; softmax with token clipping gets
/// N(0, 0.7²), so that some token values reach the clip), and 21 tasks (a block of 16 lanes and a partly empty
/// one).
fn setup(v: Variant) -> (Model, Tasks) {
    let cfg = Config {
        d: 4,
        n: 6,
        ..Config::default()
    };
    let mut arch = Arch::from_config(&cfg);
    arch.softmax = v.softmax;
    arch.layers = v.layers;
    arch.recurrent = v.recurrent;
    arch.heads = v.heads;
    arch.clip_tokens = v.clip_tokens;
    arch.query_in_keys = v.query_in_keys;
    arch.layernorm = v.layernorm;
    arch.norm_first = v.layernorm && (v.recurrent || v.layers == 1);
    arch.mlp = v.mlp;
    let sd = if v.softmax && v.clip_tokens { 0.7 } else { 0.4 };
    let mut rng = stream(3, Stream::Init);
    let mut model = Model::init(arch, &mut rng);
    let s = arch.shape();
    for (i, p) in model.params.iter_mut().enumerate() {
        let z: f64 = StandardNormal.sample(&mut rng);
        // LayerNorm scales stay near their initial 1, so normalised tokens stay of order 1.
        let k = i % s.n_params();
        let scale = v.layernorm
            && (s.norm_attn_offset()..s.norm_attn_offset() + s.width).contains(&k)
            || v.layernorm
                && v.mlp > 0
                && (s.norm_mlp_offset()..s.norm_mlp_offset() + s.width).contains(&k);
        *p = if scale { 1.0 } else { 0.0 } + (sd * z) as f32;
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
    if v.label_blind {
        tasks.shuffle_context_labels();
    }
    (model, tasks)
}

fn compare(v: Variant) {
    let (model, tasks) = setup(v);
    let arch = model.arch;
    let mut ws = Workspace::new(&arch);
    let (mut g_fast, mut g_ref) = (vec![0.0; model.params.len()], vec![0.0; model.params.len()]);
    let l_fast = model.loss_and_grad(&tasks, &mut g_fast, &mut ws);
    let l_ref = model.loss_and_grad_reference(&tasks, &mut g_ref, &mut ws);
    assert!(
        (l_fast - l_ref).abs() <= 1e-5 * l_ref.abs().max(1e-3),
        "{v:?}: loss {l_fast} vs {l_ref}"
    );
    let scale = g_ref.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    assert!(scale > 0.0, "{v:?}: no gradient");
    for (i, (a, b)) in g_fast.iter().zip(&g_ref).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale,
            "{v:?} param {i}: fast {a} vs reference {b}"
        );
    }
    let (p_ref, s_ref) = model.predict_with_sensitivity_reference(&tasks, &mut ws);
    let (p_fast, s_fast) = model.predict_with_sensitivity(&tasks, &mut ws);
    assert_eq!(model.predict(&tasks, &mut ws), p_fast, "{v:?}");
    for k in 0..tasks.count {
        let want = p_ref[k];
        assert!(
            (p_fast[k] - want).abs() <= 1e-4 * want.abs().max(1.0),
            "{v:?}: prediction {k}: fast {} vs reference {want}",
            p_fast[k]
        );
        for c in 0..arch.d {
            let r = s_ref[k * arch.d + c];
            assert!(
                (s_fast[k * arch.d + c] - r).abs() <= 1e-4 * r.abs().max(1.0),
                "{v:?}: sensitivity {k},{c}: fast {} vs reference {r}",
                s_fast[k * arch.d + c]
            );
        }
    }
}

/// Every variant of one attention kind: K = 1–3 × recurrent/deep × 1–2 heads, token clipping
/// (K = 4), the query among the keys.
fn variants(softmax: bool) -> Vec<Variant> {
    let v = |layers, recurrent, heads, clip_tokens, query_in_keys| Variant {
        softmax,
        layers,
        recurrent,
        heads,
        clip_tokens,
        query_in_keys,
        label_blind: false,
        layernorm: false,
        mlp: 0,
    };
    let mut all = vec![];
    for layers in 1..=3 {
        for recurrent in [true, false] {
            for heads in 1..=2 {
                all.push(v(layers, recurrent, heads, false, false));
            }
        }
    }
    all.push(v(4, true, 1, true, false));
    all.push(v(4, false, 2, true, true));
    all.push(v(1, true, 1, false, true));
    all.push(v(3, false, 2, false, true));
    // The label-blind control's batches.
    all.push(Variant {
        label_blind: true,
        ..v(1, true, 1, false, false)
    });
    all.push(Variant {
        label_blind: true,
        ..v(2, false, 2, false, false)
    });
    all
}

#[test]
fn simd_engine_matches_reference_path() {
    for v in variants(false) {
        compare(v);
    }
}

/// LayerNorm and the MLP block with linear attention (the lane engine covers them; with softmax
/// attention they run on the reference path): K = 1–3, recurrent and deep (LayerNorm between
/// layers only), heads, the query among the keys, token clipping (K = 4).
fn block_variants() -> Vec<Variant> {
    let base = variants(false)[0];
    let v = |layernorm, mlp, layers, recurrent, heads| Variant {
        layernorm,
        mlp,
        layers,
        recurrent,
        heads,
        ..base
    };
    let mut all = vec![];
    for (layernorm, mlp) in [(true, 0), (false, 7), (true, 7)] {
        all.push(v(layernorm, mlp, 1, true, 1));
        all.push(v(layernorm, mlp, 2, true, 2));
        all.push(v(layernorm, mlp, 2, false, 1));
        all.push(v(layernorm, mlp, 3, false, 2));
        all.push(Variant {
            query_in_keys: true,
            ..v(layernorm, mlp, 2, true, 1)
        });
        all.push(Variant {
            clip_tokens: true,
            ..v(layernorm, mlp, 4, true, 1)
        });
    }
    all
}

#[test]
fn simd_engine_matches_reference_path_with_layernorm_and_mlp() {
    for v in block_variants() {
        assert_eq!(setup(v).0.arch.engine(), Engine::Lanes, "{v:?}");
        compare(v);
    }
}

#[test]
fn simd_engine_matches_reference_path_for_softmax() {
    for v in variants(true) {
        compare(v);
    }
}

#[test]
fn clipping_bites_in_the_clipped_variants() {
    // The clip variants above test the clip masks only if some token value reaches ±10.
    for v in [variants(true), variants(false), block_variants()].concat() {
        if !v.clip_tokens {
            continue;
        }
        let (model, tasks) = setup(v);
        let mut ws = Workspace::new(&model.arch);
        let (mut clipped, mut all) = (0, 0);
        for k in 0..tasks.count {
            model.forward(tasks.task_tokens(k), &mut ws);
            for e in ws.layer_outputs() {
                clipped += e
                    .iter()
                    .filter(|x| x.abs() >= icl_lab::arch::TOKEN_CLIP)
                    .count();
                all += e.len();
            }
        }
        eprintln!("{v:?}: {clipped} of {all} token values at the clip");
        assert!(clipped > 0, "{v:?}: no token reaches the clip");
        assert!(2 * clipped < all, "{v:?}: most tokens are clipped");
    }
}

#[test]
fn avx2_and_portable_builds_give_the_same_bits() {
    for v in [variants(false), variants(true), block_variants()].concat() {
        let (model, tasks) = setup(v);
        let run = |avx2: bool| {
            ALLOW_AVX2.store(avx2, Ordering::Relaxed);
            let mut ws = Workspace::new(&model.arch);
            let mut grad = vec![0.0; model.params.len()];
            let loss = model.loss_and_grad(&tasks, &mut grad, &mut ws);
            let (p, s) = model.predict_with_sensitivity(&tasks, &mut ws);
            ALLOW_AVX2.store(true, Ordering::Relaxed);
            (loss.to_bits(), grad, p, s)
        };
        assert_eq!(run(true), run(false), "{v:?}");
    }
}

/// The lane engine keeps W_KQ and W_PV from one call to the next while the weights stay the same
/// bits (the shards of a step). A workspace that has seen other weights must give what a fresh
/// one gives, bit for bit: after a weight moved by one unit in the last place (an engine that
/// kept its first products fails here), back, and after a zero weight turned into −0.
#[test]
fn reused_workspace_gives_what_a_fresh_one_gives() {
    for v in [variants(false), variants(true), block_variants()].concat() {
        let (model, tasks) = setup(v);
        let run = |m: &Model, ws: &mut Workspace| {
            let mut grad = vec![0.0; m.params.len()];
            let loss = m.loss_and_grad(&tasks, &mut grad, ws);
            let (p, s) = m.predict_with_sensitivity(&tasks, ws);
            (loss.to_bits(), grad, p, s)
        };
        let mut nudged = model.clone();
        nudged.params[0] = f32::from_bits(nudged.params[0].to_bits() + 1);
        let mut zeroed = model.clone();
        zeroed.params[1] = 0.0;
        let mut negative_zero = zeroed.clone();
        negative_zero.params[1] = -0.0;
        let mut ws = Workspace::new(&model.arch);
        for m in [&model, &nudged, &model, &zeroed, &negative_zero, &zeroed] {
            let fresh = run(m, &mut Workspace::new(&model.arch));
            assert_eq!(run(m, &mut ws), fresh, "{v:?}");
        }
    }
}
