//! Demo events, in each demo network's language: an upcoming in-person reunion that is full with
//! a waitlist, an online talk, and a past event whose attendees were checked in. Written as the
//! system with SQL, as the other loaders do (the events crate sits beside this one).

use time::{Duration, OffsetDateTime};
use tsunagu_kernel::{Actor, Db, MemberId, TenantTx};

use crate::seed::DEMO_SLUGS;

struct DemoEvent {
    title: &'static str,
    description: &'static str,
    /// Days from now (negative: past).
    days: i64,
    hours: i64,
    format: &'static str,
    venue: (&'static str, &'static str),
    join_url: &'static str,
    capacity: Option<i32>,
    guests: i32,
}

const JA: [DemoEvent; 3] = [
    DemoEvent {
        title: "2027年 新年同窓会（東京）",
        description: "<p>卒業生と社員が一堂に会する新年の同窓会です。軽食とお飲み物をご用意します。</p><p>ご家族の同伴も1名まで歓迎します。</p>",
        days: 40,
        hours: 3,
        format: "offline",
        venue: ("本社 10階 ホール", "東京都千代田区丸の内1-1-1"),
        join_url: "",
        capacity: Some(4),
        guests: 1,
    },
    DemoEvent {
        title: "オンライン交流会：スタートアップで働くということ",
        description: "<p>スタートアップに転じた卒業生3名が、最初の一年を語ります。質疑応答あり。</p>",
        days: 12,
        hours: 1,
        format: "online",
        venue: ("", ""),
        join_url: "https://meet.example.com/demo-alumni-talk",
        capacity: None,
        guests: 0,
    },
    DemoEvent {
        title: "秋の勉強会：データ活用の現場から",
        description: "<p>社員と卒業生が事例を持ち寄る勉強会でした。ご参加ありがとうございました。</p>",
        days: -20,
        hours: 2,
        format: "hybrid",
        venue: ("大阪オフィス 会議室A", "大阪府大阪市北区梅田1-1-1"),
        join_url: "https://meet.example.com/demo-study",
        capacity: Some(30),
        guests: 0,
    },
];

const EN: [DemoEvent; 3] = [
    DemoEvent {
        title: "New Year reunion 2027 (London)",
        description: "<p>Alumni and employees together for the new year. Food and drinks provided.</p><p>You may bring one guest.</p>",
        days: 40,
        hours: 3,
        format: "offline",
        venue: ("The old office, 5th floor", "1 Example Street, London"),
        join_url: "",
        capacity: Some(4),
        guests: 1,
    },
    DemoEvent {
        title: "Online talk: life after the platform team",
        description: "<p>Three alumni on their first year at a startup, with questions at the end.</p>",
        days: 12,
        hours: 1,
        format: "online",
        venue: ("", ""),
        join_url: "https://meet.example.com/acme-alumni-talk",
        capacity: None,
        guests: 0,
    },
    DemoEvent {
        title: "Autumn study session: data in practice",
        description: "<p>Employees and alumni shared cases. Thanks to everyone who came.</p>",
        days: -20,
        hours: 2,
        format: "hybrid",
        venue: ("Meeting room A", "2 Example Road, Manchester"),
        join_url: "https://meet.example.com/acme-study",
        capacity: Some(30),
        guests: 0,
    },
];

async fn members(tx: &mut TenantTx, limit: i64) -> anyhow::Result<Vec<MemberId>> {
    Ok(sqlx::query_scalar(
        "select id from members where status = 'active' order by created_at, id limit $1",
    )
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Seeds the demo events once per demo network (skipped when it has any).
pub async fn seed_demo_events(db: &Db) -> anyhow::Result<()> {
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    platform.commit().await?;
    for tenant in tenants {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let existing: i64 = sqlx::query_scalar("select count(*) from events")
            .fetch_one(tx.conn())
            .await?;
        let people = members(&mut tx, 8).await?;
        if existing > 0 || people.len() < 6 {
            tx.rollback().await?;
            continue;
        }
        let events = if tenant.default_locale == "ja" {
            &JA
        } else {
            &EN
        };
        let now = OffsetDateTime::now_utc();
        for (n, e) in events.iter().enumerate() {
            // Evenings in the network's time zone: 10:00 UTC is 19:00 in Japan.
            let day = (now + Duration::days(e.days)).date();
            let starts_at = day.with_hms(10, 0, 0)?.assume_utc();
            let id: uuid::Uuid = sqlx::query_scalar(
                "insert into events (tenant_id, id, title, description_html, starts_at, ends_at, format, \
                   venue_name, venue_address, join_url, capacity, guests_allowed, created_by) \
                 values ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 returning id",
            )
            .bind(tenant.id)
            .bind(e.title)
            .bind(e.description)
            .bind(starts_at)
            .bind(starts_at + Duration::hours(e.hours))
            .bind(e.format)
            .bind(e.venue.0)
            .bind(e.venue.1)
            .bind(e.join_url)
            .bind(e.capacity)
            .bind(e.guests)
            .bind(people[0])
            .fetch_one(tx.conn())
            .await?;
            match n {
                // The reunion: four places taken (two members with a guest each), two waiting.
                0 => {
                    for (i, member) in people.iter().skip(1).take(4).enumerate() {
                        let (status, guests) = match i {
                            0 | 1 => ("going", 1),
                            _ => ("waitlisted", 0),
                        };
                        sqlx::query(
                            "insert into event_rsvps (tenant_id, event_id, member_id, status, guests, \
                               waitlisted_at) \
                             values ($1, $2, $3, $4, $5, \
                               case when $4 = 'waitlisted' then now() + ($6 || ' seconds')::interval end)",
                        )
                        .bind(tenant.id)
                        .bind(id)
                        .bind(member)
                        .bind(status)
                        .bind(guests)
                        .bind(i.to_string())
                        .execute(tx.conn())
                        .await?;
                    }
                }
                // The talk: a few going, one interested.
                1 => {
                    for (i, member) in people.iter().skip(2).take(4).enumerate() {
                        sqlx::query(
                            "insert into event_rsvps (tenant_id, event_id, member_id, status) \
                             values ($1, $2, $3, $4)",
                        )
                        .bind(tenant.id)
                        .bind(id)
                        .bind(member)
                        .bind(if i == 3 { "interested" } else { "going" })
                        .execute(tx.conn())
                        .await?;
                    }
                }
                // The past study session: who came was checked in.
                _ => {
                    for (i, member) in people.iter().skip(1).take(5).enumerate() {
                        sqlx::query(
                            "insert into event_rsvps (tenant_id, event_id, member_id, status, checked_in_at) \
                             values ($1, $2, $3, 'going', case when $4 then $5 end)",
                        )
                        .bind(tenant.id)
                        .bind(id)
                        .bind(member)
                        .bind(i != 4)
                        .bind(starts_at + Duration::minutes(5))
                        .execute(tx.conn())
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
