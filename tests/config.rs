//! The parameter schema: defaults, canonical round trips, and that no input can make it panic or
//! produce an out-of-range setting.

use icl_lab::config::*;

/// The keys of the schema, in order.
fn keys() -> Vec<&'static str> {
    SCHEMA.iter().map(|k| k.key).collect()
}

/// Position of `key` in the schema.
fn index_of(key: &str) -> usize {
    SCHEMA.iter().position(|k| k.key == key).unwrap()
}

/// Canonical text of a knob at its lower (`high = false`) or upper bound.
fn bound_text(knob: &Knob, high: bool) -> String {
    match knob.kind {
        Kind::Bool => high.to_string(),
        Kind::Choice(choices) => choices[if high { choices.len() - 1 } else { 0 }].to_string(),
        Kind::Int | Kind::Float | Kind::AutoFloat => {
            (if high { knob.max } else { knob.min }).to_string()
        }
    }
}

/// Every knob at its lower or upper bound, read through the schema (no correction allowed).
/// `tokens` stays paired: classic tokens fix the layers (tested in tests/classic.rs), so no
/// other bound of `layers` could be read without a correction.
fn at_bounds(high: bool) -> Config {
    let text = |k: &Knob| {
        if k.key == "tokens" {
            k.default.to_string()
        } else {
            bound_text(k, high)
        }
    };
    let (cfg, notices) = Config::from_pairs(SCHEMA.iter().map(|k| (k.key, text(k))));
    assert!(notices.is_empty(), "{notices:?}");
    cfg
}

fn q(query: &str) -> (Config, Vec<Notice>) {
    Config::from_query(query)
}

/// The single notice produced by one `key=value`, as a message.
fn only_message(query: &str) -> String {
    let (_, notices) = q(query);
    assert_eq!(notices.len(), 1, "{query}: {notices:?}");
    notices[0].message.clone()
}

/// Every field lies within its knob's range and prints canonically (re-reading gives no notice).
fn assert_in_range(cfg: &Config) {
    for ((key, text), knob) in cfg.to_pairs().iter().zip(SCHEMA) {
        assert_eq!(*key, knob.key);
        match knob.kind {
            Kind::Int | Kind::Float => {
                let x: f64 = text.parse().unwrap();
                assert!(x >= knob.min && x <= knob.max, "{key}={text}");
            }
            Kind::AutoFloat if text != "auto" => {
                let x: f64 = text.parse().unwrap();
                assert!(x >= knob.min && x <= knob.max, "{key}={text}");
            }
            _ => {}
        }
        assert_eq!(
            cfg.clone().set(key, text),
            None,
            "{key}={text} is not canonical"
        );
    }
    let (back, notices) = q(&cfg.to_query());
    assert_eq!(&back, cfg);
    assert!(notices.is_empty(), "{notices:?}");
}

#[test]
fn schema_lists_every_field_once_in_order() {
    let keys = keys();
    for (i, key) in keys.iter().enumerate() {
        assert!(!keys[..i].contains(key), "{key} is listed twice");
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{key}"
        );
    }
    let pairs: Vec<&str> = Config::default().to_pairs().iter().map(|p| p.0).collect();
    assert_eq!(pairs, keys);
    // The JSON report lists the fields in schema order too.
    let json = serde_json::to_string(&Config::default()).unwrap();
    let at: Vec<usize> = keys
        .iter()
        .map(|key| json.find(&format!("\"{key}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
    let cheap: Vec<&str> = SCHEMA.iter().filter(|k| k.cheap).map(|k| k.key).collect();
    assert_eq!(
        cheap,
        ["gd_eta", "alpha", "test_aniso", "test_corr", "task_mean"]
    );
    for k in SCHEMA {
        assert!(
            k.min <= k.max && !k.label.is_empty() && k.help.ends_with('.'),
            "{}",
            k.key
        );
        if k.scale == Scale::Log {
            assert!(k.min > 0.0, "{}", k.key);
        }
    }
}

#[test]
fn defaults_agree_with_schema() {
    let default = Config::default();
    // The schema's default strings are exactly the canonical text of the default config ...
    for ((key, text), knob) in default.to_pairs().iter().zip(SCHEMA) {
        assert_eq!(text, knob.default, "{key}");
    }
    // ... and reading them gives the default config without any correction.
    let (cfg, notices) = Config::from_pairs(SCHEMA.iter().map(|k| (k.key, k.default)));
    assert_eq!(cfg, default);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(default.to_query(), "");
    assert_eq!(q(""), (default.clone(), vec![]));
    assert_eq!(q("?"), (default, vec![]));
}

#[test]
fn documented_defaults() {
    let c = Config::default();
    assert_eq!(
        (c.d, c.n, c.layers, c.heads, c.batch, c.steps, c.seed),
        (10, 10, 1, 1, 2048, 5000, 1)
    );
    assert_eq!(
        (c.recurrent, c.query_in_keys, c.attn),
        (true, false, Attn::Linear)
    );
    assert_eq!(
        (c.lr, c.x_range, c.noise, c.aniso, c.alpha),
        (1e-3, 0.5, 0.0, 1.0, 1.0)
    );
    assert_eq!(
        (c.eval_tasks, c.eval_every, c.gd_eta, c.clip),
        (2048, 20, None, None)
    );
    // `Config::default()` is built from the schema's default texts, so the values above pin
    // those texts; reading the texts back gives the same config.
    let (from_schema, _) = Config::from_pairs(SCHEMA.iter().map(|k| (k.key, k.default)));
    assert_eq!(from_schema, c);
}

#[test]
fn each_knob_sets_only_its_own_field() {
    let default = Config::default();
    for (i, knob) in SCHEMA.iter().enumerate() {
        if knob.key == "tokens" {
            // Classic tokens also set layers, recurrent and attn, in one notice (tests/classic.rs).
            continue;
        }
        let mut value = bound_text(knob, true);
        if value == knob.default {
            value = bound_text(knob, false);
        }
        let mut cfg = default.clone();
        assert_eq!(cfg.set(knob.key, &value), None, "{}={value}", knob.key);
        let (changed, same) = (cfg.to_pairs(), default.to_pairs());
        for (j, ((key, text), (_, before))) in changed.iter().zip(&same).enumerate() {
            if j == i {
                assert_eq!(text, &value, "{key}");
            } else {
                assert_eq!(text, before, "setting {} changed {key}", knob.key);
            }
        }
        assert_eq!(cfg.to_query(), format!("{}={value}", knob.key));
    }
}

#[test]
fn round_trips_through_the_query() {
    let mut configs = vec![Config::default()];
    let c = Config {
        d: 5,
        layers: 2,
        ..Config::default()
    };
    assert_eq!(c.to_query(), "d=5&layers=2");
    configs.push(c);
    configs.push(Config {
        d: 32,
        n: 100,
        layers: 8,
        recurrent: false,
        heads: 4,
        attn: Attn::Softmax,
        query_in_keys: true,
        tokens: icl_lab::config::Tokens::Paired,
        layernorm: true,
        mlp: 128,
        lr: 1e-5,
        batch: 8192,
        steps: 100000,
        seed: 4294967295,
        x_range: 0.05,
        noise: 2.0,
        aniso: 10.0,
        labels: icl_lab::config::Labels::Shuffled,
        eval_tasks: 20000,
        eval_every: 1000,
        gd_eta: Some(1e-3),
        clip: Some(1e-6),
        alpha: 0.25,
        test_aniso: 10.0,
        test_corr: 0.95,
        task_mean: 3.0,
        init: icl_lab::config::Init::Construction,
        init_noise: 0.5,
    });
    // Classic tokens, with the layers they require.
    configs.push(Config {
        layers: 2,
        recurrent: false,
        attn: Attn::Softmax,
        tokens: icl_lab::config::Tokens::Classic,
        heads: 3,
        n: 7,
        ..Config::default()
    });
    // Every knob at its lower bound, and every knob at its upper bound.
    configs.push(at_bounds(false));
    configs.push(at_bounds(true));
    configs.push(Config {
        d: 1,
        n: 1,
        layers: 3,
        seed: 0,
        lr: 0.1,
        batch: 16,
        steps: 1,
        x_range: 4.0,
        noise: 0.1 + 0.2,
        aniso: 2.5,
        eval_tasks: 256,
        eval_every: 1,
        gd_eta: Some(100.0),
        clip: Some(1e3),
        alpha: 3.0,
        ..Config::default()
    });
    configs.push(Config {
        lr: 0.000123456789,
        x_range: 1.0 / 3.0,
        noise: 1e-9,
        aniso: 1.0,
        gd_eta: Some(std::f64::consts::PI),
        clip: Some(0.001),
        alpha: 1.2345678901234567,
        seed: 123456789,
        ..Config::default()
    });
    for cfg in &configs {
        let query = cfg.to_query();
        assert_eq!(q(&query), (cfg.clone(), vec![]), "{query}");
        assert_eq!(q(&format!("?{query}")), (cfg.clone(), vec![]), "{query}");
        assert_eq!(
            Config::from_pairs(cfg.to_pairs()),
            (cfg.clone(), vec![]),
            "{query}"
        );
        assert_in_range(cfg);
    }
}

#[test]
fn to_query_lists_only_changed_keys_in_schema_order() {
    let (cfg, notices) = q("alpha=2&d=5&seed=1&attn=softmax&lr=0.001");
    assert!(notices.is_empty());
    assert_eq!(cfg.to_query(), "d=5&attn=softmax&alpha=2");
    let (cfg, _) = q("gd_eta=0.5&clip=auto");
    assert_eq!(cfg.to_query(), "gd_eta=0.5");
    assert_eq!(
        cfg.to_pairs()[index_of("clip")],
        ("clip", "auto".to_string())
    );
}

#[test]
fn accepted_spellings() {
    let (c, n) =
        q("d=10.0&n=1e1&layers=+3&heads=%202%20&recurrent=OFF&query_in_keys=Yes&attn=SoftMax");
    assert!(n.is_empty(), "{n:?}");
    assert_eq!((c.d, c.n, c.layers, c.heads), (10, 10, 3, 2));
    assert_eq!(
        (c.recurrent, c.query_in_keys, c.attn),
        (false, true, Attn::Softmax)
    );
    for (text, b) in [
        ("true", true),
        ("1", true),
        ("on", true),
        ("NO", false),
        ("0", false),
        ("False", false),
    ] {
        assert_eq!(
            q(&format!("recurrent={text}")),
            (
                Config {
                    recurrent: b,
                    ..Config::default()
                },
                vec![]
            )
        );
    }
    let (c, n) = q("gd_eta=AUTO&clip=");
    assert!(n.is_empty() && c.gd_eta.is_none() && c.clip.is_none());
    let (c, n) = q("gd_eta=2.5&clip=1e-3&lr=1e-2&noise=-0");
    assert!(n.is_empty(), "{n:?}");
    assert_eq!(
        (c.gd_eta, c.clip, c.lr, c.noise),
        (Some(2.5), Some(0.001), 0.01, 0.0)
    );
    assert_eq!(c.to_query(), "lr=0.01&gd_eta=2.5&clip=0.001");
    let (c, n) = q("lr=0.00001");
    assert!(n.is_empty());
    assert_eq!(c.lr, 1e-5);
}

#[test]
fn integer_corrections() {
    assert_eq!(
        only_message("n=10.7"),
        "n = 10.7 is not a whole number; using 11."
    );
    assert_eq!(q("n=10.7").0.n, 11);
    assert_eq!(
        only_message("d=1000"),
        "d = 1000 is above the maximum 32; using 32."
    );
    assert_eq!(
        only_message("d=0"),
        "d = 0 is below the minimum 1; using 1."
    );
    assert_eq!(
        only_message("d=-5"),
        "d = -5 is below the minimum 1; using 1."
    );
    assert_eq!(q("d=1e300").0.d, 32);
    assert_eq!(q("d=1e308").0.d, 32);
    assert_eq!(q("steps=99999999999999999999").0.steps, 100000);
    assert_eq!(
        only_message("d=1e400"),
        "d = 1e400 is above the maximum 32; using 32."
    );
    assert_eq!(q("d=-1e400").0.d, 1);
    assert_eq!(
        only_message("d=abc"),
        "d = 'abc' is not a number; using the default 10."
    );
    assert_eq!(only_message("d="), "d is empty; using the default 10.");
    assert_eq!(
        only_message("d=0x10"),
        "d = '0x10' is not a number; using the default 10."
    );
    for bad in ["NaN", "nan", "inf", "-inf", "infinity"] {
        let (c, n) = q(&format!("layers={bad}"));
        assert_eq!(c.layers, 1);
        assert_eq!(
            n[0].message,
            format!("layers = '{bad}' is not a finite number; using the default 1.")
        );
    }
}

#[test]
fn seed_stays_exact_in_javascript() {
    assert_eq!(
        q("seed=4294967295"),
        (
            Config {
                seed: 4294967295,
                ..Config::default()
            },
            vec![]
        )
    );
    assert_eq!(
        only_message("seed=-5"),
        "seed = -5 is below the minimum 0; using 0."
    );
    assert_eq!(q("seed=-5").0.seed, 0);
    assert_eq!(q("seed=4294967296").0.seed, 4294967295);
    assert_eq!(q("seed=1e300").0.seed, 4294967295);
    assert_eq!(q("seed=x").0.seed, 1);
}

#[test]
fn float_corrections() {
    assert_eq!(
        only_message("lr=abc"),
        "lr = 'abc' is not a number; using the default 0.001."
    );
    assert_eq!(
        only_message("lr=5"),
        "lr = 5 is above the maximum 0.1; using 0.1."
    );
    assert_eq!(
        only_message("lr=0"),
        "lr = 0 is below the minimum 0.00001; using 0.00001."
    );
    assert_eq!(
        only_message("noise=-1"),
        "noise = -1 is below the minimum 0; using 0."
    );
    assert_eq!(q("lr=1e308").0.lr, 0.1);
    assert_eq!(q("x_range=-1e308").0.x_range, 0.05);
    for bad in ["NaN", "inf", "-inf", "", "abc", "0x10", "1,5", "½"] {
        let (c, n) = q(&format!("alpha={bad}"));
        assert_eq!(c.alpha, 1.0, "{bad}");
        assert_eq!(n.len(), 1, "{bad}");
        assert!(
            n[0].message.ends_with("using the default 1."),
            "{}",
            n[0].message
        );
    }
}

#[test]
fn auto_float_corrections() {
    assert_eq!(
        only_message("gd_eta=abc"),
        "gd_eta = 'abc' is not a number; using the default auto."
    );
    assert_eq!(
        only_message("clip=NaN"),
        "clip = 'NaN' is not a finite number; using the default auto."
    );
    assert_eq!(q("gd_eta=1e9").0.gd_eta, Some(100.0));
    assert_eq!(q("clip=0").0.clip, Some(1e-6));
    assert_eq!(q("clip=-inf").0.clip, None);
    // A bad value replaces an earlier good one: the last value wins, even when it is invalid.
    assert_eq!(q("gd_eta=2&gd_eta=zz").0.gd_eta, None);
}

#[test]
fn bool_and_choice_corrections() {
    assert_eq!(
        only_message("recurrent=maybe"),
        "recurrent = 'maybe' is not true or false; using the default true."
    );
    assert_eq!(
        only_message("attn=relu"),
        "attn = 'relu' is not one of linear, softmax; using the default linear."
    );
    assert_eq!(q("attn=relu").0.attn, Attn::Linear);
    assert!(!q("query_in_keys=2").0.query_in_keys);
}

#[test]
fn clip_and_token_clipping_follow_the_paper() {
    let at = |layers| Config {
        layers,
        ..Config::default()
    };
    assert_eq!(at(1).clip_norm(), 0.001);
    assert_eq!(at(2).clip_norm(), 0.001);
    assert_eq!(at(3).clip_norm(), 10.0);
    assert_eq!(
        Config {
            clip: Some(0.5),
            ..at(8)
        }
        .clip_norm(),
        0.5
    );
    assert!(!at(3).clips_tokens());
    assert!(at(4).clips_tokens());
}

#[test]
fn unknown_repeated_and_valueless_keys() {
    let (c, n) = q("foo=1&d=5");
    assert_eq!(c.d, 5);
    assert_eq!(
        n,
        vec![Notice {
            key: "foo".into(),
            message: "Unknown setting 'foo' was ignored.".into()
        }]
    );
    let (c, n) = q("d=5&d=7");
    assert_eq!(c.d, 7);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].key, "d");
    assert_eq!(
        n[0].message,
        "d was given more than once; the last value is used."
    );
    let (c, n) = q("d=5&layers");
    assert_eq!((c.d, c.layers), (5, 1));
    assert_eq!(
        n[0].message,
        "layers has no value (write layers=…); using the default 1."
    );
    let (c, n) = q("recurrent");
    assert!(c.recurrent);
    assert_eq!(n.len(), 1);
    // Empty segments (doubled or trailing '&') are not settings.
    assert_eq!(
        q("&&d=3&"),
        (
            Config {
                d: 3,
                ..Config::default()
            },
            vec![]
        )
    );
    assert_eq!(q("=5").1[0].message, "Unknown setting '' was ignored.");
    assert_eq!(q("D=5").1[0].message, "Unknown setting 'D' was ignored.");
}

#[test]
fn hostile_text_is_echoed_safely() {
    let script = "<script>alert(1)</script>";
    let (c, n) = Config::from_pairs([(script, "1"), ("lr", script)]);
    assert_eq!(c, Config::default());
    assert_eq!(
        n[0].message,
        "Unknown setting '<script>alert(1)</script>' was ignored."
    );
    assert_eq!(
        n[1].message,
        "lr = '<script>alert(1)</script>' is not a number; using the default 0.001."
    );

    let long = "x".repeat(10_000);
    let (c, n) = Config::from_pairs([(long.as_str(), "1"), ("d", long.as_str())]);
    assert_eq!(c, Config::default());
    assert_eq!(n[0].key, format!("{}…", "x".repeat(40)));
    assert_eq!(
        n[0].message,
        format!("Unknown setting '{}…' was ignored.", "x".repeat(40))
    );
    assert_eq!(
        n[1].message,
        format!(
            "d = '{}…' is not a number; using the default 10.",
            "x".repeat(40)
        )
    );
    let digits = "9".repeat(10_000);
    let (c, n) = Config::from_pairs([("batch", digits.as_str())]);
    assert_eq!(c.batch, 8192);
    assert!(n[0].message.chars().count() < 120, "{}", n[0].message);

    // Percent-decoding: malformed escapes stay literal, NUL and other controls become '?'.
    assert_eq!(
        only_message("d=%ZZ"),
        "d = '%ZZ' is not a number; using the default 10."
    );
    assert_eq!(
        only_message("d=%00"),
        "d = '?' is not a number; using the default 10."
    );
    assert_eq!(
        only_message("d=%"),
        "d = '%' is not a number; using the default 10."
    );
    assert_eq!(
        only_message("d=1%0A2"),
        "d = '1?2' is not a number; using the default 10."
    );
    assert_eq!(only_message("%00=1"), "Unknown setting '?' was ignored.");
    assert_eq!(
        only_message("attn=%E2%80%AElinear"),
        "attn = '?linear' is not one of linear, softmax; using the default linear."
    );
    assert_eq!(
        q("d=%35"),
        (
            Config {
                d: 5,
                ..Config::default()
            },
            vec![]
        )
    );
    assert_eq!(
        q("%64=6"),
        (
            Config {
                d: 6,
                ..Config::default()
            },
            vec![]
        )
    );
    // Invalid UTF-8 and plain unicode are harmless.
    assert!(only_message("d=%FF%FE").contains('\u{FFFD}'));
    assert_eq!(
        only_message("d=五"),
        "d = '五' is not a number; using the default 10."
    );
    assert_eq!(only_message("αβγ=1"), "Unknown setting 'αβγ' was ignored.");
    let emoji = "🦀".repeat(100);
    assert_eq!(
        only_message(&format!("lr={emoji}"))
            .chars()
            .filter(|&c| c == '🦀')
            .count(),
        40
    );
    assert_eq!(
        only_message("lr=%F0%9F"),
        "lr = '\u{FFFD}' is not a number; using the default 0.001."
    );

    for msg in q(&format!("{script}={script}&d=\u{7}&{long}&lr=1%0D%0A2")).1 {
        assert!(!msg.message.chars().any(char::is_control), "{msg:?}");
        assert!(msg.message.chars().count() < 120, "{msg:?}");
    }
}

#[test]
fn set_behaves_like_from_pairs() {
    let inputs = [
        ("d", "5"),
        ("d", "1000"),
        ("n", "10.7"),
        ("lr", "abc"),
        ("lr", "NaN"),
        ("attn", "softmax"),
        ("attn", "x"),
        ("recurrent", "off"),
        ("gd_eta", "auto"),
        ("gd_eta", "3"),
        ("clip", "-1"),
        ("seed", "-5"),
        ("alpha", ""),
        ("foo", "1"),
        ("<b>", "<i>"),
    ];
    for (key, value) in inputs {
        let mut cfg = Config::default();
        let notice = cfg.set(key, value);
        let (expected, notices) = Config::from_pairs([(key, value)]);
        assert_eq!(cfg, expected, "{key}={value}");
        assert_eq!(notice, notices.first().cloned(), "{key}={value}");
    }
    // `set` changes only its own key.
    let mut cfg = q("d=3&layers=4&alpha=2").0;
    assert_eq!(cfg.set("alpha", "0.5"), None);
    assert_eq!(cfg.to_query(), "d=3&layers=4&alpha=0.5");
    assert!(cfg.set("nope", "1").is_some());
    assert_eq!(cfg.to_query(), "d=3&layers=4&alpha=0.5");
}

#[test]
fn schema_json_describes_every_knob() {
    let json: serde_json::Value = serde_json::from_str(&Config::schema_json()).unwrap();
    let knobs = json.as_array().unwrap();
    assert_eq!(knobs.len(), SCHEMA.len());
    for (k, knob) in knobs.iter().zip(SCHEMA) {
        let key = knob.key;
        assert_eq!(k["key"], key);
        for field in ["label", "kind", "default", "scale", "help"] {
            assert!(k[field].is_string(), "{key}.{field}");
        }
        assert!(
            k["min"].is_number() && k["max"].is_number() && k["cheap"].is_boolean(),
            "{key}"
        );
        assert_eq!(
            k.get("choices").is_some(),
            matches!(knob.kind, Kind::Choice(_)),
            "{key}"
        );
        assert_eq!(
            k.get("choices").is_some(),
            key == "attn" || key == "tokens" || key == "init" || key == "labels",
            "{key}"
        );
    }
    let attn = &knobs[index_of("attn")];
    assert_eq!(attn["kind"], "choice");
    assert_eq!(attn["choices"], serde_json::json!(["linear", "softmax"]));
    assert_eq!(
        knobs[index_of("init")]["choices"],
        serde_json::json!(["random", "construction"])
    );
    assert_eq!(
        knobs[index_of("labels")]["choices"],
        serde_json::json!(["paired", "shuffled"])
    );
    assert_eq!(
        knobs[index_of("tokens")]["choices"],
        serde_json::json!(["paired", "classic"])
    );
    assert_eq!(
        knobs[index_of("seed")]["max"],
        serde_json::json!(4294967295u64)
    );
    assert_eq!(knobs[index_of("lr")]["scale"], "log");
    assert_eq!(knobs[index_of("lr")]["min"].as_f64(), Some(1e-5));
    assert_eq!(knobs[index_of("gd_eta")]["kind"], "autofloat");
    assert_eq!(knobs[index_of("gd_eta")]["default"], "auto");
}

#[test]
fn config_serializes_for_the_report() {
    let cfg = Config {
        attn: Attn::Softmax,
        gd_eta: Some(0.5),
        ..Config::default()
    };
    let v = serde_json::to_value(&cfg).unwrap();
    assert_eq!(v["attn"], "softmax");
    assert_eq!(v["gd_eta"], 0.5);
    assert!(v["clip"].is_null());
    assert_eq!(v.as_object().unwrap().len(), SCHEMA.len());
    for knob in SCHEMA {
        assert!(v.get(knob.key).is_some(), "{}", knob.key);
    }
}

/// 2000 queries glued from hostile and ordinary fragments: nothing panics, every field stays in
/// range, and whatever came out prints as a canonical query that reads back unchanged.
#[test]
fn fuzz_queries_never_panic_and_stay_in_range() {
    // Fragments besides the schema's keys, which are all added below.
    const OTHER: &[&str] = &[
        "foo",
        "=",
        "=",
        "=",
        "&",
        "&",
        "?",
        "%",
        "%2",
        "%ZZ",
        "%00",
        "%FF",
        "%26",
        "%3D",
        "+",
        " ",
        "-",
        ".",
        "e",
        "E",
        "1",
        "0",
        "7",
        "99999999999999999999",
        "1e308",
        "-1e308",
        "1e-320",
        "NaN",
        "inf",
        "-inf",
        "auto",
        "true",
        "no",
        "softmax",
        "LINEAR",
        "<script>",
        "\u{0}",
        "\u{202E}",
        "五",
        "🦀",
        "\n",
        "0x10",
        "0.5",
        "-0",
        "4294967296",
    ];
    let fragments: Vec<&str> = keys().into_iter().chain(OTHER.iter().copied()).collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    for _ in 0..2000 {
        let len = next(24);
        let query: String = (0..len).map(|_| fragments[next(fragments.len())]).collect();
        let (cfg, notices) = q(&query);
        assert_in_range(&cfg);
        for n in &notices {
            assert!(!n.message.chars().any(char::is_control), "{query:?}: {n:?}");
            assert!(n.message.ends_with('.'), "{query:?}: {n:?}");
        }
    }
}
