//! The audit log (`/secretariat/audit`): who did what, when, on whom, acting as whom; searchable
//! by name or action, by area and by dates, and exported as CSV (`/secretariat/audit.csv`). The
//! log itself is append-only for the application (no UPDATE or DELETE grant).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use tsunagu_web::csv::Csv;
use tsunagu_web::dates::{self, Zone};
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use super::forms::{query_string, with_query};
use crate::queries::{self, AuditFilter};

/// Shown on the page; the export takes everything the filter selects.
const PAGE_LIMIT: i64 = 200;
const EXPORT_LIMIT: i64 = 100_000;

/// The areas an action's first word names, offered as a filter.
const AREAS: &[&str] = &[
    "member",
    "invitation",
    "post",
    "comment",
    "recruitment",
    "article",
    "survey",
    "segment",
    "outreach",
    "event",
    "message",
    "email_consent",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    q: String,
    area: String,
    /// `YYYY-MM-DD` in the network's time zone, inclusive.
    from: String,
    to: String,
}

#[derive(Debug, Default, Serialize)]
struct Chosen {
    q: String,
    area: String,
    from: String,
    to: String,
}

fn day(value: &str) -> Option<Date> {
    Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

impl AuditQuery {
    fn filter(&self, zone: Zone) -> (AuditFilter, Chosen) {
        let q: String = self.q.trim().chars().take(100).collect();
        let area = AREAS
            .iter()
            .find(|a| **a == self.area)
            .map(|a| a.to_string());
        let from = day(&self.from);
        let to = day(&self.to);
        let start = |d: Date| d.midnight().assume_offset(zone.offset());
        let filter = AuditFilter {
            search: Some(q.clone()).filter(|q| !q.is_empty()),
            area: area.clone(),
            from: from.map(start),
            until: to.map(|d| start(d) + Duration::days(1)),
        };
        let chosen = Chosen {
            q,
            area: area.unwrap_or_default(),
            from: from.map(|d| d.to_string()).unwrap_or_default(),
            to: to.map(|d| d.to_string()).unwrap_or_default(),
        };
        (filter, chosen)
    }
}

impl Chosen {
    fn query_string(&self) -> String {
        query_string(&[
            ("q", self.q.as_str()),
            ("area", self.area.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ])
    }
}

pub async fn list_audit(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let (filter, chosen) = query.filter(page.zone());
    let mut tx = member.begin(&state).await?;
    let rows = queries::audit_events(&mut tx, &filter, PAGE_LIMIT).await?;
    tx.commit().await?;
    let query_string = chosen.query_string();
    let csv_url = with_query("/secretariat/audit.csv", &query_string);
    render_page(
        &state,
        &page,
        "secretariat/audit.html",
        StatusCode::OK,
        |c| {
            c.insert("events", &rows);
            c.insert("section", "audit");
            c.insert("chosen", &chosen);
            c.insert("filtered", &!query_string.is_empty());
            c.insert("areas", AREAS);
            c.insert("csv_url", &csv_url);
            c.insert("page_limit", &PAGE_LIMIT);
        },
    )
}

/// `GET /secretariat/audit.csv`: every event the filter selects, with its details, for Excel.
pub async fn export_audit(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let zone = page.zone();
    let (filter, _) = query.filter(zone);
    let mut tx = member.begin(&state).await?;
    let rows = queries::audit_events(&mut tx, &filter, EXPORT_LIMIT).await?;
    tx.commit().await?;
    let t = |key: &str| state.web.catalog.t(page.lang, key, &[]);
    let mut csv = Csv::new();
    csv.row(
        &[
            "when",
            "actor_kind",
            "actor",
            "action",
            "subject_type",
            "subject",
            "details",
        ]
        .map(|k| t(&format!("secretariat.audit_csv.{k}"))),
    );
    for e in rows {
        csv.row(&[
            dates::input_value(e.created_at, zone).replace('T', " "),
            t(&format!("audit.actor.{}", e.actor_kind)),
            e.actor_name.unwrap_or_default(),
            t(&format!("audit.{}", e.action)),
            e.subject_type,
            e.subject_name.unwrap_or_default(),
            e.details.to_string(),
        ]);
    }
    Ok(csv.into_download("audit-log.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_and_nothing_else() {
        assert_eq!(day("2026-12-04"), Some(time::macros::date!(2026 - 12 - 04)));
        assert_eq!(day("2026-13-01"), None);
        assert_eq!(day("x"), None);
        let (filter, chosen) = AuditQuery {
            q: " 佐藤 ".into(),
            area: "drop table".into(),
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
        }
        .filter(Zone::JAPAN);
        assert_eq!(filter.area, None, "an unknown area is ignored");
        assert_eq!(chosen.q, "佐藤");
        assert_eq!(
            filter.until.unwrap() - filter.from.unwrap(),
            Duration::days(1),
            "a one-day range covers that whole day"
        );
    }
}
