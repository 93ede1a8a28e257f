//! Integrations' keys (`api_keys`), the request each integration filed (`open311_requests`),
//! and the extra fields of a category (`category_fields`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::{api_keys, category_fields, open311_requests};

/// A stored key, without its hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub key_prefix: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub key_prefix: &'a str,
    pub key_hash: &'a str,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub fn insert_key(conn: &mut PgConnection, key: &NewApiKey<'_>) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .returning(ApiKey::as_returning())
        .get_result(conn)
}

/// All keys, newest first.
pub fn list_keys(conn: &mut PgConnection) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .select(ApiKey::as_select())
        .order((api_keys::created_at.desc(), api_keys::id))
        .load(conn)
}

pub fn find_key(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Revokes a key (once: a revoked key keeps its first revocation time). Returns the key as it
/// now stands.
pub fn revoke_key(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<ApiKey>> {
    diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    find_key(conn, id)
}

/// The live key with this hash, marking it used. `last_used_at` moves at most once a minute,
/// so a busy integration does not rewrite its key row on every request.
pub fn use_key(
    conn: &mut PgConnection,
    key_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<ApiKey>> {
    let key = api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    if let Some(k) = &key
        && k.last_used_at
            .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        diesel::update(api_keys::table.find(k.id))
            .set(api_keys::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(key)
}

/// Records that an integration filed this appeal; in the intake's transaction.
pub fn insert_request(
    conn: &mut PgConnection,
    token: Uuid,
    appeal_id: Uuid,
    api_key_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(open311_requests::table)
        .values((
            open311_requests::token.eq(token),
            open311_requests::appeal_id.eq(appeal_id),
            open311_requests::api_key_id.eq(api_key_id),
            open311_requests::created_at.eq(now),
        ))
        .execute(conn)
}

/// The token an integration was given for this appeal.
pub fn token_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Option<Uuid>> {
    open311_requests::table
        .filter(open311_requests::appeal_id.eq(appeal_id))
        .select(open311_requests::token)
        .first(conn)
        .optional()
}

/// The appeal a token stands for.
pub fn appeal_of_token(conn: &mut PgConnection, token: Uuid) -> QueryResult<Option<Uuid>> {
    open311_requests::table
        .find(token)
        .select(open311_requests::appeal_id)
        .first(conn)
        .optional()
}

/// One extra field a category asks for.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = category_fields, check_for_backend(diesel::pg::Pg))]
pub struct CategoryField {
    pub category_code: String,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub description: String,
    pub datatype_description: Option<String>,
    pub position: i16,
    pub choices: serde_json::Value,
}

#[derive(Insertable)]
#[diesel(table_name = category_fields)]
pub struct NewCategoryField<'a> {
    pub category_code: &'a str,
    pub code: &'a str,
    pub datatype: &'a str,
    pub required: bool,
    pub description: &'a str,
    pub datatype_description: Option<&'a str>,
    pub position: i16,
    pub choices: serde_json::Value,
}

/// The extra fields of one category, in their order.
pub fn fields_of(conn: &mut PgConnection, category: &str) -> QueryResult<Vec<CategoryField>> {
    category_fields::table
        .filter(category_fields::category_code.eq(category))
        .select(CategoryField::as_select())
        .order((category_fields::position, category_fields::code))
        .load(conn)
}

/// Adds fields (demo data); a field already there is left as it is.
pub fn insert_fields(
    conn: &mut PgConnection,
    fields: &[NewCategoryField<'_>],
) -> QueryResult<usize> {
    diesel::insert_into(category_fields::table)
        .values(fields)
        .on_conflict_do_nothing()
        .execute(conn)
}
