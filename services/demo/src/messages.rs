//! Demo conversations: in each demo network, an employee and an alumna who write to each other,
//! and a small group of reunion organisers (so that `/messages` has something to show).

use tsunagu_kernel::{Actor, Db, MemberId, TenantTx};

use crate::seed::DEMO_SLUGS;

struct Texts {
    direct: (&'static str, &'static str, [&'static str; 3]),
    group: (&'static str, [&'static str; 3], [&'static str; 2]),
}

const JA: Texts = Texts {
    direct: (
        "aoi.nakamura@demo.example.co.jp",
        "kenta.yamamoto@example.jp",
        [
            "山本さん、はじめまして。人事の中村です。アルムナイ記事を拝見して、いまのお仕事の話をぜひ伺いたいと思いご連絡しました。",
            "中村さん、ご連絡ありがとうございます！ぜひ。来週でしたら火曜か木曜の夕方が空いています。",
            "ありがとうございます。木曜18時でいかがでしょう。オンラインの招待をお送りします。",
        ],
    ),
    group: (
        "同窓会の幹事チーム",
        [
            "kenta.yamamoto@example.jp",
            "yui.tanaka@example.jp",
            "aoi.nakamura@demo.example.co.jp",
        ],
        [
            "今年の同窓会、秋に渋谷でどうでしょう？",
            "賛成です。会場の候補をいくつか探してみます。",
        ],
    ),
};

const EN: Texts = Texts {
    direct: (
        "tom.becker@example.org",
        "sam.patel@example.org",
        [
            "Hi Sam, Tom from the platform team here. Your alumni story was great: would you talk to our new hires about your first year at a startup?",
            "Happy to! Any week after the 10th works for me.",
            "Perfect, I'll send an invite for the 14th.",
        ],
    ),
    group: (
        "Reunion organisers",
        [
            "sam.patel@example.org",
            "jo.nguyen@example.org",
            "tom.becker@example.org",
        ],
        [
            "Shall we do the reunion in October this year?",
            "October works. I'll look for a venue near the old office.",
        ],
    ),
};

async fn member_id(tx: &mut TenantTx, email: &str) -> anyhow::Result<Option<MemberId>> {
    Ok(tsunagu_identity::queries::find_by_email(tx, email)
        .await?
        .map(|m| m.id))
}

/// Seeds the demo conversations once per demo network (skipped when it has any).
pub async fn seed_demo_messages(db: &Db) -> anyhow::Result<()> {
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    platform.commit().await?;
    for tenant in tenants {
        let texts = if tenant.default_locale == "ja" {
            &JA
        } else {
            &EN
        };
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let (from, to, lines) = &texts.direct;
        let (Some(from), Some(to)) = (
            member_id(&mut tx, from).await?,
            member_id(&mut tx, to).await?,
        ) else {
            tx.rollback().await?;
            continue;
        };
        if !tsunagu_messages::queries::list_for(&mut tx, from, 1)
            .await?
            .is_empty()
        {
            tx.rollback().await?;
            continue;
        }
        let direct = tsunagu_messages::queries::direct_between(&mut tx, from, to).await?;
        for (n, line) in lines.iter().enumerate() {
            let author = if n % 2 == 0 { from } else { to };
            tsunagu_messages::queries::post(&mut tx, direct, author, line, None).await?;
        }
        let (title, emails, lines) = &texts.group;
        let mut members = Vec::new();
        for email in emails {
            if let Some(id) = member_id(&mut tx, email).await? {
                members.push(id);
            }
        }
        if let Some((&creator, others)) = members.split_first() {
            let group =
                tsunagu_messages::queries::create_group(&mut tx, creator, title, others).await?;
            for (n, line) in lines.iter().enumerate() {
                let author = members[n % members.len()];
                tsunagu_messages::queries::post(&mut tx, group, author, line, None).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
