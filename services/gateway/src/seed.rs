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

/// The password of every demo account. Development data only: `seed demo` refuses nothing, so
/// never run it against a production database.
pub const DEMO_PASSWORD: &str = "tsunagu-demo-2026";

struct DemoMember {
    email: &'static str,
    kind: &'static str,
    role: &'static str,
    status: &'static str,
    name_kanji: &'static str,
    name_kana: &'static str,
    name_romaji: &'static str,
    joined_year: i32,
    left_year: Option<i32>,
    department: &'static str,
    current_organisation: &'static str,
}

const DEMO_MEMBERS_JA: &[DemoMember] = &[
    DemoMember {
        email: "jimukyoku@demo.example.co.jp",
        kind: "employee",
        role: "secretariat",
        status: "active",
        name_kanji: "佐々木 美咲",
        name_kana: "ささき みさき",
        name_romaji: "Misaki Sasaki",
        joined_year: 2012,
        left_year: None,
        department: "人事部 アルムナイ事務局",
        current_organisation: "デモ株式会社",
    },
    DemoMember {
        email: "kenta.yamamoto@example.jp",
        kind: "alumni",
        role: "member",
        status: "active",
        name_kanji: "山本 健太",
        name_kana: "やまもと けんた",
        name_romaji: "Kenta Yamamoto",
        joined_year: 2010,
        left_year: Some(2019),
        department: "開発本部",
        current_organisation: "株式会社ミライラボ",
    },
    DemoMember {
        email: "yui.tanaka@example.jp",
        kind: "alumni",
        role: "member",
        status: "pending_approval",
        name_kanji: "田中 結衣",
        name_kana: "たなか ゆい",
        name_romaji: "Yui Tanaka",
        joined_year: 2015,
        left_year: Some(2022),
        department: "マーケティング部",
        current_organisation: "フリーランス",
    },
];

const DEMO_MEMBERS_EN: &[DemoMember] = &[
    DemoMember {
        email: "alumni-office@acme.example.com",
        kind: "employee",
        role: "secretariat",
        status: "active",
        name_kanji: "Olivia Carter",
        name_kana: "",
        name_romaji: "Olivia Carter",
        joined_year: 2014,
        left_year: None,
        department: "People team",
        current_organisation: "Acme",
    },
    DemoMember {
        email: "sam.patel@example.org",
        kind: "alumni",
        role: "member",
        status: "active",
        name_kanji: "Sam Patel",
        name_kana: "",
        name_romaji: "Sam Patel",
        joined_year: 2011,
        left_year: Some(2018),
        department: "Support engineering",
        current_organisation: "Brightline",
    },
    DemoMember {
        email: "jo.nguyen@example.org",
        kind: "alumni",
        role: "member",
        status: "pending_approval",
        name_kanji: "Jo Nguyen",
        name_kana: "",
        name_romaji: "Jo Nguyen",
        joined_year: 2016,
        left_year: Some(2023),
        department: "Design",
        current_organisation: "Studio North",
    },
];

pub const DEMO_STAFF_EMAIL: &str = "cs@tsunagu.example";

/// Demo members (a secretariat, an active alumnus, one waiting for approval) per demo tenant and
/// a console staff account. Idempotent: existing addresses are left as they are.
pub async fn seed_demo_accounts(db: &Db) -> anyhow::Result<()> {
    let hash = tsunagu_identity::password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    let staff_email = tsunagu_identity::forms::EmailAddress::parse(DEMO_STAFF_EMAIL)
        .map_err(anyhow::Error::msg)?;
    if crate::console::find_staff(&mut platform, &staff_email.normalized)
        .await?
        .is_none()
    {
        crate::console::upsert_staff(&mut platform, &staff_email, "CS Demo", &hash, "cs").await?;
    }
    platform.commit().await?;

    for tenant in tenants {
        let members = if tenant.default_locale == "ja" {
            DEMO_MEMBERS_JA
        } else {
            DEMO_MEMBERS_EN
        };
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        for m in members {
            let email = tsunagu_identity::forms::EmailAddress::parse(m.email)
                .map_err(anyhow::Error::msg)?;
            if tsunagu_identity::queries::find_by_email(&mut tx, &email.normalized)
                .await?
                .is_some()
            {
                continue;
            }
            let id = tsunagu_identity::queries::insert_member(
                &mut tx,
                &tsunagu_identity::queries::NewMember {
                    email: &email.address,
                    email_normalized: &email.normalized,
                    password_hash: &hash,
                    kind: m.kind,
                    status: m.status,
                    email_verified: true,
                    name_kanji: m.name_kanji,
                    name_kana: m.name_kana,
                    name_romaji: m.name_romaji,
                    joined_year: Some(m.joined_year),
                    left_year: m.left_year,
                    department: m.department,
                    current_organisation: m.current_organisation,
                    preferred_locale: Some(&tenant.default_locale),
                },
            )
            .await?;
            if m.role != "member" {
                tsunagu_identity::queries::set_role(&mut tx, id, m.role).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// What `seed demo` prints so a person can sign in.
pub fn demo_account_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for (host, members) in [("demo", DEMO_MEMBERS_JA), ("acme", DEMO_MEMBERS_EN)] {
        for m in members.iter().filter(|m| m.status == "active") {
            lines.push(format!("{host:<8} {:<12} {}", m.role, m.email));
        }
    }
    lines.push(format!(
        "{:<8} {:<12} {DEMO_STAFF_EMAIL}",
        "console", "staff"
    ));
    lines.push(format!("password for all of them: {DEMO_PASSWORD}"));
    lines
}
