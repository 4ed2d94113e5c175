//! icl-lab: train a tiny transformer on in-context linear regression and check whether it
//! learns to do gradient descent (von Oswald et al., "Transformers Learn In-Context by Gradient
//! Descent", ICML 2023). The science, in this project's words: `docs/science.md`.
//!
//! The crate map, in layering order: each module uses only modules above it (unit tests aside).

// Settings
/// The one parameter schema: URL, CLI and JSON keys, defaults, ranges, validation.
pub mod config;
/// Named settings that recreate the paper's figures and the critics' experiments.
pub mod presets;

// Computing in slices
/// Computations that run a time slice at a time and go on from there at the next call.
pub mod staged;

// The task
/// Seeded random streams (train, init, eval) derived from one seed.
pub mod rng;
/// The task distribution and its token matrices.
pub mod task;
/// Classic tokens: x and y in separate tokens with a position code (layout, gradient map).
pub mod classic;

// The transformer
/// The architecture: sizes, switches, parameter layout, the W_KQ / W_PV products.
pub mod arch;
/// Tiny dense kernels for the reference path; the one exponential of softmax attention.
pub mod kernels;
/// One attention layer, forward and hand-written backward: the reference path (the oracle).
pub mod lsa;
/// LayerNorm of each token, forward and backward (the LayerNorm switch).
pub mod norm;
/// The GELU MLP block after attention, forward and backward (the MLP switch).
pub mod mlp;
/// One layer on the reference path: [LayerNorm →] attention [→ [LayerNorm →] MLP], each with
/// its residual connection.
pub mod block;
/// The lane engine for linear and softmax attention: 16 tasks per SIMD block.
pub mod batched;
/// K layers, heads, read-out, initialisation; the engine chosen openly.
pub mod model;
/// The copy analysis of a classic-token model's first layer.
pub mod copy;
/// Adam with global-norm gradient clipping.
pub mod optim;

// What it is compared with
/// GD with η*, K-step GD, GD++ (shared or per-step), OLS / ridge, preconditioned GD.
pub mod baselines;
/// The paper's appendix-A.1 weights for GD and GD++.
pub mod construct;
/// Alignment metrics and the β-rescaled weights.
pub mod metrics;
/// The read-out after every layer, the per-step GD++ fit, the start from the construction.
pub mod layerwise;
/// The loss along the straight path from the trained weights to the construction.
pub mod interpolate;
/// Everything a run is measured against, computed stage by stage (up front or in slices).
pub mod references;
/// Prompts unlike training: test-time shifts of the evaluation tasks.
pub mod shift;

// A run
/// A training batch in fixed shards, each with its own stream: any number of workers, same bits.
pub mod shard;
/// What it is compared with: evaluation tasks, baselines, read-outs.
pub mod compare;
/// What a run is: model, optimiser, streams, training history.
pub mod run;
/// When a run reached GD's loss, and whether it sits on a plateau.
pub mod progress;
/// A run and its comparison, advanced together.
pub mod train;

// Views of a run
/// One prompt answered by the frozen model and every baseline.
pub mod prompt;
/// A link: the run's settings plus what the page shows (edited prompt, presenter mode, pins,
/// workers, and the classroom keys lock, hide, view and autoplay).
pub mod link;
/// The page's snapshots and the CLI's report, as serialisable data.
pub mod report;

/// The browser boundary: the only module that uses wasm-bindgen.
#[cfg(target_arch = "wasm32")]
pub mod wasm;
