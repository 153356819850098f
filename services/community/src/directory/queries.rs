//! Directory SQL. Every query names the tenant and filters on `status = 'active'`; search walks
//! the token index (`member_search_tokens`) in directory order and rechecks the normalised text.

use serde::Serialize;
use sqlx::{Postgres, QueryBuilder};
use tsunagu_kernel::{DbError, TenantTx};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DirectoryRow {
    pub id: tsunagu_kernel::MemberId,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: String,
    pub kind: tsunagu_kernel::MemberKind,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: String,
    pub current_organisation: String,
    pub title: String,
    #[serde(skip)]
    pub field_visibility: sqlx::types::Json<serde_json::Value>,
    pub photo_key: Option<String>,
}

/// Filters of a directory search.
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilter {
    /// Normalised query text and its tokens (kernel::search).
    pub query: Option<(String, Vec<String>)>,
    /// How the tokens are matched ([`search`] chooses from their rarity).
    pub shape: SearchShape,
    pub kind: Option<tsunagu_kernel::MemberKind>,
    pub department: Option<String>,
    /// Years to overlap ("here at the same time as me"): (joined, left or this year).
    pub overlapping: Option<(i32, i32)>,
    /// Members who were at the company in this year (years visible to members only).
    pub in_year: Option<i32>,
    /// Keyset cursor: (name_kana, id) of the last row shown.
    pub after: Option<(String, tsunagu_kernel::MemberId)>,
}

pub const PAGE_SIZE: i64 = 20;

static EMPTY: String = String::new();

/// How many of a token's rows `rarest_first` counts at most: enough to tell a rare token from a
/// common one, and bounded, so ordering eight tokens reads at most 8,000 index entries.
pub const RARITY_SAMPLE: i64 = 1000;

/// A search's tokens, rarest first, and whether even the rarest is common.
#[derive(Debug, Clone, Default)]
pub struct RankedTokens {
    pub tokens: Vec<String>,
    /// Every token has at least [`RARITY_SAMPLE`] rows in this tenant.
    pub all_common: bool,
}

/// Orders a search's tokens rarest first in this tenant, so the search walks the shortest list
/// and checks the others per row. One round trip; the counts stop at [`RARITY_SAMPLE`].
pub async fn rarest_first(tx: &mut TenantTx, tokens: Vec<String>) -> Result<Vec<String>, DbError> {
    Ok(rank_tokens(tx, tokens).await?.tokens)
}

/// [`rarest_first`], also telling whether the rarest token is common (see [`SearchShape`]).
pub async fn rank_tokens(tx: &mut TenantTx, tokens: Vec<String>) -> Result<RankedTokens, DbError> {
    if tokens.len() < 2 {
        return Ok(RankedTokens {
            tokens,
            all_common: false,
        });
    }
    let tenant_id = tx.tenant_id();
    let ranked: Vec<(String, i64)> = sqlx::query_as(
        "select q.token, (select count(*) from (select 1 from member_search_tokens s \
                 where s.tenant_id = $1 and s.token = q.token limit $3) sample) as sampled \
         from unnest($2::text[]) with ordinality as q(token, position) \
         order by sampled, q.position",
    )
    .bind(tenant_id)
    .bind(&tokens)
    .bind(RARITY_SAMPLE)
    .fetch_all(tx.conn())
    .await?;
    let all_common = ranked
        .first()
        .is_some_and(|(_, sampled)| *sampled >= RARITY_SAMPLE);
    Ok(RankedTokens {
        tokens: ranked.into_iter().map(|(token, _)| token).collect(),
        all_common,
    })
}

/// How a text search finds its members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchShape {
    /// Walk the first (rarest) token's rows in directory order and check the other tokens per
    /// row, stopping when the page is full. Cheap when the first token is rare or when matches
    /// are dense; one token is always walked.
    #[default]
    Walk,
    /// Intersect every token's row list (index-only, by member), then sort the matches. For
    /// several tokens that are all common (やまだ はなこ in a 100k-member network): a walk of
    /// the first list would check thousands of rows, each with its own probes, before the
    /// first match; the intersection reads the lists once, at a fraction of a row check each.
    Intersect,
}

/// How many token lists an intersection reads at most (see [`SearchShape::Intersect`]).
pub const INTERSECTED_TOKENS: usize = 3;

/// At most `count` of `tokens`, spread evenly from the first to the last.
fn spread_tokens(tokens: &[String], count: usize) -> Vec<String> {
    if tokens.len() <= count || count < 2 {
        return tokens.iter().take(count.max(1)).cloned().collect();
    }
    let last = tokens.len() - 1;
    (0..count)
        .map(|i| tokens[i * last / (count - 1)].clone())
        .collect()
}

/// Builds a directory page query from only the clauses the filter needs. Each combination is its
/// own statement, so every prepared plan can use its indexes (optional `$n is null or …` clauses
/// would defeat them in generic plans). Every operator used as an index condition is leakproof
/// (text and uuid equality and ordering), which row-level security requires; the substring
/// check (`strpos`, not leakproof) only filters rows already found through the token index.
pub fn build_search<'a>(
    prefix: &str,
    tenant_id: tsunagu_kernel::TenantId,
    filter: &'a DirectoryFilter,
) -> QueryBuilder<'a, Postgres> {
    const COLUMNS: &str = "select m.id, m.name_kanji, m.name_kana, m.name_romaji, m.kind, m.joined_year, \
           m.left_year, m.department, m.current_organisation, m.title, m.field_visibility, m.photo_key";
    let mut q = QueryBuilder::new(prefix);
    q.push(COLUMNS);
    // The sort key: the token row's copy of name_kana when searching (an ordered walk of the
    // token index that stops at the page size), the member's own otherwise.
    let order = match (&filter.query, filter.shape) {
        (Some((text, tokens)), SearchShape::Intersect) => {
            push_intersection(&mut q, tenant_id, text, tokens)
        }
        (Some((text, tokens)), SearchShape::Walk) => push_walk(&mut q, tenant_id, text, tokens),
        (None, _) => {
            q.push(" from members m where m.tenant_id = ");
            q.push_bind(tenant_id);
            q.push(" and m.status = 'active'");
            "m.name_kana, m.id"
        }
    };
    if let Some(kind) = &filter.kind {
        q.push(" and m.kind = ");
        q.push_bind(*kind);
    }
    if let Some(department) = &filter.department {
        q.push(" and m.department = ");
        q.push_bind(department.clone());
        q.push(" and coalesce(m.field_visibility->>'department', 'members') = 'members'");
    }
    if let Some((joined, left)) = filter.overlapping {
        q.push(" and coalesce(m.joined_year, 9999) <= ");
        q.push_bind(left);
        q.push(" and coalesce(m.left_year, extract(year from now())::int) >= ");
        q.push_bind(joined);
        q.push(" and coalesce(m.field_visibility->>'years', 'members') = 'members'");
    }
    if let Some(year) = filter.in_year {
        q.push(" and coalesce(m.joined_year, 9999) <= ");
        q.push_bind(year);
        q.push(" and coalesce(m.left_year, extract(year from now())::int) >= ");
        q.push_bind(year);
        q.push(" and coalesce(m.field_visibility->>'years', 'members') = 'members'");
    }
    if let Some((kana, id)) = &filter.after {
        q.push(format!(" and ({order}) > ("));
        q.push_bind(kana.clone());
        q.push(", ");
        q.push_bind(*id);
        q.push(")");
    }
    q.push(format!(" order by {order} limit "));
    q.push_bind(PAGE_SIZE + 1);
    q
}

/// The from-clause and recheck of a [`SearchShape::Intersect`] search; returns the sort key.
fn push_intersection<'a>(
    q: &mut QueryBuilder<'a, Postgres>,
    tenant_id: tsunagu_kernel::TenantId,
    text: &str,
    tokens: &[String],
) -> &'static str {
    // Each list costs what it holds, so only a few, spread over the query (mostly over
    // different words), are intersected; the substring recheck decides what matches.
    let spread = spread_tokens(tokens, INTERSECTED_TOKENS);
    let count = spread.len() as i64;
    // Materialised (`offset 0`) so that the planner cannot turn it back into a walk.
    q.push(" from (select s.member_id from member_search_tokens s where s.tenant_id = ");
    q.push_bind(tenant_id);
    q.push(" and s.token = any(");
    q.push_bind(spread);
    q.push(") group by s.member_id having count(*) = ");
    q.push_bind(count);
    q.push(" offset 0) hit join members m on m.id = hit.member_id where m.tenant_id = ");
    q.push_bind(tenant_id);
    push_recheck(q, text);
    "m.name_kana, m.id"
}

/// The from-clause and recheck of a [`SearchShape::Walk`] search; returns the sort key: the
/// token row's copy of name_kana, so that the walk of the ordered token index stops at a page.
fn push_walk<'a>(
    q: &mut QueryBuilder<'a, Postgres>,
    tenant_id: tsunagu_kernel::TenantId,
    text: &str,
    tokens: &[String],
) -> &'static str {
    // Walk the first token (the caller puts the rarest first, see `rarest_first`) in
    // directory order; every other token must be there too. One subquery checks them all,
    // so the statement has the same shape, and costs the same to plan, for 2 or 8 tokens.
    let (lead, others) = tokens.split_first().unwrap_or((&EMPTY, &[]));
    q.push(
        " from member_search_tokens t \
         join members m on m.tenant_id = t.tenant_id and m.id = t.member_id \
         where t.tenant_id = ",
    );
    q.push_bind(tenant_id);
    q.push(" and t.token = ");
    q.push_bind(lead.clone());
    if !others.is_empty() {
        q.push(
            " and (select count(*) from member_search_tokens o \
             where o.tenant_id = t.tenant_id and o.member_id = t.member_id and o.token = any(",
        );
        q.push_bind(others.to_vec());
        q.push(")) = ");
        q.push_bind(others.len() as i64);
    }
    q.push(" and m.tenant_id = ");
    q.push_bind(tenant_id);
    push_recheck(q, text);
    "t.sort_key, t.member_id"
}

/// The substring recheck (tokens are bigrams, so "山田太" would also match 山田 … 田太).
/// `strpos` rather than `like '%…%'`: PostgreSQL estimates an unanchored like from a histogram
/// and, in a large tenant, guessed a dozen matches where there were thousands, then fetched and
/// sorted them all; a function gets a neutral estimate, and the ordered walk that stops after a
/// page wins.
fn push_recheck(q: &mut QueryBuilder<'_, Postgres>, text: &str) {
    q.push(" and m.status = 'active' and strpos(m.search_text, ");
    q.push_bind(text.to_owned());
    q.push(") > 0");
}

/// One page of the directory. A text search first ranks its tokens ([`rank_tokens`]) and picks
/// its [`SearchShape`] from their rarity; the filter's own token order and shape are ignored.
pub async fn search(
    tx: &mut TenantTx,
    filter: &DirectoryFilter,
) -> Result<Vec<DirectoryRow>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut filter = filter.clone();
    if let Some((_, tokens)) = &mut filter.query {
        let ranked = rank_tokens(tx, std::mem::take(tokens)).await?;
        *tokens = ranked.tokens;
        filter.shape = if ranked.all_common {
            SearchShape::Intersect
        } else {
            SearchShape::Walk
        };
    }
    let mut q = build_search("", tenant_id, &filter);
    Ok(q.build_query_as().fetch_all(tx.conn()).await?)
}

/// Departments offered as a facet (those visible to every member).
pub async fn departments(tx: &mut TenantTx) -> Result<Vec<String>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select distinct department from members where tenant_id = $1 and status = 'active' \
           and department <> '' and coalesce(field_visibility->>'department', 'members') = 'members' \
         order by department limit 100",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Profile {
    pub id: tsunagu_kernel::MemberId,
    pub email: String,
    pub kind: tsunagu_kernel::MemberKind,
    pub role: tsunagu_kernel::MemberRole,
    pub status: tsunagu_kernel::MemberStatus,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: String,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: String,
    pub current_organisation: String,
    pub title: String,
    pub skills: Vec<String>,
    pub ask_me_about: String,
    pub links: sqlx::types::Json<Vec<String>>,
    pub field_visibility: sqlx::types::Json<std::collections::BTreeMap<String, String>>,
    #[serde(with = "time::serde::rfc3339")]
    pub profile_updated_at: time::OffsetDateTime,
    pub photo_key: Option<String>,
    pub custom_fields: sqlx::types::Json<std::collections::BTreeMap<String, String>>,
}

pub async fn find_profile(
    tx: &mut TenantTx,
    id: tsunagu_kernel::MemberId,
) -> Result<Option<Profile>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, email, kind, role, status, name_kanji, name_kana, name_romaji, joined_year, left_year, \
                department, current_organisation, title, skills, ask_me_about, links, field_visibility, \
                                                profile_updated_at, photo_key, custom_fields \
         from members where tenant_id = $1 and id = $2 and status = 'active'",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

// Profile writes belong to identity, which owns `members` and their search tokens.
pub use tsunagu_identity::queries::profile::{set_photo, update_profile, ProfileUpdate};

/// The photo key of an active member of this tenant.
pub async fn photo_key(
    tx: &mut TenantTx,
    id: tsunagu_kernel::MemberId,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let key: Option<Option<String>> = sqlx::query_scalar(
        "select photo_key from members where tenant_id = $1 and id = $2 and status = 'active'",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(key.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersections_read_a_few_tokens_spread_over_the_query() {
        let tokens: Vec<String> = ["ha", "an", "na", "ak", "ya", "am", "ma", "da"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(spread_tokens(&tokens, 3), ["ha", "ak", "da"]);
        assert_eq!(spread_tokens(&tokens[..2], 3), ["ha", "an"]);
        assert_eq!(spread_tokens(&tokens, 1), ["ha"]);
    }
}
