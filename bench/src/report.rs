//! The budget checks and `docs/benchmarks.md`.

use std::fmt::Write as _;

use crate::run::{
    Budget, Comparison, FloodAnswers, NoisyNeighbour, NoisyRound, Report, ScenarioResult,
    NOISY_NEIGHBOUR,
};

fn scenario<'a>(report: &'a Report, key: &str) -> Option<&'a ScenarioResult> {
    report.scenarios.iter().find(|s| s.key == key)
}

fn comparison<'a>(report: &'a Report, key: &str) -> Option<&'a Comparison> {
    report.comparisons.iter().find(|c| c.key == key)
}

/// A ratio from alternating rounds, with how it was measured; the single peaks when the run
/// had no rounds for it (`--only`).
fn paired_ratio(report: &Report, key: &str, first: &str, second: &str) -> (f64, String) {
    let peak = |key: &str| {
        scenario(report, key)
            .map(|s| s.peak_throughput)
            .unwrap_or(0.0)
    };
    let peaks = if peak(second) > 0.0 {
        peak(first) / peak(second)
    } else {
        0.0
    };
    match comparison(report, key) {
        Some(c) if !c.rounds.is_empty() => {
            let (a, b) = c.medians();
            (
                c.ratio(),
                format!(
                    "median of {} alternating closed-loop rounds each ({a:.0} vs {b:.0} req/s), each at \
                     its best concurrency; from the single peaks below: {peaks:.3}",
                    c.rounds.len()
                ),
            )
        }
        _ => (
            peaks,
            "closed-loop peaks (no alternating rounds in this run)".to_owned(),
        ),
    }
}

/// Flooded ÷ quiet p99 of the page measured beside a neighbour's flood. Missed whatever the
/// ratio when the server failed under the flood, or when the measured page failed: a failed
/// answer is fast and would flatter the p99.
fn noisy_neighbour_budget(report: &Report) -> Budget {
    let name = "Timeline p99 under a neighbour's search flood ÷ quiet".to_owned();
    let target = "≤ 1.2".to_owned();
    let Some(n) = noisy_neighbour(report) else {
        return Budget {
            name,
            value: 0.0,
            target,
            pass: false,
            how: "not measured in this run".into(),
        };
    };
    let each = |p99: fn(&NoisyRound) -> f64| {
        n.rounds
            .iter()
            .map(|r| format!("{:.2}", p99(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let answers = &n.flood_answers;
    let mut how = format!(
        "the small tenant's signed-in timeline, open loop at {:.0} req/s (the rate of the large ÷ \
         small pair: {} × the large tenant's timeline peak), while a member of the large tenant \
         sends directory searches of {} distinct kanji on {} connections (closed loop): median of \
         {} rounds each, quiet and flooded in turns: {:.2} ms quiet ({} ms) vs {:.2} ms flooded \
         ({} ms); the flood's answers: {} × 200, {} × 503, {} other",
        n.rate,
        report.settings.open_fraction,
        n.flood_query_chars,
        report.settings.flood_connections,
        n.rounds.len(),
        n.quiet_p99,
        each(|r| r.quiet.latency.p99),
        n.flooded_p99,
        each(|r| r.flooded.latency.p99),
        answers.ok,
        answers.refused,
        answers.other + answers.server_errors
    );
    if answers.server_errors > 0 {
        let _ = write!(
            how,
            "; **{} answers were a 5xx other than 503: the server failed under the flood, so \
             the figure does not count**",
            answers.server_errors
        );
    }
    if n.quiet_errors + n.flooded_errors > 0 {
        let _ = write!(
            how,
            "; **the timeline failed {} times quiet and {} times flooded, so its p99 does not \
             count**",
            n.quiet_errors, n.flooded_errors
        );
    }
    Budget {
        name,
        value: n.ratio,
        target,
        pass: answers.server_errors == 0
            && n.quiet_errors + n.flooded_errors == 0
            && n.ratio > 0.0
            && n.ratio <= 1.2,
        how,
    }
}

fn noisy_neighbour(report: &Report) -> Option<&NoisyNeighbour> {
    report
        .noisy_neighbour
        .as_ref()
        .filter(|n| !n.rounds.is_empty())
}

/// The issue's budget, computed from the run.
pub fn budgets(report: &Report) -> Vec<Budget> {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let mut budgets = Vec::new();
    let (timeline_vs_a, how) =
        paired_ratio(report, "timeline_vs_a", "timeline_large", "fortunes_axum");
    budgets.push(Budget {
        name: "Timeline throughput ÷ baseline (a) throughput".into(),
        value: timeline_vs_a,
        target: "≥ 0.5".into(),
        pass: timeline_vs_a >= 0.5,
        how: format!(
            "signed-in timeline in the large tenant vs Fortunes on axum + sqlx + tera: {how}"
        ),
    });
    let (a_vs_b, how) = paired_ratio(report, "a_vs_b", "fortunes_axum", "fortunes_lean");
    budgets.push(Budget {
        name: "Baseline (a) ÷ baseline (b) throughput".into(),
        value: a_vs_b,
        target: "≥ 0.5".into(),
        pass: a_vs_b >= 0.5,
        how: format!("the two Fortunes servers: {how}"),
    });
    // A p99 from the median of the alternating rounds (each a full open loop at 70% of the
    // peak), with every round's figure and the first single run shown; the single run alone
    // when the run had no rounds (`--only`).
    let p99 = |pair: &str, key: &str| -> (f64, String) {
        let single = scenario(report, key).map(|s| s.open.latency.p99);
        match report.latency_comparisons.iter().find(|c| c.key == pair) {
            Some(c) if !c.rounds.is_empty() => {
                let each: Vec<String> = c
                    .rounds
                    .iter()
                    .map(|r| format!("{:.2} ms (steal {:.1}%)", r.first_p99, r.first_steal))
                    .collect();
                (
                    c.first_p99(),
                    format!(
                        "median of {} open-loop rounds at {:.0} req/s (0.7 × its closed-loop peak), \
                         alternating with the small tenant: {}; the first single run: {:.2} ms",
                        c.rounds.len(),
                        c.rate,
                        each.join(", "),
                        single.unwrap_or(f64::NAN)
                    ),
                )
            }
            _ => (
                single.unwrap_or(f64::INFINITY),
                "one open loop at 0.7 × its closed-loop peak".to_owned(),
            ),
        }
    };
    let (timeline_p99, how) = p99("size_cached", "timeline_large");
    budgets.push(Budget {
        name: "Timeline p99 at 70% of peak (open loop), large tenant".into(),
        value: timeline_p99,
        target: "≤ 25 ms".into(),
        pass: timeline_p99 <= 25.0,
        how: format!("latency from each request's scheduled time; {how}"),
    });
    let (directory_p99, how) = p99("size_directory", "directory_large");
    budgets.push(Budget {
        name: "Directory search p99, large tenant (open loop at 70% of its peak)".into(),
        value: directory_p99,
        target: "≤ 50 ms".into(),
        pass: directory_p99 <= 50.0,
        how: format!("「佐藤」 among 100,000 members, first page of 20; {how}"),
    });
    // Measured only when the run included it (`--only` may leave it out).
    if scenario(report, "workspace_large").is_some() {
        let (workspace_p99, how) = p99("", "workspace_large");
        budgets.push(Budget {
            name: "Secretariat workspace home p99, large tenant (open loop at 70% of its peak)"
                .into(),
            value: workspace_p99,
            target: "≤ 50 ms".into(),
            pass: workspace_p99 <= 50.0,
            how: format!("to-do, a year of daily rollups, four charts; {how}"),
        });
    }
    let (rls, how) = paired_ratio(
        report,
        "rls",
        "timeline_large_uncached",
        "timeline_large_rls_bypassed",
    );
    budgets.push(Budget {
        name: "RLS on ÷ RLS bypassed, timeline throughput".into(),
        value: rls,
        target: "≥ 0.95".into(),
        pass: rls >= 0.95,
        how: format!(
            "large tenant, feed cache off on both servers (a cached page runs no SQL, so RLS is \
             priced where queries run): {how}"
        ),
    });
    let single = |key: &str| scenario(report, key).map(|s| s.open.latency.p50);
    let size = |key: &str, first: &str, second: &str| -> Option<(f64, f64, f64, String)> {
        match report.latency_comparisons.iter().find(|c| c.key == key) {
            Some(c) if !c.rounds.is_empty() => {
                let (a, b) = c.p50s();
                Some((
                    a,
                    b,
                    c.rate,
                    format!("median of {} alternating open-loop rounds", c.rounds.len()),
                ))
            }
            _ => {
                let rate = scenario(report, first)?.open.rate.unwrap_or_default();
                Some((
                    single(first)?,
                    single(second)?,
                    rate,
                    "one open loop each".into(),
                ))
            }
        }
    };
    let (size_ratio, how) = match size("size_cached", "timeline_large", "timeline_small") {
        Some((large, small, rate, method)) => {
            let uncached = size(
                "size_uncached",
                "timeline_large_uncached",
                "timeline_small_uncached",
            )
            .map(|(l, s, r, _)| {
                format!(
                    "; feed cache off, at {r:.0} req/s: {l:.2} ms vs {s:.2} ms ({:.3})",
                    ratio(l, s)
                )
            })
            .unwrap_or_default();
            (
                ratio(large, small),
                format!("{method} at {rate:.0} req/s for both: {large:.2} ms vs {small:.2} ms{uncached}"),
            )
        }
        None => (0.0, "not measured in this run".to_owned()),
    };
    budgets.push(Budget {
        name: "Large ÷ small tenant timeline p50 (same offered rate)".into(),
        value: size_ratio,
        target: "≤ 1.2".into(),
        pass: size_ratio > 0.0 && size_ratio <= 1.2,
        how,
    });
    budgets.push(noisy_neighbour_budget(report));
    if let Some(d) = &report.digest {
        budgets.push(Budget {
            name: "Weekly digest of the large tenant (`tsunagu digest`)".into(),
            value: d.seconds,
            target: "≤ 600 s".into(),
            pass: d.members > 0 && d.seconds <= 600.0,
            how: format!(
                "{} members dealt with, {} emails written, in {:.1} s; peak RSS {:.1} MB",
                d.members, d.emails, d.seconds, d.peak_rss_mb
            ),
        });
    }
    budgets.push(Budget {
        name: "Server peak RSS, with runs at 256 connections".into(),
        value: report.server_peak_rss_mb,
        target: "≤ 150 MB".into(),
        pass: report.server_peak_rss_mb > 0.0 && report.server_peak_rss_mb <= 150.0,
        how: "VmHWM of the `tsunagu serve` process (RLS on) after every scenario".into(),
    });
    budgets
}

fn noisy_neighbour_section(md: &mut String, n: &NoisyNeighbour, report: &Report) {
    let settings = &report.settings;
    let _ = writeln!(md, "\n## Noisy neighbour\n");
    let _ = writeln!(
        md,
        "The small tenant's signed-in timeline, open loop at {:.0} req/s ({} connections, {} s \
         warm-up, {} s measured), in rounds that alternate between a quiet server and one where a \
         member of the large tenant floods it: `GET /members?q=` with {} distinct kanji (U+4E00 \
         up, percent-encoded) on {} connections in a closed loop, from one warm-up before the \
         measured loop until one warm-up after it. The flood is a second load generator on a \
         thread of its own. A 503 is the server turning a search away; another 5xx is a failure. \
         This part alone: `tsunagu-bench run --only {NOISY_NEIGHBOUR}` (it loads \
         `timeline_large` too, for the rate).\n",
        n.rate,
        settings.open_connections,
        settings.warmup_secs,
        settings.open_secs,
        n.flood_query_chars,
        settings.flood_connections
    );
    let _ = writeln!(
        md,
        "| round | quiet p50 | quiet p99 | flooded p50 | flooded p99 | flooded ÷ quiet p99 | timeline errors (quiet, flooded) | flood (req/s) | flood 200 | flood 503 | flood, other 5xx | flood, other | steal (quiet, flooded) |"
    );
    let _ = writeln!(
        md,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (i, r) in n.rounds.iter().enumerate() {
        let (quiet, flooded) = (&r.quiet.latency, &r.flooded.latency);
        let answers = FloodAnswers::of([&r.flood]);
        let _ = writeln!(
            md,
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {}, {} | {:.0} | {} | {} | {} | {} | {:.1}%, {:.1}% |",
            i + 1,
            quiet.p50,
            quiet.p99,
            flooded.p50,
            flooded.p99,
            if quiet.p99 > 0.0 { flooded.p99 / quiet.p99 } else { 0.0 },
            r.quiet.errors,
            r.flooded.errors,
            r.flood.throughput,
            answers.ok,
            answers.refused,
            answers.server_errors,
            answers.other,
            r.quiet_steal,
            r.flooded_steal
        );
    }
    let _ = writeln!(
        md,
        "\nMedian p99: {:.2} ms quiet, {:.2} ms flooded; flooded ÷ quiet {:.3}.",
        n.quiet_p99, n.flooded_p99, n.ratio
    );
    let mut unusual = std::collections::BTreeMap::<String, u64>::new();
    for flood in n.rounds.iter().map(|r| &r.flood) {
        for (status, count) in flood
            .statuses
            .iter()
            .filter(|(s, _)| **s != 200 && **s != 503)
        {
            *unusual.entry(status.to_string()).or_default() += count;
        }
        if flood.transport_errors() > 0 {
            *unusual.entry("no answer".to_owned()).or_default() += flood.transport_errors();
        }
    }
    if !unusual.is_empty() {
        let listed: Vec<String> = unusual
            .iter()
            .map(|(status, count)| format!("{status} × {count}"))
            .collect();
        let _ = writeln!(md, "\nThe flood's other answers: {}.", listed.join(", "));
    }
    if n.flood_answers.server_errors > 0 {
        let _ = writeln!(
            md,
            "\n**Error of this run:** the server answered {} of the flood's searches with a 5xx \
             other than 503, a failure rather than the limit; the figures of this section do not \
             count.",
            n.flood_answers.server_errors
        );
    }
}

fn format_value(budget: &Budget) -> String {
    if budget.target.ends_with("ms") {
        format!("{:.2} ms", budget.value)
    } else if budget.target.ends_with("MB") {
        format!("{:.1} MB", budget.value)
    } else {
        format!("{:.3}", budget.value)
    }
}

fn load_command(
    s: &ScenarioResult,
    connections: usize,
    rate: Option<f64>,
    report: &Report,
) -> String {
    let settings = &report.settings;
    if s.form_posters > 0 {
        return format!(
            "(form POSTs to {} as {} signed-in members, each with its CSRF token: \
             `tsunagu-bench load` sends GETs only, so this scenario runs inside `just bench`)",
            s.path, s.form_posters
        );
    }
    let mut command = format!(
        "tsunagu-bench load --addr 127.0.0.1:<port> --host {} --path '{}'",
        s.host.split(':').next().unwrap_or(&s.host),
        s.path
    );
    if s.signed_in {
        command.push_str(" --cookie '<signed-in session>'");
    }
    let _ = write!(command, " --connections {connections}");
    match rate {
        Some(rate) => {
            let _ = write!(
                command,
                " --rate {rate:.0} --warmup {} --duration {}",
                settings.warmup_secs, settings.open_secs
            );
        }
        None => {
            let _ = write!(
                command,
                " --warmup {} --duration {}",
                settings.warmup_secs, settings.closed_secs
            );
        }
    }
    command
}

/// `docs/benchmarks.md`.
pub fn markdown(report: &Report) -> String {
    let mut md = String::new();
    let m = &report.machine;
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `just bench` (`tsunagu-bench run`) on {} from commit {}; the run took {:.1} min.",
        report.started_at, m.commit, report.minutes
    );
    if report.smoke {
        let _ = writeln!(
            md,
            "\n**Smoke run** (tiny data, debug build, fractions of a second per load): it proves the \
             harness works, its figures mean nothing."
        );
    }
    let _ = writeln!(
        md,
        "\nThe machine is shared and noisy, so the budget is written as ratios between runs made \
         minutes apart in this one run. Findings and what was done about them: \
         [PERFORMANCE.md](PERFORMANCE.md).\n"
    );

    let _ = writeln!(md, "## Budget\n");
    let _ = writeln!(md, "| | measured | target | | how |");
    let _ = writeln!(md, "|---|---:|---|---|---|");
    for b in &report.budgets {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            b.name,
            format_value(b),
            b.target,
            if b.pass { "met" } else { "**missed**" },
            b.how
        );
    }

    let _ = writeln!(md, "\n## Machine\n");
    let _ = writeln!(
        md,
        "- CPU: {} — {} cores visible, {:.1} GiB memory; Linux {}",
        m.cpu, m.cores, m.memory_gib, m.kernel
    );
    let _ = writeln!(md, "- {}; {}; {}", m.postgres, m.redis, m.rustc);
    let _ = writeln!(
        md,
        "- Everything on this one machine: PostgreSQL, Redis, the servers under test and the load \
         generator (one thread, HTTP/1.1 keep-alive) share the cores."
    );
    let _ = writeln!(
        md,
        "- Before the first load, with every server started and idle, the CPUs were {:.0}% busy{}.",
        report.busy_before_percent,
        if report.busy_before_percent > 20.0 {
            " — something else was running, so every figure of this run is low"
        } else {
            ""
        }
    );

    let shape = &report.shape;
    let _ = writeln!(md, "\n## Data\n");
    let _ = writeln!(md, "`tsunagu seed scale {}`", shape.args().join(" "));
    let _ = writeln!(
        md,
        "\n{} tenants in one database: `scale-large` with {} members, {} posts (3 likes each, a \
         comment on every fourth), {} recruitments (3 reactions each), {} articles, an open \
         20-question survey with {} named responses and {} direct conversations of 8 messages \
         (members m1–m20 with 40 more of 30 messages each); {} small tenants \
         with {} members and {} posts each. Loading and `vacuum analyze` took **{:.1} s**{}.",
        shape.tenants,
        shape.large_members,
        shape.large_posts,
        shape.large_recruitments,
        shape.large_articles,
        shape.large_survey_responses,
        shape.large_conversations,
        shape.tenants.saturating_sub(1),
        shape.small_members,
        shape.small_posts,
        report.load_seconds,
        if report.data_reused {
            " (measured when the database was loaded; this run reused it)"
        } else {
            " in this run"
        }
    );

    let settings = &report.settings;
    let _ = writeln!(md, "\n## Method\n");
    let _ = writeln!(
        md,
        "- Servers: the release `tsunagu serve` binary three times — as `tsunagu_app` (RLS \
         applies) as deployed, with the feed cache on; as `tsunagu_app` with the feed cache off \
         (`TSUNAGU_FEED_CACHE=false`: every timeline request reads its posts from PostgreSQL and \
         renders them); and as the bench-only role `tsunagu_bench_rls_bypass` (BYPASSRLS, \
         `TSUNAGU_BENCH_RLS_BYPASS=true`), feed cache off — and the two Fortunes baselines \
         (`tsunagu-bench serve-fortunes --stack axum|lean`). Each has **{} database \
         connections**; all share one Redis. Access logs are off everywhere (`RUST_LOG=warn`); \
         the worker does not run.",
        report.pool
    );
    let _ = writeln!(
        md,
        "- The feed cache keeps each tenant's first timeline page (posts, likers, rendered cards) \
         in the server process and checks it against the tenant's version in Redis, read with \
         the session in the same round trip; a write anywhere in the tenant replaces the version. \
         The scenarios on the first server measure pages as members get them (after the first \
         request the timeline is served from the cache); the feed-cache-off rows give the price \
         of every cache miss, and the churn row the cached timeline while another member keeps \
         liking and unliking (every like makes every replica reload)."
    );
    let _ = writeln!(
        md,
        "- Before loading, each page is fetched once and checked (status 200 and its content: \
         20 posts on a timeline, the title on a recruitment or article, results on a search, 13 rows \
         in Fortunes). Signed-in pages use a session made by signing in through the real form."
    );
    let _ = writeln!(
        md,
        "- Closed loop: {} connections, {} s warm-up then {} s measured, each. Peak = the best of them.",
        settings
            .closed_connections
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        settings.warmup_secs,
        settings.closed_secs
    );
    let _ = writeln!(
        md,
        "- Open loop: {} connections sending on a fixed schedule at {:.0}% of the scenario's peak \
         ({} s warm-up, {} s measured); latency counts from when each request was due, so a stall \
         is charged to every request it delayed. The small tenant's timelines run at the large \
         tenant's rates (cached at the cached one's, uncached at the uncached one's), so they \
         compare at equal load.",
        settings.open_connections,
        settings.open_fraction * 100.0,
        settings.warmup_secs,
        settings.open_secs
    );

    let _ = writeln!(md, "\n## Throughput (closed loop, requests/s)\n");
    let mut header = "| scenario | page | ".to_owned();
    for c in &settings.closed_connections {
        let _ = write!(header, "{c} conns | ");
    }
    header.push_str("peak | errors |");
    let _ = writeln!(md, "{header}");
    let _ = writeln!(
        md,
        "|---|---:|{}---:|---:|",
        "---:|".repeat(settings.closed_connections.len())
    );
    for s in &report.scenarios {
        let mut row = format!("| {} | {:.1} KB | ", s.title, s.page_bytes as f64 / 1000.0);
        for outcome in &s.closed {
            let _ = write!(row, "{:.0} | ", outcome.throughput);
        }
        let errors: u64 = s.closed.iter().map(|o| o.errors).sum();
        let _ = write!(row, "**{:.0}** | {errors} |", s.peak_throughput);
        let _ = writeln!(md, "{row}");
    }

    for s in report
        .scenarios
        .iter()
        .filter(|s| s.churn_writes + s.churn_errors > 0)
    {
        let _ = writeln!(
            md,
            "\n{}: {} likes and unlikes were written (through the form, as another member) while \
             it was loaded, {} failed.",
            s.title, s.churn_writes, s.churn_errors
        );
    }

    let _ = writeln!(md, "\n## Latency (open loop, milliseconds)\n");
    let _ = writeln!(
        md,
        "Steal is the share of the machine's CPU time the hypervisor gave to other virtual \
         machines during the run; whatever was running stalls meanwhile, which shows first in \
         the tail.\n"
    );
    let _ = writeln!(
        md,
        "| scenario | rate (req/s) | p50 | p90 | p99 | p99.9 | max | errors | steal |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in &report.scenarios {
        let l = &s.open.latency;
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.1}% |",
            s.title,
            s.open.rate.unwrap_or_default(),
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max,
            s.open.errors,
            s.steal_percent
        );
    }

    let _ = writeln!(
        md,
        "\n## Where the time goes (CPU per request, open loop)\n"
    );
    let _ = writeln!(
        md,
        "CPU milliseconds per request while the open-loop run above was going on, read from \
         `/proc/<pid>/stat` before and after: the server under test, every PostgreSQL process, \
         Redis, and the load generator. On this machine the cores are shared by all of them, so \
         a page's peak throughput is roughly (cores) ÷ (the sum).\n"
    );
    let _ = writeln!(
        md,
        "| scenario | server | PostgreSQL | Redis | load generator | sum |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for s in &report.scenarios {
        let c = &s.cpu;
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            s.title,
            c.server_ms,
            c.postgres_ms,
            c.redis_ms,
            c.load_generator_ms,
            c.sum()
        );
    }

    let _ = writeln!(md, "\n## Alternating rounds (the budget's ratios)\n");
    let _ = writeln!(
        md,
        "Each pair is loaded in turns, {} s per side and round, each at the concurrency where it \
         peaked above, so that whatever else the shared machine does falls on both sides. The \
         ratio is of the medians.\n",
        settings.round_secs
    );
    let _ = writeln!(
        md,
        "| pair | round | first (req/s) | second (req/s) | ratio |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    let title = |key: &str| {
        scenario(report, key)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    for c in &report.comparisons {
        for (i, (a, b)) in c.rounds.iter().enumerate() {
            let _ = writeln!(
                md,
                "| {} ÷ {} | {} | {a:.0} | {b:.0} | {:.3} |",
                title(&c.first),
                title(&c.second),
                i + 1,
                if *b > 0.0 { a / b } else { 0.0 }
            );
        }
    }
    if !report.latency_comparisons.is_empty() {
        let _ = writeln!(
            md,
            "\nLatency at equal load: open loops of {} s per side and round, at 70% of the large \
             tenant's peak:\n",
            settings.open_secs
        );
        let _ = writeln!(
            md,
            "| pair | rate (req/s) | round | first p50 | second p50 | first p99 | second p99 | steal (first, second) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for c in &report.latency_comparisons {
            for (i, r) in c.rounds.iter().enumerate() {
                let _ = writeln!(
                    md,
                    "| {} ÷ {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1}%, {:.1}% |",
                    title(&c.first),
                    title(&c.second),
                    c.rate,
                    i + 1,
                    r.first_p50,
                    r.second_p50,
                    r.first_p99,
                    r.second_p99,
                    r.first_steal,
                    r.second_steal
                );
            }
        }
    }
    let _ = writeln!(
        md,
        "\nThe two RLS servers run the same binary, pool and queries (every query also filters on \
         `tenant_id` explicitly), both with the feed cache off so that every request runs the \
         timeline's SQL; only the policies are skipped."
    );

    if let Some(n) = noisy_neighbour(report) {
        noisy_neighbour_section(&mut md, n, report);
    }

    if let Some(d) = &report.digest {
        let _ = writeln!(md, "\n## Weekly digest\n");
        let _ = writeln!(
            md,
            "`tsunagu digest --tenant scale-large` (docs/DIGEST.md) as a process of its own, after \
             every other measurement, for a Tuesday of the current week: **{} members** dealt with \
             and **{} emails** written to the outbox in **{:.1} s** ({:.0} members/s), peak resident \
             set (VmHWM) **{:.1} MB**. Its line: `{}`. The emails and delivery rows are removed \
             afterwards, so every run builds the same week.",
            d.members,
            d.emails,
            d.seconds,
            d.members as f64 / d.seconds.max(0.001),
            d.peak_rss_mb,
            d.output
        );
    }

    let _ = writeln!(md, "\n## Memory\n");
    let _ = writeln!(
        md,
        "`tsunagu serve` (RLS on): peak resident set (VmHWM) **{:.1} MB** over the whole run, \
         including the {}-connection runs; {:.1} MB resident at the end.",
        report.server_peak_rss_mb,
        settings
            .closed_connections
            .iter()
            .max()
            .copied()
            .unwrap_or(0),
        report.server_rss_after_mb
    );

    let _ = writeln!(md, "\n## Commands\n");
    let _ = writeln!(
        md,
        "The whole run: `just bench` (it builds `tsunagu` and `tsunagu-bench` in release mode, then runs \
         `target/release/tsunagu-bench run --server target/release/tsunagu --out docs/benchmarks.md`). \
         One figure by hand, against a server you started (ports differ per run):\n"
    );
    let _ = writeln!(md, "```");
    for s in &report.scenarios {
        let peak = s.peak_connections;
        let _ = writeln!(md, "# {}", s.title);
        let _ = writeln!(md, "{}", load_command(s, peak, None, report));
        let _ = writeln!(
            md,
            "{}",
            load_command(s, settings.open_connections, s.open.rate, report)
        );
    }
    let _ = writeln!(md, "```");
    md
}
