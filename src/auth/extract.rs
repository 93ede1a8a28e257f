//! Role guards as actix extractors: [`Staff`] is any valid token; the narrower guards wrap it.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::jwt::{Claims, JwtKeys};
use crate::domain::enums::Role;
use crate::domain::lifecycle::Actor;
use crate::error::AppError;

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

fn staff_from(req: &HttpRequest) -> Result<Staff, AppError> {
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
    keys.verify(token).map(Staff).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let message = match e.kind() {
            ErrorKind::ExpiredSignature => "your login has expired; log in again",
            ErrorKind::ImmatureSignature => "this token is not valid yet",
            _ => "the token is not valid; log in again",
        };
        AppError::Unauthorized(message.into())
    })
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Ready<Result<Staff, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(staff_from(req))
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
            type Future = Ready<Result<$name, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(staff_from(req).and_then(|staff| {
                    if [$($role),+].contains(&staff.0.role) {
                        Ok($name(staff))
                    } else {
                        Err(AppError::Forbidden(format!(concat!($message, "; you are a {}"), staff.0.role)))
                    }
                }))
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
