//! CSV import of members: files as Excel writes them (UTF-8 with and without a BOM, CP932 made
//! here with the characters that break naive decoders), broken files refused with a reason and
//! nothing stored, per-row problems in the preview and in the failed-rows report, a run that
//! invites each new person once (importing the same file again creates nothing), the progress of
//! another network not found, and 10,000 rows within a minute.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tsunagu_kernel::Actor;
use tsunagu_testkit::{TestApp, TestClient, Upload};

use crate::identity::{active_member, app, secretariat};
use crate::messages::demo_count;

const HOST: &str = "demo.localhost";

async fn office(app: &TestApp) -> TestClient<'_> {
    secretariat(app, "demo", "office@demo.example.co.jp").await;
    crate::community::signed_in(app, HOST, "office@demo.example.co.jp").await
}

/// Uploads `bytes`; returns the response (a redirect to the preview when the file was read).
async fn upload(
    client: &mut TestClient<'_>,
    name: &str,
    bytes: &[u8],
) -> tsunagu_testkit::TestResponse {
    client
        .post_multipart(
            "/secretariat/import",
            &[],
            &[Upload {
                field: "file",
                filename: name,
                content_type: "text/csv",
                bytes,
            }],
        )
        .await
}

fn import_path(response: &tsunagu_testkit::TestResponse) -> String {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    response.header("location").unwrap().to_owned()
}

/// Starts the import and waits for the run (spawned by the server) to finish.
async fn import(client: &mut TestClient<'_>, path: &str, send: bool) -> String {
    let fields: &[(&str, &str)] = if send {
        &[("send_invitations", "on")]
    } else {
        &[]
    };
    let r = client.post(&format!("{path}/start"), fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let started = Instant::now();
    loop {
        let progress = client.get(&format!("{path}/progress")).await;
        assert_eq!(progress.status, StatusCode::OK);
        if progress.body.contains("取り込みが完了しました") {
            return progress.body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import never finished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_cp932_file_from_excel_keeps_every_character() {
    let app = app().await;
    let mut client = office(&app).await;
    let text = "氏名,フリガナ,メール,入社年,退職年,部署,備考\r\n\
                髙橋 﨑子,タカハシ サキコ,saki@example.jp,2005,2015,営業①課,㈱デモ\r\n\
                山田 太郎,ヤマダ タロウ,taro@example.jp,2010年,2020年,開発部,\r\n";
    let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    // Excel writes ～ (full-width tilde) as 0x8160; append it to the first person's department.
    let mut bytes = encoded.into_owned();
    let at = bytes
        .windows(2)
        .position(|w| w == [0x87, 0x40]) // ①
        .unwrap();
    bytes.splice(at + 2..at + 2, [0x81, 0x60]);
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");

    let path = import_path(&upload(&mut client, "名簿.csv", &bytes).await);
    let preview = client.get(&path).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("Shift_JIS（日本語版Excel）"));
    assert!(preview
        .body
        .contains("<span class=\"stat-value num\" id=\"import-ready\">2</span>"));
    let done = import(&mut client, &path, true).await;
    assert!(
        done.contains("<span class=\"stat-value num\" id=\"import-invited\">2</span>"),
        "{done}"
    );

    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let profile: serde_json::Value = sqlx::query_scalar(
        "select profile from invitations where email_normalized = 'saki@example.jp'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(profile["name_kanji"], "髙橋 﨑子");
    assert_eq!(profile["department"], "営業①～課");
    assert_eq!(profile["joined_year"], 2005);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'invitation'"
        )
        .await,
        2,
        "an invitation email each"
    );

    // The invitation's link opens a join form filled with what the list said.
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let body: String = sqlx::query_scalar(
        "select text_body from email_outbox where to_address = 'saki@example.jp'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let token = body
        .split("invitation=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("a join link");
    let join = app
        .client(HOST)
        .get(&format!("/join?invitation={token}"))
        .await;
    assert_eq!(join.status, StatusCode::OK);
    for value in [
        "value=\"髙橋 﨑子\"",
        "value=\"タカハシ サキコ\"",
        "value=\"2005\"",
        "value=\"営業①～課\"",
    ] {
        assert!(join.body.contains(value), "{value}");
    }
}

#[tokio::test]
async fn utf8_files_import_once_however_often_they_are_sent() {
    let app = app().await;
    let mut client = office(&app).await;
    let tab = "Name\tEmail\tType\tJoined\r\nHanako Sato\thanako@example.jp\talumni\t2001\r\nKen Tanaka\tken@example.jp\temployee\t\r\n";
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(tab.as_bytes());
    let path = import_path(&upload(&mut client, "list.txt", &with_bom).await);
    assert!(client.get(&path).await.body.contains("UTF-8（BOM付き）"));
    let done = import(&mut client, &path, false).await;
    assert!(done.contains("メールは送っていません"));
    assert_eq!(
        demo_count(&app, "select count(*) from invitations").await,
        2
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'invitation'"
        )
        .await,
        0,
        "no email unless asked for"
    );
    assert_eq!(
        demo_count(&app, "select count(*) from invitations where email_normalized = 'ken@example.jp' and kind = 'employee' and sent_count = 0").await,
        1
    );
    // They wait in Invitations, marked as not sent, with "send" rather than "resend".
    let waiting = client.get("/secretariat/invitations").await.body;
    assert_eq!(waiting.matches("未送信").count(), 2);
    assert!(waiting.contains(">送信<span class=\"visually-hidden\">: ken@example.jp</span>"));

    // The same people again, as UTF-8 without a BOM: already invited, nothing to import.
    let again = import_path(
        &upload(
            &mut client,
            "list.csv",
            "氏名,メール\n佐藤 花子,Hanako@Example.jp\n".as_bytes(),
        )
        .await,
    );
    let preview = client.get(&again).await.body;
    assert!(preview.contains("すでに招待済みです"));
    assert!(preview.contains("<span class=\"stat-value num\" id=\"import-ready\">0</span>"));
    let r = client.post(&format!("{again}/start"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    import(&mut client, &again, true).await;
    assert_eq!(
        demo_count(&app, "select count(*) from invitations").await,
        2,
        "nothing new"
    );
}

#[tokio::test]
async fn broken_files_are_refused_with_a_reason_and_nothing_is_stored() {
    let app = app().await;
    let mut client = office(&app).await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    let cases: [(&[u8], &str); 5] = [
        (png, "CSV形式のテキストファイルではありません"),
        (b"", "CSVファイルを選んでください"),
        (
            "foo,bar\n1,2\n".as_bytes(),
            "氏名またはメールの列が見つかりません",
        ),
        ("氏名,メール\n".as_bytes(), "見出し行はありますが"),
        (
            "氏名,メール\n\"佐藤,a@example.jp\n".as_bytes(),
            "CSVとして読み込めませんでした",
        ),
    ];
    for (bytes, message) in cases {
        let r = upload(&mut client, "x.csv", bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    // Over the 5 MB limit, and far over it (50 MB: refused before it is read).
    let mut big = "氏名,メール\n".as_bytes().to_vec();
    big.resize(6 * 1024 * 1024, b'a');
    let r = upload(&mut client, "big.csv", &big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("5MBを超えています"));
    let huge = vec![b'a'; 50 * 1024 * 1024];
    let r = upload(&mut client, "huge.csv", &huge).await;
    assert!(
        r.status == StatusCode::PAYLOAD_TOO_LARGE || r.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        r.status
    );
    assert_eq!(
        demo_count(&app, "select count(*) from member_imports").await,
        0
    );
    assert_eq!(
        demo_count(&app, "select count(*) from invitations").await,
        0
    );
}

#[tokio::test]
async fn row_problems_show_before_and_the_failed_rows_download_after() {
    let app = app().await;
    let mut client = office(&app).await;
    active_member(&app, "demo", "member@example.jp").await;
    let file = "氏名,メール,区分,入社年,退職年\n\
                佐藤 花子,hanako@example.jp,卒業生,2001,2010\n\
                ,noname@example.jp,,,\n\
                田中 健,not-an-address,,,\n\
                佐藤 花子,HANAKO@example.jp,,,\n\
                会員 一郎,member@example.jp,,,\n\
                山本 静,shizuka@example.jp,社長,2020,2010\n";
    let path = import_path(&upload(&mut client, "list.csv", file.as_bytes()).await);
    let preview = client.get(&path).await.body;
    for problem in [
        "氏名がありません",
        "メールアドレスの形式ではありません",
        "前の行と同じアドレスです",
        "すでにメンバーです",
        "区分が不明です",
        "退職年が入社年より前です",
    ] {
        assert!(preview.contains(problem), "{problem}");
    }
    assert!(preview.contains("<span class=\"stat-value num\" id=\"import-ready\">1</span>"));
    assert!(preview.contains("<span class=\"stat-value num\" id=\"import-failed\">4</span>"));

    // The column choices change what is checked: ignore the type column and Shizuka's row
    // keeps only its years problem.
    let r = client
        .post(
            &format!("{path}/mapping"),
            &[
                ("column_0", "name"),
                ("column_1", "email"),
                ("column_2", ""),
                ("column_3", "joined_year"),
                ("column_4", "left_year"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let remapped = client.get(&path).await.body;
    assert!(!remapped.contains("区分が不明です"));

    let done = import(&mut client, &path, false).await;
    assert!(done.contains("取り込めなかった行をダウンロード"));
    let failed = client.get(&format!("{path}/failed.csv")).await;
    assert_eq!(failed.status, StatusCode::OK);
    assert!(failed.body.starts_with('\u{feff}'));
    let lines: Vec<&str> = failed.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 5, "a header and four failed rows: {lines:?}");
    assert!(lines[1].starts_with("2,氏名がありません,"));
    assert!(
        !failed.body.contains("member@example.jp"),
        "skipped rows are not failures"
    );
    assert_eq!(
        demo_count(&app, "select count(*) from invitations").await,
        1
    );
    let log = client.get("/secretariat/audit?area=member").await.body;
    assert!(log.contains("CSVファイルからメンバーを取り込み"));
}

#[tokio::test]
async fn imports_belong_to_their_network_and_their_secretariat() {
    let app = app().await;
    let mut client = office(&app).await;
    let path = import_path(
        &upload(
            &mut client,
            "list.csv",
            "氏名,メール\n佐藤,a@example.jp\n".as_bytes(),
        )
        .await,
    );
    secretariat(&app, "acme", "office@acme.example.com").await;
    let mut acme =
        crate::community::signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    for suffix in ["", "/progress", "/failed.csv"] {
        assert_eq!(
            acme.get(&format!("{path}{suffix}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        acme.post(&format!("{path}/start"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    active_member(&app, "demo", "member@example.jp").await;
    let mut member = crate::community::signed_in(&app, HOST, "member@example.jp").await;
    assert_eq!(member.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        member.get("/secretariat/import").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from member_imports where status = 'preview'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn ten_thousand_rows_import_within_a_minute() {
    let app = app().await;
    let mut client = office(&app).await;
    let mut file = String::from("氏名,フリガナ,メール,入社年,退職年,部署\r\n");
    for n in 0..10_000 {
        let joined = 1990 + n % 30;
        file.push_str(&format!(
            "卒業生 {n},ソツギョウセイ,alumnus{n}@example.jp,{joined},{},部署{}\r\n",
            joined + 1 + n % 10,
            n % 40
        ));
    }
    let path = import_path(&upload(&mut client, "big.csv", file.as_bytes()).await);
    let started = Instant::now();
    import(&mut client, &path, false).await;
    let took = started.elapsed();
    println!("10,000 rows imported in {:.1} s", took.as_secs_f64());
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(
        demo_count(&app, "select count(*) from invitations").await,
        10_000
    );
}
