//! Administration (issue 7, in part): the routing rule table (派单目录) in matching order, with a
//! "test this rule" box that shows, for a sample appeal, which rule decides and why each one
//! before it did not. Editing rules, departments, categories, divisions, users and calendars
//! is done through the API for now.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;

use super::session::{check_csrf, require_staff};
use super::{PageContext, PageError, Pages, field};
use crate::api::routing::RuleView;
use crate::auth::Claims;
use crate::db::{self, routing as store};
use crate::domain::enums::{AppealKind, AppellantKind, Channel, Role, Urgency};
use crate::domain::ids::china_offset;
use crate::domain::routing::Sample;
use crate::startup::AppState;

fn require_admin(req: &HttpRequest) -> Result<Claims, PageError> {
    let staff = require_staff(req)?;
    if staff.role != Role::Admin {
        return Err(PageError::Forbidden(
            "the rule table is for administrators".into(),
        ));
    }
    Ok(staff)
}

async fn render(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    sample: HashMap<String, String>,
    explanation: Option<crate::domain::routing::Explanation>,
    problem: Option<String>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let rules: Vec<RuleView> = db::run(&state.pool, |conn| Ok(store::current_rules(conn)?))
        .await?
        .into_iter()
        .map(RuleView::from)
        .collect();
    pages.render(
        &page,
        "admin_rules.html",
        context! { rules, sample, explanation, problem },
    )
}

#[get("/staff/admin/rules")]
pub async fn rules_page(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req)?;
    let sample = HashMap::from([
        ("appellant_kind".to_owned(), "citizen".to_owned()),
        ("kind".to_owned(), "complaint".to_owned()),
        ("channel".to_owned(), "web".to_owned()),
    ]);
    render(&req, &pages, &state, staff, sample, None, None).await
}

/// The test box: where would this sample appeal go, and why.
#[post("/staff/admin/rules/explain")]
pub async fn explain(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req)?;
    let form = form.into_inner();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let parsed = (|| -> Result<_, String> {
        let appellant_kind: AppellantKind = field(&form, "appellant_kind")
            .unwrap_or("citizen")
            .parse()
            .map_err(|_| "appellant_kind".to_owned())?;
        let kind: AppealKind = field(&form, "kind")
            .unwrap_or("complaint")
            .parse()
            .map_err(|_| "kind".to_owned())?;
        let channel: Channel = field(&form, "channel")
            .unwrap_or("web")
            .parse()
            .map_err(|_| "channel".to_owned())?;
        let division = field(&form, "division_code")
            .ok_or_else(|| "division_code".to_owned())?
            .to_owned();
        Ok((appellant_kind, kind, channel, division))
    })();
    let (appellant_kind, kind, channel, division) = match parsed {
        Ok(p) => p,
        Err(missing) => {
            return render(&req, &pages, &state, staff, form, None, Some(missing)).await;
        }
    };
    let category = field(&form, "category_code").map(str::to_owned);
    let title = field(&form, "title").unwrap_or("").to_owned();
    let content = field(&form, "content").unwrap_or("").to_owned();
    let wf = state.workflow.clone();
    let explanation = db::run(&state.pool, move |conn| {
        let book = wf.rules.current(conn)?;
        Ok(book.explain(&Sample {
            category_code: category.as_deref(),
            division_code: &division,
            appellant_kind,
            kind,
            channel,
            urgency: Urgency::Normal,
            title: &title,
            content: &content,
            local_date: chrono::Utc::now()
                .with_timezone(&china_offset())
                .date_naive(),
        }))
    })
    .await?;
    let mut kept = form;
    kept.remove("csrf");
    render(&req, &pages, &state, staff, kept, Some(explanation), None).await
}
