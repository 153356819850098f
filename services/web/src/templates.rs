//! The template engine: tera with autoescaping, the `t()` and `asset_url()` functions, and the
//! templates compiled into the binary. Feature crates pass their own templates to [`WebKit::new`]
//! (one folder per feature); this crate owns the base layout and the error page.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use tera::{Context, Tera, Value};

use crate::assets::Assets;
use crate::i18n::{Catalog, Locale};

/// A template compiled into the binary: (name, source).
pub type EmbeddedTemplate = (&'static str, &'static str);

/// Declares embedded templates relative to the calling crate's `templates/` folder.
#[macro_export]
macro_rules! templates {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $path)))),*]
    };
}

const CORE_TEMPLATES: &[EmbeddedTemplate] = templates!["base.html", "errors/error.html"];

/// Templates, strings and assets; shared by every request.
pub struct WebKit {
    tera: Tera,
    pub catalog: Arc<Catalog>,
    pub assets: Arc<Assets>,
}

struct Translate(Arc<Catalog>);

impl tera::Function for Translate {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let key = args
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("t() needs key=\"…\""))?;
        let locale = args
            .get("lang")
            .and_then(Value::as_str)
            .and_then(Locale::parse)
            .ok_or_else(|| tera::Error::msg(format!("t(key=\"{key}\") needs lang=lang")))?;
        // Fail the render in tests; the catalog test keeps both languages complete.
        let template = self
            .0
            .get(locale, key)
            .ok_or_else(|| tera::Error::msg(format!("no translation for {key:?} in {locale}")))?;
        // Most calls pass only key and lang: no placeholders to fill, nothing to collect.
        if args.len() == 2 {
            return Ok(Value::String(template.to_owned()));
        }
        let named: Vec<(&str, std::borrow::Cow<'_, str>)> = args
            .iter()
            .filter(|(name, _)| name.as_str() != "key" && name.as_str() != "lang")
            .map(|(name, value)| {
                let text = match value {
                    Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                    other => std::borrow::Cow::Owned(other.to_string()),
                };
                (name.as_str(), text)
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = named.iter().map(|(n, v)| (*n, v.as_ref())).collect();
        Ok(Value::String(crate::i18n::fill(template, &borrowed)))
    }

    fn is_safe(&self) -> bool {
        false
    }
}

struct AssetUrl(Arc<Assets>);

impl tera::Function for AssetUrl {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let path = args
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("asset_url() needs path=\"…\""))?;
        self.0
            .url(path)
            .map(Value::String)
            .ok_or_else(|| tera::Error::msg(format!("no static asset {path:?}")))
    }
}

impl WebKit {
    /// Builds the engine with the core templates plus `extra` (feature templates).
    pub fn new(extra: &[&[EmbeddedTemplate]]) -> Result<Self, tera::Error> {
        let catalog = Arc::new(Catalog::embedded());
        let assets = Arc::new(Assets::embedded());
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.register_function("t", Translate(catalog.clone()));
        tera.register_function("asset_url", AssetUrl(assets.clone()));
        let mut all: Vec<(&str, &str)> = CORE_TEMPLATES.to_vec();
        for set in extra {
            all.extend_from_slice(set);
        }
        tera.add_raw_templates(all)?;
        Ok(Self {
            tera,
            catalog,
            assets,
        })
    }

    pub fn render(&self, template: &str, context: &Context) -> Result<String, tera::Error> {
        self.tera.render(template, context)
    }
}

/// What every page's layout needs: language, which site (tenant or platform) and its branding,
/// the visitor, the CSRF token for forms and an optional notice.
#[derive(Clone, Debug, Serialize)]
pub struct Layout {
    pub lang: Locale,
    pub other_lang: Locale,
    pub site: SiteView,
    /// Path (and query) of the current page, to come back to after switching language.
    pub current_path: String,
    pub csrf_token: String,
    pub member: Option<crate::site::MemberView>,
    /// An i18n key (`notices.…`) to show as a flash message.
    pub notice: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SiteView {
    /// `tenant`, `apex` or `console`.
    pub kind: &'static str,
    pub name: String,
    pub logo_text: String,
    pub tagline: String,
    /// Versioned URL of the branding stylesheet (CSS variables).
    pub theme_url: String,
}

impl Layout {
    /// A layout without a visitor (error pages rendered outside the site stack).
    pub fn new(lang: Locale, site: SiteView, current_path: impl Into<String>) -> Self {
        Self {
            lang,
            other_lang: lang.other(),
            site,
            current_path: current_path.into(),
            csrf_token: String::new(),
            member: None,
            notice: None,
        }
    }

    /// A tera context holding the layout fields at the top level (`lang`, `site`, …).
    pub fn context(&self) -> Context {
        let mut context = Context::new();
        context.insert("lang", &self.lang);
        context.insert("other_lang", &self.other_lang);
        context.insert("site", &self.site);
        context.insert("current_path", &self.current_path);
        context.insert("csrf_token", &self.csrf_token);
        context.insert("member", &self.member);
        context.insert("notice", &self.notice);
        context
    }
}
