//! A link = settings + view: the `prompt` key is validated by the engine against the run's d and
//! N; other unknown keys are still reported; bad prompts are dropped with a notice.

use icl_lab::link::{parse, to_query, View};

#[test]
fn unknown_keys_are_still_reported() {
    let (cfg, view, notices) = parse("d=1&n=5&colour=red");
    assert_eq!((cfg.d, cfg.n), (1, 5));
    assert_eq!(view, View::default());
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].message.contains("colour"), "{notices:?}");
}

#[test]
fn a_valid_prompt_is_kept_canonically() {
    let (cfg, view, notices) = parse("d=1&n=5&prompt=0.1,0.2;-0.30,-0.6;0.25,0.5|0.4");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(
        view.prompt.as_deref(),
        Some("0.1,0.2;-0.3,-0.6;0.25,0.5|0.4")
    );
    let q = to_query(&cfg, &view);
    assert_eq!(q, "d=1&n=5&prompt=0.1,0.2;-0.3,-0.6;0.25,0.5|0.4");
    // The canonical link reads back to itself.
    let (cfg2, view2, notices2) = parse(&q);
    assert!(notices2.is_empty());
    assert_eq!(to_query(&cfg2, &view2), q);
    // Percent-encoded '|' and ';' (as some browsers write them) read the same.
    let (_, view3, _) = parse("d=1&n=5&prompt=0.1%2C0.2%3B-0.3,-0.6;0.25,0.5%7C0.4");
    assert_eq!(view3.prompt, view.prompt);
    // No prompt: the settings' query alone.
    assert_eq!(to_query(&cfg, &View::default()), "d=1&n=5");
}

#[test]
fn hostile_prompts_are_dropped_with_a_notice() {
    let long = "1,".repeat(5000) + "1|1";
    for bad in [
        "<script>alert(1)</script>",
        "1,NaN|1",
        "1,1e308|1",
        "1,2|1,2",     // the query has d + 1 numbers at d = 1
        "1,2,3|1",     // an example with d + 2 numbers
        "|1",          // no examples
        "1,2",         // no query
        long.as_str(), // far too long
        "%E2%80%AE1,2|1",
    ] {
        let (cfg, view, notices) = parse(&format!("d=1&n=5&steps=50&prompt={bad}"));
        assert_eq!(
            (cfg.d, cfg.n, cfg.steps),
            (1, 5, 50),
            "{bad}: the settings still apply"
        );
        assert_eq!(view.prompt, None, "{bad}");
        assert_eq!(notices.len(), 1, "{bad}: {notices:?}");
        assert_eq!(notices[0].key, "prompt");
        assert!(notices[0]
            .message
            .starts_with("The prompt in the link was not used"));
        assert!(!notices[0].message.contains('<') || bad.starts_with('<'));
        assert!(
            notices[0].message.chars().count() < 300,
            "{}",
            notices[0].message
        );
    }
    // Too many examples for N = 5 (at most max(2N, 100) = 100).
    let many = vec!["0.1,0.1"; 101].join(";") + "|0.2";
    let (_, view, notices) = parse(&format!("d=1&n=5&prompt={many}"));
    assert_eq!(view.prompt, None);
    assert_eq!(notices.len(), 1);
}

#[test]
fn a_repeated_prompt_keeps_the_last_and_says_so() {
    let (_, view, notices) = parse("d=1&prompt=1,1|1&prompt=2,2|2");
    assert_eq!(view.prompt.as_deref(), Some("2,2|2"));
    assert_eq!(notices.len(), 1);
}

#[test]
fn present_is_a_validated_view_key() {
    let (cfg, view, notices) = parse("layers=2&present=true");
    assert!(notices.is_empty(), "{notices:?}");
    assert!(view.present);
    assert_eq!(cfg.layers, 2);
    assert_eq!(to_query(&cfg, &view), "layers=2&present=true");
    let (_, view, notices) = parse("present=false");
    assert!(!view.present && notices.is_empty());
    for bad in ["<script>", "maybe", "", "%00"] {
        let (cfg, view, notices) = parse(&format!("d=3&present={bad}"));
        assert!(!view.present, "{bad}");
        assert_eq!(cfg.d, 3);
        assert_eq!(notices.len(), 1, "{bad}: {notices:?}");
        assert_eq!(notices[0].key, "present");
    }
}
