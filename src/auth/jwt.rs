//! Issuing and checking staff tokens (HS256, with issuer, expiry and not-before checked).

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::enums::Role;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// user id
    pub sub: Uuid,
    pub username: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// the account's session version when the token was issued (`users.session_version`): a
    /// later change to the account (deactivation, password, role) ends the token
    #[serde(default)]
    pub sv: i32,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &str, issuer: &str, ttl_minutes: i64) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            issuer: issuer.to_owned(),
            ttl: Duration::minutes(ttl_minutes),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        username: &str,
        role: Role,
        department: Option<String>,
        session_version: i32,
    ) -> anyhow::Result<(String, Claims)> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            username: username.to_owned(),
            role,
            department,
            sv: session_version,
            iss: self.issuer.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.num_seconds(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// A token for an account as stored: its role parsed, its session version carried.
    pub fn issue_for(&self, user: &crate::db::models::User) -> anyhow::Result<(String, Claims)> {
        let role: Role = user
            .role
            .parse()
            .map_err(|e| anyhow::anyhow!("stored role: {e}"))?;
        self.issue(
            user.id,
            &user.username,
            role,
            user.department_code.clone(),
            user.session_version,
        )
    }

    /// Checks signature, algorithm, issuer, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let keys = JwtKeys::new("test-secret-test-secret-test-secret", "minxin", 60);
        let (token, _) = keys
            .issue(
                Uuid::new_v4(),
                "clerk.heating",
                Role::Clerk,
                Some("heating".into()),
                0,
            )
            .expect("issue");
        let claims = keys.verify(&token).expect("valid");
        assert_eq!(claims.role, Role::Clerk);
        assert_eq!(claims.department.as_deref(), Some("heating"));

        let other = JwtKeys::new("another-secret-another-secret-xx", "minxin", 60);
        assert!(other.verify(&token).is_err(), "wrong secret");
        let other_issuer = JwtKeys::new("test-secret-test-secret-test-secret", "elsewhere", 60);
        assert!(other_issuer.verify(&token).is_err(), "wrong issuer");
        assert!(keys.verify(&format!("{token}x")).is_err(), "bad signature");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = JwtKeys::new("test-secret-test-secret-test-secret", "minxin", -10);
        let (token, _) = keys
            .issue(Uuid::new_v4(), "a", Role::Admin, None, 0)
            .expect("issue");
        let err = keys.verify(&token).expect_err("expired");
        assert!(matches!(
            err.kind(),
            jsonwebtoken::errors::ErrorKind::ExpiredSignature
        ));
    }
}
