//! Reading a member list exported from Excel: the encoding (UTF-8 with or without a BOM, or
//! Shift_JIS as Windows writes it, CP932), the delimiter, the records, the columns' meaning from
//! their headers in Japanese or English, and each row's problems. Pure: nothing here touches the
//! database, so the preview and the import read a file the same way.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// The largest file accepted (a 10,000-row list with every column is about 2 MB).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The most rows one import takes.
pub const MAX_ROWS: usize = 20_000;

/// Why a file cannot be read at all (as opposed to a row with a problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    TooLarge,
    /// Not text in any of the encodings we read (e.g. an .xlsx or an image).
    NotText,
    /// A header row and nothing under it.
    NoRows,
    TooManyRows,
    /// Neither a name nor an email column could be recognised.
    NoKnownColumns,
    /// The CSV structure itself is broken (e.g. an unterminated quote).
    Malformed,
}

impl FileError {
    /// The i18n key of the message shown in the form.
    pub fn message_key(&self) -> &'static str {
        match self {
            FileError::Empty => "import.error_empty",
            FileError::TooLarge => "import.error_too_large",
            FileError::NotText => "import.error_not_text",
            FileError::NoRows => "import.error_no_rows",
            FileError::TooManyRows => "import.error_too_many_rows",
            FileError::NoKnownColumns => "import.error_no_known_columns",
            FileError::Malformed => "import.error_malformed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Utf8Bom => "utf8_bom",
            Encoding::ShiftJis => "shift_jis",
        }
    }
}

/// Decodes the file: UTF-8 (with or without a BOM) when it is valid UTF-8, otherwise Shift_JIS
/// with Windows' own mapping of the few characters where it differs from the web's (CP932 writes
/// ～ as 0x8160, which the WHATWG decoder reads as 〜; a Japanese Excel user typed ～).
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge);
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (
            std::str::from_utf8(rest)
                .map_err(|_| FileError::NotText)?
                .to_owned(),
            Encoding::Utf8Bom,
        )
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), Encoding::Utf8)
    } else {
        let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(FileError::NotText);
        }
        (cp932_compatible(&text), Encoding::ShiftJis)
    };
    // Binary files decode "successfully" more often than one would think: NULs and other
    // control characters mean it is not a list typed by a person.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FileError::NotText);
    }
    Ok((text, encoding))
}

/// WHATWG Shift_JIS → what Windows (CP932) means by the same bytes.
fn cp932_compatible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{301C}' => '\u{FF5E}', // 〜 → ～ (0x8160)
            '\u{2016}' => '\u{2225}', // ‖ → ∥ (0x8161)
            '\u{2212}' => '\u{FF0D}', // − → － (0x817C)
            '\u{00A2}' => '\u{FFE0}', // ¢ → ￠ (0x8191)
            '\u{00A3}' => '\u{FFE1}', // £ → ￡ (0x8192)
            '\u{00AC}' => '\u{FFE2}', // ¬ → ￢ (0x81CA)
            other => other,
        })
        .collect()
}

/// The delimiter the header line uses most: comma, tab (Excel's "Unicode text") or semicolon.
pub fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .filter(|d| header.bytes().any(|b| b == *d))
        .unwrap_or(b',')
}

/// The records of the file, the header first; blank lines are skipped. The CSV reader forgives
/// a quote left open (the rest of the file becomes one field), so an odd number of quotes — which
/// well-formed CSV never has — is refused here instead.
pub fn records(text: &str, delimiter: u8) -> Result<Vec<Vec<String>>, FileError> {
    if text.matches('"').count() % 2 == 1 {
        return Err(FileError::Malformed);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| FileError::Malformed)?;
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_owned()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        out.push(fields);
        if out.len() > MAX_ROWS + 1 {
            return Err(FileError::TooManyRows);
        }
    }
    Ok(out)
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Kana,
    Romaji,
    Email,
    Kind,
    JoinedYear,
    LeftYear,
    Department,
    Organisation,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Name,
        Field::Kana,
        Field::Romaji,
        Field::Email,
        Field::Kind,
        Field::JoinedYear,
        Field::LeftYear,
        Field::Department,
        Field::Organisation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Kana => "kana",
            Field::Romaji => "romaji",
            Field::Email => "email",
            Field::Kind => "kind",
            Field::JoinedYear => "joined_year",
            Field::LeftYear => "left_year",
            Field::Department => "department",
            Field::Organisation => "organisation",
        }
    }

    pub fn parse(word: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == word)
    }

    /// Headers people write for this column, compared after [`header_key`].
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Name => &[
                "氏名",
                "名前",
                "お名前",
                "姓名",
                "氏名漢字",
                "name",
                "fullname",
            ],
            Field::Kana => &[
                "ふりがな",
                "フリガナ",
                "よみがな",
                "ヨミガナ",
                "カナ",
                "かな",
                "氏名カナ",
                "氏名かな",
                "kana",
                "reading",
                "furigana",
            ],
            Field::Romaji => &[
                "ローマ字",
                "氏名ローマ字",
                "romaji",
                "nameromaji",
                "englishname",
            ],
            Field::Email => &[
                "メール",
                "メールアドレス",
                "eメール",
                "email",
                "emailaddress",
                "mail",
                "mailaddress",
            ],
            Field::Kind => &["区分", "種別", "会員区分", "kind", "type", "membertype"],
            Field::JoinedYear => &[
                "入社年",
                "入社年度",
                "入社",
                "joined",
                "joinedyear",
                "yearjoined",
            ],
            Field::LeftYear => &["退職年", "退職年度", "退職", "left", "leftyear", "yearleft"],
            Field::Department => &["部署", "所属部署", "在籍部署", "department", "dept"],
            Field::Organisation => &[
                "現在の所属",
                "現所属",
                "勤務先",
                "現在の勤務先",
                "所属",
                "organisation",
                "organization",
                "company",
                "currentcompany",
            ],
        }
    }
}

/// A header as compared: lowercased, without spaces, underscores, hyphens, dots and brackets
/// (full- and half-width), so that "E-mail", "e_mail" and "Ｅメール" meet.
fn header_key(header: &str) -> String {
    header
        .chars()
        .map(|c| match c {
            // Full-width ASCII to half-width.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '_' | '-' | '.' | '(' | ')' | '（' | '）' | '・' | '　')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which field each column holds, guessed from the headers (`None`: ignored). A field is given
/// to its first matching column only.
pub fn guess_mapping(headers: &[String]) -> Vec<Option<Field>> {
    let mut taken = HashSet::new();
    headers
        .iter()
        .map(|h| {
            let key = header_key(h);
            let field = Field::ALL
                .into_iter()
                .find(|f| f.aliases().iter().any(|a| header_key(a) == key))?;
            taken.insert(field).then_some(field)
        })
        .collect()
}

/// One row as the import will use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub name: String,
    pub kana: String,
    pub romaji: String,
    pub email: String,
    /// `alumni` or `employee`; alumni when the column is absent or empty.
    pub kind: String,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: String,
    pub organisation: String,
}

/// A row's problem, as an i18n key under `import.row_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowError {
    MissingName,
    MissingEmail,
    BadEmail,
    DuplicateInFile,
    AlreadyMember,
    AlreadyInvited,
    BadKind,
    BadYear,
    LeftBeforeJoined,
    TooLong,
}

impl RowError {
    pub fn as_str(self) -> &'static str {
        match self {
            RowError::MissingName => "missing_name",
            RowError::MissingEmail => "missing_email",
            RowError::BadEmail => "bad_email",
            RowError::DuplicateInFile => "duplicate_in_file",
            RowError::AlreadyMember => "already_member",
            RowError::AlreadyInvited => "already_invited",
            RowError::BadKind => "bad_kind",
            RowError::BadYear => "bad_year",
            RowError::LeftBeforeJoined => "left_before_joined",
            RowError::TooLong => "too_long",
        }
    }

    /// Rows with these are left out without being failures: the person is already there.
    pub fn is_skip(self) -> bool {
        matches!(self, RowError::AlreadyMember | RowError::AlreadyInvited)
    }
}

fn kind_of(value: &str) -> Option<&'static str> {
    let key = header_key(value);
    match key.as_str() {
        "" | "卒業生" | "アルムナイ" | "ob" | "og" | "obog" | "退職者" | "alumni" | "alumnus"
        | "alumna" | "former" => Some("alumni"),
        "社員" | "現役" | "現役社員" | "従業員" | "在籍" | "employee" | "staff" | "current" => {
            Some("employee")
        }
        _ => None,
    }
}

fn year_of(value: &str) -> Result<Option<i32>, RowError> {
    let digits: String = header_key(value).trim_end_matches(['年', '度']).to_owned();
    if digits.is_empty() {
        return Ok(None);
    }
    match digits.parse::<i32>() {
        Ok(year) if (1900..=2100).contains(&year) => Ok(Some(year)),
        _ => Err(RowError::BadYear),
    }
}

/// The row's values under the mapping, and what is wrong with it on its own (duplicates and
/// existing members are found across rows: [`check_rows`]).
pub fn read_row(fields: &[String], mapping: &[Option<Field>]) -> (ImportRow, Vec<RowError>) {
    let mut values: HashMap<Field, &str> = HashMap::new();
    for (value, field) in fields.iter().zip(mapping) {
        if let Some(field) = field {
            values.insert(*field, value.as_str());
        }
    }
    let get = |f: Field| values.get(&f).copied().unwrap_or("").trim().to_owned();
    let mut errors = Vec::new();
    let name = get(Field::Name);
    if name.is_empty() {
        errors.push(RowError::MissingName);
    }
    let email = get(Field::Email);
    if email.is_empty() {
        errors.push(RowError::MissingEmail);
    } else if tsunagu_web::forms::EmailAddress::parse(&email).is_err() {
        errors.push(RowError::BadEmail);
    }
    let kind = match kind_of(&get(Field::Kind)) {
        Some(kind) => kind.to_owned(),
        None => {
            errors.push(RowError::BadKind);
            String::new()
        }
    };
    let joined_year = year_of(&get(Field::JoinedYear)).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let left_year = year_of(&get(Field::LeftYear)).unwrap_or_else(|e| {
        if !errors.contains(&e) {
            errors.push(e);
        }
        None
    });
    if let (Some(joined), Some(left)) = (joined_year, left_year) {
        if left < joined {
            errors.push(RowError::LeftBeforeJoined);
        }
    }
    let row = ImportRow {
        name,
        kana: get(Field::Kana),
        romaji: get(Field::Romaji),
        email,
        kind,
        joined_year,
        left_year,
        department: get(Field::Department),
        organisation: get(Field::Organisation),
    };
    let too_long = [
        (&row.name, 100),
        (&row.kana, 100),
        (&row.romaji, 100),
        (&row.email, 254),
        (&row.department, 100),
        (&row.organisation, 200),
    ]
    .iter()
    .any(|(v, max)| v.chars().count() > *max);
    if too_long {
        errors.push(RowError::TooLong);
    }
    (row, errors)
}

/// Every data row read and checked: its own problems, then a second row with an address
/// already seen in the file, then addresses already a member or invited (`members`, `invited`:
/// normalised addresses).
pub fn check_rows(
    data: &[Vec<String>],
    mapping: &[Option<Field>],
    members: &HashSet<String>,
    invited: &HashSet<String>,
) -> Vec<(ImportRow, Vec<RowError>)> {
    let mut seen = HashSet::new();
    data.iter()
        .map(|fields| {
            let (row, mut errors) = read_row(fields, mapping);
            let normalized = row.email.trim().to_lowercase();
            if !normalized.is_empty() && !seen.insert(normalized.clone()) {
                errors.push(RowError::DuplicateInFile);
            } else if members.contains(&normalized) {
                errors.push(RowError::AlreadyMember);
            } else if invited.contains(&normalized) {
                errors.push(RowError::AlreadyInvited);
            }
            (row, errors)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_a_bom() {
        assert_eq!(
            decode("氏名\n".as_bytes()).unwrap(),
            ("氏名\n".into(), Encoding::Utf8)
        );
        assert_eq!(
            decode(b"\xEF\xBB\xBFa,b\r\n").unwrap(),
            ("a,b\r\n".into(), Encoding::Utf8Bom)
        );
    }

    #[test]
    fn cp932_keeps_extension_kanji_nec_specials_and_the_tilde() {
        // 髙橋 and 﨑 as IBM extensions (0xFBFC, 0xFAB1) and as the NEC-selected copies of them
        // (0xEEE0, 0xED95) that other writers use, ① and ㈱ (NEC 0x8740, 0x878A), ～ (0x8160).
        let bytes = [
            0xFB, 0xFC, 0x8B, 0xB4, b',', 0xEE, 0xE0, b',', 0xFA, 0xB1, b',', 0xED, 0x95, b',',
            0x87, 0x40, b',', 0x87, 0x8A, b',', 0x81, 0x60,
        ];
        let (text, encoding) = decode(&bytes).unwrap();
        assert_eq!(encoding, Encoding::ShiftJis);
        assert_eq!(text, "髙橋,髙,﨑,﨑,①,㈱,～");
    }

    #[test]
    fn binary_and_empty_files_are_refused() {
        assert_eq!(decode(b""), Err(FileError::Empty));
        assert_eq!(
            decode(b"PK\x03\x04\x00\x00\x08\x00"),
            Err(FileError::NotText)
        );
        assert_eq!(decode(&[0xFF, 0xFE, 0x00, 0x41]), Err(FileError::NotText));
        assert_eq!(
            decode(&vec![b'a'; MAX_FILE_BYTES + 1]),
            Err(FileError::TooLarge)
        );
    }

    #[test]
    fn delimiters_and_quoted_fields() {
        assert_eq!(detect_delimiter("氏名\tメール\n"), b'\t');
        assert_eq!(detect_delimiter("a;b;c\n"), b';');
        assert_eq!(detect_delimiter("name\n"), b',');
        let rows = records("a,\"b, c\",\"d\ne\"\r\n\r\n1,2,3\n", b',').unwrap();
        assert_eq!(rows, vec![vec!["a", "b, c", "d\ne"], vec!["1", "2", "3"]]);
        assert_eq!(records("a,\"b\n1,2\n", b','), Err(FileError::Malformed));
    }

    #[test]
    fn headers_in_japanese_and_english() {
        let headers: Vec<String> = [
            "氏名",
            "フリガナ",
            "E-mail",
            "入社年",
            "退職年",
            "部署",
            "備考",
            "メール",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            guess_mapping(&headers),
            vec![
                Some(Field::Name),
                Some(Field::Kana),
                Some(Field::Email),
                Some(Field::JoinedYear),
                Some(Field::LeftYear),
                Some(Field::Department),
                None,
                None, // the email field is already taken
            ]
        );
        assert_eq!(
            guess_mapping(&["Ｅメール".to_owned()]),
            vec![Some(Field::Email)]
        );
    }

    #[test]
    fn rows_are_checked_alone_and_against_each_other() {
        let mapping = vec![
            Some(Field::Name),
            Some(Field::Email),
            Some(Field::Kind),
            Some(Field::JoinedYear),
            Some(Field::LeftYear),
        ];
        let row = |v: [&str; 5]| v.map(String::from).to_vec();
        let data = vec![
            row(["佐藤 花子", "Hanako@Example.jp", "卒業生", "2010年", "2018"]),
            row(["", "bad-address", "社長", "20x", "2001"]),
            row(["佐藤 花子", "hanako@example.jp", "", "", ""]),
            row(["田中 健", "ken@example.jp", "社員", "2020", "2019"]),
            row(["山本", "member@example.jp", "", "", ""]),
        ];
        let members: HashSet<String> = ["member@example.jp".to_owned()].into();
        let checked = check_rows(&data, &mapping, &members, &HashSet::new());
        assert_eq!(checked[0].1, vec![]);
        assert_eq!(checked[0].0.kind, "alumni");
        assert_eq!(
            (checked[0].0.joined_year, checked[0].0.left_year),
            (Some(2010), Some(2018))
        );
        assert_eq!(
            checked[1].1,
            vec![
                RowError::MissingName,
                RowError::BadEmail,
                RowError::BadKind,
                RowError::BadYear
            ]
        );
        assert_eq!(checked[2].1, vec![RowError::DuplicateInFile]);
        assert_eq!(checked[3].1, vec![RowError::LeftBeforeJoined]);
        assert_eq!(checked[3].0.kind, "employee");
        assert_eq!(checked[4].1, vec![RowError::AlreadyMember]);
    }
}
