//! A tiny-data run of the whole harness (`tsunagu-bench run --smoke`), so `just bench` cannot rot:
//! database, servers (the debug `tsunagu` binary built for this test run), sign-in, page checks,
//! closed and open loads, the RLS rounds, the noisy-neighbour rounds, the budget and both reports.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_harness_runs_end_to_end_on_tiny_data() {
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_tsunagu-bench"));
    let server = bench.with_file_name("tsunagu");
    assert!(
        server.is_file(),
        "{} is missing: `cargo test --workspace` builds it (the gateway has CLI tests)",
        server.display()
    );
    let dir = std::env::temp_dir().join(format!("tsunagu-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let markdown = dir.join("benchmarks.md");
    let json = dir.join("benchmarks.json");
    let output = Command::new(&bench)
        .arg("run")
        .arg("--smoke")
        .arg("--pool")
        .arg("4")
        .arg("--server")
        .arg(&server)
        .arg("--out")
        .arg(&markdown)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the smoke run failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    let keys: Vec<&str> = scenarios
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    for key in [
        "fortunes_lean",
        "fortunes_axum",
        "landing_large",
        "timeline_large",
        "recruitment_large",
        "article_large",
        "directory_large",
        "timeline_large_uncached",
        "timeline_large_rls_bypassed",
        "timeline_large_churn",
        "survey_results_large",
        "survey_answer_large",
        "messages_large",
        "conversation_large",
        "workspace_large",
        "events_large",
        "event_large",
        "landing_small",
        "timeline_small",
        "timeline_small_uncached",
        "recruitment_small",
        "article_small",
        "directory_small",
    ] {
        assert!(keys.contains(&key), "scenario {key} is missing: {keys:?}");
    }
    for scenario in scenarios {
        let key = scenario["key"].as_str().unwrap();
        assert!(scenario["peak_throughput"].as_f64().unwrap() > 0.0, "{key}");
        assert!(scenario["open"]["requests"].as_u64().unwrap() > 0, "{key}");
        for outcome in scenario["closed"]
            .as_array()
            .unwrap()
            .iter()
            .chain([&scenario["open"]])
        {
            assert_eq!(
                outcome["errors"], 0,
                "{key}: every answer is a 2xx (the form's 303 for a submission)"
            );
        }
    }
    let churn = scenarios
        .iter()
        .find(|s| s["key"] == "timeline_large_churn")
        .unwrap();
    assert!(
        churn["churn_writes"].as_u64().unwrap() > 0 && churn["churn_errors"] == 0,
        "the churn scenario's likes went through: {churn}"
    );
    let latency = report["latency_comparisons"].as_array().unwrap();
    for key in ["size_cached", "size_uncached", "size_directory"] {
        let pair = latency.iter().find(|c| c["key"] == key).unwrap();
        assert!(
            pair["rounds"][0]["first_p50"].as_f64().unwrap() > 0.0
                && pair["rounds"][0]["second_p50"].as_f64().unwrap() > 0.0,
            "{key}: {pair}"
        );
    }
    let noisy = &report["noisy_neighbour"];
    let round = &noisy["rounds"][0];
    assert!(
        round["quiet"]["requests"].as_u64().unwrap() > 0
            && round["flooded"]["requests"].as_u64().unwrap() > 0
            && noisy["quiet_errors"] == 0
            && noisy["flooded_errors"] == 0,
        "the measured timeline answered in both kinds of round: {noisy}"
    );
    // Whether a search is answered within a smoke round's fraction of a second depends on the
    // machine; when one is, it must not be a failure.
    let flood = &noisy["flood_answers"];
    assert!(
        flood["server_errors"] == 0,
        "the flood's searches were answered 200 or 503, never another 5xx: {flood}"
    );
    let budgets = report["budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), 10);
    assert!(
        budgets.iter().any(|b| b["name"]
            .as_str()
            .unwrap()
            .starts_with("Secretariat workspace home p99")),
        "the dashboard's budget is checked"
    );
    // The weekly digest of the smoke shape's large tenant: every member dealt with, in one run.
    let digest = &report["digest"];
    assert_eq!(digest["members"].as_u64(), Some(300), "{digest}");
    assert!(digest["emails"].as_u64().unwrap() > 0, "{digest}");
    assert!(digest["peak_rss_mb"].as_f64().unwrap() > 1.0, "{digest}");
    assert!(report["server_peak_rss_mb"].as_f64().unwrap() > 1.0);
    let comparisons = report["comparisons"].as_array().unwrap();
    for key in ["timeline_vs_a", "a_vs_b", "rls"] {
        let pair = comparisons.iter().find(|c| c["key"] == key).unwrap();
        let round = &pair["rounds"][0];
        assert!(
            round[0].as_f64().unwrap() > 0.0 && round[1].as_f64().unwrap() > 0.0,
            "{key}: {pair}"
        );
    }

    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(text.contains("**Smoke run**"));
    assert!(text.contains("## Budget"));
    assert!(text.contains("Signed-in timeline, large tenant, feed cache off, RLS bypassed"));
    assert!(text.contains("likes and unlikes were written"));
    assert!(text.contains("## Noisy neighbour"));
    assert!(text.contains("## Weekly digest"));
    std::fs::remove_dir_all(&dir).unwrap();
}
