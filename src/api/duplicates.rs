//! Probable duplicates (疑似重复) of an appeal, for the dispatcher deciding on a merge.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{now, parse_id};
use crate::auth::CentreStaff;
use crate::db::{self, appeals as q, duplicates};
use crate::domain::duplicates::{
    DUPLICATE_LIMIT, DUPLICATE_SIMILARITY_THRESHOLD, duplicate_closed_since,
};
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow;

/// Another appeal that may be about the same matter. No personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateView {
    pub id: Uuid,
    pub tracking_no: String,
    pub status: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub lead_department_code: Option<String>,
    /// text similarity (pg_trgm, over title and content), from the threshold 0.2 up to 1
    pub similarity: f64,
}

impl From<duplicates::Candidate> for DuplicateView {
    fn from(c: duplicates::Candidate) -> Self {
        DuplicateView {
            id: c.id,
            tracking_no: c.tracking_no,
            status: c.status,
            title: c.title,
            created_at: c.created_at,
            lead_department_code: c.lead_department_code,
            similarity: c.similarity,
        }
    }
}

/// Probable duplicates of an appeal: other appeals of the same category and division, open or
/// closed within the last 30 days (never rejected or merged ones), whose title and content are
/// similar to this one's (pg_trgm similarity at least 0.2); the 10 most similar, most similar
/// first. An appeal without a category has none. Merge one with
/// `POST /api/v1/appeals/{id}/merge` (`{"primary_id": …}`). Hotline-centre staff only.
#[utoipa::path(get, path = "/api/v1/appeals/{id}/duplicates", tag = "appeals",
    params(("id" = Uuid, Path, description = "appeal id")),
    responses(
        (status = 200, body = [DuplicateView]),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/appeals/{id}/duplicates")]
pub async fn list(
    state: web::Data<AppState>,
    _staff: CentreStaff,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?;
    let now = now();
    let found = db::run(&state.pool, move |conn| {
        let appeal = q::find(conn, id)?.ok_or_else(|| workflow::not_found(id))?;
        Ok(duplicates::probable(
            conn,
            &duplicates::Search {
                appeal: &appeal,
                closed_since: duplicate_closed_since(now),
                threshold: DUPLICATE_SIMILARITY_THRESHOLD,
                limit: DUPLICATE_LIMIT,
            },
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        found
            .into_iter()
            .map(DuplicateView::from)
            .collect::<Vec<_>>(),
    ))
}
