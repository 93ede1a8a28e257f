//! 承办单位: the list, the add form beside it, and one department's edit form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::admin::{self as uc, DepartmentInput};
use crate::auth::Claims;
use crate::db::{self, reference};
use crate::domain::enums::DepartmentKind;
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages, urlencode};

type Pairs = web::Form<Vec<(String, String)>>;

fn kinds() -> Vec<&'static str> {
    DepartmentKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// Divisions to choose from: (code, name indented by its level).
async fn divisions(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(db::run(&state.pool, |conn| {
        Ok(reference::list_divisions(conn)?
            .into_iter()
            .map(|d| {
                let indent = "\u{3000}".repeat((d.level.max(1) - 1) as usize);
                (d.code, format!("{indent}{}", d.name))
            })
            .collect())
    })
    .await?)
}

#[allow(clippy::too_many_arguments)]
async fn render_list(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let departments = db::run(&state.pool, |conn| {
        Ok(reference::list_departments(conn, true)?
            .into_iter()
            .map(|d| {
                context! {
                    code => d.code, name => d.name, kind => d.kind, division_code => d.division_code,
                    email => d.email, active => d.active, auto_assign => d.auto_assign,
                }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let divisions = divisions(state).await?;
    pages.render_status(
        &page,
        status,
        "admin_departments.html",
        context! { departments, divisions, kinds => kinds(), form, error, done },
    )
}

#[get("/staff/admin/departments")]
pub async fn list(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let form = serde_json::json!({"active": "on", "kind": "city_bureau"});
    render_list(
        &req,
        &pages,
        &state,
        staff,
        StatusCode::OK,
        form,
        None,
        query.flag(),
    )
    .await
}

fn input_of(sent: &Sent) -> DepartmentInput {
    DepartmentInput {
        name: sent.text("name"),
        kind: sent.text("kind"),
        division_code: sent.text("division_code"),
        email: sent.get("email").map(str::to_owned),
        active: sent.on("active"),
        auto_assign: sent.on("auto_assign"),
    }
}

#[post("/staff/admin/departments")]
pub async fn add(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let code = sent.text("code");
    let input = input_of(&sent);
    let by = staff.clone();
    let outcome = db::run(&state.pool, move |conn| {
        uc::add_department(conn, &by, &code, &input)
    })
    .await;
    match outcome {
        Ok(d) => Ok(done(
            &format!("/staff/admin/departments/{}", urlencode(&d.code)),
            "department_added",
        )),
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_list(
                &req,
                &pages,
                &state,
                staff,
                status,
                form,
                Some(problem),
                None,
            )
            .await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_edit(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    code: String,
    status: StatusCode,
    form: Option<serde_json::Value>,
    error: Option<Problem>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let wanted = code.clone();
    let department = db::run(&state.pool, move |conn| {
        Ok(reference::find_department(conn, &wanted)?)
    })
    .await?
    .ok_or(PageError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        serde_json::json!({
            "name": department.name, "kind": department.kind,
            "division_code": department.division_code, "email": department.email,
            "active": if department.active { "on" } else { "" },
            "auto_assign": if department.auto_assign { "on" } else { "" },
        })
    });
    let divisions = divisions(state).await?;
    pages.render_status(
        &page,
        status,
        "admin_department.html",
        context! { code, divisions, kinds => kinds(), form, error, done },
    )
}

#[get("/staff/admin/departments/{code}")]
pub async fn edit_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    render_edit(
        &req,
        &pages,
        &state,
        staff,
        code.into_inner(),
        StatusCode::OK,
        None,
        None,
        query.flag(),
    )
    .await
}

#[post("/staff/admin/departments/{code}")]
pub async fn edit(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let code = code.into_inner();
    let input = input_of(&sent);
    let (by, which) = (staff.clone(), code.clone());
    let outcome = db::run(&state.pool, move |conn| {
        uc::edit_department(conn, &by, &which, &input)
    })
    .await;
    match outcome {
        Ok(_) => Ok(done(
            &format!("/staff/admin/departments/{}", urlencode(&code)),
            "department_saved",
        )),
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_edit(
                &req,
                &pages,
                &state,
                staff,
                code,
                status,
                Some(form),
                Some(problem),
                None,
            )
            .await
        }
    }
}
