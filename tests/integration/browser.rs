//! Browser journeys in headless Chromium (tests/browser/*.test.mjs, driven by playwright-core)
//! against a real server on a free port, over a fresh database with the demo tenants and content.
//! Later features add their journeys as more `*.test.mjs` files; this test runs them all.

use std::path::PathBuf;
use std::process::Command;

use tsunagu_testkit::TestApp;

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
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    tsunagu_gateway::seed::seed_demo(&app.state.db)
        .await
        .unwrap();
    tsunagu_gateway::seed::seed_demo_accounts(&app.state.db)
        .await
        .unwrap();
    tsunagu_gateway::seed::seed_demo_community(&app.state.db)
        .await
        .unwrap();
    let server = app.serve().await;

    let mut files: Vec<String> = std::fs::read_dir(root.join("tests/browser"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
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
