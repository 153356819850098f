//! The secretariat's workspace home (`/secretariat`): today's to-do, the network's figures and
//! the level-3 indicator, read from the worker's rollups (a year of days and a dozen rates, never
//! the network's posts or members one by one).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime};
use tsunagu_web::forms::render_page;
use tsunagu_web::i18n::Locale;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::chart::{self, Chart, Series};
use crate::level::{month_of, previous_month, MonthFigures};
use crate::queries::{self, DayRow, RateRow};

/// Weeks shown in the member and activity charts.
const WEEKS: i64 = 12;
/// Months of the level-3 trend.
const MONTHS: usize = 12;

/// Something waiting for the secretariat, one click away.
#[derive(Debug, Serialize)]
pub struct TodoItem {
    /// i18n key under `insights.todo`.
    pub key: &'static str,
    pub count: i64,
    pub url: &'static str,
}

/// The secretariat's to-do: approvals, reports and follow-ups waiting, surveys closing and
/// events this week. Each is a count on an index.
pub async fn todo(
    tx: &mut tsunagu_kernel::TenantTx,
    now: OffsetDateTime,
) -> Result<Vec<TodoItem>, tsunagu_kernel::DbError> {
    let week = now + Duration::days(7);
    Ok(vec![
        TodoItem {
            key: "approvals",
            count: tsunagu_identity::queries::activity::count_pending_approval(tx).await?,
            url: "/secretariat/approvals",
        },
        TodoItem {
            key: "reports",
            count: tsunagu_kernel::moderation::count_open_subjects(tx).await?,
            url: "/secretariat/moderation",
        },
        TodoItem {
            key: "events_to_approve",
            count: tsunagu_events::activity::count_pending(tx).await?,
            url: "/events?view=pending",
        },
        TodoItem {
            key: "follow_ups",
            count: tsunagu_community::activity::count_open_follow_ups(tx).await?,
            url: "/recruitments",
        },
        TodoItem {
            key: "surveys_closing",
            count: tsunagu_surveys::activity::count_closing_between(tx, now, week).await?,
            url: "/secretariat/surveys",
        },
        TodoItem {
            key: "events_this_week",
            count: tsunagu_events::activity::count_starting_between(tx, now, week).await?,
            url: "/events",
        },
    ])
}

/// A step of the first-week checklist (issue #19): it ticks itself once done.
#[derive(Debug, Serialize)]
pub struct FirstStep {
    /// i18n key under `insights.first_steps`.
    pub key: &'static str,
    pub done: bool,
    pub url: &'static str,
}

/// The first week of a network, in order: branding, employee email domains, inviting employees,
/// importing alumni, the first article, the first 募集, the first survey. Each step is read from
/// what exists, so it ticks itself whoever did it and however.
pub async fn first_steps(
    tx: &mut tsunagu_kernel::TenantTx,
    tenant: &tsunagu_tenancy::Tenant,
) -> Result<Vec<FirstStep>, tsunagu_kernel::DbError> {
    let steps = queries::first_steps(tx).await?;
    Ok(vec![
        FirstStep {
            key: "branding",
            done: steps.branding,
            url: "/secretariat/settings",
        },
        FirstStep {
            key: "domains",
            done: !tenant.signup.employee_email_domains.is_empty(),
            url: "/secretariat/settings",
        },
        FirstStep {
            key: "invite_employees",
            done: steps.employees_invited,
            url: "/secretariat/invitations",
        },
        FirstStep {
            key: "import_alumni",
            done: steps.alumni_imported,
            url: "/secretariat/import",
        },
        FirstStep {
            key: "first_article",
            done: steps.first_article,
            url: "/articles/new",
        },
        FirstStep {
            key: "first_recruitment",
            done: steps.first_recruitment,
            url: "/recruitments/new",
        },
        FirstStep {
            key: "first_survey",
            done: steps.first_survey,
            url: "/secretariat/surveys",
        },
    ])
}

#[derive(Debug, Serialize)]
struct MonthView {
    label: String,
    member_started: i64,
    secretariat_started: i64,
    share: Option<i64>,
    first_contacts: i64,
    level: u8,
}

#[derive(Debug, Serialize)]
struct RateView {
    title: String,
    on: String,
    numerator: i32,
    denominator: i32,
    /// "42" or "–" when nobody was asked.
    percent_text: String,
    /// The bar's length, 0–100.
    bar: i64,
}

#[derive(Debug, Serialize)]
struct Headline {
    alumni: i32,
    employees: i32,
    active_30d: Option<i32>,
    level: u8,
    share: Option<i64>,
    first_contacts: i64,
}

fn month_label(month: Date, lang: Locale) -> String {
    match lang {
        Locale::Ja => format!("{}年{}月", month.year(), u8::from(month.month())),
        Locale::En => {
            const NAMES: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let name = NAMES[usize::from(u8::from(month.month())) - 1];
            format!("{name} {}", month.year())
        }
    }
}

fn day_label(day: Date) -> String {
    format!("{}/{}", u8::from(day.month()), day.day())
}

/// Sums a month's days.
pub fn month_figures(days: &[DayRow], month: Date) -> MonthFigures {
    let next = if month.month() == Month::December {
        Date::from_calendar_date(month.year() + 1, Month::January, 1)
    } else {
        Date::from_calendar_date(month.year(), month.month().next(), 1)
    }
    .expect("a valid first day");
    days.iter()
        .filter(|d| d.day >= month && d.day < next)
        .fold(MonthFigures::default(), |m, d| MonthFigures {
            member_started: m.member_started + i64::from(d.member_started),
            secretariat_started: m.secretariat_started + i64::from(d.secretariat_started),
            first_contacts: m.first_contacts + i64::from(d.first_contacts),
        })
}

fn percent(numerator: i32, denominator: i32) -> Option<i64> {
    (denominator > 0).then(|| i64::from(numerator) * 100 / i64::from(denominator))
}

pub async fn show_workspace(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let zone = page.zone();
    let now = OffsetDateTime::now_utc();
    let today = now.to_offset(zone.offset()).date();
    let mut first_month = month_of(today);
    for _ in 1..MONTHS {
        first_month = previous_month(first_month);
    }
    let first_week_day = today - Duration::days(WEEKS * 7 - 1);
    let mut tx = member.begin(&state).await?;
    let days = queries::days_since(&mut tx, first_month.min(first_week_day)).await?;
    let rates = queries::rates(&mut tx).await?;
    let todo = todo(&mut tx, now).await?;
    let first_steps = first_steps(&mut tx, &member.tenant).await?;
    tx.commit().await?;
    let steps_done = first_steps.iter().filter(|s| s.done).count();
    // Shown until every step is done.
    let first_steps = (steps_done < first_steps.len()).then_some(first_steps);

    let thresholds = &member.tenant.level3;
    let mut months: Vec<Date> = vec![first_month];
    while months.len() < MONTHS {
        let last = *months.last().expect("one month at least");
        months.push(month_of(last + Duration::days(32)));
    }
    let month_views: Vec<MonthView> = months
        .iter()
        .map(|m| {
            let f = month_figures(&days, *m);
            MonthView {
                label: month_label(*m, page.lang),
                member_started: f.member_started,
                secretariat_started: f.secretariat_started,
                share: f.member_share_percent(),
                first_contacts: f.first_contacts,
                level: f.level(thresholds),
            }
        })
        .collect();
    let month_labels: Vec<String> = month_views.iter().map(|m| m.label.clone()).collect();
    let share_chart = chart::bars(
        &month_labels,
        &[Series {
            key: "member_share",
            values: month_views
                .iter()
                .map(|m| m.share.map(|s| s as f64))
                .collect(),
        }],
        true,
    );
    let contacts_chart = chart::bars(
        &month_labels,
        &[Series {
            key: "first_contacts",
            values: month_views
                .iter()
                .map(|m| Some(m.first_contacts as f64))
                .collect(),
        }],
        false,
    );

    // Weeks end today, so the latest one is never empty for want of days.
    let week_ends: Vec<Date> = (0..WEEKS)
        .rev()
        .map(|w| today - Duration::days(w * 7))
        .collect();
    let week_labels: Vec<String> = week_ends
        .iter()
        .map(|end| day_label(*end - Duration::days(6)))
        .collect();
    let last_on_or_before = |end: Date| days.iter().rev().find(|d| d.day <= end);
    let in_week = |end: Date| {
        let start = end - Duration::days(6);
        days.iter().filter(move |d| d.day >= start && d.day <= end)
    };
    let members_chart = chart::lines(
        &week_labels,
        &[
            Series {
                key: "alumni",
                values: week_ends
                    .iter()
                    .map(|e| last_on_or_before(*e).map(|d| f64::from(d.alumni)))
                    .collect(),
            },
            Series {
                key: "employees",
                values: week_ends
                    .iter()
                    .map(|e| last_on_or_before(*e).map(|d| f64::from(d.employees)))
                    .collect(),
            },
            Series {
                key: "active_30d",
                values: week_ends
                    .iter()
                    .map(|e| {
                        in_week(*e)
                            .filter_map(|d| d.active_30d)
                            .next_back()
                            .map(f64::from)
                    })
                    .collect(),
            },
        ],
        false,
    );
    let weekly = |f: fn(&DayRow) -> i32| -> Vec<Option<f64>> {
        week_ends
            .iter()
            .map(|e| {
                let mut any = false;
                let total: i64 = in_week(*e)
                    .map(|d| {
                        any = true;
                        i64::from(f(d))
                    })
                    .sum();
                any.then_some(total as f64)
            })
            .collect()
    };
    let activity_chart = chart::bars(
        &week_labels,
        &[
            Series {
                key: "posts",
                values: weekly(|d| d.posts),
            },
            Series {
                key: "comments",
                values: weekly(|d| d.comments),
            },
            Series {
                key: "reactions",
                values: weekly(|d| d.reactions),
            },
            Series {
                key: "recruitments",
                values: weekly(|d| d.recruitments),
            },
        ],
        false,
    );

    let rate_views = |kind: &str| -> Vec<RateView> {
        rates
            .iter()
            .filter(|r: &&RateRow| r.kind == kind)
            .map(|r| {
                let share = percent(r.numerator, r.denominator);
                RateView {
                    title: r.title.clone(),
                    on: tsunagu_web::dates::date(r.at, page.lang, zone),
                    numerator: r.numerator,
                    denominator: r.denominator,
                    percent_text: share.map_or_else(|| "–".to_owned(), |p| p.to_string()),
                    bar: share.unwrap_or(0).clamp(0, 100),
                }
            })
            .collect()
    };
    let latest = days.last();
    let this_month = month_figures(&days, month_of(today));
    let headline = Headline {
        alumni: latest.map_or(0, |d| d.alumni),
        employees: latest.map_or(0, |d| d.employees),
        active_30d: latest.and_then(|d| d.active_30d),
        level: this_month.level(thresholds),
        share: this_month.member_share_percent(),
        first_contacts: this_month.first_contacts,
    };
    let charts: Vec<(&str, Chart)> = vec![
        ("members", members_chart),
        ("activity", activity_chart),
        ("share", share_chart),
        ("contacts", contacts_chart),
    ];
    render_page(
        &state,
        &page,
        "insights/workspace.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "dashboard");
            c.insert("todo", &todo);
            c.insert("first_steps", &first_steps);
            c.insert("steps_done", &steps_done);
            c.insert("has_rollups", &!days.is_empty());
            c.insert("headline", &headline);
            c.insert("months", &month_views);
            c.insert("thresholds", thresholds);
            for (name, chart) in &charts {
                c.insert(format!("{name}_chart"), chart);
            }
            c.insert("survey_rates", &rate_views("survey"));
            c.insert("event_rates", &rate_views("event"));
        },
    )
}
