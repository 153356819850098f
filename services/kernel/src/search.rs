//! Search text for Japanese and English: normalisation and n-gram tokens.
//!
//! Japanese has no spaces and names are often two characters (山田), too short for trigram
//! indexes. We index character unigrams and bigrams of a normalised text (a CJK "bigram analyser"),
//! which a GIN index answers with containment (`search_tokens @> query_tokens`); the candidate
//! rows are then checked with a substring match on the normalised text. Normalisation folds
//! katakana to hiragana (ヤマダ finds やまだ), full-width ASCII to ASCII, and case, so kanji, kana
//! and romaji queries all meet the same text.

use std::collections::BTreeSet;

/// Normalises text for search: NFKC-like width folding for ASCII, katakana → hiragana,
/// lowercase, runs of whitespace → one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = fold_char(c);
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        for lower in c.to_lowercase() {
            out.push(lower);
        }
        last_space = false;
    }
    out.trim_end().to_owned()
}

fn fold_char(c: char) -> char {
    match c {
        // Full-width ASCII variants (！ to ～) → ASCII.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        // Ideographic space.
        '\u{3000}' => ' ',
        // Katakana ァ..ヶ → hiragana ぁ..ゖ.
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        // Middle dots and long-vowel variants are kept as they are.
        _ => c,
    }
}

/// Unigrams and bigrams of each whitespace-separated word of the normalised text.
pub fn tokens(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    let mut set = BTreeSet::new();
    for word in normalized.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for c in &chars {
            set.insert(c.to_string());
        }
        for pair in chars.windows(2) {
            set.insert(pair.iter().collect::<String>());
        }
    }
    set.into_iter().collect()
}

/// Tokens a query must contain: bigrams of each word (unigrams for one-character words), so
/// every row that contains the query as a substring is among the candidates.
pub fn query_tokens(query: &str) -> Vec<String> {
    let normalized = normalize(query);
    let mut set = BTreeSet::new();
    for word in normalized.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() == 1 {
            set.insert(chars[0].to_string());
        }
        for pair in chars.windows(2) {
            set.insert(pair.iter().collect::<String>());
        }
    }
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_width_kana_and_case() {
        assert_eq!(normalize("ヤマダ　タロウ"), "やまだ たろう");
        assert_eq!(normalize("ＡＢＣ Corp"), "abc corp");
        assert_eq!(normalize("  Taro   YAMADA "), "taro yamada");
        assert_eq!(normalize("山田 太郎"), "山田 太郎");
    }

    #[test]
    fn every_substring_query_is_covered_by_the_tokens() {
        let row: BTreeSet<String> =
            tokens("山田 太郎 やまだ たろう Taro Yamada 株式会社ミライラボ")
                .into_iter()
                .collect();
        for query in [
            "山田",
            "田",
            "ヤマダ",
            "たろう",
            "yama",
            "Yamada",
            "ミライ",
            "ラボ",
            "taro yamada",
        ] {
            let needed = query_tokens(query);
            assert!(!needed.is_empty(), "{query}");
            assert!(
                needed.iter().all(|t| row.contains(t)),
                "{query}: {needed:?}"
            );
        }
        let needed = query_tokens("佐藤");
        assert!(!needed.iter().all(|t| row.contains(t)));
    }
}
