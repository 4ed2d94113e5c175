//! The references computed a slice at a time while training runs (the page's way: training
//! starts at once) give the same report as computed up front (the CLI's way), byte for byte:
//! every baseline, the untrained row, the per-layer read-out, the OOD table and the history,
//! whose early evaluations are measured when their references arrive. Until then the page's
//! snapshots hold null, never NaN, and name the stages still to come.

mod common;

use common::{config, train};
use icl_lab::config::Config;
use icl_lab::references::Stage;
use icl_lab::report;
use icl_lab::run::Status;
use icl_lab::staged::Clock;
use icl_lab::train::Trainer;
use std::cell::Cell;
use std::rc::Rc;

/// A clock that moves one unit per reading, looked at every few hundred multiply-adds: a
/// budget of `b` lets a computation pass about `b` checkpoints, so the slices fall at many
/// different places (the page's are hundreds of times longer).
fn ticking() -> Rc<Clock> {
    let t = Cell::new(0.0);
    Clock::with_slices(
        move || {
            t.set(t.get() + 1.0);
            t.get()
        },
        500,
    )
}

fn report_json(t: &mut Trainer) -> String {
    serde_json::to_string(&report::report(t, Vec::new(), 0.0)).unwrap()
}

/// The CLI's way: every reference first, then training to the end.
fn up_front(query: &str) -> String {
    report_json(&mut train(query))
}

/// The page's way: training chunks of `chunk` steps with a slice of `budget` clock units of
/// the references after each; `on_slice` sees the trainer after every slice.
fn staged(
    cfg: Config,
    chunk: usize,
    budget: f64,
    mut on_slice: impl FnMut(&mut Trainer),
) -> Trainer {
    let mut t = Trainer::new_staged(cfg, ticking());
    loop {
        if t.can_train() {
            t.advance(chunk);
        }
        let done = t.advance_references(budget);
        on_slice(&mut t);
        if done && t.run.status != Status::Training {
            return t;
        }
    }
}

#[test]
fn staged_references_give_the_up_front_report() {
    for (q, chunk, budget) in [
        ("d=4&n=6&eval_tasks=300&batch=64&eval_every=5&steps=60", 3, 2.0),
        ("d=3&n=5&layers=3&eval_tasks=700&batch=64&eval_every=5&steps=40", 1, 3.0),
        ("d=3&n=4&layers=2&noise=0.5&aniso=2&gd_eta=0.7&eval_tasks=256&batch=32&steps=30&eval_every=3&alpha=0.35", 2, 1.0),
        ("d=4&n=5&layers=4&recurrent=false&noise=0.3&eval_tasks=600&batch=64&eval_every=4&steps=40", 4, 5.0),
        ("d=3&n=5&init=construction&eval_tasks=300&batch=64&eval_every=5&steps=20", 5, 2.0),
        ("d=3&n=5&layers=3&recurrent=false&init=construction&init_noise=0.01&eval_tasks=300&batch=32&eval_every=5&steps=20", 5, 4.0),
        ("d=3&n=5&attn=softmax&heads=2&eval_tasks=256&batch=32&eval_every=5&steps=20", 5, 2.0),
    ] {
        let want = up_front(q);
        let (mut slices, mut trained_early, mut seen_null) = (0, false, false);
        let mut t = staged(config(q), chunk, budget, |t| {
            slices += 1;
            if t.compare.complete() {
                return;
            }
            trained_early |= t.run.step > 0;
            let snap = serde_json::to_string(&report::snapshot(t, 0, 0, (true, true))).unwrap();
            assert!(!snap.contains("NaN"), "{q}: {snap}");
            assert!(snap.contains("\"pending\":["), "{q}");
            seen_null |= snap.contains("\"gdpp_loss\":null");
        });
        assert!(slices > 10, "{q}: {slices} slices");
        assert!(seen_null, "{q}");
        // Training did not wait for the references (a start from the construction waits only
        // for the learner it is built from).
        assert!(trained_early, "{q}");
        assert_eq!(report_json(&mut t), want, "{q}");
    }
}

#[test]
fn a_change_of_gds_step_size_while_it_is_computed_is_the_run_with_that_step_size() {
    // Set before GD arrives: GD, its per-layer read-outs, the OOD column and the alignments of
    // every evaluation so far use the new η.
    let q = "d=3&n=5&layers=2&eval_tasks=400&batch=64&eval_every=5&steps=30";
    let mut asked = false;
    let mut t = staged(config(q), 2, 2.0, |t| {
        if !asked {
            asked = true;
            assert!(!t.compare.ready(Stage::Gd));
            t.set_gd_eta(Some(2.5));
        }
    });
    assert_eq!(report_json(&mut t), up_front(&format!("{q}&gd_eta=2.5")));

    // Back to auto after GD arrived at the set η but before η* did: GD waits for η*.
    let mut asked = false;
    let mut t = staged(config(&format!("{q}&gd_eta=2.5")), 2, 2.0, |t| {
        if !asked && t.compare.ready(Stage::Gd) {
            asked = true;
            assert!(!t.compare.ready(Stage::EtaStar));
            t.set_gd_eta(None);
            assert!(!t.compare.ready(Stage::Gd));
            assert!(t.compare.baselines.gd_eta.is_nan());
        }
    });
    assert!(asked);
    assert_eq!(report_json(&mut t), up_front(q));
}

/// What the page's status line says while references are computed: the stage under way is
/// always one still to come, and the share of it done (where the engine counts its work) only
/// grows, from 0 to at most 1, slice after slice. Every counted stage is seen part-way.
#[test]
fn the_stage_under_way_is_one_still_to_come_and_its_share_done_only_grows() {
    for (q, counted) in [
        (
            "d=3&n=5&layers=3&noise=0.5&eval_tasks=700&batch=64&eval_every=5&steps=40",
            &[Stage::Untrained, Stage::EtaStar, Stage::Ols, Stage::Gdpp, Stage::Ood][..],
        ),
        (
            "tokens=classic&layers=2&recurrent=false&attn=softmax&d=2&n=3&eval_tasks=300&batch=32&eval_every=5&steps=10",
            &[Stage::Untrained, Stage::Ols, Stage::GdLayers, Stage::Ood][..],
        ),
    ] {
        let mut last: Option<(Stage, f64)> = None;
        let mut part_way = Vec::new();
        staged(config(q), 1, 2.0, |t| {
            let Some(u) = t.compare.underway() else {
                return;
            };
            assert!(t.compare.pending.contains(&u.stage), "{q}: {:?}", u.stage);
            assert!(u.done.is_nan() || (0.0..=1.0).contains(&u.done), "{q}: {u:?}");
            if let Some((stage, done)) = last {
                if stage == u.stage && !done.is_nan() {
                    assert!(u.done >= done, "{q}: {stage:?} went back from {done} to {}", u.done);
                }
            }
            if u.done > 0.0 && u.done < 1.0 && !part_way.contains(&u.stage) {
                part_way.push(u.stage);
            }
            last = Some((u.stage, u.done));
            // In the page's snapshot: the stage's name and a number, or null where not counted.
            let snap = serde_json::to_string(&report::snapshot(t, 0, 0, (false, false))).unwrap();
            assert!(snap.contains("\"underway\":{\"stage\":"), "{q}");
        });
        for stage in counted {
            assert!(part_way.contains(stage), "{q}: {stage:?} never seen part-way ({part_way:?})");
        }
    }
}

/// The line search for η* evaluates a fixed number of losses (`ETA_SEARCH_EVALS`, which its
/// progress counts against), and the GD++ search reports its iterations up to exactly all.
#[test]
fn the_searches_do_the_work_their_progress_counts() {
    use icl_lab::baselines::{eta_search, gdpp_search, subset, ETA_SEARCH_EVALS};
    use icl_lab::staged::block_on;
    let mut calls = 0;
    block_on(eta_search(async |eta: f64| {
        calls += 1;
        (eta.ln() - 0.3).powi(2)
    }));
    assert_eq!(calls, ETA_SEARCH_EVALS);
    let t = train("d=3&n=5&eval_tasks=256&batch=16&steps=1");
    let sub = subset(t.compare.eval_tasks());
    let mut seen = Vec::new();
    block_on(gdpp_search(
        &sub,
        0.5,
        async |eta: f64, gamma: f64| (eta.ln() + 0.2).powi(2) + (gamma - 0.1).powi(2),
        |f| seen.push(f),
    ));
    assert!(seen.windows(2).all(|w| w[1] > w[0]), "{seen:?}");
    assert_eq!(seen.last(), Some(&1.0));
}

/// The first training step waits for no evaluation task: a fresh page run (here the issue's
/// heavy link but for its evaluation set's size) takes it, and sends a full snapshot before and
/// after it, with its evaluation tasks still undrawn; the references draw them when they start,
/// a part per slice.
/// The zero predictor's loss (the divergence check's scale) is there from the start, the same
/// number as the one computed from the drawn tasks.
#[test]
fn the_first_step_and_its_snapshots_do_not_wait_for_the_evaluation_tasks() {
    let q = "d=32&n=50&layers=2&heads=2&batch=64&steps=10&x_range=0.2&noise=0.4&aniso=1.2&eval_tasks=700&eval_every=5&mlp=16";
    let mut t = Trainer::new_staged(config(q), ticking());
    let zero = t.compare.baselines.zero_loss;
    assert!(zero.is_finite() && zero > 0.0);
    serde_json::to_string(&report::snapshot(&t, 0, 0, (true, true))).unwrap();
    assert_eq!(t.advance(1), 1);
    let snap = serde_json::to_string(&report::snapshot(&t, 0, 0, (true, true))).unwrap();
    assert!(snap.contains("\"step\":1,"), "{snap}");
    assert!(
        t.compare.eval_drawn().is_none(),
        "drawn before the references"
    );
    // The references draw them first, a part per slice (the worker stays responsive).
    let mut slices = 0;
    while t.compare.eval_drawn().is_none() {
        assert!(
            !t.compare.ready(Stage::Gd1),
            "a reference came before its tasks"
        );
        t.advance_references(1.0);
        slices += 1;
    }
    assert!(slices > 1, "drawn in one slice");
    let drawn = icl_lab::baselines::zero_loss(t.compare.eval_tasks());
    assert_eq!(zero.to_bits(), drawn.to_bits());
}
