//! The resident's pages: file an appeal (`/`), the receipt, track it (`/track`) and rate the
//! result (`/follow-up/{token}`). No login: the tracking number and access code are the key.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::session::check_csrf;
use super::upload::{PHOTO_FIELD, read_filing};
use super::{PageContext, PageError, Pages, field};
use crate::api::now;
use crate::db::{self, reference};
use crate::domain::audit::canonical_json;
use crate::domain::ids::TrackingNo;
use crate::domain::intake::IntakeRequest;
use crate::startup::AppState;
use crate::workflow::{self, Answers, IdempotencyKey};

type Form = web::Form<HashMap<String, String>>;

#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
    parent: String,
}

/// What the filing form offers: leaf categories by path, and the division tree by level.
#[derive(Serialize)]
struct FormChoices {
    categories: Vec<Choice>,
    districts: Vec<Choice>,
    streets: Vec<Choice>,
    communities: Vec<Choice>,
}

async fn choices(state: &AppState) -> Result<FormChoices, PageError> {
    Ok(db::run(&state.pool, |conn| {
        let categories = reference::list_categories(conn)?;
        let divisions = reference::list_divisions(conn)?;
        Ok((categories, divisions))
    })
    .await
    .map(|(categories, divisions)| {
        let name_of: HashMap<&str, &str> = categories
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let has_children: std::collections::HashSet<&str> = categories
            .iter()
            .filter_map(|c| c.parent_code.as_deref())
            .collect();
        let path = |code: &str| -> String {
            let mut parts = Vec::new();
            let mut at = Some(code);
            while let Some(c) = at {
                parts.push(name_of.get(c).copied().unwrap_or(c));
                at = categories
                    .iter()
                    .find(|x| x.code == c)
                    .and_then(|x| x.parent_code.as_deref());
            }
            parts.reverse();
            parts.join(" › ")
        };
        let leaves = categories
            .iter()
            .filter(|c| c.active && !has_children.contains(c.code.as_str()))
            .map(|c| Choice {
                code: c.code.clone(),
                name: path(&c.code),
                parent: String::new(),
            })
            .collect();
        let level_of = |parents: &std::collections::HashSet<String>| -> Vec<Choice> {
            divisions
                .iter()
                .filter(|d| d.parent_code.as_ref().is_some_and(|p| parents.contains(p)))
                .map(|d| Choice {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    parent: d.parent_code.clone().unwrap_or_default(),
                })
                .collect()
        };
        let roots = divisions
            .iter()
            .filter(|d| d.parent_code.is_none())
            .map(|d| d.code.clone())
            .collect();
        let districts = level_of(&roots);
        let streets = level_of(&districts.iter().map(|d| d.code.clone()).collect());
        let communities = level_of(&streets.iter().map(|d| d.code.clone()).collect());
        FormChoices {
            categories: leaves,
            districts,
            streets,
            communities,
        }
    })?)
}

fn new_form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 我要反映: the filing form.
#[get("/")]
pub async fn home(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let choices = choices(&state).await?;
    pages.render(
        &page,
        "file.html",
        context! {
            choices,
            form => HashMap::from([("appellant_kind", "citizen"), ("kind", "complaint")]),
            form_key => new_form_key(),
            photo_limits => photo_limits(&state),
        },
    )
}

/// The photo limits as the form states them.
fn photo_limits(state: &AppState) -> minijinja::Value {
    let limits = state.photos;
    context! {
        max_count => limits.max_count,
        max_bytes => limits.max_bytes,
        mb => crate::domain::photo::megabytes(limits.max_bytes),
    }
}

/// The category code a picker value starts with ("03.01.01 城乡建设 › …" or just the code).
fn category_code(raw: &str) -> String {
    raw.split_whitespace().next().unwrap_or("").to_owned()
}

/// Files the appeal with its photos, or shows the form again with the input kept and the
/// problem named beside its field.
#[post("/")]
pub async fn file(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let filing = read_filing(&req, payload, &state.photos, state.body_limit_bytes).await?;
    let form = filing.form;
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let again = |field_name: String, message: String| Again {
        field_name,
        message,
        photos_sent: filing.photos_sent,
    };
    let text = |name: &str| field(&form, name).map(str::to_owned);
    let division = text("community")
        .or_else(|| text("street"))
        .or_else(|| text("district"))
        .unwrap_or_default();
    let enterprise = text("appellant_kind").as_deref() == Some("enterprise");
    let body = serde_json::json!({
        "appellant_kind": text("appellant_kind").unwrap_or_default(),
        "kind": text("kind").unwrap_or_default(),
        "channel": "web",
        "title": text("title").unwrap_or_default(),
        "content": text("content").unwrap_or_default(),
        "category_code": text("category").map(|c| category_code(&c)),
        "division_code": division,
        "address": text("address"),
        "name": text("name").unwrap_or_default(),
        "phone": text("phone").unwrap_or_default(),
        "email": text("email"),
        "enterprise_name": if enterprise { text("enterprise_name") } else { None },
        "credit_code": if enterprise { text("credit_code") } else { None },
        "confidential": form.contains_key("confidential"),
    });
    let problem = match serde_json::from_value::<IntakeRequest>(body.clone()) {
        Err(e) => Err(("kind".to_owned(), e.to_string())),
        Ok(intake) => intake
            .validate()
            .map_err(|e| (e.field.to_owned(), e.message)),
    };
    let valid = match problem {
        Ok(valid) => valid,
        Err((field_name, message)) => {
            return show_again(&pages, &state, &page, &form, again(field_name, message)).await;
        }
    };
    if let Some(problem) = &filing.photo_problem {
        let code = problem.code();
        tracing::info!(problem = code, "photo refused on the web form");
        return show_again(
            &pages,
            &state,
            &page,
            &form,
            again(code.to_owned(), problem.to_string()),
        )
        .await;
    }
    let photos = filing.photos;
    // the form's own key: a second click or a reload of the POST files nothing twice; the
    // photos are part of what the key stands for (a form without photos hashes as it always did)
    let mut hashed = body;
    if !photos.is_empty() {
        hashed["photos"] = photos.iter().map(|p| p.sha256.as_str()).collect();
    }
    let idempotency = field(&form, "form_key").map(|k| IdempotencyKey {
        key: format!("web-{k}"),
        request_hash: hex::encode(Sha256::digest(canonical_json(&hashed).as_bytes())),
    });
    let wf = state.workflow.clone();
    let photo_count = photos.len();
    let filed = db::run(&state.pool, move |conn| {
        workflow::intake_with_photos(conn, &wf, &valid, &photos, idempotency.as_ref(), now())
    })
    .await;
    let filed = match filed {
        Ok(f) => f,
        Err(crate::error::AppError::Unprocessable { field, message, .. }) => {
            let field_name = field.unwrap_or_default();
            return show_again(&pages, &state, &page, &form, again(field_name, message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(tracking_no = %filed.appeal.tracking_no, photos = photo_count, replayed = filed.replayed, "appeal filed on the web form");
    pages.render(
        &page,
        "receipt.html",
        context! {
            tracking_no => filed.appeal.tracking_no,
            access_code => filed.access_code,
            photo_count,
        },
    )
}

/// Why the form is shown again.
struct Again {
    /// the form field (or, for a photo, the problem's code: `photo_too_large`, …)
    field_name: String,
    message: String,
    /// photos were chosen: a file input cannot be filled again, so the page asks for them again
    photos_sent: bool,
}

/// The form again, with what was typed and the problem beside its field (422).
async fn show_again(
    pages: &Pages,
    state: &AppState,
    page: &PageContext,
    form: &HashMap<String, String>,
    again: Again,
) -> Result<HttpResponse, PageError> {
    // the division is asked for in three pickers; point at the first; a photo's problem is
    // said beside the file input
    let (field_name, photo_problem) = match again.field_name.as_str() {
        "division_code" => ("district", None),
        "category_code" => ("category", None),
        code if code.starts_with("photo_") => (PHOTO_FIELD, Some(code)),
        other => (other, None),
    };
    let message = again.message.as_str();
    let choices = choices(state).await?;
    let mut kept = form.clone();
    kept.remove("csrf");
    pages.render_status(
        page,
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "file.html",
        context! {
            choices,
            form => kept,
            form_key => form.get("form_key").cloned().unwrap_or_else(new_form_key),
            error => context! { field => field_name, message => message, photo_problem },
            photo_limits => photo_limits(state),
            photos_again => again.photos_sent,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct TrackQuery {
    tracking_no: Option<String>,
}

/// 查询进度: the form.
#[get("/track")]
pub async fn track_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    query: web::Query<TrackQuery>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    pages.render(
        &page,
        "track.html",
        context! { tracking_no => query.into_inner().tracking_no },
    )
}

/// The link in e-mails: the form with the number filled in.
#[get("/track/{tracking_no}")]
pub async fn track_number(
    req: HttpRequest,
    pages: web::Data<Pages>,
    number: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    pages.render(
        &page,
        "track.html",
        context! { tracking_no => number.into_inner() },
    )
}

/// The appeal as its appellant sees it. The code travels in the body, never in the address.
#[post("/track")]
pub async fn track_lookup(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let form = form.into_inner();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let number = field(&form, "tracking_no").unwrap_or("").to_uppercase();
    let code = field(&form, "access_code").unwrap_or("").to_owned();
    let not_found = |pages: &Pages| {
        pages.render_status(
            &page,
            actix_web::http::StatusCode::NOT_FOUND,
            "track.html",
            context! { tracking_no => &number, error => true },
        )
    };
    let Ok(tracking_no) = number.parse::<TrackingNo>() else {
        return not_found(&pages);
    };
    let wf = state.workflow.clone();
    let relook = context! { tracking_no => tracking_no.to_string(), access_code => &code };
    let view = db::run(&state.pool, move |conn| {
        crate::api::appeals::appellant_view(conn, &wf, &tracking_no, &code)
    })
    .await;
    match view {
        Ok(view) => {
            let mut shown = pages.render(
                &page,
                "appeal_public.html",
                context! { appeal => view, relook },
            )?;
            // the page holds the access code (for the language switch): kept by no cache
            shown.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(shown)
        }
        Err(crate::error::AppError::NotFound(_)) => not_found(&pages),
        Err(e) => Err(e.into()),
    }
}

/// The follow-up link from the e-mail: the form to rate the result.
#[get("/follow-up/{token}")]
pub async fn follow_up_page(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let token = token.into_inner();
    let wf = state.workflow.clone();
    let t = token.clone();
    let found = db::run(&state.pool, move |conn| {
        let (appeal, _, expires) = workflow::follow_up_link_appeal(conn, &wf, &t, now())?;
        Ok((appeal.tracking_no, appeal.title, expires))
    })
    .await;
    match found {
        Ok((tracking_no, title, expires)) => pages.render(
            &page,
            "appeal_public.html",
            context! {
                appeal => context! { tracking_no, title, status => "resolved", follow_up_token => token, follow_up_due_at => expires },
                only_follow_up => true,
            },
        ),
        Err(e) => link_problem(&pages, &page, e),
    }
}

/// A link that is used, expired or not one of ours: said on a page, not as an error code.
fn link_problem(
    pages: &Pages,
    page: &PageContext,
    e: crate::error::AppError,
) -> Result<HttpResponse, PageError> {
    use crate::error::AppError;
    let status = match &e {
        AppError::Gone(_) => actix_web::http::StatusCode::GONE,
        AppError::Conflict(_) => actix_web::http::StatusCode::CONFLICT,
        AppError::BadRequest { .. } | AppError::NotFound(_) => {
            actix_web::http::StatusCode::BAD_REQUEST
        }
        _ => return Err(e.into()),
    };
    pages.render_status(
        page,
        status,
        "error.html",
        context! { message => e.to_string() },
    )
}

/// Records the appellant's rating.
#[post("/follow-up/{token}")]
pub async fn follow_up_answer(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let form = form.into_inner();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let yes = |name: &str| field(&form, name) == Some("yes");
    let Some(satisfaction) = field(&form, "satisfaction").and_then(|s| s.parse().ok()) else {
        return pages.render_status(
            &page,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "appeal_public.html",
            context! {
                appeal => context! { status => "resolved", follow_up_token => token.into_inner() },
                only_follow_up => true,
                error => context! { field => "satisfaction" },
            },
        );
    };
    let answers = Answers {
        contacted: yes("contacted"),
        solved: yes("solved"),
        satisfaction,
        comment: field(&form, "comment").map(str::to_owned),
    };
    let wf = state.workflow.clone();
    let token = token.into_inner();
    let done = db::run(&state.pool, move |conn| {
        workflow::answer_follow_up_link(conn, &wf, &token, &answers, now())
    })
    .await;
    match done {
        Ok(appeal) => pages.render(
            &page,
            "appeal_public.html",
            context! { appeal => context! { tracking_no => appeal.tracking_no, title => appeal.title, status => appeal.status }, thanks => true },
        ),
        Err(e) => link_problem(&pages, &page, e),
    }
}
