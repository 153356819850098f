//! The community's background jobs, run by `tsunagu worker` (its job registry names them).

use tsunagu_kernel::{Actor, Db};

/// Saved ("see later") 募集 older than this get one reminder email.
pub const SEE_LATER_REMINDER_AFTER: time::Duration = time::Duration::days(3);

/// Emails every member whose "see later" items are due, once per item, in each active tenant.
/// Each tenant in its own transaction: the emails and the "reminded" marks commit together.
pub async fn send_see_later_reminders(
    db: &Db,
    web: &tsunagu_web::WebKit,
    config: &tsunagu_kernel::config::ServerConfig,
) -> anyhow::Result<usize> {
    let mut platform = db.begin_platform().await?;
    let tenants = tsunagu_tenancy::registry::list_active(&mut platform).await?;
    platform.commit().await?;
    let mut sent = 0;
    for tenant in tenants {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let due =
            crate::recruitments::queries::take_due_reminders(&mut tx, SEE_LATER_REMINDER_AFTER)
                .await?;
        // The member asked for this reminder ("see later"), so it goes out unless they turned
        // recruitment emails off; it is not held for the digest.
        let ids: Vec<tsunagu_kernel::MemberId> = due.iter().map(|r| r.member_id).collect();
        let category = tsunagu_tenancy::EmailCategory::Recruitments;
        let wanted: std::collections::HashSet<tsunagu_kernel::MemberId> =
            tsunagu_identity::queries::consent::recipients(&mut tx, &ids, category)
                .await?
                .into_iter()
                .filter(|r| {
                    r.delivery(category, &tenant.email_defaults)
                        != tsunagu_tenancy::EmailDelivery::Off
                })
                .map(|r| r.id)
                .collect();
        for reminder in due.iter().filter(|r| wanted.contains(&r.member_id)) {
            let locale = tsunagu_identity::email::member_locale(
                reminder.preferred_locale.as_deref(),
                &tenant,
            );
            let titles = reminder
                .titles
                .iter()
                .map(|t| format!("・{t}"))
                .collect::<Vec<_>>()
                .join("\n");
            let origin = config.tenant_origin(&tenant.slug);
            tsunagu_identity::email::send_consented(
                &mut tx,
                web,
                config,
                &tenant,
                category,
                reminder.member_id,
                &tsunagu_identity::email::EmailSpec {
                    kind: "see_later_reminder",
                    to: &reminder.email,
                    recipient_name: Some(&reminder.name),
                    locale,
                    args: vec![
                        ("count", reminder.titles.len().to_string()),
                        ("titles", titles),
                    ],
                    action_url: Some(format!("{origin}/saved")),
                },
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}
