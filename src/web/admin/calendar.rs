//! The working calendar of a year: its holidays and make-up working days (调休), added and
//! removed through `api::calendar`'s use cases (the same checks, the calendar's version bumped
//! so every instance reloads it, the change recorded). Deadlines already set keep their
//! instants; the change applies to deadlines set from then on.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate};
use minijinja::context;

use super::{Problem, Sent, done, problem_of, require_admin};
use crate::api::calendar::{self as api, parse_date};
use crate::api::now;
use crate::auth::Claims;
use crate::db::{self, calendar as store};
use crate::domain::calendar::DayKind;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages};

type Pairs = web::Form<Vec<(String, String)>>;

#[derive(serde::Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    done: Option<String>,
}

fn this_year() -> i32 {
    now().with_timezone(&chrono_tz::Asia::Shanghai).year()
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    year: i32,
    status: StatusCode,
    form: serde_json::Value,
    error: Option<Problem>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    );
    let days = db::run(&state.pool, move |conn| {
        Ok(store::days_between(conn, from, to)?
            .into_iter()
            .map(|d| {
                context! {
                    date => d.day.to_string(), weekday => d.day.weekday().number_from_monday(),
                    kind => d.kind, name => d.name,
                }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    pages.render_status(
        &page,
        status,
        "admin_calendar.html",
        context! { year, days, form, error, done },
    )
}

#[get("/staff/admin/calendar")]
pub async fn year_page(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let q = query.into_inner();
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(this_year);
    let flag = q
        .done
        .filter(|d| ["day_added", "day_removed"].contains(&d.as_str()));
    let form = serde_json::json!({"kind": "holiday"});
    render(
        &req,
        &pages,
        &state,
        staff,
        year,
        StatusCode::OK,
        form,
        None,
        flag.as_deref(),
    )
    .await
}

#[post("/staff/admin/calendar/days")]
pub async fn add_day(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let parsed = (|| -> Result<(NaiveDate, DayKind), AppError> {
        let date = parse_date(&sent.text("date")).map_err(|e| match e {
            AppError::BadRequest { message, .. } | AppError::Unprocessable { message, .. } => {
                AppError::invalid("date", message)
            }
            other => other,
        })?;
        let kind = match sent.get("kind") {
            Some("holiday") => DayKind::Holiday,
            Some("workday") => DayKind::Workday,
            _ => return Err(AppError::invalid("kind", "choose holiday or working day")),
        };
        Ok((date, kind))
    })();
    let by = staff.clone();
    let name = sent.text("name");
    let outcome = match parsed {
        Ok((date, kind)) => {
            db::run(&state.pool, move |conn| {
                api::set_day(conn, &by, date, kind, &name)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(day) => Ok(done(
            &format!("/staff/admin/calendar?year={}", day.date.year()),
            "day_added",
        )),
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let year = NaiveDate::parse_from_str(&sent.text("date"), "%Y-%m-%d")
                .map(|d| d.year())
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .unwrap_or_else(this_year);
            let form = serde_json::to_value(sent.kept()).unwrap_or_default();
            render(
                &req,
                &pages,
                &state,
                staff,
                year,
                status,
                form,
                Some(problem),
                None,
            )
            .await
        }
    }
}

#[post("/staff/admin/calendar/days/{date}/remove")]
pub async fn remove_day(
    req: HttpRequest,
    state: web::Data<AppState>,
    date: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    Sent::checked(&req, form.into_inner())?;
    let date = parse_date(&date).map_err(|_| PageError::NotFound)?;
    db::run(&state.pool, move |conn| api::remove_day(conn, &staff, date)).await?;
    Ok(done(
        &format!("/staff/admin/calendar?year={}", date.year()),
        "day_removed",
    ))
}
