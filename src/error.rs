//! One error type for the whole service and its one JSON shape:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::lifecycle::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// malformed request: bad JSON, wrong types, bad path or query values (400)
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// missing, malformed or expired token; wrong credentials (401)
    #[error("{0}")]
    Unauthorized(String),
    /// wrong role or department (403)
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// the appeal is not in a state that allows this (409)
    #[error("{0}")]
    Conflict(String),
    /// a link that worked once and has expired (410)
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// well-formed but unacceptable: a failed validation, an unknown reference (422)
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// too many requests from this client, or too many wrong passwords (429, with Retry-After)
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    /// the database is unreachable or the pool exhausted (503)
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a client is told of an error that is ours (the cause goes to the log).
pub const INTERNAL_MESSAGE: &str =
    "something went wrong on our side; the request was not applied. Please try again later";

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Unprocessable {
            code: "validation_failed",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code: "bad_request",
            message: message.into(),
            field: None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::Unprocessable { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "link_expired",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            AppError::BadRequest { field, .. } | AppError::Unprocessable { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// machine-readable: bad_request, invalid_json, unauthorized, forbidden, not_found,
    /// conflict, link_expired, invalid_link, payload_too_large, validation_failed, idempotency_key_reused, too_many_requests, unavailable, internal
    pub code: String,
    /// a sentence a person can act on
    pub message: String,
    /// the request field at fault, when there is one
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            AppError::Unexpected(e) => {
                // The cause goes to the log, not to the client.
                tracing::error!(error = ?e, "unexpected error");
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response.insert_header(("Retry-After", retry_after_secs.max(&1).to_string()));
        }
        if matches!(self, AppError::Unavailable(_)) {
            // the pool reconnects by itself; a few seconds is what a database restart takes
            response.insert_header(("Retry-After", "2"));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field: self.field().map(str::to_owned),
            },
        })
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Forbidden(m) => AppError::Forbidden(m),
            Refusal::Conflict(m) => AppError::Conflict(m),
        }
    }
}

/// Whether an error says the connection to the database is gone (it restarted, shut down or
/// dropped us): the transaction did not happen, and the request may be retried.
fn lost_connection(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            // SQLSTATE 57P01 (admin shutdown), 57P02/57P03 (crash, cannot connect now), and
            // libpq's own words for a dropped connection
            m.contains("terminating connection")
                || m.contains("the database system is")
                || m.contains("server closed the connection")
                || m.contains("no connection to the server")
                || m.contains("connection to server")
        }
        _ => false,
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if lost_connection(&e) {
            tracing::warn!(error = %e, "database connection lost");
            return AppError::Unavailable(
                "the database is not reachable right now; please try again shortly".into(),
            );
        }
        match e {
            diesel::result::Error::NotFound => AppError::NotFound("not found".into()),
            // two transactions waited on each other's rows; PostgreSQL rolled one back whole
            diesel::result::Error::DatabaseError(_, ref info)
                if info.message().contains("deadlock detected") =>
            {
                AppError::Conflict(
                    "another change to the same appeals ran at the same moment, and nothing was changed; try again"
                        .into(),
                )
            }
            other => AppError::Unexpected(anyhow::Error::new(other).context("database error")),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(e: r2d2_error::PoolError) -> Self {
        AppError::no_connection(e)
    }
}

impl AppError {
    /// 503: no database connection could be had in time (the database is down or every
    /// connection stayed busy).
    pub fn no_connection(why: impl std::fmt::Display) -> AppError {
        tracing::warn!(error = %why, "no database connection");
        AppError::Unavailable(
            "the database is not reachable right now; please try again shortly".into(),
        )
    }
}

/// The pool's error type, named once.
pub mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(e: AppError) -> (StatusCode, serde_json::Value) {
        let resp = e.error_response();
        let status = resp.status();
        let bytes = resp.into_body().try_into_bytes().expect("sized body");
        (status, serde_json::from_slice(&bytes).expect("json body"))
    }

    #[test]
    fn every_variant_has_its_status_and_the_one_shape() {
        let cases = [
            (AppError::bad_request("x"), 400, "bad_request"),
            (AppError::Unauthorized("x".into()), 401, "unauthorized"),
            (AppError::Forbidden("x".into()), 403, "forbidden"),
            (AppError::NotFound("x".into()), 404, "not_found"),
            (AppError::Conflict("x".into()), 409, "conflict"),
            (
                AppError::PayloadTooLarge("x".into()),
                413,
                "payload_too_large",
            ),
            (AppError::invalid("title", "x"), 422, "validation_failed"),
            (AppError::Unavailable("x".into()), 503, "unavailable"),
            (
                AppError::Unexpected(anyhow::anyhow!("secret detail")),
                500,
                "internal",
            ),
        ];
        for (error, status, code) in cases {
            let (s, body) = body_of(error);
            assert_eq!(s.as_u16(), status);
            assert_eq!(body["error"]["code"], code);
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }

    #[test]
    fn field_is_present_only_when_known_and_internals_stay_hidden() {
        let (_, body) = body_of(AppError::invalid("title", "too long"));
        assert_eq!(body["error"]["field"], "title");
        let (_, body) = body_of(AppError::Conflict("x".into()));
        assert!(body["error"].get("field").is_none());
        let (_, body) = body_of(AppError::Unexpected(anyhow::anyhow!("secret detail")));
        assert!(!body.to_string().contains("secret detail"));
    }
}
