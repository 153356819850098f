//! The secretariat's member list: search, filters and keyset pages, and the same selection in
//! full for the CSV export.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, MemberKind, MemberRole, MemberStatus, TenantTx};

use super::{Member, MEMBER_COLUMNS};

/// When a member was last seen, as a filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Seen {
    #[default]
    Any,
    /// Seen since this moment.
    Since(OffsetDateTime),
    /// Not seen since this moment (never seen included).
    NotSince(OffsetDateTime),
    Never,
}

/// What the secretariat narrows the list to; every part optional.
#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    /// Already normalised (`tsunagu_kernel::search::normalize_query`): matched within names,
    /// readings, organisation and department (the directory's search text) and the address.
    pub search: Option<String>,
    pub kind: Option<MemberKind>,
    /// `None`: every status but removed (and never the "Tsunagu CS" member of support staff).
    pub status: Option<MemberStatus>,
    pub role: Option<MemberRole>,
    pub joined_since: Option<OffsetDateTime>,
    pub seen: Seen,
}

/// Up to `limit` members matching `filter`, newest first, after the keyset `after`
/// (`created_at`, id of the last row of the previous page).
pub async fn list_members(
    tx: &mut TenantTx,
    filter: &MemberFilter,
    after: Option<(OffsetDateTime, MemberId)>,
    limit: i64,
) -> Result<Vec<Member>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut q = sqlx::QueryBuilder::new(format!(
        "select {MEMBER_COLUMNS} from members where tenant_id = "
    ));
    q.push_bind(tenant_id);
    match filter.status {
        Some(status) => {
            q.push(" and status = ").push_bind(status.as_str());
        }
        None => {
            q.push(" and status not in ('removed', 'support')");
        }
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        q.push(" and (strpos(search_text, ")
            .push_bind(search.to_owned())
            .push(") > 0 or strpos(email_normalized, ")
            .push_bind(search.to_lowercase())
            .push(") > 0)");
    }
    if let Some(kind) = filter.kind {
        q.push(" and kind = ").push_bind(kind.as_str());
    }
    if let Some(role) = filter.role {
        q.push(" and role = ").push_bind(role.as_str());
    }
    if let Some(since) = filter.joined_since {
        q.push(" and created_at >= ").push_bind(since);
    }
    match filter.seen {
        Seen::Any => {}
        Seen::Since(at) => {
            q.push(" and last_seen_at >= ").push_bind(at);
        }
        Seen::NotSince(at) => {
            q.push(" and (last_seen_at is null or last_seen_at < ")
                .push_bind(at)
                .push(")");
        }
        Seen::Never => {
            q.push(" and last_seen_at is null");
        }
    }
    if let Some((created_at, id)) = after {
        q.push(" and (created_at, id) < (")
            .push_bind(created_at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" order by created_at desc, id desc limit ")
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(tx.conn()).await?)
}
