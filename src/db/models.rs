//! Row structs (one per table) and insert structs, as diesel reads and writes them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = appeals, check_for_backend(diesel::pg::Pg))]
pub struct Appeal {
    pub id: Uuid,
    pub tracking_no: String,
    pub access_code_hash: String,
    pub appellant_kind: String,
    pub kind: String,
    pub channel: String,
    pub title: String,
    pub content: String,
    pub category_code: Option<String>,
    pub division_code: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub enterprise_name: Option<String>,
    pub credit_code: Option<String>,
    pub confidential: bool,
    pub status: String,
    pub lead_department_code: Option<String>,
    pub deadline_class: Option<String>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub supervised: bool,
    pub reject_disposition: Option<String>,
    pub merged_into: Option<Uuid>,
    pub return_count: i32,
    pub rehandle_count: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub urgency: String,
    pub pool_reason: Option<String>,
    pub pool_detail: Option<String>,
    pub returned_by: Option<String>,
    pub pooled_at: Option<DateTime<Utc>>,
    pub dispatch_due_at: Option<DateTime<Utc>>,
    pub dispatch_warn_at: Option<DateTime<Utc>>,
    pub sign_warn_at: Option<DateTime<Utc>>,
    pub reply_warn_at: Option<DateTime<Utc>>,
    pub dispatch_stage: i16,
    pub sign_stage: i16,
    pub reply_stage: i16,
    pub next_alarm_at: Option<DateTime<Utc>>,
    pub signed_on_time: Option<bool>,
    pub replied_on_time: Option<bool>,
    pub handling_working_minutes: Option<i32>,
    pub follow_up_round: i32,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub closed_unrated: bool,
    pub close_reason: Option<String>,
    pub repeat_of: Option<Uuid>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = appeals)]
pub struct NewAppeal<'a> {
    pub id: Uuid,
    pub tracking_no: &'a str,
    pub access_code_hash: &'a str,
    pub appellant_kind: &'a str,
    pub kind: &'a str,
    pub channel: &'a str,
    pub title: &'a str,
    pub content: &'a str,
    pub category_code: Option<&'a str>,
    pub division_code: &'a str,
    pub address: Option<&'a str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub name: &'a str,
    pub phone: &'a str,
    pub email: Option<&'a str>,
    pub enterprise_name: Option<&'a str>,
    pub credit_code: Option<&'a str>,
    pub confidential: bool,
    pub status: &'a str,
    pub urgency: &'a str,
    pub pool_reason: Option<&'a str>,
    pub pool_detail: Option<&'a str>,
    pub pooled_at: Option<DateTime<Utc>>,
    pub dispatch_due_at: Option<DateTime<Utc>>,
    pub dispatch_warn_at: Option<DateTime<Utc>>,
    /// the dispatch clock's first alarm, written with the row (no second version of it)
    pub next_alarm_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// the appellant's recent closure in the same category this appeal repeats
    pub repeat_of: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments, check_for_backend(diesel::pg::Pg))]
pub struct Assignment {
    pub id: i64,
    pub appeal_id: Uuid,
    pub department_code: String,
    pub role: String,
    pub assigned_by: Option<Uuid>,
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub assigned_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<Uuid>,
    pub ended_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub reported_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = assignments)]
pub struct NewAssignment<'a> {
    pub appeal_id: Uuid,
    pub department_code: &'a str,
    pub role: &'a str,
    pub assigned_by: Option<Uuid>,
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub assigned_at: DateTime<Utc>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct AuditEvent {
    pub id: i64,
    pub appeal_id: Uuid,
    pub seq: i32,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub appeal_id: Uuid,
    pub seq: i32,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub details: &'a serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<&'a str>,
    pub hash: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = replies, check_for_backend(diesel::pg::Pg))]
pub struct Reply {
    pub id: i64,
    pub appeal_id: Uuid,
    pub department_code: String,
    pub author_id: Uuid,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notes, check_for_backend(diesel::pg::Pg))]
pub struct Note {
    pub id: i64,
    pub appeal_id: Uuid,
    pub author_id: Uuid,
    pub visibility: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub department_code: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = follow_ups, check_for_backend(diesel::pg::Pg))]
pub struct FollowUp {
    pub id: i64,
    pub appeal_id: Uuid,
    pub source: String,
    pub recorded_by: Option<Uuid>,
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub round: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub department_code: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub absent: bool,
    /// wrong passwords in a row since the last good one
    pub failed_logins: i16,
    /// locked against logins until then (repeated wrong passwords)
    pub locked_until: Option<DateTime<Utc>>,
    /// bumped when the account changes in a way that must end its sessions
    pub session_version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments, check_for_backend(diesel::pg::Pg))]
pub struct Department {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub division_code: String,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub auto_assign: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = divisions, check_for_backend(diesel::pg::Pg))]
pub struct Division {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: i16,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories, check_for_backend(diesel::pg::Pg))]
pub struct Category {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = routing_rules, check_for_backend(diesel::pg::Pg))]
pub struct RoutingRuleRow {
    pub id: i64,
    pub version: i32,
    pub name: String,
    pub priority: i32,
    pub enabled: bool,
    pub continue_matching: bool,
    pub conditions: serde_json::Value,
    pub action: serde_json::Value,
    pub is_current: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
}
