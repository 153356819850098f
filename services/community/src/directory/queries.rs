//! Directory SQL. Every query names the tenant and filters on `status = 'active'`; search walks
//! the token index (`member_search_tokens`) in directory order and rechecks the normalised text.

use serde::Serialize;
use sqlx::{Postgres, QueryBuilder};
use tsunagu_kernel::{DbError, TenantTx};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DirectoryRow {
    pub id: Uuid,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: String,
    pub kind: String,
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
    pub kind: Option<String>,
    pub department: Option<String>,
    /// Years to overlap ("here at the same time as me"): (joined, left or this year).
    pub overlapping: Option<(i32, i32)>,
    /// Members who were at the company in this year (years visible to members only).
    pub in_year: Option<i32>,
    /// Keyset cursor: (name_kana, id) of the last row shown.
    pub after: Option<(String, Uuid)>,
}

pub const PAGE_SIZE: i64 = 20;

static EMPTY: String = String::new();

/// How many of a token's rows `rarest_first` counts at most: enough to tell a rare token from a
/// common one, and bounded, so ordering eight tokens reads at most 8,000 index entries.
const RARITY_SAMPLE: i64 = 1000;

/// Orders a search's tokens rarest first in this tenant, so the search walks the shortest list
/// and checks the others per row. One round trip; the counts stop at [`RARITY_SAMPLE`].
pub async fn rarest_first(tx: &mut TenantTx, tokens: Vec<String>) -> Result<Vec<String>, DbError> {
    if tokens.len() < 2 {
        return Ok(tokens);
    }
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select q.token from unnest($2::text[]) with ordinality as q(token, position) \
         order by (select count(*) from (select 1 from member_search_tokens s \
                    where s.tenant_id = $1 and s.token = q.token limit $3) sample), q.position",
    )
    .bind(tenant_id)
    .bind(&tokens)
    .bind(RARITY_SAMPLE)
    .fetch_all(tx.conn())
    .await?)
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
    let order = if let Some((text, tokens)) = &filter.query {
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
        // The substring recheck (tokens are bigrams, so "山田太" would also match 山田 … 田太).
        // `strpos` rather than `like '%…%'`: PostgreSQL estimates an unanchored like from a
        // histogram and, in a large tenant, guessed a dozen matches where there were thousands,
        // then fetched and sorted them all; a function gets a neutral estimate, and the ordered
        // walk that stops after a page wins.
        q.push(" and m.status = 'active' and strpos(m.search_text, ");
        q.push_bind(text.clone());
        q.push(") > 0");
        "t.sort_key, t.member_id"
    } else {
        q.push(" from members m where m.tenant_id = ");
        q.push_bind(tenant_id);
        q.push(" and m.status = 'active'");
        "m.name_kana, m.id"
    };
    if let Some(kind) = &filter.kind {
        q.push(" and m.kind = ");
        q.push_bind(kind.clone());
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

pub async fn search(
    tx: &mut TenantTx,
    filter: &DirectoryFilter,
) -> Result<Vec<DirectoryRow>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut q = build_search("", tenant_id, filter);
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
    pub id: Uuid,
    pub email: String,
    pub kind: String,
    pub role: String,
    pub status: String,
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

pub async fn find_profile(tx: &mut TenantTx, id: Uuid) -> Result<Option<Profile>, DbError> {
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

pub struct ProfileUpdate<'a> {
    pub name_kanji: &'a str,
    pub name_kana: &'a str,
    pub name_romaji: &'a str,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: &'a str,
    pub current_organisation: &'a str,
    pub title: &'a str,
    pub skills: &'a [String],
    pub ask_me_about: &'a str,
    pub links: &'a [String],
    pub field_visibility: &'a std::collections::BTreeMap<String, String>,
    /// Values of the tenant's custom fields, by key.
    pub custom_fields: &'a std::collections::BTreeMap<String, String>,
}

/// Saves the profile and recomputes its search text from the parts every member may see.
pub async fn update_profile(
    tx: &mut TenantTx,
    id: Uuid,
    p: &ProfileUpdate<'_>,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let public = |field: &str| {
        p.field_visibility
            .get(field)
            .map(String::as_str)
            .unwrap_or("members")
            == "members"
    };
    let mut parts: Vec<&str> = vec![p.name_kanji, p.name_kana, p.name_romaji];
    if public("department") {
        parts.push(p.department);
    }
    if public("current_organisation") {
        parts.push(p.current_organisation);
    }
    if public("title") {
        parts.push(p.title);
    }
    let skills = p.skills.join(" ");
    if public("skills") {
        parts.push(&skills);
    }
    let text = parts.join(" ");
    sqlx::query(
        "update members set name_kanji = $3, name_kana = $4, name_romaji = $5, joined_year = $6, left_year = $7, \
           department = $8, current_organisation = $9, title = $10, skills = $11, ask_me_about = $12, links = $13, \
                      field_visibility = $14, custom_fields = $15, profile_updated_at = now(), updated_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(p.name_kanji)
    .bind(p.name_kana)
    .bind(p.name_romaji)
    .bind(p.joined_year)
    .bind(p.left_year)
    .bind(p.department)
    .bind(p.current_organisation)
    .bind(p.title)
    .bind(p.skills)
    .bind(p.ask_me_about)
    .bind(sqlx::types::Json(p.links))
        .bind(sqlx::types::Json(p.field_visibility))
    .bind(sqlx::types::Json(p.custom_fields))
    .execute(tx.conn())
    .await?;
    tsunagu_identity::queries::set_search_text(tx, id, &text).await?;
    Ok(())
}

/// Sets (or clears) a member's photo; returns the previous key, to delete its file.
pub async fn set_photo(
    tx: &mut TenantTx,
    id: Uuid,
    key: Option<&str>,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let previous: Option<Option<String>> = sqlx::query_scalar(
        "update members m set photo_key = $3, profile_updated_at = now() \
         from (select photo_key from members where tenant_id = $1 and id = $2) old \
         where m.tenant_id = $1 and m.id = $2 returning old.photo_key",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(key)
    .fetch_optional(tx.conn())
    .await?;
    Ok(previous.flatten())
}

/// The photo key of an active member of this tenant.
pub async fn photo_key(tx: &mut TenantTx, id: Uuid) -> Result<Option<String>, DbError> {
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
