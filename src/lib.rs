//! icl-lab: train a tiny transformer on in-context linear regression and check whether it
//! learns to do gradient descent (von Oswald et al., "Transformers Learn In-Context by Gradient
//! Descent", ICML 2023).
pub mod arch;
pub mod baselines;
pub mod batched;
pub mod compare;
pub mod config;
pub mod construct;
pub mod interpolate;
pub mod kernels;
pub mod layerwise;
pub mod link;
pub mod lsa;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod presets;
pub mod progress;
pub mod prompt;
pub mod report;
pub mod rng;
pub mod run;
pub mod task;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
