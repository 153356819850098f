//! The member list (`/secretariat/members`): search and filters by kind, status, role, when they
//! joined and when they were last seen, pages of 100, and the same selection as CSV for Excel
//! (`/secretariat/members.csv`, audited).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tsunagu_identity::queries::listing::{self, MemberFilter, Seen};
use tsunagu_identity::queries::Member;
use tsunagu_kernel::{audit, MemberId, MemberKind, MemberRole, MemberStatus};
use tsunagu_web::csv::Csv;
use tsunagu_web::dates;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use super::forms::{query_string, with_query};
use super::views::MemberRow;

const PAGE_SIZE: i64 = 100;
/// More than any network has members; the export is one statement and one document.
const EXPORT_LIMIT: i64 = 200_000;

/// The list's query string, as typed; unknown values are ignored rather than refused (a filter
/// link from an older page still opens the list).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberQuery {
    q: String,
    kind: String,
    status: String,
    role: String,
    /// 30d, 90d, 365d: joined within.
    joined: String,
    /// 30d: seen within 30 days; idle90: not seen for 90 days; never.
    seen: String,
    /// The keyset of the previous page's last row: `<unix microseconds>.<member id>`.
    after: String,
}

/// The filter as understood, echoed back into the form.
#[derive(Debug, Default, Serialize)]
struct Chosen {
    q: String,
    kind: String,
    status: String,
    role: String,
    joined: String,
    seen: String,
}

impl MemberQuery {
    fn filter(&self, now: OffsetDateTime) -> (MemberFilter, Chosen) {
        let q = self.q.trim().chars().take(100).collect::<String>();
        let kind = MemberKind::parse(&self.kind);
        let status = MemberStatus::parse(&self.status).filter(|s| MemberStatus::LISTED.contains(s));
        let role = MemberRole::parse(&self.role);
        let joined = match self.joined.as_str() {
            "30d" => Some(30),
            "90d" => Some(90),
            "365d" => Some(365),
            _ => None,
        };
        let seen = match self.seen.as_str() {
            "30d" => Seen::Since(now - Duration::days(30)),
            "idle90" => Seen::NotSince(now - Duration::days(90)),
            "never" => Seen::Never,
            _ => Seen::Any,
        };
        let chosen = Chosen {
            q: q.clone(),
            kind: kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            role: role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            joined: joined.map(|d| format!("{d}d")).unwrap_or_default(),
            seen: match seen {
                Seen::Any => String::new(),
                _ => self.seen.clone(),
            },
        };
        let filter = MemberFilter {
            search: Some(tsunagu_kernel::search::normalize_query(&q)).filter(|s| !s.is_empty()),
            kind,
            status,
            role,
            joined_since: joined.map(|days| now - Duration::days(days)),
            seen,
        };
        (filter, chosen)
    }

    fn after(&self) -> Option<(OffsetDateTime, MemberId)> {
        let (micros, id) = self.after.split_once('.')?;
        let micros: i128 = micros.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000)?).ok()?;
        Some((at, MemberId(id.parse().ok()?)))
    }
}

impl Chosen {
    /// The filter as a query string, for the next page and the CSV link.
    fn query_string(&self) -> String {
        query_string(&[
            ("q", self.q.as_str()),
            ("kind", self.kind.as_str()),
            ("status", self.status.as_str()),
            ("role", self.role.as_str()),
            ("joined", self.joined.as_str()),
            ("seen", self.seen.as_str()),
        ])
    }

    fn is_empty(&self) -> bool {
        self.query_string().is_empty()
    }
}

fn cursor(m: &Member) -> String {
    format!("{}.{}", m.created_at.unix_timestamp_nanos() / 1000, m.id.0)
}

pub async fn list_members(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<MemberQuery>,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let (filter, chosen) = query.filter(now);
    let mut tx = member.begin(&state).await?;
    let mut found = listing::list_members(&mut tx, &filter, query.after(), PAGE_SIZE + 1).await?;
    tx.commit().await?;
    let next = if found.len() as i64 > PAGE_SIZE {
        found.truncate(PAGE_SIZE as usize);
        found.last().map(cursor)
    } else {
        None
    };
    let zone = page.zone();
    let rows: Vec<MemberRow> = found
        .into_iter()
        .map(|m| MemberRow {
            is_self: m.id == member.id(),
            joined_on: dates::date(m.created_at, page.lang, zone),
            joined_iso: dates::iso(m.created_at),
            last_seen_on: m.last_seen_at.map(|at| dates::date(at, page.lang, zone)),
            id: m.id,
            name_kanji: m.name_kanji,
            email: m.email,
            kind: m.kind,
            role: m.role,
            status: m.status,
        })
        .collect();
    let query_string = chosen.query_string();
    let next_url = next.map(|after| {
        let after = format!("after={after}");
        let query = if query_string.is_empty() {
            after
        } else {
            format!("{query_string}&{after}")
        };
        with_query("/secretariat/members", &query)
    });
    let csv_url = with_query("/secretariat/members.csv", &query_string);
    render_page(
        &state,
        &page,
        "secretariat/members.html",
        StatusCode::OK,
        |c| {
            c.insert("members", &rows);
            c.insert("section", "members");
            c.insert("filtered", &!chosen.is_empty());
            c.insert("chosen", &chosen);
            c.insert("next_url", &next_url);
            c.insert("csv_url", &csv_url);
            c.insert("kinds", MemberKind::ALL);
            c.insert("statuses", &MemberStatus::LISTED);
            c.insert("roles", MemberRole::ALL);
        },
    )
}

/// `GET /secretariat/members.csv`: the members the filter selects, every column the secretariat
/// manages, for Excel (UTF-8 with a BOM).
pub async fn export_members(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<MemberQuery>,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let (filter, chosen) = query.filter(now);
    let mut tx = member.begin(&state).await?;
    let found = listing::list_members(&mut tx, &filter, None, EXPORT_LIMIT).await?;
    audit::record(
        &mut tx,
        "member.exported",
        "member",
        None,
        serde_json::json!({ "rows": found.len(), "filter": chosen.query_string() }),
    )
    .await?;
    tx.commit().await?;
    let t = |key: &str| state.web.catalog.t(page.lang, key, &[]);
    let zone = page.zone();
    let mut csv = Csv::new();
    csv.row(
        &[
            "name",
            "kana",
            "romaji",
            "email",
            "kind",
            "status",
            "role",
            "joined_year",
            "left_year",
            "department",
            "organisation",
            "registered",
            "last_seen",
        ]
        .map(|k| t(&format!("secretariat.csv.{k}"))),
    );
    let day = |at: OffsetDateTime| dates::input_value(at, zone).replace('T', " ");
    for m in found {
        csv.row(&[
            m.name_kanji,
            m.name_kana,
            m.name_romaji,
            m.email,
            t(&format!("member.kind.{}", m.kind.as_str())),
            t(&format!("member.status.{}", m.status.as_str())),
            t(&format!("member.role.{}", m.role.as_str())),
            m.joined_year.map(|y| y.to_string()).unwrap_or_default(),
            m.left_year.map(|y| y.to_string()).unwrap_or_default(),
            m.department,
            m.current_organisation,
            day(m.created_at),
            m.last_seen_at.map(day).unwrap_or_default(),
        ]);
    }
    Ok(csv.into_download("members.csv"))
}

/// `GET /secretariat/members/{id}/remove`: what removing this member does, before it is done.
pub async fn confirm_remove(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    axum::extract::Path(id): axum::extract::Path<MemberId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let target = tsunagu_identity::queries::find_by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if id == member.id() {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/secretariat/members?notice=cannot_change_self"),
        ));
    }
    if target.status == MemberStatus::Removed {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/secretariat/members?notice=nothing_changed"),
        ));
    }
    render_page(
        &state,
        &page,
        "secretariat/member_remove.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "members");
            c.insert("target", &target);
        },
    )
}
