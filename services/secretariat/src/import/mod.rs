//! CSV import of members (`/secretariat/import`): upload a file as Excel writes it (UTF-8 with or
//! without a BOM, or Shift_JIS / CP932; comma, tab or semicolon), confirm which column holds what
//! (guessed from Japanese or English headers), see every row's problems before anything is
//! written, then import in the background with a progress bar that survives a reload. Each new
//! person becomes an invitation carrying their details; the invitation email is optional. A
//! report of the rows that failed downloads as CSV. See docs/SECRETARIAT.md.

pub mod parse;
pub mod queries;
pub mod run;

use std::collections::HashSet;

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_web::csv::Csv;
use tsunagu_web::dates;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use parse::{check_rows, Field, FileError, RowError};
use queries::{Import, ImportId};

/// Rows with problems shown in the preview (the counts cover them all).
const PREVIEW_PROBLEMS: usize = 100;
/// Rows without problems shown in the preview.
const PREVIEW_READY: usize = 10;

#[derive(Serialize)]
struct ImportView {
    id: ImportId,
    file_name: String,
    status: String,
    total_rows: i32,
    processed_rows: i32,
    invited: i32,
    skipped: i32,
    failed: i32,
    percent: i64,
    send_invitations: bool,
    created_on: String,
}

fn view(import: &Import, page: &Page) -> ImportView {
    ImportView {
        id: import.id,
        file_name: import.file_name.clone(),
        status: import.status.clone(),
        total_rows: import.total_rows,
        processed_rows: import.processed_rows,
        invited: import.invited,
        skipped: import.skipped,
        failed: import.failed,
        percent: if import.total_rows > 0 {
            i64::from(import.processed_rows) * 100 / i64::from(import.total_rows)
        } else {
            100
        },
        send_invitations: import.send_invitations,
        created_on: dates::datetime(import.created_at, page.lang, page.zone()),
    }
}

async fn render_index(
    state: &AppState,
    page: &Page,
    member: &Authorized,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let recent = queries::recent(&mut tx, 10).await?;
    tx.commit().await?;
    let recent: Vec<ImportView> = recent.iter().map(|i| view(i, page)).collect();
    render_page(state, page, "secretariat/import.html", status, |c| {
        c.insert("section", "members");
        c.insert("recent", &recent);
        c.insert("error", &error);
        c.insert("max_rows", &parse::MAX_ROWS);
    })
}

/// The upload form again with why the file was refused (nothing was stored).
async fn refuse(
    state: &AppState,
    page: &Page,
    member: &Authorized,
    error: FileError,
) -> Result<Response, AppError> {
    render_index(
        state,
        page,
        member,
        Some(error.message_key()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn show_upload(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    render_index(&state, &page, &member, None, StatusCode::OK).await
}

/// `POST /secretariat/import`: reads the file; a file that cannot be read is refused with the
/// reason and nothing stored; otherwise the import is stored as a preview.
pub async fn upload(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // Past the body limit: the form says the file is too large.
            Err(_) => return refuse(&state, &page, &member, FileError::TooLarge).await,
        };
        if field.name() == Some("file") {
            let name = field
                .file_name()
                .map(|n| {
                    tsunagu_web::input::clean_text(n)
                        .chars()
                        .take(200)
                        .collect()
                })
                .unwrap_or_else(|| "members.csv".to_owned());
            match field.bytes().await {
                Ok(bytes) => file = Some((name, bytes.to_vec())),
                Err(_) => return refuse(&state, &page, &member, FileError::TooLarge).await,
            }
        }
    }
    let Some((file_name, bytes)) = file else {
        return refuse(&state, &page, &member, FileError::Empty).await;
    };
    let (encoding, delimiter, mut records) = match read_file(&bytes) {
        Ok(read) => read,
        Err(error) => return refuse(&state, &page, &member, error).await,
    };
    let data = records.split_off(1);
    let headers = records.remove(0);
    let mapping = parse::guess_mapping(&headers);
    let mut tx = member.begin(&state).await?;
    let id = queries::create(
        &mut tx,
        member.id(),
        &file_name,
        encoding.as_str(),
        &String::from_utf8_lossy(&[delimiter]),
        &headers,
        &mapping,
        &data,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/secretariat/import/{id}")).into_response())
}

/// The file's encoding, delimiter and records (the header first), or why it cannot be used.
fn read_file(bytes: &[u8]) -> Result<(parse::Encoding, u8, Vec<Vec<String>>), FileError> {
    let (text, encoding) = parse::decode(bytes)?;
    let delimiter = parse::detect_delimiter(&text);
    let records = parse::records(&text, delimiter)?;
    if records.is_empty() {
        return Err(FileError::Empty);
    }
    if records.len() < 2 {
        return Err(FileError::NoRows);
    }
    if records.len() > parse::MAX_ROWS + 1 {
        return Err(FileError::TooManyRows);
    }
    let mapping = parse::guess_mapping(&records[0]);
    if !mapping
        .iter()
        .any(|f| matches!(f, Some(Field::Name) | Some(Field::Email)))
    {
        return Err(FileError::NoKnownColumns);
    }
    Ok((encoding, delimiter, records))
}

#[derive(Serialize)]
struct ColumnView {
    index: usize,
    header: String,
    sample: String,
    field: Option<&'static str>,
}

#[derive(Serialize)]
struct RowView {
    number: i32,
    name: String,
    email: String,
    kind: String,
    years: String,
    errors: Vec<&'static str>,
    skip: bool,
}

async fn load(
    state: &AppState,
    member: &Authorized,
    id: ImportId,
) -> Result<
    (
        Import,
        Vec<(i32, Vec<String>)>,
        HashSet<String>,
        HashSet<String>,
    ),
    AppError,
> {
    let mut tx = member.begin(state).await?;
    let import = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = if import.status == "preview" {
        queries::rows(&mut tx, id).await?
    } else {
        Vec::new()
    };
    let email_column = import
        .mapping
        .0
        .iter()
        .position(|f| *f == Some(Field::Email));
    let normalized: Vec<String> = rows
        .iter()
        .filter_map(|(_, fields)| email_column.and_then(|i| fields.get(i)))
        .map(|e| e.trim().to_lowercase())
        .collect();
    // Past the preview there are no rows to check: the page shows the run's progress.
    let (members, invited) = if normalized.is_empty() {
        Default::default()
    } else {
        (
            tsunagu_identity::queries::imports::member_emails(&mut tx, &normalized).await?,
            tsunagu_identity::queries::imports::invited_emails(&mut tx, &normalized).await?,
        )
    };
    tx.commit().await?;
    Ok((import, rows, members, invited))
}

/// `GET /secretariat/import/{id}`: the preview (mapping, counts, the rows' problems) while the
/// import waits for confirmation; the progress and the result afterwards.
pub async fn show_import(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<ImportId>,
) -> Result<Response, AppError> {
    let (import, rows, members, invited) = load(&state, &member, id).await?;
    let mapping = &import.mapping.0;
    let fields: Vec<Vec<String>> = rows.iter().map(|(_, f)| f.clone()).collect();
    let checked = check_rows(&fields, mapping, &members, &invited);
    let ready = checked.iter().filter(|(_, e)| e.is_empty()).count();
    let skipped = checked
        .iter()
        .filter(|(_, e)| !e.is_empty() && e.iter().all(|e| e.is_skip()))
        .count();
    let failed = checked.len() - ready - skipped;
    let row_view = |number: i32, row: &parse::ImportRow, errors: &[RowError]| RowView {
        number,
        name: row.name.clone(),
        email: row.email.clone(),
        kind: row.kind.clone(),
        years: match (row.joined_year, row.left_year) {
            (None, None) => String::new(),
            (j, l) => format!(
                "{}–{}",
                j.map(|y| y.to_string()).unwrap_or_default(),
                l.map(|y| y.to_string()).unwrap_or_default()
            ),
        },
        errors: errors.iter().map(|e| e.as_str()).collect(),
        skip: !errors.is_empty() && errors.iter().all(|e| e.is_skip()),
    };
    let problems: Vec<RowView> = rows
        .iter()
        .zip(&checked)
        .filter(|(_, (_, e))| !e.is_empty())
        .take(PREVIEW_PROBLEMS)
        .map(|((n, _), (row, e))| row_view(*n, row, e))
        .collect();
    let samples: Vec<RowView> = rows
        .iter()
        .zip(&checked)
        .filter(|(_, (_, e))| e.is_empty())
        .take(PREVIEW_READY)
        .map(|((n, _), (row, e))| row_view(*n, row, e))
        .collect();
    let columns: Vec<ColumnView> = import
        .headers
        .0
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnView {
            index,
            header: header.clone(),
            sample: fields
                .first()
                .and_then(|f| f.get(index))
                .cloned()
                .unwrap_or_default(),
            field: mapping.get(index).copied().flatten().map(Field::as_str),
        })
        .collect();
    let field_names: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
    render_page(
        &state,
        &page,
        "secretariat/import_show.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "members");
            c.insert("import", &view(&import, &page));
            c.insert("columns", &columns);
            c.insert("fields", &field_names);
            c.insert("ready", &ready);
            c.insert("skipped", &skipped);
            c.insert("failed", &failed);
            c.insert("problems", &problems);
            c.insert("more_problems", &(failed + skipped > problems.len()));
            c.insert("samples", &samples);
            c.insert("encoding", &import.encoding);
        },
    )
}

/// `GET /secretariat/import/{id}/progress`: the progress box alone (htmx polls it every second
/// until the import is done).
pub async fn show_progress(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<ImportId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let import = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    render_page(
        &state,
        &page,
        "secretariat/import_progress.html",
        StatusCode::OK,
        |c| {
            c.insert("import", &view(&import, &page));
        },
    )
}

/// `POST /secretariat/import/{id}/mapping`: `column_<n>` = a field name or empty (ignore).
pub async fn update_mapping(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<ImportId>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let import = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut mapping: Vec<Option<Field>> = vec![None; import.headers.0.len()];
    let mut taken = HashSet::new();
    for (name, value) in &form {
        let Some(index) = name
            .strip_prefix("column_")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if let (Some(slot), Some(field)) = (mapping.get_mut(index), Field::parse(value)) {
            // A field goes to one column: the first that claims it.
            if taken.insert(field) {
                *slot = Some(field);
            }
        }
    }
    queries::set_mapping(&mut tx, id, &mapping).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/secretariat/import/{id}?notice=saved")).into_response())
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    send_invitations: String,
}

/// `POST /secretariat/import/{id}/start`: queues the import and starts it at once in this
/// process; the worker takes it over if this process stops.
pub async fn start(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<ImportId>,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let queued = queries::queue(&mut tx, id, form.send_invitations == "on").await?;
    tx.commit().await?;
    if queued {
        let (db, web, config, tenant) = (
            state.db.clone(),
            state.web.clone(),
            state.config.clone(),
            member.tenant.clone(),
        );
        tokio::spawn(async move {
            if let Err(error) = run::run(&db, &web, &config, &tenant, id).await {
                tracing::error!(error = format!("{error:#}"), import = %id.0, "member import stopped");
            }
        });
    }
    Ok(Redirect::to(&format!("/secretariat/import/{id}")).into_response())
}

/// `GET /secretariat/import/{id}/failed.csv`: the rows not imported because of a problem, as
/// they were in the file, each with what was wrong, to correct and import again.
pub async fn failed_csv(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<ImportId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let import = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = queries::failed_rows(&mut tx, id).await?;
    tx.commit().await?;
    let t = |key: &str| state.web.catalog.t(page.lang, key, &[]);
    let mut csv = Csv::new();
    let mut header = vec![t("import.csv_row"), t("import.csv_problems")];
    header.extend(import.headers.0.iter().cloned());
    csv.row(&header);
    for (number, fields, errors) in rows {
        let mut line = vec![
            number.to_string(),
            errors
                .iter()
                .map(|e| t(&format!("import.row_error.{e}")))
                .collect::<Vec<_>>()
                .join(" / "),
        ];
        line.extend(fields);
        csv.row(&line);
    }
    Ok(csv.into_download("import-failed-rows.csv"))
}
