//! Profile writes (identity owns `members` and `member_search_tokens`; community's profile page
//! calls these): the profile's fields with its search text, and the photo.

use tsunagu_kernel::MemberId;
use tsunagu_kernel::{DbError, TenantTx};

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
    id: MemberId,
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
    super::set_search_text(tx, id, &text).await?;
    Ok(())
}

/// Sets (or clears) a member's photo; returns the previous key, to delete its file.
pub async fn set_photo(
    tx: &mut TenantTx,
    id: MemberId,
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
