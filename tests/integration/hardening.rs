//! Hostile input on every route: control characters in every query parameter, form field and
//! path parameter of every tenant route, as a signed-in secretariat (who may reach the most).
//! The routes come from the router's own table (`tenant_routes()`), the concrete ids and field
//! names from crawling the demo network's pages, so a new route or field is covered without
//! anyone listing it here. Nothing may answer 5xx.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use axum::http::StatusCode;
use tsunagu_testkit::{form_encode, TestApp, TestClient};

/// NUL, other C0 controls, DEL and C1 controls.
const CONTROLS: &[char] = &[
    '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
];

const SECRETARIAT: &str = "jimukyoku@demo.example.co.jp";

#[derive(Debug, Clone, Default)]
struct FormSpec {
    method: String,
    multipart: bool,
    /// Field names with the value the page put there (empty when it put none).
    fields: Vec<(String, String)>,
}

fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of one tag's text (`<input type="hidden" name="a" value="b">`).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.insert(name, unescape(&after[..end]));
        rest = &after[end + 1..];
    }
    out
}

/// Each `<tag …>` opening in `html`, as its text.
fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let end = after.find('>').unwrap_or(after.len());
        let next = after[open.len()..].chars().next().unwrap_or(' ');
        if next.is_whitespace() || next == '>' {
            out.push(&after[..end]);
        }
        rest = &after[end.min(after.len())..];
        if rest.len() == after.len() {
            break;
        }
    }
    out
}

/// The forms of a page, by action path (without query).
fn forms(html: &str, page_path: &str) -> Vec<(String, FormSpec)> {
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let body = chunk.split("</form>").next().unwrap_or_default();
        let head = body.split('>').next().unwrap_or_default();
        let attrs = attributes(head);
        let action = attrs
            .get("action")
            .cloned()
            .unwrap_or_else(|| page_path.to_owned());
        let action = action.split('?').next().unwrap_or_default().to_owned();
        let mut spec = FormSpec {
            method: attrs
                .get("method")
                .map(|m| m.to_ascii_lowercase())
                .unwrap_or_else(|| "get".into()),
            multipart: attrs
                .get("enctype")
                .is_some_and(|e| e.contains("multipart")),
            fields: Vec::new(),
        };
        for input in tags(body, "input") {
            let a = attributes(input);
            let Some(name) = a.get("name") else { continue };
            if name == "_csrf" || a.get("type").is_some_and(|t| t == "file") {
                continue;
            }
            let value = a.get("value").cloned().unwrap_or_default();
            spec.fields.push((name.clone(), value));
        }
        for textarea in body.split("<textarea").skip(1) {
            let (head, rest) = textarea.split_once('>').unwrap_or((textarea, ""));
            if let Some(name) = attributes(head).get("name") {
                let content = unescape(rest.split("</textarea>").next().unwrap_or_default());
                spec.fields.push((name.clone(), content));
            }
        }
        for select in body.split("<select").skip(1) {
            let head = select.split('>').next().unwrap_or_default();
            let Some(name) = attributes(head).get("name").cloned() else {
                continue;
            };
            let first = tags(select, "option")
                .first()
                .and_then(|o| attributes(o).get("value").cloned())
                .unwrap_or_default();
            spec.fields.push((name, first));
        }
        if action.starts_with('/') {
            out.push((action, spec));
        }
    }
    out
}

/// Same-site links of a page (path with query).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .filter(|href| !href.starts_with("/static/"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .collect()
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    p.len() == s.len()
        && p.iter()
            .zip(&s)
            .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
}

/// What the crawl learnt about one route.
#[derive(Default, Debug)]
struct RouteSample {
    /// A concrete path (ids filled in) seen on some page.
    path: Option<String>,
    /// Query parameters its pages use, with a value they used.
    query: BTreeMap<String, String>,
    forms: Vec<FormSpec>,
}

fn fill_unknown(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                uuid::Uuid::now_v7().to_string()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn signed_in_secretariat(app: &TestApp) -> TestClient<'_> {
    let mut client = app.client("demo.localhost");
    let response = client
        .sign_in(SECRETARIAT, tsunagu_demo::seed::DEMO_PASSWORD)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    client
}

/// Routes that end or risk the session go last, the anonymous identity forms after them (they
/// count toward the sign-in limits of this client's address).
fn order(pattern: &str) -> u8 {
    if pattern.contains("sign-out") {
        2
    } else if [
        "/sign-in",
        "/join",
        "/forgot-password",
        "/reset-password",
        "/verify-email",
    ]
    .iter()
    .any(|p| pattern.starts_with(p))
    {
        3
    } else if pattern.starts_with("/secretariat/members/") {
        1
    } else {
        0
    }
}

#[tokio::test]
async fn control_characters_in_any_parameter_of_any_route_never_give_a_server_error() {
    let app = crate::identity::app().await;
    app.seed_demo_network().await;
    // More members than a directory page holds, so the crawl meets its pagination links.
    let mut fuzz_members = Vec::new();
    for i in 0..25 {
        fuzz_members.push(
            crate::community::member(
                &app,
                "demo",
                &format!("fuzz{i}@example.jp"),
                &format!("試験 {i}"),
                "alumni",
            )
            .await,
        );
    }
    // The crawl signs in as the secretariat, who never reaches the pages of platform staff within
    // a support grant (`/support…`, tested in support_sessions.rs).
    let patterns: Vec<&str> = tsunagu_gateway::app::tenant_routes()
        .paths()
        .iter()
        .copied()
        .filter(|p| !p.starts_with("/support"))
        .collect();
    assert!(patterns.len() > 40, "the route table lists every route");
    let mut client = signed_in_secretariat(&app).await;
    // A full profile, so its form offers a real value for every field.
    client.get("/profile").await;
    let profile = client
        .post(
            "/profile",
            &crate::community::profile_fields(
                "佐々木 美咲",
                "ささき みさき",
                "Misaki Sasaki",
                "デモ株式会社",
                "members",
            ),
        )
        .await;
    assert_eq!(profile.status, StatusCode::SEE_OTHER, "{}", profile.body);
    // A conversation with a message, so the crawl meets the conversation's routes and forms.
    let started = client
        .post("/messages/direct", &[("to", &fuzz_members[0].to_string())])
        .await;
    let conversation = started.header("location").unwrap().to_owned();
    client
        .post(&conversation, &[("body", "クロール用のメッセージ")])
        .await;
    // Drafts waiting for approval (a 募集 and an article from the library), a live support grant
    // and a request from CS waiting for an answer: their pages carry the approval forms.
    for template in ["reunion-speaker", "interview-article"] {
        let made = client
            .post(&format!("/secretariat/playbooks/{template}"), &[])
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{template}");
    }
    client
        .post(
            "/secretariat/support",
            &[("duration", "24h"), ("scope", "content")],
        )
        .await;
    let demo = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(demo, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    tsunagu_secretariat::support_queries::request(
        &mut tx,
        &tsunagu_secretariat::support_queries::NewRequest {
            staff_id: uuid::Uuid::now_v7(),
            staff_name: "CS Crawler",
            scopes: &[tsunagu_secretariat::support_queries::Scope::Surveys],
            days: 1,
            note: "",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Crawl: every page reachable from the parameterless routes, to learn ids and fields.
    let mut samples: BTreeMap<&str, RouteSample> = patterns
        .iter()
        .map(|p| (*p, RouteSample::default()))
        .collect();
    let mut queue: VecDeque<String> = patterns
        .iter()
        .filter(|p| !p.contains('{') && order(p) == 0)
        .map(|p| p.to_string())
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        let path = url.split('?').next().unwrap_or_default().to_owned();
        if seen.len() > 250 || !seen.insert(path.clone()) {
            continue;
        }
        let page = client.get(&url).await;
        assert!(
            page.status.as_u16() < 500,
            "GET {url}: {} while crawling",
            page.status
        );
        if !page
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
        {
            continue;
        }
        for link in links(&page.body) {
            let (link_path, query) = link.split_once('?').unwrap_or((&link, ""));
            if let Some(pattern) = patterns.iter().find(|p| matches(p, link_path)) {
                let sample = samples.get_mut(pattern).unwrap();
                sample.path.get_or_insert_with(|| link_path.to_owned());
                for (key, value) in form_urlencoded_pairs(query) {
                    sample.query.entry(key).or_insert(value);
                }
                if order(pattern) == 0 && !link_path.contains("sign-out") {
                    queue.push_back(link.clone());
                }
            }
        }
        for (action, form) in forms(&page.body, &path) {
            if let Some(pattern) = patterns.iter().find(|p| matches(p, &action)) {
                let sample = samples.get_mut(pattern).unwrap();
                sample.path.get_or_insert_with(|| action.clone());
                if form.method == "get" {
                    for (key, value) in &form.fields {
                        sample.query.entry(key.clone()).or_insert(value.clone());
                    }
                } else {
                    sample.forms.push(form);
                }
            }
        }
    }
    let found = samples.values().filter(|s| s.path.is_some()).count();
    assert!(
        found * 10 >= patterns.len() * 7,
        "the crawl should reach most routes: {found} of {}: {:?}",
        patterns.len(),
        samples
            .iter()
            .filter(|(_, s)| s.path.is_none())
            .map(|(p, _)| p)
            .collect::<Vec<_>>()
    );

    let mut ordered: Vec<&str> = patterns.clone();
    ordered.sort_by_key(|p| order(p));
    let mut failures = Vec::new();
    let mut requests = 0usize;
    for pattern in ordered {
        let sample = &samples[pattern];
        let path = sample.path.clone().unwrap_or_else(|| fill_unknown(pattern));
        // A value the page itself used, with a control character at its start or in its
        // middle: it passes whatever parsing the handler does first and reaches as far as a
        // real value would (a cursor `kana|uuid` keeps its uuid, a link its scheme).
        let hostile = |sample: &str, control: char, at_start: bool| {
            let chars: Vec<char> = sample.chars().collect();
            if chars.is_empty() {
                return format!("a{control}b");
            }
            let middle = if at_start { 0 } else { chars.len() / 2 };
            chars[..middle]
                .iter()
                .chain(std::iter::once(&control))
                .chain(&chars[middle..])
                .collect::<String>()
        };

        // Path parameters.
        if pattern.contains('{') {
            for bad in ["%00", "a%1Fb", "%C2%85"] {
                let broken = pattern
                    .split('/')
                    .map(|s| if s.starts_with('{') { bad } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                for response in [
                    client.get(&broken).await,
                    client.post(&broken, &[("x", "y")]).await,
                ] {
                    requests += 1;
                    if response.status.is_server_error() {
                        failures.push(format!("{broken}: {}", response.status));
                    }
                }
            }
        }

        // Query parameters (the ones its pages use, and one it does not expect).
        let mut keys: Vec<(String, String)> = sample
            .query
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        keys.push(("unexpected".into(), String::new()));
        for (key, value) in &keys {
            for (control, at_start) in CONTROLS.iter().flat_map(|c| [(*c, true), (*c, false)]) {
                let url = format!(
                    "{path}?{}={}",
                    form_encode(key),
                    form_encode(&hostile(value, control, at_start))
                );
                let response = client.get(&url).await;
                requests += 1;
                if response.status.is_server_error() {
                    failures.push(format!("GET {url}: {}", response.status));
                }
            }
        }

        // Form fields: each field hostile in turn, the others as the page filled them.
        let mut specs = sample.forms.clone();
        if specs.is_empty() {
            specs.push(FormSpec {
                method: "post".into(),
                multipart: false,
                fields: vec![
                    ("body".into(), "text".into()),
                    ("name".into(), "text".into()),
                ],
            });
        }
        for spec in specs.iter().take(2) {
            for (target, original) in &spec.fields {
                let other = CONTROLS[1 + requests % (CONTROLS.len() - 1)];
                for (control, at_start) in [('\u{0}', true), ('\u{0}', false), (other, false)] {
                    let value = hostile(original, control, at_start);
                    let fields: Vec<(&str, &str)> = spec
                        .fields
                        .iter()
                        .map(|(k, v)| {
                            if k == target {
                                (k.as_str(), value.as_str())
                            } else {
                                (k.as_str(), v.as_str())
                            }
                        })
                        .collect();
                    let response = if spec.multipart {
                        client.post_multipart(&path, &fields, &[]).await
                    } else {
                        client.post(&path, &fields).await
                    };
                    requests += 1;
                    if response.status.is_server_error() {
                        failures.push(format!(
                            "POST {path} {target}={value:?}: {}",
                            response.status
                        ));
                    }
                }
            }
        }
        // A page that signed us out (a role or status change of ourselves) is undone.
        if order(pattern) < 2 && client.get("/account").await.status != StatusCode::OK {
            client = signed_in_secretariat(&app).await;
        }
    }
    assert!(requests > 500, "only {requests} requests were sent");
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_nul_in_search_and_profile_is_removed_not_stored_or_refused() {
    let app = crate::identity::app().await;
    app.seed_demo_network().await;
    let mut client = signed_in_secretariat(&app).await;
    for url in [
        "/members?q=%E4%BD%90%00%E3%80%85",
        "/members?department=%00",
        "/members?after=a%00%7Cb",
    ] {
        assert_eq!(client.get(url).await.status, StatusCode::OK, "{url}");
    }
    client.get("/profile").await;
    let saved = client
        .post(
            "/profile",
            &crate::community::profile_fields(
                "佐々木 美咲",
                "ささき みさき",
                "Misaki Sasaki",
                "デモ\u{0}株式会社",
                "members",
            )
            .into_iter()
            .filter(|(k, _)| *k != "skills" && *k != "links")
            .chain([
                ("skills", "Rust\u{0}, 採用\u{1b}"),
                ("links", "https://example.com/\u{0}a"),
            ])
            .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let profile = client.get("/profile").await;
    assert!(profile.body.contains("デモ株式会社"), "the NUL is removed");
    assert!(profile.body.contains("採用"));
    assert!(!profile.body.contains('\u{0}'));
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(width, height, image::Luma([90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn every_refused_upload_says_why_in_the_form_and_nothing_changes() {
    let app = crate::identity::app().await;
    crate::community::member(&app, "demo", "photo@example.jp", "写真 太郎", "alumni").await;
    crate::community::member(&app, "acme", "photo@example.org", "Photo Taro", "alumni").await;
    let too_many_pixels = png(tsunagu_community::media::MAX_PIXELS + 1, 2);
    let too_many_bytes = vec![0x89u8; 5_900_000];
    let not_an_image = b"GIF89a not a supported image".to_vec();
    for (host, email, lang_texts) in [
        (
            "demo.localhost",
            "photo@example.jp",
            [
                "画像は 5MB までです",
                "8000 ピクセルまでです",
                "JPEG・PNG・WebP 形式",
            ],
        ),
        (
            "acme.localhost",
            "photo@example.org",
            [
                "images can be up to 5 MB",
                "at most 8000 × 8000",
                "JPEG, PNG or WebP",
            ],
        ),
    ] {
        let mut client = crate::community::signed_in(&app, host, email).await;
        for (bytes, expected, route, field) in [
            (&too_many_bytes, lang_texts[0], "/profile/photo", "photo"),
            (&too_many_pixels, lang_texts[1], "/profile/photo", "photo"),
            (&not_an_image, lang_texts[2], "/profile/photo", "photo"),
            (&too_many_bytes, lang_texts[0], "/posts", "image"),
            (&too_many_pixels, lang_texts[1], "/posts", "image"),
        ] {
            let response = client
                .post_multipart(
                    route,
                    &[("body", "写真です"), ("kind", "post")],
                    &[tsunagu_testkit::Upload {
                        field,
                        filename: "picture.png",
                        content_type: "image/png",
                        bytes,
                    }],
                )
                .await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{route} {expected}: {}",
                response.body
            );
            assert!(
                response.body.contains(expected),
                "{route}: the form says {expected:?}:\n{}",
                response.body
            );
        }
        // Nothing was stored: no photo, no post.
        assert!(!client.get("/profile").await.body.contains("/media/photos/"));
        assert!(!client.get("/timeline").await.body.contains("写真です"));

        // Past what any form accepts: the 413 page, in the network's language.
        let huge = vec![0u8; tsunagu_web::csrf::MAX_MULTIPART_BYTES + 1024];
        let response = client
            .post_multipart(
                "/profile/photo",
                &[],
                &[tsunagu_testkit::Upload {
                    field: "photo",
                    filename: "huge.png",
                    content_type: "image/png",
                    bytes: &huge,
                }],
            )
            .await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
        let title = if host.starts_with("demo") {
            "送信されたデータが大きすぎます"
        } else {
            "The upload is too large"
        };
        assert!(response.body.contains(title), "{}", response.body);
    }
}

/// The value of a form field in a page (the first `name="…"` input).
fn field_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_create_form_sent_twice_creates_once() {
    let app = crate::identity::app().await;
    crate::community::member(&app, "demo", "twice@example.jp", "二度 押す", "alumni").await;
    let mut client = crate::community::signed_in(&app, "demo.localhost", "twice@example.jp").await;
    let page = client.get("/timeline").await;
    let token = field_value(&page.body, "_form");
    let fields = [
        ("body", "一度だけ載るはずの投稿"),
        ("kind", "post"),
        ("_form", token.as_str()),
    ];
    let first = client.post("/posts", &fields).await;
    let again = client.post("/posts", &fields).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "a resubmission looks like success"
    );
    let feed = client.get("/timeline").await;
    assert_eq!(feed.body.matches("一度だけ載るはずの投稿").count(), 1);
    // The next rendering of the form has a new token, so the next post goes through.
    let next = field_value(&feed.body, "_form");
    assert_ne!(next, token);
    let second = client
        .post(
            "/posts",
            &[
                ("body", "二つ目の投稿"),
                ("kind", "post"),
                ("_form", next.as_str()),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert!(client.get("/timeline").await.body.contains("二つ目の投稿"));

    // A comment sent twice at the same moment (a double click) is saved once.
    let post_page = client.get("/timeline").await;
    let start = post_page.body.find("/posts/").unwrap() + 7;
    let post_id = &post_page.body[start..start + 36];
    let shown = client.get(&format!("/posts/{post_id}")).await;
    let token = field_value(&shown.body, "_form");
    let fields = [("body", "同時に二回"), ("_form", token.as_str())];
    let path = format!("/posts/{post_id}/comments");
    let mut other = app.client("demo.localhost");
    other.cookies = client.cookies.clone();
    let (a, b) = tokio::join!(client.post(&path, &fields), other.post(&path, &fields));
    assert_eq!(
        (a.status, b.status),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let shown = client.get(&format!("/posts/{post_id}")).await;
    assert_eq!(
        shown.body.matches("同時に二回").count(),
        1,
        "{}",
        shown.body
    );
}

#[tokio::test]
async fn an_unreachable_database_gets_a_try_again_page_not_an_error() {
    let app = crate::identity::app().await;
    crate::community::member(&app, "demo", "wait@example.jp", "待つ 人", "alumni").await;
    let mut client = crate::community::signed_in(&app, "demo.localhost", "wait@example.jp").await;
    assert_eq!(client.get("/members").await.status, StatusCode::OK);

    // Connections that died under the pool (a database restart) are replaced, not reported.
    let mut admin =
        sqlx::ConnectOptions::connect(&tsunagu_testkit::admin_options().database(&app.db.name))
            .await
            .unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity \
         where datname = current_database() and usename = 'tsunagu_app'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!killed.is_empty(), "the pool had connections to end");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for _ in 0..3 {
        assert_eq!(client.get("/members").await.status, StatusCode::OK);
    }

    // With the database gone, pages and forms say "try again in a moment", with Retry-After.
    app.state.db.close().await;
    for response in [
        client.get("/members").await,
        client
            .post("/posts", &[("body", "届かない"), ("kind", "post")])
            .await,
    ] {
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.header("retry-after").is_some());
        assert!(
            response.body.contains("ただいまご利用いただけません"),
            "{}",
            response.body
        );
    }
}

#[tokio::test]
async fn an_unreachable_redis_gets_a_try_again_page_not_an_error() {
    let app = TestApp::spawn_with(&[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    app.apply_repository_tenants().await;
    crate::community::member(&app, "demo", "redis@example.jp", "赤 井", "alumni").await;
    let mut client = app.client("demo.localhost");
    // Signing in needs the session store.
    let response = client
        .sign_in("redis@example.jp", crate::identity::PASSWORD)
        .await;
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        response.body
    );
    assert!(response.header("retry-after").is_some());
    // A signed-in visitor (a session cookie) is not shown as signed out.
    client
        .cookies
        .insert("tsunagu_session".into(), "a".repeat(64));
    let response = client.get("/timeline").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.header("retry-after").is_some());
}
