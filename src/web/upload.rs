//! Reading the filing form: `application/x-www-form-urlencoded` as before, or
//! `multipart/form-data` with up to `photos.max_count` photos.
//!
//! Nothing unbounded is buffered. A request that says it is larger than the photos and the
//! form's text may be is refused with 413 before a byte is read, and one that grows past that
//! while streaming is cut off the same way. Within the bound, a photo too large, of the wrong
//! type or one too many is set aside unread (its bytes drained, not kept), so that the form can
//! be shown again with every other field as it was typed. The client's file names and claimed
//! content types are ignored: the field name says "photo", the bytes say which kind.

use std::collections::HashMap;

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;

use super::PageError;
use crate::domain::photo::{Photo, PhotoLimits, PhotoProblem};

/// The name of the form's file input.
pub const PHOTO_FIELD: &str = "photos";

/// What the filing form sent.
#[derive(Debug, Default)]
pub struct Filing {
    pub form: HashMap<String, String>,
    /// the photos that passed, in the order sent
    pub photos: Vec<Photo>,
    /// the first photo refused, and why (the others are still counted)
    pub photo_problem: Option<PhotoProblem>,
    /// whether any photo was chosen at all (the form, shown again, must say to choose again)
    pub photos_sent: bool,
}

fn too_large(limits: &PhotoLimits) -> PageError {
    PageError::Refused {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!(
            "the form is too large: at most {} photos of {} MB each",
            limits.max_count,
            crate::domain::photo::megabytes(limits.max_bytes)
        ),
    }
}

fn malformed(what: impl std::fmt::Display) -> PageError {
    PageError::Refused {
        status: StatusCode::BAD_REQUEST,
        message: format!("the form could not be read: {what}"),
    }
}

fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Reads the form, in either encoding, within the limits.
pub async fn read_filing(
    req: &HttpRequest,
    payload: web::Payload,
    limits: &PhotoLimits,
    text_limit: usize,
) -> Result<Filing, PageError> {
    if !is_multipart(req) {
        let form =
            web::Form::<HashMap<String, String>>::from_request(req, &mut payload.into_inner())
                .await
                .map_err(|e| PageError::Refused {
                    status: e.as_response_error().status_code(),
                    message: e.to_string(),
                })?;
        return Ok(Filing {
            form: form.into_inner(),
            ..Filing::default()
        });
    }
    let bound = limits.total_bytes() + text_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > bound as u64) {
        return Err(too_large(limits));
    }
    // the bound holds for a request without a length (chunked) or that lies about it, too
    let mut seen = 0usize;
    let counted = payload.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > bound {
            Err(PayloadError::Overflow)
        } else {
            Ok(chunk)
        }
    });
    let mut multipart = Multipart::new(req.headers(), counted);
    let mut filing = Filing::default();
    let mut text_bytes = 0usize;
    let mut photos_seen = 0usize;
    let stream_error = |e: MultipartError| match e {
        MultipartError::Payload(PayloadError::Overflow) => too_large(limits),
        other => malformed(other),
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(stream_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == PHOTO_FIELD {
            // past the count or the size, a photo's bytes are drained, not kept
            let wanted = photos_seen < limits.max_count;
            let mut bytes = Vec::new();
            let mut received = 0usize;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(stream_error)?;
                received += chunk.len();
                if wanted && received <= limits.max_bytes {
                    bytes.extend_from_slice(&chunk);
                } else {
                    bytes = Vec::new();
                }
            }
            if received == 0 {
                // a file input left empty still sends an empty part
                continue;
            }
            filing.photos_sent = true;
            photos_seen += 1;
            let accepted = if !wanted {
                Err(PhotoProblem::TooMany {
                    max_count: limits.max_count,
                })
            } else if received > limits.max_bytes {
                Err(PhotoProblem::TooLarge {
                    max_bytes: limits.max_bytes,
                })
            } else {
                Photo::parse(bytes, limits)
            };
            match accepted {
                Ok(photo) => filing.photos.push(photo),
                Err(problem) => {
                    if filing.photo_problem.is_none()
                        || matches!(problem, PhotoProblem::TooMany { .. })
                    {
                        filing.photo_problem = Some(problem);
                    }
                }
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(stream_error)?;
            text_bytes += chunk.len();
            if text_bytes > text_limit {
                return Err(too_large(limits));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| malformed(format_args!("the field `{name}` is not UTF-8 text")))?;
        filing.form.insert(name, value);
    }
    if filing.photo_problem.is_some() {
        // a refused filing keeps none of its photos in memory longer than needed
        filing.photos.clear();
    }
    Ok(filing)
}
