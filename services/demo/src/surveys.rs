//! Demo surveys: in each demo network, a closed career survey answered by about forty members
//! (respondents are added to the directory for it), a segment "willing to be interviewed" made
//! from it, and an open reunion survey. Idempotent: a network that has surveys is left alone.

use tsunagu_kernel::{Actor, Db, MemberId, MemberKind, MemberStatus};
use tsunagu_surveys::kinds::{Audience, QuestionKind};
use tsunagu_surveys::queries::{
    self, AnswerValue, NewAnswer, Question, QuestionInput, SurveyInput,
};

use crate::seed::{DEMO_PASSWORD, DEMO_SLUGS};

/// Family names and given names of the generated respondents, (kanji, kana, romaji).
const FAMILY_JA: &[(&str, &str, &str)] = &[
    ("佐藤", "さとう", "Sato"),
    ("鈴木", "すずき", "Suzuki"),
    ("高橋", "たかはし", "Takahashi"),
    ("伊藤", "いとう", "Ito"),
    ("渡辺", "わたなべ", "Watanabe"),
    ("中村", "なかむら", "Nakamura"),
    ("小林", "こばやし", "Kobayashi"),
    ("加藤", "かとう", "Kato"),
    ("吉田", "よしだ", "Yoshida"),
    ("松本", "まつもと", "Matsumoto"),
    ("井上", "いのうえ", "Inoue"),
    ("木村", "きむら", "Kimura"),
];
const GIVEN_JA: &[(&str, &str, &str)] = &[
    ("陽子", "ようこ", "Yoko"),
    ("健太", "けんた", "Kenta"),
    ("美咲", "みさき", "Misaki"),
];
const FAMILY_EN: &[&str] = &[
    "Anderson", "Brown", "Clark", "Davis", "Evans", "Foster", "Green", "Hughes", "Irving", "Jones",
    "King", "Lewis",
];
const GIVEN_EN: &[&str] = &["Alex", "Sam", "Jordan"];

struct Texts {
    career_title: &'static str,
    career_intro: &'static str,
    industry: &'static str,
    industries: &'static [&'static str],
    interview: &'static str,
    reunion: &'static str,
    satisfaction: &'static str,
    comment: &'static str,
    comments: &'static [&'static str],
    segment: &'static str,
    reunion_title: &'static str,
    reunion_intro: &'static str,
    reunion_date: &'static str,
    reunion_dates: &'static [&'static str],
    reunion_topics: &'static str,
    departments: &'static [&'static str],
    outreach_subject: &'static str,
    outreach_body: &'static str,
    draft_title: &'static str,
}

const JA: Texts = Texts {
    career_title: "キャリアアンケート 2026",
    career_intro:
        "退職後のキャリアについて教えてください。回答はインタビュー記事や交流会の企画に使います。",
    industry: "現在のお仕事の業界は？",
    industries: &["IT・通信", "金融", "製造", "コンサルティング", "公共・教育"],
    interview: "キャリアについてのインタビューにご協力いただけますか？",
    reunion: "アルムナイ交流会に参加したいですか？",
    satisfaction: "在籍時の満足度を教えてください",
    comment: "事務局へのひとこと",
    comments: &[
        "交流会を楽しみにしています。",
        "後輩の役に立てることがあれば声をかけてください。",
        "副業の相談ができる場があると嬉しいです。",
        "",
    ],
    segment: "インタビュー協力可",
    reunion_title: "同窓会 2027 参加意向アンケート",
    reunion_intro: "2027年春の同窓会の日程と内容を決めるためのアンケートです（匿名）。",
    reunion_date: "ご都合のよい時期は？",
    reunion_dates: &["3月", "4月", "5月"],
    reunion_topics: "聞いてみたいテーマがあれば教えてください",
    departments: &["営業部", "開発部", "人事部", "経営企画部"],
    outreach_subject: "キャリアインタビューのお願い",
    outreach_body: "アンケートでインタビューにご協力いただけるとお答えくださった皆さまへ。\n\n30分ほどオンラインでお話を伺い、アルムナイ記事として紹介させてください。日程はこちらから調整します。",
    draft_title: "在籍時の経験に関するアンケート（準備中）",
};

const EN: Texts = Texts {
    career_title: "Career survey 2026",
    career_intro: "Tell us where your career has taken you. We use the answers to plan interviews and meetups.",
    industry: "Which industry do you work in now?",
    industries: &["Software", "Finance", "Manufacturing", "Consulting", "Public sector"],
    interview: "Would you share your story in an interview?",
    reunion: "Would you join an alumni meetup?",
    satisfaction: "How satisfied were you while working here?",
    comment: "A word for the alumni office",
    comments: &[
        "Looking forward to the next meetup!",
        "Happy to mentor people who are starting out.",
        "",
    ],
    segment: "Willing to be interviewed",
    reunion_title: "Reunion 2027: when and what?",
    reunion_intro: "Help us plan the spring 2027 reunion (anonymous).",
    reunion_date: "Which month suits you?",
    reunion_dates: &["March", "April", "May"],
    reunion_topics: "Any topic you would like to hear about?",
    departments: &["Sales", "Engineering", "People", "Strategy"],
    outreach_subject: "Would you share your story?",
    outreach_body: "You said in our survey that you would share your career story.\n\nWe would love a 30-minute call to write it up as an alumni interview. We will suggest times.",
    draft_title: "Your time at Acme (draft)",
};

/// How many respondents are added to each demo network.
const RESPONDENTS: usize = 36;

fn question(kind: QuestionKind, prompt: &str, required: bool, options: &[&str]) -> QuestionInput {
    QuestionInput {
        kind,
        prompt: prompt.to_owned(),
        help: String::new(),
        required,
        allow_other: kind.has_options(),
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

/// A deterministic spread of answers: member `n`'s answer to a question with `choices` choices.
fn pick(n: usize, salt: usize, choices: usize) -> usize {
    (n * 7 + salt * 3 + n / 3) % choices
}

pub async fn seed_demo_surveys(db: &Db) -> anyhow::Result<()> {
    let hash = tsunagu_identity::password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for slug in DEMO_SLUGS {
        if let Some(t) = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug).await? {
            tenants.push(t);
        }
    }
    platform.commit().await?;
    for tenant in tenants {
        let ja = tenant.default_locale == "ja";
        let (texts, office_email, domain) = if ja {
            (
                &JA,
                "jimukyoku@demo.example.co.jp",
                "demo-alumni.example.jp",
            )
        } else {
            (
                &EN,
                "alumni-office@acme.example.com",
                "acme-alumni.example.com",
            )
        };
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        if !queries::list_all(&mut tx).await?.is_empty() {
            tx.rollback().await?;
            continue;
        }
        let Some(office) = tsunagu_identity::queries::find_by_email(&mut tx, office_email).await?
        else {
            tx.rollback().await?;
            continue;
        };

        // Respondents: alumni who left over the years, in four departments.
        for n in 0..RESPONDENTS {
            let email = format!("alumni{:02}@{domain}", n + 1);
            if tsunagu_identity::queries::find_by_email(&mut tx, &email)
                .await?
                .is_some()
            {
                continue;
            }
            let (kanji, kana, romaji) = if ja {
                let (f, fk, fr) = FAMILY_JA[n % FAMILY_JA.len()];
                let (g, gk, gr) = GIVEN_JA[(n / FAMILY_JA.len()) % GIVEN_JA.len()];
                (
                    format!("{f} {g}"),
                    format!("{fk} {gk}"),
                    format!("{gr} {fr}"),
                )
            } else {
                let f = FAMILY_EN[n % FAMILY_EN.len()];
                let g = GIVEN_EN[(n / FAMILY_EN.len()) % GIVEN_EN.len()];
                (format!("{g} {f}"), String::new(), format!("{g} {f}"))
            };
            let joined = 2005 + (n % 12) as i32;
            tsunagu_identity::queries::insert_member(
                &mut tx,
                &tsunagu_identity::queries::NewMember {
                    email: &email,
                    email_normalized: &email,
                    password_hash: &hash,
                    kind: MemberKind::Alumni,
                    status: MemberStatus::Active,
                    email_verified: true,
                    name_kanji: &kanji,
                    name_kana: &kana,
                    name_romaji: &romaji,
                    joined_year: Some(joined),
                    left_year: Some(joined + 3 + (n % 5) as i32),
                    department: texts.departments[n % texts.departments.len()],
                    current_organisation: "",
                    preferred_locale: Some(&tenant.default_locale),
                },
            )
            .await?;
        }

        // The career survey: published, answered by the alumni, closed.
        let career = queries::create(
            &mut tx,
            office.id,
            &SurveyInput {
                title: texts.career_title.to_owned(),
                intro: texts.career_intro.to_owned(),
                anonymous: false,
                allow_edits: false,
                audience: Audience::Alumni,
                audience_segment: None,
                opens_at: None,
                closes_at: None,
            },
        )
        .await?;
        for input in [
            question(QuestionKind::Single, texts.industry, true, texts.industries),
            question(QuestionKind::YesNo, texts.interview, true, &[]),
            question(QuestionKind::YesNo, texts.reunion, false, &[]),
            question(QuestionKind::Scale, texts.satisfaction, false, &[]),
            question(QuestionKind::ShortText, texts.comment, false, &[]),
        ] {
            queries::add_question(&mut tx, career, &input).await?;
        }
        queries::publish(&mut tx, career).await?;
        let survey = queries::find(&mut tx, career)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the career survey just made"))?;
        let questions = queries::questions(&mut tx, career).await?;
        let alumni: Vec<MemberId> = queries::audience_members(&mut tx, &survey).await?;
        // About forty answers: everyone but a few.
        for (n, member) in alumni.iter().enumerate().filter(|(n, _)| n % 9 != 8) {
            let answers = career_answers(&questions, texts, n);
            queries::submit(&mut tx, &survey, *member, &answers).await?;
        }
        queries::close(&mut tx, career).await?;
        let segment = tsunagu_surveys::segments::queries::create(
            &mut tx,
            office.id,
            texts.segment,
            career,
            None,
            &[(questions[1].row.id, AnswerValue::Number(1))],
        )
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo segment"))?;
        // An interview invitation to the segment, which two have accepted so far.
        let willing = tsunagu_surveys::segments::queries::members(&mut tx, segment, 1000).await?;
        let recipients: Vec<MemberId> = willing.iter().map(|m| m.id).collect();
        let list = tsunagu_community::followups::queries::create_outreach_list(
            &mut tx,
            texts.outreach_subject,
        )
        .await?;
        tsunagu_community::followups::queries::add(
            &mut tx,
            list,
            tsunagu_community::followups::ListKind::Outreach,
            &recipients,
        )
        .await?;
        tsunagu_surveys::segments::queries::create_outreach(
            &mut tx,
            segment,
            list,
            office.id,
            texts.outreach_subject,
            texts.outreach_body,
            "",
        )
        .await?;
        for member in recipients.iter().take(2) {
            tsunagu_community::followups::queries::set_status(
                &mut tx,
                list,
                *member,
                tsunagu_community::kinds::FollowUpStatus::Accepted,
            )
            .await?;
        }

        // A draft being prepared.
        let draft = queries::create(
            &mut tx,
            office.id,
            &SurveyInput {
                title: texts.draft_title.to_owned(),
                intro: String::new(),
                anonymous: false,
                allow_edits: true,
                audience: Audience::Everyone,
                audience_segment: None,
                opens_at: None,
                closes_at: None,
            },
        )
        .await?;
        queries::add_question(
            &mut tx,
            draft,
            &question(QuestionKind::Scale, texts.satisfaction, true, &[]),
        )
        .await?;
        queries::add_question(
            &mut tx,
            draft,
            &question(QuestionKind::LongText, texts.comment, false, &[]),
        )
        .await?;

        // The reunion survey: open, anonymous, a few answers so far.
        let reunion = queries::create(
            &mut tx,
            office.id,
            &SurveyInput {
                title: texts.reunion_title.to_owned(),
                intro: texts.reunion_intro.to_owned(),
                anonymous: true,
                allow_edits: false,
                audience: Audience::Everyone,
                audience_segment: None,
                opens_at: None,
                closes_at: None,
            },
        )
        .await?;
        queries::add_question(
            &mut tx,
            reunion,
            &question(
                QuestionKind::Multiple,
                texts.reunion_date,
                true,
                texts.reunion_dates,
            ),
        )
        .await?;
        queries::add_question(
            &mut tx,
            reunion,
            &question(QuestionKind::LongText, texts.reunion_topics, false, &[]),
        )
        .await?;
        queries::publish(&mut tx, reunion).await?;
        let survey = queries::find(&mut tx, reunion)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the reunion survey just made"))?;
        let questions = queries::questions(&mut tx, reunion).await?;
        for (n, member) in alumni.iter().enumerate().take(12) {
            let option = questions[0].options[pick(n, 5, questions[0].options.len())].id;
            let answers = [NewAnswer {
                question: questions[0].row.id,
                option: Some(option),
                number: None,
                text: None,
            }];
            queries::submit(&mut tx, &survey, *member, &answers).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

fn career_answers(questions: &[Question], texts: &Texts, n: usize) -> Vec<NewAnswer> {
    let answer = |q: &Question, option, number, text: Option<&str>| NewAnswer {
        question: q.row.id,
        option,
        number,
        text: text.map(str::to_owned),
    };
    let industry = &questions[0];
    let mut answers = vec![answer(
        industry,
        Some(industry.options[pick(n, 1, industry.options.len())].id),
        None,
        None,
    )];
    // About a third would talk about their career.
    answers.push(answer(
        &questions[1],
        None,
        Some(i16::from(pick(n, 2, 3) == 0)),
        None,
    ));
    answers.push(answer(
        &questions[2],
        None,
        Some(i16::from(pick(n, 3, 4) != 0)),
        None,
    ));
    answers.push(answer(
        &questions[3],
        None,
        Some(2 + pick(n, 4, 4) as i16),
        None,
    ));
    let comment = texts.comments[n % texts.comments.len()];
    if !comment.is_empty() {
        answers.push(answer(&questions[4], None, None, Some(comment)));
    }
    answers
}
