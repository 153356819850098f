//! CSV for spreadsheets, Excel above all: UTF-8 with a byte-order mark (so that Japanese reads
//! correctly), CRLF line ends, RFC 4180 quoting, and a cell that a spreadsheet would run as a
//! formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with an
//! apostrophe, so that a member's text cannot become a formula on the secretariat's machine
//! (CSV injection). Every export goes through here.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document being written.
pub struct Csv {
    out: String,
}

impl Default for Csv {
    fn default() -> Self {
        Self::new()
    }
}

impl Csv {
    /// An empty document: the byte-order mark only.
    pub fn new() -> Self {
        Self {
            out: String::from("\u{feff}"),
        }
    }

    /// Appends one record.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_cell(&mut self.out, field.as_ref());
        }
        self.out.push_str("\r\n");
    }

    pub fn into_string(self) -> String {
        self.out
    }

    /// The document as a download named `filename` (ASCII), never cached.
    pub fn into_download(self, filename: &str) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            self.out,
        )
            .into_response()
    }
}

fn push_cell(out: &mut String, value: &str) {
    let defused = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = value.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if defused {
        out.push('\'');
    }
    if quoted {
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        let mut csv = Csv::new();
        csv.row(fields);
        csv.into_string().trim_start_matches('\u{feff}').to_owned()
    }

    #[test]
    fn cells_are_quoted_when_they_must_be() {
        assert_eq!(
            line(&["佐藤, 花子", "plain", "a \"b\""]),
            "\"佐藤, 花子\",plain,\"a \"\"b\"\"\"\r\n"
        );
        assert_eq!(line(&["two\nlines", ""]), "\"two\nlines\",\r\n");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(
            line(&["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "ok=1"]),
            "\"'=HYPERLINK(\"\"x\"\")\",'+1,'-2,'@SUM(A1),'\tx,ok=1\r\n"
        );
    }

    #[test]
    fn a_document_starts_with_a_byte_order_mark() {
        let mut csv = Csv::new();
        csv.row(&["a"]);
        assert_eq!(csv.into_string(), "\u{feff}a\r\n");
    }
}
