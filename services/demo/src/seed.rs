//! `tsunagu seed demo`: believable content for the demo networks, in each tenant's language.
//! Idempotent: a tenant that already has announcements is left alone. Writes go through
//! `begin_tenant` as the system actor, like any other tenant write.

use time::{Duration, OffsetDateTime};
use tsunagu_kernel::{Actor, Db};
use tsunagu_kernel::{MemberKind, MemberRole, MemberStatus};

use tsunagu_secretariat::home::queries;

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
    kind: MemberKind,
    role: MemberRole,
    status: MemberStatus,
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
        kind: MemberKind::Employee,
        role: MemberRole::Secretariat,
        status: MemberStatus::Active,
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
        kind: MemberKind::Alumni,
        role: MemberRole::Member,
        status: MemberStatus::Active,
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
        kind: MemberKind::Alumni,
        role: MemberRole::Member,
        status: MemberStatus::PendingApproval,
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
        kind: MemberKind::Employee,
        role: MemberRole::Secretariat,
        status: MemberStatus::Active,
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
        kind: MemberKind::Alumni,
        role: MemberRole::Member,
        status: MemberStatus::Active,
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
        kind: MemberKind::Alumni,
        role: MemberRole::Member,
        status: MemberStatus::PendingApproval,
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
pub async fn seed_demo_accounts(db: &Db, platform_db: &Db) -> anyhow::Result<()> {
    let hash = tsunagu_identity::password::hash(DEMO_PASSWORD.to_owned()).await?;
    // The staff account is a platform write (tsunagu_platform); the members are the tenants'.
    let mut platform = platform_db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    let staff_email = tsunagu_identity::forms::EmailAddress::parse(DEMO_STAFF_EMAIL)
        .map_err(anyhow::Error::msg)?;
    if tsunagu_console::queries::find_staff(&mut platform, &staff_email.normalized)
        .await?
        .is_none()
    {
        tsunagu_console::queries::upsert_staff(&mut platform, &staff_email, "CS Demo", &hash, "cs")
            .await?;
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

struct DemoPerson {
    email: &'static str,
    kind: MemberKind,
    name: &'static str,
    kana: &'static str,
    romaji: &'static str,
    joined: i32,
    left: Option<i32>,
    department: &'static str,
    organisation: &'static str,
    title: &'static str,
    skills: &'static [&'static str],
}

const PEOPLE_JA: &[DemoPerson] = &[
    DemoPerson {
        email: "haruka.ito@example.jp",
        kind: MemberKind::Alumni,
        name: "伊藤 遥",
        kana: "いとう はるか",
        romaji: "Haruka Ito",
        joined: 2013,
        left: Some(2020),
        department: "営業本部",
        organisation: "株式会社グローバルリンク",
        title: "事業開発マネージャー",
        skills: &["法人営業", "新規事業"],
    },
    DemoPerson {
        email: "daisuke.watanabe@example.jp",
        kind: MemberKind::Alumni,
        name: "渡辺 大輔",
        kana: "わたなべ だいすけ",
        romaji: "Daisuke Watanabe",
        joined: 2008,
        left: Some(2017),
        department: "開発本部",
        organisation: "ワタナベ技術事務所",
        title: "代表",
        skills: &["Rust", "組込み", "技術顧問"],
    },
    DemoPerson {
        email: "aoi.nakamura@demo.example.co.jp",
        kind: MemberKind::Employee,
        name: "中村 葵",
        kana: "なかむら あおい",
        romaji: "Aoi Nakamura",
        joined: 2018,
        left: None,
        department: "人事部",
        organisation: "デモ株式会社",
        title: "採用担当",
        skills: &["採用", "広報"],
    },
    DemoPerson {
        email: "sho.kobayashi@demo.example.co.jp",
        kind: MemberKind::Employee,
        name: "小林 翔",
        kana: "こばやし しょう",
        romaji: "Sho Kobayashi",
        joined: 2016,
        left: None,
        department: "開発本部",
        organisation: "デモ株式会社",
        title: "テックリード",
        skills: &["Go", "クラウド"],
    },
];

const PEOPLE_EN: &[DemoPerson] = &[
    DemoPerson {
        email: "maria.garcia@example.org",
        kind: MemberKind::Alumni,
        name: "Maria Garcia",
        kana: "",
        romaji: "Maria Garcia",
        joined: 2012,
        left: Some(2019),
        department: "Sales",
        organisation: "Northwind",
        title: "VP Partnerships",
        skills: &["Partnerships", "Enterprise sales"],
    },
    DemoPerson {
        email: "tom.becker@example.org",
        kind: MemberKind::Alumni,
        name: "Tom Becker",
        kana: "",
        romaji: "Tom Becker",
        joined: 2009,
        left: Some(2016),
        department: "Engineering",
        organisation: "Becker Labs",
        title: "Founder",
        skills: &["Rust", "Embedded"],
    },
    DemoPerson {
        email: "lena.fischer@acme.example.com",
        kind: MemberKind::Employee,
        name: "Lena Fischer",
        kana: "",
        romaji: "Lena Fischer",
        joined: 2019,
        left: None,
        department: "Talent",
        organisation: "Acme",
        title: "Recruiter",
        skills: &["Hiring", "Employer branding"],
    },
    DemoPerson {
        email: "raj.mehta@acme.example.com",
        kind: MemberKind::Employee,
        name: "Raj Mehta",
        kana: "",
        romaji: "Raj Mehta",
        joined: 2015,
        left: None,
        department: "Engineering",
        organisation: "Acme",
        title: "Tech lead",
        skills: &["Go", "Cloud"],
    },
];

const POSTS_JA: &[(&str, &str)] = &[
    ("haruka.ito@example.jp", "この春から新しいチームで事業開発を担当しています。デモ社時代の営業の経験がとても活きています。近況交換できる方、ぜひ声をかけてください！"),
    ("sho.kobayashi@demo.example.co.jp", "社内でRustの勉強会を始めました。卒業生の方の飛び入り参加も大歓迎です。"),
    ("daisuke.watanabe@example.jp", "独立して5年になりました。技術顧問の相談をいただくことが増えています。https://example.jp/watanabe"),
];

const POSTS_EN: &[(&str, &str)] = &[
    ("maria.garcia@example.org", "Just joined Northwind to lead partnerships. Happy to compare notes with anyone working on enterprise deals!"),
    ("raj.mehta@acme.example.com", "We started a Rust reading group at Acme. Alumni are very welcome to drop in."),
    ("tom.becker@example.org", "Five years of Becker Labs this month. Thanks to everyone from Acme who helped along the way."),
];

/// Members with profiles, posts with likes and comments, and a 募集 with reactions, in each demo
/// tenant's language. Idempotent: a tenant that already has posts is left alone.
pub async fn seed_demo_community(db: &Db) -> anyhow::Result<()> {
    let hash = tsunagu_identity::password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    platform.commit().await?;
    for tenant in tenants {
        let (people, posts, secretariat_email) = if tenant.default_locale == "ja" {
            (PEOPLE_JA, POSTS_JA, "jimukyoku@demo.example.co.jp")
        } else {
            (PEOPLE_EN, POSTS_EN, "alumni-office@acme.example.com")
        };
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let has_posts: bool =
            sqlx::query_scalar("select exists (select 1 from posts where tenant_id = $1)")
                .bind(tenant.id)
                .fetch_one(tx.conn())
                .await?;
        if has_posts {
            tx.rollback().await?;
            continue;
        }
        let mut ids = std::collections::HashMap::new();
        for p in people {
            let email = tsunagu_identity::forms::EmailAddress::parse(p.email)
                .map_err(anyhow::Error::msg)?;
            let id =
                match tsunagu_identity::queries::find_by_email(&mut tx, &email.normalized).await? {
                    Some(existing) => existing.id,
                    None => {
                        tsunagu_identity::queries::insert_member(
                            &mut tx,
                            &tsunagu_identity::queries::NewMember {
                                email: &email.address,
                                email_normalized: &email.normalized,
                                password_hash: &hash,
                                kind: p.kind,
                                status: MemberStatus::Active,
                                email_verified: true,
                                name_kanji: p.name,
                                name_kana: p.kana,
                                name_romaji: p.romaji,
                                joined_year: Some(p.joined),
                                left_year: p.left,
                                department: p.department,
                                current_organisation: p.organisation,
                                preferred_locale: Some(&tenant.default_locale),
                            },
                        )
                        .await?
                    }
                };
            let skills: Vec<String> = p.skills.iter().map(|s| s.to_string()).collect();
            tsunagu_community::directory::queries::update_profile(
                &mut tx,
                id,
                &tsunagu_community::directory::queries::ProfileUpdate {
                    name_kanji: p.name,
                    name_kana: p.kana,
                    name_romaji: p.romaji,
                    joined_year: Some(p.joined),
                    left_year: p.left,
                    department: p.department,
                    current_organisation: p.organisation,
                    title: p.title,
                    skills: &skills,
                    ask_me_about: "",
                    links: &[],
                    field_visibility: &Default::default(),
                    custom_fields: &Default::default(),
                },
            )
            .await?;
            ids.insert(p.email, id);
        }
        let mut post_ids = Vec::new();
        for (author, body) in posts {
            post_ids.push(
                tsunagu_community::timeline::queries::create_post(
                    &mut tx,
                    ids[author],
                    body,
                    tsunagu_community::kinds::PostKind::Post,
                    None,
                    None,
                )
                .await?,
            );
        }
        // Likes and a comment between people, so the timeline looks alive.
        let everyone: Vec<tsunagu_kernel::MemberId> = ids.values().copied().collect();
        for (i, post) in post_ids.iter().enumerate() {
            for liker in everyone.iter().skip(i).take(2) {
                tsunagu_community::timeline::queries::toggle_like(&mut tx, *post, *liker).await?;
            }
        }
        let comment = if tenant.default_locale == "ja" {
            "おめでとうございます！今度ぜひお話を聞かせてください。"
        } else {
            "Congratulations! Would love to hear more over coffee."
        };
        tsunagu_community::timeline::queries::add_comment(
            &mut tx,
            post_ids[0],
            everyone[everyone.len() - 1],
            comment,
        )
        .await?;

        let secretariat =
            tsunagu_identity::queries::find_by_email(&mut tx, secretariat_email).await?;
        if let Some(secretariat) = secretariat {
            let (title, body) = if tenant.default_locale == "ja" {
                ("アルムナイインタビューに登場してくださる方を募集します", "社内報とこのネットワークで、退職後のキャリアを紹介するインタビューを連載しています。\n\n在籍時の経験がいまどう活きているか、30分ほどオンラインでお話を伺えませんか。")
            } else {
                ("Looking for alumni to feature in our interview series", "We publish a short interview every month about life after Acme.\n\nCould we talk for 30 minutes about what you do now and how your time here helped?")
            };
            let deadline = time::OffsetDateTime::now_utc().date() + time::Duration::days(21);
            let recruitment = tsunagu_community::recruitments::queries::create(
                &mut tx,
                secretariat.id,
                title,
                body,
                Some(deadline),
                tsunagu_community::kinds::RecruitmentStatus::Open,
            )
            .await?;
            for (i, member) in everyone.iter().enumerate() {
                use tsunagu_community::kinds::Reaction;
                let reaction = match i % 3 {
                    0 => Reaction::Interested,
                    1 => Reaction::Cheer,
                    _ => Reaction::SeeLater,
                };
                tsunagu_community::recruitments::queries::toggle_reaction(
                    &mut tx,
                    recruitment,
                    *member,
                    reaction,
                )
                .await?;
            }
            // An interview article featuring an alumnus.
            let (featured_email, title, summary, body) = if tenant.default_locale == "ja" {
                (
                    "daisuke.watanabe@example.jp",
                    "アルムナイインタビュー：技術顧問として独立した渡辺 大輔さん",
                    "2017年に退職し、独立して技術顧問を務める渡辺さんに、在籍時の経験がいまどう活きているかを伺いました。",
                    "<h2>在籍時に学んだこと</h2><p>開発本部で組込みの仕事をしていた9年間で、いちばん大きかったのは「お客様の現場に行く」習慣です。</p>\
                     <h2>いまの仕事</h2><p>独立して5年、製造業の会社の技術顧問をしています。現場で話を聞くところから始めるのは、当時とまったく同じです。</p>\
                     <blockquote>困ったときに相談できる元同僚がいるのは、何よりの財産です。</blockquote>",
                )
            } else {
                (
                    "tom.becker@example.org",
                    "Alumni interview: Tom Becker on five years of Becker Labs",
                    "Tom left Acme in 2016 to found Becker Labs. He told us what he took with him.",
                    "<h2>What Acme taught me</h2><p>Seven years in engineering taught me to ship small and talk to customers early.</p>\
                     <h2>What I do now</h2><p>Becker Labs builds embedded software for small manufacturers. We still run our retros the Acme way.</p>\
                     <blockquote>The best part of the alumni network is that the door never closes.</blockquote>",
                )
            };
            let featured: Vec<tsunagu_kernel::MemberId> =
                ids.get(featured_email).copied().into_iter().collect();
            let body_html = tsunagu_community::articles::sanitize_body(body);
            tsunagu_community::articles::queries::save(
                &mut tx,
                None,
                secretariat.id,
                &tsunagu_community::articles::queries::ArticleInput {
                    title,
                    summary,
                    body_html: &body_html,
                    status: tsunagu_community::kinds::ArticleStatus::Published,
                    publish_at: Some(time::OffsetDateTime::now_utc() - time::Duration::days(3)),
                    featured: Some(&featured),
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
