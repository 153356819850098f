//! A survey's results for the secretariat: per question, counts and percentages as server-drawn
//! SVG bars (no chart script), the scale's average and distribution, free-text answers with a
//! search, and the response rate against the audience. Results can be narrowed to a member
//! kind (named surveys) and to the responses that gave one answer to another question ("of those
//! who said yes to Q3, what did they answer in Q5").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_kernel::{MemberKind, TenantId};
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::builder::survey_view;
use crate::kinds::QuestionKind;
use crate::queries::{self, AnswerValue, OptionId, Question, QuestionId, ResultFilter, SurveyId};

/// Text answers listed per question.
pub const TEXTS_SHOWN: i64 = 100;

/// How long this process reuses a survey's whole-survey counts while no new response arrived.
/// A new response (the respondent count changes) shows at once; an edited answer within this.
pub const COUNTS_REUSED_FOR: Duration = Duration::from_secs(30);
/// Surveys whose counts one process keeps at most (the oldest go first).
const COUNTS_KEPT: usize = 500;

/// What the unfiltered results page counts: one pass over the survey's answers (about 200 ms
/// for 20 questions × 20,000 responses) and a count of the audience. Filtered views are
/// narrower and counted on each view.
pub struct Counts {
    tallies: Vec<(QuestionId, Option<OptionId>, Option<i16>, i64)>,
    answered: HashMap<Option<QuestionId>, i64>,
    audience: i64,
}

/// Whole-survey counts per (tenant, survey), in this process (`LocalCaches`), keyed with the
/// respondent count they were made at. The tenant is part of the key like every cache's.
#[derive(Default)]
pub struct CountsCache {
    entries: Mutex<HashMap<(TenantId, SurveyId), KeptCounts>>,
}

/// Counts made when the survey had this many respondents, at this time.
type KeptCounts = (i64, Instant, Arc<Counts>);

impl CountsCache {
    fn fresh(&self, key: (TenantId, SurveyId), respondents: i64) -> Option<Arc<Counts>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&key).and_then(|(at_count, made, counts)| {
            (*at_count == respondents && made.elapsed() < COUNTS_REUSED_FOR).then(|| counts.clone())
        })
    }

    fn keep(&self, key: (TenantId, SurveyId), respondents: i64, counts: Arc<Counts>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= COUNTS_KEPT && !entries.contains_key(&key) {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, made, _))| *made)
                .map(|(key, _)| *key)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (respondents, Instant::now(), counts));
    }
}

#[derive(Deserialize, Default)]
pub struct ResultsQuery {
    /// `alumni` or `employee`.
    #[serde(default)]
    pub kind: String,
    /// `<question id>:<option id or number>`.
    #[serde(default)]
    pub answer: String,
    /// Text answers containing this.
    #[serde(default)]
    pub q: String,
}

impl ResultsQuery {
    fn filter(&self, questions: &[Question]) -> ResultFilter {
        let kind = MemberKind::parse(self.kind.trim());
        let answer = crate::segments::parse_answer(questions, &self.answer);
        ResultFilter { kind, answer }
    }
}

#[derive(Serialize)]
struct Bar {
    label: String,
    /// An i18n key to translate instead of `label` (yes, no, other).
    label_key: Option<&'static str>,
    count: i64,
    /// Of the responses that answered the question, 0–100 with one decimal (the bar's width).
    percent: f64,
    /// The same for people: "50", "33.3".
    percent_label: String,
    /// `answer=` value that narrows the results to this bar's responses (none for "other").
    filter: Option<String>,
    selected: bool,
}

#[derive(Serialize)]
struct QuestionResult {
    id: String,
    number: usize,
    kind: QuestionKind,
    prompt: String,
    answered: i64,
    bars: Vec<Bar>,
    /// Scale questions: the mean, one decimal.
    average: Option<String>,
    texts: Vec<String>,
    has_texts: bool,
}

/// A figure with at most one decimal, without a trailing ".0".
fn one_decimal(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn percent(count: i64, of: i64) -> f64 {
    if of == 0 {
        return 0.0;
    }
    (count as f64 * 1000.0 / of as f64).round() / 10.0
}

pub async fn show_results(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = queries::questions(&mut tx, id).await?;
    let mut filter = query.filter(&questions);
    if survey.anonymous {
        // Who answered what is not known for an anonymous survey.
        filter.kind = None;
    }
    // The whole survey's counts are reused while no response arrived (see `CountsCache`);
    // narrowed views are counted each time.
    let whole = filter.kind.is_none() && filter.answer.is_none();
    let cache = state.local_caches.get::<CountsCache>();
    let key = (member.tenant.id, survey.id);
    let computed = match whole
        .then(|| cache.fresh(key, survey.respondents))
        .flatten()
    {
        Some(counts) => counts,
        None => {
            let tallies = queries::tallies(&mut tx, &survey, &filter).await?;
            let answered =
                queries::answered_counts(&mut tx, &survey, &questions, &tallies, &filter).await?;
            let audience = queries::audience_size(&mut tx, &survey).await?;
            let counts = Arc::new(Counts {
                tallies,
                answered,
                audience,
            });
            if whole {
                cache.keep(key, survey.respondents, counts.clone());
            }
            counts
        }
    };
    let (tallies, answered, audience) = (&computed.tallies, &computed.answered, computed.audience);
    let search = query.q.trim();
    let search = (!search.is_empty()).then_some(search);
    let mut texts: HashMap<QuestionId, Vec<String>> = HashMap::new();
    for question in &questions {
        if question.row.kind.is_text() || question.row.allow_other {
            let found = queries::text_answers(
                &mut tx,
                &survey,
                question.row.id,
                search,
                &filter,
                TEXTS_SHOWN,
            )
            .await?;
            texts.insert(question.row.id, found);
        }
    }
    tx.commit().await?;

    let mut counts: HashMap<(QuestionId, Option<OptionId>, Option<i16>), i64> = HashMap::new();
    for &(question, option, number, count) in tallies {
        counts.insert((question, option, number), count);
    }
    let selected = |question: QuestionId, value: &str| {
        query.answer == format!("{question}:{value}") && filter.answer.is_some()
    };
    let results: Vec<QuestionResult> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let id = q.row.id;
            let of = answered.get(&Some(id)).copied().unwrap_or(0);
            let count = |option: Option<OptionId>, number: Option<i16>| {
                counts.get(&(id, option, number)).copied().unwrap_or(0)
            };
            let bar = |label: String,
                       label_key: Option<&'static str>,
                       n: i64,
                       value: Option<String>| Bar {
                selected: value.as_deref().is_some_and(|v| selected(id, v)),
                filter: value.map(|v| format!("{id}:{v}")),
                label,
                label_key,
                count: n,
                percent: percent(n, of),
                percent_label: one_decimal(percent(n, of)),
            };
            let mut bars = Vec::new();
            let mut average = None;
            match q.row.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    for option in &q.options {
                        let n = count(Some(option.id), None);
                        bars.push(bar(
                            option.label.clone(),
                            None,
                            n,
                            Some(option.id.to_string()),
                        ));
                    }
                    if q.row.allow_other {
                        let n = count(None, None);
                        bars.push(bar(String::new(), Some("survey.other"), n, None));
                    }
                }
                QuestionKind::YesNo => {
                    bars.push(bar(
                        String::new(),
                        Some("survey.yes"),
                        count(None, Some(1)),
                        Some("1".into()),
                    ));
                    bars.push(bar(
                        String::new(),
                        Some("survey.no"),
                        count(None, Some(0)),
                        Some("0".into()),
                    ));
                }
                QuestionKind::Scale => {
                    let mut total = 0;
                    for n in 1..=5i16 {
                        let c = count(None, Some(n));
                        total += c * i64::from(n);
                        bars.push(bar(n.to_string(), None, c, Some(n.to_string())));
                    }
                    if of > 0 {
                        average = Some(one_decimal(
                            (total as f64 * 10.0 / of as f64).round() / 10.0,
                        ));
                    }
                }
                QuestionKind::ShortText | QuestionKind::LongText => {}
            }
            let texts = texts.remove(&id).unwrap_or_default();
            QuestionResult {
                id: id.to_string(),
                number: i + 1,
                kind: q.row.kind,
                prompt: q.row.prompt.clone(),
                answered: of,
                bars,
                average,
                has_texts: q.row.kind.is_text() || q.row.allow_other,
                texts,
            }
        })
        .collect();
    let responses = answered.get(&None).copied().unwrap_or(0);
    let filtered = filter.kind.is_some() || filter.answer.is_some();
    let filter_label = filter.answer.and_then(|(question, value)| {
        let (number, asked) = questions
            .iter()
            .enumerate()
            .find(|(_, q)| q.row.id == question)?;
        let answer = match value {
            AnswerValue::Option(option) => {
                asked.options.iter().find(|o| o.id == option)?.label.clone()
            }
            AnswerValue::Number(n) if asked.row.kind == QuestionKind::YesNo => {
                if n == 1 {
                    "yes".into()
                } else {
                    "no".into()
                }
            }
            AnswerValue::Number(n) => n.to_string(),
        };
        Some((number + 1, answer, asked.row.kind == QuestionKind::YesNo))
    });
    let now = OffsetDateTime::now_utc();
    let view = survey_view(&survey, &page, now);
    let can_export = member
        .tenant
        .entitlements()
        .allows(tsunagu_tenancy::plans::Entitlement::SurveysExport);
    render_page(&state, &page, "surveys/results.html", StatusCode::OK, |c| {
        c.insert("can_export", &can_export);
        c.insert("section", "surveys");
        c.insert("survey", &view);
        c.insert("results", &results);
        c.insert("respondents", &survey.respondents);
        c.insert("responses", &responses);
        c.insert("audience_size", &audience);
        c.insert("response_rate", &percent(survey.respondents, audience));
        c.insert(
            "response_rate_label",
            &one_decimal(percent(survey.respondents, audience)),
        );
        c.insert("filtered", &filtered);
        c.insert("kind", &filter.kind);
        c.insert("answer", &query.answer);
        c.insert("filter_label", &filter_label);
        c.insert("q", &query.q);
    })
}

#[cfg(test)]
mod tests {
    use super::{one_decimal, percent};

    #[test]
    fn percentages() {
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(2, 3), 66.7);
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(percent(40, 40), 100.0);
        assert_eq!(one_decimal(percent(1, 2)), "50");
        assert_eq!(one_decimal(percent(1, 3)), "33.3");
    }
}
