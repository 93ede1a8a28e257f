//! The JSON body extractor: reads at most the configured number of bytes (413 beyond), and
//! turns every parse failure into a 400 that names the field at fault.

use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The configured body limit, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, deserialised into `T`; `raw` keeps the parsed document.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: serde_json::Value,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map(|l| l.0)
            .unwrap_or(64 * 1024);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad_request(format!("could not read the request body: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body)
        })
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::PayloadTooLarge(format!(
        "the request body is larger than the {limit} bytes allowed"
    ))
}

/// Parses bytes into `T` with a message that names the field.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<JsonBody<T>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest {
            code: "invalid_json",
            message: "the request body is empty; send a JSON object".into(),
            field: None,
        });
    }
    let raw: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest {
            code: "invalid_json",
            message: format!("the request body is not valid JSON: {e}"),
            field: None,
        })?;
    // most bodies hold no `3.0`: they are read as sent, without a copy
    let rewritten = has_whole_floats(&raw).then(|| whole_numbers(raw.clone()));
    let value =
        serde_path_to_error::deserialize(rewritten.as_ref().unwrap_or(&raw)).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = if path == "." {
                // "missing field `title`" and "unknown field `titel`" name the field themselves
                inner.split('`').nth(1).map(str::to_owned)
            } else {
                Some(path)
            };
            let message = match &field {
                Some(f) if !inner.contains(&format!("`{f}`")) => format!("{f}: {inner}"),
                _ => inner,
            };
            AppError::BadRequest {
                code: "invalid_body",
                message,
                field,
            }
        })?;
    Ok(JsonBody { value, raw })
}

fn is_whole_float(n: &serde_json::Number) -> bool {
    n.is_f64()
        && n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
}

fn has_whole_floats(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) => is_whole_float(n),
        Value::Array(items) => items.iter().any(has_whole_floats),
        Value::Object(map) => map.values().any(has_whole_floats),
        _ => false,
    }
}

/// JSON does not tell `3` from `3.0` (JSON Schema counts both as integers), so a whole number
/// written with a fraction is read as the integer it is; `3.5` stays a float and is refused
/// where an integer is expected.
fn whole_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if is_whole_float(&n) => Value::from(n.as_f64().unwrap_or(0.0) as i64),
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_numbers_with_a_fraction_read_as_integers() {
        let sent = serde_json::json!({"ids": [-1683.0, 2, 2.5], "x": {"y": 1e3}});
        assert!(super::has_whole_floats(&sent));
        assert!(!super::has_whole_floats(
            &serde_json::json!({"ids": [2, 2.5]})
        ));
        let v = super::whole_numbers(sent);
        assert_eq!(
            v,
            serde_json::json!({"ids": [-1683, 2, 2.5], "x": {"y": 1000}})
        );
        let ids: Vec<i64> = serde_json::from_value(v["ids"].as_array().expect("ids")[..2].into())
            .expect("integers");
        assert_eq!(ids, vec![-1683, 2]);
    }

    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        count: u32,
    }

    fn field_of(body: &str) -> (String, Option<String>) {
        match parse::<Sample>(body.as_bytes()) {
            Err(AppError::BadRequest { code, field, .. }) => (code.to_owned(), field),
            other => panic!("expected a 400, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn failures_name_the_field() {
        assert_eq!(field_of(""), ("invalid_json".into(), None));
        assert_eq!(field_of("{\"title\":"), ("invalid_json".into(), None));
        assert_eq!(
            field_of("{\"title\":\"x\"}"),
            ("invalid_body".into(), Some("count".into()))
        );
        assert_eq!(
            field_of("{\"title\":\"x\",\"count\":\"five\"}"),
            ("invalid_body".into(), Some("count".into()))
        );
        assert_eq!(
            field_of("{\"title\":\"x\",\"count\":1,\"extra\":1}"),
            ("invalid_body".into(), Some("extra".into()))
        );
        assert_eq!(field_of("\"text\""), ("invalid_body".into(), None));
        assert_eq!(
            field_of("[1,2]"),
            ("invalid_body".into(), Some("[0]".into()))
        );
    }
}
