//! 行政区划: the tree (city › district › street › community › grid, indented by level), and one
//! division's page: rename, add a child whose code nests in its own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::categories::rename_field;
use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::admin as uc;
use crate::auth::Claims;
use crate::db::{self, reference};
use crate::domain::reference::division_level_name;
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages};

type Pairs = web::Form<Vec<(String, String)>>;

#[get("/staff/admin/divisions")]
pub async fn tree(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let page = PageContext::of(&req, Some(staff));
    let mut rows = db::run(&state.pool, |conn| Ok(reference::list_divisions(conn)?)).await?;
    // depth first: a city's districts under it (a district's code is not its city's prefix)
    let mut ordered = Vec::with_capacity(rows.len());
    fn visit(
        parent: Option<&str>,
        rows: &mut Vec<crate::db::models::Division>,
        out: &mut Vec<crate::db::models::Division>,
    ) {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(rows)
            .into_iter()
            .partition(|d| d.parent_code.as_deref() == parent);
        *rows = rest;
        for d in mine {
            let code = d.code.clone();
            out.push(d);
            visit(Some(&code), rows, out);
        }
    }
    visit(None, &mut rows, &mut ordered);
    ordered.append(&mut rows); // orphans, if any, last
    let divisions: Vec<_> = ordered
        .into_iter()
        .map(|d| {
            context! {
                code => d.code, name => d.name, level => d.level,
                level_name => division_level_name(d.level), depth => (d.level - 1).max(0),
            }
        })
        .collect();
    pages.render(&page, "admin_divisions.html", context! { divisions })
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
    let (division, children) = db::run(&state.pool, move |conn| {
        let all = reference::list_divisions(conn)?;
        let children: Vec<_> = all
            .iter()
            .filter(|d| d.parent_code.as_deref() == Some(wanted.as_str()))
            .map(|d| context! { code => d.code, name => d.name })
            .collect();
        Ok((all.into_iter().find(|d| d.code == wanted), children))
    })
    .await?;
    let d = division.ok_or(PageError::NotFound)?;
    pages.render_status(
        &page,
        status,
        "admin_division.html",
        context! {
            division => context! {
                code => d.code, name => d.name, parent_code => d.parent_code, level => d.level,
                level_name => division_level_name(d.level),
                child_level_name => (d.level < 5).then(|| division_level_name(d.level + 1)),
            },
            children, form, error, done, code,
        },
    )
}

#[get("/staff/admin/divisions/{code}")]
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

/// `rename`, or `add` a child.
#[post("/staff/admin/divisions/{code}/{op}")]
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
                uc::rename_division(conn, &by, &which, &name)?;
                Ok(("division_renamed", which))
            })
            .await
        }
        "add" => {
            db::run(&state.pool, move |conn| {
                let d = uc::add_division(conn, &by, &which, &child, &child_name)
                    .map_err(|e| rename_field(e, "code", "child_code"))
                    .map_err(|e| rename_field(e, "name", "child_name"))?;
                Ok(("division_added", d.code))
            })
            .await
        }
        _ => return Err(PageError::NotFound),
    };
    match outcome {
        Ok((flag, shown)) => Ok(done(&format!("/staff/admin/divisions/{shown}"), flag)),
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
