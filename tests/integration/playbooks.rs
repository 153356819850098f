//! The playbook library: the secretariat (and CS staff within a grant) turn a template into a
//! draft that nobody sees until it is published; what was made is remembered with the template's
//! version; outcomes across networks appear only once 5 networks used a template.

use axum::http::StatusCode;
use time::OffsetDateTime;
use tsunagu_kernel::Actor;
use tsunagu_web::Locale;

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat, PASSWORD};
use crate::messages::{demo_count, demo_value};

const HOST: &str = "demo.localhost";

#[tokio::test]
async fn the_secretariat_makes_drafts_from_the_library() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;

    let library = office.get("/secretariat/playbooks").await;
    assert_eq!(library.status, StatusCode::OK);
    for title in [
        "キャリア調査",
        "ようこそアンケート",
        "オンライン同窓会",
        "同窓会で話してくれる方",
    ] {
        assert!(library.body.contains(title), "{title}");
    }
    assert!(library.body.contains("5 つ以上のネットワークで使われると"));
    assert_eq!(
        hanako.get("/secretariat/playbooks").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hanako
            .post("/secretariat/playbooks/career-survey", &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office
            .post("/secretariat/playbooks/no-such", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A survey draft with the template's questions, in the reader's language.
    let made = office
        .post("/secretariat/playbooks/career-survey", &[])
        .await;
    let location = made.header("location").expect("a redirect").to_owned();
    assert!(
        location.starts_with("/secretariat/surveys/")
            && location.ends_with("?notice=playbook_drafted"),
        "{location}"
    );
    assert_eq!(
        demo_value::<String>(&app, "select status from surveys").await,
        "draft"
    );
    assert_eq!(
        demo_value::<String>(&app, "select title from surveys").await,
        "キャリア調査"
    );
    assert_eq!(
        demo_count(&app, "select count(*) from survey_questions").await,
        5
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from playbook_uses where playbook_key = 'career-survey' \
             and playbook_version = 2 and subject_kind = 'survey'"
        )
        .await,
        1
    );

    // A 募集 draft: members do not see it; the secretariat opens it in one click.
    let made = office
        .post("/secretariat/playbooks/reunion-speaker", &[])
        .await;
    let path = made
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(hanako.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!hanako
        .get("/recruitments")
        .await
        .body
        .contains("話してくれる方"));
    let draft = office.get(&path).await.body;
    assert!(draft.contains("承認して公開"));
    assert_eq!(
        hanako
            .post(&format!("{path}/react"), &[("reaction", "interested")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    office.post(&format!("{path}/publish"), &[]).await;
    assert_eq!(hanako.get(&path).await.status, StatusCode::OK);

    // An event waits for approval; an article is a draft.
    office
        .post("/secretariat/playbooks/online-reunion", &[])
        .await;
    assert_eq!(
        demo_value::<String>(&app, "select status from events").await,
        "pending"
    );
    office
        .post("/secretariat/playbooks/interview-article", &[])
        .await;
    assert_eq!(
        demo_value::<String>(&app, "select status from articles").await,
        "draft"
    );
    // Every template of the library makes its draft.
    let welcome = office
        .post("/secretariat/playbooks/welcome-survey", &[])
        .await;
    assert_eq!(welcome.status, StatusCode::SEE_OTHER);
    assert_eq!(
        tsunagu_playbooks::library::library().len(),
        5,
        "each template is made above"
    );
    // The page lists what was made, and each use is audited.
    let library = office.get("/secretariat/playbooks").await.body;
    assert!(library.contains("このネットワークでライブラリから作ったもの"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action = 'playbook.used'"
        )
        .await,
        5
    );
}

/// Makes and publishes a career survey from the library in network `slug`, with `answered`
/// of its one active member answering (0 or 1).
async fn use_career_survey(
    app: &tsunagu_testkit::TestApp,
    slug: &str,
    answered: bool,
    publish: bool,
) {
    app.create_tenant(slug, "ja").await;
    let author = secretariat(app, slug, &format!("office@{slug}.example.jp")).await;
    let tenant = app.tenant_id(slug).await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let made = tsunagu_playbooks::apply::make_draft(
        &mut tx,
        tsunagu_playbooks::library::find("career-survey").unwrap(),
        Locale::Ja,
        tsunagu_web::dates::Zone::JAPAN,
        author,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    if publish {
        sqlx::query("update surveys set status = 'open', published_at = now() where id = $1")
            .bind(made.id)
            .execute(tx.conn())
            .await
            .unwrap();
    }
    if answered {
        sqlx::query(
            "insert into survey_respondents (tenant_id, survey_id, member_id) values ($1, $2, $3)",
        )
        .bind(tenant)
        .bind(made.id)
        .bind(author)
        .execute(tx.conn())
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn career_outcome(app: &tsunagu_testkit::TestApp) -> Option<(i64, Option<f64>)> {
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let outcomes = tsunagu_playbooks::queries::outcomes(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    outcomes
        .into_iter()
        .find(|o| o.playbook_key == "career-survey")
        .map(|o| (o.networks, o.median))
}

/// k-anonymity: a template's figure appears only once 5 networks published something made
/// from it; drafts count for nothing; asking for a smaller k does not lower the floor; the
/// console shows the figure only then.
#[tokio::test]
async fn outcomes_across_networks_show_only_from_five_networks() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    crate::console::staff(&app, "cs-playbooks@tsunagu.example").await;
    let mut console = app.client("console.localhost");
    console
        .sign_in("cs-playbooks@tsunagu.example", PASSWORD)
        .await;

    for (i, answered) in [true, true, false, true].into_iter().enumerate() {
        use_career_survey(&app, &format!("pb{i}"), answered, true).await;
    }
    // A fifth network with a draft only: still four.
    use_career_survey(&app, "pbdraft", true, false).await;
    assert_eq!(career_outcome(&app).await, None, "four networks: nothing");
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let lowered: i64 = sqlx::query_scalar("select count(*) from platform.playbook_outcomes(1)")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(lowered, 0, "k cannot be lowered below 5");
    let page = console.get("/playbooks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("回答率の中央値"),
        "no figure from four networks"
    );

    use_career_survey(&app, "pb4", false, true).await;
    // Five networks: 100, 100, 0, 100, 0 percent → median 100.
    assert_eq!(career_outcome(&app).await, Some((5, Some(100.0))));
    let page = console.get("/playbooks").await.body;
    assert!(
        page.contains("回答率の中央値 100%（5 ネットワーク）"),
        "{page}"
    );
}
