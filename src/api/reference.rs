//! Public reference lists the intake form needs.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, reference};
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeNode {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// divisions: 1 city, 2 district/county, 3 street/township, 4 community, 5 grid
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<i16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub code: String,
    pub name: String,
    /// hotline_centre, city_bureau, district_government, street_office, utility
    pub kind: String,
    pub division_code: String,
}

/// 问题分类: the category tree, flat, parents first.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference", responses((status = 200, body = [CodeNode])))]
#[get("/categories")]
pub async fn categories(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, |c| Ok(reference::list_categories(c)?)).await?;
    Ok(cached(
        rows.into_iter()
            .map(|r| CodeNode {
                code: r.code,
                name: r.name,
                parent_code: r.parent_code,
                level: None,
            })
            .collect::<Vec<_>>(),
    ))
}

/// 行政区划: the division tree, flat.
#[utoipa::path(get, path = "/api/v1/divisions", tag = "reference", responses((status = 200, body = [CodeNode])))]
#[get("/divisions")]
pub async fn divisions(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, |c| Ok(reference::list_divisions(c)?)).await?;
    Ok(cached(
        rows.into_iter()
            .map(|r| CodeNode {
                code: r.code,
                name: r.name,
                parent_code: r.parent_code,
                level: Some(r.level),
            })
            .collect::<Vec<_>>(),
    ))
}

/// 承办单位: active departments (no contact addresses).
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference", responses((status = 200, body = [DepartmentView])))]
#[get("/departments")]
pub async fn departments(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, |c| Ok(reference::list_departments(c, false)?)).await?;
    Ok(cached(
        rows.into_iter()
            .map(|d| DepartmentView {
                code: d.code,
                name: d.name,
                kind: d.kind,
                division_code: d.division_code,
            })
            .collect::<Vec<_>>(),
    ))
}

fn cached<T: Serialize>(body: T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(body)
}
