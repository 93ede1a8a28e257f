//! Staff sessions and CSRF tokens for the pages.
//!
//! The session is the same JWT the API issues, kept in an HttpOnly, SameSite=Lax cookie
//! (`Secure` outside development), so a script on the page can never read it.
//! Every form that changes something carries a CSRF token: a random value in a
//! SameSite=Strict, HttpOnly cookie that the form must repeat in a hidden field (double submit);
//! another site can neither read the cookie nor make the browser send it on a cross-site POST.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, web};
use rand::RngCore;

use super::PageError;
use crate::auth::{Claims, JwtKeys};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "minxin_session";
pub const CSRF_COOKIE: &str = "minxin_csrf";

/// The request's CSRF token, and whether it is new (then the page sets the cookie).
pub fn csrf_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() == 32 && c.value().bytes().all(|b| b.is_ascii_hexdigit()) => {
            (c.value().to_owned(), false)
        }
        _ => {
            let mut bytes = [0u8; 16];
            rand::rng().fill_bytes(&mut bytes);
            (hex::encode(bytes), true)
        }
    }
}

pub fn csrf_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

/// Refuses a form whose hidden `csrf` field does not repeat the cookie.
pub fn check_csrf(req: &HttpRequest, submitted: Option<&str>) -> Result<(), PageError> {
    let cookie = req.cookie(CSRF_COOKIE).ok_or(PageError::Csrf)?;
    let submitted = submitted.ok_or(PageError::Csrf)?;
    let (a, b) = (cookie.value().as_bytes(), submitted.as_bytes());
    // constant time: the comparison must not tell how much of a guess was right
    if a.len() != b.len() || a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0 {
        return Err(PageError::Csrf);
    }
    Ok(())
}

pub fn session_cookie(token: &str, max_age_minutes: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(max_age_minutes))
        .finish()
}

pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie("", 0, secure);
    c.make_removal();
    c
}

/// The logged-in staff member, if the session cookie holds a valid token.
pub fn staff_of(req: &HttpRequest) -> Option<Claims> {
    let keys = req.app_data::<web::Data<JwtKeys>>()?;
    let token = req.cookie(SESSION_COOKIE)?;
    keys.verify(token.value()).ok()
}

/// The logged-in staff member, or a trip to the login page and back here. A cookie that is
/// there but no longer valid says the session expired. The account is checked as for the API
/// (`auth::extract::check_account`): a deactivated or changed account's session ends within
/// `auth.account_check_secs`, back to the login page.
pub async fn require_staff(req: &HttpRequest) -> Result<Claims, PageError> {
    let login = || PageError::Login {
        next: match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        },
        expired: req.cookie(SESSION_COOKIE).is_some(),
    };
    let claims = staff_of(req).ok_or_else(login)?;
    match crate::auth::extract::check_account(req, claims).await {
        Ok(claims) => Ok(claims),
        Err(AppError::Unauthorized(_)) => Err(login()),
        Err(other) => Err(other.into()),
    }
}
