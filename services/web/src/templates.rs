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

const CORE_TEMPLATES: &[EmbeddedTemplate] =
    templates!["base.html", "errors/error.html", "macros/forms.html"];

/// Templates, strings and assets; shared by every request.
pub struct WebKit {
    /// The templates as written: every `t()` call is made at render time.
    tera: Tera,
    /// The same templates once per language (Japanese, English) with every plain label —
    /// `{{ t(key="…", lang=lang) }}` with a literal key and no placeholders — already replaced
    /// by its translation, escaped as autoescape would have; a page rendered with `lang` set
    /// uses its language's set. Calls with placeholders or computed keys stay calls. The base
    /// layout alone has a dozen labels, and a function call in tera (evaluating and collecting
    /// its arguments, looking the string up, escaping the answer) cost more than the rest of a
    /// cached timeline page's markup (`just bench`, docs/PERFORMANCE.md).
    by_language: [Tera; 2],
    pub catalog: Arc<Catalog>,
    pub assets: Arc<Assets>,
    memo: PageMemo,
}

/// What a memoised page (see [`WebKit::render_with_holes`]) receives in the place of a hole.
pub enum Fill<'a> {
    /// Text, escaped as autoescape would (the template prints the hole with `{{ … }}`).
    Text(&'a str),
    /// Markup written as it is (the template prints the hole with `| safe`).
    Html(&'a dyn Fn(&mut String)),
}

/// A rendered page split at its holes: `pieces[0]`, hole `holes[0]`, `pieces[1]`, …
struct Memo {
    pieces: Vec<Box<str>>,
    holes: Vec<usize>,
}

/// Pages rendered once per distinct context, with holes where each request differs.
struct PageMemo {
    /// A random value of this process; hole `i` is this followed by `h` and the digit `i`.
    marker: String,
    entries: std::sync::RwLock<HashMap<String, Arc<Memo>>>,
}

/// Distinct contexts kept; past this the memo starts again. A bound, not an expected size: an
/// entry (its key and page) is about 10 KB, and a page is shared by every request of the same
/// tenant, language and kind of member.
const MEMO_ENTRIES: usize = 1_024;

/// At most this many holes per page.
pub const MAX_HOLES: usize = 10;

/// `source` with its plain labels translated into `locale` (see [`WebKit`]). Only whole
/// `{{ … }}` expressions without whitespace control are replaced, so the output is exactly what
/// the call would have produced.
fn pretranslate(name: &str, source: &str, catalog: &Catalog, locale: Locale) -> String {
    let escape = name.ends_with(".html");
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let expression = &after[..close];
        match plain_label(expression)
            .and_then(|key| catalog.get(locale, key))
            .filter(|text| !text.contains('{') && !text.contains('}'))
        {
            Some(text) if escape => out.push_str(&tera::escape_html(text)),
            Some(text) => out.push_str(text),
            None => {
                out.push_str("{{");
                out.push_str(expression);
                out.push_str("}}");
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// The key of `t(key="…", lang=lang)` (either quote), if the expression is exactly that.
fn plain_label(expression: &str) -> Option<&str> {
    let call = expression
        .strip_prefix(' ')?
        .strip_suffix(' ')?
        .strip_prefix("t(key=")?;
    let quote = call.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let call = &call[1..];
    let end = call.find(quote)?;
    let (key, tail) = (&call[..end], &call[end + 1..]);
    let valid = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    let tail = tail.strip_prefix(',')?.trim_start();
    (valid && tail == "lang=lang)").then_some(key)
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
        let mut all: Vec<(&str, &str)> = CORE_TEMPLATES.to_vec();
        for set in extra {
            all.extend_from_slice(set);
        }
        let engine =
            |locale: Option<Locale>| -> Result<Tera, tera::Error> {
                let mut tera = Tera::default();
                tera.autoescape_on(vec![".html"]);
                tera.register_function("t", Translate(catalog.clone()));
                tera.register_function("asset_url", AssetUrl(assets.clone()));
                match locale {
                    None => tera.add_raw_templates(all.iter().copied())?,
                    Some(locale) => tera.add_raw_templates(all.iter().map(|(name, source)| {
                        (*name, pretranslate(name, source, &catalog, locale))
                    }))?,
                }
                Ok(tera)
            };
        Ok(Self {
            tera: engine(None)?,
            by_language: [engine(Some(Locale::Ja))?, engine(Some(Locale::En))?],
            catalog,
            assets,
            memo: PageMemo {
                marker: tsunagu_kernel::tokens::random_token(),
                entries: std::sync::RwLock::new(HashMap::new()),
            },
        })
    }

    /// The placeholder to put into a context for hole `index` of [`WebKit::render_with_holes`].
    pub fn hole(&self, index: usize) -> String {
        assert!(index < MAX_HOLES, "at most {MAX_HOLES} holes");
        format!("{}h{index}", self.memo.marker)
    }

    /// Renders `template` once per distinct `context` and reuses the result: the context holds
    /// [`WebKit::hole`] placeholders wherever a request's own values go (its CSRF token, the
    /// member's name, …), and `fills[i]` is written in place of hole `i`. Everything else in the
    /// context is part of the memo's key, so two requests share a rendering only when the
    /// template would have rendered the same page for both.
    ///
    /// A hole may only be printed (`{{ hole }}`, or `{{ hole | safe }}` for [`Fill::Html`]),
    /// never tested or filtered, since the template sees the placeholder, not the value. Debug
    /// builds (every test) render the page the ordinary way too and compare, so a template that
    /// breaks this rule fails its tests.
    ///
    /// With `memoise` false the page is rendered for this request only (a page showing what a
    /// member typed, say, which no other request will share).
    pub fn render_with_holes(
        &self,
        template: &str,
        context: &Context,
        fills: &[Fill<'_>],
        memoise: bool,
    ) -> Result<String, tera::Error> {
        if !memoise {
            let memo = self.split_at_holes(&self.render(template, context)?);
            return self.fill(template, context, &memo, fills);
        }
        let key = format!(
            "{template}\n{}",
            serde_json::to_string(&context.clone().into_json())
                .map_err(|e| tera::Error::msg(format!("context of {template}: {e}")))?
        );
        let found = self
            .memo
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let memo = match found {
            Some(memo) => memo,
            None => {
                let memo = Arc::new(self.split_at_holes(&self.render(template, context)?));
                let mut entries = self.memo.entries.write().unwrap_or_else(|p| p.into_inner());
                if entries.len() >= MEMO_ENTRIES {
                    entries.clear();
                }
                entries.insert(key, memo.clone());
                memo
            }
        };
        self.fill(template, context, &memo, fills)
    }

    #[cfg_attr(not(debug_assertions), allow(unused_variables))]
    fn fill(
        &self,
        template: &str,
        context: &Context,
        memo: &Memo,
        fills: &[Fill<'_>],
    ) -> Result<String, tera::Error> {
        let mut page = String::with_capacity(memo.pieces.iter().map(|p| p.len()).sum::<usize>());
        for (index, piece) in memo.pieces.iter().enumerate() {
            page.push_str(piece);
            if let Some(hole) = memo.holes.get(index) {
                match fills.get(*hole) {
                    Some(Fill::Text(text)) => page.push_str(&tera::escape_html(text)),
                    Some(Fill::Html(write)) => write(&mut page),
                    None => {
                        return Err(tera::Error::msg(format!(
                            "{template}: hole {hole} has no fill"
                        )))
                    }
                }
            }
        }
        #[cfg(debug_assertions)]
        self.check_memoised(template, context, fills, &page);
        Ok(page)
    }

    fn split_at_holes(&self, html: &str) -> Memo {
        let marker = self.memo.marker.as_str();
        let mut pieces = Vec::new();
        let mut holes = Vec::new();
        let mut rest = html;
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            let index = after
                .strip_prefix('h')
                .and_then(|a| a.chars().next())
                .and_then(|c| c.to_digit(10));
            match index {
                Some(index) => {
                    pieces.push(Box::from(&rest[..at]));
                    holes.push(index as usize);
                    rest = &after[2..];
                }
                None => {
                    // Not one of ours after all: keep it as text.
                    pieces.push(Box::from(&rest[..at + marker.len()]));
                    holes.push(usize::MAX);
                    rest = after;
                }
            }
        }
        pieces.push(Box::from(rest));
        // Merge the pieces around non-holes back together.
        let mut merged = Memo {
            pieces: Vec::with_capacity(pieces.len()),
            holes: Vec::with_capacity(holes.len()),
        };
        let mut current = String::new();
        for (index, piece) in pieces.into_iter().enumerate() {
            current.push_str(&piece);
            match holes.get(index) {
                Some(&usize::MAX) => {}
                Some(&hole) => {
                    merged.pieces.push(Box::from(current.as_str()));
                    merged.holes.push(hole);
                    current.clear();
                }
                None => merged.pieces.push(Box::from(current.as_str())),
            }
        }
        merged
    }

    /// Debug builds: the memoised page must be the page the template renders with the values.
    #[cfg(debug_assertions)]
    fn check_memoised(&self, template: &str, context: &Context, fills: &[Fill<'_>], page: &str) {
        fn replace(value: &mut Value, holes: &[(String, String)]) {
            match value {
                Value::String(text) => {
                    if let Some((_, real)) = holes.iter().find(|(hole, _)| hole == text) {
                        *text = real.clone();
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(|v| replace(v, holes)),
                Value::Object(map) => map.values_mut().for_each(|v| replace(v, holes)),
                _ => {}
            }
        }
        let holes: Vec<(String, String)> = fills
            .iter()
            .enumerate()
            .map(|(index, fill)| {
                let real = match fill {
                    Fill::Text(text) => (*text).to_owned(),
                    Fill::Html(write) => {
                        let mut html = String::new();
                        write(&mut html);
                        html
                    }
                };
                (self.hole(index), real)
            })
            .collect();
        let mut json = context.clone().into_json();
        replace(&mut json, &holes);
        let real = Context::from_value(json).expect("a context is an object");
        let expected = self.render(template, &real).expect("the page renders");
        assert_eq!(
            page, expected,
            "{template}: the memoised page differs from the rendered one (is a hole tested or filtered?)"
        );
    }

    /// Renders `template`; with the language's pre-translated set when `lang` is in the context.
    pub fn render(&self, template: &str, context: &Context) -> Result<String, tera::Error> {
        let tera = match context
            .get("lang")
            .and_then(Value::as_str)
            .and_then(Locale::parse)
        {
            Some(Locale::Ja) => &self.by_language[0],
            Some(Locale::En) => &self.by_language[1],
            None => &self.tera,
        };
        tera.render(template, context)
    }

    /// Renders with the templates as written (every `t()` call at render time): for tests that
    /// check the pre-translated sets change nothing.
    pub fn render_untranslated(
        &self,
        template: &str,
        context: &Context,
    ) -> Result<String, tera::Error> {
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
    /// A fresh one-time token for this page's create forms (`_form`, see `csrf::FormToken`).
    pub form_token: String,
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
    /// The uploaded logo (`/branding/logo/{key}`), shown instead of the logo text.
    pub logo_url: Option<String>,
    pub tagline: String,
    /// Versioned URL of the branding stylesheet (CSS variables).
    pub theme_url: String,
    /// The network's switched-on sections (tenant-config `[features]`), for the menu.
    pub has_events: bool,
    pub has_surveys: bool,
    pub has_messages: bool,
    /// A paid plan's payment standing (docs/BILLING.md), for the secretariat's banner: empty
    /// in good standing, `failed` (with the end of the grace period) or `paused`.
    pub payment_state: &'static str,
    pub payment_grace_until: String,
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
            form_token: String::new(),
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
        context.insert("form_token", &self.form_token);
        context.insert("member", &self.member);
        context.insert("notice", &self.notice);
        // Every page may show a form: the field macros (`web/templates/macros/forms.html`) read
        // `form` and `errors`, which a page with a form fills; elsewhere they are empty.
        let empty = serde_json::Map::new();
        context.insert("form", &empty);
        context.insert("errors", &empty);
        context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_labels_are_recognised_and_nothing_else() {
        assert_eq!(
            plain_label(" t(key=\"common.home\", lang=lang) "),
            Some("common.home")
        );
        assert_eq!(
            plain_label(" t(key='common.home', lang=lang) "),
            Some("common.home")
        );
        for not_plain in [
            " t(key=\"timeline.body_hint\", lang=lang, max=max_chars) ",
            " t(key=errors.body, lang=lang) ",
            " t(key=\"common.home\", lang=other_lang) ",
            "- t(key=\"common.home\", lang=lang) ",
            " t(key=\"common.home\", lang=lang) | upper ",
            " site.name ",
        ] {
            assert_eq!(plain_label(not_plain), None, "{not_plain}");
        }
    }

    #[test]
    fn pretranslated_templates_render_exactly_what_the_calls_would() {
        let catalog = Catalog::embedded();
        // Every label of the core templates, in both languages, plus the shapes left alone.
        let source = "<a title=\"{{ t(key='common.home', lang=lang) }}\">{{ t(key=\"common.home\", lang=lang) }}</a>\
            {{- t(key=\"common.sign_in\", lang=lang) -}} {{ t(key=\"common.unread_count\", lang=lang, count=3) }}\
            {{ t(key=key, lang=lang) }} {{ t(key=\"common.footer_powered\", lang=lang) }}";
        let base = CORE_TEMPLATES[0].1;
        for locale in Locale::ALL {
            let mut context = Context::new();
            context.insert("lang", &locale);
            context.insert("key", "common.join");
            let mut plain = Tera::default();
            plain.autoescape_on(vec![".html"]);
            plain.register_function("t", Translate(Arc::new(Catalog::embedded())));
            let mut translated = Tera::default();
            translated.autoescape_on(vec![".html"]);
            translated.register_function("t", Translate(Arc::new(Catalog::embedded())));
            for (name, text) in [("sample.html", source), ("sample.txt", source)] {
                plain.add_raw_template(name, text).unwrap();
                translated
                    .add_raw_template(name, &pretranslate(name, text, &catalog, locale))
                    .unwrap();
                assert_eq!(
                    plain.render(name, &context).unwrap(),
                    translated.render(name, &context).unwrap(),
                    "{name} in {locale}"
                );
            }
            let pretranslated = pretranslate("base.html", base, &catalog, locale);
            assert!(
                pretranslated.matches("t(key=").count() < base.matches("t(key=").count() / 2,
                "most of the layout's labels are translated ahead"
            );
        }
    }

    #[test]
    fn the_kit_renders_a_page_the_same_with_and_without_pretranslation() {
        let kit = WebKit::new(&[]).unwrap();
        for locale in Locale::ALL {
            let site = SiteView {
                kind: "tenant",
                name: "デモ & <Co>".into(),
                logo_text: "D".into(),
                logo_url: None,
                tagline: "\"quoted\"".into(),
                theme_url: "/theme.css?v=1".into(),
                has_events: true,
                has_surveys: true,
                has_messages: true,
                payment_state: "failed",
                payment_grace_until: "2026/12/19".into(),
            };
            let mut layout = Layout::new(locale, site, "/timeline");
            layout.member = Some(crate::site::MemberView {
                display_name: "会員 一郎".into(),
                is_secretariat: true,
                unread_notifications: 2,
                unread_messages: 1,
                support: None,
                cs_helping_until: Some("2026-12-06 10:00".into()),
            });
            let mut context = layout.context();
            context.insert("status", &404);
            context.insert("title_key", "errors.not_found_title");
            context.insert("body_key", "errors.not_found_body");
            context.insert("request_id", &None::<String>);
            context.insert("show_home_link", &true);
            assert_eq!(
                kit.render("errors/error.html", &context).unwrap(),
                kit.render_untranslated("errors/error.html", &context)
                    .unwrap()
            );
        }
    }

    #[test]
    fn a_memoised_page_is_reused_with_each_requests_own_values() {
        let kit = WebKit::new(&[&[(
            "sample/holes.html",
            "<p title=\"{{ csrf_token }}\">{{ name }}</p><ol>{{ feed | safe }}</ol>{{ lang }}",
        )]])
        .unwrap();
        let mut context = Context::new();
        context.insert("lang", &Locale::En);
        context.insert("csrf_token", &kit.hole(0));
        context.insert("name", &kit.hole(1));
        context.insert("feed", &kit.hole(2));
        for (token, name, item) in [
            ("aaa", "<b>Ann</b>", "<li>1</li>"),
            ("bbb", "Bob & co", "<li>2</li>"),
        ] {
            let write = |out: &mut String| out.push_str(item);
            let page = kit
                .render_with_holes(
                    "sample/holes.html",
                    &context,
                    &[Fill::Text(token), Fill::Text(name), Fill::Html(&write)],
                    true,
                )
                .unwrap();
            assert_eq!(
                page,
                format!(
                    "<p title=\"{token}\">{}</p><ol>{item}</ol>en",
                    tera::escape_html(name)
                )
            );
        }
        assert_eq!(
            kit.memo.entries.read().unwrap().len(),
            1,
            "one rendering for both"
        );
    }

    #[test]
    #[should_panic(expected = "differs from the rendered one")]
    fn a_template_that_filters_a_hole_fails_in_debug_builds() {
        let kit = WebKit::new(&[&[("sample/filtered.html", "{{ name | upper }}")]]).unwrap();
        let mut context = Context::new();
        context.insert("name", &kit.hole(0));
        let _ = kit.render_with_holes("sample/filtered.html", &context, &[Fill::Text("ann")], true);
    }
}
