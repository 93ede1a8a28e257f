//! Open311 GeoReport v2 at `/open311/v2/`: the international standard for service requests, so
//! that the apps and integrations a city already has can file appeals and follow them.
//!
//! Services are the active leaf categories; a request is an appeal, its `service_request_id`
//! the tracking number. Every method answers in JSON and XML (`.json` / `.xml` on the path),
//! errors as the spec's array of `{code, description}`. Filing needs an `api_key` that an
//! administrator issued ([`keys`]); reading needs none and shows no personal data: no name,
//! phone or e-mail, the division instead of the street address, coordinates rounded to about
//! 100 m, and the text with numbers, e-mail addresses and the appellant's name masked.

pub mod doc;
pub mod form;
pub mod keys;
pub mod model;
pub mod xml;

use std::collections::{HashMap, HashSet};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use diesel::PgConnection;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::now;
use crate::db::models::{Appeal, Category, Division};
use crate::db::schema::{appeals, audit_events};
use crate::db::{self, open311 as store, reference};
use crate::domain::enums::Status;
use crate::domain::ids::china_offset;
use crate::domain::masking::redact_text;
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow::{self, IdempotencyKey};
use model::{Attribute, AttributeValue, Created, Note, Request, Service, ServiceDefinition};

/// What `/open311/v2/` serves, from `[open311]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Open311Settings {
    /// the jurisdiction this endpoint serves; a request naming another is refused
    pub jurisdiction_id: String,
    /// the discovery document's contact line
    pub contact: String,
    /// how an integration gets a key (the discovery document's `key_service`)
    pub key_service: String,
    /// GET requests without dates covers this many days back, and no query more
    pub window_days: i64,
    /// the most requests one GET answers (the spec's 1000)
    pub max_page_size: i64,
}

impl Default for Open311Settings {
    fn default() -> Self {
        Open311Settings {
            jurisdiction_id: "anshan".into(),
            contact: "鞍山市12345政务服务便民热线 / Anshan 12345 hotline".into(),
            key_service: "An administrator issues keys on the staff pages (系统管理 → 接口密钥) or with `minxin apikey add`; see docs/API.md".into(),
            window_days: 90,
            max_page_size: 1000,
        }
    }
}

/// Registers the GeoReport routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/open311/v2")
            .route("/discovery.{format}", web::get().to(discovery))
            .route("/services.{format}", web::get().to(services))
            .route(
                "/services/{code}.{format}",
                web::get().to(service_definition),
            )
            .route("/requests.{format}", web::get().to(list_requests))
            .route("/requests.{format}", web::post().to(post_request))
            .route("/requests/{id}.{format}", web::get().to(one_request))
            .route("/tokens/{token}.{format}", web::get().to(token))
            .route("/openapi.json", web::get().to(doc::serve))
            .default_service(web::to(no_such_method)),
    );
}

/// The two formats of every method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    fn of(req: &HttpRequest) -> Result<Format, Open311Error> {
        match req.match_info().get("format") {
            Some("json") => Ok(Format::Json),
            Some("xml") => Ok(Format::Xml),
            other => Err(Open311Error::new(
                Format::Json,
                StatusCode::NOT_FOUND,
                format!(
                    "unknown format `{}`: end the path with .json or .xml",
                    other.unwrap_or("")
                ),
            )),
        }
    }

    /// The format a path asks for, for answering paths no route matched.
    fn guess(path: &str) -> Format {
        if path.ends_with(".xml") {
            Format::Xml
        } else {
            Format::Json
        }
    }
}

/// An error in the spec's shape: `[{"code": 400, "description": "…"}]`.
#[derive(Debug)]
pub struct Open311Error {
    format: Format,
    status: StatusCode,
    descriptions: Vec<String>,
}

impl Open311Error {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Open311Error {
        Open311Error {
            format,
            status,
            descriptions: vec![description.into()],
        }
    }

    fn bad(format: Format, descriptions: Vec<String>) -> Open311Error {
        Open311Error {
            format,
            status: StatusCode::BAD_REQUEST,
            descriptions,
        }
    }

    /// minxin's own errors in GeoReport's terms: a failed validation is the spec's 400.
    fn from_app(format: Format, e: AppError) -> Open311Error {
        let status = match &e {
            AppError::Unprocessable { .. } | AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            other => actix_web::ResponseError::status_code(other),
        };
        let description = match &e {
            AppError::Unexpected(cause) => {
                tracing::error!(error = ?cause, "unexpected error");
                crate::error::INTERNAL_MESSAGE.to_owned()
            }
            AppError::Unprocessable {
                field: Some(field),
                message,
                ..
            } if !message.contains(field.as_str()) => format!("{field}: {message}"),
            other => other.to_string(),
        };
        Open311Error::new(format, status, description)
    }

    fn response(&self) -> HttpResponse {
        let errors: Vec<model::Error> = self
            .descriptions
            .iter()
            .map(|d| model::Error {
                code: self.status.as_u16(),
                description: d.clone(),
            })
            .collect();
        let mut response = answer(self.format, self.status, "errors", &errors);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

impl std::fmt::Display for Open311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.descriptions.join("; "))
    }
}

impl actix_web::ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

/// One answer in the asked format; `root` names the XML document element.
fn answer<T: Serialize>(format: Format, status: StatusCode, root: &str, value: &T) -> HttpResponse {
    let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    match format {
        Format::Json => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .body(json.to_string()),
        Format::Xml => HttpResponse::build(status)
            .content_type("text/xml; charset=utf-8")
            .body(xml::document(root, &json)),
    }
}

type Answer = Result<HttpResponse, Open311Error>;

/// The query string's pairs; a malformed one is a 400.
fn query_pairs(req: &HttpRequest, format: Format) -> Result<Vec<(String, String)>, Open311Error> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()).map_err(|e| {
        Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            format!("the query string is malformed: {e}"),
        )
    })
}

/// The one value of a query parameter (given twice is a 400).
fn param<'p>(
    pairs: &'p [(String, String)],
    name: &str,
    format: Format,
) -> Result<Option<&'p str>, Open311Error> {
    let mut found = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim());
    let first = found.next();
    if found.next().is_some() {
        return Err(Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            format!("{name} is given more than once; give a comma-separated list instead"),
        ));
    }
    Ok(first)
}

/// A request naming another jurisdiction is not for this endpoint.
fn check_jurisdiction(
    state: &AppState,
    given: Option<&str>,
    format: Format,
) -> Result<(), Open311Error> {
    match given {
        Some(j) if j != state.open311.jurisdiction_id => Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!(
                "jurisdiction_id `{j}` is not served here; this endpoint serves `{}`",
                state.open311.jurisdiction_id
            ),
        )),
        _ => Ok(()),
    }
}

async fn on_db<T, F>(state: &AppState, format: Format, f: F) -> Result<T, Open311Error>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    db::run(&state.pool, f)
        .await
        .map_err(|e| Open311Error::from_app(format, e))
}

fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&china_offset())
}

// ---------------------------------------------------------------------------------------------
// discovery, services
// ---------------------------------------------------------------------------------------------

/// When the shape of this endpoint last changed.
const CHANGESET: &str = "2026-12-01T00:00:00+08:00";

#[utoipa::path(get, path = "/open311/v2/discovery.{format}", tag = "open311",
    params(("format" = doc::FormatParam, Path, description = "json or xml")),
    responses((status = 200, description = "the service discovery document", content(
        (model::Discovery = "application/json"), (String = "text/xml"))),
        (status = 404, description = "unknown format", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn discovery(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let changeset = DateTime::parse_from_rfc3339(CHANGESET).unwrap_or_default();
    let base = state.workflow.public_url.trim_end_matches('/');
    Ok(answer(
        format,
        StatusCode::OK,
        "discovery",
        &model::Discovery {
            changeset,
            contact: state.open311.contact.clone(),
            key_service: state.open311.key_service.clone(),
            endpoints: vec![model::Endpoint {
                specification: "http://wiki.open311.org/GeoReport_v2".into(),
                url: format!("{base}/open311/v2"),
                changeset,
                kind: "production".into(),
                formats: vec!["application/json".into(), "text/xml".into()],
            }],
        },
    ))
}

/// The active leaf categories with their ancestors' names.
fn leaf_services(categories: &[Category]) -> Vec<Service> {
    let by_code: HashMap<&str, &Category> =
        categories.iter().map(|c| (c.code.as_str(), c)).collect();
    let parents: HashSet<&str> = categories
        .iter()
        .filter_map(|c| c.parent_code.as_deref())
        .collect();
    categories
        .iter()
        .filter(|c| !parents.contains(c.code.as_str()))
        .map(|c| {
            let mut path = vec![c.name.as_str()];
            let mut parent = c.parent_code.as_deref();
            while let Some(p) = parent.and_then(|p| by_code.get(p)) {
                path.push(p.name.as_str());
                parent = p.parent_code.as_deref();
            }
            path.reverse();
            Service {
                service_code: c.code.clone(),
                service_name: c.name.clone(),
                description: path.join(" / "),
                metadata: true,
                kind: "realtime".into(),
                keywords: path[..path.len() - 1].join(","),
                group: path[0].to_owned(),
            }
        })
        .collect()
}

#[utoipa::path(get, path = "/open311/v2/services.{format}", tag = "open311",
    params(("format" = doc::FormatParam, Path, description = "json or xml"), ("jurisdiction_id" = Option<String>, Query, description = "optional; when given, must be this endpoint's jurisdiction")),
    responses((status = 200, description = "the services: the active leaf categories", content(
        (Vec<Service> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "malformed query", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "unknown format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn services(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let pairs = query_pairs(&req, format)?;
    check_jurisdiction(&state, param(&pairs, "jurisdiction_id", format)?, format)?;
    let categories = on_db(&state, format, |conn| Ok(reference::list_categories(conn)?)).await?;
    Ok(answer(
        format,
        StatusCode::OK,
        "services",
        &leaf_services(&categories),
    ))
}

/// The divisions a request may name, as `district · street` names.
fn division_choices(divisions: &[Division]) -> Vec<(String, String)> {
    let by_code: HashMap<&str, &Division> =
        divisions.iter().map(|d| (d.code.as_str(), d)).collect();
    divisions
        .iter()
        // the city itself is too coarse to send a department to
        .filter(|d| d.parent_code.is_some())
        .map(|d| {
            let mut names = vec![d.name.as_str()];
            let mut parent = d.parent_code.as_deref().and_then(|p| by_code.get(p));
            while let Some(p) = parent {
                if p.parent_code.is_none() {
                    break;
                }
                names.push(p.name.as_str());
                parent = p.parent_code.as_deref().and_then(|c| by_code.get(c));
            }
            names.reverse();
            (d.code.clone(), names.join(" · "))
        })
        .collect()
}

/// A service and the questions its category asks (its attributes after the common ones).
struct ServiceSpec {
    service: Service,
    own: Vec<Attribute>,
}

fn load_service(conn: &mut PgConnection, code: &str) -> Result<Option<ServiceSpec>, AppError> {
    let categories = reference::list_categories(conn)?;
    let Some(service) = leaf_services(&categories)
        .into_iter()
        .find(|s| s.service_code == code)
    else {
        return Ok(None);
    };
    let base = form::COMMON.len() as i32;
    let own: Vec<Attribute> = store::fields_of(conn, code)?
        .into_iter()
        .enumerate()
        .map(|(i, f)| Attribute {
            variable: true,
            code: f.code,
            datatype: f.datatype,
            required: f.required,
            datatype_description: f.datatype_description,
            order: base + 1 + i as i32,
            description: f.description,
            values: serde_json::from_value::<Vec<AttributeValue>>(f.choices).unwrap_or_default(),
        })
        .collect();
    Ok(Some(ServiceSpec { service, own }))
}

fn no_such_service(format: Format, code: &str) -> Open311Error {
    Open311Error::new(
        format,
        StatusCode::NOT_FOUND,
        format!("no service `{code}`; GET services lists them"),
    )
}

#[utoipa::path(get, path = "/open311/v2/services/{service_code}.{format}", tag = "open311",
    params(("service_code" = String, Path, description = "a service_code from GET services"), ("format" = doc::FormatParam, Path, description = "json or xml"), ("jurisdiction_id" = Option<String>, Query, description = "optional; when given, must be this endpoint's jurisdiction")),
    responses((status = 200, description = "the attributes a request of this service takes", content(
        (ServiceDefinition = "application/json"), (String = "text/xml"))),
        (status = 400, description = "malformed query", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "no such service, format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn service_definition(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let pairs = query_pairs(&req, format)?;
    check_jurisdiction(&state, param(&pairs, "jurisdiction_id", format)?, format)?;
    let code = req.match_info().get("code").unwrap_or("").to_owned();
    let lookup = code.clone();
    let found = on_db(&state, format, move |conn| {
        let Some(spec) = load_service(conn, &lookup)? else {
            return Ok(None);
        };
        // the common attributes first: the street or community, offered from the divisions
        let divisions = reference::list_divisions(conn)?;
        let attributes: Vec<Attribute> = form::common_attributes(&division_choices(&divisions))
            .into_iter()
            .chain(spec.own)
            .collect();
        Ok(Some(ServiceDefinition {
            service_code: spec.service.service_code,
            attributes,
        }))
    })
    .await?
    .ok_or_else(|| no_such_service(format, &code))?;
    Ok(answer(format, StatusCode::OK, "service_definition", &found))
}

// ---------------------------------------------------------------------------------------------
// requests: reading
// ---------------------------------------------------------------------------------------------

fn is_open(status: &str) -> bool {
    matches!(
        status,
        "submitted" | "dispatched" | "in_progress" | "suspended"
    )
}

fn open_closed(status: &str) -> &'static str {
    if is_open(status) { "open" } else { "closed" }
}

/// The state in words, as a resident reads it.
fn status_notes(appeal: &Appeal, lead: Option<&str>, primary: Option<&str>) -> String {
    let lead = lead.unwrap_or("承办单位");
    match appeal.status.parse::<Status>() {
        Ok(Status::Submitted) => "已受理，等待派单 / filed, waiting to be dispatched".into(),
        Ok(Status::Dispatched) => format!("已派至{lead}，等待签收 / sent to the department"),
        Ok(Status::InProgress) => format!("{lead}办理中 / being handled"),
        Ok(Status::Suspended) => "暂停办理（挂起） / handling suspended".into(),
        Ok(Status::Resolved) => "已答复，等待回访 / answered, awaiting the follow-up".into(),
        Ok(Status::Closed) => "已办结 / closed".into(),
        Ok(Status::Rejected) => "不予受理或已退回 / not accepted".into(),
        Ok(Status::Merged) => match primary {
            Some(p) => format!("已与 {p} 合并办理 / merged into {p}"),
            None => "已合并办理 / merged".into(),
        },
        Err(_) => appeal.status.clone(),
    }
}

/// A step of the public history, in words; internal bookkeeping is not a step.
fn step_summary(action: &str) -> Option<&'static str> {
    Some(match action {
        "intake" => "受理 / filed",
        "dispatch" => "派单 / dispatched",
        "refuse_return" => "退回申请未获同意 / return refused",
        "sign" => "签收 / accepted by the department",
        "return" => "退回重新派单 / returned for another department",
        "suspend" => "挂起 / suspended",
        "resume" => "恢复办理 / resumed",
        "reply" => "答复 / answered",
        "follow_up" => "回访 / follow-up",
        "reject" => "不予受理 / not accepted",
        "merge" => "合并办理 / merged",
        "extension_approve" => "延期 / deadline extended",
        "close" => "办结 / closed",
        "close_unrated" => "办结（未评价） / closed without a rating",
        _ => return None,
    })
}

#[derive(Queryable)]
struct Step {
    appeal_id: Uuid,
    action: String,
    to_status: Option<String>,
    at: DateTime<Utc>,
}

/// The public history of each appeal, in one query.
fn histories(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, Vec<Note>>> {
    let steps: Vec<Step> = audit_events::table
        .filter(audit_events::appeal_id.eq_any(ids))
        .order((audit_events::appeal_id, audit_events::seq))
        .select((
            audit_events::appeal_id,
            audit_events::action,
            audit_events::to_status,
            audit_events::created_at,
        ))
        .load(conn)?;
    let mut by_appeal: HashMap<Uuid, Vec<Note>> = HashMap::new();
    let mut state: HashMap<Uuid, String> = HashMap::new();
    for s in steps {
        let now_status = match s.to_status {
            Some(to) => {
                state.insert(s.appeal_id, to.clone());
                to
            }
            None => state
                .get(&s.appeal_id)
                .cloned()
                .unwrap_or_else(|| "submitted".into()),
        };
        let Some(summary) = step_summary(&s.action) else {
            continue;
        };
        by_appeal.entry(s.appeal_id).or_default().push(Note {
            datetime: local(s.at),
            kind: s.action,
            status: open_closed(&now_status).into(),
            summary: summary.into(),
        });
    }
    Ok(by_appeal)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The public form of a page of appeals.
fn public_requests(conn: &mut PgConnection, rows: Vec<Appeal>) -> Result<Vec<Request>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let mut notes = histories(conn, &ids)?;
    let departments = reference::department_names(conn)?;
    let categories: HashMap<String, String> = reference::list_categories(conn)?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let divisions = reference::list_divisions(conn)?;
    let division_names: HashMap<String, String> =
        division_choices(&divisions).into_iter().collect();
    let primaries: Vec<Uuid> = rows.iter().filter_map(|a| a.merged_into).collect();
    let primary_numbers: HashMap<Uuid, String> = if primaries.is_empty() {
        HashMap::new()
    } else {
        appeals::table
            .filter(appeals::id.eq_any(&primaries))
            .select((appeals::id, appeals::tracking_no))
            .load::<(Uuid, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|a| {
            let lead = a
                .lead_department_code
                .as_deref()
                .map(|c| departments.get(c).cloned().unwrap_or_else(|| c.to_owned()));
            let service_name = a
                .category_code
                .as_deref()
                .and_then(|c| categories.get(c).cloned());
            let primary = a.merged_into.and_then(|p| primary_numbers.get(&p));
            let description = if a.confidential {
                // 保密: nothing of what was said leaves
                service_name
                    .clone()
                    .unwrap_or_else(|| "保密诉求 / confidential".into())
            } else {
                redact_text(&a.content, &a.name)
            };
            Request {
                status: open_closed(&a.status).into(),
                status_notes: status_notes(&a, lead.as_deref(), primary.map(String::as_str)),
                service_code: a.category_code.clone(),
                service_name,
                description,
                agency_responsible: lead,
                service_notice: None,
                requested_datetime: local(a.created_at),
                updated_datetime: local(a.updated_at),
                expected_datetime: a.reply_due_at.map(local),
                address: division_names
                    .get(&a.division_code)
                    .cloned()
                    .or_else(|| Some(a.division_code.clone())),
                address_id: Some(a.division_code.clone()),
                zipcode: None,
                lat: if a.confidential {
                    None
                } else {
                    a.latitude.map(round3)
                },
                long: if a.confidential {
                    None
                } else {
                    a.longitude.map(round3)
                },
                media_url: None,
                notes: notes.remove(&a.id).unwrap_or_default(),
                service_request_id: a.tracking_no,
            }
        })
        .collect())
}

/// The search of GET requests, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub ids: Option<Vec<String>>,
    pub service_codes: Vec<String>,
    pub statuses: Vec<&'static [&'static str]>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    pub page: i64,
    pub page_size: i64,
}

const OPEN_STATES: &[&str] = &["submitted", "dispatched", "in_progress", "suspended"];
const CLOSED_STATES: &[&str] = &["resolved", "closed", "rejected", "merged"];

fn w3c(name: &str, value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("{name} must be a W3C date and time with an offset, e.g. 2026-12-01T00:00:00+08:00; not `{value}`")
        })
}

/// Reads GET requests' parameters. `service_request_id` overrides the others (as the spec
/// says); without dates the window is the last `window_days` days, and no window may be wider.
pub fn search(
    pairs: &[(String, String)],
    settings: &Open311Settings,
    now: DateTime<Utc>,
) -> Result<Search, Vec<String>> {
    let mut errors = Vec::new();
    let mut one = |name: &str| -> Option<String> {
        let mut values = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim());
        // an empty value is a value: `start_date=` is not a date
        let first = values.next().map(str::to_owned);
        if values.next().is_some() {
            errors.push(format!(
                "{name} is given more than once; give a comma-separated list instead"
            ));
        }
        first
    };
    let ids = one("service_request_id");
    let codes = one("service_code");
    let status = one("status");
    let start = one("start_date");
    let end = one("end_date");
    let after = one("updated_after");
    let before = one("updated_before");
    let page = one("page");
    let page_size = one("page_size");
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let ids = ids.map(|v| list(&v)).filter(|l| !l.is_empty());
    if let Some(ids) = &ids
        && ids.len() > 100
    {
        errors.push("at most 100 service_request_id values at once".into());
    }
    let service_codes = codes.map(|v| list(&v)).unwrap_or_default();
    let mut statuses = Vec::new();
    for s in status.map(|v| list(&v)).unwrap_or_default() {
        match s.as_str() {
            "open" => statuses.push(OPEN_STATES),
            "closed" => statuses.push(CLOSED_STATES),
            other => errors.push(format!(
                "status is open or closed (comma-separated), not `{other}`"
            )),
        }
    }
    let mut time = |name: &str, v: Option<String>| {
        v.and_then(|v| w3c(name, &v).map_err(|e| errors.push(e)).ok())
    };
    let start = time("start_date", start);
    let end = time("end_date", end);
    let updated_after = time("updated_after", after);
    let updated_before = time("updated_before", before);
    let window = Duration::days(settings.window_days);
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, (s + window).min(now)),
        (None, Some(e)) => (e - window, e),
        (None, None) => (now - window, now),
    };
    if from > to {
        errors.push("start_date is after end_date".into());
    } else if ids.is_none() && to - from > window {
        errors.push(format!(
            "start_date to end_date may not span more than {} days",
            settings.window_days
        ));
    }
    let mut number = |name: &str, v: Option<String>, default: i64, max: i64| -> i64 {
        match v {
            None => default,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{name} is a whole number from 1 to {max}, not `{v}`"
                    ));
                    default
                }
            },
        }
    };
    let page = number("page", page, 1, 1_000_000);
    let page_size = number(
        "page_size",
        page_size,
        settings.max_page_size,
        settings.max_page_size,
    );
    if errors.is_empty() {
        Ok(Search {
            ids,
            service_codes,
            statuses,
            from,
            to,
            updated_after,
            updated_before,
            page,
            page_size,
        })
    } else {
        Err(errors)
    }
}

fn find_requests(conn: &mut PgConnection, s: &Search) -> Result<Vec<Appeal>, AppError> {
    let mut query = appeals::table.select(Appeal::as_select()).into_boxed();
    if let Some(ids) = &s.ids {
        query = query.filter(appeals::tracking_no.eq_any(ids));
    } else {
        query = query
            .filter(appeals::created_at.ge(s.from))
            .filter(appeals::created_at.le(s.to));
        if !s.service_codes.is_empty() {
            query = query.filter(appeals::category_code.eq_any(&s.service_codes));
        }
        if !s.statuses.is_empty() {
            let states: Vec<&str> = s.statuses.iter().flat_map(|l| l.iter().copied()).collect();
            query = query.filter(appeals::status.eq_any(states));
        }
        if let Some(t) = s.updated_after {
            query = query.filter(appeals::updated_at.gt(t));
        }
        if let Some(t) = s.updated_before {
            query = query.filter(appeals::updated_at.lt(t));
        }
    }
    let rows = query
        .order((appeals::created_at.desc(), appeals::id))
        .limit(s.page_size)
        .offset((s.page - 1) * s.page_size)
        .load(conn)?;
    Ok(rows)
}

#[utoipa::path(get, path = "/open311/v2/requests.{format}", tag = "open311",
    params(("format" = doc::FormatParam, Path, description = "json or xml"), doc::SearchParams),
    responses((status = 200, description = "the requests found, newest first, without personal data", content(
        (Vec<Request> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "a parameter is malformed, or the window is inverted or too wide", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "unknown format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 503, description = "the database is unreachable; retry after the Retry-After seconds", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn list_requests(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let pairs = query_pairs(&req, format)?;
    check_jurisdiction(&state, param(&pairs, "jurisdiction_id", format)?, format)?;
    let search = search(&pairs, &state.open311, now()).map_err(|e| Open311Error::bad(format, e))?;
    let found = on_db(&state, format, move |conn| {
        let rows = find_requests(conn, &search)?;
        public_requests(conn, rows)
    })
    .await?;
    Ok(answer(format, StatusCode::OK, "service_requests", &found))
}

fn no_such_request(format: Format, id: &str) -> Open311Error {
    Open311Error::new(
        format,
        StatusCode::NOT_FOUND,
        format!("no service request `{id}`"),
    )
}

#[utoipa::path(get, path = "/open311/v2/requests/{service_request_id}.{format}", tag = "open311",
    params(("service_request_id" = String, Path, description = "the tracking number"), ("format" = doc::FormatParam, Path, description = "json or xml"), ("jurisdiction_id" = Option<String>, Query, description = "optional; when given, must be this endpoint's jurisdiction")),
    responses((status = 200, description = "an array of one request, without personal data", content(
        (Vec<Request> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "malformed query", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "no such request, format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn one_request(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let pairs = query_pairs(&req, format)?;
    check_jurisdiction(&state, param(&pairs, "jurisdiction_id", format)?, format)?;
    let id = req.match_info().get("id").unwrap_or("").to_owned();
    let lookup = id.clone();
    let found = on_db(&state, format, move |conn| {
        let row = crate::db::appeals::find_by_tracking_no(conn, &lookup)?;
        public_requests(conn, row.into_iter().collect())
    })
    .await?;
    if found.is_empty() {
        return Err(no_such_request(format, &id));
    }
    Ok(answer(format, StatusCode::OK, "service_requests", &found))
}

#[utoipa::path(get, path = "/open311/v2/tokens/{token}.{format}", tag = "open311",
    params(("token" = String, Path, description = "the token POST requests answered"), ("format" = doc::FormatParam, Path, description = "json or xml"), ("jurisdiction_id" = Option<String>, Query, description = "optional; when given, must be this endpoint's jurisdiction")),
    responses((status = 200, description = "an array of one: the request the token stands for", content(
        (Vec<model::TokenAnswer> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "malformed query", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "no such token, format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn token(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let format = Format::of(&req)?;
    let pairs = query_pairs(&req, format)?;
    check_jurisdiction(&state, param(&pairs, "jurisdiction_id", format)?, format)?;
    let raw = req.match_info().get("token").unwrap_or("").to_owned();
    let Ok(token) = Uuid::parse_str(&raw) else {
        return Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no token `{raw}`"),
        ));
    };
    let found = on_db(&state, format, move |conn| {
        Ok(match store::appeal_of_token(conn, token)? {
            Some(id) => crate::db::appeals::find(conn, id)?.map(|a| a.tracking_no),
            None => None,
        })
    })
    .await?;
    let Some(tracking_no) = found else {
        return Err(Open311Error::new(
            format,
            StatusCode::NOT_FOUND,
            format!("no token `{raw}`"),
        ));
    };
    Ok(answer(
        format,
        StatusCode::OK,
        "service_requests",
        &[model::TokenAnswer {
            service_request_id: tracking_no,
            token: token.to_string(),
        }],
    ))
}

// ---------------------------------------------------------------------------------------------
// requests: filing
// ---------------------------------------------------------------------------------------------

/// Reads the body up to the configured limit.
async fn read_body(
    mut payload: web::Payload,
    limit: usize,
    format: Format,
) -> Result<Vec<u8>, Open311Error> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Open311Error::new(
                format,
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Open311Error::new(
                format,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What the resident is told on filing.
fn service_notice(appeal: &Appeal, lead: Option<&str>) -> String {
    let due = appeal
        .reply_due_at
        .map(|t| local(t).format("%Y-%m-%d %H:%M").to_string());
    match (lead, due) {
        (Some(lead), Some(due)) => format!(
            "已受理，已派至{lead}，答复时限 {due} / filed and sent to the department; reply due {due}"
        ),
        _ => "已受理，将尽快派至承办单位 / filed; it will be dispatched shortly".into(),
    }
}

#[utoipa::path(post, path = "/open311/v2/requests.{format}", tag = "open311",
    params(("format" = doc::FormatParam, Path, description = "json or xml"), ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,128}$", description = "1–128 visible ASCII characters; a retry with the same key and form files nothing twice")),
    request_body(content = doc::PostForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 201, description = "filed: an array of one", content(
        (Vec<Created> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "a field is missing or invalid (each problem is one error), or api_key is missing", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 403, description = "api_key is unknown or revoked", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "unknown format or jurisdiction", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 413, description = "body too large", content((Vec<model::Error> = "application/json"), (String = "text/xml"))),
        (status = 503, description = "the database is unreachable; retry with the same Idempotency-Key after the Retry-After seconds", content((Vec<model::Error> = "application/json"), (String = "text/xml")))))]
pub async fn post_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Answer {
    let format = Format::of(&req)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded")) {
        return Err(Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            format!(
                "send the request as application/x-www-form-urlencoded (GeoReport v2), not `{content_type}`"
            ),
        ));
    }
    let body = read_body(payload, state.body_limit_bytes, format).await?;
    let mut pairs = query_pairs(&req, format)?;
    let from_body = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).map_err(|e| {
        Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            format!("the form is malformed: {e}"),
        )
    })?;
    pairs.extend(from_body);
    let post = form::parse(&pairs).map_err(|e| Open311Error::bad(format, e))?;
    check_jurisdiction(&state, post.jurisdiction_id.as_deref(), format)?;
    let Some(api_key) = post.api_key.clone() else {
        return Err(Open311Error::new(
            format,
            StatusCode::BAD_REQUEST,
            "api_key is required to file a request; an administrator issues keys (docs/API.md)",
        ));
    };
    let Some(service_code) = post.service_code.clone() else {
        return Err(Open311Error::bad(
            format,
            vec!["service_code is required; GET services lists them".into()],
        ));
    };
    let idempotency = idempotency_key(&req, &pairs, format)?;
    let wf = state.workflow.clone();
    /// A filing's end: filed, or refused by the form's own checks (each problem its own error).
    enum Outcome {
        Filed(Box<workflow::Filed>, Option<String>, String),
        Refused(Vec<String>),
    }
    let outcome = on_db(&state, format, move |conn| {
        let at = now();
        let key = keys::authenticate(conn, &api_key, at)?.ok_or_else(|| {
            AppError::Forbidden("api_key is not valid (unknown or revoked)".into())
        })?;
        let spec = load_service(conn, &service_code)?.ok_or_else(|| {
            AppError::invalid(
                "service_code",
                format!("unknown service_code `{service_code}`; GET services lists them"),
            )
        })?;
        let intake = match form::to_intake(
            &post,
            &spec.service.service_code,
            &spec.service.service_name,
            &spec.own,
        ) {
            Ok(intake) => intake,
            Err(problems) => return Ok(Outcome::Refused(problems)),
        };
        let valid = intake
            .validate()
            .map_err(|e| AppError::invalid(e.field, e.message))?;
        let filed =
            workflow::intake_by_integration(conn, &wf, &valid, idempotency.as_ref(), key.id, at)?;
        let lead = match &filed.appeal.lead_department_code {
            Some(code) => reference::find_department(conn, code)?.map(|d| d.name),
            None => None,
        };
        Ok(Outcome::Filed(Box::new(filed), lead, key.key_prefix))
    })
    .await?;
    let (filed, lead, key_prefix) = match outcome {
        Outcome::Filed(filed, lead, key_prefix) => (filed, lead, key_prefix),
        Outcome::Refused(problems) => return Err(Open311Error::bad(format, problems)),
    };
    if !filed.replayed {
        tracing::info!(tracking_no = %filed.appeal.tracking_no, api_key = %key_prefix, "appeal filed through Open311");
    }
    let a = &filed.appeal;
    let created = Created {
        service_request_id: a.tracking_no.clone(),
        token: filed.token.map(|t| t.to_string()).unwrap_or_default(),
        service_notice: service_notice(a, lead.as_deref()),
        account_id: None,
        access_code: filed.access_code.clone(),
    };
    let mut response = answer(format, StatusCode::CREATED, "service_requests", &[created]);
    if filed.replayed {
        response.headers_mut().insert(
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// `Idempotency-Key` as on `POST /api/v1/appeals`; the request hash covers the form without
/// its api_key (a rotated key retrying the same filing is the same filing).
fn idempotency_key(
    req: &HttpRequest,
    pairs: &[(String, String)],
    format: Format,
) -> Result<Option<IdempotencyKey>, Open311Error> {
    let Some(key) = crate::api::appeals::idempotency_header(req)
        .map_err(|e| Open311Error::from_app(format, e))?
    else {
        return Ok(None);
    };
    let mut sorted: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "api_key").collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"open311\0");
    for (k, v) in sorted {
        hasher.update(k.as_bytes());
        hasher.update(b"\0");
        hasher.update(v.as_bytes());
        hasher.update(b"\0");
    }
    Ok(Some(IdempotencyKey {
        key,
        request_hash: hex::encode(hasher.finalize()),
    }))
}

async fn no_such_method(req: HttpRequest) -> HttpResponse {
    Open311Error::new(
        Format::guess(req.path()),
        StatusCode::NOT_FOUND,
        format!(
            "no such GeoReport v2 method: {} {}; see discovery.json",
            req.method(),
            req.path()
        ),
    )
    .response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn without_dates_the_window_is_the_last_ninety_days_and_a_full_page() {
        let s = search(&[], &Open311Settings::default(), at()).expect("valid");
        assert_eq!(s.to, at());
        assert_eq!(s.from, at() - Duration::days(90));
        assert_eq!((s.page, s.page_size), (1, 1000));
        assert!(s.ids.is_none() && s.statuses.is_empty());
    }

    #[test]
    fn dates_statuses_and_pages_are_read_and_checked() {
        let s = search(
            &pairs(&[
                ("start_date", "2026-11-01T00:00:00+08:00"),
                ("status", "open,closed"),
                ("service_code", "03.01.01,03.02.01"),
                ("page", "2"),
                ("page_size", "10"),
            ]),
            &Open311Settings::default(),
            at(),
        )
        .expect("valid");
        assert_eq!(
            s.from,
            Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(s.to, at(), "an open end stops now");
        assert_eq!(s.statuses, vec![OPEN_STATES, CLOSED_STATES]);
        assert_eq!(s.service_codes, vec!["03.01.01", "03.02.01"]);
        assert_eq!((s.page, s.page_size), (2, 10));

        let errors = search(
            &pairs(&[
                ("start_date", "2026-01-01T00:00:00Z"),
                ("end_date", "2026-12-01T00:00:00Z"),
                ("status", "pending"),
                ("page_size", "5000"),
                ("updated_after", "yesterday"),
            ]),
            &Open311Settings::default(),
            at(),
        )
        .expect_err("refused");
        let all = errors.join("\n");
        for needle in [
            "more than 90 days",
            "not `pending`",
            "page_size",
            "updated_after must be",
        ] {
            assert!(all.contains(needle), "{needle} missing in {all}");
        }
        let inverted = search(
            &pairs(&[
                ("start_date", "2026-12-01T00:00:00Z"),
                ("end_date", "2026-11-01T00:00:00Z"),
            ]),
            &Open311Settings::default(),
            at(),
        )
        .expect_err("inverted");
        assert!(inverted[0].contains("after end_date"));
    }

    #[test]
    fn ids_override_the_window() {
        let s = search(
            &pairs(&[
                ("service_request_id", "AS1, AS2"),
                ("start_date", "2025-01-01T00:00:00Z"),
                ("end_date", "2026-12-01T00:00:00Z"),
            ]),
            &Open311Settings::default(),
            at(),
        )
        .expect("ids need no window");
        assert_eq!(s.ids, Some(vec!["AS1".to_owned(), "AS2".to_owned()]));
    }

    #[test]
    fn services_are_the_leaves_with_their_path() {
        let cat = |code: &str, name: &str, parent: Option<&str>| Category {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(str::to_owned),
            active: true,
        };
        let services = leaf_services(&[
            cat("03", "公用事业", None),
            cat("03.01", "供热", Some("03")),
            cat("03.01.01", "室温不达标", Some("03.01")),
            cat("04", "市场监管", None),
        ]);
        let codes: Vec<&str> = services.iter().map(|s| s.service_code.as_str()).collect();
        assert_eq!(codes, vec!["03.01.01", "04"]);
        assert_eq!(services[0].description, "公用事业 / 供热 / 室温不达标");
        assert_eq!(services[0].group, "公用事业");
        assert_eq!(services[0].keywords, "公用事业,供热");
        assert_eq!(services[1].group, "市场监管");
    }

    #[test]
    fn states_map_to_open_and_closed() {
        for s in Status::ALL {
            let expected = matches!(
                s,
                Status::Submitted | Status::Dispatched | Status::InProgress | Status::Suspended
            );
            assert_eq!(is_open(s.as_str()), expected, "{s}");
            assert!(
                OPEN_STATES.contains(&s.as_str()) != CLOSED_STATES.contains(&s.as_str()),
                "{s} is in exactly one of the lists"
            );
        }
    }
}
