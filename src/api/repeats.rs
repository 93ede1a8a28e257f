//! Repeat appeals (重复诉求) for supervisors: each one doubts a closure (a possible false closure,
//! 虚假办结), counted against the department that closed it.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Paging;
use super::views::PageOf;
use crate::auth::SupervisorStaff;
use crate::db::{self, repeats};
use crate::error::AppError;
use crate::startup::AppState;

/// A repeat appeal and the closure it doubts. No personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepeatView {
    /// the repeat appeal
    pub id: Uuid,
    pub tracking_no: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub category_code: Option<String>,
    /// the appellant's earlier appeal, closed shortly before this one was filed
    pub repeat_of: Uuid,
    pub repeat_of_tracking_no: String,
    pub repeat_of_closed_at: Option<DateTime<Utc>>,
    /// the department whose closure is in doubt
    pub repeat_of_lead_department_code: Option<String>,
}

impl From<repeats::RepeatRow> for RepeatView {
    fn from(r: repeats::RepeatRow) -> Self {
        RepeatView {
            id: r.id,
            tracking_no: r.tracking_no,
            status: r.status,
            created_at: r.created_at,
            category_code: r.category_code,
            repeat_of: r.closed_id,
            repeat_of_tracking_no: r.closed_tracking_no,
            repeat_of_closed_at: r.closed_at,
            repeat_of_lead_department_code: r.closed_lead_department_code,
        }
    }
}

/// One department's repeats.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRepeats {
    pub department_code: String,
    pub department_name: Option<String>,
    /// repeat appeals doubting its closures, each matter once (a repeat merged into another
    /// appeal is not counted)
    pub repeats: i64,
    /// distinct closures in doubt
    pub closures: i64,
}

/// Repeat appeals, newest first: an appellant (same phone for a citizen, same credit code for
/// an enterprise) back in the same category within 7 days after a closure of theirs, with the
/// closure in doubt and the department that closed it. Supervisors and administrators.
#[utoipa::path(get, path = "/api/v1/repeats", tag = "reports", params(Paging),
    responses(
        (status = 200, body = PageOf<RepeatView>),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/repeats")]
pub async fn list(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (page, per_page) = paging.into_inner().resolve()?;
    let result = db::run(&state.pool, move |conn| {
        Ok(repeats::list(conn, per_page, (page - 1) * per_page)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: result
            .items
            .into_iter()
            .map(RepeatView::from)
            .collect::<Vec<_>>(),
        page,
        per_page,
        total: result.total,
    }))
}

/// Repeat appeals counted per department whose closure they doubt, most first. Supervisors and
/// administrators.
#[utoipa::path(get, path = "/api/v1/repeats/by-department", tag = "reports",
    responses(
        (status = 200, body = [DepartmentRepeats]),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/repeats/by-department")]
pub async fn by_department(
    state: web::Data<AppState>,
    _supervisor: SupervisorStaff,
) -> Result<HttpResponse, AppError> {
    let counts = db::run(&state.pool, move |conn| Ok(repeats::by_department(conn)?)).await?;
    Ok(HttpResponse::Ok().json(
        counts
            .into_iter()
            .map(|c| DepartmentRepeats {
                department_code: c.department_code,
                department_name: c.department_name,
                repeats: c.repeats,
                closures: c.closures,
            })
            .collect::<Vec<_>>(),
    ))
}
