//! Oracle: the hand-written backward pass equals central finite differences of the loss, for
//! every model variant (linear/softmax, 1–2 heads, K = 1–3, recurrent/deep, query in keys,
//! token clipping) — both for the weights and for the input tokens (used by `model diff`).

use icl_lab::config::Config;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use rand_distr::{Distribution, StandardNormal};

fn loss(model: &Model, tasks: &Tasks, ws: &mut Workspace) -> f64 {
    (0..tasks.count)
        .map(|k| {
            let r = (model.forward(tasks.task_tokens(k), ws) - tasks.target(k)) as f64;
            0.5 * r * r
        })
        .sum::<f64>()
        / tasks.count as f64
}

fn check(arch: Arch) {
    let mut rng = stream(7, Stream::Init);
    let mut model = Model::init(arch, &mut rng);
    // Larger weights than the paper's init so every path carries a visible gradient.
    for p in &mut model.params {
        let z: f64 = StandardNormal.sample(&mut rng);
        *p = (0.35 * z) as f32;
    }
    let dist = TaskDist {
        d: arch.d,
        n: arch.n,
        x_range: 0.5,
        noise: 0.1,
        aniso: 1.0,
    };
    let tasks = Tasks::sample(dist, 3, &mut stream(7, Stream::Eval));
    let mut ws = Workspace::new(&arch);
    let mut grad = vec![0.0; model.params.len()];
    model.loss_and_grad(&tasks, &mut grad, &mut ws);

    let eps = 1e-2f32;
    // f32 forward passes make finite differences of tiny entries noisy: measure errors relative
    // to the entry, with a floor of 1% of the largest gradient entry.
    let floor = 1e-2 * grad.iter().fold(0.0f64, |m, g| m.max(g.abs() as f64));
    let mut worst = 0.0f64;
    for (i, &g) in grad.iter().enumerate() {
        let orig = model.params[i];
        model.params[i] = orig + eps;
        let up = loss(&model, &tasks, &mut ws);
        model.params[i] = orig - eps;
        let down = loss(&model, &tasks, &mut ws);
        model.params[i] = orig;
        let num = (up - down) / (2.0 * eps as f64);
        let ana = g as f64;
        let err = (num - ana).abs() / (floor + num.abs().max(ana.abs()));
        worst = worst.max(err);
        assert!(
            err < 1e-2,
            "{arch:?}: param {i}: analytic {ana} vs numeric {num}"
        );
    }

    // Input gradient of ŷ (the sensitivity behind `model diff`) for the first task.
    let tokens = tasks.task_tokens(0).to_vec();
    model.forward(&tokens, &mut ws);
    let mut sink = vec![0.0; model.params.len()];
    model.backward(1.0, &mut ws, &mut sink, true);
    let g_in = ws.input_grad().to_vec();
    let floor = 1e-2 * g_in.iter().fold(0.0f64, |m, g| m.max(g.abs() as f64));
    for (j, g) in g_in.iter().enumerate() {
        let mut t = tokens.clone();
        t[j] += eps;
        let up = model.forward(&t, &mut ws) as f64;
        t[j] -= 2.0 * eps;
        let down = model.forward(&t, &mut ws) as f64;
        let num = (up - down) / (2.0 * eps as f64);
        let err = (num - *g as f64).abs() / (floor + num.abs().max(g.abs() as f64));
        assert!(
            err < 1e-2,
            "{arch:?}: token entry {j}: analytic {g} vs numeric {num}"
        );
    }
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
