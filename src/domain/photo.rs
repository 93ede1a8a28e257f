//! Photos attached to an appeal at filing (issue 7): what is accepted, decided by the bytes
//! themselves, never by the file name or the Content-Type the client claims.
//!
//! A photo is accepted when its first bytes are the signature of a JPEG, a PNG or a WebP image
//! and it is not larger than the configured limit. Anything else — a text file named `.jpg`, an
//! SVG (which can carry script), a PDF — is refused. The bytes are stored as sent and served back
//! only with the type found here.

use sha2::{Digest, Sha256};

/// The image types a photo may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoType {
    Jpeg,
    Png,
    WebP,
}

impl PhotoType {
    /// The type of `bytes` by their signature, or `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<PhotoType> {
        // JPEG: SOI marker followed by the start of another marker
        if bytes.len() >= 4 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
            return Some(PhotoType::Jpeg);
        }
        // PNG: the 8-byte signature, then the IHDR chunk that must come first
        if bytes.len() >= 16 && bytes[..8] == *b"\x89PNG\r\n\x1a\n" && bytes[12..16] == *b"IHDR" {
            return Some(PhotoType::Png);
        }
        // WebP: a RIFF container of form type WEBP with a VP8 / VP8L / VP8X chunk
        if bytes.len() >= 16
            && bytes[..4] == *b"RIFF"
            && bytes[8..12] == *b"WEBP"
            && bytes[12..15] == *b"VP8"
        {
            return Some(PhotoType::WebP);
        }
        None
    }

    /// The media type stored and served.
    pub fn mime(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "image/jpeg",
            PhotoType::Png => "image/png",
            PhotoType::WebP => "image/webp",
        }
    }

    /// The file extension used in the served file name.
    pub fn extension(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "jpg",
            PhotoType::Png => "png",
            PhotoType::WebP => "webp",
        }
    }

    /// The type of a stored media type (the database holds only these three).
    pub fn from_mime(mime: &str) -> Option<PhotoType> {
        [PhotoType::Jpeg, PhotoType::Png, PhotoType::WebP]
            .into_iter()
            .find(|t| t.mime() == mime)
    }
}

/// How many photos of what size a filing may carry (`[photos]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct PhotoLimits {
    /// photos per appeal; 0 turns photo upload off
    pub max_count: usize,
    /// bytes per photo
    pub max_bytes: usize,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_count: 3,
            max_bytes: 5 * 1024 * 1024,
        }
    }
}

impl PhotoLimits {
    pub fn check(&self) -> Result<(), String> {
        if self.max_count > 10 {
            return Err("photos.max_count must be 0 to 10".into());
        }
        if !(1024..=20 * 1024 * 1024).contains(&self.max_bytes) {
            return Err("photos.max_bytes must be 1 KiB to 20 MiB".into());
        }
        Ok(())
    }

    /// The most photo bytes one request may carry; the rest of a request is bounded by the
    /// server's body limit.
    pub fn total_bytes(&self) -> usize {
        self.max_count * self.max_bytes
    }
}

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoProblem {
    /// larger than `max_bytes`
    TooLarge { max_bytes: usize },
    /// not a JPEG, PNG or WebP image
    NotAnImage,
    /// more photos than `max_count`
    TooMany { max_count: usize },
}

impl PhotoProblem {
    /// A stable name for the problem (the pages' words are keyed by it).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoProblem::TooLarge { .. } => "photo_too_large",
            PhotoProblem::NotAnImage => "photo_not_image",
            PhotoProblem::TooMany { .. } => "photo_too_many",
        }
    }
}

impl std::fmt::Display for PhotoProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhotoProblem::TooLarge { max_bytes } => {
                write!(f, "a photo is larger than {} MB", megabytes(*max_bytes))
            }
            PhotoProblem::NotAnImage => write!(f, "a photo must be a JPEG, PNG or WebP image"),
            PhotoProblem::TooMany { max_count } => write!(f, "at most {max_count} photos"),
        }
    }
}

/// Bytes in megabytes as people read them (one decimal when not whole).
pub fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if (mb - mb.round()).abs() < 0.05 {
        format!("{}", mb.round() as u64)
    } else {
        format!("{mb:.1}")
    }
}

/// A photo that passed the checks: its type found from its bytes, its digest.
#[derive(Debug, Clone)]
pub struct Photo {
    pub kind: PhotoType,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl Photo {
    /// Accepts `bytes` as a photo under `limits`, or says why not.
    pub fn parse(bytes: Vec<u8>, limits: &PhotoLimits) -> Result<Photo, PhotoProblem> {
        if bytes.len() > limits.max_bytes {
            return Err(PhotoProblem::TooLarge {
                max_bytes: limits.max_bytes,
            });
        }
        let kind = PhotoType::sniff(&bytes).ok_or(PhotoProblem::NotAnImage)?;
        Ok(Photo {
            kind,
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0";

    fn limits() -> PhotoLimits {
        PhotoLimits {
            max_count: 3,
            max_bytes: 1024,
        }
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(PhotoType::sniff(PNG), Some(PhotoType::Png));
        assert_eq!(PhotoType::sniff(JPEG), Some(PhotoType::Jpeg));
        assert_eq!(PhotoType::sniff(WEBP), Some(PhotoType::WebP));
        for not_an_image in [
            &b"just some text named photo.jpg"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"%PDF-1.7\n",
            b"GIF89a\x01\0\x01\0",
            b"\x89PNG\r\n\x1a\n",      // a signature and nothing after it
            b"RIFF\x24\0\0\0WAVEfmt ", // a RIFF that is sound
            b"\xFF\xD8",
            b"",
        ] {
            assert_eq!(PhotoType::sniff(not_an_image), None, "{not_an_image:?}");
        }
    }

    #[test]
    fn media_types_and_extensions_round_trip() {
        for t in [PhotoType::Jpeg, PhotoType::Png, PhotoType::WebP] {
            assert_eq!(PhotoType::from_mime(t.mime()), Some(t));
            assert!(!t.extension().is_empty());
        }
        assert_eq!(PhotoType::from_mime("text/html"), None);
    }

    #[test]
    fn a_photo_is_refused_when_too_large_or_not_an_image() {
        let photo = Photo::parse(PNG.to_vec(), &limits()).expect("a PNG");
        assert_eq!(photo.kind, PhotoType::Png);
        assert_eq!(photo.sha256.len(), 64);

        let mut big = PNG.to_vec();
        big.resize(1025, 0);
        assert_eq!(
            Photo::parse(big, &limits()).map(|p| p.kind),
            Err(PhotoProblem::TooLarge { max_bytes: 1024 })
        );
        assert_eq!(
            Photo::parse(b"hello".to_vec(), &limits()).map(|p| p.kind),
            Err(PhotoProblem::NotAnImage)
        );
    }

    #[test]
    fn limits_are_checked_and_sizes_read_in_megabytes() {
        assert!(PhotoLimits::default().check().is_ok());
        assert_eq!(PhotoLimits::default().total_bytes(), 15 * 1024 * 1024);
        assert!(
            PhotoLimits {
                max_count: 11,
                ..PhotoLimits::default()
            }
            .check()
            .is_err()
        );
        assert!(
            PhotoLimits {
                max_bytes: 10,
                ..PhotoLimits::default()
            }
            .check()
            .is_err()
        );
        assert_eq!(megabytes(5 * 1024 * 1024), "5");
        assert_eq!(megabytes(1536 * 1024), "1.5");
        assert_eq!(
            PhotoProblem::TooMany { max_count: 3 }.to_string(),
            "at most 3 photos"
        );
    }
}
