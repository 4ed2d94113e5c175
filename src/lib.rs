//! icl-lab: train a tiny transformer on in-context linear regression and check whether it
//! learns to do gradient descent (von Oswald et al., "Transformers Learn In-Context by Gradient
//! Descent", ICML 2023).
pub mod config;
pub mod kernels;
pub mod lsa;
pub mod model;
pub mod optim;
pub mod rng;
pub mod task;
pub mod baselines;
pub mod construct;
pub mod metrics;
pub mod train;
pub mod presets;
pub mod report;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod batched;
