//! Staff accounts: the list with the add form, and one account's page: role and department,
//! a new password, deactivate or reactivate.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::admin::{self as uc, AccountInput};
use crate::auth::Claims;
use crate::db::{self, reference, users};
use crate::domain::enums::Role;
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages, urlencode};

type Pairs = web::Form<Vec<(String, String)>>;

fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

async fn departments(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(db::run(&state.pool, |conn| {
        Ok(reference::list_departments(conn, false)?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect())
    })
    .await?)
}

/// Accounts per page of the list.
const PER_PAGE: i64 = 50;

#[allow(clippy::too_many_arguments)]
async fn render_list(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    number: i64,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    // one read of the departments: every one names accounts (old ones too), the active ones
    // are offered for a new account
    let (accounts, total, departments) = db::run(&state.pool, move |conn| {
        let all = reference::list_departments(conn, true)?;
        let names: HashMap<&str, &str> = all
            .iter()
            .map(|d| (d.code.as_str(), d.name.as_str()))
            .collect();
        let (listed, total) = users::list(conn, PER_PAGE, (number - 1) * PER_PAGE)?;
        let accounts: Vec<_> = listed
            .into_iter()
            .map(|u| {
                let department_name = u
                    .department_code
                    .as_deref()
                    .and_then(|c| names.get(c))
                    .copied();
                context! {
                    username => u.username, display_name => u.display_name, role => u.role,
                    department_code => u.department_code, department_name,
                    active => u.active, absent => u.absent,
                }
            })
            .collect();
        let offered: Vec<(String, String)> = all
            .iter()
            .filter(|d| d.active)
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect();
        Ok((accounts, total, offered))
    })
    .await?;
    pages.render_status(
        &page,
        status,
        "admin_users.html",
        context! {
            accounts, departments, roles => roles(), form, error,
            page => number, pages_total => ((total + PER_PAGE - 1) / PER_PAGE).max(1), total,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
}

#[get("/staff/admin/users")]
pub async fn list(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let number = query.page.unwrap_or(1).clamp(1, 10_000);
    let form = serde_json::json!({"role": "clerk"});
    render_list(
        &req,
        &pages,
        &state,
        staff,
        number,
        StatusCode::OK,
        form,
        None,
    )
    .await
}

#[post("/staff/admin/users")]
pub async fn add(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let input = AccountInput {
        username: sent.text("username"),
        display_name: sent.get("display_name").map(str::to_owned),
        role: sent.text("role"),
        department: sent.get("department").map(str::to_owned),
        email: sent.get("email").map(str::to_owned),
        // a password is taken as typed: spaces at either end are part of it
        password: sent.fields.get("password").cloned().unwrap_or_default(),
    };
    let by = staff.clone();
    let outcome = db::run(&state.pool, move |conn| uc::add_user(conn, &by, &input)).await;
    match outcome {
        Ok(u) => {
            tracing::info!(username = %u.username, by = %staff.username, "account created on the web");
            Ok(done(
                &format!("/staff/admin/users/{}", urlencode(&u.username)),
                "user_added",
            ))
        }
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_list(&req, &pages, &state, staff, 1, status, form, Some(problem)).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_edit(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    username: String,
    status: StatusCode,
    form: Option<serde_json::Value>,
    error: Option<Problem>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let myself = staff.username == username;
    let page = PageContext::of(req, Some(staff));
    let wanted = username.clone();
    let account = db::run(&state.pool, move |conn| {
        Ok(users::find_by_username(conn, &wanted)?)
    })
    .await?
    .ok_or(PageError::NotFound)?;
    let form = form.unwrap_or_else(
        || serde_json::json!({"role": account.role, "department": account.department_code}),
    );
    let departments = departments(state).await?;
    pages.render_status(
        &page,
        status,
        "admin_user.html",
        context! {
            account => context! {
                username => account.username, display_name => account.display_name,
                role => account.role, department_code => account.department_code,
                active => account.active, absent => account.absent,
            },
            myself, departments, roles => roles(), form, error, done, username,
        },
    )
}

#[get("/staff/admin/users/{username}")]
pub async fn edit_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    username: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    render_edit(
        &req,
        &pages,
        &state,
        staff,
        username.into_inner(),
        StatusCode::OK,
        None,
        None,
        query.flag(),
    )
    .await
}

/// `role` (role and department), `password`, `activate` or `deactivate`.
#[post("/staff/admin/users/{username}/{op}")]
pub async fn change(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let (username, op) = path.into_inner();
    let (by, who) = (staff.clone(), username.clone());
    let outcome = match op.as_str() {
        "role" => {
            let (role, department) = (sent.text("role"), sent.get("department").map(str::to_owned));
            db::run(&state.pool, move |conn| {
                uc::change_role(conn, &by, &who, &role, department.as_deref())
            })
            .await
            .map(|_| "user_role")
        }
        "password" => {
            let password = sent.fields.get("password").cloned().unwrap_or_default();
            db::run(&state.pool, move |conn| {
                uc::reset_password(conn, &by, &who, &password)
            })
            .await
            .map(|_| "user_password")
        }
        "activate" | "deactivate" => {
            let active = op == "activate";
            db::run(&state.pool, move |conn| {
                uc::set_user_active(conn, &by, &who, active)
            })
            .await
            .map(|_| {
                if active {
                    "user_activated"
                } else {
                    "user_deactivated"
                }
            })
        }
        _ => return Err(PageError::NotFound),
    };
    match outcome {
        Ok(flag) => {
            tracing::info!(username = %username, change = flag, by = %staff.username, "account changed on the web");
            Ok(done(
                &format!("/staff/admin/users/{}", urlencode(&username)),
                flag,
            ))
        }
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_edit(
                &req,
                &pages,
                &state,
                staff,
                username,
                status,
                Some(form),
                Some(problem),
                None,
            )
            .await
        }
    }
}
