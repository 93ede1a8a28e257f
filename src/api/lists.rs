//! Work lists: a clerk's queue, the dispatchers' pool, an appeal's audit trail.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::appeals::visible_appeal;
use super::views::{AppealSummary, EventView, PageOf};
use super::{Paging, parse_id};
use crate::auth::{CentreStaff, ClerkStaff, Staff};
use crate::db::{self, appeals as q, audit, users};
use crate::domain::enums::Status;
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// comma-separated statuses to include, e.g. `dispatched,in_progress` (default: all)
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// 待办: the clerk's department's appeals (led or co-handled), most pressing reply deadline first.
#[utoipa::path(get, path = "/api/v1/queue", tag = "work lists", params(QueueQuery),
    responses((status = 200, body = PageOf<AppealSummary>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/queue")]
pub async fn queue(
    state: web::Data<AppState>,
    clerk: ClerkStaff,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let statuses = match query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<Status>()
                    .map(|s| s.as_str().to_owned())
                    .map_err(|e| AppError::BadRequest {
                        code: "invalid_query",
                        message: e.to_string(),
                        field: Some("status".into()),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let department = clerk
        .0
        .0
        .department
        .clone()
        .ok_or_else(|| AppError::Forbidden("your account has no department".into()))?;
    let result = db::run(&state.pool, move |conn| {
        Ok(q::queue(
            conn,
            &department,
            &statuses,
            q::Due::Any,
            false,
            q::QueueOrder::DeadlineFirst,
            per_page,
            (page - 1) * per_page,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: result
            .items
            .into_iter()
            .map(|(a, role)| AppealSummary::of(a, Some(role)))
            .collect(),
        page,
        per_page,
        total: result.total,
    }))
}

/// 问题池: appeals waiting for a dispatcher (new and returned), oldest first.
#[utoipa::path(get, path = "/api/v1/pool", tag = "work lists", params(Paging),
    responses((status = 200, body = PageOf<AppealSummary>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/pool")]
pub async fn pool(
    state: web::Data<AppState>,
    _staff: CentreStaff,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (page, per_page) = paging.into_inner().resolve()?;
    let result = db::run(&state.pool, move |conn| {
        Ok(q::pool(conn, per_page, (page - 1) * per_page)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: result
            .items
            .into_iter()
            .map(|a| AppealSummary::of(a, None))
            .collect(),
        page,
        per_page,
        total: result.total,
    }))
}

/// The appeal's audit trail, oldest first, with the hash chain.
#[utoipa::path(get, path = "/api/v1/appeals/{id}/events", tag = "appeals",
    params(("id" = uuid::Uuid, Path, description = "appeal id")),
    responses((status = 200, body = [EventView]), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/appeals/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    let claims = staff.0;
    let events = db::run(&state.pool, move |conn| {
        visible_appeal(conn, id, &claims)?;
        let events = audit::events_of(conn, id)?;
        let mut ids: Vec<uuid::Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        ids.sort();
        ids.dedup();
        let names = users::usernames(conn, &ids)?;
        Ok(events
            .into_iter()
            .map(|e| {
                let name = e.actor_id.and_then(|a| {
                    names
                        .iter()
                        .find(|(id, _)| *id == a)
                        .map(|(_, n)| n.clone())
                });
                EventView::of(e, name)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(events))
}
