//! A survey's answers as CSV, for a spreadsheet: UTF-8 with a byte-order mark (so that Excel
//! reads Japanese correctly), CRLF line ends, formulas defused (`tsunagu_web::csv`), one row per response and one column per question.
//! Named surveys start each row with the member's name, email, kind and time of sending;
//! anonymous surveys carry no member column at all. The export is audited.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tsunagu_web::csv::Csv;
use tsunagu_web::i18n::Locale;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::kinds::QuestionKind;
use crate::queries::{self, ExportRow, Question, Survey, SurveyId};

/// The CSV text (with its byte-order mark). `t` translates the header and fixed answers.
pub fn csv(
    survey: &Survey,
    questions: &[Question],
    rows: &[ExportRow],
    t: impl Fn(&str) -> String,
    datetime: impl Fn(time::OffsetDateTime) -> String,
) -> String {
    let mut out = Csv::new();
    let mut header = Vec::new();
    if !survey.anonymous {
        for key in [
            "export.name",
            "export.email",
            "export.kind",
            "export.submitted_at",
        ] {
            header.push(t(key));
        }
    }
    header.extend(
        questions
            .iter()
            .enumerate()
            .map(|(i, q)| format!("Q{} {}", i + 1, q.row.prompt)),
    );
    out.row(&header);

    let column: HashMap<_, _> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| (q.row.id, i))
        .collect();
    let mut start = 0;
    while start < rows.len() {
        let response = rows[start].response_id;
        let end = rows[start..]
            .iter()
            .position(|r| r.response_id != response)
            .map_or(rows.len(), |n| start + n);
        let answers = &rows[start..end];
        let first = &answers[0];
        let mut cells: Vec<Vec<String>> = vec![Vec::new(); questions.len()];
        for answer in answers {
            let Some(&i) = column.get(&answer.question_id) else {
                continue;
            };
            let q = &questions[i];
            let text = match (answer.option_id, answer.number_value, &answer.text_value) {
                (Some(option), _, _) => q
                    .options
                    .iter()
                    .find(|o| o.id == option)
                    .map(|o| o.label.clone())
                    .unwrap_or_default(),
                (None, Some(n), _) if q.row.kind == QuestionKind::YesNo => {
                    t(if n == 1 { "survey.yes" } else { "survey.no" })
                }
                (None, Some(n), _) => n.to_string(),
                (None, None, Some(text)) if q.row.kind.has_options() => {
                    format!("{}: {text}", t("survey.other"))
                }
                (None, None, Some(text)) => text.clone(),
                (None, None, None) => continue,
            };
            cells[i].push(text);
        }
        let mut fields = Vec::new();
        if !survey.anonymous {
            fields.push(first.name.clone().unwrap_or_default());
            fields.push(first.email.clone().unwrap_or_default());
            fields.push(
                first
                    .kind
                    .map(|k| t(&format!("member.kind.{}", k.as_str())))
                    .unwrap_or_default(),
            );
            fields.push(first.submitted_at.map(&datetime).unwrap_or_default());
        }
        fields.extend(cells.into_iter().map(|c| c.join(" / ")));
        out.row(&fields);
        start = end;
    }
    out.into_string()
}

pub async fn export_csv(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    // A plan entitlement (docs/BILLING.md): the results page says so instead of offering it.
    if !member
        .tenant
        .entitlements()
        .allows(tsunagu_tenancy::plans::Entitlement::SurveysExport)
    {
        return Err(AppError::Forbidden);
    }
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = queries::questions(&mut tx, id).await?;
    let rows = queries::export_rows(&mut tx, id).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "survey.exported",
        "survey",
        Some(id.as_uuid()),
        serde_json::json!({ "title": survey.title, "anonymous": survey.anonymous }),
    )
    .await?;
    tx.commit().await?;
    let lang: Locale = page.lang;
    let text = csv(
        &survey,
        &questions,
        &rows,
        |key| state.web.catalog.t(lang, key, &[]),
        |at| tsunagu_web::dates::datetime(at, lang, page.zone()),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"survey-{id}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        text,
    )
        .into_response())
}
