//! Declarative tenants: `tenant-config/<slug>.toml`.
//!
//! Applying is all-or-nothing: every file is read and validated first, and if any field of any
//! file is wrong the whole set is refused with one line per problem (file, field, reason) and
//! nothing is written. Valid files are upserted in one transaction; a file that matches what is
//! stored changes nothing, so applying twice is the same as applying once.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlx::types::Json;
use tsunagu_kernel::{Db, DbError, TenantId};

use crate::registry::{Branding, Features, Level3Thresholds, ProfileField, Signup, TenantStatus};
use crate::settings::Section;
use crate::slug::Slug;
use crate::EmailDefaults;

/// The file as written. Unknown keys are errors, so a typo never passes silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenantFile {
    slug: String,
    name: String,
    default_locale: String,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    branding: RawBranding,
    #[serde(default)]
    signup: RawSignup,
    #[serde(default)]
    features: Features,
    #[serde(default)]
    profile_fields: Vec<ProfileField>,
    #[serde(default)]
    email_defaults: crate::EmailDefaults,
    #[serde(default)]
    level3: Level3Thresholds,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBranding {
    primary_color: String,
    accent_color: String,
    logo_text: String,
    #[serde(default)]
    tagline: String,
    #[serde(default)]
    welcome_title: String,
    #[serde(default)]
    welcome_body: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSignup {
    #[serde(default)]
    employee_email_domains: Vec<String>,
    #[serde(default)]
    alumni_policy: Option<String>,
}

/// A validated tenant declaration, ready to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantDeclaration {
    pub source: PathBuf,
    pub slug: Slug,
    pub name: String,
    pub default_locale: String,
    /// IANA name, one of `time_zone::TIME_ZONES`.
    pub time_zone: String,
    pub status: TenantStatus,
    pub plan: String,
    pub branding: Branding,
    pub signup: Signup,
    pub features: Features,
    pub profile_fields: Vec<ProfileField>,
    pub email_defaults: crate::EmailDefaults,
    pub level3: Level3Thresholds,
}

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub file: PathBuf,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.field,
            self.reason
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("tenant-config refused, nothing was applied:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Default)]
pub struct ApplyReport {
    pub results: Vec<(String, ApplyOutcome)>,
    /// App-edited sections whose file value was not applied.
    pub kept: Vec<KeptSection>,
}

impl ApplyReport {
    pub fn count(&self, outcome: ApplyOutcome) -> usize {
        self.results.iter().filter(|(_, o)| *o == outcome).count()
    }
}

pub const LOCALES: &[&str] = &["ja", "en"];
pub const ALUMNI_POLICIES: &[&str] = &["approval", "invitation_only"];

fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses and validates one file's text. `path` is only for messages and the slug check.
pub fn parse_tenant_file(path: &Path, text: &str) -> Result<TenantDeclaration, Vec<FieldError>> {
    let error = |field: &str, reason: String| FieldError {
        file: path.to_owned(),
        field: field.to_owned(),
        reason,
    };
    let raw: RawTenantFile = toml::from_str(text).map_err(|e| {
        let field = match e.span() {
            Some(span) => format!("line {}", line_of(text, span.start)),
            None => "file".to_owned(),
        };
        vec![error(&field, e.message().trim().to_owned())]
    })?;

    let mut errors = Vec::new();
    let slug = match Slug::parse(&raw.slug) {
        Ok(slug) => Some(slug),
        Err(reason) => {
            errors.push(error("slug", reason.to_string()));
            None
        }
    };
    if let (Some(slug), Some(stem)) = (&slug, path.file_stem().and_then(|s| s.to_str())) {
        if stem != slug.as_str() {
            errors.push(error(
                "slug",
                format!(
                    "{:?} does not match the file name {stem}.toml",
                    slug.as_str()
                ),
            ));
        }
    }
    let name = raw.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(error("name", "must be 1 to 100 characters".into()));
    }
    if !LOCALES.contains(&raw.default_locale.as_str()) {
        errors.push(error(
            "default_locale",
            format!(
                "{:?} is not one of: {}",
                raw.default_locale,
                LOCALES.join(", ")
            ),
        ));
    }
    let time_zone = raw
        .time_zone
        .clone()
        .unwrap_or_else(|| crate::time_zone::DEFAULT_TIME_ZONE.to_owned());
    if crate::time_zone::offset_minutes(&time_zone).is_none() {
        errors.push(error(
            "time_zone",
            format!(
                "{time_zone:?} is not one of: {} (zones with daylight saving are not offered yet)",
                crate::time_zone::TIME_ZONES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let status = match raw.status.as_deref() {
        None | Some("active") => TenantStatus::Active,
        Some("suspended") => TenantStatus::Suspended,
        Some(other) => {
            errors.push(error(
                "status",
                format!("{other:?} is not one of: active, suspended"),
            ));
            TenantStatus::Active
        }
    };
    let plan = raw.plan.unwrap_or_else(|| "free".to_owned());
    if crate::plans::find(&plan).is_none() {
        errors.push(error(
            "plan",
            format!(
                "{plan:?} is not one of: {}",
                crate::plans::keys().join(", ")
            ),
        ));
    }

    let b = raw.branding;
    for (field, value) in [
        ("branding.primary_color", &b.primary_color),
        ("branding.accent_color", &b.accent_color),
    ] {
        if !is_hex_colour(value) {
            errors.push(error(
                field,
                format!("{value:?} is not a colour like #1d4e89"),
            ));
        }
    }
    let text_limits = [
        ("branding.logo_text", &b.logo_text, 1, 24),
        ("branding.tagline", &b.tagline, 0, 200),
        ("branding.welcome_title", &b.welcome_title, 0, 120),
        ("branding.welcome_body", &b.welcome_body, 0, 2000),
    ];
    for (field, value, min, max) in text_limits {
        let n = value.trim().chars().count();
        if n < min || n > max {
            errors.push(error(field, format!("must be {min} to {max} characters")));
        }
    }

    let mut domains = Vec::new();
    for (i, domain) in raw.signup.employee_email_domains.iter().enumerate() {
        match tsunagu_kernel::config::parse_base_domain(domain) {
            Ok(d) if d.contains('.') => domains.push(d),
            _ => errors.push(error(
                &format!("signup.employee_email_domains[{i}]"),
                format!("{domain:?} is not an email domain like example.co.jp"),
            )),
        }
    }
    let alumni_policy = raw
        .signup
        .alumni_policy
        .unwrap_or_else(|| "approval".into());
    if !ALUMNI_POLICIES.contains(&alumni_policy.as_str()) {
        errors.push(error(
            "signup.alumni_policy",
            format!(
                "{alumni_policy:?} is not one of: {}",
                ALUMNI_POLICIES.join(", ")
            ),
        ));
    }

    if !(30..=3650).contains(&raw.features.profile_stale_after_days) {
        errors.push(error(
            "features.profile_stale_after_days",
            "must be 30 to 3650 days".into(),
        ));
    }
    if raw.level3.level3_member_share_percent > 100 {
        errors.push(error(
            "level3.level3_member_share_percent",
            "must be a percentage, 0 to 100".into(),
        ));
    }
    for category in raw.email_defaults.invalid() {
        errors.push(error(
            &format!("email_defaults.{category}"),
            format!(
                "must be one of: {}",
                category
                    .choices()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if raw.profile_fields.len() > 10 {
        errors.push(error("profile_fields", "at most 10 custom fields".into()));
    }
    let mut seen_keys = Vec::new();
    for (i, field) in raw.profile_fields.iter().enumerate() {
        let key_ok = (1..=30).contains(&field.key.len())
            && field
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && field.key.as_bytes()[0].is_ascii_lowercase();
        if !key_ok {
            errors.push(error(
                &format!("profile_fields[{i}].key"),
                format!(
                    "{:?} must be 1-30 of a-z, 0-9 and _, starting with a letter",
                    field.key
                ),
            ));
        } else if seen_keys.contains(&field.key) {
            errors.push(error(
                &format!("profile_fields[{i}].key"),
                format!("{:?} is declared twice", field.key),
            ));
        }
        seen_keys.push(field.key.clone());
        for (name, label) in [("label_ja", &field.label_ja), ("label_en", &field.label_en)] {
            if !(1..=60).contains(&label.trim().chars().count()) {
                errors.push(error(
                    &format!("profile_fields[{i}].{name}"),
                    "must be 1 to 60 characters".into(),
                ));
            }
        }
    }

    match slug {
        Some(slug) if errors.is_empty() => Ok(TenantDeclaration {
            source: path.to_owned(),
            slug,
            name,
            default_locale: raw.default_locale,
            time_zone,
            status,
            plan,
            branding: Branding {
                primary_color: b.primary_color.to_ascii_lowercase(),
                accent_color: b.accent_color.to_ascii_lowercase(),
                logo_text: b.logo_text.trim().to_owned(),
                tagline: b.tagline.trim().to_owned(),
                welcome_title: b.welcome_title.trim().to_owned(),
                welcome_body: b.welcome_body.trim().to_owned(),
                logo_key: String::new(),
            },
            signup: Signup {
                employee_email_domains: domains,
                alumni_policy,
            },
            features: raw.features,
            profile_fields: raw.profile_fields,
            email_defaults: raw.email_defaults,
            level3: raw.level3,
        }),
        _ => Err(errors),
    }
}

/// The `.toml` files a path names: the file itself, or every `*.toml` directly in the directory.
pub fn config_files(path: &Path) -> Result<Vec<PathBuf>, FieldError> {
    let unreadable = |reason: String| FieldError {
        file: path.to_owned(),
        field: "file".into(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if meta.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| unreadable(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(unreadable("contains no .toml files".into()));
    }
    Ok(files)
}

/// Reads and validates every file; all problems of all files are reported together.
pub fn load_declarations(path: &Path) -> Result<Vec<TenantDeclaration>, Vec<FieldError>> {
    let files = config_files(path).map_err(|e| vec![e])?;
    let mut declarations: Vec<TenantDeclaration> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                errors.push(FieldError {
                    file: file.clone(),
                    field: "file".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        match parse_tenant_file(&file, &text) {
            Ok(declaration) => {
                if let Some(first) = declarations.iter().find(|d| d.slug == declaration.slug) {
                    errors.push(FieldError {
                        file: file.clone(),
                        field: "slug".into(),
                        reason: format!("already declared in {}", first.source.display()),
                    });
                } else {
                    declarations.push(declaration);
                }
            }
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        Ok(declarations)
    } else {
        Err(errors)
    }
}

/// Validates everything under `path`, then upserts it in one transaction.
pub async fn apply_path(db: &Db, path: &Path) -> Result<ApplyReport, ApplyError> {
    let declarations = load_declarations(path).map_err(ApplyError::Invalid)?;
    apply_declarations(db, &declarations).await
}

pub async fn apply_declarations(
    db: &Db,
    declarations: &[TenantDeclaration],
) -> Result<ApplyReport, ApplyError> {
    apply_declarations_with(db, declarations, ApplyOptions::default()).await
}

/// How `tenant apply` treats the sections a secretariat saved in the app.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApplyOptions {
    /// Hand every app-edited section of these tenants back to the file (`--take-file`): the
    /// file's values are applied and the sections are the file's again.
    pub take_file: bool,
}

/// A section of a tenant that the app owns and whose file value differs: kept, and reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptSection {
    pub slug: String,
    pub section: Section,
    /// When the secretariat saved it in the app (RFC 3339).
    pub edited_at: String,
}

type StoredSections = (
    Json<BTreeMap<String, String>>,
    Json<Branding>,
    Json<Signup>,
    Json<Features>,
    Json<EmailDefaults>,
);

/// The value of a section column after the upsert: the app's where it owns the section.
fn effective(section: Section) -> String {
    let column = section.column();
    format!(
        "case when tenants.ui_edited ? '{column}' then tenants.{column} else excluded.{column} end"
    )
}

pub async fn apply_declarations_with(
    db: &Db,
    declarations: &[TenantDeclaration],
    options: ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let mut tx = db.begin_platform().await?;
    let mut report = ApplyReport::default();
    let [branding, signup, features, email_defaults] = [
        Section::Branding,
        Section::Signup,
        Section::Features,
        Section::EmailDefaults,
    ]
    .map(effective);
    let upsert = format!(
        "insert into platform.tenants \
           (id, slug, name, status, default_locale, plan, branding, features, signup, profile_fields, \
            email_defaults, time_zone, level3) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         on conflict (slug) do update set \
                      name = excluded.name, \
           status = case when tenants.ui_edited ? 'status' then tenants.status else excluded.status end, \
                      default_locale = excluded.default_locale, \
           plan = case when tenants.ui_edited ? 'plan' then tenants.plan else excluded.plan end, \
           time_zone = excluded.time_zone, \
           branding = {branding}, features = {features}, signup = {signup}, \
           profile_fields = excluded.profile_fields, \
           email_defaults = {email_defaults}, level3 = excluded.level3, updated_at = now() \
         where (tenants.name, tenants.status, tenants.default_locale, tenants.plan, \
                tenants.branding, tenants.features, tenants.signup, tenants.profile_fields, \
                tenants.email_defaults, tenants.time_zone, tenants.level3) \
               is distinct from \
                              (excluded.name, \
                case when tenants.ui_edited ? 'status' then tenants.status else excluded.status end, \
                                excluded.default_locale, \
                case when tenants.ui_edited ? 'plan' then tenants.plan else excluded.plan end, \
                {branding}, {features}, {signup}, excluded.profile_fields, \
                {email_defaults}, excluded.time_zone, excluded.level3) \
         returning (xmax = 0)"
    );
    for d in declarations {
        if options.take_file {
            sqlx::query("update platform.tenants set ui_edited = '{}'::jsonb where slug = $1 and ui_edited <> '{}'::jsonb")
                .bind(d.slug.as_str())
                .execute(tx.conn())
                .await
                .map_err(DbError::from)?;
        }
        // Sections the app owns whose file value differs are kept, and said so.
        let stored: Option<StoredSections> = sqlx::query_as(
            "select ui_edited, branding, signup, features, email_defaults \
             from platform.tenants where slug = $1",
        )
        .bind(d.slug.as_str())
        .fetch_optional(tx.conn())
        .await
        .map_err(DbError::from)?;
        if let Some((Json(edited), Json(b), Json(s), Json(f), Json(e))) = stored {
            for (section, differs) in [
                (Section::Branding, b != d.branding),
                (Section::Signup, s != d.signup),
                (Section::Features, f != d.features),
                (Section::EmailDefaults, e != d.email_defaults),
            ] {
                if let Some(at) = edited.get(section.as_str()).filter(|_| differs) {
                    report.kept.push(KeptSection {
                        slug: d.slug.to_string(),
                        section,
                        edited_at: at.clone(),
                    });
                }
            }
        }
        // `where … is distinct from …` skips the update when nothing changed, so an unchanged
        // file returns no row and leaves updated_at alone.
        let created: Option<bool> = sqlx::query_scalar(&upsert)
            .bind(TenantId::new())
            .bind(d.slug.as_str())
            .bind(&d.name)
            .bind(d.status.as_str())
            .bind(&d.default_locale)
            .bind(&d.plan)
            .bind(Json(&d.branding))
            .bind(Json(&d.features))
            .bind(Json(&d.signup))
            .bind(Json(&d.profile_fields))
            .bind(Json(&d.email_defaults))
            .bind(&d.time_zone)
            .bind(Json(&d.level3))
            .fetch_optional(tx.conn())
            .await
            .map_err(DbError::from)?;
        let outcome = match created {
            Some(true) => ApplyOutcome::Created,
            Some(false) => ApplyOutcome::Updated,
            None => ApplyOutcome::Unchanged,
        };
        report.results.push((d.slug.to_string(), outcome));
    }
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r##"
slug = "demo"
name = "デモ株式会社"
default_locale = "ja"
[branding]
primary_color = "#1D4E89"
accent_color = "#e8743b"
logo_text = "DEMO"
[signup]
employee_email_domains = ["demo.example.co.jp"]
[features]
alumni_may_open_recruitments = false
"##;

    fn parse(text: &str) -> Result<TenantDeclaration, Vec<FieldError>> {
        parse_tenant_file(Path::new("tenant-config/demo.toml"), text)
    }

    #[test]
    fn a_valid_file_parses_with_defaults() {
        let d = parse(VALID).unwrap();
        assert_eq!(d.slug.as_str(), "demo");
        assert_eq!(d.branding.primary_color, "#1d4e89");
        assert_eq!(d.plan, "free");
        assert_eq!(d.signup.alumni_policy, "approval");
        assert!(!d.features.alumni_may_open_recruitments);
        assert!(d.features.events);
    }

    #[test]
    fn every_bad_field_is_named() {
        let text = VALID
            .replace("#e8743b", "red")
            .replace("\"ja\"", "\"fr\"")
            .replace("demo.example.co.jp", "not a domain");
        let errors = parse(&text).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "default_locale",
                "branding.accent_color",
                "signup.employee_email_domains[0]"
            ]
        );
        assert!(errors[1]
            .to_string()
            .starts_with("tenant-config/demo.toml: branding.accent_color: "));
    }

    #[test]
    fn unknown_keys_and_syntax_errors_give_a_line() {
        let errors = parse(&VALID.replace("[features]", "[features]\nfly = true")).unwrap_err();
        assert!(errors[0].field.starts_with("line "), "{errors:?}");
        assert!(errors[0].reason.contains("fly"), "{errors:?}");
        let errors = parse("slug = ").unwrap_err();
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn email_defaults_are_read_and_checked_per_category() {
        let d = parse(&format!("{VALID}\n[email_defaults]\nsurveys = \"off\"\n")).unwrap();
        assert_eq!(
            d.email_defaults.of(crate::EmailCategory::Surveys),
            crate::EmailDelivery::Off
        );
        assert_eq!(
            d.email_defaults.of(crate::EmailCategory::Messages),
            crate::EmailDelivery::Immediately,
            "keys left out keep the product's default"
        );
        let errors = parse(&format!(
            "{VALID}\n[email_defaults]\ndigest = \"immediately\"\n"
        ))
        .unwrap_err();
        assert_eq!(errors[0].field, "email_defaults.digest");
        assert!(errors[0].reason.contains("digest, off"), "{errors:?}");
    }

    #[test]
    fn slug_must_match_the_file_name() {
        let errors = parse(&VALID.replace("slug = \"demo\"", "slug = \"other\"")).unwrap_err();
        assert_eq!(errors[0].field, "slug");
    }
}
