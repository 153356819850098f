//! House rules that keep the code's shape (docs/ARCHITECTURE.md, "Crates" and "Tables"):
//! SQL lives in query modules, each table is written by the crate that owns it, and crate
//! dependencies point one way. They read the source and `cargo metadata`, no database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn services() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../services")
}

/// Every `.rs` file under `dir`, with its path relative to `services/` (`crate/src/...`).
fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = services();
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    assert!(files.len() > 40, "found {} source files", files.len());
    files
}

/// Code of a line, without its `//` comment.
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// Is this a query module (`…queries.rs` or a file under a `queries/` directory)?
fn is_query_module(relative: &str) -> bool {
    relative.ends_with("queries.rs") || relative.contains("/queries/")
}

/// SQL is written in query modules only, so that a table's statements can be found in one
/// place and reviewed for their indexes and tenant predicate. The kernel (the database door,
/// outbox, audit, idempotency), tenancy's registry and config apply, the test kit and the two
/// loaders (demo seed, scale loader) are the exceptions.
#[test]
fn sql_lives_in_query_modules() {
    let allowed = [
        "kernel/src/",
        "testkit/src/",
        "tenancy/src/registry.rs",
        "tenancy/src/config_file.rs",
        "demo/src/",
    ];
    let mut offenders = Vec::new();
    for (relative, text) in sources() {
        if is_query_module(&relative) || allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let code = code(line);
            if [
                "sqlx::query",
                "query_as(",
                "query_scalar(",
                "QueryBuilder::new",
            ]
            .iter()
            .any(|needle| code.contains(needle))
            {
                offenders.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQL outside a query module (put it in the owning crate's queries.rs):\n{}",
        offenders.join("\n")
    );
}

/// Which crate writes each table (docs/ARCHITECTURE.md "Tables"). Others may read it in joins
/// from their own query modules; writes go through the owner's functions.
const OWNERS: &[(&str, &str)] = &[
    ("tenants", "tenancy"),
    ("custom_domains", "tenancy"),
    ("work_signals", "kernel"),
    ("audit_events", "kernel"),
    ("email_outbox", "kernel"),
    ("form_submissions", "kernel"),
    ("staff_users", "console"),
    ("announcements", "secretariat"),
    ("members", "identity"),
    ("member_tokens", "identity"),
    ("invitations", "identity"),
    ("member_search_tokens", "identity"),
    ("email_preferences", "identity"),
    ("email_consent_changes", "identity"),
    ("posts", "community"),
    ("post_likes", "community"),
    ("post_comments", "community"),
    ("recruitments", "community"),
    ("recruitment_reactions", "community"),
    ("follow_up_lists", "community"),
    ("follow_ups", "community"),
    ("articles", "community"),
    ("article_featured_members", "community"),
    ("article_comments", "community"),
    ("article_likes", "community"),
    ("notifications", "community"),
    ("surveys", "surveys"),
    ("survey_questions", "surveys"),
    ("survey_options", "surveys"),
    ("survey_respondents", "surveys"),
    ("survey_responses", "surveys"),
    ("survey_response_members", "surveys"),
    ("survey_answers", "surveys"),
    ("segments", "surveys"),
    ("segment_conditions", "surveys"),
    ("outreaches", "surveys"),
    ("conversations", "messages"),
    ("conversation_members", "messages"),
    ("messages", "messages"),
    ("member_blocks", "messages"),
    ("digest_deliveries", "digest"),
    ("digest_weeks", "digest"),
    ("events", "events"),
    ("event_organisers", "events"),
    ("event_rsvps", "events"),
    ("event_comments", "events"),
    ("member_imports", "secretariat"),
    ("member_import_rows", "secretariat"),
    ("support_grants", "secretariat"),
    ("playbook_uses", "playbooks"),
    ("support_requests", "secretariat"),
    ("tenant_notes", "console"),
    ("billing_accounts", "onboarding"),
    ("stripe_events", "onboarding"),
    ("engagement_days", "insights"),
    ("member_first_contacts", "insights"),
    ("engagement_cursors", "insights"),
    ("engagement_rates", "insights"),
    ("content_reports", "kernel"),
    ("moderation_decisions", "kernel"),
];

#[test]
fn every_table_has_one_owner_and_only_it_writes() {
    // Every table the migrations create has an owner.
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut created = Vec::new();
    let mut dropped = Vec::new();
    for entry in std::fs::read_dir(&migrations).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("create table ") {
                let name = rest.split_whitespace().next().unwrap_or("");
                let table = name.rsplit('.').next().unwrap_or(name).to_owned();
                created.push(table);
            }
            // A table a later migration drops is no longer anyone's.
            if let Some(rest) = line.trim().strip_prefix("drop table ") {
                let name = rest
                    .trim_end_matches(';')
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                let table = name.rsplit('.').next().unwrap_or(name).to_owned();
                dropped.push(table);
            }
        }
    }
    created.retain(|table| !dropped.contains(table));
    let owners: BTreeMap<&str, &str> = OWNERS.iter().copied().collect();
    for table in &created {
        assert!(
            owners.contains_key(table.as_str()),
            "table {table} has no owning crate: add it to OWNERS here and to ARCHITECTURE.md"
        );
    }
    // Only the owner writes. The loaders (demo seed, scale loader) fill every table as the
    // system and are exempt, like the test kit.
    let exempt = ["testkit/", "demo/src/"];
    let mut offenders = Vec::new();
    for (relative, text) in sources() {
        if exempt.iter().any(|e| relative.starts_with(e)) {
            continue;
        }
        let krate = relative.split('/').next().unwrap_or("");
        let lower = text.to_lowercase();
        for (number, line) in lower.lines().enumerate() {
            let code = code(line);
            for verb in ["insert into ", "update ", "delete from "] {
                let mut rest = code;
                while let Some(at) = rest.find(verb) {
                    let after = &rest[at + verb.len()..];
                    let word: String = after
                        .trim_start_matches("public.")
                        .trim_start_matches("platform.")
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if let Some(owner) = owners.get(word.as_str()) {
                        if *owner != krate {
                            offenders.push(format!(
                                "{relative}:{}: writes {word}, owned by {owner}",
                                number + 1
                            ));
                        }
                    }
                    rest = after;
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "tables written outside their owning crate (call the owner's query functions):\n{}",
        offenders.join("\n")
    );
}

/// The layers of docs/ARCHITECTURE.md: a crate may depend only on crates of lower layers, so
/// feature crates never depend on each other's siblings or on the gateway.
const LAYERS: &[(&str, u8)] = &[
    ("tsunagu-kernel", 0),
    ("tsunagu-tenancy", 1),
    ("tsunagu-authz", 2),
    ("tsunagu-web", 3),
    ("tsunagu-identity", 4),
    ("tsunagu-mail", 4),
    ("tsunagu-community", 5),
    ("tsunagu-secretariat", 5),
    ("tsunagu-console", 6),
    ("tsunagu-surveys", 6),
    ("tsunagu-messages", 6),
    ("tsunagu-digest", 7),
    ("tsunagu-events", 7),
    ("tsunagu-demo", 7),
    ("tsunagu-moderation", 7),
    ("tsunagu-insights", 8),
    ("tsunagu-playbooks", 8),
    ("tsunagu-onboarding", 8),
    ("tsunagu-gateway", 9),
    ("tsunagu-testkit", 10),
    ("tsunagu-tests", 11),
    ("tsunagu-bench", 11),
];

#[test]
fn crate_dependencies_point_one_way() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut seen = 0;
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let Some(layer) = layers.get(name) else {
            panic!("workspace crate {name} has no layer: add it to LAYERS and ARCHITECTURE.md");
        };
        seen += 1;
        for dependency in package["dependencies"].as_array().unwrap() {
            let target = dependency["name"].as_str().unwrap();
            // Dev-dependencies are test scaffolding (testkit builds whole apps).
            if dependency["kind"].as_str() == Some("dev") {
                continue;
            }
            if let Some(target_layer) = layers.get(target) {
                assert!(
                    target_layer < layer,
                    "{name} (layer {layer}) depends on {target} (layer {target_layer}); \
                     dependencies must point to lower layers"
                );
            }
        }
    }
    assert_eq!(
        seen,
        LAYERS.len(),
        "every layer's crate is in the workspace"
    );
}
