//! Reports for supervisors: `GET /api/v1/reports/summary` — the metrics of docs/METRICS.md per
//! group, as JSON or as CSV (UTF-8 with a BOM, so that Excel reads the Chinese names).

use actix_web::{HttpResponse, get, web};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::auth::SupervisorStaff;
use crate::db::{self, reference, reports::Dimension};
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// first day of the period (YYYY-MM-DD, in the calendar's time zone)
    #[param(required = true, value_type = chrono::NaiveDate)]
    pub from: Option<String>,
    /// last day of the period, included; at most `reports.max_period_days` after `from`
    #[param(required = true, value_type = chrono::NaiveDate)]
    pub to: Option<String>,
    /// one dimension, or two separated by a comma (e.g. `department,month`): department,
    /// district, street, category, channel, appellant_kind, day, week, month
    #[param(required = true, value_type = String, pattern = "^(department|district|street|category|channel|appellant_kind|day|week|month)(,(department|district|street|category|channel|appellant_kind|day|week|month))?$")]
    pub group_by: Option<String>,
    /// json (default) or csv
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
}

fn bad(field: &str, message: String) -> AppError {
    AppError::BadRequest {
        code: "invalid_query",
        message,
        field: Some(field.into()),
    }
}

pub fn day(field: &str, raw: Option<&str>) -> Result<NaiveDate, AppError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            bad(
                field,
                format!("{field} is required, a date like 2026-11-01"),
            )
        })?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        bad(
            field,
            format!("{field} `{raw}` is not a date like 2026-11-01"),
        )
    })
}

pub fn dimensions(raw: Option<&str>) -> Result<Vec<Dimension>, AppError> {
    let allowed = || {
        Dimension::ALL
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            bad(
                "group_by",
                format!("group_by is required: one or two of {}", allowed()),
            )
        })?;
    let dims = raw
        .split(',')
        .map(|name| {
            Dimension::parse(name.trim()).ok_or_else(|| {
                bad(
                    "group_by",
                    format!(
                        "unknown group_by `{}`; use one or two of {}",
                        name.trim(),
                        allowed()
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if dims.len() > 2 {
        return Err(bad(
            "group_by",
            "group_by takes at most two dimensions".into(),
        ));
    }
    if dims.len() == 2 && dims[0] == dims[1] {
        return Err(bad(
            "group_by",
            "group_by names the same dimension twice".into(),
        ));
    }
    Ok(dims)
}

/// One row of the summary, as described (the rows are built as maps: the keys present are the
/// ones of the asked dimensions).
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SummaryRow {
    /// with group_by department (null: not dispatched yet)
    department_code: Option<String>,
    /// with group_by department
    department_name: Option<String>,
    /// with group_by district
    district_code: Option<String>,
    /// with group_by street
    street_code: Option<String>,
    /// with group_by category
    category_code: Option<String>,
    /// with group_by channel
    channel: Option<String>,
    /// with group_by appellant_kind
    appellant_kind: Option<String>,
    /// with group_by day (YYYY-MM-DD)
    day: Option<String>,
    /// with group_by week (the Monday, YYYY-MM-DD)
    week: Option<String>,
    /// with group_by month (YYYY-MM)
    month: Option<String>,
    #[serde(flatten)]
    figures: crate::domain::metrics::Metrics,
}

/// One department of the monthly ranking.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RankedRow {
    department_code: String,
    department_name: Option<String>,
    /// 1 for the best; null for a department without a valid follow-up (listed last)
    rank: Option<i64>,
    #[serde(flatten)]
    figures: crate::domain::metrics::Metrics,
}

/// The monthly ranking.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RankingAnswer {
    /// YYYY-MM
    period: String,
    ranking: Vec<RankedRow>,
    best: Vec<RankedRow>,
    worst: Vec<RankedRow>,
}

/// One category × division of a month.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HotspotRow {
    category_code: String,
    category_name: Option<String>,
    division_code: String,
    division_name: Option<String>,
    /// appeals received in the month
    count: i64,
    /// in the month before
    previous: i64,
    growth: i64,
    /// null when the month before had none
    growth_rate: Option<f64>,
}

/// Hotspots of a month.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HotspotsAnswer {
    period: String,
    previous_period: Option<String>,
    /// district or street
    level: String,
    most: Vec<HotspotRow>,
    fastest_growing: Vec<HotspotRow>,
}

/// The metrics per group for the appeals received in a period (supervisors, admins). Rows carry
/// the group's key fields (`department_code`, `month`, …; with `department_name` when grouped by
/// department) and the figures of docs/METRICS.md; a rate whose denominator is zero is null.
/// `format=csv` answers the same rows as CSV with a UTF-8 BOM. No personal data.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, description = "JSON array of rows, or CSV with format=csv", content((Vec<SummaryRow> = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/reports/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let from = day("from", q.from.as_deref())?;
    let to = day("to", q.to.as_deref())?;
    if from > to {
        return Err(bad("to", format!("to ({to}) is before from ({from})")));
    }
    let settings = state.workflow.reports;
    let days = (to - from).num_days() + 1;
    if days > settings.max_period_days {
        return Err(bad(
            "to",
            format!(
                "the period has {days} days; a report covers at most {} (reports.max_period_days)",
                settings.max_period_days
            ),
        ));
    }
    let dims = dimensions(q.group_by.as_deref())?;
    let csv = wants_csv(q.format.as_deref())?;
    let wf = state.workflow.clone();
    let rows = db::run(&state.report_pool, move |conn| {
        summary_rows(conn, &wf, from, to, &dims)
    })
    .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(rows));
    }
    csv_response(&rows, &format!("minxin-summary-{from}-{to}.csv"))
}

/// The summary's rows (see [`summary`]); shared with the supervisor's dashboard.
pub fn summary_rows(
    conn: &mut diesel::PgConnection,
    wf: &crate::workflow::Workflow,
    from: NaiveDate,
    to: NaiveDate,
    dims: &[Dimension],
) -> Result<Vec<Map<String, Value>>, AppError> {
    let settings = wf.reports;
    {
        let cal = wf.calendar.current(conn)?;
        let groups = summary_of(conn, cal.tz(), from, to, dims, settings.counted_round)?;
        let departments = reference::list_departments(conn, false)?;
        let mut rows = Vec::with_capacity(groups.len());
        for g in groups {
            let mut row = Map::new();
            for (dim, key) in dims.iter().zip(&g.keys) {
                row.insert(dim.key_field().into(), json!(key));
                if *dim == Dimension::Department {
                    let name = key
                        .as_deref()
                        .and_then(|k| departments.iter().find(|d| d.code == k))
                        .map(|d| d.name.clone());
                    row.insert("department_name".into(), json!(name));
                }
            }
            if let Value::Object(figures) =
                serde_json::to_value(g.counts.metrics(&settings.weights))
                    .map_err(|e| AppError::Unexpected(e.into()))?
            {
                row.extend(figures);
            }
            rows.push(row);
        }
        Ok(rows)
    }
}

/// `format`: json (false) or csv (true).
fn wants_csv(format: Option<&str>) -> Result<bool, AppError> {
    match format.map(str::trim) {
        None | Some("") | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(bad(
            "format",
            format!("format `{other}` is not one of json, csv"),
        )),
    }
}

pub fn csv_response(rows: &[Map<String, Value>], filename: &str) -> Result<HttpResponse, AppError> {
    let body = to_csv(rows).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body))
}

/// A month `YYYY-MM` as its first day and the first day of the next month.
fn month(raw: Option<&str>) -> Result<(NaiveDate, NaiveDate), AppError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("period", "period is required, a month like 2026-11".into()))?;
    let first = NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").map_err(|_| {
        bad(
            "period",
            format!("period `{raw}` is not a month like 2026-11"),
        )
    })?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| bad("period", "period is out of range".into()))?;
    Ok((first, next))
}

/// The counts per group of the appeals received on the local days `first..=last`: from the
/// rollups, or naively while the rollups are in another time zone than the calendar.
fn summary_of(
    conn: &mut diesel::PgConnection,
    tz: chrono_tz::Tz,
    first: NaiveDate,
    last: NaiveDate,
    dims: &[Dimension],
    round: db::reports::Round,
) -> Result<Vec<db::reports::GroupCounts>, AppError> {
    if db::reports::cube_matches(conn, tz.name())? {
        return Ok(db::reports::summary_cube(conn, first, last, dims, round)?);
    }
    stale_cube(tz);
    let until = last
        .checked_add_days(Days::new(1))
        .ok_or_else(|| bad("to", "to is out of range".into()))?;
    Ok(db::reports::summary_naive(
        conn,
        midnight(tz, first)?,
        midnight(tz, until)?,
        dims,
        round,
        tz.name(),
    )?)
}

fn stale_cube(tz: chrono_tz::Tz) {
    tracing::warn!(
        time_zone = %tz,
        "the report rollups are in another time zone than the working calendar: reports are \
         computed from the appeal tables (slow) until `minxin reports rebuild`"
    );
}

/// Local midnight of a day as an instant.
fn midnight(tz: chrono_tz::Tz, d: NaiveDate) -> Result<chrono::DateTime<Utc>, AppError> {
    tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| bad("period", format!("{d} has no midnight in {tz}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RankingQuery {
    /// the month, e.g. 2026-11
    #[param(required = true, value_type = String, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
    /// how many departments the best and worst lists hold (default 5, at most 50)
    #[param(minimum = 1, maximum = 50)]
    pub top: Option<usize>,
    /// json (default) or csv (the full ranking)
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
}

/// The monthly ranking of departments by composite score (综合成绩) over the appeals received in
/// the month, with the best and the worst. Departments without a valid follow-up have no score
/// and are listed after the ranked ones, unranked (`rank` null).
#[utoipa::path(get, path = "/api/v1/reports/ranking", tag = "reports", params(RankingQuery),
    responses((status = 200, description = "the ranking with the best and the worst, or CSV (the full ranking) with format=csv", content((RankingAnswer = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/reports/ranking")]
pub async fn ranking(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
    query: web::Query<RankingQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (first, next) = month(q.period.as_deref())?;
    let top = q.top.unwrap_or(5);
    if !(1..=50).contains(&top) {
        return Err(bad("top", "top must be 1 to 50".into()));
    }
    let csv = wants_csv(q.format.as_deref())?;
    let wf = state.workflow.clone();
    let rows = db::run(&state.report_pool, move |conn| {
        ranking_rows(conn, &wf, first, next)
    })
    .await?;
    let period = first.format("%Y-%m").to_string();
    if csv {
        return csv_response(&rows, &format!("minxin-ranking-{period}.csv"));
    }
    let ranked: Vec<&Map<String, Value>> = rows.iter().filter(|r| !r["rank"].is_null()).collect();
    let best: Vec<_> = ranked.iter().take(top).collect();
    let worst: Vec<_> = ranked.iter().rev().take(top).collect();
    Ok(HttpResponse::Ok().json(json!({
        "period": period,
        "ranking": rows,
        "best": best,
        "worst": worst,
    })))
}

/// The departments of the month starting `first` (up to `next`, exclusive) ranked by composite
/// score, each row with its figures (no personal data); unranked departments (no valid
/// follow-up) last with `rank` null. Shared by the API and the public report page.
pub fn ranking_rows(
    conn: &mut diesel::PgConnection,
    wf: &crate::workflow::Workflow,
    first: NaiveDate,
    next: NaiveDate,
) -> Result<Vec<Map<String, Value>>, AppError> {
    let settings = wf.reports;
    let cal = wf.calendar.current(conn)?;
    let last = next.pred_opt().unwrap_or(next);
    let groups = summary_of(
        conn,
        cal.tz(),
        first,
        last,
        &[Dimension::Department],
        settings.counted_round,
    )?;
    let departments = reference::list_departments(conn, false)?;
    // (composite score, valid follow-ups, department code, row)
    type Scored = (Option<f64>, i64, String, Map<String, Value>);
    let mut scored: Vec<Scored> = Vec::new();
    for g in groups {
        let Some(Some(code)) = g.keys.first().cloned() else {
            continue; // not dispatched: no department to rank
        };
        let metrics = g.counts.metrics(&settings.weights);
        let mut row = Map::new();
        row.insert("department_code".into(), json!(code));
        row.insert(
            "department_name".into(),
            json!(
                departments
                    .iter()
                    .find(|d| d.code == code)
                    .map(|d| d.name.clone())
            ),
        );
        let score = metrics.composite_score;
        let valid = metrics.valid_follow_ups;
        if let Value::Object(figures) =
            serde_json::to_value(metrics).map_err(|e| AppError::Unexpected(e.into()))?
        {
            row.extend(figures);
        }
        scored.push((score, valid, code, row));
    }
    // highest score first; more follow-ups first among equals; then by code, for a stable order
    scored.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.2.cmp(&b.2),
    });
    let mut rank = 0;
    Ok(scored
        .into_iter()
        .map(|(score, _, _, mut row)| {
            let r = score.map(|_| {
                rank += 1;
                rank
            });
            row.insert("rank".into(), json!(r));
            row
        })
        .collect::<Vec<_>>())
}

/// The city-wide figures of the month starting `first`.
pub fn city_wide(
    conn: &mut diesel::PgConnection,
    wf: &crate::workflow::Workflow,
    first: NaiveDate,
    next: NaiveDate,
) -> Result<Option<crate::domain::metrics::Metrics>, AppError> {
    let cal = wf.calendar.current(conn)?;
    let last = next.pred_opt().unwrap_or(next);
    let groups = summary_of(conn, cal.tz(), first, last, &[], wf.reports.counted_round)?;
    Ok(groups
        .into_iter()
        .next()
        .map(|g| g.counts.metrics(&wf.reports.weights)))
}

/// A month like `2026-11`: its first day and the first day of the next.
pub fn month_bounds(raw: Option<&str>) -> Result<(NaiveDate, NaiveDate), AppError> {
    month(raw)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HotspotQuery {
    /// the month, e.g. 2026-11; compared with the month before
    #[param(required = true, value_type = String, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
    /// district (default) or street
    #[param(pattern = "^(district|street)?$")]
    pub level: Option<String>,
    /// how many hotspots each list holds (default 10, at most 100)
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// json (default) or csv (every category × division of the month)
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
}

/// Hotspots (热点): categories × divisions with the most appeals received in the month, and with
/// the fastest growth against the month before — the candidates for a monthly "one topic"
/// (每月一题). No personal data.
#[utoipa::path(get, path = "/api/v1/reports/hotspots", tag = "reports", params(HotspotQuery),
    responses((status = 200, description = "the most appeals and the fastest growth, or CSV (every category × division) with format=csv", content((HotspotsAnswer = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/reports/hotspots")]
pub async fn hotspots(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
    query: web::Query<HotspotQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (first, next) = month(q.period.as_deref())?;
    let digits = match q.level.as_deref().map(str::trim) {
        None | Some("") | Some("district") => 6,
        Some("street") => 9,
        Some(other) => {
            return Err(bad(
                "level",
                format!("level `{other}` is not one of district, street"),
            ));
        }
    };
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(bad("limit", "limit must be 1 to 100".into()));
    }
    let csv = wants_csv(q.format.as_deref())?;
    let wf = state.workflow.clone();
    let mut rows = db::run(&state.report_pool, move |conn| {
        hotspot_rows(conn, &wf, first, next, digits)
    })
    .await?;
    let key = |r: &Map<String, Value>, f: &str| r[f].as_i64().unwrap_or(0);
    let code = |r: &Map<String, Value>| {
        format!(
            "{}|{}",
            r["category_code"].as_str().unwrap_or(""),
            r["division_code"].as_str().unwrap_or("")
        )
    };
    rows.sort_by(|a, b| {
        key(b, "count")
            .cmp(&key(a, "count"))
            .then(code(a).cmp(&code(b)))
    });
    let period = first.format("%Y-%m").to_string();
    if csv {
        return csv_response(&rows, &format!("minxin-hotspots-{period}.csv"));
    }
    let most: Vec<_> = rows.iter().take(limit).collect();
    let mut growing: Vec<_> = rows.iter().filter(|r| key(r, "growth") > 0).collect();
    growing.sort_by(|a, b| {
        key(b, "growth")
            .cmp(&key(a, "growth"))
            .then(code(a).cmp(&code(b)))
    });
    growing.truncate(limit);
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .map(|d| d.format("%Y-%m").to_string());
    Ok(HttpResponse::Ok().json(json!({
        "period": period,
        "previous_period": previous,
        "level": if digits == 6 { "district" } else { "street" },
        "most": most,
        "fastest_growing": growing,
    })))
}

/// Every category × division (district: 6 digits, street: 9) with appeals received in the month
/// starting `first`, with the month before's count and the growth; no personal data. Shared
/// by the API and the supervisor's dashboard.
pub fn hotspot_rows(
    conn: &mut diesel::PgConnection,
    wf: &crate::workflow::Workflow,
    first: NaiveDate,
    next: NaiveDate,
    digits: i32,
) -> Result<Vec<Map<String, Value>>, AppError> {
    let cal = wf.calendar.current(conn)?;
    let tz = cal.tz();
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .ok_or_else(|| bad("period", "period is out of range".into()))?;
    let last = next.pred_opt().unwrap_or(next);
    let spots = if db::reports::cube_matches(conn, tz.name())? {
        db::reports::hotspots_cube(conn, previous, first, last, digits)?
    } else {
        stale_cube(tz);
        db::reports::hotspots_naive(
            conn,
            midnight(tz, previous)?,
            midnight(tz, first)?,
            midnight(tz, next)?,
            digits,
        )?
    };
    let categories = reference::list_categories(conn)?;
    let divisions = reference::list_divisions(conn)?;
    Ok(spots
        .into_iter()
        .filter(|h| h.count > 0)
        .map(|h| {
            let mut row = Map::new();
            row.insert(
                "category_name".into(),
                json!(
                    categories
                        .iter()
                        .find(|c| c.code == h.category_code)
                        .map(|c| c.name.clone())
                ),
            );
            row.insert(
                "division_name".into(),
                json!(
                    divisions
                        .iter()
                        .find(|d| d.code == h.division_code)
                        .map(|d| d.name.clone())
                ),
            );
            row.insert("growth".into(), json!(h.count - h.previous));
            row.insert(
                "growth_rate".into(),
                json!((h.previous > 0).then(|| (h.count - h.previous) as f64 / h.previous as f64)),
            );
            row.insert("category_code".into(), json!(h.category_code));
            row.insert("division_code".into(), json!(h.division_code));
            row.insert("count".into(), json!(h.count));
            row.insert("previous".into(), json!(h.previous));
            row
        })
        .collect::<Vec<_>>())
}

/// Rows as CSV: a UTF-8 BOM, a header of the field names, one line per row.
fn to_csv(rows: &[Map<String, Value>]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        if let Some(first) = rows.first() {
            w.write_record(first.keys())?;
        }
        for row in rows {
            w.write_record(row.values().map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}
