//! Reading a member's answers from the survey form: every question checked against its kind and
//! options, an error per question (an i18n key), and what was sent kept so that the page shows it
//! again after an error. Pure: no database, tested below.
//!
//! Field names: `q_<question id>` for the answer (repeated for a multiple choice), and
//! `q_<question id>_other` for the text of an "other" choice. A choice answer is the option's
//! id, or `other`; a scale answer `1`–`5`; yes/no `yes` or `no`.

use std::collections::HashMap;

use crate::kinds::QuestionKind;
use crate::queries::{NewAnswer, OptionId, Question, QuestionId};

/// Characters a short-text answer (and an "other" text) may have.
pub const SHORT_TEXT_CHARS: usize = 200;
/// Characters a long-text answer may have.
pub const LONG_TEXT_CHARS: usize = 5000;

/// What the member sent, by field name (several values for a multiple choice).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Sent(pub HashMap<String, Vec<String>>);

impl Sent {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            if name.starts_with("q_") {
                fields.entry(name).or_default().push(value);
            }
        }
        Self(fields)
    }

    /// The form as the member's stored answers fill it (editing a named survey's answers).
    pub fn from_answers(answers: &[NewAnswer]) -> Self {
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        for answer in answers {
            let name = field_name(answer.question);
            let value = match (answer.option, answer.number, &answer.text) {
                (Some(option), _, _) => option.to_string(),
                (None, Some(number), _) => number.to_string(),
                (None, None, Some(text)) => text.clone(),
                (None, None, None) => continue,
            };
            // Text without an option on a choice question is its "other" text; the template
            // decides by the question's kind, so both fields are filled.
            if answer.option.is_none() && answer.number.is_none() {
                fields
                    .entry(format!("{name}_other"))
                    .or_default()
                    .push(value.clone());
            }
            fields.entry(name).or_default().push(value);
        }
        Self(fields)
    }

    fn values(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The form field of a question.
pub fn field_name(question: QuestionId) -> String {
    format!("q_{question}")
}

/// Errors by question id (i18n keys).
pub type AnswerErrors = HashMap<String, &'static str>;

/// The answers to store, or the errors to show. An unanswered optional question stores
/// nothing.
pub fn read(questions: &[Question], sent: &Sent) -> Result<Vec<NewAnswer>, AnswerErrors> {
    let mut answers = Vec::new();
    let mut errors = AnswerErrors::new();
    for question in questions {
        match read_one(question, sent) {
            Ok(mut given) => {
                if given.is_empty() && question.row.required {
                    errors.insert(question.row.id.to_string(), "errors.field.required");
                }
                answers.append(&mut given);
            }
            Err(key) => {
                errors.insert(question.row.id.to_string(), key);
            }
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

fn read_one(question: &Question, sent: &Sent) -> Result<Vec<NewAnswer>, &'static str> {
    let id = question.row.id;
    let name = field_name(id);
    let values = sent.values(&name);
    let answer = |option, number, text| NewAnswer {
        question: id,
        option,
        number,
        text,
    };
    match question.row.kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            if question.row.kind == QuestionKind::Single && values.len() > 1 {
                return Err("errors.survey.one_choice");
            }
            let mut chosen = Vec::new();
            for value in values {
                if value == "other" && question.row.allow_other {
                    let other = sent.values(&format!("{name}_other"));
                    let Some(text) = other.first() else {
                        return Err("errors.survey.other_empty");
                    };
                    if text.chars().count() > SHORT_TEXT_CHARS {
                        return Err("errors.field.too_long");
                    }
                    chosen.push(answer(None, None, Some((*text).to_owned())));
                    continue;
                }
                let option: OptionId = value.parse().map_err(|_| "errors.survey.not_a_choice")?;
                if !question.options.iter().any(|o| o.id == option) {
                    return Err("errors.survey.not_a_choice");
                }
                if !chosen.iter().any(|a: &NewAnswer| a.option == Some(option)) {
                    chosen.push(answer(Some(option), None, None));
                }
            }
            Ok(chosen)
        }
        QuestionKind::Scale => match values.as_slice() {
            [] => Ok(Vec::new()),
            [value] => match value.parse::<i16>() {
                Ok(n @ 1..=5) => Ok(vec![answer(None, Some(n), None)]),
                _ => Err("errors.survey.not_a_choice"),
            },
            _ => Err("errors.survey.one_choice"),
        },
        QuestionKind::YesNo => match values.as_slice() {
            [] => Ok(Vec::new()),
            ["yes"] => Ok(vec![answer(None, Some(1), None)]),
            ["no"] => Ok(vec![answer(None, Some(0), None)]),
            _ => Err("errors.survey.not_a_choice"),
        },
        QuestionKind::ShortText | QuestionKind::LongText => {
            let limit = if question.row.kind == QuestionKind::ShortText {
                SHORT_TEXT_CHARS
            } else {
                LONG_TEXT_CHARS
            };
            match values.as_slice() {
                [] => Ok(Vec::new()),
                [text] if text.chars().count() > limit => Err("errors.field.too_long"),
                [text] => Ok(vec![answer(None, None, Some((*text).to_owned()))]),
                _ => Err("errors.survey.one_choice"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queries::{OptionRow, QuestionRow};

    fn question(kind: QuestionKind, required: bool, allow_other: bool, options: usize) -> Question {
        let id = QuestionId::new();
        Question {
            row: QuestionRow {
                id,
                position: 1,
                kind,
                prompt: "?".into(),
                help: String::new(),
                required,
                allow_other,
            },
            options: (0..options)
                .map(|i| OptionRow {
                    id: OptionId::new(),
                    question_id: id,
                    label: format!("option {i}"),
                })
                .collect(),
        }
    }

    fn sent(pairs: &[(&str, &str)]) -> Sent {
        Sent::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn choices_must_be_offered() {
        let q = question(QuestionKind::Single, true, false, 2);
        let name = field_name(q.row.id);
        let ok = read(
            std::slice::from_ref(&q),
            &sent(&[(&name, &q.options[1].id.to_string())]),
        )
        .unwrap();
        assert_eq!(ok[0].option, Some(q.options[1].id));
        let foreign = OptionId::new().to_string();
        let err = read(std::slice::from_ref(&q), &sent(&[(&name, &foreign)])).unwrap_err();
        assert_eq!(err[&q.row.id.to_string()], "errors.survey.not_a_choice");
        // "other" is refused where the question does not offer it.
        let err = read(std::slice::from_ref(&q), &sent(&[(&name, "other")])).unwrap_err();
        assert_eq!(err[&q.row.id.to_string()], "errors.survey.not_a_choice");
        // One choice only.
        let two = [
            (name.as_str(), q.options[0].id.to_string()),
            (name.as_str(), q.options[1].id.to_string()),
        ];
        let pairs: Vec<(&str, &str)> = two.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let err = read(std::slice::from_ref(&q), &sent(&pairs)).unwrap_err();
        assert_eq!(err[&q.row.id.to_string()], "errors.survey.one_choice");
    }

    #[test]
    fn required_and_other() {
        let q = question(QuestionKind::Multiple, true, true, 3);
        let name = field_name(q.row.id);
        let err = read(std::slice::from_ref(&q), &sent(&[])).unwrap_err();
        assert_eq!(err[&q.row.id.to_string()], "errors.field.required");
        let err = read(std::slice::from_ref(&q), &sent(&[(&name, "other")])).unwrap_err();
        assert_eq!(err[&q.row.id.to_string()], "errors.survey.other_empty");
        let other = format!("{name}_other");
        let first = q.options[0].id.to_string();
        let ok = read(
            std::slice::from_ref(&q),
            &sent(&[
                (&name, &first),
                (&name, &first),
                (&name, "other"),
                (&other, " 起業 "),
            ]),
        )
        .unwrap();
        assert_eq!(ok.len(), 2, "a repeated choice counts once: {ok:?}");
        assert_eq!(ok[1].text.as_deref(), Some("起業"));
    }

    #[test]
    fn scale_yes_no_and_text_limits() {
        let scale = question(QuestionKind::Scale, false, false, 0);
        let yes_no = question(QuestionKind::YesNo, false, false, 0);
        let short = question(QuestionKind::ShortText, false, false, 0);
        let all = [scale.clone(), yes_no.clone(), short.clone()];
        let ok = read(
            &all,
            &sent(&[
                (&field_name(scale.row.id), "4"),
                (&field_name(yes_no.row.id), "no"),
            ]),
        )
        .unwrap();
        assert_eq!(ok[0].number, Some(4));
        assert_eq!(ok[1].number, Some(0));
        assert_eq!(
            ok.len(),
            2,
            "an unanswered optional question stores nothing"
        );
        let long = "あ".repeat(SHORT_TEXT_CHARS + 1);
        let err = read(
            &all,
            &sent(&[
                (&field_name(scale.row.id), "6"),
                (&field_name(yes_no.row.id), "maybe"),
                (&field_name(short.row.id), &long),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.len(), 3);
        assert_eq!(err[&short.row.id.to_string()], "errors.field.too_long");
    }
}
