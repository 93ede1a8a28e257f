//! The OpenAPI description of the GeoReport v2 endpoint, served at `/open311/v2/openapi.json`
//! (a separate document from `/api/openapi.json`: another API with its own conventions).
//! It is generated from the handlers' annotations; when served, the lists a client must pick
//! from (service codes, division codes) are filled in from the database as enums, so a client
//! or a fuzzer reading it knows every value the server accepts.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::model;
use crate::db::{self, reference};
use crate::startup::AppState;

/// `json` or `xml`: the format of the answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FormatParam {
    Json,
    Xml,
}

/// The parameters of GET requests.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// optional; when given, must be this endpoint's jurisdiction
    jurisdiction_id: Option<String>,
    /// tracking numbers, comma-separated (at most 100); overrides every other parameter
    service_request_id: Option<String>,
    /// service codes, comma-separated
    service_code: Option<String>,
    /// W3C date-time with offset; requested on or after. Default: `end_date` minus 90 days
    start_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// W3C date-time with offset; requested on or before. Default: now. The window may not
    /// span more than 90 days
    end_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// `open`, `closed` or `open,closed`
    #[param(pattern = "^((open|closed)(,(open|closed))*)?$")]
    status: Option<String>,
    /// extension: updated after this W3C date-time
    updated_after: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// extension: updated before this W3C date-time
    updated_before: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// extension: the page, from 1
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    /// extension: requests per page, 1–1000 (default 1000)
    #[param(minimum = 1, maximum = 1000)]
    page_size: Option<i64>,
}

/// The form of POST requests (`application/x-www-form-urlencoded`). Besides these, the
/// category's own attributes (GET services/{service_code}) are sent as
/// `attribute[code]=value`, several values of a multivaluelist as `attribute[code][]=value`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PostForm {
    /// the key an administrator issued to this integration
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    api_key: String,
    /// a service_code from GET services
    service_code: String,
    /// what the problem is (at most 5000 characters)
    #[schema(min_length = 1, max_length = 4000)]
    description: String,
    /// the resident's phone: the hotline calls back for the follow-up
    #[schema(example = "13812341234")]
    phone: String,
    /// the street or community (a division code)
    #[serde(rename = "attribute[division_code]")]
    division_code: String,
    /// help (default), complaint, report, consultation or suggestion
    #[serde(rename = "attribute[kind]")]
    kind: Option<String>,
    /// true hides the resident from the handling department (保密)
    #[serde(rename = "attribute[confidential]")]
    confidential: Option<String>,
    /// optional; when given, must be this endpoint's jurisdiction
    jurisdiction_id: Option<String>,
    /// decimal degrees, with long
    #[schema(minimum = -90.0, maximum = 90.0)]
    lat: Option<f64>,
    /// decimal degrees, with lat
    #[schema(minimum = -180.0, maximum = 180.0)]
    long: Option<f64>,
    /// the street address (kept for the department, never published)
    #[schema(max_length = 200)]
    address_string: Option<String>,
    address_id: Option<String>,
    email: Option<String>,
    device_id: Option<String>,
    account_id: Option<String>,
    #[schema(max_length = 30)]
    first_name: Option<String>,
    #[schema(max_length = 30)]
    last_name: Option<String>,
    /// a link to a photo; kept in the appeal's text
    media_url: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "minxin (民心) Open311 GeoReport v2",
        description = "GeoReport v2 (http://wiki.open311.org/GeoReport_v2): services are the hotline's leaf categories, a request is an appeal and its service_request_id the tracking number. Every method answers JSON or XML by the path's extension. Errors are the spec's array of {code, description}."),
    paths(
        super::discovery,
        super::services,
        super::service_definition,
        super::list_requests,
        super::post_request,
        super::one_request,
        super::token,
    ),
    components(schemas(
        model::Discovery, model::Endpoint, model::Service, model::ServiceDefinition,
        model::Attribute, model::AttributeValue, model::Created, model::Request, model::Note,
        model::TokenAnswer, model::Error, FormatParam, PostForm,
    )),
    tags((name = "open311", description = "Open311 GeoReport v2")),
)]
pub struct GeoReportDoc;

/// The document with today's lists filled in.
pub async fn serve(state: web::Data<AppState>) -> HttpResponse {
    let mut doc = serde_json::to_value(GeoReportDoc::openapi()).unwrap_or_default();
    let jurisdiction = state.open311.jurisdiction_id.clone();
    let lists = db::run(&state.pool, |conn| {
        let categories = reference::list_categories(conn)?;
        let services: Vec<String> = super::leaf_services(&categories)
            .into_iter()
            .map(|s| s.service_code)
            .collect();
        let divisions = reference::list_divisions(conn)?;
        let divisions: Vec<String> = super::division_choices(&divisions)
            .into_iter()
            .map(|(code, _)| code)
            .collect();
        Ok((services, divisions))
    })
    .await;
    // without the database the document still describes the API, only without the lists
    if let Ok((services, divisions)) = lists {
        if let Some(form) = doc.pointer_mut("/components/schemas/PostForm/properties") {
            form["service_code"]["enum"] = services.clone().into();
            form["attribute[division_code]"]["enum"] = divisions.into();
            form["attribute[kind]"]["enum"] = serde_json::json!([
                "help",
                "complaint",
                "report",
                "consultation",
                "suggestion",
                null
            ]);
            form["attribute[confidential]"]["enum"] = serde_json::json!(["true", "false", null]);
        }
        // the one jurisdiction this endpoint serves
        if let Some(paths) = doc.pointer_mut("/paths").and_then(|p| p.as_object_mut()) {
            for item in paths.values_mut() {
                for op in item
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|o| o.values_mut())
                {
                    for p in op["parameters"].as_array_mut().into_iter().flatten() {
                        if p["name"] == "jurisdiction_id" {
                            p["schema"] =
                                serde_json::json!({"type": "string", "enum": [jurisdiction]});
                        }
                    }
                }
            }
        }
        if let Some(form) = doc.pointer_mut("/components/schemas/PostForm/properties") {
            form["jurisdiction_id"] = serde_json::json!({"type": "string", "enum": [jurisdiction]});
        }
        if let Some(paths) = doc
            .pointer_mut("/paths/~1open311~1v2~1services~1{service_code}.{format}/get/parameters")
            && let Some(params) = paths.as_array_mut()
        {
            for p in params {
                if p["name"] == "service_code" {
                    p["schema"]["enum"] = services.clone().into();
                }
            }
        }
    }
    HttpResponse::Ok().json(doc)
}
