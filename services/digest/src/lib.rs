//! The weekly digest (週刊ダイジェスト): one email per member per week, in their language, that
//! brings back members who do not visit every week: new articles, open 募集 with their reaction
//! counts, upcoming events they are invited to, who joined from their department or year,
//! activity on their posts, and how many conversations wait for them.
//!
//! The worker builds it (`weekly_digest` job) from Monday 08:00 in the network's time zone, in
//! batches of [`BATCH`] members, each batch in one transaction with its delivery rows
//! (`digest_deliveries`, keyed by member and week) and its emails, so a member gets at most one
//! digest a week, across restarts and several workers. A section is left out when the member
//! turned its category off; a member with nothing to tell gets no email that week. See
//! docs/DIGEST.md.

pub mod queries;

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tera::Context;
use time::{Date, Duration, OffsetDateTime, Weekday};
use tsunagu_kernel::config::ServerConfig;
use tsunagu_kernel::outbox::{self, OutgoingEmail};
use tsunagu_kernel::{Actor, Db, MemberId};
use tsunagu_tenancy::{EmailCategory, EmailDelivery, Tenant};
use tsunagu_web::dates::Zone;
use tsunagu_web::{Locale, WebKit};

use queries::{NewArticle, Newcomer, OpenRecruitment, Reader, UpcomingEvent};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] =
    tsunagu_web::templates!["email/digest.html", "email/digest.txt"];

/// Members per transaction: their emails are rendered and written together, so memory stays
/// bounded by one batch whatever the size of the network.
pub const BATCH: i64 = 500;
/// The hour (network time, on Monday) from which the week's digest goes out.
pub const SEND_HOUR: u8 = 8;
/// Items a section lists at most.
const ITEMS: usize = 5;
/// Newcomers of the week read at most (matched with each reader's department and year).
const NEWCOMERS_READ: i64 = 1000;
/// How far ahead the digest looks for events.
const EVENTS_AHEAD: Duration = Duration::days(30);

/// The Monday (network time) of the week `now` falls in.
pub fn week_start(now: OffsetDateTime, zone: Zone) -> Date {
    let local = now.to_offset(zone.offset()).date();
    local - Duration::days(i64::from(local.weekday().number_days_from_monday()))
}

/// Whether the digest of `now`'s week may go out: from Monday [`SEND_HOUR`]:00 network time.
pub fn due(now: OffsetDateTime, zone: Zone) -> bool {
    let local = now.to_offset(zone.offset());
    local.weekday() != Weekday::Monday || local.hour() >= SEND_HOUR
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DigestRun {
    /// Networks whose week was worked on in this run.
    pub networks: usize,
    /// Members dealt with in this run (emailed or not).
    pub members: usize,
    /// Digests written to the outbox.
    pub sent: usize,
}

/// The worker's job: this week's digests for every active network whose send time has come.
pub async fn send_weekly_digests(
    db: &Db,
    web: &WebKit,
    config: &ServerConfig,
) -> anyhow::Result<usize> {
    Ok(run(db, web, config, OffsetDateTime::now_utc(), None)
        .await?
        .sent)
}

/// Builds the digests of `now`'s week for the active networks (or only `only`, a slug) whose
/// send time has come. Safe to run again and concurrently: finished weeks are skipped and no
/// member is emailed twice.
pub async fn run(
    db: &Db,
    web: &WebKit,
    config: &ServerConfig,
    now: OffsetDateTime,
    only: Option<&str>,
) -> anyhow::Result<DigestRun> {
    let mut platform = db.begin_platform().await?;
    let tenants = tsunagu_tenancy::registry::list_active(&mut platform).await?;
    platform.commit().await?;
    let mut total = DigestRun::default();
    for tenant in tenants
        .iter()
        .filter(|t| only.is_none_or(|slug| t.slug == slug))
    {
        let zone = Zone::of(tenant);
        if !due(now, zone) {
            continue;
        }
        let done = run_network(db, web, config, tenant, now).await?;
        if done.members > 0 {
            total.networks += 1;
        }
        total.members += done.members;
        total.sent += done.sent;
    }
    Ok(total)
}

/// What every reader of one network's digest shares this week.
struct Shared {
    week: Date,
    articles: Vec<NewArticle>,
    recruitments: Vec<OpenRecruitment>,
    events: Vec<UpcomingEvent>,
    /// The members of each upcoming event aimed at a saved segment, by event.
    segment_audiences: HashMap<uuid::Uuid, HashSet<MemberId>>,
    newcomers: Vec<Newcomer>,
    origin: String,
    zone: Zone,
}

async fn run_network(
    db: &Db,
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    now: OffsetDateTime,
) -> anyhow::Result<DigestRun> {
    let week = week_start(now, Zone::of(tenant));
    let since = now - Duration::days(7);
    let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
    if queries::week_done(&mut tx, week).await? {
        tx.commit().await?;
        return Ok(DigestRun::default());
    }
    let mut shared = Shared {
        week,
        articles: queries::new_articles(&mut tx, since, ITEMS as i64).await?,
        recruitments: queries::open_recruitments(&mut tx, ITEMS as i64 + 1).await?,
        events: queries::upcoming_events(&mut tx, now + EVENTS_AHEAD, 20).await?,
        segment_audiences: HashMap::new(),
        newcomers: queries::newcomers(&mut tx, since, NEWCOMERS_READ).await?,
        origin: config.tenant_origin(&tenant.slug),
        zone: Zone::of(tenant),
    };
    for event in &shared.events {
        if let Some(segment) = event.audience_segment_id {
            let members = tsunagu_surveys::segments::queries::member_ids(
                &mut tx,
                tsunagu_surveys::segments::queries::SegmentId(segment),
            )
            .await?;
            shared
                .segment_audiences
                .insert(event.id, members.into_iter().collect());
        }
    }
    tx.commit().await?;

    let mut done = DigestRun::default();
    let mut after: Option<MemberId> = None;
    loop {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        if !queries::try_lock_network(&mut tx).await? {
            // Another worker is on this network now; it (or a later run) finishes the week.
            tx.rollback().await?;
            break;
        }
        let batch = queries::next_readers(&mut tx, after, BATCH).await?;
        let Some(last) = batch.last() else {
            queries::complete_week(&mut tx, week, now).await?;
            tx.commit().await?;
            break;
        };
        after = Some(last.id);
        let ids: Vec<MemberId> = batch.iter().map(|r| r.id).collect();
        let delivered = queries::delivered(&mut tx, week, &ids).await?;
        let readers: Vec<Reader> = batch
            .into_iter()
            .filter(|r| !delivered.contains(&r.id))
            .collect();
        if readers.is_empty() {
            tx.commit().await?;
            continue;
        }
        let ids: Vec<MemberId> = readers.iter().map(|r| r.id).collect();
        let choices = queries::choices(&mut tx, &ids).await?;
        let unread = tsunagu_messages::queries::count_unread_of(&mut tx, &ids).await?;
        let activity = queries::activity_on_posts(&mut tx, &ids, since).await?;
        let mut emails: Vec<(MemberId, OutgoingEmail)> = Vec::new();
        let mut deliveries: Vec<(MemberId, bool)> = Vec::with_capacity(readers.len());
        for reader in &readers {
            let wants = |category: EmailCategory| {
                choices
                    .get(&(reader.id, category))
                    .copied()
                    .unwrap_or_else(|| tenant.email_defaults.of(category))
                    != EmailDelivery::Off
            };
            let content = Content::for_reader(
                reader,
                &shared,
                &wants,
                unread.get(&reader.id).copied().unwrap_or(0),
                activity.get(&reader.id).copied().unwrap_or((0, 0)),
            );
            let email = match content {
                Some(content) if wants(EmailCategory::Digest) => {
                    Some(render(web, config, tenant, reader, &shared, &content)?)
                }
                _ => None,
            };
            deliveries.push((reader.id, email.is_some()));
            if let Some(email) = email {
                emails.push((reader.id, email));
            }
        }
        let recorded: std::collections::HashSet<MemberId> =
            queries::record_deliveries(&mut tx, week, &deliveries)
                .await?
                .into_iter()
                .collect();
        let emails: Vec<OutgoingEmail> = emails
            .into_iter()
            .filter(|(member, _)| recorded.contains(member))
            .map(|(_, email)| email)
            .collect();
        outbox::enqueue_many(&mut tx, &emails).await?;
        tx.commit().await?;
        done.members += recorded.len();
        done.sent += emails.len();
    }
    Ok(done)
}

/// What one member's digest tells, section by section (empty sections are left out).
struct Content<'a> {
    unread_conversations: i64,
    comments: i64,
    likes: i64,
    articles: &'a [NewArticle],
    recruitments: Vec<&'a OpenRecruitment>,
    events: Vec<&'a UpcomingEvent>,
    newcomers: Vec<&'a Newcomer>,
    newcomers_total: usize,
}

impl<'a> Content<'a> {
    /// `None` when there is nothing to tell this member this week.
    fn for_reader(
        reader: &Reader,
        shared: &'a Shared,
        wants: &dyn Fn(EmailCategory) -> bool,
        unread_conversations: i64,
        (comments, likes): (i64, i64),
    ) -> Option<Self> {
        let related = |n: &&Newcomer| {
            n.id != reader.id
                && ((!reader.department.is_empty() && n.department == reader.department)
                    || (reader.joined_year.is_some() && n.joined_year == reader.joined_year))
        };
        let newcomers: Vec<&Newcomer> = shared.newcomers.iter().filter(related).collect();
        let content = Content {
            unread_conversations: if wants(EmailCategory::Messages) {
                unread_conversations
            } else {
                0
            },
            comments: if wants(EmailCategory::MyPosts) {
                comments
            } else {
                0
            },
            likes: if wants(EmailCategory::MyPosts) {
                likes
            } else {
                0
            },
            articles: if wants(EmailCategory::Articles) {
                &shared.articles
            } else {
                &[]
            },
            recruitments: if wants(EmailCategory::Recruitments) {
                shared
                    .recruitments
                    .iter()
                    .filter(|r| r.author_id != reader.id)
                    .take(ITEMS)
                    .collect()
            } else {
                Vec::new()
            },
            events: if wants(EmailCategory::Events) {
                let kind = if reader.kind == "employee" {
                    "employees"
                } else {
                    "alumni"
                };
                shared
                    .events
                    .iter()
                    .filter(|e| {
                        e.audience == "everyone"
                            || e.audience == kind
                            || shared
                                .segment_audiences
                                .get(&e.id)
                                .is_some_and(|members| members.contains(&reader.id))
                    })
                    .take(ITEMS)
                    .collect()
            } else {
                Vec::new()
            },
            newcomers_total: newcomers.len(),
            newcomers: newcomers.into_iter().take(ITEMS).collect(),
        };
        let empty = content.unread_conversations == 0
            && content.comments + content.likes == 0
            && content.articles.is_empty()
            && content.recruitments.is_empty()
            && content.events.is_empty()
            && content.newcomers.is_empty();
        (!empty).then_some(content)
    }
}

#[derive(Serialize)]
struct DigestView {
    lang: &'static str,
    network: String,
    brand_color: String,
    greeting: String,
    intro: String,
    sections: Vec<SectionView>,
    action_label: String,
    action_url: String,
    settings_label: String,
    settings_url: String,
    footer: String,
    unsubscribe_label: String,
    unsubscribe_url: String,
}

#[derive(Serialize)]
struct SectionView {
    heading: String,
    items: Vec<ItemView>,
    more_label: Option<String>,
    more_url: Option<String>,
}

#[derive(Serialize)]
struct ItemView {
    text: String,
    url: Option<String>,
    meta: Option<String>,
}

fn render(
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    reader: &Reader,
    shared: &Shared,
    content: &Content<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let lang = tsunagu_identity::email::member_locale(reader.preferred_locale.as_deref(), tenant);
    let week_label = week_label(shared.week, lang);
    let common: Vec<(&str, &str)> = vec![
        ("network", tenant.name.as_str()),
        ("name", reader.name_kanji.as_str()),
        ("week", week_label.as_str()),
    ];
    let t = |key: &str, extra: &[(&str, &str)]| {
        let mut args = common.clone();
        args.extend_from_slice(extra);
        web.catalog.t(lang, &format!("digest.{key}"), &args)
    };
    let origin = &shared.origin;
    let mut sections = Vec::new();
    if content.unread_conversations > 0 {
        let count = content.unread_conversations.to_string();
        sections.push(SectionView {
            heading: t("messages_heading", &[]),
            items: vec![ItemView {
                text: t("messages_unread", &[("count", &count)]),
                url: Some(format!("{origin}/messages")),
                meta: None,
            }],
            more_label: None,
            more_url: None,
        });
    }
    if content.comments + content.likes > 0 {
        let (comments, likes) = (content.comments.to_string(), content.likes.to_string());
        sections.push(SectionView {
            heading: t("my_posts_heading", &[]),
            items: vec![ItemView {
                text: t(
                    "my_posts_activity",
                    &[("comments", &comments), ("likes", &likes)],
                ),
                url: Some(format!("{origin}/notifications")),
                meta: None,
            }],
            more_label: None,
            more_url: None,
        });
    }
    if !content.articles.is_empty() {
        sections.push(SectionView {
            heading: t("articles_heading", &[]),
            items: content
                .articles
                .iter()
                .map(|a| ItemView {
                    text: a.title.clone(),
                    url: Some(format!("{origin}/articles/{}", a.id)),
                    meta: Some(a.summary.chars().take(120).collect::<String>())
                        .filter(|s| !s.is_empty()),
                })
                .collect(),
            more_label: Some(t("articles_more", &[])),
            more_url: Some(format!("{origin}/articles")),
        });
    }
    if !content.recruitments.is_empty() {
        sections.push(SectionView {
            heading: t("recruitments_heading", &[]),
            items: content
                .recruitments
                .iter()
                .map(|r| {
                    let (interested, cheers) =
                        (r.interested_count.to_string(), r.cheer_count.to_string());
                    ItemView {
                        text: r.title.clone(),
                        url: Some(format!("{origin}/recruitments/{}", r.id)),
                        meta: Some(t(
                            "recruitment_counts",
                            &[("interested", &interested), ("cheers", &cheers)],
                        )),
                    }
                })
                .collect(),
            more_label: Some(t("recruitments_more", &[])),
            more_url: Some(format!("{origin}/recruitments")),
        });
    }
    if !content.events.is_empty() {
        sections.push(SectionView {
            heading: t("events_heading", &[]),
            items: content
                .events
                .iter()
                .map(|e| ItemView {
                    text: e.title.clone(),
                    url: Some(format!("{origin}/events/{}", e.id)),
                    meta: Some(
                        [
                            tsunagu_web::dates::datetime(e.starts_at, lang, shared.zone),
                            e.venue_name.clone(),
                        ]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    ),
                })
                .collect(),
            more_label: Some(t("events_more", &[])),
            more_url: Some(format!("{origin}/events")),
        });
    }
    if !content.newcomers.is_empty() {
        let total = content.newcomers_total.to_string();
        sections.push(SectionView {
            heading: t("newcomers_heading", &[]),
            items: content
                .newcomers
                .iter()
                .map(|n| ItemView {
                    text: n.name_kanji.clone(),
                    url: Some(format!("{origin}/members/{}", n.id)),
                    meta: Some(n.department.clone()).filter(|d| !d.is_empty()),
                })
                .collect(),
            more_label: (content.newcomers_total > content.newcomers.len())
                .then(|| t("newcomers_more", &[("count", &total)])),
            more_url: (content.newcomers_total > content.newcomers.len())
                .then(|| format!("{origin}/members")),
        });
    }
    let view = DigestView {
        lang: lang.as_str(),
        network: tenant.name.clone(),
        brand_color: tenant.branding.primary_color.clone(),
        greeting: web.catalog.t(lang, "email.common.greeting", &common),
        intro: t("intro", &[]),
        sections,
        action_label: t("action", &[]),
        action_url: origin.clone(),
        settings_label: t("settings", &[]),
        settings_url: format!("{origin}/account/email"),
        footer: web.catalog.t(lang, "email.common.footer", &common),
        unsubscribe_label: t("unsubscribe", &[]),
        unsubscribe_url: tsunagu_identity::email::unsubscribe_url(
            config,
            tenant,
            reader.id,
            EmailCategory::Digest,
        ),
    };
    let context = Context::from_serialize(&view)?;
    Ok(OutgoingEmail {
        to: reader.email.clone(),
        kind: "digest".to_owned(),
        locale: lang.as_str().to_owned(),
        subject: t("subject", &[]),
        text_body: web.render("email/digest.txt", &context)?,
        html_body: web.render("email/digest.html", &context)?,
        list_unsubscribe: Some(view.unsubscribe_url.clone()),
        calendar: None,
    })
}

/// The week as the subject names it: 12月7日 / December 7.
fn week_label(week: Date, lang: Locale) -> String {
    match lang {
        Locale::Ja => format!("{}月{}日", u8::from(week.month()), week.day()),
        Locale::En => format!("{} {}", week.month(), week.day()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_week_starts_on_monday_in_the_network_time_zone() {
        // Sunday 23:30 UTC is Monday 08:30 in Japan: the new week, and its digest is due.
        let now = datetime!(2026-12-06 23:30 UTC);
        assert_eq!(
            week_start(now, Zone::JAPAN),
            time::macros::date!(2026 - 12 - 07)
        );
        assert!(due(now, Zone::JAPAN));
        // Monday 07:59 in Japan: the new week, not yet due.
        let early = datetime!(2026-12-06 22:59 UTC);
        assert_eq!(
            week_start(early, Zone::JAPAN),
            time::macros::date!(2026 - 12 - 07)
        );
        assert!(!due(early, Zone::JAPAN));
        // Any later day of the week is due (a worker that was down catches up).
        let thursday = datetime!(2026-12-10 01:00 UTC);
        assert_eq!(
            week_start(thursday, Zone::JAPAN),
            time::macros::date!(2026 - 12 - 07)
        );
        assert!(due(thursday, Zone::JAPAN));
    }

    #[test]
    fn week_labels_in_both_languages() {
        let week = time::macros::date!(2026 - 12 - 07);
        assert_eq!(week_label(week, Locale::Ja), "12月7日");
        assert_eq!(week_label(week, Locale::En), "December 7");
    }
}
