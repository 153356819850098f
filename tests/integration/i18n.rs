//! Every i18n key the Rust code names exists in both languages. (Templates are checked when they
//! render: a missing key fails the render.)

use std::collections::BTreeSet;

use tsunagu_web::i18n::{Catalog, Locale};

const PREFIXES: &[&str] = &[
    "common.",
    "landing.",
    "console.",
    "home.",
    "errors.",
    "identity.",
    "notices.",
    "email.",
    "secretariat.",
    "audit.",
];

fn rust_sources() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut stack = vec![root];
    let mut texts = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    texts
}

/// String literals that look like full i18n keys (`"identity.check_email_title"`).
fn literal_keys(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for piece in text.split('"').skip(1).step_by(2) {
        let is_key = PREFIXES.iter().any(|p| piece.starts_with(p))
            && piece.len() < 80
            && piece
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
            && !piece.ends_with('.');
        if is_key {
            keys.insert(piece.to_owned());
        }
    }
    keys
}

#[test]
fn every_key_named_in_rust_code_exists_in_both_languages() {
    let catalog = Catalog::embedded();
    let mut keys = BTreeSet::new();
    let mut email_kinds = BTreeSet::new();
    for text in rust_sources() {
        keys.extend(literal_keys(&text));
        // Emails are declared as `EmailSpec { kind: "…", … }`.
        for piece in text.split("EmailSpec {").skip(1) {
            if let Some(kind) = piece
                .split("kind: \"")
                .nth(1)
                .and_then(|k| k.split('"').next())
            {
                email_kinds.insert(kind.to_owned());
            }
        }
    }
    // Audit actions ("subject.verb") are shown as `audit.<action>`: the first literal of an
    // `audit::record(` call, or of a feature's own `audit(&mut tx, "…", …)` helper around it
    // (whose `audit::record` call then passes the action through and names no action itself).
    for text in rust_sources() {
        for call in ["audit::record(", "audit(&mut tx, "] {
            for piece in text.split(call).skip(1) {
                if let Some(action) = piece
                    .split('"')
                    .nth(1)
                    .filter(|a| !a.contains('{') && a.contains('.'))
                {
                    keys.insert(format!("audit.{action}"));
                }
            }
        }
    }
    for action in ["suspend", "reactivate", "remove"] {
        keys.insert(format!("audit.member.{action}"));
    }
    for value in ["alumni", "employee"] {
        keys.insert(format!("member.kind.{value}"));
    }
    // Emails are named by kind; each needs its subject, body and action.
    assert!(email_kinds.len() >= 6, "found only {email_kinds:?}");
    for kind in &email_kinds {
        for part in ["subject", "body", "action"] {
            keys.insert(format!("email.{kind}.{part}"));
        }
    }
    assert!(
        keys.len() > 40,
        "found only {} keys: is the scan working?",
        keys.len()
    );
    let missing: Vec<String> = keys
        .iter()
        .flat_map(|k| {
            Locale::ALL
                .iter()
                .filter(|l| catalog.get(**l, k).is_none())
                .map(move |l| format!("{l}: {k}"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "missing translations:\n{}",
        missing.join("\n")
    );
}
