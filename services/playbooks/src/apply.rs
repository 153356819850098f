//! Turning a template into a draft in one network: a survey draft, an article draft, a 募集
//! draft or an event waiting for approval, in the language the visitor reads. Nothing made
//! here is seen by members until the secretariat publishes it.

use time::{Duration, OffsetDateTime, Time};
use tsunagu_community::kinds::{ArticleStatus, RecruitmentStatus};
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use tsunagu_web::dates::Zone;
use tsunagu_web::Locale;

use crate::library::{Kind, Playbook};

/// What a template became.
pub struct Made {
    pub kind: Kind,
    pub id: uuid::Uuid,
    /// Where the draft is edited and published.
    pub url: String,
}

/// Makes the draft of `playbook` in the transaction's network, authored by `author`.
pub async fn make_draft(
    tx: &mut TenantTx,
    playbook: &Playbook,
    lang: Locale,
    zone: Zone,
    author: MemberId,
    now: OffsetDateTime,
) -> Result<Made, DbError> {
    let title = playbook.title.get(lang).to_owned();
    let (id, url) = match playbook.kind {
        Kind::Survey => {
            let Some(part) = &playbook.survey else {
                unreachable_part()?
            };
            let id = tsunagu_surveys::queries::create(
                tx,
                author,
                &tsunagu_surveys::queries::SurveyInput {
                    title,
                    intro: part.intro.get(lang).to_owned(),
                    anonymous: part.anonymous,
                    // An anonymous answer cannot be found again to be edited.
                    allow_edits: !part.anonymous,
                    audience: tsunagu_surveys::kinds::Audience::Everyone,
                    audience_segment: None,
                    opens_at: None,
                    closes_at: None,
                },
            )
            .await?;
            for question in &part.questions {
                let Some(kind) = tsunagu_surveys::kinds::QuestionKind::parse(&question.kind) else {
                    // The library's unit test checks every kind; a template that slipped
                    // through loses the question, not the draft.
                    continue;
                };
                tsunagu_surveys::queries::add_question(
                    tx,
                    id,
                    &tsunagu_surveys::queries::QuestionInput {
                        kind,
                        prompt: question.prompt.get(lang).to_owned(),
                        help: question
                            .help
                            .as_ref()
                            .map(|h| h.get(lang).to_owned())
                            .unwrap_or_default(),
                        required: question.required,
                        allow_other: question.allow_other,
                        options: question
                            .options
                            .as_ref()
                            .map(|o| o.get(lang).to_vec())
                            .unwrap_or_default(),
                    },
                )
                .await?;
            }
            (id.as_uuid(), format!("/secretariat/surveys/{id}"))
        }
        Kind::Article => {
            let Some(part) = &playbook.article else {
                unreachable_part()?
            };
            let body =
                tsunagu_community::articles::forms::sanitize_body(part.body.get(lang).trim());
            let id = tsunagu_community::articles::queries::save(
                tx,
                None,
                author,
                &tsunagu_community::articles::queries::ArticleInput {
                    title: &title,
                    summary: "",
                    body_html: &body,
                    status: ArticleStatus::Draft,
                    publish_at: None,
                    featured: Some(&[]),
                },
            )
            .await?
            .ok_or_else(|| DbError::Sqlx(sqlx::Error::RowNotFound))?;
            (id.as_uuid(), format!("/articles/{id}"))
        }
        Kind::Recruitment => {
            let Some(part) = &playbook.recruitment else {
                unreachable_part()?
            };
            let deadline = part.deadline_weeks.map(|weeks| {
                (now + Duration::weeks(weeks))
                    .to_offset(zone.offset())
                    .date()
            });
            let id = tsunagu_community::recruitments::queries::create(
                tx,
                author,
                &title,
                part.body.get(lang),
                deadline,
                RecruitmentStatus::Draft,
            )
            .await?;
            (id.as_uuid(), format!("/recruitments/{id}"))
        }
        Kind::Event => {
            let Some(part) = &playbook.event else {
                unreachable_part()?
            };
            let day = (now + Duration::weeks(part.weeks_ahead))
                .to_offset(zone.offset())
                .date();
            let at = Time::from_hms(part.hour.min(23), 0, 0).unwrap_or(Time::MIDNIGHT);
            let starts_at = day.with_time(at).assume_offset(zone.offset());
            let fields = tsunagu_events::queries::EventFields {
                title,
                description_html: tsunagu_community::articles::forms::sanitize_body(
                    part.description.get(lang),
                ),
                starts_at,
                ends_at: starts_at + Duration::minutes(part.minutes),
                format: tsunagu_events::queries::EventFormat::Online,
                venue_name: String::new(),
                venue_address: String::new(),
                join_url: String::new(),
                capacity: None,
                guests_allowed: 0,
                rsvp_deadline: None,
                audience: tsunagu_events::queries::EventAudience::Everyone,
                audience_segment: None,
            };
            let id = tsunagu_events::queries::create(
                tx,
                &fields,
                author,
                tsunagu_events::queries::EventStatus::Pending,
                false,
            )
            .await?;
            (id.as_uuid(), format!("/events/{id}"))
        }
    };
    crate::queries::record_use(
        tx,
        &playbook.key,
        playbook.version,
        playbook.kind.as_str(),
        id,
        author,
    )
    .await?;
    Ok(Made {
        kind: playbook.kind,
        id,
        url,
    })
}

/// A template without the part of its kind never leaves `library::load`.
fn unreachable_part<T>() -> Result<T, DbError> {
    Err(DbError::Sqlx(sqlx::Error::Protocol(
        "a playbook without the part of its kind".into(),
    )))
}
