//! A training step's batch, cut into fixed shards so that several workers can share the step and
//! still give the numbers of one.
//!
//! Shard `i` of step `s` holds tasks `i·SHARD_TASKS …` of the batch and is sampled from its own
//! random stream (seed, s, i): whoever computes it gets the same tasks. Each shard gives its mean
//! loss and the gradient of that mean; the step's gradient is their sum weighted by the shard's
//! share of the batch, always added in shard order. So the bits of a run depend on the seed and
//! the settings only, never on how many workers computed the shards (the page's worker pool,
//! www/pool.js), and the CLI, which computes them one after the other, gives the same numbers.

use crate::config::{Config, Labels};
use crate::model::{Model, Workspace};
use crate::rng::{self, Rng};
use crate::task::{TaskDist, Tasks};

/// Tasks per shard (but the last): 8 lane blocks of 16. Small enough that a batch of 2048 has 16 shards to share
/// among workers, large enough that a shard's fixed costs stay small.
pub const SHARD_TASKS: usize = 128;

/// The fewest tasks a shard holds: one lane block, and at least two tasks for the label-blind
/// control's rotation (`Tasks::shuffle_context_labels`) within the shard.
pub const MIN_SHARD_TASKS: usize = 16;

/// How many shards a batch of `batch` tasks is cut into: shards of `SHARD_TASKS`, the last one
/// holding the rest; a rest below `MIN_SHARD_TASKS` joins the shard before it.
pub fn count(batch: usize) -> usize {
    let (full, rest) = (batch / SHARD_TASKS, batch % SHARD_TASKS);
    if full == 0 || rest >= MIN_SHARD_TASKS {
        full + 1
    } else {
        full
    }
}

/// The number of tasks in shard `i` of a batch of `batch` (only the last one may differ).
pub fn size(batch: usize, i: usize) -> usize {
    let last = count(batch) - 1;
    if i == last {
        batch - last * SHARD_TASKS
    } else {
        SHARD_TASKS
    }
}

/// The random stream of shard `i` of training step `step`.
fn stream(seed: u64, step: usize, i: usize) -> Rng {
    rng::substream(rng::Stream::Train, seed, ((step as u64) << 20) ^ (i as u64))
}

/// One shard's result: its mean loss and the gradient of that mean.
pub struct ShardGrad {
    pub loss: f64,
    pub grad: Vec<f32>,
}

/// What computing shards needs: the task distribution and one reusable batch per shard size, a
/// workspace for the model. The page's pool workers each hold one; so does a run.
pub struct Sharder {
    seed: u64,
    batch: usize,
    /// The label-blind control (`labels = shuffled`): context labels rotated within each shard.
    shuffled: bool,
    full: Tasks,
    last: Option<Tasks>,
    ws: Workspace,
}

impl Sharder {
    pub fn new(cfg: &Config, model: &Model) -> Sharder {
        let dist = TaskDist::from_config(cfg);
        let mut scratch = rng::stream(cfg.seed, rng::Stream::Train);
        let n = count(cfg.batch);
        let (first, last) = (size(cfg.batch, 0), size(cfg.batch, n - 1));
        Sharder {
            seed: cfg.seed,
            batch: cfg.batch,
            shuffled: cfg.labels == Labels::Shuffled,
            full: Tasks::sample(dist, first, &mut scratch),
            last: (last != first).then(|| Tasks::sample(dist, last, &mut scratch)),
            ws: Workspace::new(&model.arch),
        }
    }

    /// Shard `i` of step `step` (0-based: the step about to be taken) for `model`: its tasks are
    /// drawn, then its loss and gradient computed into `out.grad` (overwritten).
    pub fn compute(&mut self, model: &Model, step: usize, i: usize, out: &mut ShardGrad) {
        let n = size(self.batch, i);
        let tasks = match &mut self.last {
            Some(last) if n != self.full.count => last,
            _ => &mut self.full,
        };
        debug_assert_eq!(tasks.count, n);
        tasks.resample(&mut stream(self.seed, step, i));
        if self.shuffled {
            tasks.shuffle_context_labels();
        }
        out.grad.clear();
        out.grad.resize(model.params.len(), 0.0);
        out.loss = model.loss_and_grad(tasks, &mut out.grad, &mut self.ws);
    }
}

/// The step's mean loss and gradient from all its shards, added in shard order (`grad` is
/// overwritten). `shards` must be in shard order, one per shard of the batch.
pub fn combine(batch: usize, shards: &[ShardGrad], grad: &mut [f32]) -> f64 {
    debug_assert_eq!(shards.len(), count(batch));
    grad.fill(0.0);
    let mut loss = 0.0;
    for (i, s) in shards.iter().enumerate() {
        let share = size(batch, i) as f64 / batch as f64;
        loss += share * s.loss;
        let w = share as f32;
        for (g, &x) in grad.iter_mut().zip(&s.grad) {
            *g += w * x;
        }
    }
    loss
}

/// Shards as one flat list, `[loss, grad…]` per shard: how they cross between the page's workers.
pub fn flatten(shard: &ShardGrad, out: &mut Vec<f64>) {
    out.push(shard.loss);
    out.extend(shard.grad.iter().map(|&g| g as f64));
}

/// The shards of a flat list (`flatten`'s layout) for a model of `params` parameters; None when
/// the length does not fit.
pub fn unflatten(flat: &[f64], params: usize) -> Option<Vec<ShardGrad>> {
    if flat.is_empty() || !flat.len().is_multiple_of(params + 1) {
        return None;
    }
    Some(
        flat.chunks_exact(params + 1)
            .map(|c| ShardGrad {
                loss: c[0],
                // Exact: these are f32 values carried as f64.
                grad: c[1..].iter().map(|&g| g as f32).collect(),
            })
            .collect(),
    )
}
