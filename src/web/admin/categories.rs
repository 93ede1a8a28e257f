//! 问题分类: the tree (indented by depth, the inactive ones too), a top-level category added
//! from it, and one category's page: rename, add a subcategory, switch on or off.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::admin as uc;
use crate::auth::Claims;
use crate::db::{self, reference};
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages, urlencode};

type Pairs = web::Form<Vec<(String, String)>>;

/// The depth of a category code: `03` → 0, `03.01` → 1, `03.01.01` → 2.
fn depth(code: &str) -> usize {
    code.matches('.').count()
}

async fn render_tree(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let categories = db::run(&state.pool, |conn| {
        Ok(reference::all_categories(conn)?
            .into_iter()
            .map(|c| {
                context! { depth => depth(&c.code), code => c.code, name => c.name, active => c.active }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    pages.render_status(
        &page,
        status,
        "admin_categories.html",
        context! { categories, form, error },
    )
}

#[get("/staff/admin/categories")]
pub async fn tree(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    render_tree(
        &req,
        &pages,
        &state,
        staff,
        StatusCode::OK,
        serde_json::json!({}),
        None,
    )
    .await
}

/// A new top-level category.
#[post("/staff/admin/categories")]
pub async fn add_top(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let (code, name, by) = (sent.text("code"), sent.text("name"), staff.clone());
    let outcome = db::run(&state.pool, move |conn| {
        uc::add_category(conn, &by, None, &code, &name)
    })
    .await;
    match outcome {
        Ok(c) => Ok(done(
            &format!("/staff/admin/categories/{}", urlencode(&c.code)),
            "category_added",
        )),
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_tree(&req, &pages, &state, staff, status, form, Some(problem)).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_node(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    code: String,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let wanted = code.clone();
    let (category, children) = db::run(&state.pool, move |conn| {
        let all = reference::all_categories(conn)?;
        let children: Vec<_> = all
            .iter()
            .filter(|c| c.parent_code.as_deref() == Some(wanted.as_str()))
            .map(|c| context! { code => c.code, name => c.name, active => c.active })
            .collect();
        let category = all.into_iter().find(|c| c.code == wanted);
        Ok((category, children))
    })
    .await?;
    let category = category.ok_or(PageError::NotFound)?;
    pages.render_status(
        &page,
        status,
        "admin_category.html",
        context! {
            category => context! { code => category.code, name => category.name, parent_code => category.parent_code, active => category.active },
            children, form, error, done, code,
        },
    )
}

#[get("/staff/admin/categories/{code}")]
pub async fn node(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    render_node(
        &req,
        &pages,
        &state,
        staff,
        code.into_inner(),
        StatusCode::OK,
        serde_json::json!({}),
        None,
        query.flag(),
    )
    .await
}

/// `rename`, `add` (a subcategory), `activate` or `deactivate`.
#[post("/staff/admin/categories/{code}/{op}")]
pub async fn change(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let (code, op) = path.into_inner();
    let (by, which) = (staff.clone(), code.clone());
    let (name, child, child_name) = (
        sent.text("name"),
        sent.text("child_code"),
        sent.text("child_name"),
    );
    let outcome = match op.as_str() {
        "rename" => {
            db::run(&state.pool, move |conn| {
                uc::rename_category(conn, &by, &which, &name)?;
                Ok(("category_renamed", which))
            })
            .await
        }
        "add" => {
            db::run(&state.pool, move |conn| {
                let c = uc::add_category(conn, &by, Some(&which), &child, &child_name)
                    .map_err(|e| rename_field(e, "code", "child_code"))
                    .map_err(|e| rename_field(e, "name", "child_name"))?;
                Ok(("category_added", c.code))
            })
            .await
        }
        "activate" | "deactivate" => {
            let active = op == "activate";
            db::run(&state.pool, move |conn| {
                uc::set_category_active(conn, &by, &which, active)?;
                Ok((
                    if active {
                        "category_activated"
                    } else {
                        "category_deactivated"
                    },
                    which,
                ))
            })
            .await
        }
        _ => return Err(PageError::NotFound),
    };
    match outcome {
        Ok((flag, shown)) => Ok(done(
            &format!("/staff/admin/categories/{}", urlencode(&shown)),
            flag,
        )),
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render_node(
                &req,
                &pages,
                &state,
                staff,
                code,
                status,
                form,
                Some(problem),
                None,
            )
            .await
        }
    }
}

/// The page has two forms with a name field: a refusal names the one it came from.
pub(super) fn rename_field(
    e: crate::error::AppError,
    from: &str,
    to: &str,
) -> crate::error::AppError {
    match e {
        crate::error::AppError::Unprocessable {
            code,
            message,
            field: Some(f),
        } if f == from => crate::error::AppError::Unprocessable {
            code,
            message,
            field: Some(to.to_owned()),
        },
        other => other,
    }
}
