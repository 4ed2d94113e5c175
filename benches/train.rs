//! Training speed of the native engine (a benchmark, not a timed test): ms per training step
//! for the paper's figure-2 configuration (B = 2048, d = N = 10, K = 1) and for K = 3, and where
//! the time goes (task sampling vs the model's forward + backward); then softmax attention with
//! one and two heads at K = 1 and K = 3.
//!
//!   cargo bench --bench train               a table
//!   cargo bench --bench train -- --json     one JSON object (read by scripts/bench.sh)
//!   cargo bench --bench train -- --softmax  the softmax rows only (`--portable`: and without
//!                                           AVX2)
//!   cargo bench --bench train -- --blocks   LayerNorm and MLP (K = 1): the lane engine's model
//!                                           ms per batch against the reference path's

use icl_lab::config::Config;
use icl_lab::model::{Arch, Model, Workspace};
use icl_lab::rng::{stream, Stream};
use icl_lab::task::{TaskDist, Tasks};
use icl_lab::train::Trainer;
use std::time::Instant;

struct Measured {
    ms_per_step: f64,
    sample_ms: f64,
    model_ms: f64,
}

/// Median of `reps` timings of `steps` training steps (evaluation switched off).
fn measure(query: &str, steps: usize, reps: usize) -> Measured {
    let (cfg, notices) = Config::from_query(&format!("{query}&eval_every=1000&steps=100000"));
    assert!(notices.is_empty(), "{notices:?}");
    let mut t = Trainer::new(cfg.clone());
    t.advance(5); // warm up
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            t.advance(steps);
            s.elapsed().as_secs_f64() * 1e3 / steps as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // The two halves of a step, timed apart.
    let arch = Arch::from_config(&cfg);
    let mut rng = stream(9, Stream::Train);
    let mut tasks = Tasks::sample(TaskDist::from_config(&cfg), cfg.batch, &mut rng);
    let s = Instant::now();
    for _ in 0..steps {
        tasks.resample(&mut rng);
    }
    let sample_ms = s.elapsed().as_secs_f64() * 1e3 / steps as f64;
    let model = Model::init(arch, &mut stream(9, Stream::Init));
    let mut ws = Workspace::new(&arch);
    let mut grad = vec![0.0; model.params.len()];
    let s = Instant::now();
    for _ in 0..steps {
        model.loss_and_grad(&tasks, &mut grad, &mut ws);
    }
    let model_ms = s.elapsed().as_secs_f64() * 1e3 / steps as f64;
    Measured {
        ms_per_step: times[reps / 2],
        sample_ms,
        model_ms,
    }
}

/// Softmax attention, one and two heads, at K = 1 and K = 3: (JSON key, query, timings).
fn softmax_rows(n1: usize, n3: usize, reps: usize) -> Vec<(&'static str, &'static str, Measured)> {
    [
        ("softmax_k1", "attn=softmax&layers=1", n1),
        ("softmax_h2_k1", "attn=softmax&heads=2&layers=1", n1),
        ("softmax_k3", "attn=softmax&layers=3", n3),
        ("softmax_h2_k3", "attn=softmax&heads=2&layers=3", n3),
    ]
    .into_iter()
    .map(|(key, query, steps)| (key, query, measure(query, steps, reps)))
    .collect()
}

fn print_softmax(rows: &[(&str, &str, Measured)]) {
    println!(
        "{:<14} {:<30} {:>10} {:>10} {:>12}",
        "", "", "ms/step", "steps/s", "model ms"
    );
    for (key, query, m) in rows {
        println!(
            "{key:<14} {query:<30} {:>10.3} {:>10.1} {:>12.3}",
            m.ms_per_step,
            1e3 / m.ms_per_step,
            m.model_ms
        );
    }
}

/// LayerNorm and the MLP block at K = 1, B = 2048: model ms per batch (forward and backward) on
/// the lane engine and on the reference path, medians of `reps`.
fn print_blocks(reps: usize) {
    println!(
        "LayerNorm and MLP, K = 1, B = 2048, d = N = 10: model ms per batch (median of {reps})"
    );
    println!(
        "{:<42} {:>10} {:>10} {:>8}",
        "", "lanes", "reference", "ratio"
    );
    for query in [
        "layers=1",
        "layernorm=true",
        "mlp=44",
        "layernorm=true&mlp=44",
        "layernorm=true&layers=2&recurrent=false",
    ] {
        let (cfg, _) = Config::from_query(query);
        let arch = Arch::from_config(&cfg);
        let mut rng = stream(9, Stream::Train);
        let tasks = Tasks::sample(TaskDist::from_config(&cfg), cfg.batch, &mut rng);
        let model = Model::init(arch, &mut stream(9, Stream::Init));
        let mut ws = Workspace::new(&arch);
        let mut grad = vec![0.0; model.params.len()];
        let mut time = |reference: bool| {
            let mut t: Vec<f64> = (0..reps)
                .map(|_| {
                    let s = Instant::now();
                    if reference {
                        model.loss_and_grad_reference(&tasks, &mut grad, &mut ws);
                    } else {
                        model.loss_and_grad(&tasks, &mut grad, &mut ws);
                    }
                    s.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_by(f64::total_cmp);
            t[reps / 2]
        };
        let (lanes, reference) = (time(false), time(true));
        println!(
            "{query:<42} {lanes:>10.3} {reference:>10.3} {:>7.1}×",
            reference / lanes
        );
    }
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    if std::env::args().any(|a| a == "--blocks") {
        print_blocks(15);
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let (n1, n3, reps) = if quick { (50, 10, 3) } else { (200, 40, 5) };
    if std::env::args().any(|a| a == "--softmax") {
        println!("native softmax training step, B = 2048, d = N = 10 (median of {reps})");
        print_softmax(&softmax_rows(n1, n3, reps));
        if std::env::args().any(|a| a == "--portable") {
            icl_lab::batched::ALLOW_AVX2.store(false, std::sync::atomic::Ordering::Relaxed);
            println!("portable 128-bit SIMD build (no AVX2, as wasm):");
            print_softmax(&softmax_rows(n1, n3, reps));
        }
        return;
    }
    let k1 = measure("layers=1", n1, reps);
    let k3 = measure("layers=3", n3, reps);
    let soft = softmax_rows(n1, n3, reps);
    // The same with the portable 128-bit SIMD build (what wasm's simd128 gets), for the profile.
    icl_lab::batched::ALLOW_AVX2.store(false, std::sync::atomic::Ordering::Relaxed);
    let k1p = measure("layers=1", n1, reps);
    let k3p = measure("layers=3", n3, reps);
    if json {
        let soft_json: String = soft
            .iter()
            .map(|(key, _, m)| format!(", \"{key}_ms_per_step\": {:.4}", m.ms_per_step))
            .collect();
        println!(
            "{{\"k1_ms_per_step\": {:.4}, \"k1_steps_per_s\": {:.1}, \"k1_sample_ms\": {:.4}, \"k1_model_ms\": {:.4}, \
             \"k3_ms_per_step\": {:.4}, \"k3_steps_per_s\": {:.1}, \"k3_sample_ms\": {:.4}, \"k3_model_ms\": {:.4}, \
             \"k1_portable_ms_per_step\": {:.4}, \"k3_portable_ms_per_step\": {:.4}{soft_json}}}",
            k1.ms_per_step, 1e3 / k1.ms_per_step, k1.sample_ms, k1.model_ms,
            k3.ms_per_step, 1e3 / k3.ms_per_step, k3.sample_ms, k3.model_ms,
            k1p.ms_per_step, k3p.ms_per_step
        );
    } else {
        println!("native training step, B = 2048, d = N = 10 (median of {reps})");
        println!(
            "{:<6} {:>10} {:>10} {:>12} {:>12} {:>8}",
            "K", "ms/step", "steps/s", "sampling ms", "model ms", "target"
        );
        for (k, m, target) in [(1, &k1, 3.0), (3, &k3, 10.0)] {
            println!(
                "{:<6} {:>10.3} {:>10.1} {:>12.3} {:>12.3} {:>8}",
                k,
                m.ms_per_step,
                1e3 / m.ms_per_step,
                m.sample_ms,
                m.model_ms,
                format!("≤ {target}")
            );
        }
        println!("portable 128-bit SIMD build (no AVX2, as wasm): K = 1 {:.3} ms/step, K = 3 {:.3} ms/step", k1p.ms_per_step, k3p.ms_per_step);
        println!("softmax attention:");
        print_softmax(&soft);
    }
}
