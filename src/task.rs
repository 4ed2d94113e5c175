//! The task distribution (docs/science.md, "Task"): one task is a hidden linear map y = W·x with
//! W ~ N(0, I_d), N context examples x_i ~ U(−r, r)^d, labels y_i = W·x_i + σ·ε, and a query x_q
//! whose label the model must predict. Tasks are stored as the token matrices the transformer
//! reads: context tokens e_i = (x_i, y_i) and the query token e_q = (x_q, 0), query last.
//! For the label-blind control a training batch's context labels can be moved to another task
//! ([`Tasks::shuffle_context_labels`]).

use crate::config::Config;
use crate::rng::Rng;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use std::cell::{OnceCell, RefCell};

/// A 24-bit integer mapped to [−1, 1).
#[inline]
fn unit_f32(v: u32) -> f32 {
    v as f32 * (2.0 / (1u32 << 24) as f32) - 1.0
}

/// The distribution tasks are drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskDist {
    pub d: usize,
    pub n: usize,
    /// Half-width r of the input distribution U(−r, r).
    pub x_range: f64,
    /// Label-noise standard deviation σ.
    pub noise: f64,
    /// Ratio κ of the largest to the smallest input scale (1 = isotropic).
    pub aniso: f64,
}

impl TaskDist {
    pub fn from_config(cfg: &Config) -> Self {
        TaskDist {
            d: cfg.d,
            n: cfg.n,
            x_range: cfg.x_range,
            noise: cfg.noise,
            aniso: cfg.aniso,
        }
    }

    /// Relative scale s_k of input coordinate k: κ^(1/2 − k/(d−1)), from √κ down to 1/√κ
    /// (geometric mean 1), so x_k ~ U(−r·s_k, r·s_k). All 1 when κ = 1.
    pub fn coord_scale(&self, k: usize) -> f64 {
        if self.d < 2 || self.aniso == 1.0 {
            return 1.0;
        }
        libm::pow(self.aniso, 0.5 - k as f64 / (self.d - 1) as f64)
    }

    /// The half-width r·s_k of input number m of two tokens (coordinate m mod d), for `draw_task`.
    fn input_scales(&self) -> [f32; 64] {
        let mut scale = [0.0f32; 64];
        for (m, s) in scale.iter_mut().enumerate().take(2 * self.d) {
            *s = (self.x_range * self.coord_scale(m % self.d)) as f32;
        }
        scale
    }
}

/// Draws one task from `rng`: its teacher W (`w`, d numbers), inputs (`xs`, (N+1) × d) and noise
/// draws ε (`eps`, N+1), in that order. `scale` from `TaskDist::input_scales`; `draws` is room
/// for the random bits of two tokens' inputs.
fn draw_task(
    outer: &mut Rng,
    (scale, draws): (&[f32; 64], &mut [u32; 64]),
    w: &mut [f32],
    xs: &mut [f32],
    eps: &mut [f32],
) {
    // A copy of the generator's state, written back at the end: the state of a local whose
    // address is never taken stays in registers, where through `rng` every draw would store it.
    let mut local = outer.clone();
    let rng = &mut local;
    let d = w.len();
    for wk in w.iter_mut() {
        *wk = StandardNormal.sample(rng);
    }
    // Two 24-bit uniforms on [−1, 1) per 64 random bits, high half first: sampling is a large
    // part of a training step, and f32 inputs need no more resolution than this. The pairs run
    // across token boundaries (input number j of a task uses draw j/2); an odd count leaves the
    // last number a draw of its own. Two tokens (2d numbers, d draws) at a time: the draws
    // first, so that the generator's loop stays tight, each kept as its two 32-bit halves, high
    // half first; then number m is the top 24 bits of half m, a conversion that vectorises. The
    // bits are those of drawing one number at a time (tests/sampling.rs checks).
    for two in xs.chunks_mut(2 * d) {
        let halves = &mut draws[..2 * two.len().div_ceil(2)];
        for h in halves.chunks_exact_mut(2) {
            let b = rng.next_u64();
            h[0] = (b >> 32) as u32;
            h[1] = b as u32;
        }
        for ((x, s), &h) in two.iter_mut().zip(scale).zip(halves.iter()) {
            *x = s * unit_f32(h >> 8);
        }
    }
    for e in eps.iter_mut() {
        *e = StandardNormal.sample(rng);
    }
    *outer = local;
}

/// `to.copy_from_slice(from)` for a token's few numbers, four at a time. A copy whose length is
/// only known at run time compiles to wasm's `memory.copy`, which cost V8 about 4 ns for a
/// token's 40 bytes: for the 11 short rows of every task, a tenth of a training step at K = 1.
#[inline(always)]
fn copy_short(to: &mut [f32], from: &[f32]) {
    let mut to4 = to.chunks_exact_mut(4);
    let mut from4 = from.chunks_exact(4);
    for (a, b) in (&mut to4).zip(&mut from4) {
        let b: &[f32; 4] = b.try_into().unwrap();
        a.copy_from_slice(b);
    }
    for (a, &b) in to4.into_remainder().iter_mut().zip(from4.remainder()) {
        *a = b;
    }
}

/// W·x, an f64 dot product added term by term from −0.0 (as Rust's `sum` starts).
#[inline]
fn clean_label(w: &[f32], x: &[f32]) -> f64 {
    let mut clean = -0.0f64;
    for (&wk, &xk) in w.iter().zip(x) {
        clean += wk as f64 * xk as f64;
    }
    clean
}

/// The label y = W·x + σ·ε from its clean part W·x, rounded to f32.
#[inline]
fn noisy_label(noise: f64, clean: f64, e: f32) -> f32 {
    (clean + noise * e as f64) as f32
}

/// The query targets of the `count` tasks that `Tasks::sample(dist, count, rng)` would draw (the
/// same bits), drawn one task at a time and not kept: what the zero predictor's loss needs,
/// without the memory (and time) of the tasks themselves.
pub fn query_targets(dist: TaskDist, count: usize, rng: &mut Rng) -> Vec<f32> {
    let (d, t) = (dist.d, dist.n + 1);
    let scale = dist.input_scales();
    let (mut w, mut xs, mut eps) = (vec![0.0; d], vec![0.0; t * d], vec![0.0; t]);
    let mut draws = [0u32; 64];
    (0..count)
        .map(|_| {
            draw_task(rng, (&scale, &mut draws), &mut w, &mut xs, &mut eps);
            noisy_label(dist.noise, clean_label(&w, &xs[(t - 1) * d..]), eps[t - 1])
        })
        .collect()
}

/// `count` tasks, each N+1 tokens of width d+1 (row-major, query last).
#[derive(Clone, Debug)]
pub struct Tasks {
    pub dist: TaskDist,
    pub count: usize,
    /// Teachers W, `count × d`.
    pub w: Vec<f32>,
    /// Inputs, `count × (N+1) × d` (query last).
    pub x: Vec<f32>,
    /// Label noise draws ε, `count × (N+1)` (drawn even when σ = 0, so σ changes no other number).
    pub eps: Vec<f32>,
    /// Labels y = W·x + σ·ε, `count × (N+1)`; the last one of a task is the query's target.
    pub y: Vec<f32>,
    /// Model input, `count × (N+1) × (d+1)`: (x_i, y_i) for context, (x_q, 0) for the query.
    pub tokens: Vec<f32>,
}

impl Tasks {
    pub fn sample(dist: TaskDist, count: usize, rng: &mut Rng) -> Tasks {
        let mut tasks = Tasks::zeroed(dist, count);
        tasks.resample(rng);
        tasks
    }

    /// `count` tasks of `dist`, every number 0 (to be drawn: `draw`).
    fn zeroed(dist: TaskDist, count: usize) -> Tasks {
        let (d, t) = (dist.d, dist.n + 1);
        Tasks {
            dist,
            count,
            w: vec![0.0; count * d],
            x: vec![0.0; count * t * d],
            eps: vec![0.0; count * t],
            y: vec![0.0; count * t],
            tokens: vec![0.0; count * t * (d + 1)],
        }
    }

    /// Room for `count` tasks of `dist`, none there yet (`grow_to`): nothing of it is touched,
    /// so the memory's first-touch cost comes a part at a time, as the tasks are drawn.
    fn reserved(dist: TaskDist, count: usize) -> Tasks {
        let (d, t) = (dist.d, dist.n + 1);
        Tasks {
            dist,
            count,
            w: Vec::with_capacity(count * d),
            x: Vec::with_capacity(count * t * d),
            eps: Vec::with_capacity(count * t),
            y: Vec::with_capacity(count * t),
            tokens: Vec::with_capacity(count * t * (d + 1)),
        }
    }

    /// Room for the first `tasks` tasks (zeros where there was none).
    fn grow_to(&mut self, tasks: usize) {
        let (d, t) = (self.dist.d, self.dist.n + 1);
        self.w.resize(tasks * d, 0.0);
        self.x.resize(tasks * t * d, 0.0);
        self.eps.resize(tasks * t, 0.0);
        self.y.resize(tasks * t, 0.0);
        self.tokens.resize(tasks * t * (d + 1), 0.0);
    }

    /// Draw fresh tasks in place (the training loop calls this every step; no allocation).
    pub fn resample(&mut self, rng: &mut Rng) {
        self.draw(0..self.count, rng);
    }

    /// Draw tasks `range` in place, in order, from `rng`.
    fn draw(&mut self, range: std::ops::Range<usize>, rng: &mut Rng) {
        let (d, t) = (self.dist.d, self.dist.n + 1);
        let scale = self.dist.input_scales();
        let mut draws = [0u32; 64];
        for task in range {
            draw_task(
                rng,
                (&scale, &mut draws),
                &mut self.w[task * d..(task + 1) * d],
                &mut self.x[task * t * d..(task + 1) * t * d],
                &mut self.eps[task * t..(task + 1) * t],
            );
            // While the task's numbers are still in the cache.
            self.refill_task(task);
        }
    }

    /// Makes the prompts label-blind (`labels = shuffled`): task k's context labels become those
    /// of task k + 1 (the last task takes the first's), in `y` and in the tokens. A rotation by
    /// one is a fixed derangement, so no prompt keeps its own labels, and needs no random draw:
    /// the same seed gives the same batches. The inputs, the teacher W and the query's target
    /// stay the task's own, so a prompt's labels are independent of its query's answer and
    /// in-context learning is impossible. Needs at least two tasks (the batch has 16 or more).
    pub fn shuffle_context_labels(&mut self) {
        let (d, t, count) = (self.dist.d, self.dist.n + 1, self.count);
        if count < 2 {
            return;
        }
        let n = t - 1;
        let first = self.y[..n].to_vec();
        for task in 0..count - 1 {
            self.y
                .copy_within((task + 1) * t..(task + 1) * t + n, task * t);
        }
        self.y[(count - 1) * t..(count - 1) * t + n].copy_from_slice(&first);
        for task in 0..count {
            for row in task * t..task * t + n {
                self.tokens[row * (d + 1) + d] = self.y[row];
            }
        }
    }

    /// Tasks `range` as a set of their own (copied).
    pub fn range(&self, range: std::ops::Range<usize>) -> Tasks {
        let (d, t) = (self.dist.d, self.dist.n + 1);
        let (a, b) = (range.start, range.end);
        Tasks {
            dist: self.dist,
            count: b - a,
            w: self.w[a * d..b * d].to_vec(),
            x: self.x[a * t * d..b * t * d].to_vec(),
            eps: self.eps[a * t..b * t].to_vec(),
            y: self.y[a * t..b * t].to_vec(),
            tokens: self.tokens[a * t * (d + 1)..b * t * (d + 1)].to_vec(),
        }
    }

    /// The same tasks (same W, same ε) with every input scaled by α: x ~ U(−α·r, α·r).
    pub fn scaled(&self, alpha: f64) -> Tasks {
        let mut s = self.clone();
        s.dist.x_range *= alpha;
        for x in &mut s.x {
            *x = (*x as f64 * alpha) as f32;
        }
        s.refill();
        s
    }

    /// Labels and tokens from the teachers, inputs and noise draws as they are now (after a
    /// change to any of them).
    pub fn refill(&mut self) {
        for task in 0..self.count {
            self.refill_task(task);
        }
    }

    /// Labels and tokens of task `task`.
    fn refill_task(&mut self, task: usize) {
        let (d, t) = (self.dist.d, self.dist.n + 1);
        let w = &self.w[task * d..(task + 1) * d];
        let xs = &self.x[task * t * d..(task + 1) * t * d];
        let ys = &mut self.y[task * t..(task + 1) * t];
        let eps = &self.eps[task * t..(task + 1) * t];
        // Each label is an f64 dot product added term by term (from −0.0, as Rust's `sum`
        // starts), four labels side by side: the same bits as one at a time, but the four
        // chains of adds no longer wait on each other.
        let mut quads = xs.chunks_exact(4 * d);
        for (q, (y4, e4)) in (&mut quads).zip(ys.chunks_exact_mut(4).zip(eps.chunks_exact(4))) {
            let mut clean = [-0.0f64; 4];
            let (r01, r23) = q.split_at(2 * d);
            let ((r0, r1), (r2, r3)) = (r01.split_at(d), r23.split_at(d));
            let inputs = r0.iter().zip(r1).zip(r2.iter().zip(r3));
            for (&wk, ((&x0, &x1), (&x2, &x3))) in w.iter().zip(inputs) {
                let wk = wk as f64;
                for (c, x) in clean.iter_mut().zip([x0, x1, x2, x3]) {
                    *c += wk * x as f64;
                }
            }
            for j in 0..4 {
                y4[j] = noisy_label(self.dist.noise, clean[j], e4[j]);
            }
        }
        let done = t - t % 4;
        for (i, x) in quads.remainder().chunks_exact(d).enumerate() {
            ys[done + i] = noisy_label(self.dist.noise, clean_label(w, x), eps[done + i]);
        }
        let tokens = &mut self.tokens[task * t * (d + 1)..(task + 1) * t * (d + 1)];
        for (i, (tok, x)) in tokens
            .chunks_exact_mut(d + 1)
            .zip(xs.chunks_exact(d))
            .enumerate()
        {
            copy_short(&mut tok[..d], x);
            // The query's label slot starts at 0: the model writes −ŷ there.
            tok[d] = if i == t - 1 { 0.0 } else { ys[i] };
        }
    }

    /// The tokens of task `k`, `(N+1) × (d+1)`.
    pub fn task_tokens(&self, k: usize) -> &[f32] {
        self.tokens_of(k..k + 1)
    }

    /// The tokens of tasks `range`, one task after the other.
    pub fn tokens_of(&self, range: std::ops::Range<usize>) -> &[f32] {
        let size = (self.dist.n + 1) * (self.dist.d + 1);
        &self.tokens[range.start * size..range.end * size]
    }

    /// The query's target y_q of task `k`.
    pub fn target(&self, k: usize) -> f32 {
        let t = self.dist.n + 1;
        self.y[k * t + t - 1]
    }

    /// Context inputs of task `k` (`N × d`) and the query input (`d`).
    pub fn inputs(&self, k: usize) -> (&[f32], &[f32]) {
        let (d, t) = (self.dist.d, self.dist.n + 1);
        let all = &self.x[k * t * d..(k + 1) * t * d];
        all.split_at((t - 1) * d)
    }

    /// Context labels of task `k` (`N`).
    pub fn labels(&self, k: usize) -> &[f32] {
        let t = self.dist.n + 1;
        &self.y[k * t..k * t + t - 1]
    }
}

/// Tasks drawn from a stream only when first asked for, or a part at a time (`draw_some`): the
/// evaluation tasks, whose zero predictor's loss the first training step needs (divergence is
/// measured against it) but which take long to draw and lay out at the largest sizes (8000 tasks
/// at d = 32, N = 50: 0.1 GB, 0.1 s). `query_targets` gives that loss's targets without them.
#[derive(Debug)]
pub struct LazyTasks {
    pub dist: TaskDist,
    pub count: usize,
    /// The stream as it was before the first task: every draw starts from a copy.
    rng: Rng,
    /// Tasks being drawn: the first `drawn` of them and the stream after those.
    partial: RefCell<Option<(Tasks, Rng, usize)>>,
    tasks: OnceCell<Tasks>,
}

impl LazyTasks {
    pub fn new(dist: TaskDist, count: usize, rng: Rng) -> LazyTasks {
        LazyTasks {
            dist,
            count,
            rng,
            partial: RefCell::new(None),
            tasks: OnceCell::new(),
        }
    }

    /// Draws up to `max` more tasks, in order, from where the last call stopped; true once all
    /// of them are drawn. The same bits as drawing them at once (`Tasks::sample`).
    pub fn draw_some(&self, max: usize) -> bool {
        if self.tasks.get().is_some() {
            return true;
        }
        let mut partial = self.partial.borrow_mut();
        let (tasks, rng, drawn) = partial
            .get_or_insert_with(|| (Tasks::reserved(self.dist, self.count), self.rng.clone(), 0));
        let end = drawn.saturating_add(max).min(self.count);
        tasks.grow_to(end);
        tasks.draw(*drawn..end, rng);
        *drawn = end;
        if end < self.count {
            return false;
        }
        let (tasks, _, _) = partial.take().expect("tasks being drawn");
        self.tasks.set(tasks).expect("drawn once");
        true
    }

    /// The tasks (the rest of them drawn now if they were not).
    pub fn get(&self) -> &Tasks {
        self.draw_some(usize::MAX);
        self.tasks.get().expect("all drawn")
    }

    /// The tasks, if all of them have been drawn.
    pub fn drawn(&self) -> Option<&Tasks> {
        self.tasks.get()
    }

    /// Their query targets (`query_targets`: the same bits as `get()`'s), drawn without them
    /// when they are not there yet.
    pub fn query_targets(&self) -> Vec<f32> {
        match self.drawn() {
            Some(tasks) => (0..tasks.count).map(|k| tasks.target(k)).collect(),
            None => query_targets(self.dist, self.count, &mut self.rng.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};

    #[test]
    fn shuffled_context_labels_are_the_next_tasks_and_the_queries_stay() {
        let dist = TaskDist {
            d: 3,
            n: 4,
            x_range: 0.5,
            noise: 0.1,
            aniso: 1.0,
        };
        let paired = Tasks::sample(dist, 5, &mut stream(9, Stream::Train));
        let mut blind = paired.clone();
        blind.shuffle_context_labels();
        let (d, t) = (3, 5);
        for k in 0..5 {
            let next = (k + 1) % 5;
            assert_eq!(blind.labels(k), paired.labels(next), "task {k}");
            assert_ne!(
                blind.labels(k),
                paired.labels(k),
                "task {k} kept its labels"
            );
            assert_eq!(blind.target(k), paired.target(k));
            assert_eq!(blind.inputs(k), paired.inputs(k));
            for i in 0..t {
                let tok = &blind.task_tokens(k)[i * (d + 1)..(i + 1) * (d + 1)];
                let want = if i + 1 < t {
                    paired.labels(next)[i]
                } else {
                    0.0
                };
                assert_eq!(tok[d], want, "task {k}, token {i}");
                assert_eq!(
                    &tok[..d],
                    &paired.task_tokens(k)[i * (d + 1)..i * (d + 1) + d]
                );
            }
        }
        assert_eq!(blind.w, paired.w);
    }
}
