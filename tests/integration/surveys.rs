//! Surveys over HTTP: the secretariat builds and publishes, members answer once with a clear
//! message for every refused answer and nothing stored, results count what was answered, and
//! anonymity holds in the schema itself.

use axum::http::StatusCode;
use tsunagu_kernel::Actor;
use tsunagu_surveys::queries::{self, Question, SurveyId};
use tsunagu_testkit::{MemberFixture, TestApp, TestClient};

use crate::identity::{app, secretariat, PASSWORD};

const OFFICE: &str = "office@demo.example.co.jp";
const HOST: &str = "demo.localhost";

async fn member(app: &TestApp, email: &str, kind: &str) -> tsunagu_kernel::MemberId {
    app.create_member(
        "demo",
        MemberFixture {
            email,
            password: PASSWORD,
            kind,
            role: "member",
            status: "active",
            name: "回答 者",
        },
    )
    .await
}

async fn signed_in<'a>(app: &'a TestApp, host: &str, email: &str) -> TestClient<'a> {
    let mut client = app.client(host);
    assert_eq!(
        client.sign_in(email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    client
}

fn survey_id(response: &tsunagu_testkit::TestResponse) -> SurveyId {
    response
        .header("location")
        .expect("a redirect to the builder")
        .trim_start_matches("/secretariat/surveys/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn questions(app: &TestApp, id: SurveyId) -> Vec<Question> {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let questions = queries::questions(&mut tx, id).await.unwrap();
    tx.commit().await.unwrap();
    questions
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    n
}

/// Builds a survey with a single choice (with "other"), a yes/no, a 1–5 scale and a short text,
/// and returns its id, unpublished.
pub(crate) async fn build(office: &mut TestClient<'_>, title: &str, anonymous: bool) -> SurveyId {
    let created = office
        .post("/secretariat/surveys", &[("title", title)])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = survey_id(&created);
    let mut settings = vec![
        ("title", title),
        ("intro", "近況を教えてください。"),
        ("audience", "everyone"),
        ("opens_at", ""),
        ("closes_at", ""),
    ];
    if anonymous {
        settings.push(("anonymous", "on"));
    }
    let saved = office
        .post(&format!("/secretariat/surveys/{id}"), &settings)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    for fields in [
        vec![
            ("kind", "single"),
            ("prompt", "今の業界は？"),
            ("options", "IT\n金融\n製造"),
            ("required", "on"),
            ("allow_other", "on"),
        ],
        vec![
            ("kind", "yes_no"),
            ("prompt", "インタビューに協力できますか？"),
            ("required", "on"),
        ],
        vec![("kind", "scale"), ("prompt", "在籍時の満足度")],
        vec![("kind", "short_text"), ("prompt", "ひとこと")],
    ] {
        let added = office
            .post(&format!("/secretariat/surveys/{id}/questions"), &fields)
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    id
}

#[tokio::test]
async fn the_secretariat_builds_publishes_and_reads_results() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    member(&app, "a@example.jp", "alumni").await;
    member(&app, "b@example.jp", "alumni").await;
    member(&app, "e@example.jp", "employee").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;

    // A plain member cannot open the builder; the secretariat can.
    let mut a = signed_in(&app, HOST, "a@example.jp").await;
    assert_eq!(
        a.get("/secretariat/surveys").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office.get("/secretariat/surveys").await.status,
        StatusCode::OK
    );

    let id = build(&mut office, "キャリア調査", false).await;
    let qs = questions(&app, id).await;
    assert_eq!(qs.len(), 4);
    assert_eq!(qs[0].options.len(), 3);

    // An invalid question is refused with its message; nothing is added.
    let refused = office
        .post(
            &format!("/secretariat/surveys/{id}/questions"),
            &[
                ("kind", "single"),
                ("prompt", "選択肢が1つ"),
                ("options", "IT"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("field-error"), "{}", refused.body);
    assert_eq!(questions(&app, id).await.len(), 4);

    // Reorder: the yes/no moves to the top.
    let moved = office
        .post(
            &format!("/secretariat/surveys/{id}/questions/{}/move", qs[1].row.id),
            &[("direction", "up")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let qs = questions(&app, id).await;
    assert_eq!(qs[0].row.prompt, "インタビューに協力できますか？");

    // A draft does not exist for members.
    assert_eq!(
        a.get(&format!("/surveys/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The preview shows the form to the secretariat.
    let preview = office
        .get(&format!("/secretariat/surveys/{id}/preview"))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("今の業界は？"));

    let published = office
        .post(&format!("/secretariat/surveys/{id}/publish"), &[])
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    // Everyone in the audience is notified.
    assert_eq!(
        count(
            &app,
            "select count(*) from notifications where kind = 'survey_opened'"
        )
        .await,
        3
    );
    // Members see it on the home page until they answer.
    // (Links are autoescaped, so the title is what to look for.)
    assert!(a.get("/").await.body.contains("キャリア調査"));
    // Questions are frozen now.
    let frozen = office
        .post(
            &format!("/secretariat/surveys/{id}/questions"),
            &[("kind", "short_text"), ("prompt", "追加")],
        )
        .await;
    assert!(frozen.header("location").unwrap().contains("survey_frozen"));
    assert_eq!(questions(&app, id).await.len(), 4);

    let yes_no = qs[0].row.id;
    let industry = &qs[1];
    let form = |choice: String, yes: &str| {
        vec![
            (format!("q_{yes_no}"), yes.to_owned()),
            (format!("q_{}", industry.row.id), choice),
            (format!("q_{}", qs[2].row.id), "4".to_owned()),
            (format!("q_{}", qs[3].row.id), "元気です".to_owned()),
        ]
    };

    // Required question missing: 422 with its message, nothing stored, what was typed kept.
    let missing = [(format!("q_{}", qs[3].row.id), "途中まで".to_owned())];
    let refs: Vec<(&str, &str)> = missing
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = a.post(&format!("/surveys/{id}"), &refs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("途中まで"), "typed text kept");
    assert!(refused.body.contains("field-error"));
    // A choice the question does not offer.
    let foreign = form(uuid::Uuid::new_v4().to_string(), "yes");
    let refs: Vec<(&str, &str)> = foreign
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        a.post(&format!("/surveys/{id}"), &refs).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Text over its limit.
    let mut long = form(industry.options[0].id.to_string(), "yes");
    long[3].1 = "あ".repeat(201);
    let refs: Vec<(&str, &str)> = long.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        a.post(&format!("/surveys/{id}"), &refs).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        count(&app, "select count(*) from survey_responses").await,
        0
    );
    assert_eq!(
        count(&app, "select count(*) from survey_respondents").await,
        0
    );

    // Two members answer.
    let answer_a = form(industry.options[0].id.to_string(), "yes");
    let refs: Vec<(&str, &str)> = answer_a
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = a.post(&format!("/surveys/{id}"), &refs).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert!(!a.get("/").await.body.contains("キャリア調査"));
    let mut b = signed_in(&app, HOST, "b@example.jp").await;
    let mut answer_b = form("other".to_owned(), "no");
    answer_b.push((format!("q_{}_other", industry.row.id), "起業".to_owned()));
    let refs: Vec<(&str, &str)> = answer_b
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        b.post(&format!("/surveys/{id}"), &refs).await.status,
        StatusCode::SEE_OTHER
    );

    // Answering twice: refused, nothing changes.
    let again = a.post(&format!("/surveys/{id}"), &refs).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        count(&app, "select count(*) from survey_responses").await,
        2
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from survey_answers where text_value = '起業'"
        )
        .await,
        1
    );

    // Results: counts and percentages, the "other" text, the scale's average.
    let results = office
        .get(&format!("/secretariat/surveys/{id}/results"))
        .await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.body.contains("起業"));
    assert!(results.body.contains("50%"), "one of two said IT");
    assert!(results.body.contains("平均：4"), "scale average");
    assert!(results.body.contains("<svg"), "bars drawn by the server");
    // Narrowed to those who said yes: only a's answers remain.
    let yes = office
        .get(&format!(
            "/secretariat/surveys/{id}/results?answer={yes_no}:1"
        ))
        .await;
    assert_eq!(yes.status, StatusCode::OK);
    assert!(!yes.body.contains("起業"), "b said no");
    assert!(yes.body.contains("100%"));

    // Closing: no more answers.
    office
        .post(&format!("/secretariat/surveys/{id}/close"), &[])
        .await;
    let mut e = signed_in(&app, HOST, "e@example.jp").await;
    let late = e.post(&format!("/surveys/{id}"), &refs).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(
        count(&app, "select count(*) from survey_responses").await,
        2
    );

    // "Edit" of a published survey makes a new draft with the same questions.
    let copy = office
        .post(&format!("/secretariat/surveys/{id}/new-version"), &[])
        .await;
    let copy = survey_id(&copy);
    assert_ne!(copy, id);
    assert_eq!(questions(&app, copy).await.len(), 4);
}

#[tokio::test]
async fn audiences_and_other_networks() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    member(&app, "e@example.jp", "employee").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let id = build(&mut office, "アルムナイ限定", false).await;
    office
        .post(
            &format!("/secretariat/surveys/{id}"),
            &[("title", "アルムナイ限定"), ("audience", "alumni")],
        )
        .await;
    office
        .post(&format!("/secretariat/surveys/{id}/publish"), &[])
        .await;
    // An employee is outside the audience: told so, and an answer stores nothing.
    let mut e = signed_in(&app, HOST, "e@example.jp").await;
    let page = e.get(&format!("/surveys/{id}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let qs = questions(&app, id).await;
    let field = format!("q_{}", qs[1].row.id);
    let refused = e.post(&format!("/surveys/{id}"), &[(&field, "yes")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app, "select count(*) from survey_respondents").await,
        0
    );
    assert!(!e.get("/surveys").await.body.contains("アルムナイ限定"));

    // Another network's secretariat sees nothing of it.
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    for path in [
        format!("/secretariat/surveys/{id}"),
        format!("/secretariat/surveys/{id}/results"),
        format!("/secretariat/surveys/{id}/preview"),
    ] {
        assert_eq!(
            acme.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        format!("/secretariat/surveys/{id}/close"),
        format!("/secretariat/surveys/{id}/new-version"),
        format!("/secretariat/surveys/{id}/delete"),
    ] {
        assert_eq!(
            acme.post(&path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

/// For an anonymous survey nothing stored can join an answer to a member: responses and answers
/// have no member column, and the one table that links a response to a member refuses rows of
/// anonymous surveys.
#[tokio::test]
async fn anonymity_is_in_the_schema() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    let a = member(&app, "a@example.jp", "alumni").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let id = build(&mut office, "匿名アンケート", true).await;
    office
        .post(&format!("/secretariat/surveys/{id}/publish"), &[])
        .await;
    let qs = questions(&app, id).await;
    let mut client = signed_in(&app, HOST, "a@example.jp").await;
    let yes = format!("q_{}", qs[1].row.id);
    let industry = format!("q_{}", qs[0].row.id);
    let option = qs[0].options[1].id.to_string();
    let sent = client
        .post(
            &format!("/surveys/{id}"),
            &[(&yes, "yes"), (&industry, &option)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    // The schema: no member (or time) column where answers are kept.
    for table in ["survey_responses", "survey_answers"] {
        let columns = count(
            &app,
            &format!(
                "select count(*) from information_schema.columns where table_name = '{table}' \
                 and (column_name like '%member%' or data_type like 'timestamp%')"
            ),
        )
        .await;
        assert_eq!(columns, 0, "{table} must not name a member or a time");
    }
    // The only link is refused for an anonymous survey, even written by hand.
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let response: uuid::Uuid = sqlx::query_scalar("select id from survey_responses limit 1")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    let linked = sqlx::query(
        "insert into survey_response_members (tenant_id, survey_id, response_id, member_id) \
         values ($1, $2, $3, $4)",
    )
    .bind(tenant)
    .bind(id)
    .bind(response)
    .bind(a)
    .execute(tx.conn())
    .await;
    assert!(
        linked.is_err(),
        "a link for an anonymous survey must be refused"
    );
    tx.rollback().await.unwrap();
    // The member is marked as having answered, and the answer is counted.
    assert_eq!(
        count(&app, "select count(*) from survey_respondents").await,
        1
    );
    assert_eq!(
        count(&app, "select count(*) from survey_response_members").await,
        0
    );
    let results = office
        .get(&format!("/secretariat/surveys/{id}/results"))
        .await;
    assert!(results.body.contains("100%"));
    // Member filters are not offered.
    assert!(!results.body.contains("name=\"kind\""));
}

fn location_id<T: std::str::FromStr>(response: &tsunagu_testkit::TestResponse, prefix: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    response
        .header("location")
        .unwrap_or_else(|| panic!("a redirect to {prefix}: {}", response.status))
        .trim_start_matches(prefix)
        .split(['?', '/', '#'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn answer_yes_no(client: &mut TestClient<'_>, id: SurveyId, qs: &[Question], yes: bool) {
    let yes_no = format!("q_{}", qs[1].row.id);
    let industry = format!("q_{}", qs[0].row.id);
    let option = qs[0].options[0].id.to_string();
    let sent = client
        .post(
            &format!("/surveys/{id}"),
            &[
                (&yes_no, if yes { "yes" } else { "no" }),
                (&industry, &option),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
}

/// The loop: results → segment (live) → outreach → the recipient accepts → funnel → an
/// interview article draft featuring them.
#[tokio::test]
async fn segments_and_outreach_close_the_loop() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    let a = member(&app, "a@example.jp", "alumni").await;
    member(&app, "b@example.jp", "alumni").await;
    member(&app, "c@example.jp", "employee").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let id = build(&mut office, "インタビュー協力のお願い", false).await;
    office
        .post(&format!("/secretariat/surveys/{id}/publish"), &[])
        .await;
    let qs = questions(&app, id).await;
    let yes_no = qs[1].row.id;
    let mut client_a = signed_in(&app, HOST, "a@example.jp").await;
    answer_yes_no(&mut client_a, id, &qs, true).await;
    let mut client_b = signed_in(&app, HOST, "b@example.jp").await;
    answer_yes_no(&mut client_b, id, &qs, false).await;

    // Results narrowed to "yes" offer the segment; saving it is one post.
    let results = office
        .get(&format!(
            "/secretariat/surveys/{id}/results?answer={yes_no}:1"
        ))
        .await;
    assert!(results
        .body
        .contains(&format!("/secretariat/surveys/{id}/segments")));
    let saved = office
        .post(
            &format!("/secretariat/surveys/{id}/segments"),
            &[("name", "協力可"), ("answer", &format!("{yes_no}:1"))],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let segment: uuid::Uuid = location_id(&saved, "/secretariat/segments/");
    let page = office
        .get(&format!("/secretariat/segments/{segment}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("現在1人が該当"), "a only: b said no");
    assert_eq!(count(&app, "select count(*) from segments").await, 1);

    // Live: a new "yes" joins without touching the segment.
    let mut client_c = signed_in(&app, HOST, "c@example.jp").await;
    answer_yes_no(&mut client_c, id, &qs, true).await;
    let page = office
        .get(&format!("/secretariat/segments/{segment}"))
        .await;
    assert!(page.body.contains("現在2人が該当"), "c joined");

    // An invitation needs a subject and a message; a bad link is refused; nothing is sent.
    let refused = office
        .post(
            &format!("/secretariat/segments/{segment}/outreach"),
            &[
                ("subject", ""),
                ("body", "本文"),
                ("link", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("field-error"));
    assert_eq!(count(&app, "select count(*) from outreaches").await, 0);

    // c wants no survey emails: c is invited in the app only.
    let off = client_c
        .post("/account/email", &[("c_surveys", "off")])
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);

    let sent = office
        .post(
            &format!("/secretariat/segments/{segment}/outreach"),
            &[
                ("subject", "インタビューのお願い"),
                ("body", "30分ほどお話を聞かせてください。"),
                ("link", "/articles"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let outreach: uuid::Uuid = location_id(&sent, "/secretariat/outreach/");
    // Both "yes" members are on the list (b said no), each notified.
    assert_eq!(
        count(
            &app,
            "select count(*) from follow_ups where status = 'sent'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from notifications where kind = 'outreach_invited'"
        )
        .await,
        2
    );
    // Emailed to a only, with the category's unsubscribe address; the outreach says so.
    assert_eq!(
        count(
            &app,
            "select count(*) from email_outbox where kind = 'outreach' \
             and to_address = 'a@example.jp' and list_unsubscribe like '%/email/unsubscribe/%/surveys/%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from email_outbox where kind = 'outreach'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from outreaches where emailed = 1 and email_digest = 0 and email_off = 1"
        )
        .await,
        1
    );

    // Only recipients see the invitation.
    assert_eq!(
        client_b
            .get(&format!("/invitations/{outreach}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let invitation = client_a.get(&format!("/invitations/{outreach}")).await;
    assert_eq!(invitation.status, StatusCode::OK);
    assert!(invitation.body.contains("30分ほどお話を聞かせてください。"));
    let replied = client_a
        .post(&format!("/invitations/{outreach}"), &[("reply", "accept")])
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER);

    // The funnel and the list show the acceptance; an article can start for a, not for c.
    let funnel = office
        .get(&format!("/secretariat/outreach/{outreach}"))
        .await;
    assert_eq!(funnel.status, StatusCode::OK);
    assert!(funnel.body.contains(&format!("/recipients/{a}/article")));
    let c_id: uuid::Uuid = sqlx_member_id(&app, "c@example.jp").await;
    assert!(!funnel.body.contains(&format!("/recipients/{c_id}/article")));
    // Each recipient can be written to from the list: a private conversation with them.
    assert!(funnel.body.contains(&format!(
        "<input type=\"hidden\" name=\"to\" value=\"{c_id}\">"
    )));
    let writing = office
        .post("/messages/direct", &[("to", &c_id.to_string())])
        .await;
    assert_eq!(writing.status, StatusCode::SEE_OTHER, "{}", writing.body);
    assert!(writing
        .header("location")
        .unwrap()
        .starts_with("/messages/"));
    let early = office
        .post(
            &format!("/secretariat/outreach/{outreach}/recipients/{c_id}/article"),
            &[],
        )
        .await;
    assert!(early.header("location").unwrap().contains("not_accepted"));
    let started = office
        .post(
            &format!("/secretariat/outreach/{outreach}/recipients/{a}/article"),
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert!(started.header("location").unwrap().ends_with("/edit"));
    assert_eq!(
        count(
            &app,
            &format!("select count(*) from article_featured_members where member_id = '{a}'")
        )
        .await,
        1
    );

    // The secretariat marks c done with a note.
    let marked = office
        .post(
            &format!("/secretariat/outreach/{outreach}/recipients/{c_id}"),
            &[("status", "done"), ("note", "電話済み")],
        )
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "select count(*) from follow_ups where status = 'done' and note = '電話済み'"
        )
        .await,
        1
    );

    // Another network sees none of it.
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    for path in [
        format!("/secretariat/segments/{segment}"),
        format!("/secretariat/outreach/{outreach}"),
        format!("/invitations/{outreach}"),
    ] {
        assert_eq!(
            acme.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn sqlx_member_id(app: &TestApp, email: &str) -> uuid::Uuid {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let id: uuid::Uuid = sqlx::query_scalar("select id from members where email_normalized = $1")
        .bind(email)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn anonymous_surveys_have_no_segments() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    member(&app, "a@example.jp", "alumni").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let id = build(&mut office, "匿名", true).await;
    office
        .post(&format!("/secretariat/surveys/{id}/publish"), &[])
        .await;
    let qs = questions(&app, id).await;
    let mut client = signed_in(&app, HOST, "a@example.jp").await;
    answer_yes_no(&mut client, id, &qs, true).await;
    let yes = format!("{}:1", qs[1].row.id);
    let results = office
        .get(&format!("/secretariat/surveys/{id}/results?answer={yes}"))
        .await;
    assert!(!results.body.contains("/segments\""), "no segment offered");
    let refused = office
        .post(
            &format!("/secretariat/surveys/{id}/segments"),
            &[("name", "x"), ("answer", &yes)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "select count(*) from segments").await, 0);
}

/// The CSV export: a byte-order mark for Excel, one row per response; names only for named
/// surveys.
#[tokio::test]
async fn answers_export_as_csv() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    member(&app, "a@example.jp", "alumni").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let named = build(&mut office, "記名", false).await;
    let anonymous = build(&mut office, "匿名", true).await;
    let mut client = signed_in(&app, HOST, "a@example.jp").await;
    for id in [named, anonymous] {
        office
            .post(&format!("/secretariat/surveys/{id}/publish"), &[])
            .await;
        let qs = questions(&app, id).await;
        answer_yes_no(&mut client, id, &qs, true).await;
    }
    let csv = office
        .get(&format!("/secretariat/surveys/{named}/export.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.body.starts_with('\u{feff}'),
        "a byte-order mark for Excel"
    );
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "a header and one response: {lines:?}");
    assert!(lines[0].contains("氏名") && lines[0].contains("Q2 インタビューに協力できますか？"));
    assert!(lines[1].contains("回答 者") && lines[1].contains("a@example.jp"));
    assert!(lines[1].contains("はい") && lines[1].contains("IT"));

    let csv = office
        .get(&format!("/secretariat/surveys/{anonymous}/export.csv"))
        .await;
    assert!(!csv.body.contains("a@example.jp") && !csv.body.contains("回答 者"));
    assert!(!csv.body.contains("氏名"));
    assert!(csv.body.contains("はい"));
    // Another network cannot export it (acme on a plan with the export, so that it is the
    // network, not the plan, that refuses).
    let mut tx = app.platform.begin_platform().await.unwrap();
    sqlx::query("update platform.tenants set plan = 'standard' where slug = 'acme'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.state.registry.invalidate("acme");
    secretariat(&app, "acme", "office@acme.example.com").await;
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert_eq!(
        acme.get(&format!("/secretariat/surveys/{named}/export.csv"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Survey results at scale: a network of 20,000 members where a 20-question survey has 20,000
/// responses (400,000 answers) and another has 200. The big survey's results queries answer
/// within a page's time (read in full: it is the whole table here, where a sequential read is
/// the right plan); the small one's tallies read only its part of the results index, as every
/// survey's do in a shared table where it is a small part (the large benchmark network).
#[tokio::test]
async fn results_at_scale_use_the_indexes() {
    let app = app().await;
    let tenant = app.tenant_id("demo").await;
    let db = app.state.db.clone();
    let mut tx = db.begin_tenant_batch(tenant, Actor::System).await.unwrap();
    tsunagu_demo::scale::insert_members(&mut tx, 20_000)
        .await
        .unwrap();
    let mut surveys = Vec::new();
    for responses in [20_000, 200] {
        let id =
            tsunagu_demo::scale::insert_survey(&mut tx, &format!("{responses} 件"), 20, responses)
                .await
                .unwrap();
        surveys.push(id);
    }
    tx.commit().await.unwrap();
    assert_eq!(
        count(&app, "select count(*) from survey_answers").await,
        404_000
    );
    let mut admin =
        sqlx::ConnectOptions::connect(&tsunagu_testkit::admin_options().database(&app.db.name))
            .await
            .unwrap();
    sqlx::Executor::execute(&mut admin, "vacuum analyze survey_answers")
        .await
        .unwrap();

    let mut tx = db.begin_tenant(tenant, Actor::System).await.unwrap();
    let big = queries::find(&mut tx, surveys[0]).await.unwrap().unwrap();
    let small = queries::find(&mut tx, surveys[1]).await.unwrap().unwrap();
    let filter_of = |qs: &[Question]| queries::ResultFilter {
        kind: None,
        answer: Some((
            qs[2].row.id,
            queries::AnswerValue::Option(qs[2].options[1].id),
        )),
    };
    let small_qs = queries::questions(&mut tx, small.id).await.unwrap();
    for filter in [queries::ResultFilter::default(), filter_of(&small_qs)] {
        let mut q = queries::build_tallies("explain ", tenant, &small, &filter);
        let plan: Vec<String> = q.build_query_scalar().fetch_all(tx.conn()).await.unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("survey_answers_results_idx"),
            "tallies should read the results index:\n{plan}"
        );
        assert!(!plan.contains("Seq Scan on survey_answers"), "{plan}");
    }
    // The big survey's page queries, timed (generous: a plan gone wrong takes many seconds).
    let big_qs = queries::questions(&mut tx, big.id).await.unwrap();
    for filter in [queries::ResultFilter::default(), filter_of(&big_qs)] {
        let started = std::time::Instant::now();
        let tallies = queries::tallies(&mut tx, &big, &filter)
            .await
            .expect("tallies");
        let answered = queries::answered_counts(&mut tx, &big, &big_qs, &tallies, &filter)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        // 20 questions × 5 choices; narrowed to one choice of Q3, that question has one.
        let expected = if filter.answer.is_some() { 96 } else { 100 };
        assert_eq!(tallies.len(), expected);
        assert!(answered[&None] > 0);
        println!(
            "results queries at 20,000 responses (narrowed: {}): {elapsed:?}",
            filter.answer.is_some()
        );
        assert!(elapsed.as_millis() < 3000, "results took {elapsed:?}");
    }
    tx.commit().await.unwrap();
}

/// Two edits of one member's answers sent at once (a double click, two tabs) queue behind each
/// other: the second replaces the first, and the member keeps exactly one response.
#[tokio::test]
async fn concurrent_edits_keep_one_response() {
    let app = app().await;
    let tenant = app.tenant_id("demo").await;
    let who = member(&app, "twice@demo.example.co.jp", "alumni").await;
    let db = app.state.db.clone();
    let mut tx = db.begin_tenant(tenant, Actor::System).await.unwrap();
    let id = tsunagu_demo::scale::insert_survey(&mut tx, "編集できる", 2, 0)
        .await
        .unwrap();
    let survey = queries::find(&mut tx, id).await.unwrap().unwrap();
    let questions = queries::questions(&mut tx, id).await.unwrap();
    tx.commit().await.unwrap();
    let answers = move |choice: usize| -> Vec<queries::NewAnswer> {
        questions
            .iter()
            .map(|q| queries::NewAnswer {
                question: q.row.id,
                option: Some(q.options[choice].id),
                number: None,
                text: None,
            })
            .collect()
    };
    let mut first = db.begin_tenant(tenant, Actor::Member(who)).await.unwrap();
    let saved = queries::submit(&mut first, &survey, who, &answers(0))
        .await
        .unwrap();
    assert_eq!(saved, queries::Submitted::Saved);
    first.commit().await.unwrap();

    let mut editing = db.begin_tenant(tenant, Actor::Member(who)).await.unwrap();
    assert_eq!(
        queries::submit(&mut editing, &survey, who, &answers(1))
            .await
            .unwrap(),
        queries::Submitted::Replaced
    );
    let second_edit = {
        let (db, survey, answers) = (db.clone(), survey.clone(), answers(2));
        tokio::spawn(async move {
            let mut tx = db.begin_tenant(tenant, Actor::Member(who)).await?;
            let outcome = queries::submit(&mut tx, &survey, who, &answers).await?;
            tx.commit().await?;
            Ok::<_, tsunagu_kernel::DbError>(outcome)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second_edit.is_finished(), "the second edit should wait");
    editing.commit().await.unwrap();
    assert_eq!(
        second_edit
            .await
            .unwrap()
            .expect("the second edit succeeds"),
        queries::Submitted::Replaced
    );
    let mut tx = db.begin_tenant(tenant, Actor::System).await.unwrap();
    let own = queries::own_answers(&mut tx, id, who).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        count(
            &app,
            &format!("select count(*) from survey_response_members where survey_id = '{id}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!("select count(*) from survey_answers where survey_id = '{id}'")
        )
        .await,
        2
    );
    // The edit that committed last is the one kept.
    let kept: Vec<_> = own.iter().map(|a| a.option).collect();
    let last: Vec<_> = answers(2).iter().map(|a| a.option).collect();
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter().all(|o| last.contains(o)),
        "{kept:?} vs {last:?}"
    );
}

/// A saved segment as a survey's audience: only its members see the survey, are notified and
/// may answer; the segment stays live (a new "yes" joins the audience); the response rate counts
/// against the segment; a segment that is not this network's is not a choice.
#[tokio::test]
async fn a_saved_segment_is_a_survey_audience() {
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    member(&app, "a@example.jp", "alumni").await;
    member(&app, "b@example.jp", "alumni").await;
    member(&app, "c@example.jp", "employee").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let source = build(&mut office, "協力アンケート", false).await;
    office
        .post(&format!("/secretariat/surveys/{source}/publish"), &[])
        .await;
    let qs = questions(&app, source).await;
    let yes_no = qs[1].row.id;
    let mut client_a = signed_in(&app, HOST, "a@example.jp").await;
    answer_yes_no(&mut client_a, source, &qs, true).await;
    let mut client_b = signed_in(&app, HOST, "b@example.jp").await;
    answer_yes_no(&mut client_b, source, &qs, false).await;
    let saved = office
        .post(
            &format!("/secretariat/surveys/{source}/segments"),
            &[("name", "協力できる人"), ("answer", &format!("{yes_no}:1"))],
        )
        .await;
    let segment: uuid::Uuid = location_id(&saved, "/secretariat/segments/");

    // From the segment's page: one form makes a survey for the segment.
    let page = office
        .get(&format!("/secretariat/segments/{segment}"))
        .await;
    assert!(page.body.contains(&format!("value=\"segment:{segment}\"")));
    let created = office
        .post(
            "/secretariat/surveys",
            &[
                ("title", "座談会の日程"),
                ("audience", &format!("segment:{segment}")),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let follow_up = survey_id(&created);
    let builder = office
        .get(&format!("/secretariat/surveys/{follow_up}"))
        .await;
    assert!(builder
        .body
        .contains(&format!("value=\"segment:{segment}\" selected")));
    let added = office
        .post(
            &format!("/secretariat/surveys/{follow_up}/questions"),
            &[
                ("kind", "yes_no"),
                ("prompt", "参加できますか？"),
                ("required", "on"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    office
        .post(&format!("/secretariat/surveys/{follow_up}/publish"), &[])
        .await;
    // Notified: a only.
    assert_eq!(
        count(
            &app,
            &format!(
                "select count(*) from notifications where kind = 'survey_opened' \
                 and url = '/surveys/{follow_up}'"
            )
        )
        .await,
        1
    );

    // b is not in the segment: not listed, not shown, cannot answer.
    let listed = client_b.get("/surveys").await;
    assert!(!listed.body.contains(&follow_up.to_string()));
    assert_eq!(
        client_b.get(&format!("/surveys/{follow_up}")).await.status,
        StatusCode::FORBIDDEN
    );
    let q = questions(&app, follow_up).await[0].row.id;
    let refused = client_b
        .post(
            &format!("/surveys/{follow_up}"),
            &[(&format!("q_{q}"), "yes")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // a is: listed and answers.
    assert!(client_a
        .get("/surveys")
        .await
        .body
        .contains(&follow_up.to_string()));
    let sent = client_a
        .post(
            &format!("/surveys/{follow_up}"),
            &[(&format!("q_{q}"), "yes")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    // Live: c says yes to the source survey and is in the audience at once.
    let mut client_c = signed_in(&app, HOST, "c@example.jp").await;
    assert_eq!(
        client_c.get(&format!("/surveys/{follow_up}")).await.status,
        StatusCode::FORBIDDEN
    );
    answer_yes_no(&mut client_c, source, &qs, true).await;
    assert_eq!(
        client_c.get(&format!("/surveys/{follow_up}")).await.status,
        StatusCode::OK
    );
    // 1 of the 2 in the segment has answered.
    let results = office
        .get(&format!("/secretariat/surveys/{follow_up}/results"))
        .await;
    assert!(
        results.body.contains("<strong>50%</strong>"),
        "{}",
        results.body
    );
    // A new response shows at once, though the whole-survey counts are reused for a while.
    let sent = client_c
        .post(
            &format!("/surveys/{follow_up}"),
            &[(&format!("q_{q}"), "no")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let results = office
        .get(&format!("/secretariat/surveys/{follow_up}/results"))
        .await;
    assert!(
        results.body.contains("<strong>100%</strong>"),
        "{}",
        results.body
    );

    // Not a choice: an unknown segment, another network's, or a bare "segment".
    let acme = app.tenant_id("acme").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    let foreign: uuid::Uuid = sqlx::query_scalar("select gen_random_uuid()")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for audience in [
        format!("segment:{foreign}"),
        "segment".to_owned(),
        "segment:not-a-uuid".to_owned(),
    ] {
        let refused = office
            .post(
                &format!("/secretariat/surveys/{follow_up}"),
                &[
                    ("title", "座談会の日程"),
                    ("intro", ""),
                    ("audience", &audience),
                    ("opens_at", ""),
                    ("closes_at", ""),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{audience}"
        );
    }
    assert_eq!(
        count(
            &app,
            &format!(
                "select count(*) from surveys where id = '{follow_up}' and audience_segment_id = '{segment}'"
            )
        )
        .await,
        1
    );
}

/// Every segment, outreach and invitation route, called from another network with this
/// network's ids (valid forms otherwise): 404, and nothing changes.
#[tokio::test]
async fn segment_and_outreach_routes_refuse_another_networks_ids() {
    let app = app().await;
    app.seed_demo_network().await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    app.create_member(
        "acme",
        MemberFixture {
            email: "alum@acme.example.org",
            password: PASSWORD,
            kind: "alumni",
            role: "member",
            status: "active",
            name: "Other Network",
        },
    )
    .await;
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let (segment, survey): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("select id, survey_id from segments limit 1")
            .fetch_one(tx.conn())
            .await
            .unwrap();
    let (condition, question): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select id, question_id from segment_conditions where segment_id = $1 limit 1",
    )
    .bind(segment)
    .fetch_one(tx.conn())
    .await
    .unwrap();
    let (outreach, recipient): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select o.id, f.member_id from outreaches o \
         join follow_ups f on f.tenant_id = o.tenant_id and f.list_id = o.list_id limit 1",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let snapshot = "select (select count(*) from segments) || '/' || \
                           (select count(*) from segment_conditions) || '/' || \
                           (select count(*) from outreaches) || '/' || \
                           (select string_agg(status || note, ',' order by member_id) from follow_ups) || '/' || \
                           (select count(*) from articles) || '/' || \
                           (select string_agg(name || match, ',' order by id) from segments)";
    let before = demo_text(&app, snapshot).await;

    let mut office = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    for path in [
        format!("/secretariat/segments/{segment}"),
        format!("/secretariat/outreach/{outreach}"),
    ] {
        assert_eq!(
            office.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let answer = format!("{question}:1");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/secretariat/surveys/{survey}/segments"),
            vec![("name", "盗み見"), ("answer", &answer)],
        ),
        (
            format!("/secretariat/segments/{segment}"),
            vec![
                ("name", "書き換え"),
                ("matching", "any"),
                ("kind", ""),
                ("department", ""),
            ],
        ),
        (
            format!("/secretariat/segments/{segment}/conditions"),
            vec![("answer", &answer)],
        ),
        (
            format!("/secretariat/segments/{segment}/conditions/{condition}/delete"),
            vec![],
        ),
        (
            format!("/secretariat/segments/{segment}/outreach"),
            vec![("subject", "件名"), ("body", "本文"), ("link", "")],
        ),
        (
            format!("/secretariat/outreach/{outreach}/recipients/{recipient}"),
            vec![("status", "accepted"), ("note", "x")],
        ),
        (
            format!("/secretariat/outreach/{outreach}/recipients/{recipient}/article"),
            vec![],
        ),
    ];
    for (path, fields) in &posts {
        assert_eq!(
            office.post(path, fields).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let mut alum = signed_in(&app, "acme.localhost", "alum@acme.example.org").await;
    let invitation = format!("/invitations/{outreach}");
    assert_eq!(alum.get(&invitation).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        alum.post(&invitation, &[("reply", "accept")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(demo_text(&app, snapshot).await, before);
}

async fn demo_text(app: &TestApp, sql: &str) -> String {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let text: String = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    text
}

#[tokio::test]
async fn a_saved_segment_is_an_event_audience() {
    use crate::events::{event_form, event_path, post_form, with};
    let app = app().await;
    secretariat(&app, "demo", OFFICE).await;
    member(&app, "a@example.jp", "alumni").await;
    member(&app, "b@example.jp", "alumni").await;
    member(&app, "c@demo.example.co.jp", "employee").await;
    let mut office = signed_in(&app, HOST, OFFICE).await;
    let source = build(&mut office, "協力アンケート", false).await;
    office
        .post(&format!("/secretariat/surveys/{source}/publish"), &[])
        .await;
    let qs = questions(&app, source).await;
    let yes_no = qs[1].row.id;
    let mut client_a = signed_in(&app, HOST, "a@example.jp").await;
    answer_yes_no(&mut client_a, source, &qs, true).await;
    let mut client_b = signed_in(&app, HOST, "b@example.jp").await;
    answer_yes_no(&mut client_b, source, &qs, false).await;
    let saved = office
        .post(
            &format!("/secretariat/surveys/{source}/segments"),
            &[("name", "協力できる人"), ("answer", &format!("{yes_no}:1"))],
        )
        .await;
    let segment: uuid::Uuid = location_id(&saved, "/secretariat/segments/");

    // The secretariat is offered its segments; a member creating an event is not, and cannot
    // send one.
    let audience = format!("segment:{segment}");
    assert!(office
        .get("/events/new")
        .await
        .body
        .contains(&format!("value=\"{audience}\"")));
    let mut employee = signed_in(&app, HOST, "c@demo.example.co.jp").await;
    assert!(!employee.get("/events/new").await.body.contains("segment:"));
    let refused = post_form(
        &mut employee,
        "/events",
        &with(&event_form("勉強会", 5, "", "0"), "audience", &audience),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nor another network's (or an unknown) segment.
    let unknown = post_form(
        &mut office,
        "/events",
        &with(
            &event_form("座談会", 5, "", "0"),
            "audience",
            &format!("segment:{}", uuid::Uuid::now_v7()),
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    office.get("/events/new").await;
    let path = event_path(
        &post_form(
            &mut office,
            "/events",
            &with(
                &event_form("協力者の座談会", 5, "", "0"),
                "audience",
                &audience,
            ),
        )
        .await,
    );
    // In the segment: listed, opened, answered. Outside it: neither listed nor found.
    assert!(client_a
        .get("/events")
        .await
        .body
        .contains("協力者の座談会"));
    let page = client_a.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("対象: 協力できる人"), "{}", page.body);
    assert!(!client_b
        .get("/events")
        .await
        .body
        .contains("協力者の座談会"));
    assert_eq!(client_b.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(employee.get(&path).await.status, StatusCode::NOT_FOUND);
    // The edit form keeps the segment selected.
    assert!(office
        .get(&format!("{path}/edit"))
        .await
        .body
        .contains(&format!("value=\"{audience}\" selected")));

    // The weekly digest lists it to the segment's members only (an event for everyone gives
    // every member a digest to look in).
    office.get("/events/new").await;
    post_form(
        &mut office,
        "/events",
        &event_form("全員の交流会", 6, "", "0"),
    )
    .await;
    tsunagu_digest::run(
        &app.state.db,
        &app.state.web,
        &app.state.config,
        crate::digest::due_now(),
        Some("demo"),
    )
    .await
    .unwrap();
    let digests_with_the_event = |address: &str| {
        format!(
            "select count(*) from email_outbox where kind = 'digest' and to_address = '{address}' \
             and text_body like '%協力者の座談会%'"
        )
    };
    assert_eq!(
        count(&app, &digests_with_the_event("a@example.jp")).await,
        1
    );
    // b gets a digest too (with the event for everyone), without the segment's event.
    assert_eq!(
        count(
            &app,
            "select count(*) from email_outbox where kind = 'digest' and to_address = 'b@example.jp'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, &digests_with_the_event("b@example.jp")).await,
        0
    );
}
