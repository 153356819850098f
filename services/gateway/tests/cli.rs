//! The `tsunagu` binary as operators meet it: a bad setting stops it with one line that names the
//! variable, and tenant files validate without a database. (Building this test also builds the
//! binary that the benchmark harness's smoke test starts.)

use std::process::Command;

fn tsunagu() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsunagu"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

fn stderr_of(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("the tsunagu binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setting_stops_serve_with_one_line_naming_the_variable() {
    let (ok, stderr) = stderr_of(
        tsunagu()
            .arg("serve")
            .env("DATABASE_URL", "mysql://nope")
            .env("REDIS_URL", "redis://127.0.0.1:6379"),
    );
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: DATABASE_URL: "), "{stderr}");
}

#[test]
fn the_benchmark_rls_bypass_cannot_be_switched_on_in_production() {
    let (ok, stderr) = stderr_of(
        tsunagu()
            .arg("serve")
            .env("DATABASE_URL", "postgres://tsunagu_app@127.0.0.1:1/none")
            .env("REDIS_URL", "redis://127.0.0.1:6379")
            .env("TSUNAGU_ENV", "production")
            .env("TSUNAGU_SECRET_KEY", "0123456789abcdef0123456789abcdef")
            .env("TSUNAGU_BENCH_RLS_BYPASS", "true"),
    );
    assert!(!ok);
    assert!(
        stderr.starts_with("error: TSUNAGU_BENCH_RLS_BYPASS: "),
        "{stderr}"
    );
}

#[test]
fn tenant_check_validates_the_shipped_files_and_names_a_bad_field() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenant-config");
    let output = tsunagu()
        .args(["tenant", "check", shipped])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("tenant file(s) valid"));

    let dir = std::env::temp_dir().join(format!("tsunagu-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.toml");
    std::fs::write(&file, "slug = \"Not A Slug!\"\nname = \"x\"\n").unwrap();
    let (ok, stderr) = stderr_of(tsunagu().args(["tenant", "check"]).arg(&file));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok);
    assert!(stderr.contains("broken.toml"), "{stderr}");
}
