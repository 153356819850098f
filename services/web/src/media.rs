//! Images members upload (profile photos, article covers, post and message images) and the
//! network's logo the secretariat uploads.
//!
//! An upload is checked before it is trusted: at most [`MAX_UPLOAD_BYTES`], a JPEG, PNG or WebP by
//! its content (not its name), at most [`MAX_PIXELS`] on each side, read from the header before
//! anything is decoded (no decompression bombs), then decoded,
//! resized and re-encoded as JPEG (a logo as PNG, to keep its transparency) in a blocking thread,
//! which also drops any metadata (EXIF, GPS). Files are stored under
//! `<data dir>/tenants/<tenant id>/<kind>/<key>.jpg` (`.png`) with a random key, and served only
//! through routes that check the viewer is a member of that tenant — except the logo, which the
//! network's public pages (sign-in, join) show too.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{ImageFormat, ImageReader, Limits};
use tsunagu_kernel::TenantId;

pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// The most pixels an uploaded image may have on either side.
pub const MAX_PIXELS: u32 = 8000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// Square, 400×400.
    Photo,
    /// At most 1600 wide, 900 high.
    Cover,
    /// A timeline post's image: at most 1200×1200.
    PostImage,
    /// An image in a private message: at most 1200×1200, served only to the conversation.
    MessageImage,
    /// The network's logo in the header: at most 600×160, kept as PNG with its transparency.
    Logo,
}

impl MediaKind {
    fn dir(self) -> &'static str {
        match self {
            MediaKind::Photo => "photos",
            MediaKind::Cover => "covers",
            MediaKind::PostImage => "posts",
            MediaKind::MessageImage => "messages",
            MediaKind::Logo => "logos",
        }
    }

    /// The stored file's extension (and so its type).
    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Logo => "png",
            _ => "jpg",
        }
    }

    /// The stored file's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Logo => "image/png",
            _ => "image/jpeg",
        }
    }
}

/// Why an upload was refused; each maps to a message for the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadError {
    Empty,
    /// More bytes than [`MAX_UPLOAD_BYTES`].
    TooLarge,
    /// Wider or taller than [`MAX_PIXELS`].
    TooManyPixels,
    NotAnImage,
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message_key())
    }
}

impl std::error::Error for UploadError {}

impl UploadError {
    pub fn message_key(&self) -> &'static str {
        match self {
            UploadError::Empty => "errors.field.file_required",
            UploadError::TooLarge => "errors.field.file_too_large",
            UploadError::TooManyPixels => "errors.field.file_too_many_pixels",
            UploadError::NotAnImage => "errors.field.file_type",
        }
    }
}

fn process(bytes: &[u8], kind: MediaKind) -> Result<Vec<u8>, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| UploadError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(UploadError::NotAnImage);
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| UploadError::NotAnImage)?;
    if width > MAX_PIXELS || height > MAX_PIXELS {
        return Err(UploadError::TooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS);
    limits.max_image_height = Some(MAX_PIXELS);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|_| UploadError::NotAnImage)?;
    let resized = match kind {
        MediaKind::Photo => decoded.resize_to_fill(400, 400, image::imageops::FilterType::Lanczos3),
        MediaKind::Cover => decoded.resize(1600, 900, image::imageops::FilterType::Lanczos3),
        MediaKind::PostImage | MediaKind::MessageImage => {
            decoded.resize(1200, 1200, image::imageops::FilterType::Lanczos3)
        }
        // A small logo stays as drawn; a large one shrinks to fit the header.
        MediaKind::Logo if decoded.width() <= 600 && decoded.height() <= 160 => decoded,
        MediaKind::Logo => decoded.resize(600, 160, image::imageops::FilterType::Lanczos3),
    };
    let mut out = Vec::new();
    if kind == MediaKind::Logo {
        resized
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| UploadError::NotAnImage)?;
        return Ok(out);
    }
    let rgb = resized.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|_| UploadError::NotAnImage)?;
    Ok(out)
}

#[derive(Clone, Debug)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file of `key`; keys are our own UUIDs, checked here so no path can be smuggled in.
    fn path(&self, tenant: TenantId, kind: MediaKind, key: &str) -> Option<PathBuf> {
        let key = uuid::Uuid::parse_str(key).ok()?;
        Some(
            self.root
                .join("tenants")
                .join(tenant.to_string())
                .join(kind.dir())
                .join(format!("{key}.{}", kind.extension())),
        )
    }

    /// Validates, resizes and stores an image; returns its key.
    pub async fn save(
        &self,
        tenant: TenantId,
        kind: MediaKind,
        bytes: Vec<u8>,
    ) -> Result<Result<String, UploadError>, std::io::Error> {
        let processed = tokio::task::spawn_blocking(move || process(&bytes, kind))
            .await
            .map_err(std::io::Error::other)?;
        let jpeg = match processed {
            Ok(jpeg) => jpeg,
            Err(e) => return Ok(Err(e)),
        };
        let key = uuid::Uuid::now_v7().to_string();
        let path = self
            .path(tenant, kind, &key)
            .expect("a fresh uuid is a valid key");
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension("tmp");
        tokio::fs::write(&tmp, &jpeg).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(Ok(key))
    }

    pub async fn read(&self, tenant: TenantId, kind: MediaKind, key: &str) -> Option<Vec<u8>> {
        let path = self.path(tenant, kind, key)?;
        tokio::fs::read(path).await.ok()
    }

    pub async fn delete(&self, tenant: TenantId, kind: MediaKind, key: &str) {
        if let Some(path) = self.path(tenant, kind, key) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn images_are_checked_resized_and_reencoded() {
        let photo = process(&png(1200, 800), MediaKind::Photo).unwrap();
        assert_eq!(image::guess_format(&photo).unwrap(), ImageFormat::Jpeg);
        let decoded = image::load_from_memory(&photo).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (400, 400));
        let cover =
            image::load_from_memory(&process(&png(3200, 900), MediaKind::Cover).unwrap()).unwrap();
        assert_eq!(cover.width(), 1600);

        assert_eq!(process(b"", MediaKind::Photo), Err(UploadError::Empty));
        assert_eq!(
            process(b"GIF89a not allowed", MediaKind::Photo),
            Err(UploadError::NotAnImage)
        );
        assert_eq!(
            process(b"<svg onload=alert(1)>", MediaKind::Photo),
            Err(UploadError::NotAnImage)
        );
        assert_eq!(
            process(&vec![0u8; MAX_UPLOAD_BYTES + 1], MediaKind::Photo),
            Err(UploadError::TooLarge)
        );
        assert_eq!(
            process(&png(MAX_PIXELS + 1, 10), MediaKind::Photo),
            Err(UploadError::TooManyPixels)
        );
        assert_eq!(
            process(&png(10, MAX_PIXELS + 1), MediaKind::Cover),
            Err(UploadError::TooManyPixels)
        );
        let mut truncated = png(100, 100);
        truncated.truncate(60);
        assert_eq!(
            process(&truncated, MediaKind::Photo),
            Err(UploadError::NotAnImage)
        );
    }

    #[test]
    fn keys_cannot_escape_the_tenant_directory() {
        let store = MediaStore::new("/data");
        let tenant = TenantId::new();
        assert!(store
            .path(tenant, MediaKind::Photo, "../../etc/passwd")
            .is_none());
        let key = uuid::Uuid::now_v7().to_string();
        let path = store.path(tenant, MediaKind::Photo, &key).unwrap();
        assert!(path.starts_with(format!("/data/tenants/{tenant}/photos")));
    }
}
