//! Reports for supervisors: `GET /api/v1/reports/summary` — the metrics of docs/METRICS.md per
//! group, as JSON or as CSV (UTF-8 with a BOM, so that Excel reads the Chinese names).

use actix_web::{HttpResponse, get, web};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
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
    pub from: Option<String>,
    /// last day of the period, included
    pub to: Option<String>,
    /// one dimension, or two separated by a comma (e.g. `department,month`): department,
    /// district, street, category, channel, appellant_kind, day, week, month
    pub group_by: Option<String>,
    /// json (default) or csv
    pub format: Option<String>,
}

fn bad(field: &str, message: String) -> AppError {
    AppError::BadRequest {
        code: "invalid_query",
        message,
        field: Some(field.into()),
    }
}

fn day(field: &str, raw: Option<&str>) -> Result<NaiveDate, AppError> {
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

fn dimensions(raw: Option<&str>) -> Result<Vec<Dimension>, AppError> {
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

/// The metrics per group for the appeals received in a period (supervisors, admins). Rows carry
/// the group's key fields (`department_code`, `month`, …; with `department_name` when grouped by
/// department) and the figures of docs/METRICS.md; a rate whose denominator is zero is null.
/// `format=csv` answers the same rows as CSV with a UTF-8 BOM. No personal data.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, description = "JSON array of rows (or CSV)", body = Vec<Object>),
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
    let csv = match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(bad(
                "format",
                format!("format `{other}` is not one of json, csv"),
            ));
        }
    };
    let wf = state.workflow.clone();
    let rows = db::run(&state.pool, move |conn| {
        let cal = wf.calendar.current(conn)?;
        let tz = cal.tz();
        let start = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| bad("from", format!("{d} has no midnight in {tz}")))
        };
        let until = to
            .checked_add_days(Days::new(1))
            .ok_or_else(|| bad("to", "to is out of range".into()))?;
        let groups = db::reports::summary(
            conn,
            start(from)?,
            start(until)?,
            &dims,
            settings.counted_round,
            tz.name(),
        )?;
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
    })
    .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(rows));
    }
    let body = to_csv(&rows).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"minxin-summary-{from}-{to}.csv\""),
        ))
        .body(body))
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
