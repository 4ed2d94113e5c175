//! A link = settings + view: the `prompt` key is validated by the engine against the run's d and
//! N, each `pin` as a run's settings; other unknown keys are still reported; bad prompts and
//! pins are dropped with a notice.

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

#[test]
fn pins_are_validated_settings_re_emitted_canonically() {
    // The default run, a run with a few settings (written loosely), and the label-blind control.
    let (cfg, view, notices) =
        parse("labels=shuffled&pin=&pin=n%3D8%26d%3D5.0%26steps%3D400&pin=labels%3Dshuffled");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(cfg.labels, icl_lab::config::Labels::Shuffled);
    assert_eq!(view.pins, ["", "d=5&n=8&steps=400", "labels=shuffled"]);
    let q = to_query(&cfg, &view);
    assert_eq!(
        q,
        "labels=shuffled&pin=&pin=d%3D5%26n%3D8%26steps%3D400&pin=labels%3Dshuffled"
    );
    let (cfg2, view2, notices2) = parse(&q);
    assert!(notices2.is_empty(), "{notices2:?}");
    assert_eq!(to_query(&cfg2, &view2), q);
    assert_eq!(view2.pins, view.pins);
    // Each pin's settings read alone give the pinned run's settings.
    let (pinned, _) = icl_lab::config::Config::from_query(&view.pins[1]);
    assert_eq!((pinned.d, pinned.n, pinned.steps), (5, 8, 400));
    // A bare `pin` key is the default run; the view keys order: prompt, present, pins.
    let (cfg, view, notices) = parse("pin&present=true&d=1&prompt=1,1|1");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(view.pins, [""]);
    assert_eq!(to_query(&cfg, &view), "d=1&prompt=1,1|1&present=true&pin=");
}

#[test]
fn hostile_pins_are_dropped_with_a_notice_and_the_run_still_applies() {
    let long = "d%3D5%26".repeat(600);
    for bad in [
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E", // <script>…: an unknown key
        "d%3D99",                              // out of range: needs a correction
        "d%3Dfive",                            // not a number
        "colour%3Dred",                        // unknown key
        "d%3D5%26d%3D6",                       // a repeated key
        "prompt%3D1%2C1%7C1",                  // a view key is not a run's setting
        "pin%3Dd%253D5",                       // nor is a nested pin
        "d%3DNaN",
        "%E2%80%AEd%3D5", // an invisible direction change
        long.as_str(),    // far too long
    ] {
        let (cfg, view, notices) = parse(&format!("d=3&steps=50&pin={bad}&pin=d%3D4"));
        assert_eq!(
            (cfg.d, cfg.steps),
            (3, 50),
            "{bad}: the settings still apply"
        );
        assert_eq!(view.pins, ["d=4"], "{bad}: the good pin stays");
        assert_eq!(notices.len(), 1, "{bad}: {notices:?}");
        let m = &notices[0].message;
        assert_eq!(notices[0].key, "pin");
        assert!(
            m.starts_with("Pinned run 1 in the link was not used"),
            "{m}"
        );
        assert!(m.ends_with("The page works on without it."), "{m}");
        assert!(!m.contains('<') || bad.starts_with("%3C"), "{m}");
        assert!(!m.contains('\u{202E}'), "{m}");
        assert!(m.chars().count() < 300, "{m}");
        if bad == long {
            assert!(m.contains("2400 bytes long"), "{m}");
        }
    }
    // More than three pins: the first three are kept, and the page says so.
    let (_, view, notices) = parse("pin=d%3D2&pin=d%3D3&pin=d%3D4&pin=d%3D5&pin=d%3D6");
    assert_eq!(view.pins, ["d=2", "d=3", "d=4"]);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].message.contains("only the first 3"),
        "{notices:?}"
    );
    // Ten thousand pins cost no more than three.
    let many = "pin=d%3D2&".repeat(10_000);
    let (_, view, notices) = parse(&many);
    assert_eq!((view.pins.len(), notices.len()), (3, 1));
}

// ---- classroom keys: lock, hide, view, autoplay ------------------------------------------------

use icl_lab::config::SCHEMA;
use icl_lab::link::{parts_json, CARDS, PANELS};

#[test]
fn classroom_keys_are_validated_and_canonical() {
    // Names in any order, case and repetition come out in the lists' order, once each.
    let (cfg, view, notices) =
        parse("layers=2&lock=LAYERS,lr,lr&hide=story,%20settings&view=weights,loss&autoplay=false");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(cfg.layers, 2);
    assert_eq!(view.lock, ["layers", "lr"]);
    assert_eq!(view.hide, ["settings", "story"]);
    assert_eq!(view.view, ["loss", "weights"]);
    assert!(!view.autoplay);
    let q = to_query(&cfg, &view);
    assert_eq!(
        q,
        "layers=2&lock=layers,lr&hide=settings,story&view=loss,weights&autoplay=false"
    );
    let (cfg2, view2, notices2) = parse(&q);
    assert!(notices2.is_empty(), "{notices2:?}");
    assert_eq!((to_query(&cfg2, &view2), view2), (q, view));

    // lock=all locks every setting, and a list of every key reads back as lock=all.
    let (cfg, view, notices) = parse("lock=all");
    assert!(notices.is_empty());
    assert_eq!(view.lock.len(), SCHEMA.len());
    assert_eq!(to_query(&cfg, &view), "lock=all");
    let every: Vec<&str> = SCHEMA.iter().rev().map(|k| k.key).collect();
    let (cfg, view, _) = parse(&format!("lock={}", every.join(",")));
    assert_eq!(to_query(&cfg, &view), "lock=all");

    // The defaults add nothing to a link; autoplay=true is the default.
    let (cfg, view, notices) = parse("autoplay=true");
    assert!(notices.is_empty());
    assert!(view.autoplay);
    assert_eq!(to_query(&cfg, &view), "");
    // Beside the older view keys, in a fixed order.
    let (cfg, view, _) = parse("view=loss&present=true&d=1&n=5&prompt=1,1|1");
    assert_eq!(
        to_query(&cfg, &view),
        "d=1&n=5&prompt=1,1|1&present=true&view=loss"
    );
}

#[test]
fn hostile_classroom_values_get_a_notice_and_the_page_still_works() {
    let long = "x,".repeat(3000);
    for key in ["lock", "hide", "view", "autoplay"] {
        for bad in [
            "<script>alert(1)</script>",
            "%E2%80%AE%00evil",
            "",
            ",,,",
            long.as_str(),
            "loss;drop",
        ] {
            let (cfg, view, notices) = parse(&format!("d=3&steps=40&{key}={bad}"));
            assert_eq!(
                (cfg.d, cfg.steps),
                (3, 40),
                "{key}={bad}: the settings still apply"
            );
            assert_eq!(notices.len(), 1, "{key}={bad}: {notices:?}");
            assert_eq!(notices[0].key, key);
            let m = &notices[0].message;
            assert!(m.chars().count() < 400, "{m}");
            assert!(!m.chars().any(|c| c.is_control() || c == '\u{202E}'), "{m}");
            assert_eq!(
                (
                    view.lock.len(),
                    view.hide.len(),
                    view.view.len(),
                    view.autoplay
                ),
                (0, 0, 0, true),
                "{key}={bad}"
            );
        }
    }
    // Known names beside unknown ones are kept; the notice names the unknown ones.
    let (_, view, notices) = parse("lock=lr,colour&hide=story,ads&view=loss,nope");
    assert_eq!(
        (view.lock, view.hide, view.view),
        (vec!["lr"], vec!["story"], vec!["loss"])
    );
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert!(notices[0].message.contains("'colour'"), "{notices:?}");
    assert!(
        notices[0].message.contains("lr"),
        "it lists what lock takes"
    );
    // A repeated key keeps the last value and says so.
    let (_, view, notices) = parse("view=loss&view=ood");
    assert_eq!(view.view, ["ood"]);
    assert_eq!(notices.len(), 1);
}

#[test]
fn the_names_come_from_one_list_each() {
    for list in [PANELS, CARDS] {
        let mut names: Vec<&str> = list.iter().map(|p| p.name).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase()), "{n}");
            assert_ne!(*n, "all");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), list.len(), "names repeat");
    }
    let v: serde_json::Value = serde_json::from_str(&parts_json()).unwrap();
    let lock: Vec<&str> = v["lock"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(lock, SCHEMA.iter().map(|k| k.key).collect::<Vec<_>>());
    assert_eq!(v["panels"].as_array().unwrap().len(), PANELS.len());
    assert_eq!(v["cards"][0]["name"], CARDS[0].name);
    // Every name has its element on the page (which hides or shows it by that name).
    let html =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/www/index.html")).unwrap();
    for p in PANELS {
        assert!(
            html.contains(&format!("data-panel=\"{}\"", p.name)),
            "no panel {}",
            p.name
        );
    }
    for c in CARDS {
        assert!(
            html.contains(&format!("data-card=\"{}\"", c.name)),
            "no card {}",
            c.name
        );
    }
}

// ---- the guided tour: tour=N ---------------------------------------------------------------------

use icl_lab::link::TOUR_STEPS;

#[test]
fn tour_is_a_step_number_kept_last_in_the_canonical_link() {
    let (cfg, view, notices) = parse("tour=3&layers=2&autoplay=false");
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(view.tour, Some(3));
    let q = to_query(&cfg, &view);
    assert_eq!(q, "layers=2&autoplay=false&tour=3");
    let (cfg2, view2, notices2) = parse(&q);
    assert!(notices2.is_empty(), "{notices2:?}");
    assert_eq!((to_query(&cfg2, &view2), view2), (q, view));
    // Every step, the first and the last included; spaces around the number are read.
    for n in 1..=TOUR_STEPS {
        let (_, view, notices) = parse(&format!("tour=%20{n}%20"));
        assert!(notices.is_empty(), "{n}: {notices:?}");
        assert_eq!(view.tour, Some(n));
    }
    // No tour: nothing in the link.
    let (cfg, view, _) = parse("d=3");
    assert_eq!(
        (view.tour, to_query(&cfg, &view)),
        (None, "d=3".to_string())
    );
    // The names the page reads say how many steps there are.
    let v: serde_json::Value = serde_json::from_str(&parts_json()).unwrap();
    assert_eq!(v["tour_steps"], TOUR_STEPS);
}

#[test]
fn hostile_tour_values_get_a_notice_and_the_page_opens_without_the_tour() {
    let long = "9".repeat(5000);
    for bad in [
        "99",
        "0",
        "-1",
        "1.5",
        "abc",
        "",
        "3abc",
        "<script>alert(1)</script>",
        "%E2%80%AE%002",
        "4294967296",
        long.as_str(),
    ] {
        let (cfg, view, notices) = parse(&format!("d=3&steps=40&tour={bad}"));
        assert_eq!(
            (cfg.d, cfg.steps),
            (3, 40),
            "tour={bad}: the settings apply"
        );
        assert_eq!(view.tour, None, "tour={bad}");
        assert_eq!(notices.len(), 1, "tour={bad}: {notices:?}");
        assert_eq!(notices[0].key, "tour");
        let m = &notices[0].message;
        assert!(
            m.starts_with(&format!(
                "tour must be a step number from 1 to {TOUR_STEPS}"
            )),
            "{m}"
        );
        assert!(m.chars().count() < 200, "{m}");
        assert!(!m.chars().any(|c| c.is_control() || c == '\u{202E}'), "{m}");
        assert_eq!(to_query(&cfg, &view), "d=3&steps=40", "tour={bad}");
    }
    // Repeated: the last value counts, and the page says so.
    let (_, view, notices) = parse("tour=2&tour=5");
    assert_eq!(view.tour, Some(5));
    assert_eq!(notices.len(), 1, "{notices:?}");
    // A frame that shows some cards has no room for the tour: the cards stay, the tour goes.
    let (cfg, view, notices) = parse("view=loss&tour=2");
    assert_eq!((view.tour, view.view.clone()), (None, vec!["loss"]));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].key, "tour");
    assert_eq!(to_query(&cfg, &view), "view=loss");
}
