//! Classic tokens (paper §4, fig. 5): the token layout and position code of the authors' code,
//! the settings they require, oracles for the two-layer model (backward = finite differences,
//! lane engine = reference path, copy norms = finite differences of the first layer), and a
//! short training run against the paper's claims: two layers end near one GD step, not two, and
//! the first layer's output at each x token comes to depend on its y token.

mod common;

use icl_lab::batched::ALLOW_AVX2;
use icl_lab::classic::{position_code, width, Layout, PE_SIZE};
use icl_lab::config::{Attn, Config, Tokens};
use icl_lab::copy::copy_norms;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use rand_distr::{Distribution, StandardNormal};
use std::sync::atomic::Ordering;

/// A classic-token architecture at (d, N) with `heads` heads.
fn arch(d: usize, n: usize, heads: usize, query_in_keys: bool) -> Arch {
    let (cfg, notices) = Config::from_query(&format!(
        "d={d}&n={n}&layers=2&recurrent=false&heads={heads}&attn=softmax&query_in_keys={query_in_keys}&tokens=classic"
    ));
    assert!(notices.is_empty(), "{notices:?}");
    Arch::from_config(&cfg)
}

/// A model with N(0, sd²) weights (large enough that the softmax is far from uniform and every
/// path carries a visible gradient) and `count` tasks with label noise.
fn setup(arch: Arch, sd: f64, count: usize) -> (Model, Tasks) {
    let mut rng = stream(11, Stream::Init);
    let mut model = Model::init(arch, &mut rng);
    for p in &mut model.params {
        let z: f64 = StandardNormal.sample(&mut rng);
        *p = (sd * z) as f32;
    }
    (model, common::noisy_tasks(&arch, count, 11))
}

#[test]
fn position_code_is_the_authors_sinusoid() {
    // create_pos_encoding(context_size, 10): pe[p, 2i] = sin(p·10000^(−2i/10)), pe[p, 2i+1] = cos.
    for p in [0usize, 1, 7, 20, 41] {
        let pe = position_code(p);
        for i in 0..PE_SIZE / 2 {
            let angle = p as f64 / 10000f64.powf(2.0 * i as f64 / PE_SIZE as f64);
            assert!((pe[2 * i] as f64 - angle.sin()).abs() < 1e-6, "p {p}, {i}");
            assert!(
                (pe[2 * i + 1] as f64 - angle.cos()).abs() < 1e-6,
                "p {p}, {i}"
            );
        }
    }
    assert_eq!(position_code(0), [0., 1., 0., 1., 0., 1., 0., 1., 0., 1.]);
    // The read-out slot (the query's last entry) holds cos(2N·10000^−0.8) ≈ 1 before any layer.
    assert!((position_code(20)[PE_SIZE - 1] - 1.0).abs() < 1e-4);
}

#[test]
fn tokens_are_laid_out_x_then_y_then_the_query() {
    let (d, n) = (3, 4);
    let dist = TaskDist {
        d,
        n,
        x_range: 0.5,
        noise: 0.0,
        aniso: 1.0,
    };
    let tasks = Tasks::sample(dist, 1, &mut stream(2, Stream::Eval));
    let w = width(d);
    assert_eq!(w, d + PE_SIZE);
    let layout = Layout::new(d, n);
    let mut seq = vec![f32::NAN; (2 * n + 1) * w];
    layout.lay_out(tasks.task_tokens(0), &mut seq);
    let (xs, xq) = tasks.inputs(0);
    let ys = tasks.labels(0);
    for p in 0..2 * n + 1 {
        let row = &seq[p * w..(p + 1) * w];
        assert_eq!(&row[d..], &position_code(p), "position code of token {p}");
        if p == 2 * n {
            assert_eq!(&row[..d], xq, "the query is x_q, with no label slot");
        } else if p % 2 == 0 {
            assert_eq!(&row[..d], &xs[(p / 2) * d..(p / 2 + 1) * d], "x token {p}");
        } else {
            let mut want = vec![0.0; d];
            want[d - 1] = ys[p / 2];
            assert_eq!(&row[..d], &want[..], "y token {p}: (0, …, 0, y)");
        }
    }
    // The gradient map is the layout's transpose: ⟨g, L(t)⟩ = ⟨L*(g), t⟩ for the data entries.
    let g: Vec<f32> = (0..seq.len()).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut back = vec![f32::NAN; (n + 1) * (d + 1)];
    layout.grad_to_paired(&g, &mut back);
    let paired = tasks.task_tokens(0);
    let lhs: f64 = (0..2 * n + 1)
        .flat_map(|p| (0..d).map(move |c| (p, c)))
        .map(|(p, c)| g[p * w + c] as f64 * seq[p * w + c] as f64)
        .sum();
    let rhs: f64 = back
        .iter()
        .zip(paired)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum();
    assert!((lhs - rhs).abs() < 1e-5, "{lhs} vs {rhs}");
    assert_eq!(
        back[n * (d + 1) + d],
        0.0,
        "the query's label slot is not read"
    );
}

#[test]
fn classic_tokens_require_the_papers_two_layer_model() {
    let (cfg, notices) = Config::from_query("tokens=classic");
    assert_eq!(
        (cfg.layers, cfg.recurrent, cfg.attn, cfg.tokens),
        (2, false, Attn::Softmax, Tokens::Classic)
    );
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].key, "tokens");
    assert_eq!(
        notices[0].message,
        "Classic tokens run the paper's two-layer model only (a softmax layer, then a linear one, \
         each with its own weights, no LayerNorm or MLP); using layers = 2 (not 1), recurrent = \
         false, attn = softmax."
    );
    let (c, n) = Config::from_query(
        "tokens=classic&layers=2&recurrent=false&attn=softmax&layernorm=true&mlp=8",
    );
    assert_eq!((c.layernorm, c.mlp), (false, 0));
    assert!(
        n[0].message
            .ends_with("using layernorm = false, mlp = 0 (not 8)."),
        "{n:?}"
    );
    assert_eq!(
        cfg.to_query(),
        "layers=2&recurrent=false&attn=softmax&tokens=classic"
    );
    // The canonical form reads back without a notice; other keys stay free.
    let (again, none) = Config::from_query(&cfg.to_query());
    assert_eq!((again, none.is_empty()), (cfg.clone(), true));
    let (c, n) = Config::from_query("tokens=classic&layers=5&recurrent=false&attn=softmax&heads=2");
    assert_eq!((c.layers, c.heads), (2, 2));
    assert!(n[0].message.contains("layers = 2 (not 5)"), "{n:?}");
    // A slider moved on the page: the value's own notice first, else the fit.
    let mut c = cfg.clone();
    assert!(c
        .set("layers", "3")
        .unwrap()
        .message
        .contains("layers = 2 (not 3)"));
    assert_eq!(c, cfg);
    assert_eq!(c.set("heads", "2"), None);
    // The paper's clip (10) and its comparison (one GD step) follow the tokens.
    assert_eq!(cfg.clip_norm(), 10.0);
    assert_eq!(cfg.compared_steps(), 1);
    let paired = Config::from_query("layers=2&recurrent=false").0;
    assert_eq!((paired.clip_norm(), paired.compared_steps()), (0.001, 2));
}

/// Backward = central finite differences, for the weights and for the paired input tokens
/// (whose query entries give ∂ŷ/∂x_q, the sensitivity behind model cos and model diff).
fn check_gradients(arch: Arch) {
    let (mut model, tasks) = setup(arch, 0.3, 3);
    let mut ws = Workspace::new(&arch);
    let mut grad = vec![0.0; model.params.len()];
    model.loss_and_grad_reference(&tasks, &mut grad, &mut ws);
    let worst = common::assert_backward_matches_finite_differences(
        &mut model,
        &tasks,
        &grad,
        &mut ws,
        1e-2,
        &format!("{arch:?}"),
    );
    eprintln!("{arch:?}: worst relative error of the weight gradient {worst:.2e}");
}

#[test]
fn backward_matches_finite_differences() {
    check_gradients(arch(3, 4, 1, false));
    check_gradients(arch(2, 3, 2, false));
    check_gradients(arch(3, 3, 1, true));
}

/// The lane engine (batched.rs, laid out per lane) = the reference path (lsa.rs), in its
/// portable build and, where the CPU has it, its AVX2 build.
#[test]
fn lane_engine_matches_the_reference_path() {
    for (d, n, heads, qk) in [
        (3, 4, 1, false),
        (2, 5, 2, false),
        (4, 3, 1, true),
        (10, 10, 1, false),
    ] {
        let a = arch(d, n, heads, qk);
        // 21 tasks: a full block of 16 lanes and a partly empty one.
        let (model, tasks) = setup(a, 0.3, 21);
        let mut ws = Workspace::new(&a);
        let mut g_ref = vec![0.0; model.params.len()];
        let l_ref = model.loss_and_grad_reference(&tasks, &mut g_ref, &mut ws);
        let (p_ref, s_ref) = model.predict_with_sensitivity_reference(&tasks, &mut ws);
        for avx2 in [false, true] {
            ALLOW_AVX2.store(avx2, Ordering::Relaxed);
            let mut ws = Workspace::new(&a);
            let mut g = vec![0.0; model.params.len()];
            let l = model.loss_and_grad(&tasks, &mut g, &mut ws);
            let (p, s) = model.predict_with_sensitivity(&tasks, &mut ws);
            assert!(
                (l - l_ref).abs() <= 1e-5 * l_ref.abs(),
                "{a:?}: {l} vs {l_ref}"
            );
            let close = |x: &[f32], y: &[f32], what: &str| {
                let scale = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    assert!(
                        (u - v).abs() <= 1e-4 * scale,
                        "{a:?} {what} {i}: {u} vs {v}"
                    );
                }
            };
            assert_eq!(
                (g.len(), p.len(), s.len()),
                (g_ref.len(), p_ref.len(), s_ref.len())
            );
            close(&g, &g_ref, "gradient");
            close(&p, &p_ref, "prediction");
            close(&s, &s_ref, "sensitivity");
        }
        ALLOW_AVX2.store(true, Ordering::Relaxed);
    }
}

/// The first layer's output token j of one task, through the reference path.
fn first_layer_out(model: &Model, seq: &[f32], j: usize) -> Vec<f64> {
    let mut one = model.arch;
    one.layers = 1;
    let s = one.layer_shape(0);
    let mut c = icl_lab::lsa::LayerCache::new(&s);
    c.e_in.copy_from_slice(seq);
    icl_lab::lsa::forward(&s, model.layer_params(0), 0, &mut c, None);
    c.e_out[j * s.width..(j + 1) * s.width]
        .iter()
        .map(|&v| v as f64)
        .collect()
}

/// The copy norms = the same norms of Jacobian blocks taken by finite differences.
#[test]
fn copy_norms_match_finite_differences() {
    for (heads, qk) in [(1, false), (2, false), (1, true)] {
        let a = arch(3, 4, heads, qk);
        let (model, tasks) = setup(a, 0.4, 2);
        let c = copy_norms(&model, &tasks);
        let s = a.layer_shape(0);
        let (d, n, w) = (a.d, a.n, s.width);
        let eps = 1e-2f32;
        let (mut own, mut next, mut other, mut others) = (0.0, 0.0, 0.0, 0);
        let layout = Layout::new(d, n);
        for task in 0..tasks.count {
            let mut seq = vec![0.0; s.tokens * w];
            layout.lay_out(tasks.task_tokens(task), &mut seq);
            for i in 0..n {
                let j = 2 * i;
                for m in 0..s.keys {
                    let mut sq = 0.0;
                    for cix in 0..d {
                        let mut t = seq.clone();
                        t[m * w + cix] += eps;
                        let up = first_layer_out(&model, &t, j);
                        t[m * w + cix] -= 2.0 * eps;
                        let down = first_layer_out(&model, &t, j);
                        sq += up
                            .iter()
                            .zip(&down)
                            .map(|(u, v)| ((u - v) / (2.0 * eps as f64)).powi(2))
                            .sum::<f64>();
                    }
                    if m == j {
                        own += sq.sqrt();
                    } else if m == j + 1 {
                        next += sq.sqrt();
                    } else {
                        other += sq.sqrt();
                        others += 1;
                    }
                }
            }
        }
        let blocks = (tasks.count * n) as f64;
        let (own, next, other) = (own / blocks, next / blocks, other / others as f64);
        for (what, got, want) in [
            ("own", c.own, own),
            ("next", c.next, next),
            ("other", c.other, other),
        ] {
            assert!(
                (got - want).abs() < 2e-3 * want.max(1.0),
                "heads {heads}, {what}: {got} vs {want}"
            );
        }
        assert!(c.attention_next > 0.0 && c.attention_next < 1.0);
        eprintln!(
            "heads {heads}, query in keys {qk}: own {own:.4}, next {next:.4}, other {other:.4}"
        );
    }
}

/// The classic preset trained to its end (release mode: about 15–30 s here): a plateau at the
/// zero predictor's loss, then the copy, then a loss near one GD step's and far above two steps'.
#[test]
fn preset_copies_then_matches_one_gd_step_not_two() {
    let query = icl_lab::presets::find("classic").unwrap().query;
    let t = common::train(query);
    let (h, b) = (&t.run.history, &t.compare.baselines);
    let two = b
        .gd_layers
        .expect("classic tokens compare with two GD steps too");
    let at = |step: usize| {
        h.eval_step
            .iter()
            .position(|&s| s as usize == step)
            .unwrap()
    };
    let last = h.eval_step.len() - 1;
    let loss = h.eval_loss[last];
    let left = h
        .eval_step
        .iter()
        .zip(&h.eval_loss)
        .find(|&(_, &l)| l < 0.9 * b.zero_loss)
        .map(|(&s, _)| s);
    eprintln!(
        "classic preset: loss {loss:.4}, one GD step {:.4} ({:+.1} %), two GD steps {:.4} ({:+.1} %), \
         zero {:.4}; below 0.9 × zero from step {left:?}; loss at step 1000 {:.4}",
        b.gd1_loss,
        100.0 * (loss / b.gd1_loss - 1.0),
        two.loss,
        100.0 * (loss / two.loss - 1.0),
        b.zero_loss,
        h.eval_loss[at(1000)],
    );
    for (name, v) in [
        ("own", &h.copy_own),
        ("next", &h.copy_next),
        ("other", &h.copy_other),
        ("attention", &h.copy_attention),
    ] {
        eprintln!(
            "  {name}: step 0 {:.4}, step 1000 {:.4}, end {:.4}",
            v[0],
            v[at(1000)],
            v[last]
        );
    }
    let l = &t.compare.latest.alignment;
    eprintln!(
        "  against one GD step: model cos {:.4}, preds diff {:.4}, model diff {:.4}",
        l.model_cos, l.preds_diff, l.model_diff
    );
    // The paper: two classic layers match one GD step, not two.
    assert!(
        loss <= 1.10 * b.gd1_loss,
        "{loss} vs one GD step {}",
        b.gd1_loss
    );
    assert!(
        loss >= 1.2 * two.loss,
        "{loss} vs two GD steps {}",
        two.loss
    );
    assert!(l.model_cos >= 0.95, "{l:?}");
    // A long plateau first (the preset's text: it leaves it after about 2000 steps).
    assert!(h.eval_loss[at(1000)] >= 0.95 * b.zero_loss);
    let left = left.expect("the run leaves its plateau") as usize;
    assert!((1500..=2250).contains(&left), "left the plateau at {left}");
    // The copy: the x tokens come to depend on their y token, not on the others.
    let (next, other) = (h.copy_next[last], h.copy_other[last]);
    assert!(next >= 20.0 * h.copy_next[0] && next >= 10.0 * h.copy_next[at(1000)]);
    assert!(next >= 20.0 * other, "next {next}, other {other}");
    assert!(h.copy_attention[last] >= 0.5 && (h.copy_attention[0] - 0.05).abs() < 0.005);
    // The own block stays the residual identity, √d.
    assert!((h.copy_own[last] - (t.run.cfg.d as f64).sqrt()).abs() < 0.1);
}

/// The preset's text: with seed 3 the loss stays on the plateau for all 3000 steps.
#[test]
fn preset_with_seed_3_stays_on_the_plateau() {
    let query = icl_lab::presets::find("classic")
        .unwrap()
        .query
        .replace("seed=5", "seed=3");
    let t = common::train(&query);
    let (h, b) = (&t.run.history, &t.compare.baselines);
    let lowest = h.eval_loss[1..]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    eprintln!(
        "seed 3: lowest loss {lowest:.4}, zero {:.4}, attention on the y token at the end {:.4}",
        b.zero_loss,
        h.copy_attention.last().unwrap()
    );
    assert!(
        lowest >= 0.95 * b.zero_loss,
        "{lowest} vs zero {}",
        b.zero_loss
    );
}
