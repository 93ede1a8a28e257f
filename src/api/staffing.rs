//! Who takes new work inside a department: auto-assignment per department (admin) and clerks
//! marked absent (admin, or the clerks themselves).

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonBody;
use crate::auth::{AdminStaff, Staff};
use crate::db::{self, schema};
use crate::domain::enums::Role;
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAssignBody {
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AutoAssignState {
    pub department_code: String,
    pub auto_assign: bool,
}

/// Turns auto-assignment on or off for a department: new appeals go to its active, present
/// clerk with the fewest open appeals.
#[utoipa::path(post, path = "/api/v1/departments/{code}/auto-assign", tag = "staffing", request_body = AutoAssignBody,
    params(("code" = String, Path)), responses((status = 200, body = AutoAssignState), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/departments/{code}/auto-assign")]
pub async fn auto_assign(
    state: web::Data<AppState>,
    _admin: AdminStaff,
    code: web::Path<String>,
    body: JsonBody<AutoAssignBody>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let enabled = body.value.enabled;
    let department_code = code.clone();
    db::run(&state.pool, move |conn| {
        use schema::departments::dsl as d;
        let n = diesel::update(d::departments.find(&code))
            .set(d::auto_assign.eq(enabled))
            .execute(conn)?;
        if n == 0 {
            return Err(AppError::NotFound(format!("no department `{code}`")));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(AutoAssignState {
        department_code,
        auto_assign: enabled,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceBody {
    pub absent: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AbsenceState {
    pub username: String,
    pub absent: bool,
}

/// Marks a clerk absent (skipped by auto-assignment) or back. An administrator may mark anyone;
/// a staff member may mark themselves.
#[utoipa::path(post, path = "/api/v1/users/{username}/absence", tag = "staffing", request_body = AbsenceBody,
    params(("username" = String, Path)), responses((status = 200, body = AbsenceState), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/users/{username}/absence")]
pub async fn absence(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
    body: JsonBody<AbsenceBody>,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    if staff.0.role != Role::Admin && staff.0.username != username {
        return Err(AppError::Forbidden(
            "you may mark only yourself absent; an administrator may mark anyone".into(),
        ));
    }
    let absent = body.value.absent;
    let name = username.clone();
    db::run(&state.pool, move |conn| {
        use schema::users::dsl as u;
        let n = diesel::update(u::users.filter(u::username.eq(&name)))
            .set(u::absent.eq(absent))
            .execute(conn)?;
        if n == 0 {
            return Err(AppError::NotFound(format!("no user `{name}`")));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(AbsenceState { username, absent }))
}
