//! Staff pages: login and logout, the clerk's workbench (the department's queue in tabs) and
//! the appeal page with the actions its state allows.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use uuid::Uuid;

use super::session::{check_csrf, expired_session_cookie, require_staff, session_cookie};
use super::{PageContext, PageError, Pages, field, safe_next};
use crate::api::appeals::{
    photo_of, photo_response, staff_view, view_after_action, visible_appeal,
};
use crate::api::now;
use crate::api::views::AppealSummary;
use crate::auth::{Claims, JwtKeys};
use crate::db::{self, appeals as q, users};
use crate::domain::enums::{Role, Visibility};
use crate::domain::lifecycle::{self, Action, Actor};
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow::{self, ActionRequest};

type Form = web::Form<HashMap<String, String>>;

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

#[get("/staff/login")]
pub async fn login_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, None);
    let q = query.into_inner();
    pages.render(
        &page,
        "login.html",
        context! { next => safe_next(q.next.as_deref()), expired => q.expired.is_some() },
    )
}

/// Checks the password (the same accounts and rules as `POST /api/v1/auth/login`) and puts the
/// token in the session cookie.
#[post("/staff/login")]
pub async fn login(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, None);
    let form = form.into_inner();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let next = safe_next(field(&form, "next"));
    let username = field(&form, "username").unwrap_or("").to_owned();
    let given = form.get("password").cloned().unwrap_or_default();
    let name = username.clone();
    let lockout = state.lockout;
    let checked = db::run(&state.pool, move |conn| {
        Ok(users::check_login(
            conn,
            &name,
            &given,
            lockout,
            chrono::Utc::now(),
        )?)
    })
    .await?;
    let user = match checked {
        users::LoginCheck::Ok(user) => user,
        users::LoginCheck::Wrong => {
            return pages.render_status(
                &page,
                StatusCode::UNAUTHORIZED,
                "login.html",
                context! { next, username, failed => true },
            );
        }
        users::LoginCheck::Locked(until) => {
            let (secs, minutes) = users::lock_remaining(until, chrono::Utc::now());
            let mut response = pages.render_status(
                &page,
                StatusCode::TOO_MANY_REQUESTS,
                "login.html",
                context! { next, username, locked_minutes => minutes },
            )?;
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(secs),
            );
            return Ok(response);
        }
    };
    let (token, claims) = keys.issue_for(&user).map_err(PageError::Unexpected)?;
    let role = claims.role;
    tracing::info!(username = %user.username, role = %role, "staff login (web)");
    Ok(HttpResponse::SeeOther()
        .cookie(session_cookie(
            &token,
            keys.ttl().num_minutes(),
            pages.secure_cookies,
        ))
        .insert_header((header::LOCATION, next))
        .finish())
}

#[post("/staff/logout")]
pub async fn logout(
    req: HttpRequest,
    pages: web::Data<Pages>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    Ok(HttpResponse::SeeOther()
        .cookie(expired_session_cookie(pages.secure_cookies))
        .insert_header((header::LOCATION, "/staff/login"))
        .finish())
}

#[get("/staff")]
pub async fn home(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    Ok(role_home(&staff))
}

/// To the page a role starts from.
fn role_home(staff: &Claims) -> HttpResponse {
    let to = match staff.role {
        Role::Clerk => "/staff/queue",
        Role::Supervisor => "/staff/dashboard",
        _ => "/staff/pool",
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn is_centre(staff: &Claims) -> bool {
    matches!(
        staff.role,
        Role::Dispatcher | Role::Supervisor | Role::Admin
    )
}

#[derive(serde::Deserialize)]
pub struct PoolQuery {
    page: Option<i64>,
}

/// 问题池: appeals waiting for a dispatcher — new ones no rule routed, ones a rule held, and
/// returned ones — oldest first, with why each is there and the time left to dispatch it.
#[get("/staff/pool")]
pub async fn pool(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<PoolQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    if !is_centre(&staff) {
        return Err(PageError::Forbidden(
            "only hotline-centre staff work the pool".into(),
        ));
    }
    let page = PageContext::of(&req, Some(staff));
    let number = query.into_inner().page.unwrap_or(1).clamp(1, 10_000);
    let result = db::run(&state.pool, move |conn| {
        Ok(q::pool(conn, PER_PAGE, (number - 1) * PER_PAGE)?)
    })
    .await?;
    let items: Vec<AppealSummary> = result
        .items
        .into_iter()
        .map(|a| AppealSummary::of(a, None))
        .collect();
    let pages_total = (result.total + PER_PAGE - 1) / PER_PAGE;
    pages.render(
        &page,
        "pool.html",
        context! { items, page => number, pages_total, total => result.total },
    )
}

/// The workbench's tabs.
const TABS: [&str; 7] = [
    "to_sign",
    "in_progress",
    "due_soon",
    "overdue",
    "suspended",
    "awaiting_co",
    "all",
];

#[derive(serde::Deserialize)]
pub struct QueueQuery {
    tab: Option<String>,
    page: Option<i64>,
    sort: Option<String>,
}

/// The workbench's orders (`?sort=`), the first the default.
const SORTS: [&str; 3] = ["deadline", "deadline_last", "newest"];

const PER_PAGE: i64 = 20;

/// 工作台: the department's appeals by tab, the most pressing reply deadline first.
#[get("/staff/queue")]
pub async fn queue(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    let page = PageContext::of(&req, Some(staff.clone()));
    let q = query.into_inner();
    let tab = q
        .tab
        .filter(|t| TABS.contains(&t.as_str()))
        .unwrap_or_else(|| "to_sign".into());
    let number = q.page.unwrap_or(1).clamp(1, 10_000);
    let sort = q
        .sort
        .filter(|s| SORTS.contains(&s.as_str()))
        .unwrap_or_else(|| SORTS[0].into());
    let order = match sort.as_str() {
        "deadline_last" => q::QueueOrder::DeadlineLast,
        "newest" => q::QueueOrder::NewestFirst,
        _ => q::QueueOrder::DeadlineFirst,
    };
    let Some(department) = staff
        .department
        .clone()
        .filter(|_| staff.role == Role::Clerk)
    else {
        // the workbench is a clerk's; the hotline centre's roles have their own pages
        return Ok(role_home(&staff));
    };
    let at = now();
    let open = || vec!["dispatched".to_owned(), "in_progress".to_owned()];
    let (statuses, due): (Vec<String>, q::Due) = match tab.as_str() {
        "to_sign" => (vec!["dispatched".into()], q::Due::Any),
        "in_progress" => (vec!["in_progress".into()], q::Due::Any),
        "due_soon" => (open(), q::Due::Between(at, at + Duration::hours(24))),
        "overdue" => (open(), q::Due::Before(at)),
        "suspended" => (vec!["suspended".into()], q::Due::Any),
        "awaiting_co" => (
            vec![
                "dispatched".into(),
                "in_progress".into(),
                "suspended".into(),
            ],
            q::Due::Any,
        ),
        _ => (Vec::new(), q::Due::Any),
    };
    let awaiting_co = tab == "awaiting_co";
    let (result, department_name) = db::run(&state.pool, move |conn| {
        let name = crate::db::reference::find_department(conn, &department)?.map(|d| d.name);
        let page = q::queue(
            conn,
            &department,
            &statuses,
            due,
            awaiting_co,
            order,
            PER_PAGE,
            (number - 1) * PER_PAGE,
        )?;
        Ok((page, name))
    })
    .await?;
    let items: Vec<AppealSummary> = result
        .items
        .into_iter()
        .map(|(a, role)| AppealSummary::of(a, Some(role)))
        .collect();
    let pages_total = (result.total + PER_PAGE - 1) / PER_PAGE;
    pages.render(
        &page,
        "queue.html",
        context! { items, tab, tabs => TABS, sort, sorts => SORTS, page => number, pages_total, total => result.total, department_name },
    )
}

/// The actions the appeal page may offer, in the order shown; which of them it does is the
/// state machine's answer for the viewer.
const OFFERED: [&str; 10] = [
    "dispatch",
    "sign",
    "reply",
    "note",
    "suspend",
    "resume",
    "extension",
    "return",
    "merge",
    "reject",
];

fn action_of(name: &str) -> Option<Action> {
    Some(match name {
        "sign" => Action::Sign,
        "reply" => Action::Reply,
        "note" => Action::Note,
        "suspend" => Action::Suspend,
        "resume" => Action::Resume,
        "extension" => Action::Extension,
        "return" => Action::Return,
        "dispatch" => Action::Dispatch,
        "merge" => Action::Merge,
        "reject" => Action::Reject,
        _ => return None,
    })
}

/// What the appeal page shows the hotline centre besides the appeal: where the rules would send
/// it and why, probable duplicates, and the departments to choose from.
#[derive(serde::Serialize, Default)]
struct CentreView {
    explanation: Option<crate::domain::routing::Explanation>,
    duplicates: Vec<crate::api::duplicates::DuplicateView>,
    departments: Vec<(String, String)>,
}

/// The appeal as the staff member may see it, which of [`OFFERED`] its state allows them, and
/// for the hotline centre the dispatching aids.
async fn load(
    state: &AppState,
    id: Uuid,
    staff: &Claims,
) -> Result<
    (
        crate::api::views::StaffAppeal,
        Vec<&'static str>,
        Option<CentreView>,
        HashMap<String, String>,
    ),
    AppError,
> {
    let wf = state.workflow.clone();
    let staff = staff.clone();
    db::run(&state.pool, move |conn| {
        let visible = visible_appeal(conn, id, &staff)?;
        let cal = wf.calendar.current(conn)?;
        let mut facts = visible.facts.clone();
        facts.return_by = visible
            .appeal
            .dispatched_at
            .map(|d| wf.deadlines.return_by(&cal, d, &[]));
        let actor = Actor {
            role: staff.role,
            department: staff.department.clone(),
        };
        let at = now();
        let allowed = OFFERED
            .into_iter()
            .filter(|name| {
                action_of(name).is_some_and(|a| lifecycle::plan(a, &actor, &facts, at).is_ok())
            })
            .collect();
        let centre = if is_centre(&staff) && visible.appeal.status == "submitted" {
            Some(centre_view(conn, &wf, &visible.appeal)?)
        } else {
            None
        };
        let names = crate::db::reference::department_names(conn)?;
        Ok((staff_view(conn, id, &staff)?, allowed, centre, names))
    })
    .await
}

fn centre_view(
    conn: &mut diesel::PgConnection,
    wf: &workflow::Workflow,
    appeal: &crate::db::models::Appeal,
) -> Result<CentreView, AppError> {
    use crate::domain::duplicates as dup;
    let book = wf.rules.current(conn)?;
    let explanation = crate::api::routing::sample_of_appeal(appeal)
        .ok()
        .map(|sample| book.explain(&sample));
    let duplicates = crate::db::duplicates::probable(
        conn,
        &crate::db::duplicates::Search {
            appeal,
            closed_since: dup::duplicate_closed_since(now()),
            threshold: dup::DUPLICATE_SIMILARITY_THRESHOLD,
            limit: dup::DUPLICATE_LIMIT,
        },
    )?
    .into_iter()
    .map(crate::api::duplicates::DuplicateView::from)
    .collect();
    let departments = crate::db::reference::list_departments(conn, true)?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    Ok(CentreView {
        explanation,
        duplicates,
        departments,
    })
}

#[derive(serde::Deserialize)]
pub struct AppealQuery {
    done: Option<String>,
}

#[get("/staff/appeals/{id}")]
pub async fn appeal_page(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<AppealQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    let page = PageContext::of(&req, Some(staff.clone()));
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let (view, allowed, centre, names) = load(&state, id, &staff).await?;
    let done = query
        .into_inner()
        .done
        .filter(|d| OFFERED.contains(&d.as_str()));
    pages.render(
        &page,
        "appeal_staff.html",
        context! { appeal => view, allowed, done, centre, names },
    )
}

/// A `datetime-local` value in Beijing time.
fn beijing(raw: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").ok()?;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn request_of(
    action: &str,
    form: &HashMap<String, String>,
    co_departments: Vec<String>,
    primary: Option<Uuid>,
) -> Result<ActionRequest, String> {
    let text = |name: &str| field(form, name).map(str::to_owned);
    let needed = |name: &'static str| text(name).ok_or(name);
    Ok(match action {
        "sign" => ActionRequest::Sign,
        "reply" => ActionRequest::Reply {
            content: needed("content").map_err(str::to_owned)?,
        },
        "note" => ActionRequest::Note {
            content: needed("content").map_err(str::to_owned)?,
            visibility: Visibility::Internal,
        },
        "suspend" => ActionRequest::Suspend {
            reason: needed("reason").map_err(str::to_owned)?,
        },
        "resume" => ActionRequest::Resume {
            reason: text("reason"),
        },
        "return" => ActionRequest::Return {
            reason: needed("reason").map_err(str::to_owned)?,
        },
        "extension" => ActionRequest::Extension {
            until: text("until")
                .as_deref()
                .and_then(beijing)
                .ok_or_else(|| "until".to_owned())?,
            reason: needed("reason").map_err(str::to_owned)?,
        },
        "dispatch" => ActionRequest::Dispatch {
            lead_department_code: needed("lead_department_code").map_err(str::to_owned)?,
            co_department_codes: co_departments,
            deadline_class: match text("deadline_class") {
                None => None,
                Some(c) => Some(c.parse().map_err(|_| "deadline_class".to_owned())?),
            },
            reply_due_at: None,
            note: text("note"),
        },
        "reject" => ActionRequest::Reject {
            reason: needed("reason").map_err(str::to_owned)?,
            disposition: text("disposition")
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| "disposition".to_owned())?,
        },
        "merge" => ActionRequest::Merge {
            primary_id: primary.ok_or_else(|| "primary".to_owned())?,
            reason: text("reason"),
        },
        _ => return Err("action".into()),
    })
}

/// One action from the appeal page; then back to the page saying what happened (or, refused,
/// the page again saying why, with what was typed kept).
#[post("/staff/appeals/{id}/{action}")]
pub async fn act(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    let pairs = pairs.into_inner();
    // a multiple choice (co-handlers) comes as repeated names
    let co_departments: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| k == "co_department" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect();
    let form: HashMap<String, String> = pairs.into_iter().collect();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let (id, action) = path.into_inner();
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let action: &'static str = OFFERED
        .into_iter()
        .find(|a| *a == action)
        .ok_or(PageError::NotFound)?;
    let version = field(&form, "version").and_then(|v| v.parse::<i32>().ok());
    // the primary of a merge, by its tracking number (or id)
    let primary = match field(&form, "primary") {
        None => None,
        Some(p) => {
            let p = p.to_uppercase();
            match p.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => {
                    db::run(&state.pool, move |conn| {
                        Ok(q::find_by_tracking_no(conn, &p)?.map(|a| a.id))
                    })
                    .await?
                }
            }
        }
    };
    let outcome = match request_of(action, &form, co_departments, primary) {
        Err(missing) => Err(AppError::invalid(missing, "this field is required")),
        Ok(request) => {
            let wf = state.workflow.clone();
            let claims = staff.clone();
            db::run(&state.pool, move |conn| {
                let changed = workflow::act(conn, &wf, id, &claims, &request, version, now())?;
                view_after_action(conn, changed, &claims)
            })
            .await
        }
    };
    match outcome {
        Ok(_) => {
            tracing::info!(appeal = %id, action, username = %staff.username, "action on the web");
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/staff/appeals/{id}?done={action}"),
                ))
                .finish())
        }
        Err(e) => {
            let status = match &e {
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::Unprocessable { .. } | AppError::BadRequest { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                AppError::NotFound(_) => return Err(PageError::NotFound),
                _ => return Err(e.into()),
            };
            let page = PageContext::of(&req, Some(staff.clone()));
            let (view, allowed, centre, names) = load(&state, id, &staff).await?;
            let mut kept = form.clone();
            kept.remove("csrf");
            pages.render_status(
                &page,
                status,
                "appeal_staff.html",
                context! { appeal => view, allowed, centre, names, failed => context! { action, status => status.as_u16(), message => e.to_string() }, form => kept },
            )
        }
    }
}

/// A photo filed with the appeal, for staff who may see the appeal (the same check as the
/// page): another department's clerk gets 403, an unknown appeal or photo 404.
#[get("/staff/appeals/{id}/photos/{photo_id}")]
pub async fn photo(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let staff = require_staff(&req).await?;
    let (id, photo_id) = path.into_inner();
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let photo_id: Uuid = photo_id.parse().map_err(|_| PageError::NotFound)?;
    let found = db::run(&state.pool, move |conn| {
        photo_of(conn, id, photo_id, &staff)
    })
    .await?;
    Ok(photo_response(photo_id, found)?)
}
