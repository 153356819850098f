//! tenant-config: valid files apply idempotently; an invalid set is refused with file, field and
//! reason, and nothing at all is applied.

use std::path::Path;

use tsunagu_tenancy::config_file::{self, ApplyError, ApplyOutcome};
use tsunagu_testkit::TestApp;

fn repository_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tenant-config")
}

async fn tenant_count(app: &TestApp) -> i64 {
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let n = sqlx::query_scalar("select count(*) from platform.tenants")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test]
async fn repository_files_apply_idempotently() {
    let app = TestApp::spawn().await;
    let first = config_file::apply_path(&app.platform, &repository_config())
        .await
        .unwrap();
    assert_eq!(first.count(ApplyOutcome::Created), 2);

    let second = config_file::apply_path(&app.platform, &repository_config())
        .await
        .unwrap();
    assert_eq!(
        second.count(ApplyOutcome::Unchanged),
        2,
        "{:?}",
        second.results
    );
    assert_eq!(tenant_count(&app).await, 2);

    let demo = {
        let mut tx = app.state.db.begin_platform().await.unwrap();
        let t = tsunagu_tenancy::registry::find_by_slug(&mut tx, "demo")
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        t
    };
    assert_eq!(demo.default_locale, "ja");
    assert_eq!(demo.branding.primary_color, "#1d4e89");
    assert_eq!(
        demo.signup.employee_email_domains,
        vec!["demo.example.co.jp"]
    );

    // A changed file updates only that tenant; the id stays.
    let dir = tempdir();
    for file in ["demo.toml", "acme.toml"] {
        std::fs::copy(repository_config().join(file), dir.join(file)).unwrap();
    }
    let acme = std::fs::read_to_string(dir.join("acme.toml")).unwrap();
    std::fs::write(dir.join("acme.toml"), acme.replace("#0f766e", "#112233")).unwrap();
    let third = config_file::apply_path(&app.platform, &dir).await.unwrap();
    assert_eq!(
        third.results,
        vec![
            ("acme".into(), ApplyOutcome::Updated),
            ("demo".into(), ApplyOutcome::Unchanged)
        ]
    );
    assert_eq!(app.tenant_id("demo").await, demo.id);
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tsunagu-tenant-config-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn an_invalid_file_refuses_the_whole_set_and_names_file_field_and_reason() {
    let app = TestApp::spawn().await;
    let dir = tempdir();
    std::fs::copy(repository_config().join("demo.toml"), dir.join("demo.toml")).unwrap();
    let acme = std::fs::read_to_string(repository_config().join("acme.toml")).unwrap();
    std::fs::write(
        dir.join("acme.toml"),
        acme.replace("#0f766e", "teal")
            .replace("acme.example.com", "not a domain"),
    )
    .unwrap();

    let error = config_file::apply_path(&app.platform, &dir)
        .await
        .unwrap_err();
    let ApplyError::Invalid(errors) = &error else {
        panic!("expected validation errors, got {error}")
    };
    let message = error.to_string();
    assert!(
        message.starts_with("tenant-config refused, nothing was applied"),
        "{message}"
    );
    assert_eq!(errors.len(), 2, "{message}");
    assert!(errors[0].file.ends_with("acme.toml"));
    assert_eq!(errors[0].field, "branding.primary_color");
    assert!(
        errors[0].reason.contains("\"teal\" is not a colour"),
        "{message}"
    );
    assert_eq!(errors[1].field, "signup.employee_email_domains[0]");
    assert_eq!(
        tenant_count(&app).await,
        0,
        "the valid demo.toml must not be applied either"
    );

    // Unknown keys and broken syntax are refused with a line number.
    std::fs::write(
        dir.join("acme.toml"),
        acme.replace("[features]", "[features]\nteleport = true"),
    )
    .unwrap();
    let message = config_file::apply_path(&app.platform, &dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("acme.toml: line ") && message.contains("teleport"),
        "{message}"
    );
    std::fs::write(dir.join("acme.toml"), "slug = \"acme\"\nname = ").unwrap();
    let message = config_file::apply_path(&app.platform, &dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("acme.toml: line 2"), "{message}");
    assert_eq!(tenant_count(&app).await, 0);

    // Two files declaring the same slug.
    std::fs::write(dir.join("acme.toml"), acme).unwrap();
    let copy = std::fs::read_to_string(dir.join("demo.toml")).unwrap();
    std::fs::write(dir.join("demo-copy.toml"), copy).unwrap();
    let message = config_file::apply_path(&app.platform, &dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("demo-copy.toml: slug:"), "{message}");
    assert_eq!(tenant_count(&app).await, 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_repository_file_is_valid() {
    let declarations = config_file::load_declarations(&repository_config())
        .unwrap_or_else(|errors| panic!("{}", ApplyError::Invalid(errors)));
    let slugs: Vec<&str> = declarations.iter().map(|d| d.slug.as_str()).collect();
    assert!(slugs.contains(&"demo") && slugs.contains(&"acme"));
}

/// docs/adr/0005: a network that no file declares (self-serve, or created in the database) is
/// never touched by `tenant apply`; a file that later declares its slug adopts it (same id),
/// keeping what was set in the app.
#[tokio::test]
async fn apply_leaves_undeclared_networks_alone_and_adopts_them_by_slug() {
    let app = TestApp::spawn().await;
    config_file::apply_path(&app.platform, &repository_config())
        .await
        .unwrap();
    let mut tx = app.platform.begin_platform().await.unwrap();
    let id: uuid::Uuid = sqlx::query_scalar(
        "insert into platform.tenants (id, slug, name, status, default_locale, plan) \
         values (gen_random_uuid(), 'selfserve', 'Self Serve KK', 'active', 'ja', 'free') \
         returning id",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    sqlx::query(
        "update platform.tenants set plan = 'standard', \
           ui_edited = ui_edited || jsonb_build_object('plan', now()::text) where id = $1",
    )
    .bind(id)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let row = |app: &TestApp| {
        let platform = app.platform.clone();
        async move {
            let mut tx = platform.begin_platform().await.unwrap();
            let row: (uuid::Uuid, String, String) = sqlx::query_as(
                "select id, name, plan from platform.tenants where slug = 'selfserve'",
            )
            .fetch_one(tx.conn())
            .await
            .unwrap();
            tx.commit().await.unwrap();
            row
        }
    };
    // The repository's files again: the undeclared network is as it was.
    config_file::apply_path(&app.platform, &repository_config())
        .await
        .unwrap();
    assert_eq!(
        row(&app).await,
        (id, "Self Serve KK".to_owned(), "standard".to_owned())
    );
    // A file declaring its slug adopts it: same id, the file's name, the plan set in the app kept.
    let text = "slug = \"selfserve\"\nname = \"Self Serve (managed)\"\ndefault_locale = \"ja\"\n\
                plan = \"free\"\n[branding]\nprimary_color = \"#123456\"\naccent_color = \"#abcdef\"\n\
                logo_text = \"SS\"\n";
    let declaration =
        config_file::parse_tenant_file(Path::new("selfserve.toml"), text).expect("valid");
    config_file::apply_declarations(&app.platform, &[declaration])
        .await
        .unwrap();
    assert_eq!(
        row(&app).await,
        (id, "Self Serve (managed)".to_owned(), "standard".to_owned())
    );
}
