//! Keys of integrations (Open311 clients), kept by administrators: issue (the key is shown in
//! that answer only), list, revoke.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::json::JsonBody;
use super::now;
use crate::auth::AdminStaff;
use crate::db::{self, open311 as store};
use crate::error::AppError;
use crate::open311::keys::{self, IssuedKey, Issuer, KeyView};
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// who the key is for, e.g. the integration's name (1–100 characters)
    #[schema(
        example = "鞍山市民通 app",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// Every key, newest first (never the keys themselves).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "integrations",
    responses((status = 200, body = Vec<KeyView>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api-keys")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let keys = db::run(&state.pool, |conn| Ok(store::list_keys(conn)?)).await?;
    let views: Vec<KeyView> = keys.into_iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Issues a key. The answer holds the key itself, once: give it to the integration now.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "integrations", request_body = NewKeyBody,
    responses((status = 201, body = IssuedKey),
        (status = 400, description = "malformed JSON", body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, description = "name empty or too long", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/api-keys")]
pub async fn issue(
    state: web::Data<AppState>,
    admin: AdminStaff,
    body: JsonBody<NewKeyBody>,
) -> Result<HttpResponse, AppError> {
    let by = admin.0.0;
    let name = body.value.name;
    let issued = db::run(&state.pool, move |conn| {
        keys::issue(conn, &name, &Issuer::staff(&by), now())
    })
    .await?;
    tracing::info!(key = %issued.view.key_prefix, name = %issued.view.name, "API key issued");
    Ok(HttpResponse::Created().json(issued))
}

/// Revokes a key: requests with it are refused from now on. Revoking twice changes nothing.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "integrations",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = KeyView),
        (status = 400, description = "the id is not a UUID", body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/api-keys/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: AdminStaff,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::BadRequest {
        code: "invalid_path",
        message: format!("`{id}` is not an API key id (a UUID)"),
        field: Some("id".into()),
    })?;
    let by = admin.0.0;
    let key = db::run(&state.pool, move |conn| {
        keys::revoke(conn, id, &Issuer::staff(&by), now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(key))
}
