//! API keys of integrations: issued by administrators (API, staff pages, `minxin apikey add`),
//! shown once, stored as their SHA-256, revocable. Each issue and revocation is an event of the
//! administrative audit chain, in the same transaction.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::calendar::append_admin_event;
use crate::db::open311::{self as store, ApiKey, NewApiKey};
use crate::error::AppError;

/// Every key starts with this, so a leaked one is recognisable in a scan of code or logs.
pub const KEY_PREFIX: &str = "mxk_";

/// A new key: `mxk_` and 48 hex digits (192 random bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", hex::encode(bytes))
}

/// What is stored of a key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}

/// The part of a key shown in lists: the prefix and its first eight digits.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX.len() + 8).collect()
}

/// A key as administrators see it (never the key itself, after it was issued).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyView {
    pub id: Uuid,
    /// who the key is for, e.g. the integration's name
    pub name: String,
    /// the key's first characters, to tell keys apart
    #[schema(example = "mxk_1a2b3c4d")]
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// false once revoked
    pub active: bool,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> KeyView {
        KeyView {
            active: k.revoked_at.is_none(),
            id: k.id,
            name: k.name,
            key_prefix: k.key_prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A key just issued: the only time the key itself is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub view: KeyView,
    /// the key: give it to the integration now; it is not stored and cannot be shown again
    #[schema(example = "mxk_1a2b3c4d5e6f70819203a4b5c6d7e8f9a0b1c2d3e4f5a6b7")]
    pub api_key: String,
}

/// Who issues or revokes: a signed-in administrator, or an operator at the command line.
pub struct Issuer<'a> {
    pub user_id: Option<Uuid>,
    pub role: &'a str,
}

impl<'a> Issuer<'a> {
    /// A signed-in administrator.
    pub fn staff(claims: &'a crate::auth::Claims) -> Issuer<'a> {
        Issuer {
            user_id: Some(claims.sub),
            role: claims.role.as_str(),
        }
    }
}

/// Issues a key for `name`.
pub fn issue(
    conn: &mut PgConnection,
    name: &str,
    by: &Issuer<'_>,
    now: DateTime<Utc>,
) -> Result<IssuedKey, AppError> {
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 || length > 100 {
        return Err(AppError::invalid(
            "name",
            "name (who the key is for) must be 1–100 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            "name contains control characters",
        ));
    }
    let key = generate();
    let key_hash = hash(&key);
    let prefix = display_prefix(&key);
    let stored = conn.transaction(|conn| -> Result<ApiKey, AppError> {
        let stored = store::insert_key(
            conn,
            &NewApiKey {
                id: Uuid::new_v4(),
                name,
                key_prefix: &prefix,
                key_hash: &key_hash,
                created_by: by.user_id,
                created_at: now,
            },
        )?;
        append_admin_event(
            conn,
            by.user_id,
            by.role,
            "api_key",
            "api_key_issue",
            &json!({"id": stored.id, "name": name, "key_prefix": prefix}),
            now,
        )?;
        Ok(stored)
    })?;
    Ok(IssuedKey {
        view: stored.into(),
        api_key: key,
    })
}

/// Revokes a key; revoking a revoked key changes nothing and answers it as it stands.
pub fn revoke(
    conn: &mut PgConnection,
    id: Uuid,
    by: &Issuer<'_>,
    now: DateTime<Utc>,
) -> Result<KeyView, AppError> {
    conn.transaction(|conn| {
        let key = store::find_key(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no API key {id}")))?;
        if key.revoked_at.is_some() {
            return Ok(key.into());
        }
        let key = store::revoke_key(conn, id, now)?
            .ok_or_else(|| AppError::NotFound(format!("no API key {id}")))?;
        append_admin_event(
            conn,
            by.user_id,
            by.role,
            "api_key",
            "api_key_revoke",
            &json!({"id": id, "name": key.name, "key_prefix": key.key_prefix}),
            now,
        )?;
        Ok(key.into())
    })
}

/// The live key `key` stands for, if any.
pub fn authenticate(
    conn: &mut PgConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiKey>, AppError> {
    let key = key.trim();
    if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
        return Ok(None);
    }
    Ok(store::use_key(conn, &hash(key), now)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_only_their_hash_and_prefix_are_kept() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), KEY_PREFIX.len() + 48);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&format!(" {a}\n")), hash(&a));
        assert_eq!(display_prefix(&a), a[..12]);
    }
}
