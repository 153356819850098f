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

/// The most tokens a query is narrowed by. The substring recheck decides what matches; tokens
/// only find candidates, so a few spread over the query narrow as well as all of them would,
/// and a query of 200 characters costs what one of 10 does (one statement shape for any length:
/// before this cap each token added a subquery, and planning a 200-character query took 34 s).
pub const MAX_QUERY_TOKENS: usize = 8;

/// The longest query (in characters, after normalisation) a search runs; the search box allows
/// as much, and a longer one is cut here rather than costing more.
pub const MAX_QUERY_CHARS: usize = 200;

/// The normalised query text, cut to [`MAX_QUERY_CHARS`].
pub fn normalize_query(query: &str) -> String {
    let normalized = normalize(query);
    match normalized.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => normalized[..cut].trim_end().to_owned(),
        None => normalized,
    }
}

/// Tokens a query's candidates must contain: bigrams of each word (unigrams for one-character
/// words), in the order they appear, at most [`MAX_QUERY_TOKENS`] of them spread over the query.
/// Every row that contains the query as a substring contains them all.
pub fn query_tokens(query: &str) -> Vec<String> {
    let normalized = normalize_query(query);
    let mut seen = BTreeSet::new();
    let mut ordered = Vec::new();
    let mut keep = |token: String| {
        if seen.insert(token.clone()) {
            ordered.push(token);
        }
    };
    for word in normalized.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() == 1 {
            keep(chars[0].to_string());
        }
        for pair in chars.windows(2) {
            keep(pair.iter().collect::<String>());
        }
    }
    if ordered.len() <= MAX_QUERY_TOKENS {
        return ordered;
    }
    let last = ordered.len() - 1;
    (0..MAX_QUERY_TOKENS)
        .map(|i| ordered[i * last / (MAX_QUERY_TOKENS - 1)].clone())
        .collect()
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

    #[test]
    fn long_queries_use_a_bounded_number_of_tokens() {
        let long: String = (0..300)
            .map(|i| char::from_u32(0x4E00 + i * 7).unwrap())
            .collect();
        let tokens = query_tokens(&long);
        assert_eq!(tokens.len(), MAX_QUERY_TOKENS);
        let unique: BTreeSet<&String> = tokens.iter().collect();
        assert_eq!(unique.len(), MAX_QUERY_TOKENS, "{tokens:?}");
        // Spread over the query: its first and last bigrams are among them.
        let chars: Vec<char> = normalize_query(&long).chars().collect();
        assert_eq!(chars.len(), MAX_QUERY_CHARS);
        assert_eq!(tokens[0], chars[..2].iter().collect::<String>());
        assert_eq!(
            tokens[MAX_QUERY_TOKENS - 1],
            chars[MAX_QUERY_CHARS - 2..].iter().collect::<String>()
        );
        // Every row containing the (cut) query still contains every token.
        let row: BTreeSet<String> = tokens_of_text(&long);
        assert!(tokens.iter().all(|t| row.contains(t)));
        // Short queries keep all their tokens, in order.
        assert_eq!(query_tokens("山田 花"), vec!["山田", "花"]);
    }

    fn tokens_of_text(text: &str) -> BTreeSet<String> {
        tokens(text).into_iter().collect()
    }
}
