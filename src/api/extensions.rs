//! Extension requests (延期) for supervisors to decide, oldest first.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::SupervisorStaff;
use crate::db::{self, schema::appeals, schema::extensions, schema::users};
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExtensionsQuery {
    /// pending (default), approved, rejected, void or all
    #[param(pattern = "^(pending|approved|rejected|void|all)$")]
    pub status: Option<String>,
    /// at most this many (default 100, at most 500)
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: i64,
    pub appeal_id: Uuid,
    pub tracking_no: String,
    pub title: String,
    pub department_code: String,
    pub requested_by: String,
    pub reason: String,
    pub previous_due_at: DateTime<Utc>,
    pub requested_until: DateTime<Utc>,
    /// pending, approved, rejected, or void (the appeal moved on before a decision)
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Extension requests, oldest first (supervisors, administrators). Decide one with
/// `POST /api/v1/appeals/{id}/extension-decision`.
#[utoipa::path(get, path = "/api/v1/extensions", tag = "appeals", params(ExtensionsQuery),
    responses((status = 200, body = Vec<ExtensionView>), (status = 403, body = crate::error::ErrorBody),
        (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/extensions")]
pub async fn list(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
    query: web::Query<ExtensionsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let status = q.status.unwrap_or_else(|| "pending".into());
    if !["pending", "approved", "rejected", "void", "all"].contains(&status.as_str()) {
        return Err(AppError::BadRequest {
            code: "invalid_query",
            message: format!(
                "status `{status}` is not one of pending, approved, rejected, void, all"
            ),
            field: Some("status".into()),
        });
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = db::run(&state.pool, move |conn| Ok(rows_of(conn, &status, limit)?)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Extension requests with the given status (`all` for every one), oldest first.
pub fn rows_of(
    conn: &mut diesel::PgConnection,
    status: &str,
    limit: i64,
) -> QueryResult<Vec<ExtensionView>> {
    let status = status.to_owned();
    let mut query = extensions::table
        .inner_join(appeals::table)
        .inner_join(users::table.on(users::id.eq(extensions::requested_by)))
        .select((
            (
                extensions::id,
                extensions::appeal_id,
                appeals::tracking_no,
                appeals::title,
                extensions::department_code,
                users::username,
                extensions::reason,
            ),
            (
                extensions::previous_due_at,
                extensions::requested_until,
                extensions::status,
                extensions::decision_note,
                extensions::decided_at,
                extensions::created_at,
            ),
        ))
        .order(extensions::created_at.asc())
        .limit(limit)
        .into_boxed();
    if status != "all" {
        query = query.filter(extensions::status.eq(status));
    }
    type Row = (
        (i64, Uuid, String, String, String, String, String),
        (
            DateTime<Utc>,
            DateTime<Utc>,
            String,
            Option<String>,
            Option<DateTime<Utc>>,
            DateTime<Utc>,
        ),
    );
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                (id, appeal_id, tracking_no, title, department_code, requested_by, reason),
                (previous_due_at, requested_until, status, decision_note, decided_at, created_at),
            )| ExtensionView {
                id,
                appeal_id,
                tracking_no,
                title,
                department_code,
                requested_by,
                reason,
                previous_due_at,
                requested_until,
                status,
                decision_note,
                decided_at,
                created_at,
            },
        )
        .collect::<Vec<_>>())
}
