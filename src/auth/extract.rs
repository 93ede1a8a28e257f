//! Role guards as actix extractors: [`Staff`] is any valid token; the narrower guards wrap it.

use std::time::Instant;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use super::jwt::{Claims, JwtKeys};
use crate::domain::enums::Role;
use crate::domain::lifecycle::Actor;
use crate::error::AppError;
use crate::startup::AppState;

/// Any logged-in staff member.
#[derive(Debug, Clone)]
pub struct Staff(pub Claims);

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.0.role,
            department: self.0.department.clone(),
        }
    }
}

/// The token's claims, checked (signature, issuer, times) but not yet against the account.
fn claims_from(req: &HttpRequest) -> Result<Claims, AppError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("JwtKeys not configured")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            AppError::Unauthorized(
                "this needs a staff login: send `Authorization: Bearer <token>` from POST /api/v1/auth/login".into(),
            )
        })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    keys.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let message = match e.kind() {
            ErrorKind::ExpiredSignature => "your login has expired; log in again",
            ErrorKind::ImmatureSignature => "this token is not valid yet",
            _ => "the token is not valid; log in again",
        };
        AppError::Unauthorized(message.into())
    })
}

/// Checks a verified token against its account: refused when the account no longer exists, has
/// been deactivated, or changed since the token was issued (password, role, department) — a
/// session ends within `auth.account_check_secs`, not when its token expires. One indexed read,
/// kept for that long ([`crate::auth::accounts`]).
pub async fn check_account(req: &HttpRequest, claims: Claims) -> Result<Claims, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("AppState not configured")))?
        .clone();
    let id = claims.sub;
    if state.accounts.still_good(id, claims.sv, Instant::now()) {
        return Ok(claims);
    }
    let account = crate::db::run(&state.pool, move |conn| {
        Ok(crate::db::users::session_of(conn, id)?)
    })
    .await?;
    let refused = match account {
        Some((true, version)) if version == claims.sv => {
            state.accounts.found_good(id, version, Instant::now());
            return Ok(claims);
        }
        Some((true, _)) => {
            "your account was changed since you logged in (password, role or department); log in again"
        }
        Some((false, _)) => "this account has been deactivated; ask an administrator",
        None => "the token is not valid; log in again",
    };
    state.accounts.forget(id);
    Err(AppError::Unauthorized(refused.into()))
}

async fn staff_from(req: HttpRequest) -> Result<Staff, AppError> {
    let claims = claims_from(&req)?;
    check_account(&req, claims).await.map(Staff)
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Staff, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(staff_from(req.clone()))
    }
}

/// Declares a guard that admits only the listed roles.
macro_rules! role_guard {
    ($(#[$meta:meta])* $name:ident, [$($role:expr),+], $message:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Staff);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = LocalBoxFuture<'static, Result<$name, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    // the role from the token first: a wrong role costs no database read
                    let claims = claims_from(&req)?;
                    if ![$($role),+].contains(&claims.role) {
                        return Err(AppError::Forbidden(format!(concat!($message, "; you are a {}"), claims.role)));
                    }
                    check_account(&req, claims).await.map(|c| $name(Staff(c)))
                })
            }
        }
    };
}

role_guard!(
    /// A clerk (承办人), who always has a department.
    ClerkStaff,
    [Role::Clerk],
    "only department clerks have a queue"
);
role_guard!(
    /// Hotline-centre staff: dispatchers, supervisors, administrators.
    CentreStaff,
    [Role::Dispatcher, Role::Supervisor, Role::Admin],
    "only hotline-centre staff (dispatcher, supervisor, admin) may see the pool"
);
role_guard!(
    /// An administrator: keeps departments, rules, calendars and users.
    AdminStaff,
    [Role::Admin],
    "only administrators may do this"
);
role_guard!(
    /// A supervisor (督办 / 考评) or an administrator.
    SupervisorStaff,
    [Role::Supervisor, Role::Admin],
    "only supervisors (and administrators) may see this"
);
