//! Browser journeys in headless Chromium (tests/browser/*.test.mjs, driven by playwright-core)
//! against a real server on a free port, over a fresh database with the demo tenants and content.
//! Later features add their journeys as more `*.test.mjs` files; this test runs them all.

use std::path::PathBuf;
use std::process::Command;

use tsunagu_testkit::{loopback_listener, TestApp};

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_journeys_pass_in_headless_chromium() {
    let root = repository_root();
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "browser test dependencies are missing: run `npm ci` in tests/browser (just test does)"
    );
    // Emailed links (followed from /_dev/mail) lead to the configured public origin, so the app
    // must know the port it will be served on.
    let listener = loopback_listener().await;
    let public_port = listener.local_addr().unwrap().port().to_string();
    // Billing talks to the stand-in Stripe, which delivers its webhooks to this server.
    let stripe = tsunagu_testkit::stripe_standin::StripeStandIn::start().await;
    let stripe_config = stripe.config();
    let mut overrides = vec![("TSUNAGU_PUBLIC_PORT", public_port.as_str())];
    overrides.extend(stripe_config.iter().map(|(k, v)| (*k, v.as_str())));
    let app = TestApp::spawn_with(&overrides).await;
    app.apply_repository_tenants().await;
    app.seed_demo_network().await;
    // The secretariat's dashboard shows the worker's rollups: write them as its first run would.
    tsunagu_insights::rollup::run(&app.state.db, time::OffsetDateTime::now_utc(), None)
        .await
        .unwrap();
    let server = app.serve_on(listener).await;
    stripe.deliver_to(server.port);

    let mut files: Vec<String> = std::fs::read_dir(root.join("tests/browser"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        // `TSUNAGU_BROWSER_ONLY=support` runs the journeys whose file name contains it (while
        // working on one; `just test` runs them all).
        .filter(|name| {
            std::env::var("TSUNAGU_BROWSER_ONLY").map_or(true, |only| name.contains(&only))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());

    let port = server.port.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("--test")
            .arg("--test-concurrency=1")
            .args(files.iter().map(|f| format!("tests/browser/{f}")))
            .current_dir(&root)
            .env("TSUNAGU_TEST_PORT", port)
            .output()
    })
    .await
    .unwrap()
    .expect("node is needed for the browser tests (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser journeys failed:\n{stdout}\n{stderr}"
    );
    drop(server);
}
