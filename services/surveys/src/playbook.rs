//! Ready-made surveys the product offers with one action. The first is the post-event survey:
//! made from an event's attendee page, asked of those who were checked in, published at once
//! (they are told in the app), open for two weeks. Its text is in the network's language; the
//! secretariat can close it or make a new version from the builder as with any survey. More
//! (welcome, career) belong here, and in the console's playbook library later (issue #18).

use time::{Duration, OffsetDateTime};
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use tsunagu_web::{Locale, WebKit};

use crate::kinds::{Audience, QuestionKind};
use crate::queries::{self, QuestionInput, SurveyId, SurveyInput};

/// How long a post-event survey stays open.
pub const POST_EVENT_OPEN_FOR: Duration = Duration::days(14);

/// Makes, fills and publishes the post-event survey of `event` and tells its audience (the
/// members checked in). Returns the survey and how many were asked.
pub async fn post_event_survey(
    tx: &mut TenantTx,
    web: &WebKit,
    lang: Locale,
    created_by: MemberId,
    event: uuid::Uuid,
    event_title: &str,
) -> Result<(SurveyId, usize), DbError> {
    let t = |key: &str| {
        web.catalog.t(
            lang,
            &format!("survey_playbook.post_event.{key}"),
            &[("title", event_title)],
        )
    };
    let now = OffsetDateTime::now_utc();
    let input = SurveyInput {
        title: t("title").chars().take(200).collect(),
        intro: t("intro"),
        anonymous: false,
        allow_edits: true,
        audience: Audience::Event,
        audience_segment: None,
        opens_at: None,
        closes_at: Some(now + POST_EVENT_OPEN_FOR),
    };
    let survey = queries::create_for_event(tx, created_by, &input, event).await?;
    let questions = [
        QuestionInput {
            kind: QuestionKind::Scale,
            prompt: t("satisfaction"),
            help: t("satisfaction_help"),
            required: true,
            allow_other: false,
            options: Vec::new(),
        },
        QuestionInput {
            kind: QuestionKind::Single,
            prompt: t("again"),
            help: String::new(),
            required: true,
            allow_other: false,
            options: vec![t("again_yes"), t("again_maybe"), t("again_no")],
        },
        QuestionInput {
            kind: QuestionKind::LongText,
            prompt: t("comments"),
            help: t("comments_help"),
            required: false,
            allow_other: false,
            options: Vec::new(),
        },
    ];
    for question in &questions {
        queries::add_question(tx, survey, question).await?;
    }
    queries::publish(tx, survey).await?;
    let found = queries::find(tx, survey).await?;
    let audience = match &found {
        Some(s) => queries::audience_members(tx, s).await?,
        None => Vec::new(),
    };
    tsunagu_community::notifications::notify(
        tx,
        &audience,
        "survey_opened",
        Some(created_by),
        &input.title,
        &format!("/surveys/{survey}"),
    )
    .await?;
    Ok((survey, audience.len()))
}

/// The post-event survey already made for `event`, if any (one per event).
pub async fn of_event(tx: &mut TenantTx, event: uuid::Uuid) -> Result<Option<SurveyId>, DbError> {
    queries::survey_of_event(tx, event).await
}
