//! Routing rules (versioned), the routing state version, and the directory the matcher needs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::models::RoutingRuleRow;
use super::schema::{departments, divisions, routing_rules, routing_state};
use crate::domain::routing::{Directory, DivisionEntry, OfficeEntry};

pub fn current_rules(conn: &mut PgConnection) -> QueryResult<Vec<RoutingRuleRow>> {
    routing_rules::table
        .filter(routing_rules::is_current.eq(true))
        .order((routing_rules::priority.asc(), routing_rules::id.asc()))
        .select(RoutingRuleRow::as_select())
        .load(conn)
}

pub fn versions_of(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<RoutingRuleRow>> {
    routing_rules::table
        .filter(routing_rules::id.eq(id))
        .order(routing_rules::version.desc())
        .select(RoutingRuleRow::as_select())
        .load(conn)
}

/// The current version, locked against concurrent edits of the same rule.
pub fn lock_current(conn: &mut PgConnection, id: i64) -> QueryResult<Option<RoutingRuleRow>> {
    routing_rules::table
        .filter(routing_rules::id.eq(id))
        .filter(routing_rules::is_current.eq(true))
        .select(RoutingRuleRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn find_version(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
) -> QueryResult<Option<RoutingRuleRow>> {
    routing_rules::table
        .find((id, version))
        .select(RoutingRuleRow::as_select())
        .first(conn)
        .optional()
}

pub fn next_rule_id(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "nextval('routing_rule_ids')",
    ))
    .get_result(conn)
}

pub struct NewRuleVersion<'a> {
    pub id: i64,
    pub version: i32,
    pub name: &'a str,
    pub priority: i32,
    pub enabled: bool,
    pub continue_matching: bool,
    pub conditions: &'a serde_json::Value,
    pub action: &'a serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

/// Inserts a version and makes it the current one; bumps the routing state version so every
/// instance recompiles.
pub fn insert_version(
    conn: &mut PgConnection,
    v: &NewRuleVersion<'_>,
) -> QueryResult<RoutingRuleRow> {
    diesel::update(
        routing_rules::table
            .filter(routing_rules::id.eq(v.id))
            .filter(routing_rules::is_current.eq(true)),
    )
    .set(routing_rules::is_current.eq(false))
    .execute(conn)?;
    let row = diesel::insert_into(routing_rules::table)
        .values((
            routing_rules::id.eq(v.id),
            routing_rules::version.eq(v.version),
            routing_rules::name.eq(v.name),
            routing_rules::priority.eq(v.priority),
            routing_rules::enabled.eq(v.enabled),
            routing_rules::continue_matching.eq(v.continue_matching),
            routing_rules::conditions.eq(v.conditions),
            routing_rules::action.eq(v.action),
            routing_rules::is_current.eq(true),
            routing_rules::created_by.eq(v.created_by),
            routing_rules::created_at.eq(v.created_at),
            routing_rules::note.eq(v.note),
        ))
        .returning(RoutingRuleRow::as_returning())
        .get_result(conn)?;
    bump_version(conn)?;
    Ok(row)
}

/// The rule table's version; every instance compares it with its compiled copy.
pub fn state_version(conn: &mut PgConnection) -> QueryResult<i64> {
    routing_state::table
        .select(routing_state::version)
        .first(conn)
}

/// Serialises rule edits (row lock) and tells every instance to recompile.
pub fn bump_version(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::update(routing_state::table)
        .set(routing_state::version.eq(routing_state::version + 1))
        .returning(routing_state::version)
        .get_result(conn)
}

/// Divisions and the offices responsible for them.
pub fn directory(conn: &mut PgConnection) -> QueryResult<Directory> {
    let divisions = divisions::table
        .select((divisions::code, divisions::parent_code, divisions::level))
        .load::<(String, Option<String>, i16)>(conn)?
        .into_iter()
        .map(|(code, parent_code, level)| DivisionEntry {
            code,
            parent_code,
            level,
        })
        .collect();
    let offices = departments::table
        .filter(departments::kind.eq_any(["street_office", "district_government"]))
        .select((
            departments::code,
            departments::division_code,
            departments::kind,
            departments::active,
        ))
        .load::<(String, String, String, bool)>(conn)?
        .into_iter()
        .filter_map(|(department_code, division_code, kind, active)| {
            Some(OfficeEntry {
                department_code,
                division_code,
                kind: kind.parse().ok()?,
                active,
            })
        })
        .collect();
    Ok(Directory { divisions, offices })
}

/// Whether some category code starts with `prefix`.
pub fn category_prefix_exists(conn: &mut PgConnection, prefix: &str) -> QueryResult<bool> {
    use super::schema::categories;
    diesel::select(diesel::dsl::exists(
        categories::table.filter(categories::code.like(format!("{}%", escape_like(prefix)))),
    ))
    .get_result(conn)
}

pub fn division_prefix_exists(conn: &mut PgConnection, prefix: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        divisions::table.filter(divisions::code.like(format!("{}%", escape_like(prefix)))),
    ))
    .get_result(conn)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
