//! Articles, notifications and images over HTTP: who may write, sanitising, scheduling, covers
//! and profile photos (checked, resized, kept per tenant), and the other tenant's ids.

use axum::http::StatusCode;
use tsunagu_testkit::{MemberFixture, TestApp, TestClient, Upload};
use uuid::Uuid;

use crate::identity::{app, secretariat, PASSWORD};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([20, 120, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn member(app: &TestApp, slug: &str, email: &str, name: &str) -> tsunagu_kernel::MemberId {
    app.create_member(
        slug,
        MemberFixture {
            email,
            password: PASSWORD,
            kind: "alumni",
            role: "member",
            status: "active",
            name,
        },
    )
    .await
}

async fn signed_in<'a>(app: &'a TestApp, host: &str, email: &str) -> TestClient<'a> {
    let mut client = app.client(host);
    assert_eq!(
        client.sign_in(email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    client
}

fn article_id(response: &tsunagu_testkit::TestResponse) -> Uuid {
    let location = response
        .header("location")
        .expect("a redirect to the article");
    location
        .trim_start_matches("/articles/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_secretariat_writes_drafts_and_publishes_articles_with_covers() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let featured = member(&app, "demo", "star@example.jp", "主役 花子").await;
    member(&app, "demo", "reader@example.jp", "読者 一郎").await;
    let mut office = signed_in(&app, "demo.localhost", "office@demo.example.co.jp").await;
    let mut reader = signed_in(&app, "demo.localhost", "reader@example.jp").await;

    // Members cannot write articles.
    assert_eq!(
        reader.get("/articles/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader
            .post_multipart(
                "/articles",
                &[("title", "x"), ("body", "y"), ("status", "publish")],
                &[]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Bad input changes nothing.
    let cover = png(2000, 1000);
    for (fields, files, field) in [
        (
            vec![("title", ""), ("body", "本文"), ("status", "draft")],
            vec![],
            "title",
        ),
        (
            vec![("title", "題"), ("body", ""), ("status", "draft")],
            vec![],
            "body",
        ),
        (
            vec![
                ("title", "題"),
                ("body", "本文"),
                ("status", "schedule"),
                ("publish_at", "2001-01-01T10:00"),
            ],
            vec![],
            "publish_at",
        ),
        (
            vec![("title", "題"), ("body", "本文"), ("status", "draft")],
            vec![Upload {
                field: "cover",
                filename: "x.txt",
                content_type: "text/plain",
                bytes: b"not an image",
            }],
            "cover",
        ),
    ] {
        let response = office.post_multipart("/articles", &fields, &files).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            response.body.contains("field-error"),
            "{field}: a message on the form"
        );
    }
    let too_big = vec![0u8; tsunagu_community::media::MAX_UPLOAD_BYTES + 10];
    let response = office
        .post_multipart(
            "/articles",
            &[("title", "題"), ("body", "本文"), ("status", "draft")],
            &[Upload {
                field: "cover",
                filename: "big.png",
                content_type: "image/png",
                bytes: &too_big,
            }],
        )
        .await;
    assert!(
        response.status == StatusCode::UNPROCESSABLE_ENTITY
            || response.status == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.status
    );
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let saved: i64 = sqlx::query_scalar("select count(*) from articles")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved, 0, "refused forms saved nothing");
    let dir = app
        .state
        .config
        .data_dir
        .join("tenants")
        .join(tenant.to_string())
        .join("covers");
    assert!(
        !dir.exists() || std::fs::read_dir(&dir).unwrap().count() == 0,
        "and stored no file"
    );

    let featured_id = featured.to_string();
    let draft = office
        .post_multipart(
            "/articles",
            &[
                ("title", "アルムナイインタビュー：主役 花子さん"),
                ("summary", "退職後のキャリアについて伺いました。"),
                ("body", "<h2>在籍時のこと</h2><p>営業で学んだことが今も<strong>役立って</strong>います。</p><script>alert(1)</script><p onclick=\"x()\">以上</p>"),
                ("status", "draft"),
                ("featured", &featured_id),
            ],
            &[Upload { field: "cover", filename: "cover.png", content_type: "image/png", bytes: &cover }],
        )
        .await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER, "{}", draft.body);
    let id = article_id(&draft);
    assert_eq!(
        reader.get(&format!("/articles/{id}")).await.status,
        StatusCode::NOT_FOUND,
        "drafts are private"
    );
    assert!(!reader.get("/articles").await.body.contains("主役 花子さん"));

    let page = office.get(&format!("/articles/{id}")).await;
    assert!(
        page.body.contains("<h2>在籍時のこと</h2>")
            && page.body.contains("<strong>役立って</strong>")
    );
    assert!(!page.body.contains("<script>alert(1)</script>") && !page.body.contains("onclick"));
    let cover_response = office.get(&format!("/media/covers/{id}")).await;
    assert_eq!(cover_response.status, StatusCode::OK);
    assert_eq!(cover_response.header("content-type"), Some("image/jpeg"));
    let decoded = image::load_from_memory(&cover_response.bytes).unwrap();
    assert_eq!(decoded.width(), 1600, "resized to fit 1600 wide");

    // Publish: members see it, with the featured member linked, and are notified.
    let published = office
        .post_multipart(
            &format!("/articles/{id}/edit"),
            &[
                ("title", "アルムナイインタビュー：主役 花子さん"),
                ("summary", ""),
                ("body", "<p>本文</p>"),
                ("status", "publish"),
                ("featured", &featured_id),
            ],
            &[],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let page = reader.get(&format!("/articles/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/members/{featured}")) && page.body.contains("主役 花子"));
    let notifications = reader.get("/notifications").await;
    assert!(
        notifications.body.contains("主役 花子さん"),
        "{}",
        notifications.body
    );
    assert_eq!(
        reader.get(&format!("/media/covers/{id}")).await.status,
        StatusCode::OK
    );

    // Comments and likes.
    assert_eq!(
        reader
            .post(&format!("/articles/{id}/comments"), &[("body", "")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        reader
            .post(
                &format!("/articles/{id}/comments"),
                &[("body", "素敵な記事でした")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        reader
            .post(&format!("/articles/{id}/like"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = reader.get(&format!("/articles/{id}")).await;
    assert!(page.body.contains("素敵な記事でした") && page.body.contains("aria-pressed=\"true\""));

    // The other tenant: 404 for everything.
    secretariat(&app, "acme", "office@acme.example.com").await;
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert_eq!(
        acme.get(&format!("/articles/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.get(&format!("/articles/{id}/edit")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.get(&format!("/media/covers/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.post(&format!("/articles/{id}/like"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.post(&format!("/articles/{id}/comments"), &[("body", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let hijack = acme
        .post_multipart(
            &format!("/articles/{id}/edit"),
            &[("title", "乗っ取り"), ("body", "x"), ("status", "draft")],
            &[],
        )
        .await;
    assert_eq!(hijack.status, StatusCode::NOT_FOUND);
    assert!(reader
        .get(&format!("/articles/{id}"))
        .await
        .body
        .contains("アルムナイインタビュー"));
}

#[tokio::test]
async fn scheduled_articles_and_their_notifications_wait_for_their_time() {
    let app = app().await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    member(&app, "acme", "reader@example.org", "Reader").await;
    let mut office = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    let mut reader = signed_in(&app, "acme.localhost", "reader@example.org").await;
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    let at = format!(
        "{:04}-{:02}-{:02}T10:00",
        later.year(),
        u8::from(later.month()),
        later.day()
    );
    let created = office
        .post_multipart(
            "/articles",
            &[
                ("title", "Coming soon"),
                ("body", "Later."),
                ("status", "schedule"),
                ("publish_at", &at),
            ],
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = article_id(&created);
    assert_eq!(
        reader.get(&format!("/articles/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!reader
        .get("/notifications")
        .await
        .body
        .contains("Coming soon"));

    // Time passes.
    let tenant = app.tenant_id("acme").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    sqlx::query("update articles set publish_at = now() - interval '1 minute'")
        .execute(tx.conn())
        .await
        .unwrap();
    sqlx::query("update notifications set created_at = now() - interval '1 minute'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        reader.get(&format!("/articles/{id}")).await.status,
        StatusCode::OK
    );
    assert!(reader
        .get("/notifications")
        .await
        .body
        .contains("Coming soon"));
}

#[tokio::test]
async fn profile_photos_are_checked_resized_and_kept_per_tenant() {
    let app = app().await;
    let owner = member(&app, "demo", "photo@example.jp", "写真 太郎").await;
    member(&app, "demo", "friend@example.jp", "友人 次郎").await;
    let other = member(&app, "acme", "outsider@example.org", "Outsider").await;
    let mut client = signed_in(&app, "demo.localhost", "photo@example.jp").await;

    for (bytes, name, content_type) in [
        (
            b"<svg onload=alert(1)></svg>".to_vec(),
            "x.svg",
            "image/svg+xml",
        ),
        (b"GIF89a".to_vec(), "x.gif", "image/gif"),
        (Vec::new(), "empty.png", "image/png"),
    ] {
        let response = client
            .post_multipart(
                "/profile/photo",
                &[],
                &[Upload {
                    field: "photo",
                    filename: name,
                    content_type,
                    bytes: &bytes,
                }],
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(response.body.contains("field-error"), "{name}");
    }
    let none = client.get(&format!("/media/photos/{owner}")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "no photo yet");

    let photo = png(900, 600);
    let saved = client
        .post_multipart(
            "/profile/photo",
            &[],
            &[Upload {
                field: "photo",
                filename: "me.png",
                content_type: "image/png",
                bytes: &photo,
            }],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut friend = signed_in(&app, "demo.localhost", "friend@example.jp").await;
    let served = friend.get(&format!("/media/photos/{owner}")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    assert!(served
        .header("cache-control")
        .unwrap()
        .starts_with("private"));
    let decoded = image::load_from_memory(&served.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (400, 400));

    // Stored under this tenant's directory.
    let tenant = app.tenant_id("demo").await;
    let dir = app
        .state
        .config
        .data_dir
        .join("tenants")
        .join(tenant.to_string())
        .join("photos");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // Not for visitors, nor for another tenant.
    let mut anonymous = app.client("demo.localhost");
    assert_eq!(
        anonymous
            .get(&format!("/media/photos/{owner}"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let mut outsider = signed_in(&app, "acme.localhost", "outsider@example.org").await;
    assert_eq!(
        outsider.get(&format!("/media/photos/{owner}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        friend.get(&format!("/media/photos/{other}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Replacing and deleting remove the old files.
    client
        .post_multipart(
            "/profile/photo",
            &[],
            &[Upload {
                field: "photo",
                filename: "me2.png",
                content_type: "image/png",
                bytes: &png(500, 500),
            }],
        )
        .await;
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(
        client.post("/profile/photo/delete", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[tokio::test]
async fn comments_and_likes_notify_the_author_with_an_unread_badge() {
    let app = app().await;
    member(&app, "demo", "author@example.jp", "投稿 者").await;
    member(&app, "demo", "fan@example.jp", "ファン 一号").await;
    let mut author = signed_in(&app, "demo.localhost", "author@example.jp").await;
    let mut fan = signed_in(&app, "demo.localhost", "fan@example.jp").await;
    author
        .post("/posts", &[("body", "転職しました"), ("kind", "post")])
        .await;
    let feed = fan.get("/timeline").await;
    let start = feed.body.find("/posts/").unwrap() + 7;
    let post_id = feed.body[start..start + 36].to_owned();
    assert!(
        !author.get("/timeline").await.body.contains("badge-accent"),
        "nothing unread yet"
    );

    fan.post(
        &format!("/posts/{post_id}/comments"),
        &[("body", "おめでとう！")],
    )
    .await;
    fan.post(&format!("/posts/{post_id}/like"), &[]).await;
    let page = author.get("/timeline").await;
    assert!(
        page.body.contains(">2<"),
        "two unread notifications in the header"
    );
    let list = author.get("/notifications").await;
    assert!(list.body.contains("ファン 一号") && list.body.contains("転職しました"));
    assert!(
        !author.get("/timeline").await.body.contains("badge-accent"),
        "read after viewing the list"
    );
    // Acting on one's own post notifies nobody.
    author
        .post(
            &format!("/posts/{post_id}/comments"),
            &[("body", "ありがとう")],
        )
        .await;
    assert!(!author.get("/timeline").await.body.contains("badge-accent"));
}

#[tokio::test]
async fn posts_may_carry_an_image_for_the_tenants_members_only() {
    let app = app().await;
    member(&app, "demo", "poster@example.jp", "画像 投稿").await;
    member(&app, "demo", "viewer@example.jp", "閲覧 者").await;
    member(&app, "acme", "outsider@example.org", "Outsider").await;
    let mut poster = signed_in(&app, "demo.localhost", "poster@example.jp").await;
    let bad = poster
        .post_multipart(
            "/posts",
            &[("body", "写真つき"), ("kind", "post")],
            &[Upload {
                field: "image",
                filename: "x.txt",
                content_type: "text/plain",
                bytes: b"nope",
            }],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !poster.get("/timeline").await.body.contains("写真つき"),
        "nothing posted"
    );
    let ok = poster
        .post_multipart(
            "/posts",
            &[("body", "写真つき"), ("kind", "post")],
            &[Upload {
                field: "image",
                filename: "p.png",
                content_type: "image/png",
                bytes: &png(2400, 1200),
            }],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let mut viewer = signed_in(&app, "demo.localhost", "viewer@example.jp").await;
    let feed = viewer.get("/timeline").await;
    let start =
        feed.body.find("/media/posts/").expect("the image is shown") + "/media/posts/".len();
    let post_id = feed.body[start..start + 36].to_owned();
    let image = viewer.get(&format!("/media/posts/{post_id}")).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image::load_from_memory(&image.bytes).unwrap().width(), 1200);
    let mut outsider = signed_in(&app, "acme.localhost", "outsider@example.org").await;
    assert_eq!(
        outsider
            .get(&format!("/media/posts/{post_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Deleting the post removes its file.
    poster.post(&format!("/posts/{post_id}/delete"), &[]).await;
    let tenant = app.tenant_id("demo").await;
    let dir = app
        .state
        .config
        .data_dir
        .join("tenants")
        .join(tenant.to_string())
        .join("posts");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
