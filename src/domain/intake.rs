//! Validation of an appeal as filed (受理). Structural errors (wrong types, unknown enum names)
//! are caught by deserialisation; this checks what a type cannot say.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credit_code::CreditCode;
use super::enums::{AppealKind, AppellantKind, Channel, Urgency};

/// The intake body of `POST /api/v1/appeals` (field names fixed by DESIGN.md §3).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub appellant_kind: AppellantKind,
    pub kind: AppealKind,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// at most 100 characters
    #[schema(
        example = "小区暖气不热，室温只有14度",
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub title: String,
    /// at most 5000 characters
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub content: String,
    /// a category code from `GET /api/v1/categories`; may be left to the dispatcher
    #[serde(default)]
    pub category_code: Option<String>,
    /// a division code from `GET /api/v1/divisions`
    #[schema(example = "210302001")]
    pub division_code: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    pub name: String,
    #[schema(example = "13812341234")]
    pub phone: String,
    #[serde(default)]
    pub email: Option<String>,
    /// enterprises only
    #[serde(default)]
    pub enterprise_name: Option<String>,
    /// 统一社会信用代码, enterprises only; 18 characters, checksum-validated
    #[serde(default)]
    pub credit_code: Option<String>,
    /// 保密: hide the appellant from the handling departments
    #[serde(default)]
    pub confidential: bool,
    /// normal (default) or urgent — hotline operators mark risks to life or property
    #[serde(default)]
    pub urgency: Option<Urgency>,
}

/// A checked intake, trimmed and normalised, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidIntake {
    pub appellant_kind: AppellantKind,
    pub kind: AppealKind,
    pub channel: Channel,
    pub title: String,
    pub content: String,
    pub category_code: Option<String>,
    pub division_code: String,
    pub address: Option<String>,
    pub coordinates: Option<(f64, f64)>,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub enterprise_name: Option<String>,
    pub credit_code: Option<CreditCode>,
    pub confidential: bool,
    pub urgency: Urgency,
}

/// One field that failed, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Trims; refuses empty or over-long text.
fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(err(field, format!("{field} must not be empty")));
    }
    optional_text(field, Some(v), max).map(|v| v.unwrap_or_default())
}

/// Trims; an empty string counts as absent.
fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let n = v.chars().count();
    if n > max {
        return Err(err(
            field,
            format!("{field} has {n} characters; at most {max} are allowed"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(err(field, format!("{field} contains control characters")));
    }
    Ok(Some(v.to_owned()))
}

/// Mainland mobile (11 digits starting 1), a landline with area code (0 + 9–11 digits) or a
/// 7–8 digit local number. Spaces and dashes are ignored, a +86 prefix dropped.
pub fn normalise_phone(input: &str) -> Result<String, FieldError> {
    let mut digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if let Some(rest) = digits.strip_prefix("+86") {
        digits = rest.to_owned();
    }
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let ok = all_digits
        && match digits.as_bytes()[0] {
            b'1' => digits.len() == 11 && digits.as_bytes()[1] >= b'3',
            b'0' => (10..=12).contains(&digits.len()),
            _ => (7..=8).contains(&digits.len()),
        };
    if ok {
        Ok(digits)
    } else {
        Err(err(
            "phone",
            "phone must be a mobile number such as 13812341234 or a landline such as 0412-5551234",
        ))
    }
}

/// Whether `email` looks like an address (a local part, `@`, a dotted domain, no spaces).
pub fn validate_email(email: &str) -> Result<(), FieldError> {
    check_email(email)
}

fn check_email(email: &str) -> Result<(), FieldError> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(err("email", "email is not a valid address"))
    }
}

impl IntakeRequest {
    /// Checks every field; the first failure is returned.
    pub fn validate(&self) -> Result<ValidIntake, FieldError> {
        let title = required_text("title", &self.title, 100)?;
        let content = required_text("content", &self.content, 5000)?;
        let division_code = self.division_code.trim().to_owned();
        if division_code.is_empty() {
            return Err(err("division_code", "division_code must not be empty"));
        }
        let category_code = optional_text("category_code", self.category_code.as_deref(), 32)?;
        let address = optional_text("address", self.address.as_deref(), 200)?;
        let coordinates = match (self.latitude, self.longitude) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(err("latitude", "latitude must be between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(err("longitude", "longitude must be between -180 and 180"));
                }
                Some((lat, lon))
            }
            (Some(_), None) => {
                return Err(err("longitude", "latitude and longitude come together"));
            }
            (None, Some(_)) => return Err(err("latitude", "latitude and longitude come together")),
        };
        let name = required_text("name", &self.name, 64)?;
        let phone = normalise_phone(&self.phone)?;
        let email = optional_text("email", self.email.as_deref(), 254)?;
        if let Some(email) = &email {
            check_email(email)?;
        }
        let enterprise_name =
            optional_text("enterprise_name", self.enterprise_name.as_deref(), 100)?;
        let credit_code = optional_text("credit_code", self.credit_code.as_deref(), 32)?;
        let (enterprise_name, credit_code) = match self.appellant_kind {
            AppellantKind::Enterprise => {
                let name = enterprise_name.ok_or_else(|| {
                    err(
                        "enterprise_name",
                        "an enterprise appellant must give its enterprise_name",
                    )
                })?;
                let code = credit_code.ok_or_else(|| {
                    err(
                        "credit_code",
                        "an enterprise appellant must give its unified social credit code",
                    )
                })?;
                let code = code
                    .parse::<CreditCode>()
                    .map_err(|e| err("credit_code", e.to_string()))?;
                (Some(name), Some(code))
            }
            AppellantKind::Citizen => {
                if enterprise_name.is_some() || credit_code.is_some() {
                    let field = if enterprise_name.is_some() {
                        "enterprise_name"
                    } else {
                        "credit_code"
                    };
                    return Err(err(
                        field,
                        "enterprise_name and credit_code are for enterprise appellants; set appellant_kind to enterprise",
                    ));
                }
                (None, None)
            }
        };
        Ok(ValidIntake {
            appellant_kind: self.appellant_kind,
            kind: self.kind,
            channel: self.channel.unwrap_or(Channel::Web),
            title,
            content,
            category_code,
            division_code,
            address,
            coordinates,
            name,
            phone,
            email,
            enterprise_name,
            credit_code,
            confidential: self.confidential,
            urgency: self.urgency.unwrap_or(Urgency::Normal),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> serde_json::Value {
        json!({
            "appellant_kind": "citizen", "kind": "complaint",
            "title": "暖气不热", "content": "室温只有14度", "division_code": "210302001",
            "name": "张三", "phone": "138 1234 1234"
        })
    }

    fn with(changes: serde_json::Value) -> IntakeRequest {
        let mut v = base();
        for (k, val) in changes.as_object().expect("object") {
            v[k] = val.clone();
        }
        serde_json::from_value(v).expect("structurally valid")
    }

    #[test]
    fn a_plain_citizen_appeal_is_valid_and_normalised() {
        let ok = with(json!({})).validate().expect("valid");
        assert_eq!(ok.phone, "13812341234");
        assert_eq!(ok.channel, Channel::Web);
        assert_eq!(ok.coordinates, None);
    }

    #[test]
    fn bad_fields_are_named() {
        let long_title = "长".repeat(101);
        let cases = [
            (json!({"title": "   "}), "title"),
            (json!({"title": long_title}), "title"),
            (json!({"content": ""}), "content"),
            (json!({"phone": "12345"}), "phone"),
            (json!({"phone": "1381234123x"}), "phone"),
            (json!({"email": "not-an-address"}), "email"),
            (json!({"latitude": 41.1}), "longitude"),
            (json!({"latitude": 91.0, "longitude": 122.9}), "latitude"),
            (json!({"credit_code": "91110000802100433B"}), "credit_code"),
            (
                json!({"appellant_kind": "enterprise", "credit_code": "91110000802100433B"}),
                "enterprise_name",
            ),
            (
                json!({"appellant_kind": "enterprise", "enterprise_name": "鞍钢"}),
                "credit_code",
            ),
            (
                json!({"appellant_kind": "enterprise", "enterprise_name": "鞍钢", "credit_code": "91110000802100433A"}),
                "credit_code",
            ),
            (json!({"name": "a\u{0007}b"}), "name"),
        ];
        for (change, field) in cases {
            let result = with(change.clone()).validate();
            assert_eq!(result.map_err(|e| e.field), Err(field), "{change}");
        }
    }

    #[test]
    fn an_enterprise_with_a_valid_code_passes() {
        let ok = with(json!({
            "appellant_kind": "enterprise", "enterprise_name": "鞍山某某有限公司",
            "credit_code": "91110000802100433b", "phone": "+86 0412-5551234"
        }))
        .validate()
        .expect("valid");
        assert_eq!(
            ok.credit_code.map(|c| c.to_string()).as_deref(),
            Some("91110000802100433B")
        );
        assert_eq!(ok.phone, "04125551234");
    }

    #[test]
    fn unknown_fields_and_enum_names_are_structural_errors() {
        let mut v = base();
        v["titel"] = json!("x");
        assert!(serde_json::from_value::<IntakeRequest>(v).is_err());
        let mut v = base();
        v["kind"] = json!("praise");
        assert!(serde_json::from_value::<IntakeRequest>(v).is_err());
    }
}
