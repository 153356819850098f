//! Email consent: each member's choice per category (`email_preferences`), every change kept
//! with its time and source (`email_consent_changes`), and who among some members gets a
//! category's email now.

use std::collections::HashMap;

use tsunagu_kernel::{DbError, MemberId, TenantTx};
use tsunagu_tenancy::{EmailCategory, EmailDefaults, EmailDelivery};

tsunagu_kernel::text_enum! {
    /// How a consent change was made.
    pub enum ConsentSource {
        /// The member's email settings.
        Settings => "settings",
        /// The unsubscribe link (or one-click button) of an email, signed out.
        UnsubscribeLink => "unsubscribe_link",
    }
}

/// The member's own choices (categories without a row follow the network's defaults).
pub async fn choices(
    tx: &mut TenantTx,
    member: MemberId,
) -> Result<HashMap<EmailCategory, EmailDelivery>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(EmailCategory, EmailDelivery)> = sqlx::query_as(
        "select category, delivery from email_preferences where tenant_id = $1 and member_id = $2",
    )
    .bind(tenant_id)
    .bind(member)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Stores the choices that differ from what applies now (own choice, else `defaults`), each
/// with a line in the change history. Returns how many changed.
pub async fn set(
    tx: &mut TenantTx,
    member: MemberId,
    defaults: &EmailDefaults,
    wanted: &[(EmailCategory, EmailDelivery)],
    source: ConsentSource,
) -> Result<usize, DbError> {
    let tenant_id = tx.tenant_id();
    // Serialises two changes of one member's consent (two tabs, a click on a link meanwhile),
    // so that the history's order is the order the choices took effect.
    sqlx::query("select 1 from members where tenant_id = $1 and id = $2 for update")
        .bind(tenant_id)
        .bind(member)
        .execute(tx.conn())
        .await?;
    let current = choices(tx, member).await?;
    let changed: Vec<(EmailCategory, EmailDelivery)> = wanted
        .iter()
        .copied()
        .filter(|(category, delivery)| {
            category.allows(*delivery)
                && current
                    .get(category)
                    .copied()
                    .unwrap_or_else(|| defaults.of(*category))
                    != *delivery
        })
        .collect();
    if changed.is_empty() {
        return Ok(0);
    }
    let categories: Vec<&str> = changed.iter().map(|(c, _)| c.as_str()).collect();
    let deliveries: Vec<&str> = changed.iter().map(|(_, d)| d.as_str()).collect();
    sqlx::query(
        "insert into email_preferences (tenant_id, member_id, category, delivery) \
         select $1, $2, c, d from unnest($3::text[], $4::text[]) as x(c, d) \
         on conflict (tenant_id, member_id, category) \
         do update set delivery = excluded.delivery, updated_at = now()",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(&categories)
    .bind(&deliveries)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into email_consent_changes (tenant_id, id, member_id, category, delivery, source) \
         select $1, gen_random_uuid(), $2, c, d, $5 from unnest($3::text[], $4::text[]) as x(c, d)",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(&categories)
    .bind(&deliveries)
    .bind(source)
    .execute(tx.conn())
    .await?;
    Ok(changed.len())
}

/// One line of a member's consent history.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ConsentChange {
    pub category: EmailCategory,
    pub delivery: EmailDelivery,
    pub source: ConsentSource,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: time::OffsetDateTime,
}

/// The member's latest consent changes, newest first.
pub async fn history(
    tx: &mut TenantTx,
    member: MemberId,
    limit: i64,
) -> Result<Vec<ConsentChange>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select category, delivery, source, changed_at from email_consent_changes \
         where tenant_id = $1 and member_id = $2 order by changed_at desc, id limit $3",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A member to email, with what they chose for the category (`None`: the network's default).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRecipient {
    pub id: MemberId,
    pub email: String,
    pub name_kanji: String,
    pub preferred_locale: Option<String>,
    pub delivery: Option<EmailDelivery>,
}

impl ConsentRecipient {
    pub fn delivery(&self, category: EmailCategory, defaults: &EmailDefaults) -> EmailDelivery {
        self.delivery.unwrap_or_else(|| defaults.of(category))
    }
}

/// The active members among `members` with their choice for `category`.
pub async fn recipients(
    tx: &mut TenantTx,
    members: &[MemberId],
    category: EmailCategory,
) -> Result<Vec<ConsentRecipient>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.email, m.name_kanji, m.preferred_locale, p.delivery \
         from members m \
         left join email_preferences p \
           on p.tenant_id = m.tenant_id and p.member_id = m.id and p.category = $3 \
         where m.tenant_id = $1 and m.id = any($2) and m.status = 'active' \
         order by m.id",
    )
    .bind(tenant_id)
    .bind(members)
    .bind(category)
    .fetch_all(tx.conn())
    .await?)
}
