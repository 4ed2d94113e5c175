//! The README's settings table names every key of the schema (the docs cannot drift).

use icl_lab::config::SCHEMA;

#[test]
fn readme_lists_every_setting() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for k in SCHEMA {
        assert!(
            readme.contains(&format!("| `{}` |", k.key)),
            "README lacks a row for `{}`",
            k.key
        );
    }
}
