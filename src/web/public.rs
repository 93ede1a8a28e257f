//! 公开通报: the public monthly report — department rankings and the city-wide rates, with no
//! personal data, linkable by month (`/public?month=2026-11`).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, Months, NaiveDate};
use minijinja::context;

use super::{PageContext, PageError, Pages};
use crate::api::reports::{city_wide, month_bounds, ranking_rows};
use crate::db;
use crate::startup::AppState;

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    month: Option<String>,
}

#[get("/public")]
pub async fn report(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(&req, super::session::staff_of(&req));
    let this_month = {
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today)
    };
    let asked = query.into_inner().month;
    // an unreadable month shows the current one, saying nothing broke
    let (first, next) =
        month_bounds(asked.as_deref()).unwrap_or((this_month, this_month + Months::new(1)));
    let wf = state.workflow.clone();
    let (rows, city) = db::run(&state.report_pool, move |conn| {
        Ok((
            ranking_rows(conn, &wf, first, next)?,
            city_wide(conn, &wf, first, next)?,
        ))
    })
    .await?;
    let months: Vec<String> = (0..12)
        .map(|i| (this_month - Months::new(i)).format("%Y-%m").to_string())
        .collect();
    pages.render(
        &page,
        "public.html",
        context! {
            month => first.format("%Y-%m").to_string(),
            months,
            rows,
            city,
        },
    )
}
