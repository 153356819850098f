//! Events over HTTP: the secretariat creates one (bad forms refused with a message and nothing
//! stored), members answer, a full event puts "going" on the waitlist and a freed place promotes
//! the first in line, the join URL is for confirmed attendees only, the calendar file parses with
//! a real iCalendar parser, organisers check attendees in and export them; nobody else edits,
//! and another network reaches nothing. Parallel answers for the last places never overbook.

use axum::http::StatusCode;
use time::{Duration, OffsetDateTime};
use tsunagu_kernel::Actor;
use tsunagu_testkit::{SmtpSink, TestClient};
use tsunagu_web::dates::{self, Zone};

use crate::community::{member, signed_in};
use crate::digest::exec;
use crate::identity::{app, secretariat};
use crate::messages::demo_count;

const HOST: &str = "demo.localhost";

fn local(at: OffsetDateTime) -> String {
    dates::input_value(at, Zone::JAPAN)
}

/// A valid event form starting `days` from now, two hours long.
pub(crate) fn event_form(
    title: &str,
    days: i64,
    capacity: &str,
    guests: &str,
) -> Vec<(&'static str, String)> {
    let start = OffsetDateTime::now_utc() + Duration::days(days);
    vec![
        ("title", title.to_owned()),
        (
            "description",
            "卒業生と社員の交流会です。\n\nお気軽にどうぞ。".to_owned(),
        ),
        ("starts_at", local(start)),
        ("ends_at", local(start + Duration::hours(2))),
        ("format", "hybrid".to_owned()),
        ("venue_name", "本社 10階ホール".to_owned()),
        ("venue_address", "東京都千代田区丸の内1-1-1".to_owned()),
        (
            "join_url",
            "https://meet.example.com/reunion-2027".to_owned(),
        ),
        ("capacity", capacity.to_owned()),
        ("guests_allowed", guests.to_owned()),
        ("rsvp_deadline", String::new()),
        ("audience", "everyone".to_owned()),
    ]
}

pub(crate) async fn post_form(
    client: &mut TestClient<'_>,
    path: &str,
    fields: &[(&'static str, String)],
) -> tsunagu_testkit::TestResponse {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(path, &borrowed).await
}

pub(crate) fn with(
    fields: &[(&'static str, String)],
    key: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == key {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

pub(crate) fn event_path(response: &tsunagu_testkit::TestResponse) -> String {
    let location = response
        .header("location")
        .unwrap_or_else(|| panic!("a redirect, not {}: {}", response.status, response.body));
    location.split('?').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_event_from_creation_to_check_in() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let hanako = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let ken = member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    member(&app, "demo", "yui@example.jp", "鈴木 結衣", "alumni").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;

    // Refused forms say why and store nothing.
    let good = event_form("新年の同窓会", 30, "3", "1");
    let start = OffsetDateTime::now_utc() + Duration::days(30);
    for (field, value, message) in [
        (
            "ends_at",
            local(start - Duration::hours(1)),
            "終了は開始より後にしてください。",
        ),
        (
            "capacity",
            "0".to_owned(),
            "定員は1以上の整数で入力してください",
        ),
        (
            "guests_allowed",
            "4".to_owned(),
            "同伴者は0〜3人の範囲で入力してください。",
        ),
        (
            "join_url",
            "javascript:alert(1)".to_owned(),
            "から始まるURLを入力してください。",
        ),
        ("title", String::new(), "field-error"),
    ] {
        office.get("/events/new").await;
        let refused = post_form(&mut office, "/events", &with(&good, field, &value)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(refused.body.contains(message), "{field}: {}", refused.body);
    }
    assert_eq!(demo_count(&app, "select count(*) from events").await, 0);

    office.get("/events/new").await;
    let created = post_form(&mut office, "/events", &good).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = event_path(&created);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from events where status = 'published' and not member_started"
        )
        .await,
        1
    );

    // Hanako comes with a guest (2 of 3 places); the join URL is hers once confirmed.
    let mut hanako_client = signed_in(&app, HOST, "hanako@example.jp").await;
    let before = hanako_client.get(&path).await;
    assert!(before.body.contains("新年の同窓会"));
    assert!(
        !before.body.contains("meet.example.com"),
        "not before she is going"
    );
    assert!(
        before.body.contains("google.com&#x2F;maps&#x2F;search"),
        "a map link"
    );
    let too_many = hanako_client
        .post(
            &format!("{path}/rsvp"),
            &[("status", "going"), ("guests", "2")],
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_many.body.contains("同伴者の人数が多すぎます"));
    let going = hanako_client
        .post(
            &format!("{path}/rsvp"),
            &[
                ("status", "going"),
                ("guests", "1"),
                ("guest_names", "佐藤 一郎"),
            ],
        )
        .await;
    assert_eq!(going.status, StatusCode::SEE_OTHER);
    assert!(going
        .header("location")
        .unwrap()
        .contains("notice=rsvp_going"));
    let page = hanako_client.get(&path).await;
    assert!(page.body.contains("meet.example.com&#x2F;reunion-2027"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'event_confirmed'"
        )
        .await,
        1
    );
    // Her confirmation carries the event as a calendar invitation, through a real SMTP server.
    let sink = SmtpSink::start();
    app.deliver_mail(&sink).await;
    let confirmation = &sink.to("hanako@example.jp")[0];
    assert!(
        confirmation.subject.contains("新年の同窓会"),
        "{}",
        confirmation.subject
    );
    assert!(!confirmation.html.is_empty() && !confirmation.text.is_empty());
    let attached = &confirmation.attachments[0];
    assert_eq!(attached.filename, "event.ics");
    assert!(
        attached.content_type.contains("text/calendar")
            && attached.content_type.contains("method=\"REQUEST\""),
        "{}",
        attached.content_type
    );
    let invitation = parse_ics(&attached.content);
    assert_eq!(invitation["method"], "REQUEST");
    assert_eq!(invitation["summary"], "新年の同窓会");

    // Ken takes the last place; Yui finds it full and waits (htmx answers in place).
    let mut ken_client = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    ken_client
        .post(&format!("{path}/rsvp"), &[("status", "going")])
        .await;
    let mut yui = signed_in(&app, HOST, "yui@example.jp").await;
    assert!(yui.get(&path).await.body.contains("キャンセル待ちに登録"));
    let waiting = yui
        .post_htmx(&format!("{path}/rsvp"), &[("status", "going")])
        .await;
    assert_eq!(waiting.status, StatusCode::OK);
    assert!(
        waiting.body.contains("id=\"rsvp\""),
        "a fragment: {}",
        waiting.body
    );
    assert!(waiting.body.contains("キャンセル待ち"));
    assert!(!waiting.body.contains("<html"), "only the answer box");
    assert!(!yui.get(&path).await.body.contains("meet.example.com"));

    // Ken gives his place back: Yui is promoted, told in the app and by email.
    ken_client
        .post(&format!("{path}/rsvp"), &[("status", "not_going")])
        .await;
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where status = 'going'"
        )
        .await,
        2
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'event_promoted'"
        )
        .await,
        1
    );
    assert_eq!(
        demo_count(&app, "select count(*) from email_outbox where kind = 'event_promoted' and to_address = 'yui@example.jp'").await,
        1
    );
    assert!(yui.get(&path).await.body.contains("meet.example.com"));

    // The calendar file parses with a real iCalendar parser, in the network's time zone.
    let ics = hanako_client.get(&format!("{path}/calendar.ics")).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    let parsed = parse_ics(&ics.body);
    assert_eq!(parsed["summary"], "新年の同窓会");
    assert_eq!(parsed["tzid"], "Asia/Tokyo");
    assert_eq!(parsed["sequence"], "0");
    assert!(parsed["uid"].starts_with(&path.trim_start_matches("/events/").to_string()));
    let to_the_minute = start
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    assert_eq!(
        parsed["start_utc"],
        to_the_minute.unix_timestamp().to_string()
    );

    // Moving it raises SEQUENCE (same UID) and tells those going; a member cannot edit it.
    let later = with(&good, "starts_at", &local(start + Duration::days(1)));
    let later = with(
        &later,
        "ends_at",
        &local(start + Duration::days(1) + Duration::hours(3)),
    );
    let mut hanako_edit = hanako_client.get(&format!("{path}/edit")).await;
    assert_eq!(hanako_edit.status, StatusCode::FORBIDDEN);
    hanako_edit = post_form(&mut hanako_client, &format!("{path}/edit"), &later).await;
    assert_eq!(hanako_edit.status, StatusCode::FORBIDDEN);
    let moved = post_form(&mut office, &format!("{path}/edit"), &later).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let reparsed = parse_ics(
        &hanako_client
            .get(&format!("{path}/calendar.ics"))
            .await
            .body,
    );
    assert_eq!(reparsed["sequence"], "1");
    assert_eq!(reparsed["uid"], parsed["uid"]);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'event_changed'"
        )
        .await,
        2,
        "Hanako and Yui, who hold places"
    );

    // The organiser's list: check-in from a phone, export for Excel.
    let attendees = office.get(&format!("{path}/attendees")).await;
    assert_eq!(attendees.status, StatusCode::OK);
    assert!(attendees.body.contains("佐藤 花子") && attendees.body.contains("鈴木 結衣"));
    assert_eq!(
        hanako_client.get(&format!("{path}/attendees")).await.status,
        StatusCode::FORBIDDEN
    );
    let checked = office
        .post(
            &format!("{path}/attendees/{hanako}/check-in"),
            &[("came", "1")],
        )
        .await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where checked_in_at is not null"
        )
        .await,
        1
    );
    assert_eq!(
        office
            .post(
                &format!("{path}/attendees/{ken}/check-in"),
                &[("came", "1")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND,
        "only a confirmed attendee is checked in"
    );
    let csv = office.get(&format!("{path}/attendees.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(csv.body.contains("氏名,ふりがな,メールアドレス"));
    assert!(csv.body.contains("佐藤 花子") && csv.body.contains("佐藤 一郎"));

    // After the deadline nobody answers.
    let deadline = with(
        &later,
        "rsvp_deadline",
        &local(OffsetDateTime::now_utc() - Duration::hours(1)),
    );
    post_form(&mut office, &format!("{path}/edit"), &deadline).await;
    let late = ken_client
        .post(&format!("{path}/rsvp"), &[("status", "going")])
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("出欠の受付は終了しています。"));

    // Another network reaches none of it.
    let mut sam = signed_in(&app, "acme.localhost", "sam@example.org").await;
    for suffix in ["", "/edit", "/attendees", "/attendees.csv", "/calendar.ics"] {
        assert_eq!(
            sam.get(&format!("{path}{suffix}")).await.status,
            StatusCode::NOT_FOUND,
            "{suffix}"
        );
    }
    for (suffix, fields) in [
        ("/rsvp", vec![("status", "going")]),
        ("/comments", vec![("body", "こんにちは")]),
        ("/cancel", vec![]),
        ("/survey", vec![]),
        ("/edit", vec![("title", "乗っ取り")]),
    ] {
        assert_eq!(
            sam.post(&format!("{path}{suffix}"), &fields).await.status,
            StatusCode::NOT_FOUND,
            "{suffix}"
        );
    }
    assert!(!sam.get("/events").await.body.contains("新年の同窓会"));

    // Cancelling tells everyone holding a place, and the calendar file says CANCEL.
    let cancelled = office.post(&format!("{path}/cancel"), &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'event_cancelled'"
        )
        .await,
        2
    );
    app.deliver_mail(&sink).await;
    let notice = sink
        .to("yui@example.jp")
        .into_iter()
        .find(|m| m.subject.contains("中止"))
        .expect("Yui is told of the cancellation");
    let removal = parse_ics(&notice.attachments[0].content);
    assert_eq!(removal["method"], "CANCEL");
    assert_eq!(
        removal["uid"], parsed["uid"],
        "the same calendar entry is withdrawn"
    );
    let withdrawn = parse_ics(
        &hanako_client
            .get(&format!("{path}/calendar.ics"))
            .await
            .body,
    );
    assert_eq!(withdrawn["method"], "CANCEL");
    assert_eq!(withdrawn["status"], "CANCELLED");
    assert_eq!(
        withdrawn["sequence"], "3",
        "created 0, moved 1, deadline set 2, cancelled 3: {withdrawn:?}"
    );
}

/// Reads a calendar file with Python's `icalendar` package (a real parser, not our own) and
/// returns the fields the tests look at.
fn parse_ics(text: &str) -> std::collections::HashMap<String, String> {
    let script = r#"
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
ev = [c for c in cal.walk("VEVENT")][0]
start = ev.decoded("DTSTART")
print(json.dumps({
  "method": str(cal.get("METHOD")),
  "summary": str(ev.get("SUMMARY")),
  "uid": str(ev.get("UID")),
  "sequence": str(ev.get("SEQUENCE")),
  "status": str(ev.get("STATUS")),
  "tzid": str(ev.get("DTSTART").params.get("TZID")),
  "start_utc": str(int(start.timestamp())),
  "location": str(ev.get("LOCATION")),
}))
"#;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with icalendar (just test installs it)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the iCalendar parser refused the file: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn parallel_answers_for_the_last_places_never_overbook() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    office.get("/events/new").await;
    let created = post_form(&mut office, "/events", &event_form("勉強会", 7, "5", "0")).await;
    let path = event_path(&created);
    let mut clients = Vec::new();
    for i in 0..20 {
        member(
            &app,
            "demo",
            &format!("p{i}@example.jp"),
            &format!("参加 {i}"),
            "alumni",
        )
        .await;
        clients.push(signed_in(&app, HOST, &format!("p{i}@example.jp")).await);
    }
    let rsvp = format!("{path}/rsvp");
    let answers = futures_util::future::join_all(
        clients
            .iter_mut()
            .map(|c| c.post(&rsvp, &[("status", "going")])),
    )
    .await;
    assert!(answers.iter().all(|a| a.status == StatusCode::SEE_OTHER));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where status = 'going'"
        )
        .await,
        5
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where status = 'waitlisted'"
        )
        .await,
        15
    );
    // One of the five gives the place back: exactly one is promoted, the first in line.
    let first_waiting = demo_count(
        &app,
        "select count(*) from event_rsvps r join members m on m.id = r.member_id \
         where r.status = 'waitlisted' and r.waitlisted_at = \
           (select min(waitlisted_at) from event_rsvps where status = 'waitlisted')",
    )
    .await;
    assert!(first_waiting >= 1);
    let holder = answers
        .iter()
        .position(|a| a.header("location").unwrap().contains("rsvp_going"))
        .unwrap();
    clients[holder]
        .post(&rsvp, &[("status", "not_going")])
        .await;
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where status = 'going'"
        )
        .await,
        5
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from event_rsvps where status = 'waitlisted'"
        )
        .await,
        14
    );
}

#[tokio::test]
async fn members_create_their_own_events_where_the_network_allows() {
    let app = app().await;
    member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    assert!(ken
        .get("/events")
        .await
        .body
        .contains("href=\"/events/new\""));
    ken.get("/events/new").await;
    let mut study = event_form("金曜の勉強会", 3, "", "0");
    study = with(&study, "format", "offline");
    let created = post_form(&mut ken, "/events", &study).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = event_path(&created);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from events where member_started and join_url = ''"
        )
        .await,
        1,
        "member-started, and an offline event keeps no join URL"
    );
    // He organises it; Hanako sees and answers it but has no organiser tools.
    assert!(ken
        .get(&path)
        .await
        .body
        .contains(&format!("{path}/attendees")));
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    let page = hanako.get(&path).await;
    assert!(page.body.contains("金曜の勉強会"));
    assert!(!page.body.contains(&format!("{path}/attendees")));
    assert_eq!(
        hanako.post(&format!("{path}/cancel"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hanako.post(&format!("{path}/approve"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(hanako
        .get("/events?show=upcoming")
        .await
        .body
        .contains("金曜の勉強会"));

    // Comments: Hanako asks, Ken (the organiser) is told; an empty comment is refused.
    let empty = hanako
        .post(&format!("{path}/comments"), &[("body", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("field-error"));
    let asked = hanako
        .post(
            &format!("{path}/comments"),
            &[("body", "初参加でも大丈夫ですか？")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert!(hanako
        .get(&path)
        .await
        .body
        .contains("初参加でも大丈夫ですか？"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'event_commented'"
        )
        .await,
        1
    );
    let comment: uuid::Uuid = {
        let location = asked.header("location").unwrap();
        location.rsplit_once("#c-").unwrap().1.parse().unwrap()
    };
    // Someone else's comment is not theirs to delete; the organiser may moderate it.
    member(&app, "demo", "third@example.jp", "第三 者", "alumni").await;
    let mut third = signed_in(&app, HOST, "third@example.jp").await;
    assert_eq!(
        third
            .post(&format!("{path}/comments/{comment}/delete"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ken.post(&format!("{path}/comments/{comment}/delete"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        demo_count(&app, "select count(*) from event_comments").await,
        0
    );

    // A cover image, checked like every upload; only organisers set it.
    let photo = {
        let img = image::RgbImage::from_pixel(320, 180, image::Rgb([30, 90, 160]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let upload = |bytes: &'static [u8], content_type: &'static str| tsunagu_testkit::Upload {
        field: "cover",
        filename: "cover.png",
        content_type,
        bytes,
    };
    let refused = ken
        .post_multipart(
            &format!("{path}/cover"),
            &[],
            &[upload(b"not an image", "text/plain")],
        )
        .await;
    assert!(refused
        .header("location")
        .unwrap()
        .contains("notice=cover_not_an_image"));
    let photo: &'static [u8] = Box::leak(photo.into_boxed_slice());
    let saved = ken
        .post_multipart(&format!("{path}/cover"), &[], &[upload(photo, "image/png")])
        .await;
    assert!(saved
        .header("location")
        .unwrap()
        .contains("notice=cover_saved"));
    let cover = hanako
        .get(&format!(
            "/media/events/{}",
            path.trim_start_matches("/events/")
        ))
        .await;
    assert_eq!(cover.status, StatusCode::OK);
    assert_eq!(cover.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        third
            .post_multipart(&format!("{path}/cover"), &[], &[upload(photo, "image/png")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Co-organisers: someone who answered can be made one, and then manages the event.
    hanako
        .post(&format!("{path}/rsvp"), &[("status", "interested")])
        .await;
    let hanako_member: uuid::Uuid = {
        let tenant = app.tenant_id("demo").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, Actor::System)
            .await
            .unwrap();
        let id = sqlx::query_scalar("select id from members where email = 'hanako@example.jp'")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert_eq!(
        third
            .post(
                &format!("{path}/organisers/{hanako_member}"),
                &[("organiser", "1")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let made = ken
        .post(
            &format!("{path}/organisers/{hanako_member}"),
            &[("organiser", "1")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    assert_eq!(
        hanako.get(&format!("{path}/edit")).await.status,
        StatusCode::OK
    );
    assert!(hanako.get(&path).await.body.contains("田中 健、佐藤 花子"));
}

#[tokio::test]
async fn reminders_go_once_the_day_before_even_with_two_workers() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    office.get("/events/new").await;
    let soon = event_path(
        &post_form(
            &mut office,
            "/events",
            &with(
                &with(
                    &event_form("明日の交流会", 0, "", "0"),
                    "starts_at",
                    &local(OffsetDateTime::now_utc() + Duration::hours(12)),
                ),
                "ends_at",
                &local(OffsetDateTime::now_utc() + Duration::hours(14)),
            ),
        )
        .await,
    );
    office.get("/events/new").await;
    let later = event_path(
        &post_form(
            &mut office,
            "/events",
            &event_form("来週の交流会", 7, "", "0"),
        )
        .await,
    );
    for i in 0..3 {
        member(
            &app,
            "demo",
            &format!("r{i}@example.jp"),
            &format!("参加 {i}"),
            "alumni",
        )
        .await;
        let mut client = signed_in(&app, HOST, &format!("r{i}@example.jp")).await;
        client
            .post(&format!("{soon}/rsvp"), &[("status", "going")])
            .await;
        client
            .post(&format!("{later}/rsvp"), &[("status", "going")])
            .await;
    }
    member(&app, "demo", "maybe@example.jp", "興味 あり", "alumni").await;
    signed_in(&app, HOST, "maybe@example.jp")
        .await
        .post(&format!("{soon}/rsvp"), &[("status", "interested")])
        .await;

    // Two worker processes at the same moment (this test binary again, running
    // `reminder_worker_process` on this database): each confirmed attendee of tomorrow's event
    // once between them.
    let start = (OffsetDateTime::now_utc() + Duration::seconds(4)).unix_timestamp();
    let workers: Vec<std::process::Child> = (0..2)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "events::reminder_worker_process",
                    "--ignored",
                    "--nocapture",
                ])
                .env("TSUNAGU_TEST_ATTACH_DB", &app.db.name)
                .env("TSUNAGU_TEST_START_AT", start.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("a worker process")
        })
        .collect();
    let mut reminded = Vec::new();
    for worker in workers {
        let output = worker.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("reminded "))
            .unwrap_or_else(|| panic!("no count from the worker: {stdout}"));
        reminded.push(line.trim().parse::<usize>().unwrap());
    }
    assert_eq!(reminded.iter().sum::<usize>(), 3, "{reminded:?}");
    let run =
        || tsunagu_events::jobs::send_reminders(&app.state.db, &app.state.web, &app.state.config);
    // And two at once in this process too.
    let (a, b) = tokio::join!(run(), run());
    assert_eq!(a.unwrap() + b.unwrap(), 0, "nobody twice");
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'event_reminder'"
        )
        .await,
        3
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'event_reminder'"
        )
        .await,
        3
    );
}

/// One worker process of `reminders_go_once_the_day_before_even_with_two_workers`: runs the
/// reminder job once on the parent's database at the agreed moment and prints how many it sent.
/// Does nothing when run on its own.
#[tokio::test]
#[ignore = "a child process of reminders_go_once_the_day_before_even_with_two_workers"]
async fn reminder_worker_process() {
    let Ok(database) = std::env::var("TSUNAGU_TEST_ATTACH_DB") else {
        return;
    };
    let app = tsunagu_testkit::TestApp::attach(&database).await;
    let start: i64 = std::env::var("TSUNAGU_TEST_START_AT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let wait = start - OffsetDateTime::now_utc().unix_timestamp();
    if wait > 0 {
        tokio::time::sleep(std::time::Duration::from_secs(wait as u64)).await;
    }
    let sent =
        tsunagu_events::jobs::send_reminders(&app.state.db, &app.state.web, &app.state.config)
            .await
            .unwrap();
    println!("reminded {sent}");
}

#[tokio::test]
async fn the_post_event_survey_goes_to_those_who_came_with_one_action() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let came = member(&app, "demo", "came@example.jp", "来た 人", "alumni").await;
    member(&app, "demo", "away@example.jp", "来ない 人", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    office.get("/events/new").await;
    let path = event_path(
        &post_form(
            &mut office,
            "/events",
            &event_form("春の交流会", 2, "", "0"),
        )
        .await,
    );
    let mut came_client = signed_in(&app, HOST, "came@example.jp").await;
    came_client
        .post(&format!("{path}/rsvp"), &[("status", "going")])
        .await;
    let mut away = signed_in(&app, HOST, "away@example.jp").await;
    away.post(&format!("{path}/rsvp"), &[("status", "going")])
        .await;
    office
        .post(
            &format!("{path}/attendees/{came}/check-in"),
            &[("came", "1")],
        )
        .await;

    // Not before the event has started.
    let early = office.post(&format!("{path}/survey"), &[]).await;
    assert!(early
        .header("location")
        .unwrap()
        .contains("event_survey_too_early"));
    assert_eq!(demo_count(&app, "select count(*) from surveys").await, 0);
    exec(
        &app,
        "update events set starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour'",
    )
    .await;

    // One action: made, published, and only the one who came is asked.
    let attendees = office.get(&format!("{path}/attendees")).await;
    assert!(
        attendees.body.contains("来た 1 人に事後アンケートを送る"),
        "{}",
        attendees.body
    );
    let sent = office.post(&format!("{path}/survey"), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let survey = sent
        .header("location")
        .unwrap()
        .trim_start_matches("/secretariat/surveys/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from surveys where status = 'open' and audience = 'event'"
        )
        .await,
        1
    );
    assert_eq!(
        demo_count(&app, "select count(*) from survey_questions").await,
        3
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'survey_opened'"
        )
        .await,
        1
    );
    assert!(came_client
        .get("/surveys")
        .await
        .body
        .contains("春の交流会"));
    assert!(!away.get("/surveys").await.body.contains("春の交流会"));
    let form = came_client.get(&format!("/surveys/{survey}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("全体の満足度を教えてください。"));
    assert!(!away
        .get(&format!("/surveys/{survey}"))
        .await
        .body
        .contains("全体の満足度を教えてください。"));

    // Once per event: the same action leads to the same survey; an attendee who does not
    // organise it cannot send it.
    let again = office.post(&format!("{path}/survey"), &[]).await;
    assert_eq!(
        again.header("location").unwrap(),
        format!("/secretariat/surveys/{survey}?notice=event_survey_sent")
    );
    assert_eq!(demo_count(&app, "select count(*) from surveys").await, 1);
    assert_eq!(
        came_client
            .post(&format!("{path}/survey"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The builder keeps the audience whatever its form says.
    let builder = office.get(&format!("/secretariat/surveys/{survey}")).await;
    assert!(
        builder.body.contains("「春の交流会」に来た人"),
        "{}",
        builder.body
    );
}
