//! Private messages (メッセージ): direct conversations between two members and small groups (up to
//! 50), started from a member's profile. Messages are plain text (links made clickable when
//! shown); their author may edit one for 15 minutes and delete it (a "deleted" mark stays). Each
//! member has a read mark per conversation. A member may block another (no new conversation or
//! message from them), leave a group, and report a message to the secretariat. The secretariat
//! has no route into conversations; a report keeps a copy of the reported text for it. See
//! docs/MESSAGES.md.

pub mod activity;
pub mod live;
pub mod queries;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_kernel::moderation::{self, NewReport, SubjectKind};
use tsunagu_kernel::MemberId;
use tsunagu_web::dates;
use tsunagu_web::forms::{render_page, text, FieldErrors, ReportForm};
use tsunagu_web::{AppError, AppState, Authorized, Page};

use queries::{ConversationId, ConversationKind, MessageId};
use tsunagu_community::media::{MediaKind, MediaStore};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] =
    tsunagu_web::templates!["messages/list.html", "messages/conversation.html"];

/// How long after sending its author may still change a message.
pub const EDIT_WINDOW: time::Duration = time::Duration::minutes(15);
/// New conversations one member may start in an hour.
pub const NEW_CONVERSATIONS_PER_HOUR: i64 = 20;
/// Messages a conversation page shows (the newest).
pub const MESSAGES_SHOWN: i64 = 100;
/// Characters in one message.
pub const MAX_MESSAGE_CHARS: usize = 5000;

/// The header's message badge, for the web kit's session layer (`tsunagu_web::state::Features`).
pub fn unread_counter(
    tx: &mut tsunagu_kernel::TenantTx,
    member: MemberId,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<i64, tsunagu_kernel::DbError>> + Send + '_>,
> {
    Box::pin(queries::count_unread(tx, member))
}

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/messages", UseMessages, get(list_conversations))
        .member("/messages/direct", UseMessages, post(start_direct))
        .member("/messages/stream", UseMessages, get(live::stream))
        .member("/messages/unread", UseMessages, get(unread_count))
        .member(
            "/messages/{id}",
            UseMessages,
            get(show_conversation)
                .post(send_message)
                .layer(axum::extract::DefaultBodyLimit::max(
                    tsunagu_web::csrf::MAX_MULTIPART_BYTES,
                )),
        )
        .member(
            "/messages/{id}/images/{message}",
            UseMessages,
            get(show_message_image),
        )
        .member(
            "/messages/{id}/messages/{message}/edit",
            UseMessages,
            post(edit_message),
        )
        .member(
            "/messages/{id}/messages/{message}/delete",
            UseMessages,
            post(delete_message),
        )
        .member(
            "/messages/{id}/messages/{message}/report",
            UseMessages,
            post(report_message),
        )
        .member("/messages/{id}/leave", UseMessages, post(leave_group))
        .member("/messages/{id}/block", UseMessages, post(block_member))
        .member(
            "/recruitments/{id}/conversation",
            UseMessages,
            post(group_from_recruitment),
        )
        .member("/messages/{id}/unblock", UseMessages, post(unblock_member))
}

#[derive(Serialize)]
struct SummaryView {
    id: String,
    group: bool,
    title: String,
    others: String,
    last_body: Option<String>,
    last_image: bool,
    last_label: String,
    unread: i64,
}

pub async fn list_conversations(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let rows = queries::list_for(&mut tx, member.id(), 200).await?;
    tx.commit().await?;
    let views: Vec<SummaryView> = rows
        .into_iter()
        .map(|c| SummaryView {
            id: c.id.to_string(),
            group: c.kind == ConversationKind::Group,
            title: c.title,
            others: c.others.unwrap_or_default(),
            last_body: c.last_body,
            last_image: c.last_image,
            last_label: dates::datetime(c.last_message_at, page.lang, page.zone()),
            unread: c.unread,
        })
        .collect();
    render_page(&state, &page, "messages/list.html", StatusCode::OK, |c| {
        c.insert("section", "messages");
        c.insert("conversations", &views);
    })
}

#[derive(Deserialize)]
pub struct DirectForm {
    #[serde(default)]
    to: String,
}

/// From a profile: the direct conversation with that member, started if there is none.
pub async fn start_direct(
    State(state): State<AppState>,
    member: Authorized,
    Form(form): Form<DirectForm>,
) -> Result<Response, AppError> {
    let to: MemberId = form
        .to
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("to: not a member id".into()))?;
    if to == member.id() {
        return Err(AppError::BadRequest(
            "a conversation needs another member".into(),
        ));
    }
    let mut tx = member.begin(&state).await?;
    // Only active members of this network (RLS: another network's member is not found).
    if queries::active_members(&mut tx, &[to]).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    // Blocked by them: nothing says so (a block is not announced), the conversation is refused.
    if queries::has_blocked(&mut tx, to, member.id()).await? {
        tx.rollback().await?;
        return Ok(Redirect::to("/messages?notice=message_refused").into_response());
    }
    let since = OffsetDateTime::now_utc() - time::Duration::hours(1);
    if queries::started_since(&mut tx, member.id(), since).await? >= NEW_CONVERSATIONS_PER_HOUR {
        tx.rollback().await?;
        return Ok(Redirect::to("/messages?notice=too_many_conversations").into_response());
    }
    let id = queries::direct_between(&mut tx, member.id(), to).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{id}")).into_response())
}

#[derive(Serialize)]
struct MessageView {
    id: String,
    author_name: String,
    mine: bool,
    /// The text in paragraphs, each a list of plain and link pieces (see [`linkify`]).
    paragraphs: Vec<Vec<Piece>>,
    body: String,
    /// It carries an image (served by `/messages/{id}/images/{message}`).
    image: bool,
    deleted: bool,
    /// Hidden by the secretariat after a report.
    hidden: bool,
    edited: bool,
    editable: bool,
    unread: bool,
    sent_label: String,
    sent_iso: String,
}

/// A piece of a message's text: plain text, or a link (http/https only), both escaped by the
/// template.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Piece {
    text: String,
    link: bool,
}

/// Splits a message into paragraphs (blank lines) of plain text and `http(s)://` links, so
/// the template can make the links clickable without trusting any markup.
pub fn linkify(body: &str) -> Vec<Vec<Piece>> {
    body.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|paragraph| {
            let mut pieces: Vec<Piece> = Vec::new();
            let mut plain = String::new();
            for (n, word) in paragraph.split(' ').enumerate() {
                let separator = if n == 0 { "" } else { " " };
                let is_link = (word.starts_with("https://") || word.starts_with("http://"))
                    && word.len() > "https://".len()
                    && !word.contains(['<', '>', '"', '\'']);
                if is_link {
                    plain.push_str(separator);
                    if !plain.is_empty() {
                        pieces.push(Piece {
                            text: std::mem::take(&mut plain),
                            link: false,
                        });
                    }
                    pieces.push(Piece {
                        text: word.to_owned(),
                        link: true,
                    });
                } else {
                    plain.push_str(separator);
                    plain.push_str(word);
                }
            }
            if !plain.is_empty() {
                pieces.push(Piece {
                    text: plain,
                    link: false,
                });
            }
            pieces
        })
        .collect()
}

#[derive(Deserialize, Serialize, Default)]
pub struct MessageForm {
    #[serde(default)]
    body: String,
}

fn read_body(form: &MessageForm) -> Result<String, FieldErrors> {
    text(&form.body, 1, MAX_MESSAGE_CHARS).map_err(|key| {
        let mut errors = FieldErrors::new();
        errors.insert("body", key);
        errors
    })
}

/// The message form as sent: urlencoded (text only) or multipart (text and an optional image).
async fn read_message_form(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(MessageForm, Option<Vec<u8>>), AppError> {
    use axum::extract::FromRequest;
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let Form(form) = Form::<MessageForm>::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        return Ok((form, None));
    }
    let multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (fields, image) = tsunagu_community::view::read_multipart(multipart, "image").await?;
    let mut form = MessageForm::default();
    if let Some((_, body)) = fields.into_iter().find(|(name, _)| name == "body") {
        form.body = body;
    }
    Ok((form, image))
}

/// The text of a message that may also carry an image: empty text is fine with an image.
fn read_text_with_image(form: &MessageForm, has_image: bool) -> Result<String, FieldErrors> {
    if has_image && form.body.trim().is_empty() {
        return Ok(String::new());
    }
    read_body(form).map_err(|mut errors| {
        if form.body.trim().is_empty() {
            errors = FieldErrors::new();
            errors.insert("body", "errors.message.body_or_image");
        }
        errors
    })
}

/// `GET /messages/unread`: the header badge's count as JSON (`{"unread": n}`), for the page
/// script to recount after a stream event. The session layer has counted it (cached per member,
/// dropped when a message for them is committed).
pub async fn unread_count(
    _member: Authorized,
    unread: Option<axum::Extension<tsunagu_web::session::UnreadCounts>>,
) -> Response {
    let count = unread.map(|u| u.0.messages).unwrap_or_default();
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "unread": count })),
    )
        .into_response()
}

/// `GET /messages/{id}/images/{message}`: a message's image, for the conversation's current
/// members only (anyone else: 404, as if it did not exist).
pub async fn show_message_image(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, message)): Path<(ConversationId, MessageId)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let key = queries::message_image(&mut tx, id, message).await?;
    tx.commit().await?;
    tsunagu_community::view::serve_image(&state, member.tenant.id, MediaKind::MessageImage, key)
        .await
}

pub async fn show_conversation(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<ConversationId>,
) -> Result<Response, AppError> {
    render_conversation(
        &state,
        &member,
        &page,
        id,
        &MessageForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn render_conversation(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: ConversationId,
    form: &MessageForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let conversation = queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let participants = queries::participants(&mut tx, id).await?;
    let messages = queries::recent_messages(&mut tx, id, MESSAGES_SHOWN).await?;
    let other = participants
        .iter()
        .find(|p| p.id != member.id())
        .map(|p| p.id);
    let blocked = match (conversation.kind, other) {
        (ConversationKind::Direct, Some(other)) => {
            queries::has_blocked(&mut tx, member.id(), other).await?
        }
        _ => false,
    };
    let was_unread = queries::mark_read(&mut tx, id, member.id()).await?;
    tx.commit().await?;
    // The header was counted before this visit read the conversation.
    let mut page = page.clone();
    if let Some(view) = page.member.as_mut().filter(|_| was_unread) {
        view.unread_messages = (view.unread_messages - 1).max(0);
    }
    let page = &page;
    let now = OffsetDateTime::now_utc();
    let views: Vec<MessageView> = messages
        .into_iter()
        .map(|m| {
            let mine = m.author_id == member.id();
            MessageView {
                id: m.id.to_string(),
                author_name: m.author_name,
                mine,
                paragraphs: linkify(&m.body),
                deleted: m.deleted_at.is_some(),
                hidden: m.hidden,
                image: m.image_key.is_some(),
                edited: m.edited_at.is_some(),
                editable: mine
                    && m.deleted_at.is_none()
                    && !m.hidden
                    && now - m.created_at < EDIT_WINDOW,
                unread: !mine && m.created_at > conversation.last_read_at,
                sent_label: dates::datetime(m.created_at, page.lang, page.zone()),
                sent_iso: dates::iso(m.created_at),
                body: m.body,
            }
        })
        .collect();
    let names: Vec<&str> = participants
        .iter()
        .filter(|p| p.id != member.id())
        .map(|p| p.name_kanji.as_str())
        .collect();
    render_page(state, page, "messages/conversation.html", status, |c| {
        c.insert("section", "messages");
        c.insert("conversation_id", &id.to_string());
        c.insert("group", &(conversation.kind == ConversationKind::Group));
        c.insert("title", &conversation.title);
        c.insert("others", &names.join("、"));
        c.insert("participant_count", &participants.len());
        c.insert("messages", &views);
        c.insert("blocked", &blocked);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("max_chars", &MAX_MESSAGE_CHARS);
    })
}

pub async fn send_message(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<ConversationId>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let (form, image) = read_message_form(&state, request).await?;
    let body = match read_text_with_image(&form, image.is_some()) {
        Ok(body) => body,
        Err(errors) => {
            return render_conversation(
                &state,
                &member,
                &page,
                id,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // The image is checked and stored before anything is written, so a bad file changes
    // nothing; if the message is then refused, the stored file goes again.
    let store = MediaStore::new(&state.config.data_dir);
    let image_key = match image {
        Some(bytes) => match store
            .save(member.tenant.id, MediaKind::MessageImage, bytes)
            .await
            .map_err(anyhow::Error::from)?
        {
            Ok(key) => Some(key),
            Err(refused) => {
                let mut errors = FieldErrors::new();
                errors.insert("image", refused.message_key());
                return render_conversation(
                    &state,
                    &member,
                    &page,
                    id,
                    &form,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
        None => None,
    };
    let sent = post_message(
        &state,
        &member,
        &page,
        id,
        &form,
        &body,
        image_key.as_deref(),
    )
    .await;
    if !matches!(&sent, Ok(response) if response.status() == StatusCode::SEE_OTHER) {
        if let Some(key) = &image_key {
            store
                .delete(member.tenant.id, MediaKind::MessageImage, key)
                .await;
        }
    }
    sent
}

/// Writes a checked message (and its stored image) to the conversation, emails and tells the
/// recipients; the conversation page with the reason when it is refused.
async fn post_message(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: ConversationId,
    form: &MessageForm,
    body: &str,
    image_key: Option<&str>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let conversation = queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if queries::blocked_in(&mut tx, id, member.id()).await? {
        tx.rollback().await?;
        let mut errors = FieldErrors::new();
        errors.insert("body", "errors.message.refused");
        return render_conversation(
            state,
            member,
            page,
            id,
            form,
            &errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let message = queries::post(&mut tx, id, member.id(), body, image_key).await?;
    let participants = queries::participants(&mut tx, id).await?;
    let members: Vec<MemberId> = participants.iter().map(|p| p.id).collect();
    let recipients: Vec<MemberId> = members
        .iter()
        .copied()
        .filter(|m| *m != member.id())
        .collect();
    // Email (the "messages" consent category): once per conversation until the recipient has
    // read it, in the same transaction as the message.
    let first_unread = queries::first_unread_for(&mut tx, id, &recipients).await?;
    if !first_unread.is_empty() {
        let conversation_name = if conversation.kind == ConversationKind::Group {
            conversation.title.clone()
        } else {
            member.data.display_name.clone()
        };
        let excerpt: String = if body.is_empty() {
            // An image alone: the email says so in both languages (one text for every recipient).
            "（画像 / image）".to_owned()
        } else {
            body.chars().take(200).collect()
        };
        tsunagu_identity::email::send_to_consenting(
            &mut tx,
            &state.web,
            &state.config,
            &member.tenant,
            tsunagu_tenancy::EmailCategory::Messages,
            &first_unread,
            &tsunagu_identity::email::ConsentEmail {
                kind: "new_message",
                args: vec![
                    ("sender", member.data.display_name.clone()),
                    ("conversation", conversation_name),
                    ("excerpt", excerpt),
                ],
                action_url: Some(format!(
                    "{}/messages/{id}",
                    state.config.tenant_origin(&member.tenant.slug)
                )),
                calendar: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    live::publish(state, member.tenant.id, id, members).await;
    Ok(Redirect::to(&format!("/messages/{id}#m-{message}")).into_response())
}

pub async fn edit_message(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path((id, message)): Path<(ConversationId, MessageId)>,
    Form(form): Form<MessageForm>,
) -> Result<Response, AppError> {
    let body = match read_body(&form) {
        Ok(body) => body,
        Err(errors) => {
            return render_conversation(
                &state,
                &member,
                &page,
                id,
                &MessageForm::default(),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = member.begin(&state).await?;
    queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if !queries::edit(&mut tx, id, message, member.id(), &body, EDIT_WINDOW).await? {
        tx.rollback().await?;
        return Ok(
            Redirect::to(&format!("/messages/{id}?notice=message_not_editable")).into_response(),
        );
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{id}#m-{message}")).into_response())
}

pub async fn delete_message(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, message)): Path<(ConversationId, MessageId)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(deleted) = queries::delete(&mut tx, id, message, member.id()).await? else {
        return Err(AppError::NotFound);
    };
    tx.commit().await?;
    if let Some(key) = deleted.image_key {
        MediaStore::new(&state.config.data_dir)
            .delete(member.tenant.id, MediaKind::MessageImage, &key)
            .await;
    }
    Ok(Redirect::to(&format!("/messages/{id}#m-{message}")).into_response())
}

/// `POST /messages/{id}/messages/{message}/report`: the one way a private message reaches the
/// secretariat — the report keeps a copy of its text for the moderation queue.
pub async fn report_message(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, message)): Path<(ConversationId, MessageId)>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let reason = form.reason()?;
    let mut tx = member.begin(&state).await?;
    queries::find_for_member(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let (author, text) = queries::reportable(&mut tx, id, message)
        .await?
        .ok_or(AppError::NotFound)?;
    if author == member.id() {
        tx.rollback().await?;
        return Err(AppError::BadRequest(
            "you cannot report your own message".into(),
        ));
    }
    let filed = moderation::file(
        &mut tx,
        &NewReport {
            kind: SubjectKind::Message,
            subject: message.as_uuid(),
            author,
            reporter: member.id(),
            reason: &reason,
            snapshot: &text,
        },
    )
    .await?;
    if filed {
        tsunagu_kernel::audit::record(
            &mut tx,
            "message.reported",
            "message",
            Some(message.as_uuid()),
            serde_json::json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{id}?notice=message_reported")).into_response())
}

pub async fn leave_group(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<ConversationId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::leave(&mut tx, id, member.id()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to("/messages?notice=left_conversation").into_response())
}

/// The other member of a direct conversation the member is in.
async fn other_of_direct(
    tx: &mut tsunagu_kernel::TenantTx,
    id: ConversationId,
    member: MemberId,
) -> Result<MemberId, AppError> {
    let conversation = queries::find_for_member(tx, id, member)
        .await?
        .ok_or(AppError::NotFound)?;
    if conversation.kind != ConversationKind::Direct {
        return Err(AppError::NotFound);
    }
    queries::participants(tx, id)
        .await?
        .into_iter()
        .map(|p| p.id)
        .find(|p| *p != member)
        .ok_or(AppError::NotFound)
}

pub async fn block_member(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<ConversationId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let other = other_of_direct(&mut tx, id, member.id()).await?;
    queries::block(&mut tx, member.id(), other).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{id}?notice=member_blocked")).into_response())
}

pub async fn unblock_member(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<ConversationId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let other = other_of_direct(&mut tx, id, member.id()).await?;
    queries::unblock(&mut tx, member.id(), other).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{id}?notice=member_unblocked")).into_response())
}

/// "Gather the interested", then one action: a group with everyone on the 募集's follow-up
/// list and its author, titled after the 募集. For the author and the secretariat (as the list
/// itself).
pub async fn group_from_recruitment(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<tsunagu_community::recruitments::queries::RecruitmentId>,
) -> Result<Response, AppError> {
    use tsunagu_community::{followups, recruitments};
    let mut tx = member.begin(&state).await?;
    let recruitment = recruitments::queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if recruitment.author_id != member.id()
        && !member
            .may(&state, tsunagu_authz::Permission::ManageRecruitments)
            .await
    {
        return Err(AppError::Forbidden);
    }
    let gathered: Vec<MemberId> =
        match followups::queries::find_recruitment_list(&mut tx, id).await? {
            Some(list) => followups::queries::entries(&mut tx, list)
                .await?
                .into_iter()
                .map(|f| f.member_id)
                .collect(),
            None => Vec::new(),
        };
    let mut members = queries::active_members(&mut tx, &gathered).await?;
    members.push(recruitment.author_id);
    members.sort_by_key(|m| m.as_uuid());
    members.dedup();
    members.retain(|m| *m != member.id());
    let refused = if members.is_empty() {
        Some("no_one_gathered")
    } else if members.len() + 1 > queries::MAX_GROUP {
        Some("group_too_large")
    } else {
        None
    };
    if let Some(notice) = refused {
        tx.rollback().await?;
        let back = format!("/recruitments/{id}?notice={notice}#followups");
        return Ok(Redirect::to(&back).into_response());
    }
    let title: String = recruitment.title.chars().take(100).collect();
    let conversation = queries::create_group(&mut tx, member.id(), &title, &members).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/messages/{conversation}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_pieces_and_nothing_else_is() {
        let pieces = linkify(
            "見てください https://example.com/a?b=1 です\n\n<b>太字</b> javascript:alert(1)",
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(
            pieces[0],
            vec![
                Piece {
                    text: "見てください ".into(),
                    link: false
                },
                Piece {
                    text: "https://example.com/a?b=1".into(),
                    link: true
                },
                Piece {
                    text: " です".into(),
                    link: false
                },
            ]
        );
        assert!(pieces[1].iter().all(|p| !p.link));
    }
}
