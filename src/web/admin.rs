//! Administration (issue 7, point 6), for administrators only (other staff get the 403 page;
//! without a session, the login page and back):
//!
//! - `/staff/admin`: the sections and the latest entries of the administrative audit log;
//! - `departments`: list, add, edit (name, kind, division, e-mail, active, auto-assignment);
//! - `categories`: the tree; add under a node, rename, switch on and off — a category with
//!   active subcategories is not switched off (they go first), nor one switched on under an
//!   inactive parent;
//! - `divisions`: the tree (city › district › street › community › grid); add a child whose
//!   code nests in its parent's as the national scheme has it, rename;
//! - `users`: list, add (the same rules and argon2 hashing as `minxin user add`), deactivate and
//!   reactivate (never oneself, never the last active administrator), reset a password, change
//!   role and department (a clerk needs one; the centre's roles may name the centre's own);
//! - `api-keys`: the keys of integrations (Open311): issue (shown once), revoke;
//! - `calendar`: a year's holidays and make-up working days, add and remove;
//! - `rules`: the routing rule table (派单目录) in matching order with its explain box; create,
//!   edit, switch on and off, move up and down, and test a draft (where a sample would go with
//!   the draft in the table, and what it would take of the latest appeals) before saving.
//!
//! The pages call the same use cases as the API where the API has them (`api::routing`'s rule
//! changes and draft test, `api::calendar`'s days) and `crate::admin` for the rest, so a page
//! and an API call cannot disagree: each change is one transaction with its event in
//! `admin_events`, and changes the caches depend on bump the version those caches check (the
//! routing version for rules, departments and divisions; the calendar's for its days). Every
//! form carries the CSRF token; a refused form comes back with what was typed and the problem
//! beside its field (422); a change done says so above the page.

mod api_keys;
mod calendar;
mod categories;
mod departments;
mod divisions;
mod rules;
mod users;

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use minijinja::context;

use super::session::{check_csrf, require_staff};
use super::{PageContext, PageError, Pages};
use crate::auth::Claims;
use crate::db;
use crate::domain::enums::Role;
use crate::error::AppError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(rules::rules_page)
        .service(rules::explain)
        .service(rules::new_rule_form)
        .service(rules::new_rule)
        .service(rules::switch)
        .service(rules::move_rule)
        .service(rules::edit_rule_form)
        .service(rules::edit_rule)
        .service(departments::list)
        .service(departments::add)
        .service(departments::edit_form)
        .service(departments::edit)
        .service(categories::tree)
        .service(categories::add_top)
        .service(categories::node)
        .service(categories::change)
        .service(divisions::tree)
        .service(divisions::node)
        .service(divisions::change)
        .service(users::list)
        .service(users::add)
        .service(users::edit_form)
        .service(users::change)
        .service(calendar::year_page)
        .service(calendar::add_day)
        .service(calendar::remove_day)
        .service(api_keys::list)
        .service(api_keys::issue)
        .service(api_keys::revoke);
}

pub(super) async fn require_admin(req: &HttpRequest) -> Result<Claims, PageError> {
    let staff = require_staff(req).await?;
    if staff.role != Role::Admin {
        return Err(PageError::Forbidden(
            "administration is for administrators".into(),
        ));
    }
    Ok(staff)
}

/// A form as sent: single fields by name, and every value of a repeated name (check boxes,
/// multiple choices). Refused (403 page) unless it repeats the CSRF cookie.
pub(super) struct Sent {
    pub fields: HashMap<String, String>,
    pairs: Vec<(String, String)>,
}

impl Sent {
    pub fn checked(req: &HttpRequest, pairs: Vec<(String, String)>) -> Result<Sent, PageError> {
        let fields: HashMap<String, String> = pairs.iter().cloned().collect();
        check_csrf(req, fields.get("csrf").map(String::as_str))?;
        Ok(Sent { fields, pairs })
    }

    /// Trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        super::field(&self.fields, name)
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    pub fn on(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// What was typed, to show again (never the token or a password).
    pub fn kept(&self) -> HashMap<String, String> {
        let mut kept = self.fields.clone();
        kept.remove("csrf");
        kept.remove("password");
        kept
    }
}

/// A refused form's problem, named beside its field (`form` when it belongs to no one field).
#[derive(Debug, serde::Serialize)]
pub(super) struct Problem {
    pub field: String,
    pub message: String,
}

/// The status and problem to show on the form again; a missing code is the 404 page, anything
/// that is not the form's fault an error page.
pub(super) fn problem_of(e: AppError) -> Result<(StatusCode, Problem), PageError> {
    match e {
        AppError::Unprocessable { field, message, .. }
        | AppError::BadRequest { field, message, .. } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Problem {
                field: field.unwrap_or_else(|| "form".into()),
                message,
            },
        )),
        AppError::Conflict(message) => Ok((
            StatusCode::CONFLICT,
            Problem {
                field: "form".into(),
                message,
            },
        )),
        other => Err(other.into()),
    }
}

/// The flash messages a page may show after a change (`?done=…`).
const DONE: [&str; 20] = [
    "department_added",
    "department_saved",
    "category_added",
    "category_renamed",
    "category_activated",
    "category_deactivated",
    "division_added",
    "division_renamed",
    "user_added",
    "user_role",
    "user_password",
    "user_activated",
    "user_deactivated",
    "day_added",
    "day_removed",
    "rule_saved",
    "rule_enabled",
    "rule_disabled",
    "rule_moved",
    "key_revoked",
];

#[derive(serde::Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    pub fn flag(&self) -> Option<&str> {
        self.done.as_deref().filter(|d| DONE.contains(d))
    }
}

/// After a change: to the page that shows it, saying what was done.
pub(super) fn done(path: &str, flag: &str) -> HttpResponse {
    let sep = if path.contains('?') { '&' } else { '?' };
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{path}{sep}done={}", super::urlencode(flag)),
        ))
        .finish()
}

/// The administrators' home: the sections and what was changed lately.
#[get("/staff/admin")]
pub async fn home(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let page = PageContext::of(&req, Some(staff));
    let (events, names) = db::run(&state.pool, |conn| {
        let events = db::calendar::recent_admin_events(conn, 20)?;
        let ids: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        Ok((events, db::users::usernames(conn, &ids)?))
    })
    .await?;
    let names: HashMap<uuid::Uuid, String> = names.into_iter().collect();
    let events: Vec<_> = events
        .into_iter()
        .map(|e| {
            context! {
                seq => e.seq,
                at => e.created_at.to_rfc3339(),
                who => e.actor_id.and_then(|id| names.get(&id).cloned()).unwrap_or(e.actor_role),
                subject => e.subject,
                action => e.action,
                details => e.details.to_string(),
            }
        })
        .collect();
    pages.render(&page, "admin_home.html", context! { events })
}
