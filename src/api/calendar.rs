//! The working calendar as data: time zone, working hours and weekdays, public holidays and
//! make-up working days (调休). Anyone may read it; administrators change it, each change
//! recorded in the administrative audit chain. A calendar that would make a deadline
//! impossible is refused with the field at fault. Deadlines already set keep their instants;
//! a change applies to deadlines set from then on.

use actix_web::{HttpResponse, delete, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::json::JsonBody;
use super::now;
use crate::auth::AdminStaff;
use crate::db::{self, calendar as store};
use crate::domain::calendar::{Calendar, CalendarSpec, DayKind, WorkingHours};
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// IANA time zone, e.g. Asia/Shanghai
    pub time_zone: String,
    #[schema(min_items = 1, example = json!([{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]))]
    pub working_hours: Vec<WorkingHours>,
    /// ISO weekdays, 1 = Monday … 7 = Sunday
    pub working_weekdays: Vec<u8>,
    /// working time of one working day, in minutes
    pub day_length_minutes: i64,
    /// bumped by every change
    pub version: i64,
    pub days: Vec<DayView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    /// holiday, or workday (a make-up working day, 调休上班)
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// first date of the explicit days listed (default: all)
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn view(conn: &mut diesel::PgConnection, range: &DaysQuery) -> Result<CalendarView, AppError> {
    let (spec, version) = store::load(conn)?;
    let day_length_minutes = Calendar::new(spec.clone())
        .map(|c| c.day_length().num_minutes())
        .unwrap_or(0);
    let days = store::days_between(conn, range.from, range.to)?
        .into_iter()
        .map(|d| DayView {
            date: d.day,
            kind: d.kind,
            name: d.name,
        })
        .collect();
    Ok(CalendarView {
        time_zone: spec.time_zone,
        working_hours: spec.working_hours,
        working_weekdays: spec.working_weekdays,
        day_length_minutes,
        version,
        days,
    })
}

/// The working calendar and its explicit days (holidays, make-up working days).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(DaysQuery),
    responses((status = 200, body = CalendarView)))]
#[get("/calendar")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    query: web::Query<DaysQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let body = db::run(&state.pool, move |conn| view(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Working hours, weekdays and time zone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettingsBody {
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    #[schema(min_items = 1, example = json!([{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]))]
    pub working_hours: Vec<WorkingHours>,
    #[schema(example = json!([1, 2, 3, 4, 5]), schema_with = weekdays_schema)]
    pub working_weekdays: Vec<u8>,
}

fn refused(e: crate::domain::calendar::CalendarError) -> AppError {
    AppError::invalid(e.field, e.message)
}

/// Changes working hours, weekdays or the time zone (admin). Refused (422) when no working
/// time would remain, periods overlap, or the zone is unknown.
#[utoipa::path(put, path = "/api/v1/calendar", tag = "calendar", request_body = CalendarSettingsBody,
    responses((status = 200, body = CalendarView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[put("/calendar")]
pub async fn put_calendar(
    state: web::Data<AppState>,
    admin: AdminStaff,
    body: JsonBody<CalendarSettingsBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.value;
    let claims = admin.0.0;
    let view = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            store::lock(conn)?;
            let (before, _) = store::load(conn)?;
            let spec = CalendarSpec {
                time_zone: body.time_zone.trim().to_owned(),
                working_hours: body.working_hours,
                working_weekdays: body.working_weekdays,
                days: before.days.clone(),
            };
            Calendar::new(spec.clone()).map_err(refused)?;
            let at = now();
            store::save_settings(conn, &spec, Some(claims.sub), at)?;
            store::append_admin_event(
                conn,
                Some(claims.sub),
                claims.role.as_str(),
                "calendar",
                "settings_changed",
                &json!({
                    "before": {"time_zone": before.time_zone, "working_hours": before.working_hours, "working_weekdays": before.working_weekdays},
                    "after": {"time_zone": spec.time_zone, "working_hours": spec.working_hours, "working_weekdays": spec.working_weekdays},
                }),
                at,
            )?;
            tracing::info!(by = %claims.username, "working calendar changed");
            view(conn, &DaysQuery { from: None, to: None })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    /// holiday, or workday (a make-up working day)
    #[schema(value_type = String, example = "holiday", pattern = "^(holiday|workday)$")]
    pub kind: DayKind,
    #[schema(example = "春节", min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
}

pub(crate) fn parse_date(raw: &str) -> Result<NaiveDate, AppError> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| AppError::BadRequest {
        code: "invalid_path",
        message: format!("`{raw}` is not a date like 2026-10-01"),
        field: Some("date".into()),
    })?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err(AppError::invalid(
            "date",
            format!("{date} is outside the years the calendar keeps (2000 to 2100)"),
        ));
    }
    Ok(date)
}

/// Declares a date a public holiday or a make-up working day (admin); replaces what the date
/// had.
#[utoipa::path(put, path = "/api/v1/calendar/days/{date}", tag = "calendar", request_body = DayBody,
    params(("date" = chrono::NaiveDate, Path, pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$", description = "YYYY-MM-DD, years 2000 to 2100")),
    responses((status = 200, body = DayView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[put("/calendar/days/{date}")]
pub async fn put_day(
    state: web::Data<AppState>,
    admin: AdminStaff,
    date: web::Path<String>,
    body: JsonBody<DayBody>,
) -> Result<HttpResponse, AppError> {
    let date = parse_date(&date)?;
    let body = body.value;
    let claims = admin.0.0;
    let day = db::run(&state.pool, move |conn| {
        set_day(conn, &claims, date, body.kind, &body.name)
    })
    .await?;
    Ok(HttpResponse::Ok().json(day))
}

/// Declares `date` a holiday or a make-up working day: checked (the calendar must still have
/// working time), saved, the calendar's version bumped (every instance reloads it) and the
/// change recorded in the administrative chain, in one transaction. The API and the calendar
/// page both call this.
pub(crate) fn set_day(
    conn: &mut diesel::PgConnection,
    claims: &crate::auth::Claims,
    date: NaiveDate,
    kind: DayKind,
    name: &str,
) -> Result<DayView, AppError> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::invalid(
            "name",
            "name must be 1 to 64 characters, e.g. 国庆节",
        ));
    }
    use diesel::Connection;
    conn.transaction(|conn| {
        store::lock(conn)?;
        let (mut spec, _) = store::load(conn)?;
        spec.days.insert(date, kind);
        Calendar::new(spec).map_err(refused)?;
        let at = now();
        let previous = store::put_day(conn, date, kind, &name, Some(claims.sub), at)?;
        let kind_str = kind_name(kind);
        store::append_admin_event(
            conn,
            Some(claims.sub),
            claims.role.as_str(),
            "calendar",
            "day_set",
            &json!({
                "date": date,
                "kind": kind_str,
                "name": name,
                "previous": previous.map(|p| json!({"kind": p.kind, "name": p.name})),
            }),
            at,
        )?;
        Ok(DayView {
            date,
            kind: kind_str.into(),
            name,
        })
    })
}

fn kind_name(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    }
}

/// Removes a date's override (admin): it follows the weekday pattern again.
#[utoipa::path(delete, path = "/api/v1/calendar/days/{date}", tag = "calendar",
    params(("date" = chrono::NaiveDate, Path, pattern = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$", description = "YYYY-MM-DD, years 2000 to 2100")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[delete("/calendar/days/{date}")]
pub async fn delete_day(
    state: web::Data<AppState>,
    admin: AdminStaff,
    date: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let date = parse_date(&date)?;
    let claims = admin.0.0;
    db::run(&state.pool, move |conn| remove_day(conn, &claims, date)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a date's override (404 when it has none), in one transaction with its recorded
/// event; shared by the API and the calendar page.
pub(crate) fn remove_day(
    conn: &mut diesel::PgConnection,
    claims: &crate::auth::Claims,
    date: NaiveDate,
) -> Result<(), AppError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        store::lock(conn)?;
        let (mut spec, _) = store::load(conn)?;
        if spec.days.remove(&date).is_none() {
            return Err(AppError::NotFound(format!(
                "{date} is neither a holiday nor a make-up working day"
            )));
        }
        Calendar::new(spec).map_err(refused)?;
        let at = now();
        let previous = store::delete_day(conn, date, Some(claims.sub), at)?;
        store::append_admin_event(
            conn,
            Some(claims.sub),
            claims.role.as_str(),
            "calendar",
            "day_removed",
            &json!({
                "date": date,
                "previous": previous.map(|p| json!({"kind": p.kind, "name": p.name})),
            }),
            at,
        )?;
        Ok(())
    })
}

/// ISO weekdays: 1 = Monday … 7 = Sunday.
fn weekdays_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(7)),
        )
        .max_items(Some(7))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub seq: i64,
    pub actor_id: Option<uuid::Uuid>,
    pub actor_role: String,
    pub action: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub hash: String,
}

/// The calendar's change history, newest first (admin).
#[utoipa::path(get, path = "/api/v1/calendar/changes", tag = "calendar",
    responses((status = 200, body = Vec<ChangeView>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/calendar/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    _admin: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let list = db::run(&state.pool, move |conn| {
        Ok(store::admin_events_of(conn, "calendar", 500)?
            .into_iter()
            .map(|e| ChangeView {
                seq: e.seq,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                action: e.action,
                details: e.details,
                created_at: e.created_at,
                hash: e.hash,
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
