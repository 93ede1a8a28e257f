//! The audit chain: each event's hash covers its content and the hash of the appeal's previous
//! event, so editing, deleting or reordering any event breaks every later link.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hashed content of one audit event.
#[derive(Debug, Clone)]
pub struct EventContent<'a> {
    pub appeal_id: Uuid,
    pub seq: i32,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    /// serialised by serde_json with sorted keys (the default map), as Postgres' jsonb gives it back
    pub details: &'a serde_json::Value,
    /// microsecond precision, as stored
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<&'a str>,
}

/// Hex SHA-256 over the fields, each length-prefixed so no two contents share an encoding.
pub fn event_hash(e: &EventContent<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(b"minxin-audit-v1");
    field(e.prev_hash.unwrap_or("").as_bytes());
    field(e.appeal_id.as_bytes());
    field(&e.seq.to_be_bytes());
    field(
        e.actor_id
            .map(|id| id.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    field(e.actor_role.as_bytes());
    field(e.action.as_bytes());
    field(e.from_status.unwrap_or("").as_bytes());
    field(e.to_status.unwrap_or("").as_bytes());
    field(canonical_json(e.details).as_bytes());
    field(
        e.created_at
            .to_rfc3339_opts(SecondsFormat::Micros, true)
            .as_bytes(),
    );
    hex::encode(hasher.finalize())
}

/// The hashed content of one administrative event (calendar changes, …): one chain for the
/// whole installation.
#[derive(Debug, Clone)]
pub struct AdminEventContent<'a> {
    pub seq: i64,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'a str,
    pub subject: &'a str,
    pub action: &'a str,
    pub details: &'a serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<&'a str>,
}

/// Hex SHA-256 of an administrative event, length-prefixed like [`event_hash`].
pub fn admin_event_hash(e: &AdminEventContent<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(b"minxin-admin-v1");
    field(e.prev_hash.unwrap_or("").as_bytes());
    field(&e.seq.to_be_bytes());
    field(
        e.actor_id
            .map(|id| id.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    field(e.actor_role.as_bytes());
    field(e.subject.as_bytes());
    field(e.action.as_bytes());
    field(canonical_json(e.details).as_bytes());
    field(
        e.created_at
            .to_rfc3339_opts(SecondsFormat::Micros, true)
            .as_bytes(),
    );
    hex::encode(hasher.finalize())
}

/// JSON with object keys sorted at every level, whatever map type serde_json was built with,
/// so the same document always gives the same text (and hash).
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", parts.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// Truncates to the microsecond precision Postgres stores, so the hash survives a round trip.
pub fn storage_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content<'a>(details: &'a serde_json::Value, prev: Option<&'a str>) -> EventContent<'a> {
        EventContent {
            appeal_id: Uuid::nil(),
            seq: 1,
            actor_id: None,
            actor_role: "resident",
            action: "intake",
            from_status: None,
            to_status: Some("submitted"),
            details,
            created_at: DateTime::from_timestamp_micros(1_795_000_000_123_456)
                .expect("valid instant"),
            prev_hash: prev,
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let details = json!({"channel": "web"});
        let base = content(&details, None);
        let h = event_hash(&base);
        assert_eq!(h.len(), 64);
        assert_eq!(h, event_hash(&base.clone()), "deterministic");

        let other_details = json!({"channel": "app"});
        let variants = [
            EventContent {
                seq: 2,
                ..base.clone()
            },
            EventContent {
                action: "dispatch",
                ..base.clone()
            },
            EventContent {
                to_status: Some("closed"),
                ..base.clone()
            },
            EventContent {
                details: &other_details,
                ..base.clone()
            },
            EventContent {
                prev_hash: Some("00"),
                ..base.clone()
            },
            EventContent {
                actor_id: Some(Uuid::new_v4()),
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(event_hash(&v), h, "{v:?}");
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"z":[{"b":1,"a":"x"}],"a":null}"#).expect("json");
        assert_eq!(canonical_json(&v), r#"{"a":null,"z":[{"a":"x","b":1}]}"#);
    }

    #[test]
    fn key_order_of_details_does_not_matter() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":2}"#).expect("json");
        let b: serde_json::Value = serde_json::from_str(r#"{"a":2,"b":1}"#).expect("json");
        assert_eq!(
            event_hash(&content(&a, None)),
            event_hash(&content(&b, None))
        );
    }
}
