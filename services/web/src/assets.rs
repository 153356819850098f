//! Static assets embedded in the binary and served with long-lived caching.
//!
//! Templates link to `asset_url("app.css")`, which appends a content hash (`?v=…`). A request
//! carrying the current hash gets `Cache-Control: immutable` for a year; any other request gets
//! `no-cache` plus an ETag, so a stale link still revalidates instead of serving old bytes forever.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// First 16 hex digits of the SHA-256 of the bytes.
    pub hash: String,
}

macro_rules! asset {
    ($path:literal, $type:literal) => {
        (
            $path,
            include_bytes!(concat!("../static/", $path)).as_slice(),
            $type,
        )
    };
}

/// Every file under `static/`; a unit test fails when a file there is missing from this list.
const FILES: &[(&str, &[u8], &str)] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("messages.js", "text/javascript; charset=utf-8"),
    asset!("vendor/htmx.min.js", "text/javascript; charset=utf-8"),
];

pub struct Assets {
    files: HashMap<&'static str, Asset>,
}

pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

impl Assets {
    pub fn embedded() -> Self {
        let files = FILES
            .iter()
            .map(|(path, bytes, content_type)| {
                (
                    *path,
                    Asset {
                        bytes,
                        content_type,
                        hash: content_hash(bytes),
                    },
                )
            })
            .collect();
        Self { files }
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    /// `/static/<path>?v=<hash>`; an unknown path is a programming error surfaced by tests.
    pub fn url(&self, path: &str) -> Option<String> {
        self.files
            .get(path)
            .map(|asset| format!("/static/{path}?v={}", asset.hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_static_file_is_embedded() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
        let mut on_disk = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    on_disk.push(
                        path.strip_prefix(root)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/"),
                    );
                }
            }
        }
        let assets = Assets::embedded();
        for file in on_disk {
            assert!(
                assets.get(&file).is_some(),
                "static/{file} is not listed in assets.rs FILES"
            );
        }
    }

    #[test]
    fn urls_carry_the_content_hash() {
        let assets = Assets::embedded();
        let url = assets.url("app.css").unwrap();
        assert!(url.starts_with("/static/app.css?v="));
        assert_eq!(url.len(), "/static/app.css?v=".len() + 16);
        assert!(assets.url("nope.css").is_none());
    }
}
