//! The settings page over HTTP, and how it coexists with tenant-config files: the secretariat
//! edits branding (with the contrast check), sign-up, switches and email defaults; bad input
//! changes nothing; every save is audited with before and after and reaches the pages at once;
//! `tenant apply` keeps what the app owns (and reports it) while still governing the
//! platform's keys, until `--take-file`; the logo is served to the network's public pages and
//! to no other network.

use axum::http::StatusCode;
use tsunagu_tenancy::config_file::{self, ApplyOptions};
use tsunagu_tenancy::settings::Section;
use tsunagu_testkit::{TestApp, Upload};

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat};
use crate::messages::demo_count;

const HOST: &str = "demo.localhost";

/// One text from a statement run as the system in the demo network.
async fn demo_text(app: &TestApp, sql: &str) -> String {
    crate::messages::demo_value(app, sql).await
}

const BRANDING: &str = "select branding::text from platform.tenants where slug = 'demo'";

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(width, height, image::Rgba([20, 120, 200, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn the_secretariat_edits_settings_and_tenant_apply_keeps_them() {
    let app = app().await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;

    let page = office.get("/secretariat/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"DEMO\""), "{}", page.body);
    assert!(page.body.contains("コントラストチェック"));
    let status = hanako.get("/secretariat/settings").await.status;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);
    let status = hanako
        .post(
            "/secretariat/settings/branding",
            &[
                ("logo_text", "X"),
                ("primary_color", "#000000"),
                ("accent_color", "#000000"),
            ],
        )
        .await
        .status;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);

    // Refused: not a colour; a colour too pale to read. Nothing changes.
    let before = demo_text(&app, BRANDING).await;
    let refused = office
        .post(
            "/secretariat/settings/branding",
            &[
                ("logo_text", "つなぐ"),
                ("primary_color", "red"),
                ("accent_color", "#b45309"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("色を選んでください"));
    let pale = office
        .post(
            "/secretariat/settings/branding",
            &[
                ("logo_text", "つなぐ"),
                ("primary_color", "#f5e663"),
                ("accent_color", "#b45309"),
            ],
        )
        .await;
    assert_eq!(pale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pale.body.contains("薄すぎて読みにくく"), "{}", pale.body);
    assert!(
        pale.body.contains("value=\"つなぐ\""),
        "the form keeps what was typed"
    );
    assert_eq!(demo_text(&app, BRANDING).await, before);

    // Saved: audited with before and after, and on every page at once.
    let saved = office
        .post(
            "/secretariat/settings/branding",
            &[
                ("logo_text", "つなぐ"),
                ("tagline", "元社員と社員の場"),
                ("primary_color", "#0B5394"),
                ("accent_color", "#b45309"),
                ("welcome_title", "おかえりなさい"),
                ("welcome_body", ""),
            ],
        )
        .await;
    assert_eq!(
        saved.header("location"),
        Some("/secretariat/settings?notice=settings_saved#branding")
    );
    let branding = demo_text(&app, BRANDING).await;
    assert!(branding.contains("\"#0b5394\""), "{branding}");
    assert!(hanako.get("/").await.body.contains("おかえりなさい"));
    assert!(hanako.get("/timeline").await.body.contains("つなぐ"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action = 'settings.updated' \
             and details->>'section' = 'branding' and details->'before'->>'logo_text' = 'DEMO' \
             and details->'after'->>'logo_text' = 'つなぐ'"
        )
        .await,
        1
    );
    assert!(office
        .get("/secretariat/settings")
        .await
        .body
        .contains("この画面で保存しました"));

    // Sign-up: domains one per line; a bad one is refused.
    let bad = office
        .post(
            "/secretariat/settings/signup",
            &[
                ("alumni_policy", "invitation_only"),
                ("employee_email_domains", "demo.example.co.jp\nnot a domain"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    office
        .post(
            "/secretariat/settings/signup",
            &[
                ("alumni_policy", "invitation_only"),
                (
                    "employee_email_domains",
                    "demo.example.co.jp\n@Group.Example.org, demo.example.co.jp",
                ),
            ],
        )
        .await;
    assert_eq!(
        demo_text(
            &app,
            "select signup::text from platform.tenants where slug = 'demo'"
        )
        .await,
        r#"{"alumni_policy": "invitation_only", "employee_email_domains": ["demo.example.co.jp", "group.example.org"]}"#
    );

    // Switches: messages off closes them to members at once.
    assert_eq!(hanako.get("/messages").await.status, StatusCode::OK);
    let switches = office
        .post(
            "/secretariat/settings/features",
            &[
                ("events", "on"),
                ("surveys", "on"),
                ("casual_posts", "on"),
                ("profile_stale_after_days", "10"),
            ],
        )
        .await;
    assert_eq!(switches.status, StatusCode::UNPROCESSABLE_ENTITY);
    office
        .post(
            "/secretariat/settings/features",
            &[
                ("events", "on"),
                ("surveys", "on"),
                ("casual_posts", "on"),
                ("profile_stale_after_days", "180"),
            ],
        )
        .await;
    assert_ne!(hanako.get("/messages").await.status, StatusCode::OK);

    // Email defaults: only the category's choices.
    let email = [
        ("messages", "immediately"),
        ("my_posts", "digest"),
        ("recruitments", "off"),
        ("articles", "digest"),
        ("events", "immediately"),
        ("surveys", "immediately"),
    ];
    let mut wrong = email.to_vec();
    wrong.push(("digest", "immediately"));
    assert_eq!(
        office
            .post("/secretariat/settings/email", &wrong)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut right = email.to_vec();
    right.push(("digest", "off"));
    office.post("/secretariat/settings/email", &right).await;
    assert_eq!(
        demo_text(
            &app,
            "select email_defaults->>'recruitments' || '/' || (email_defaults->>'digest') from platform.tenants where slug = 'demo'"
        )
        .await,
        "off/off"
    );

    // Another network is untouched.
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert!(!acme
        .get("/secretariat/settings")
        .await
        .body
        .contains("つなぐ"));

    // tenant apply: the file still governs the platform's keys (the name), keeps the four
    // sections the app now owns, and says which.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tenant-config");
    let mut declarations = config_file::load_declarations(&dir).unwrap();
    for d in &mut declarations {
        if d.slug.as_str() == "demo" {
            d.name = "デモ株式会社（改称）".into();
        }
    }
    let report = config_file::apply_declarations(&app.platform, &declarations)
        .await
        .unwrap();
    let kept: Vec<(String, Section)> = report
        .kept
        .iter()
        .map(|k| (k.slug.clone(), k.section))
        .collect();
    assert_eq!(
        kept,
        vec![
            ("demo".to_owned(), Section::Branding),
            ("demo".to_owned(), Section::Signup),
            ("demo".to_owned(), Section::Features),
            ("demo".to_owned(), Section::EmailDefaults),
        ]
    );
    assert!(demo_text(&app, BRANDING).await.contains("つなぐ"));
    assert_eq!(
        demo_text(
            &app,
            "select name from platform.tenants where slug = 'demo'"
        )
        .await,
        "デモ株式会社（改称）"
    );
    // Applying again changes nothing and still reports the kept sections.
    let again = config_file::apply_declarations(&app.platform, &declarations)
        .await
        .unwrap();
    assert_eq!(
        again.count(config_file::ApplyOutcome::Unchanged),
        again.results.len()
    );
    assert_eq!(again.kept.len(), 4);

    // --take-file hands the sections back to the file.
    let taken = config_file::apply_declarations_with(
        &app.platform,
        &declarations,
        ApplyOptions { take_file: true },
    )
    .await
    .unwrap();
    assert!(taken.kept.is_empty());
    assert!(demo_text(&app, BRANDING).await.contains("\"DEMO\""));
    assert_eq!(
        demo_text(
            &app,
            "select ui_edited::text from platform.tenants where slug = 'demo'"
        )
        .await,
        "{}"
    );
}

#[tokio::test]
async fn the_logo_shows_on_the_networks_pages_and_nowhere_else() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;

    let not_an_image = office
        .post_multipart(
            "/secretariat/settings/logo",
            &[],
            &[Upload {
                field: "logo",
                filename: "logo.png",
                content_type: "image/png",
                bytes: b"not an image",
            }],
        )
        .await;
    assert_eq!(not_an_image.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        not_an_image.body.contains("JPEG・PNG・WebP"),
        "{}",
        not_an_image.body
    );

    let logo = png(1200, 200);
    let uploaded = office
        .post_multipart(
            "/secretariat/settings/logo",
            &[],
            &[Upload {
                field: "logo",
                filename: "logo.png",
                content_type: "image/png",
                bytes: &logo,
            }],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let key = demo_text(
        &app,
        "select branding->>'logo_key' from platform.tenants where slug = 'demo'",
    )
    .await;
    assert!(!key.is_empty());

    // Signed out, on the sign-in page: the header shows it, and it is a PNG that kept its
    // transparency, fitted into 600 × 160.
    let sign_in = app.get(HOST, "/sign-in").await;
    let src = format!("/branding/logo/{key}");
    assert!(
        sign_in.body.contains(&src.replace('/', "&#x2F;")) || sign_in.body.contains(&src),
        "{}",
        sign_in.body
    );
    let served = app.get(HOST, &src).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/png"));
    let decoded = image::load_from_memory(&served.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (600, 100));
    assert!(decoded.color().has_alpha());

    // Not under another network's name, not with another key.
    assert_eq!(
        app.get("acme.localhost", &src).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(HOST, &format!("/branding/logo/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Removed: gone from the header and the file store.
    office
        .post_multipart("/secretariat/settings/logo", &[("remove", "1")], &[])
        .await;
    assert_eq!(app.get(HOST, &src).await.status, StatusCode::NOT_FOUND);
    assert!(!app.get(HOST, "/sign-in").await.body.contains("brand-logo"));
}
