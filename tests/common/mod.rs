//! Helpers shared by the test files that train real runs (tests/paper.rs, tests/softmax.rs).

use icl_lab::config::Config;
use icl_lab::run::Status;
use icl_lab::train::Trainer;

/// The settings of `query`, which must need no correction.
pub fn config(query: &str) -> Config {
    let (cfg, notices) = Config::from_query(query);
    assert!(notices.is_empty(), "{notices:?}");
    cfg
}

/// A run of `query` trained to the end of its budget (it must not diverge).
pub fn train(query: &str) -> Trainer {
    let mut t = Trainer::new(config(query));
    while t.run.status == Status::Training {
        t.advance(500);
    }
    assert_eq!(t.run.status, Status::Done);
    t
}
