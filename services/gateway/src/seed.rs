//! `tsunagu seed demo`: believable content for the demo networks, in each tenant's language.
//! Idempotent: a tenant that already has announcements is left alone. Writes go through
//! `begin_tenant` as the system actor, like any other tenant write.

use time::{Duration, OffsetDateTime};
use tsunagu_kernel::{Actor, Db};

use crate::home::queries;

/// The tenants `seed demo` fills (declared in tenant-config/).
pub const DEMO_SLUGS: &[&str] = &["demo", "acme"];

struct SeedAnnouncement {
    title: &'static str,
    body: &'static str,
    days_ago: i64,
}

const JA_ANNOUNCEMENTS: &[SeedAnnouncement] = &[
    SeedAnnouncement {
        title: "年末アルムナイ交流会（12月12日・東京本社）のご案内",
        body: "今年も年末交流会を開催します。現役社員とアルムナイが気軽に話せる立食形式です。\n\n参加申込は来週から受付予定です。ご都合のよい方はぜひ予定を空けておいてください。",
        days_ago: 1,
    },
    SeedAnnouncement {
        title: "アルムナイインタビュー第3回を公開しました",
        body: "2019年に退職し、現在はスタートアップで CTO を務める佐藤さんに、在籍時の経験がいまどう活きているかを伺いました。",
        days_ago: 6,
    },
    SeedAnnouncement {
        title: "ネットワークを開設しました",
        body: "デモ株式会社のアルムナイネットワークへようこそ。退職された方と現役社員がつながり続けるための場です。\n\nプロフィールを登録して、懐かしい同僚を探してみてください。",
        days_ago: 21,
    },
];

const EN_ANNOUNCEMENTS: &[SeedAnnouncement] = &[
    SeedAnnouncement {
        title: "Winter reunion on 12 December at the London office",
        body: "Our winter reunion is back: an informal evening for alumni and current employees.\n\nRegistration opens next week. Save the date!",
        days_ago: 2,
    },
    SeedAnnouncement {
        title: "New alumni interview: from support engineer to founder",
        body: "Priya left Acme in 2020 to start her own company. She tells us what she learned here and how it shaped her first hires.",
        days_ago: 8,
    },
    SeedAnnouncement {
        title: "Welcome to the Acme alumni network",
        body: "This is the home of everyone who has worked at Acme. Keep in touch, share what you are up to, and help each other out.",
        days_ago: 30,
    },
];

#[derive(Debug, Default)]
pub struct SeedReport {
    pub seeded: Vec<String>,
    pub skipped: Vec<String>,
}

pub async fn seed_demo(db: &Db) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    platform.commit().await?;
    if tenants.is_empty() {
        anyhow::bail!(
            "no demo tenants found ({}): run `tsunagu tenant apply tenant-config` first",
            DEMO_SLUGS.join(", ")
        );
    }

    let now = OffsetDateTime::now_utc();
    for tenant in tenants {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        if queries::count_announcements(&mut tx).await? > 0 {
            tx.rollback().await?;
            report.skipped.push(tenant.slug);
            continue;
        }
        let content = if tenant.default_locale == "ja" {
            JA_ANNOUNCEMENTS
        } else {
            EN_ANNOUNCEMENTS
        };
        for a in content {
            queries::insert_announcement(
                &mut tx,
                a.title,
                a.body,
                now - Duration::days(a.days_ago),
            )
            .await?;
        }
        tx.commit().await?;
        report.seeded.push(tenant.slug);
    }
    Ok(report)
}
