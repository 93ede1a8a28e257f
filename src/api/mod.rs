//! The JSON API under `/api/v1`: thin handlers that parse, authorise, call a workflow and map
//! the result.

pub mod actions;
pub mod api_keys;
pub mod appeals;
pub mod auth;
pub mod calendar;
pub mod duplicates;
pub mod extensions;
pub mod follow_up;
pub mod health;
pub mod json;
pub mod lists;
pub mod openapi;
pub mod reference;
pub mod repeats;
pub mod reports;
pub mod routing;
pub mod staffing;
pub mod views;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::AppError;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(auth::login)
            .service(appeals::file_appeal)
            .service(appeals::get_appeal)
            .service(appeals::get_photo)
            .service(actions::act)
            .service(lists::events)
            .service(lists::queue)
            .service(lists::pool)
            .service(duplicates::list)
            .service(repeats::by_department)
            .service(repeats::list)
            .service(reference::categories)
            .service(reference::divisions)
            .service(reference::departments)
            // reorder before {id}/{switch}
            .service(routing::reorder)
            .service(routing::list)
            .service(routing::create)
            .service(routing::history)
            .service(routing::update)
            .service(routing::switch)
            .service(routing::explain)
            .service(routing::test_draft)
            .service(staffing::auto_assign)
            .service(staffing::absence)
            .service(calendar::changes)
            .service(calendar::get_calendar)
            .service(calendar::put_calendar)
            .service(calendar::put_day)
            .service(calendar::delete_day)
            .service(extensions::list)
            .service(follow_up::form)
            .service(follow_up::answer)
            .service(follow_up::awaiting)
            .service(reports::summary)
            .service(reports::ranking)
            .service(reports::hotspots)
            .service(api_keys::list)
            .service(api_keys::issue)
            .service(api_keys::revoke),
    )
    .service(health::healthz)
    .service(health::readyz);
}

/// Query-string errors as the one JSON shape.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        AppError::BadRequest {
            code: "invalid_query",
            message: format!("bad query parameter: {err}"),
            field: None,
        }
        .into()
    })
}

/// Path errors as the one JSON shape.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        AppError::BadRequest {
            code: "invalid_path",
            message: format!("bad path: {err}"),
            field: None,
        }
        .into()
    })
}

/// Answers anything actix itself refused (no such route, wrong method, …) in the JSON shape.
pub fn error_shape<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_json = res
            .response()
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/json")
                    || v.starts_with("text/html")
                    || v.starts_with("text/xml")
            });
        // JSON errors are already in the shape; HTML errors are the pages' own, XML ones
        // Open311's (the spec's error array)
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let mut status = res.status();
        // a documented path asked with a method it does not take: 405 naming the ones it does
        let allowed = (status == actix_web::http::StatusCode::NOT_FOUND)
            .then(|| openapi::methods_of(res.request().path()))
            .flatten()
            // a method the path takes, refused by a segment's own pattern, stays a 404
            .filter(|m| !m.contains(&res.request().method().as_str()));
        if allowed.is_some() {
            status = actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
        }
        let error = match status.as_u16() {
            404 => AppError::NotFound(format!(
                "no such endpoint: {} {}",
                res.request().method(),
                res.request().path()
            )),
            405 => AppError::BadRequest {
                code: "method_not_allowed",
                message: format!(
                    "{} is not allowed on {}",
                    res.request().method(),
                    res.request().path()
                ),
                field: None,
            },
            413 => AppError::PayloadTooLarge("the request body is too large".into()),
            s if s >= 500 => AppError::Unexpected(anyhow::anyhow!("unhandled {status}")),
            _ => AppError::bad_request(
                status
                    .canonical_reason()
                    .unwrap_or("bad request")
                    .to_owned(),
            ),
        };
        let mut response: HttpResponse<BoxBody> = error.error_response();
        *response.status_mut() = status;
        if let Some(methods) = allowed
            && let Ok(value) = header::HeaderValue::from_str(&methods.join(", "))
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        let (req, _) = res.into_parts();
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, response).map_into_right_body(),
        ))
    })
}

/// `?page=1&per_page=20`
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct Paging {
    /// 1-based page number
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// items per page, 1–100
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl Paging {
    pub fn resolve(self) -> Result<(i64, i64), AppError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(20);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::BadRequest {
                code: "invalid_query",
                message: "page starts at 1 and goes up to 1000000".into(),
                field: Some("page".into()),
            });
        }
        if !(1..=100).contains(&per_page) {
            return Err(AppError::BadRequest {
                code: "invalid_query",
                message: "per_page must be between 1 and 100".into(),
                field: Some("per_page".into()),
            });
        }
        Ok((page, per_page))
    }
}

/// Parses a UUID from the path with a message a person understands.
pub fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    raw.parse().map_err(|_| AppError::BadRequest {
        code: "invalid_path",
        message: format!("`{raw}` is not an appeal id (a UUID such as 0b5c3f8e-…)"),
        field: Some("id".into()),
    })
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The If-Match header as an appeal version, when given.
pub fn expected_version(req: &HttpRequest) -> Result<Option<i32>, AppError> {
    // an empty header asks for nothing
    let Some(v) = req
        .headers()
        .get(header::IF_MATCH)
        .filter(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace))
    else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_matches('"'))
        .and_then(|s| s.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| AppError::BadRequest {
            code: "bad_request",
            message: "If-Match must carry the appeal's version number, e.g. If-Match: 3".into(),
            field: Some("If-Match".into()),
        })
}
