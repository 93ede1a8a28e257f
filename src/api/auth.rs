//! Staff login.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonBody;
use super::now;
use crate::auth::JwtKeys;
use crate::db::{self, users};
use crate::domain::enums::Role;
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// send as `Authorization: Bearer <token>`
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_code: Option<String>,
}

/// The answer while an account is locked.
pub fn locked(until: DateTime<Utc>) -> AppError {
    let (secs, minutes) = users::lock_remaining(until, now());
    AppError::TooManyRequests {
        message: format!(
            "too many wrong passwords: this account is locked for {minutes} more minute(s); try again later or ask an administrator"
        ),
        retry_after_secs: secs,
    }
}

/// Logs a staff member in. A wrong username and a wrong password get the same answer; after
/// `auth.lockout_after` wrong passwords in a row the account is locked for
/// `auth.lockout_minutes` (429 with Retry-After, even to the right password).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, description = "wrong username or password", body = crate::error::ErrorBody),
    (status = 429, description = "the account is locked after repeated wrong passwords, or this address sent too many logins; see Retry-After", body = crate::error::ErrorBody)))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let LoginRequest {
        username,
        password: given,
    } = body.value;
    let lockout = state.lockout;
    let checked = db::run(&state.pool, move |conn| {
        Ok(users::check_login(conn, &username, &given, lockout, now())?)
    })
    .await?;
    let user = match checked {
        users::LoginCheck::Ok(user) => user,
        users::LoginCheck::Wrong => {
            return Err(AppError::Unauthorized("wrong username or password".into()));
        }
        users::LoginCheck::Locked(until) => return Err(locked(until)),
    };
    let (token, claims) = keys.issue_for(&user).map_err(AppError::Unexpected)?;
    let role = claims.role;
    tracing::info!(username = %user.username, role = %role, "staff login");
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now),
        username: user.username,
        display_name: user.display_name,
        role,
        department_code: user.department_code,
    }))
}
