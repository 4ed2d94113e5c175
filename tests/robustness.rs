//! Hostile or extreme settings never panic: every corner of the schema trains a few steps, and a
//! diverging learning rate ends in status `Diverged` with no NaN reported as a number.

use icl_lab::config::Config;
use icl_lab::report;
use icl_lab::run::Status;
use icl_lab::train::Trainer;

#[test]
fn corners_of_the_schema_train_without_panic() {
    for q in [
        "d=1&n=1&batch=16&eval_tasks=256",
        "d=32&n=100&batch=16&eval_tasks=256&layers=2",
        "d=2&n=3&layers=8&recurrent=false&heads=4&attn=softmax&batch=16&eval_tasks=256",
        "d=3&n=4&layers=5&query_in_keys=true&batch=16&eval_tasks=256&x_range=4&noise=2",
        "d=3&n=2&batch=16&eval_tasks=256&gd_eta=100&clip=1e-6&lr=0.1",
        "d=2&n=2&batch=16&eval_tasks=256&x_range=0.05&alpha=3",
    ] {
        let (cfg, notices) = Config::from_query(q);
        assert!(notices.is_empty(), "{q}: {notices:?}");
        let mut t = Trainer::new(cfg);
        t.advance(5);
        let mut t2 = t;
        let snap = serde_json::to_string(&report::snapshot(&t2, 0, 0, (true, true))).unwrap();
        assert!(!snap.contains("NaN") && !snap.contains("inf"), "{q}");
        let rep = report::report(&mut t2, vec![], 0.0);
        serde_json::to_string(&rep).unwrap();
    }
}

#[test]
fn hostile_queries_are_corrected_and_still_train() {
    for q in [
        "d=NaN&n=1e9&lr=<script>alert(1)</script>&bogus=1",
        "d=-inf&layers=1e308&heads=abc&attn=relu&steps=-5",
        "%ZZ=%00&&&=&seed=-1",
    ] {
        let (cfg, notices) = Config::from_query(q);
        assert!(!notices.is_empty(), "{q}");
        let mut cfg = cfg;
        cfg.batch = 16;
        cfg.eval_tasks = 256;
        let mut t = Trainer::new(cfg);
        t.advance(3);
        assert!(t.run.step > 0, "{q}");
    }
}

#[test]
fn a_huge_learning_rate_diverges_cleanly() {
    let (cfg, _) = Config::from_query(
        "lr=0.1&clip=1000&batch=64&eval_tasks=256&steps=3000&layers=3&x_range=4",
    );
    let mut t = Trainer::new(cfg);
    while t.run.status == Status::Training {
        t.advance(200);
    }
    assert_eq!(t.run.status, Status::Diverged, "step {}", t.run.step);
    let snap = serde_json::to_string(&report::snapshot(&t, 0, 0, (true, true))).unwrap();
    assert!(!snap.contains("NaN"));
}
