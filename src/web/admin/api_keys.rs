//! 接口密钥: the keys of integrations (Open311 clients). The list (prefix, name, when issued and
//! last used, revoked or not), a form to issue one — the key is shown on the answering page
//! only, never again — and a button to revoke one. The same use cases as `POST /api/v1/api-keys`
//! and `minxin apikey` (`open311::keys`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::api::now;
use crate::auth::Claims;
use crate::db::{self, open311 as store};
use crate::open311::keys::{self, Issuer};
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages};

type Pairs = web::Form<Vec<(String, String)>>;

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
    issued: Option<(String, String)>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let rows = db::run(&state.pool, |conn| Ok(store::list_keys(conn)?)).await?;
    let keys: Vec<_> = rows
        .into_iter()
        .map(|k| {
            context! {
                id => k.id.to_string(), name => k.name, prefix => k.key_prefix,
                created_at => k.created_at.to_rfc3339(),
                last_used_at => k.last_used_at.map(|t| t.to_rfc3339()),
                revoked_at => k.revoked_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect();
    let issued = issued.map(|(name, key)| context! { name, key });
    pages.render_status(
        &page,
        status,
        "admin_api_keys.html",
        context! { keys, form, error, issued, done },
    )
}

#[get("/staff/admin/api-keys")]
pub async fn list(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    render(
        &req,
        &pages,
        &state,
        staff,
        StatusCode::OK,
        serde_json::json!({}),
        None,
        None,
        query.flag(),
    )
    .await
}

/// Issues a key and shows it, this once (no redirect: the key is not kept to show again).
#[post("/staff/admin/api-keys")]
pub async fn issue(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let name = sent.text("name");
    let by = staff.clone();
    let outcome = db::run(&state.pool, move |conn| {
        keys::issue(conn, &name, &Issuer::staff(&by), now())
    })
    .await;
    match outcome {
        Ok(issued) => {
            tracing::info!(key = %issued.view.key_prefix, name = %issued.view.name, "API key issued");
            let mut response = render(
                &req,
                &pages,
                &state,
                staff,
                StatusCode::OK,
                serde_json::json!({}),
                None,
                Some((issued.view.name, issued.api_key)),
                None,
            )
            .await?;
            // the key is on this page only: no cache may keep it
            response.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render(
                &req,
                &pages,
                &state,
                staff,
                status,
                form,
                Some(problem),
                None,
                None,
            )
            .await
        }
    }
}

#[post("/staff/admin/api-keys/{id}/revoke")]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    Sent::checked(&req, form.into_inner())?;
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    db::run(&state.pool, move |conn| {
        keys::revoke(conn, id, &Issuer::staff(&staff), now())
    })
    .await?;
    Ok(done("/staff/admin/api-keys", "key_revoked"))
}
