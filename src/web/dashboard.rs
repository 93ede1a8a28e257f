//! 督办看板: the supervisor's dashboard — the three rates, closure and on-time rates for a chosen
//! period and grouping, the month's ranking with best and worst, overdue and escalated appeals,
//! extension requests to decide, a trend chart and a ranking chart (SVG drawn here), and CSV
//! downloads. Supervisors and administrators.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Datelike, Months, NaiveDate};
use minijinja::{Value, context};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::session::{check_csrf, require_staff};
use super::{PageContext, PageError, Pages, escape_html};
use crate::api::now;
use crate::api::reports::{
    csv_response, day, dimensions, hotspot_rows, month_bounds, ranking_rows, summary_rows,
};
use crate::api::views::AppealSummary;
use crate::auth::Claims;
use crate::db::{self, appeals as q};
use crate::domain::enums::Role;
use crate::startup::AppState;
use crate::workflow::{self, ActionRequest};

const GROUPINGS: [&str; 6] = [
    "department",
    "district",
    "category",
    "channel",
    "appellant_kind",
    "month",
];

async fn require_supervisor(req: &HttpRequest) -> Result<Claims, PageError> {
    let staff = require_staff(req).await?;
    if !matches!(staff.role, Role::Supervisor | Role::Admin) {
        return Err(PageError::Forbidden(
            "the dashboard is for supervisors and administrators".into(),
        ));
    }
    Ok(staff)
}

fn this_month() -> NaiveDate {
    let today = now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today)
}

#[derive(serde::Deserialize)]
pub struct DashboardQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    month: Option<String>,
    done: Option<String>,
}

/// The period asked for, or this month so far; a problem is said on the page.
fn period(q: &DashboardQuery, max_days: i64) -> (NaiveDate, NaiveDate, Option<String>) {
    let today = now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let asked = (|| {
        let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
            Some(f) => day("from", Some(f))?,
            None => this_month(),
        };
        let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
            Some(t) => day("to", Some(t))?,
            None => today,
        };
        if from > to {
            return Err(crate::error::AppError::bad_request(format!(
                "to ({to}) is before from ({from})"
            )));
        }
        if (to - from).num_days() + 1 > max_days {
            return Err(crate::error::AppError::bad_request(format!(
                "a report covers at most {max_days} days"
            )));
        }
        Ok((from, to))
    })();
    match asked {
        Ok((from, to)) => (from, to, None),
        Err(e) => (this_month(), today, Some(e.to_string())),
    }
}

#[get("/staff/dashboard")]
pub async fn dashboard(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_supervisor(&req).await?;
    let page = PageContext::of(&req, Some(staff));
    let q = query.into_inner();
    let (from, to, problem) = period(&q, state.workflow.reports.max_period_days);
    let group_by = q
        .group_by
        .clone()
        .filter(|g| GROUPINGS.contains(&g.as_str()))
        .unwrap_or_else(|| "department".into());
    let dims = dimensions(Some(&group_by)).map_err(PageError::from)?;
    let key_field = dims
        .first()
        .map(|d| d.key_field())
        .unwrap_or("department_code");
    let month_dims = dimensions(Some("month")).map_err(PageError::from)?;
    let (month_first, month_next) =
        month_bounds(q.month.as_deref()).unwrap_or((this_month(), this_month() + Months::new(1)));
    let trend_from = this_month() - Months::new(11);
    let trend_to = now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let wf = state.workflow.clone();
    let (rows, ranking, trend, overdue, extensions, mut hotspots, names) =
        db::run(&state.report_pool, move |conn| {
            Ok((
                summary_rows(conn, &wf, from, to, &dims)?,
                ranking_rows(conn, &wf, month_first, month_next)?,
                summary_rows(conn, &wf, trend_from, trend_to, &month_dims)?,
                q::overdue(conn, 20)?,
                crate::api::extensions::rows_of(conn, "pending", 50)?,
                hotspot_rows(conn, &wf, month_first, month_next, 6)?,
                crate::db::reference::department_names(conn)?,
            ))
        })
        .await?;
    // 热点: the month's largest category × district counts, the candidates for 每月一题
    let count = |r: &Map<String, Json>| r.get("count").and_then(Json::as_i64).unwrap_or(0);
    hotspots.sort_by_key(|r| std::cmp::Reverse(count(r)));
    hotspots.truncate(10);
    let ranked: Vec<&Map<String, Json>> = ranking.iter().filter(|r| !r["rank"].is_null()).collect();
    let best: Vec<_> = ranked.iter().take(5).collect();
    let worst: Vec<_> = ranked.iter().rev().take(5).collect();
    // every month of the twelve, the empty ones too
    let trend_bars: Vec<(String, f64)> = (0..12)
        .map(|i| {
            let label = (trend_from + Months::new(i)).format("%Y-%m").to_string();
            let received = trend
                .iter()
                .find(|r| {
                    r.get("month")
                        .and_then(Json::as_str)
                        .is_some_and(|m| m.starts_with(&label))
                })
                .and_then(|r| r.get("received").and_then(Json::as_f64))
                .unwrap_or(0.0);
            (label, received)
        })
        .collect();
    let ranking_bars: Vec<(String, f64)> = ranked
        .iter()
        .take(10)
        .map(|r| {
            (
                r.get("department_name")
                    .and_then(Json::as_str)
                    .or_else(|| r.get("department_code").and_then(Json::as_str))
                    .unwrap_or("")
                    .to_owned(),
                r.get("composite_score")
                    .and_then(Json::as_f64)
                    .unwrap_or(0.0)
                    * 100.0,
            )
        })
        .collect();
    let overdue: Vec<AppealSummary> = overdue
        .into_iter()
        .map(|a| AppealSummary::of(a, None))
        .collect();
    pages.render(
        &page,
        "dashboard.html",
        context! {
            from => from.to_string(),
            to => to.to_string(),
            problem,
            group_by,
            groupings => GROUPINGS,
            key_field,
            rows,
            month => month_first.format("%Y-%m").to_string(),
            best,
            worst,
            overdue,
            extensions,
            hotspots,
            names,
            done => q.done,
            trend_svg => Value::from_safe_string(vertical_bars(&trend_bars, "received")),
            ranking_svg => Value::from_safe_string(horizontal_bars(&ranking_bars)),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct CsvQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    month: Option<String>,
}

/// The dashboard's table as CSV (UTF-8 with BOM, for Excel), with the session's login: the same
/// rows as `GET /api/v1/reports/summary?format=csv`.
#[get("/staff/dashboard/summary.csv")]
pub async fn summary_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CsvQuery>,
) -> Result<HttpResponse, PageError> {
    require_supervisor(&req).await?;
    let q = query.into_inner();
    let asked = DashboardQuery {
        from: q.from,
        to: q.to,
        group_by: None,
        month: None,
        done: None,
    };
    let (from, to, problem) = period(&asked, state.workflow.reports.max_period_days);
    if let Some(message) = problem {
        return Err(PageError::Refused {
            status: actix_web::http::StatusCode::BAD_REQUEST,
            message,
        });
    }
    let group_by = q
        .group_by
        .filter(|g| GROUPINGS.contains(&g.as_str()))
        .unwrap_or_else(|| "department".into());
    let dims = dimensions(Some(&group_by)).map_err(PageError::from)?;
    let wf = state.workflow.clone();
    let rows = db::run(&state.report_pool, move |conn| {
        summary_rows(conn, &wf, from, to, &dims)
    })
    .await?;
    Ok(csv_response(
        &rows,
        &format!("minxin-summary-{from}-{to}.csv"),
    )?)
}

/// The month's ranking as CSV, with the session's login.
#[get("/staff/dashboard/ranking.csv")]
pub async fn ranking_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CsvQuery>,
) -> Result<HttpResponse, PageError> {
    require_supervisor(&req).await?;
    let (first, next) = month_bounds(query.into_inner().month.as_deref())
        .unwrap_or((this_month(), this_month() + Months::new(1)));
    let wf = state.workflow.clone();
    let rows = db::run(&state.report_pool, move |conn| {
        ranking_rows(conn, &wf, first, next)
    })
    .await?;
    Ok(csv_response(
        &rows,
        &format!("minxin-ranking-{}.csv", first.format("%Y-%m")),
    )?)
}

/// A supervisor approves or rejects an appeal's pending extension request.
#[post("/staff/extensions/{appeal_id}")]
pub async fn decide_extension(
    req: HttpRequest,
    state: web::Data<AppState>,
    appeal_id: web::Path<String>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let staff = require_supervisor(&req).await?;
    let form = form.into_inner();
    check_csrf(&req, form.get("csrf").map(String::as_str))?;
    let id: Uuid = appeal_id.parse().map_err(|_| PageError::NotFound)?;
    let approve = form.get("decision").map(String::as_str) == Some("approve");
    let note = form
        .get("note")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let wf = state.workflow.clone();
    let request = ActionRequest::DecideExtension { approve, note };
    let done = db::run(&state.pool, move |conn| {
        workflow::act(conn, &wf, id, &staff, &request, None, now())
    })
    .await;
    let flag = match done {
        Ok(_) if approve => "approved",
        Ok(_) => "rejected",
        Err(crate::error::AppError::Conflict(_)) => "stale",
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/staff/dashboard?done={flag}")))
        .finish())
}

/// A column chart: one bar per label, the value above it. Text is escaped.
fn vertical_bars(bars: &[(String, f64)], title: &str) -> String {
    let (w, h, pad) = (640.0, 220.0, 30.0);
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1.0);
    let step = if bars.is_empty() {
        w
    } else {
        (w - 2.0 * pad) / bars.len() as f64
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        escape_html(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let bh = (h - 2.0 * pad) * value / max;
        let x = pad + i as f64 * step + step * 0.15;
        let y = h - pad - bh;
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#b3261e\"><title>{}: {value}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{value}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            step * 0.7,
            escape_html(label),
            x + step * 0.35,
            y - 4.0,
            x + step * 0.35,
            h - pad + 14.0,
            escape_html(label.get(5..).unwrap_or(label)),
        ));
    }
    out.push_str("</svg>");
    out
}

/// A bar chart of scores out of 100, one row per label. Text is escaped.
fn horizontal_bars(bars: &[(String, f64)]) -> String {
    let (w, row, label_w) = (640.0, 24.0, 220.0);
    let h = row * bars.len().max(1) as f64 + 10.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"composite score\" class=\"chart\">"
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let bw = (w - label_w - 60.0) * value.clamp(0.0, 100.0) / 100.0;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#1b6e3a\"></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{value:.1}</text>",
            label_w - 6.0,
            y + row * 0.65,
            escape_html(label),
            row * 0.7,
            label_w + bw + 4.0,
            y + row * 0.65,
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_labels_and_scale_to_the_largest_value() {
        let svg = vertical_bars(
            &[("2026-10".into(), 50.0), ("<b>&".into(), 100.0)],
            "received",
        );
        assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"));
        // the largest bar fills the plot height (220 - 2 × 30)
        assert!(svg.contains("height=\"160.0\""), "{svg}");
        assert!(svg.contains("height=\"80.0\""), "{svg}");
        let svg = horizontal_bars(&[("供热公司".into(), 87.5), ("x\"y".into(), 140.0)]);
        assert!(svg.contains("供热公司") && svg.contains("x&quot;y"));
        // a score is drawn out of 100, never beyond
        assert!(svg.contains("width=\"360.0\""), "{svg}");
    }
}
