//! Same seed → bit-identical history; a different seed → a different one; and the evaluation
//! tasks do not depend on the training budget or the batch size (separate seeded streams).

use icl_lab::config::Config;
use icl_lab::run::{History, Status};
use icl_lab::train::Trainer;

fn run(query: &str, steps: usize) -> Trainer {
    let (cfg, notices) = Config::from_query(query);
    assert!(notices.is_empty(), "{notices:?}");
    let mut t = Trainer::new(cfg);
    t.advance(steps);
    t
}

fn bits(h: &History) -> (Vec<u32>, Vec<u64>, Vec<u64>) {
    (
        h.train_loss.iter().map(|v| v.to_bits()).collect(),
        h.eval_loss.iter().map(|v| v.to_bits()).collect(),
        h.model_cos.iter().map(|v| v.to_bits()).collect(),
    )
}

#[test]
fn same_seed_same_history_different_seed_different_history() {
    for q in [
        "d=5&n=8&batch=256&eval_every=5",
        "layers=2&heads=2&attn=softmax&batch=128&eval_every=5&d=4&n=6",
        "layers=2&recurrent=false&batch=128&d=3&n=5",
        "d=5&n=8&batch=256&eval_every=5&labels=shuffled",
    ] {
        let a = run(&format!("{q}&seed=42"), 40);
        let b = run(&format!("{q}&seed=42"), 40);
        assert_eq!(bits(&a.run.history), bits(&b.run.history), "{q}");
        assert_eq!(a.run.model.params, b.run.model.params);
        let c = run(&format!("{q}&seed=43"), 40);
        assert_ne!(bits(&a.run.history).0, bits(&c.run.history).0, "{q}");
    }
}

#[test]
fn shuffled_labels_change_the_training_batches_only() {
    let paired = run("d=5&n=8&batch=64", 10);
    let blind = run("d=5&n=8&batch=64&labels=shuffled", 10);
    // Same evaluation tasks, baselines and start; other training prompts, so another history.
    assert_eq!(
        paired.compare.eval_tasks().tokens,
        blind.compare.eval_tasks().tokens
    );
    assert_eq!(paired.run.untrained.params, blind.run.untrained.params);
    assert_eq!(
        paired.compare.baselines.gd_loss.to_bits(),
        blind.compare.baselines.gd_loss.to_bits()
    );
    assert_ne!(bits(&paired.run.history).0, bits(&blind.run.history).0);
}

#[test]
fn chunking_does_not_change_the_run() {
    let (cfg, _) = Config::from_query("d=4&n=6&batch=64&eval_every=7&steps=60");
    let mut a = Trainer::new(cfg.clone());
    while a.run.status == Status::Training {
        a.advance(60);
    }
    let mut b = Trainer::new(cfg);
    while b.run.status == Status::Training {
        b.advance(7);
    }
    assert_eq!(bits(&a.run.history), bits(&b.run.history));
}

#[test]
fn evaluation_tasks_do_not_depend_on_budget_or_batch() {
    let a = run("steps=100&batch=64", 0);
    let b = run("steps=5000&batch=512", 0);
    assert_eq!(a.compare.eval_tasks().tokens, b.compare.eval_tasks().tokens);
    assert_eq!(a.run.untrained.params, b.run.untrained.params);
    assert_eq!(
        a.compare.baselines.gd_loss.to_bits(),
        b.compare.baselines.gd_loss.to_bits()
    );
}
