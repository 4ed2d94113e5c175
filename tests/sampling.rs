//! The task sampler (`Tasks::resample`, `Tasks::refill`) is written for speed: the inputs' random
//! bits are drawn first and converted in a second pass, and four labels are summed side by side.
//! Every run's numbers hang on its bits, so it is checked here against the sampler written
//! plainly, one number after the other, as docs/science.md describes it: same generator, same
//! order of draws, same rounding. Any difference in any bit fails.

use icl_lab::baselines::{zero_loss, zero_loss_of};
use icl_lab::rng::{stream, Rng, Stream};
use icl_lab::task::{query_targets, LazyTasks, TaskDist, Tasks};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

/// The plain sampler: per task, the teacher W (d normals), the inputs (two 24-bit uniforms per
/// 64 random bits, high half first, the pairs running across token boundaries), the noise draws
/// (N + 1 normals); then each label as one f64 dot product, added term by term.
fn plain(dist: TaskDist, count: usize, rng: &mut Rng) -> Tasks {
    let (d, t) = (dist.d, dist.n + 1);
    let scale: Vec<f32> = (0..d)
        .map(|k| (dist.x_range * dist.coord_scale(k)) as f32)
        .collect();
    let unit = |v: u32| v as f32 * (2.0 / (1u32 << 24) as f32) - 1.0;
    let mut w = vec![0.0f32; count * d];
    let mut x = vec![0.0f32; count * t * d];
    let mut eps = vec![0.0f32; count * t];
    for task in 0..count {
        for wk in &mut w[task * d..(task + 1) * d] {
            *wk = StandardNormal.sample(rng);
        }
        let mut bits = 0u64;
        for j in 0..t * d {
            let u = if j % 2 == 0 {
                bits = rng.next_u64();
                (bits >> 40) as u32
            } else {
                ((bits >> 8) & 0xFF_FFFF) as u32
            };
            x[task * t * d + j] = scale[j % d] * unit(u);
        }
        for e in &mut eps[task * t..(task + 1) * t] {
            *e = StandardNormal.sample(rng);
        }
    }
    let mut y = vec![0.0f32; count * t];
    let mut tokens = vec![0.0f32; count * t * (d + 1)];
    for task in 0..count {
        for i in 0..t {
            let row = task * t + i;
            let mut clean = -0.0f64; // where Rust's f64 `sum` starts
            for k in 0..d {
                clean += w[task * d + k] as f64 * x[row * d + k] as f64;
            }
            y[row] = (clean + dist.noise * eps[row] as f64) as f32;
            tokens[row * (d + 1)..row * (d + 1) + d].copy_from_slice(&x[row * d..(row + 1) * d]);
            tokens[row * (d + 1) + d] = if i == t - 1 { 0.0 } else { y[row] };
        }
    }
    Tasks {
        dist,
        count,
        w,
        x,
        eps,
        y,
        tokens,
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same(fast: &Tasks, slow: &Tasks, what: &str) {
    assert_eq!(bits(&fast.w), bits(&slow.w), "{what}: W");
    assert_eq!(bits(&fast.x), bits(&slow.x), "{what}: x");
    assert_eq!(bits(&fast.eps), bits(&slow.eps), "{what}: ε");
    assert_eq!(bits(&fast.y), bits(&slow.y), "{what}: y");
    assert_eq!(bits(&fast.tokens), bits(&slow.tokens), "{what}: tokens");
}

/// The distributions checked: odd and even token counts and widths (an odd t·d leaves a last
/// input with a draw of its own), one to many rows, noise, anisotropy, the largest sizes; each
/// with its description for the messages.
fn dists() -> impl Iterator<Item = (TaskDist, String)> {
    [
        (10, 10, 0.5, 0.0, 1.0),
        (3, 4, 0.5, 0.1, 1.0),
        (5, 6, 1.0, 0.0, 1.0),
        (7, 2, 0.2, 0.4, 3.0),
        (1, 1, 0.5, 0.0, 1.0),
        (1, 100, 0.5, 1.0, 1.0),
        (32, 50, 0.2, 0.4, 1.2),
        (32, 101, 0.5, 0.0, 10.0),
    ]
    .into_iter()
    .map(|(d, n, x_range, noise, aniso)| {
        let dist = TaskDist {
            d,
            n,
            x_range,
            noise,
            aniso,
        };
        (dist, format!("d={d} n={n} r={x_range} σ={noise} κ={aniso}"))
    })
}

#[test]
fn the_fast_sampler_gives_the_plain_samplers_bits() {
    for (dist, what) in dists() {
        for seed in [1, 7] {
            let slow = plain(dist, 37, &mut stream(seed, Stream::Eval));
            let mut rng = stream(seed, Stream::Eval);
            let mut fast = Tasks::sample(dist, 37, &mut rng);
            assert_same(&fast, &slow, &what);
            // In place, from where the stream stands now: the next 37 tasks.
            let mut again = stream(seed, Stream::Eval);
            plain(dist, 37, &mut again);
            let slow2 = plain(dist, 37, &mut again);
            fast.resample(&mut rng);
            assert_same(&fast, &slow2, &format!("{what}, resampled"));
            assert_eq!(
                rng.next_u64(),
                again.next_u64(),
                "{what}: the stream moved on differently"
            );
        }
    }
}

/// The evaluation tasks are drawn only when first asked for, or a part at a time (`LazyTasks`);
/// the first training step needs only their zero predictor's loss, which `query_targets` gives
/// from the same draws without keeping them. Same bits as drawing the tasks at once, for the
/// same distributions as above.
#[test]
fn query_targets_alone_are_the_sampled_tasks_targets() {
    for (dist, what) in dists() {
        let tasks = Tasks::sample(dist, 41, &mut stream(3, Stream::Eval));
        let targets: Vec<f32> = (0..41).map(|k| tasks.target(k)).collect();
        let alone = query_targets(dist, 41, &mut stream(3, Stream::Eval));
        assert_eq!(bits(&alone), bits(&targets), "{what}");
        assert_eq!(
            zero_loss_of(&alone).to_bits(),
            zero_loss(&tasks).to_bits(),
            "{what}: zero loss"
        );
        let lazy = LazyTasks::new(dist, 41, stream(3, Stream::Eval));
        assert_eq!(bits(&lazy.query_targets()), bits(&targets), "{what}: lazy");
        assert!(lazy.drawn().is_none(), "{what}: drawn for the targets");
        assert_same(lazy.get(), &tasks, &what);
        assert_eq!(bits(&lazy.query_targets()), bits(&targets), "{what}: drawn");
        // A part at a time (the references' slices), and the rest at once (a reader before them).
        let pieces = LazyTasks::new(dist, 41, stream(3, Stream::Eval));
        let mut sizes = [1, 5, 2, 17].into_iter().cycle();
        while !pieces.draw_some(sizes.next().unwrap()) {
            assert!(
                pieces.drawn().is_none(),
                "{what}: drawn before the last part"
            );
        }
        assert_same(
            pieces.drawn().unwrap(),
            &tasks,
            &format!("{what}, in parts"),
        );
        let rest = LazyTasks::new(dist, 41, stream(3, Stream::Eval));
        assert!(!rest.draw_some(7));
        assert_same(rest.get(), &tasks, &format!("{what}, the rest at once"));
    }
}
