//! Secret tokens for links in emails and for session ids: 256 random bits, shown once, stored
//! only as a SHA-256 digest so that a copy of the database yields no usable link.

use sha2::{Digest, Sha256};

/// 32 random bytes as 64 lowercase hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

/// What is stored and looked up instead of the token itself.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Hex digest, for Redis keys.
pub fn token_hash_hex(token: &str) -> String {
    hex::encode(token_hash(token))
}

/// Tokens from URLs and cookies must look like ours before we touch any store with them.
pub fn looks_like_token(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_hex_and_hash_deterministically() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert!(looks_like_token(&a));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&a.to_uppercase()));
    }
}
