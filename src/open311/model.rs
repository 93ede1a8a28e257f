//! What GeoReport v2 answers, as serde types. Each answer is serialised once to JSON; the XML
//! form is written from the same value ([`super::xml`]), so the two formats cannot disagree.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The service discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    /// when this document last changed
    pub changeset: DateTime<FixedOffset>,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    #[schema(example = "http://wiki.open311.org/GeoReport_v2")]
    pub specification: String,
    pub url: String,
    pub changeset: DateTime<FixedOffset>,
    #[schema(example = "production")]
    #[serde(rename = "type")]
    pub kind: String,
    pub formats: Vec<String>,
}

/// One service: a leaf category of the hotline's category tree (派单目录).
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// the category code
    #[schema(example = "03.01.01")]
    pub service_code: String,
    #[schema(example = "室温不达标")]
    pub service_name: String,
    /// the path of the category in the tree
    #[schema(example = "公用事业 / 供热 / 室温不达标")]
    pub description: String,
    /// true: GET services/{service_code} lists the attributes to send
    pub metadata: bool,
    /// always `realtime`: the request id is known at once
    #[schema(example = "realtime")]
    #[serde(rename = "type")]
    pub kind: String,
    /// the names of the category's ancestors, comma-separated
    pub keywords: String,
    /// the top-level category
    #[schema(example = "公用事业")]
    pub group: String,
}

/// A service definition: the attributes a request of this service takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attribute {
    /// true: the client asks the resident (false would be a note to show only)
    pub variable: bool,
    /// send the answer as `attribute[code]`
    #[schema(example = "division_code")]
    pub code: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist
    pub datatype: String,
    pub required: bool,
    pub datatype_description: Option<String>,
    pub order: i32,
    pub description: String,
    /// the allowed answers of the list types
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// The answer to POST requests: an array of one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// the appeal's tracking number (受理编号)
    #[schema(example = "AS2026120109001234")]
    pub service_request_id: String,
    /// also answers GET tokens/{token}
    pub token: String,
    /// what happens next, and when the reply is due
    pub service_notice: String,
    pub account_id: Option<String>,
    /// extension: the resident's access code, which with the tracking number opens the
    /// appeal on minxin's own pages and API; shown once, give it to the resident
    pub access_code: String,
}

/// One service request as anyone may read it: no name, phone, e-mail or exact address.
#[derive(Debug, Serialize, ToSchema)]
pub struct Request {
    #[schema(example = "AS2026120109001234")]
    pub service_request_id: String,
    /// `open` or `closed`
    #[schema(example = "open")]
    pub status: String,
    /// what the state means, in words (zh-CN)
    pub status_notes: String,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    /// the appeal's text with phone numbers, e-mail addresses, ID numbers and the appellant's
    /// name masked; only the service's name for a confidential (保密) appeal
    pub description: String,
    /// the lead department (主办单位)
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: DateTime<FixedOffset>,
    pub updated_datetime: DateTime<FixedOffset>,
    /// the reply deadline (答复时限)
    pub expected_datetime: Option<DateTime<FixedOffset>>,
    /// the division (district and street), not the street address
    pub address: Option<String>,
    /// the division code
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    /// rounded to three decimals (about 100 m)
    pub lat: Option<f64>,
    /// rounded to three decimals (about 100 m)
    pub long: Option<f64>,
    pub media_url: Option<String>,
    /// extension: the steps of the appeal so far
    pub notes: Vec<Note>,
}

/// One step of a request's history (the `notes` extension).
#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    pub datetime: DateTime<FixedOffset>,
    /// the step: intake, dispatch, sign, reply, close, …
    #[serde(rename = "type")]
    pub kind: String,
    /// `open` or `closed` after this step
    pub status: String,
    /// the step in words (zh-CN)
    pub summary: String,
}

/// The answer to GET tokens/{token}.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    pub service_request_id: String,
    pub token: String,
}

/// One error of the spec's error array.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Error {
    #[schema(example = 400)]
    pub code: u16,
    pub description: String,
}
