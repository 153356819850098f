//! The secretariat's workspace home: the worker's rollups and the level-3 indicator on
//! constructed data with a hand-computed answer (docs/LEVEL3.md), the day's first visit
//! recorded for "active in the last 30 days", and the page for the secretariat only.

use axum::http::StatusCode;
use time::{Date, Duration, OffsetDateTime, UtcOffset};
use tsunagu_insights::dashboard::month_figures;
use tsunagu_insights::level::{month_of, previous_month, MonthFigures};
use tsunagu_kernel::{Actor, MemberId};
use tsunagu_testkit::TestApp;

use crate::community::{member, signed_in};
use crate::digest::exec;
use crate::identity::{app, secretariat};

const HOST: &str = "demo.localhost";

/// 12:00 in Japan on `day` of `month`.
fn noon(month: Date, day: u8) -> OffsetDateTime {
    month
        .replace_day(day)
        .unwrap()
        .with_hms(12, 0, 0)
        .unwrap()
        .assume_offset(UtcOffset::from_hms(9, 0, 0).unwrap())
}

fn sql_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A network's stored days from `from` on.
async fn days_of(app: &TestApp, slug: &str, from: Date) -> Vec<tsunagu_insights::queries::DayRow> {
    let tenant = app.tenant_id(slug).await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let days = tsunagu_insights::queries::days_since(&mut tx, from)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    days
}

async fn month_of_network(app: &TestApp, slug: &str, month: Date) -> MonthFigures {
    month_figures(&days_of(app, slug, month).await, month)
}

async fn today_row(app: &TestApp) -> tsunagu_insights::queries::DayRow {
    let from = OffsetDateTime::now_utc().date() - Duration::days(400);
    days_of(app, "demo", from)
        .await
        .last()
        .cloned()
        .expect("a year of days")
}

/// Several statements, one at a time (a prepared statement holds one).
async fn exec_each(app: &TestApp, sql: &str) {
    for statement in sql.split("; ") {
        exec(app, statement).await;
    }
}

fn post(id: &str, author: MemberId, at: OffsetDateTime) -> String {
    format!(
        "insert into posts (tenant_id, id, author_id, body, created_at) \
         values (app.current_tenant_id(), '{id}', '{author}', 'post', '{}')",
        sql_time(at)
    )
}

#[tokio::test]
async fn the_level3_indicator_matches_a_hand_computed_month() {
    let app = app().await;
    let sec = secretariat(&app, "demo", "sec@demo.example.co.jp").await;
    let a = member(&app, "demo", "a@example.jp", "青木 明", "alumni").await;
    let b = member(&app, "demo", "b@example.jp", "馬場 文", "alumni").await;
    let c = member(&app, "demo", "c@demo.example.co.jp", "千葉 浩", "employee").await;
    let d = member(&app, "demo", "d@example.jp", "土屋 大", "alumni").await;
    member(&app, "acme", "x@example.org", "Alex Hill", "alumni").await;

    let now = OffsetDateTime::now_utc();
    let today = now.to_offset(UtcOffset::from_hms(9, 0, 0).unwrap()).date();
    let month = previous_month(month_of(today));
    let before = previous_month(month);
    let (m1, m2, m3) = (noon(month, 10), noon(month, 11), noon(month, 12));

    // The month before: A comments on B's post, so A and B have already met.
    exec_each(
        &app,
        &post("00000000-0000-7000-8000-000000000001", b, noon(before, 5)),
    )
    .await;
    exec_each(
        &app,
        &format!(
            "insert into post_comments (tenant_id, id, post_id, author_id, body, created_at) \
             values (app.current_tenant_id(), gen_random_uuid(), \
                     '00000000-0000-7000-8000-000000000001', '{a}', 'hi', '{}')",
            sql_time(noon(before, 6))
        ),
    )
    .await;

    // The month: members start 3 posts, a 募集, an event and a direct conversation (6); the
    // secretariat a post, a 募集, an event and a group conversation (4).
    for (i, author) in [a, a, a, sec].iter().enumerate() {
        exec_each(
            &app,
            &post(
                &format!("00000000-0000-7000-8000-00000000001{i}"),
                *author,
                m1,
            ),
        )
        .await;
    }
    for (id, author) in [("21", c), ("22", sec)] {
        exec_each(
            &app,
            &format!(
                "insert into recruitments (tenant_id, id, author_id, title, body, created_at) \
                 values (app.current_tenant_id(), '00000000-0000-7000-8000-0000000000{id}', \
                         '{author}', '募集', '本文', '{}')",
                sql_time(m1)
            ),
        )
        .await;
    }
    for (member_started, author) in [(true, d), (false, sec)] {
        exec_each(
            &app,
            &format!(
                "insert into events (tenant_id, id, title, starts_at, ends_at, format, \
                   member_started, created_by, created_at) \
                                  values (app.current_tenant_id(), gen_random_uuid(), '勉強会', '{s}', '{e}', \
                         'online', {member_started}, '{author}', '{s}')",
                s = sql_time(m1),
                e = sql_time(m1 + Duration::hours(2))
            ),
        )
        .await;
    }
    // A writes to C directly: a first contact.
    let (low, high) = if a < c { (a, c) } else { (c, a) };
    exec_each(
        &app,
        &format!(
            "insert into conversations (tenant_id, id, kind, direct_low, direct_high, created_by, created_at) \
             values (app.current_tenant_id(), '00000000-0000-7000-8000-000000000031', 'direct', \
                     '{low}', '{high}', '{a}', '{t}'); \
             insert into conversation_members (tenant_id, conversation_id, member_id) values \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000031', '{a}'), \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000031', '{c}'); \
             insert into messages (tenant_id, id, conversation_id, author_id, body, created_at) \
             values (app.current_tenant_id(), gen_random_uuid(), \
                     '00000000-0000-7000-8000-000000000031', '{a}', 'はじめまして', '{t}')",
            t = sql_time(m2)
        ),
    )
    .await;
    // The secretariat's group brings B and D together: mediated, not a first contact.
    exec_each(
        &app,
        &format!(
            "insert into conversations (tenant_id, id, kind, title, created_by, created_at) \
             values (app.current_tenant_id(), '00000000-0000-7000-8000-000000000032', 'group', \
                     '懇親会', '{sec}', '{t}'); \
             insert into conversation_members (tenant_id, conversation_id, member_id) values \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000032', '{sec}'), \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000032', '{b}'), \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000032', '{d}'); \
             insert into messages (tenant_id, id, conversation_id, author_id, body, created_at) \
             values (app.current_tenant_id(), gen_random_uuid(), \
                     '00000000-0000-7000-8000-000000000032', '{b}', 'よろしく', '{t}')",
            t = sql_time(m2)
        ),
    )
    .await;
    // A comments on B's post again (they met last month); D cheers C's 募集 (a first
    // contact); C comments on the secretariat's post and marks its 募集 "see later" (neither
    // counts: the secretariat is a party, and "see later" reaches nobody).
    exec_each(
        &app,
        &format!(
            "insert into post_comments (tenant_id, id, post_id, author_id, body, created_at) values \
               (app.current_tenant_id(), gen_random_uuid(), '00000000-0000-7000-8000-000000000001', '{a}', 'again', '{t}'), \
               (app.current_tenant_id(), gen_random_uuid(), '00000000-0000-7000-8000-000000000013', '{c}', 'thanks', '{t}'); \
             insert into recruitment_reactions (tenant_id, recruitment_id, member_id, reaction, created_at) values \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000021', '{d}', 'cheer', '{t}'), \
               (app.current_tenant_id(), '00000000-0000-7000-8000-000000000022', '{c}', 'see_later', '{t}')",
            t = sql_time(m3)
        ),
    )
    .await;

    // A visits today: recorded once, in the background, for "active in the last 30 days".
    let mut a_client = signed_in(&app, HOST, "a@example.jp").await;
    assert_eq!(a_client.get("/").await.status, StatusCode::OK);
    let mut seen = false;
    for _ in 0..50 {
        let tenant = app.tenant_id("demo").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, Actor::System)
            .await
            .unwrap();
        let at: Option<OffsetDateTime> =
            sqlx::query_scalar("select last_seen_at from members where id = $1")
                .bind(a)
                .fetch_one(tx.conn())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        if at.is_some() {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the day's first request records the visit");

    let run = tsunagu_insights::rollup::run(&app.state.db, now, None)
        .await
        .unwrap();
    assert_eq!(run.networks, 2);
    let expected = MonthFigures {
        member_started: 6,
        secretariat_started: 4,
        first_contacts: 2,
    };
    assert_eq!(month_of_network(&app, "demo", month).await, expected);
    assert_eq!(expected.member_share_percent(), Some(60));
    assert_eq!(
        month_of_network(&app, "demo", before).await,
        MonthFigures {
            member_started: 1,
            secretariat_started: 0,
            first_contacts: 1,
        },
        "B's post and A and B's first contact fall in the month before"
    );
    // Ten things started, 60 % by members, but only two first contacts: level 2.
    let tenant = app
        .state
        .registry
        .resolve_slug("demo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(expected.level(&tenant.level3), 2);
    let row = today_row(&app).await;
    assert_eq!(row.active_30d, Some(1), "only A has been seen");
    assert_eq!((row.alumni, row.employees), (3, 2));
    assert_eq!(
        month_of_network(&app, "acme", month).await,
        MonthFigures::default(),
        "another network's rollups see none of it"
    );

    // Running again (a second worker, the next hour) changes nothing.
    tsunagu_insights::rollup::run(&app.state.db, now + Duration::minutes(5), Some("demo"))
        .await
        .unwrap();
    assert_eq!(month_of_network(&app, "demo", month).await, expected);

    // The secretariat reads the trend on its workspace home; a member may not.
    let mut sec_client = signed_in(&app, HOST, "sec@demo.example.co.jp").await;
    let page = sec_client.get("/secretariat").await;
    assert_eq!(page.status, StatusCode::OK);
    let label = format!("{}年{}月", month.year(), u8::from(month.month()));
    let row_html = page
        .body
        .split("<tr>")
        .find(|r| {
            r.contains(&format!("<th scope=\"row\">{label}</th>")) && r.contains("level-badge")
        })
        .expect("the month's row in the level trend");
    for cell in [
        "<td class=\"num\">6</td>",
        "<td class=\"num\">4</td>",
        "60%",
        "<td class=\"num\">2</td>",
        "レベル2",
    ] {
        assert!(row_html.contains(cell), "{cell} in {row_html}");
    }
    assert!(page.body.contains("<svg class=\"chart-svg\""));
    assert_eq!(
        a_client.get("/secretariat").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The first-week checklist ticks each step once it has happened, whoever did it, and leaves the
/// workspace once every step is done.
#[tokio::test]
async fn the_first_week_checklist_ticks_itself() {
    let app = crate::identity::app().await;
    crate::identity::secretariat(&app, "acme", "office@acme.example.com").await;
    let mut office =
        crate::community::signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    let page = office.get("/secretariat").await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    assert!(page.body.contains("Your first week"), "{}", page.body);
    assert!(page.body.contains("Publish a first article"));
    assert!(!page.body.contains("<s>Publish a first article</s>"));
    // acme's file names its employee domains: that step is done already.
    assert!(
        page.body
            .contains("<s>Add your company&#x27;s email domains, so employees join at once</s>")
            || page
                .body
                .contains("<s>Add your company's email domains, so employees join at once</s>")
    );
    let published = office
        .post_multipart(
            "/articles",
            &[
                ("title", "Hello"),
                ("body", "First article"),
                ("status", "publish"),
            ],
            &[],
        )
        .await;
    assert_eq!(published.status, axum::http::StatusCode::SEE_OTHER);
    let page = office.get("/secretariat").await.body;
    assert!(page.contains("<s>Publish a first article</s>"), "{page}");
}
