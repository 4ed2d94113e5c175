//! All cores, same numbers (shard.rs): a training step's batch is cut into fixed shards, each
//! drawn from its own stream, and their gradients are added in shard order. Workers that each
//! hold their own copy of the model and compute any shards give the run of one, bit for bit.

use icl_lab::config::Config;
use icl_lab::link;
use icl_lab::run::{self, Status};
use icl_lab::shard::{self, ShardGrad, Sharder};
use icl_lab::train::Trainer;

fn config(query: &str) -> Config {
    let (cfg, notices) = Config::from_query(query);
    assert!(notices.is_empty(), "{notices:?}");
    cfg
}

/// Trains `query` to the end with the shards of every step computed by `workers` separate
/// sharders (as the page's pool workers do: own model copy, own workspace), then returns the
/// trainer.
fn train_pooled(query: &str, workers: usize) -> Trainer {
    let cfg = config(query);
    let mut t = Trainer::new(cfg.clone());
    let mut pool: Vec<(icl_lab::model::Model, Sharder)> = (0..workers)
        .map(|_| {
            let m = run::initial_model(&cfg);
            let s = Sharder::new(&cfg, &m);
            (m, s)
        })
        .collect();
    let count = t.run.shard_count();
    while t.run.status == Status::Training {
        let mut shards: Vec<ShardGrad> = (0..count)
            .map(|_| ShardGrad {
                loss: 0.0,
                grad: Vec::new(),
            })
            .collect();
        // Worker w computes shards w, w + workers, …: any split gives the same shards.
        for (w, (model, sharder)) in pool.iter_mut().enumerate() {
            model.params.copy_from_slice(&t.run.model.params);
            for i in (w..count).step_by(workers) {
                sharder.compute(model, t.run.step, i, &mut shards[i]);
            }
        }
        // Through the flat form the pool's messages use.
        let mut flat = Vec::new();
        shards.iter().for_each(|s| shard::flatten(s, &mut flat));
        let shards = shard::unflatten(&flat, t.run.model.params.len()).unwrap();
        assert!(t.advance_with(&shards));
    }
    t
}

fn train_alone(query: &str) -> Trainer {
    let mut t = Trainer::new(config(query));
    while t.run.status == Status::Training {
        t.advance(100);
    }
    t
}

#[test]
fn any_number_of_workers_gives_the_same_bits() {
    // A batch that is not a multiple of the shard size (a smaller last shard), two layers.
    for query in [
        "d=5&n=8&seed=7&steps=120&batch=1000&eval_every=10",
        "layers=2&steps=40&batch=300&eval_tasks=512&seed=3",
        "attn=softmax&heads=2&steps=30&batch=256&eval_tasks=256",
    ] {
        let alone = train_alone(query);
        for workers in [1, 2, 3, 4] {
            let pooled = train_pooled(query, workers);
            let (a, b) = (&alone.run.history, &pooled.run.history);
            assert_eq!(a.train_loss, b.train_loss, "{query}, {workers} workers");
            assert_eq!(a.eval_loss, b.eval_loss, "{query}, {workers} workers");
            assert_eq!(alone.run.model.params, pooled.run.model.params);
        }
    }
}

#[test]
fn shards_cover_the_batch() {
    for batch in [16, 100, 128, 129, 143, 144, 500, 2048, 8192] {
        let total: usize = (0..shard::count(batch))
            .map(|i| shard::size(batch, i))
            .sum();
        assert_eq!(total, batch);
        assert!((0..shard::count(batch)).all(|i| shard::size(batch, i) >= shard::MIN_SHARD_TASKS));
    }
}

#[test]
fn shards_differ_from_each_other_and_from_step_to_step() {
    let cfg = config("d=5&n=8&batch=512");
    let model = run::initial_model(&cfg);
    let mut s = Sharder::new(&cfg, &model);
    let mut out = |step, i| {
        let mut g = ShardGrad {
            loss: 0.0,
            grad: Vec::new(),
        };
        s.compute(&model, step, i, &mut g);
        g.loss
    };
    let (a, b, c, again) = (out(0, 0), out(0, 1), out(1, 0), out(0, 0));
    assert_eq!(a, again, "a shard is a function of (seed, step, index)");
    assert!(a != b && a != c && b != c, "{a} {b} {c}");
}

#[test]
fn the_link_keeps_a_valid_worker_count_and_reports_a_bad_one() {
    let (_, view, notices) = link::parse("d=5&workers=3");
    assert_eq!(view.workers, Some(3));
    assert!(notices.is_empty());
    let (cfg, view, _) = link::parse("workers=auto");
    assert_eq!(view.workers, None);
    assert_eq!(link::to_query(&cfg, &view), "");
    for bad in ["0", "17", "lots", "-1", "2.5", ""] {
        let (_, view, notices) = link::parse(&format!("workers={bad}"));
        assert_eq!(view.workers, None, "{bad}");
        assert_eq!(notices.len(), 1, "{bad}: {notices:?}");
        assert_eq!(notices[0].key, "workers");
    }
}
