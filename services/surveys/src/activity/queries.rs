//! SQL of the activity report (see the parent module).

use time::OffsetDateTime;
use tsunagu_kernel::activity::Rate;
use tsunagu_kernel::{DbError, TenantTx};

use crate::queries::{self, Survey};

/// Response rates of the latest `limit` surveys published after `since`: members who answered
/// of the audience it has now.
pub async fn response_rates(
    tx: &mut TenantTx,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Rate>, DbError> {
    let ids: Vec<crate::queries::SurveyId> = {
        let tenant_id = tx.tenant_id();
        sqlx::query_scalar(
            "select id from surveys where tenant_id = $1 and status <> 'draft' \
               and published_at >= $2 order by published_at desc limit $3",
        )
        .bind(tenant_id)
        .bind(since)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?
    };
    let mut rates = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(survey): Option<Survey> = queries::find(tx, id).await? else {
            continue;
        };
        let audience = queries::audience_size(tx, &survey).await?;
        rates.push(Rate {
            subject_id: survey.id.0,
            title: survey.title,
            at: survey.published_at.unwrap_or(survey.created_at),
            numerator: survey.respondents,
            denominator: audience,
        });
    }
    Ok(rates)
}

/// Open surveys whose closing time falls between `from` and `to`.
pub async fn count_closing_between(
    tx: &mut TenantTx,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from surveys where tenant_id = $1 and status = 'open' \
           and closes_at >= $2 and closes_at < $3",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await?)
}
