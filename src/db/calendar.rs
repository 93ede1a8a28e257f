//! The working calendar's tables and the administrative audit chain that records each change.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use uuid::Uuid;

use super::schema::{admin_events, calendar_days, calendar_settings};
use crate::domain::audit::{AdminEventContent, admin_event_hash, storage_precision};
use crate::domain::calendar::{CalendarSpec, DayKind, WorkingHours};

/// The stored calendar and its version.
pub fn load(conn: &mut PgConnection) -> QueryResult<(CalendarSpec, i64)> {
    let (time_zone, hours, weekdays, version): (String, serde_json::Value, Vec<Option<i16>>, i64) =
        calendar_settings::table
            .select((
                calendar_settings::time_zone,
                calendar_settings::working_hours,
                calendar_settings::working_weekdays,
                calendar_settings::version,
            ))
            .first(conn)?;
    let working_hours: Vec<WorkingHours> = serde_json::from_value(hours).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("calendar_settings.working_hours: {e}").into(),
        )
    })?;
    let days: Vec<(NaiveDate, String)> = calendar_days::table
        .select((calendar_days::day, calendar_days::kind))
        .order(calendar_days::day)
        .load(conn)?;
    let days: BTreeMap<NaiveDate, DayKind> = days
        .into_iter()
        .map(|(d, k)| {
            let kind = if k == "workday" {
                DayKind::Workday
            } else {
                DayKind::Holiday
            };
            (d, kind)
        })
        .collect();
    Ok((
        CalendarSpec {
            time_zone,
            working_hours,
            working_weekdays: weekdays.into_iter().flatten().map(|d| d as u8).collect(),
            days,
        },
        version,
    ))
}

pub fn version(conn: &mut PgConnection) -> QueryResult<i64> {
    calendar_settings::table
        .select(calendar_settings::version)
        .first(conn)
}

/// One explicit day as stored (with its name).
#[derive(Debug, Clone, Queryable)]
pub struct DayRow {
    pub day: NaiveDate,
    pub kind: String,
    pub name: String,
}

pub fn days_between(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<DayRow>> {
    let mut q = calendar_days::table
        .select((calendar_days::day, calendar_days::kind, calendar_days::name))
        .order(calendar_days::day)
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(calendar_days::day.ge(from));
    }
    if let Some(to) = to {
        q = q.filter(calendar_days::day.le(to));
    }
    q.load(conn)
}

/// Takes the calendar's row lock: calendar changes are serialised.
pub fn lock(conn: &mut PgConnection) -> QueryResult<i64> {
    calendar_settings::table
        .select(calendar_settings::version)
        .for_update()
        .first(conn)
}

fn bump(conn: &mut PgConnection, by: Option<Uuid>, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(calendar_settings::table)
        .set((
            calendar_settings::version.eq(calendar_settings::version + 1),
            calendar_settings::updated_at.eq(now),
            calendar_settings::updated_by.eq(by),
        ))
        .execute(conn)
        .map(drop)
}

pub fn save_settings(
    conn: &mut PgConnection,
    spec: &CalendarSpec,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let hours = serde_json::to_value(&spec.working_hours)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let weekdays: Vec<Option<i16>> = spec
        .working_weekdays
        .iter()
        .map(|d| Some(*d as i16))
        .collect();
    diesel::update(calendar_settings::table)
        .set((
            calendar_settings::time_zone.eq(&spec.time_zone),
            calendar_settings::working_hours.eq(hours),
            calendar_settings::working_weekdays.eq(weekdays),
        ))
        .execute(conn)?;
    bump(conn, by, now)
}

pub fn put_day(
    conn: &mut PgConnection,
    day: NaiveDate,
    kind: DayKind,
    name: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<Option<DayRow>> {
    let previous = calendar_days::table
        .find(day)
        .select((calendar_days::day, calendar_days::kind, calendar_days::name))
        .first::<DayRow>(conn)
        .optional()?;
    let kind = match kind {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    };
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::day.eq(day),
            calendar_days::kind.eq(kind),
            calendar_days::name.eq(name),
            calendar_days::updated_at.eq(now),
            calendar_days::updated_by.eq(by),
        ))
        .on_conflict(calendar_days::day)
        .do_update()
        .set((
            calendar_days::kind.eq(kind),
            calendar_days::name.eq(name),
            calendar_days::updated_at.eq(now),
            calendar_days::updated_by.eq(by),
        ))
        .execute(conn)?;
    bump(conn, by, now)?;
    Ok(previous)
}

pub fn delete_day(
    conn: &mut PgConnection,
    day: NaiveDate,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<Option<DayRow>> {
    let previous = calendar_days::table
        .find(day)
        .select((calendar_days::day, calendar_days::kind, calendar_days::name))
        .first::<DayRow>(conn)
        .optional()?;
    if previous.is_some() {
        diesel::delete(calendar_days::table.find(day)).execute(conn)?;
        bump(conn, by, now)?;
    }
    Ok(previous)
}

/// One stored administrative event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admin_events, check_for_backend(diesel::pg::Pg))]
pub struct AdminEvent {
    pub id: i64,
    pub seq: i64,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub subject: String,
    pub action: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

/// Appends to the administrative chain, in the caller's transaction (serialised by a
/// transaction-scoped advisory lock).
pub fn append_admin_event(
    conn: &mut PgConnection,
    actor_id: Option<Uuid>,
    actor_role: &str,
    subject: &str,
    action: &str,
    details: &serde_json::Value,
    at: DateTime<Utc>,
) -> QueryResult<AdminEvent> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(ADMIN_CHAIN_LOCK)
        .execute(conn)?;
    let last: Option<(i64, String)> = admin_events::table
        .order(admin_events::seq.desc())
        .select((admin_events::seq, admin_events::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match &last {
        Some((seq, hash)) => (seq + 1, Some(hash.as_str())),
        None => (1, None),
    };
    let created_at = storage_precision(at);
    let hash = admin_event_hash(&AdminEventContent {
        seq,
        actor_id,
        actor_role,
        subject,
        action,
        details,
        created_at,
        prev_hash,
    });
    diesel::insert_into(admin_events::table)
        .values((
            admin_events::seq.eq(seq),
            admin_events::actor_id.eq(actor_id),
            admin_events::actor_role.eq(actor_role),
            admin_events::subject.eq(subject),
            admin_events::action.eq(action),
            admin_events::details.eq(details),
            admin_events::created_at.eq(created_at),
            admin_events::prev_hash.eq(prev_hash),
            admin_events::hash.eq(&hash),
        ))
        .returning(AdminEvent::as_returning())
        .get_result(conn)
}

/// The advisory lock key of the administrative chain ("minxin-admin" folded into an i64).
const ADMIN_CHAIN_LOCK: i64 = 0x6d69_6e78_6164_6d6e;

pub fn admin_events_of(
    conn: &mut PgConnection,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<AdminEvent>> {
    admin_events::table
        .filter(admin_events::subject.eq(subject))
        .order(admin_events::seq.desc())
        .limit(limit)
        .select(AdminEvent::as_select())
        .load(conn)
}

/// Checks the whole administrative chain; the first broken link as (seq, reason).
pub fn verify_admin_chain(conn: &mut PgConnection) -> QueryResult<(u64, Option<(i64, String)>)> {
    let events: Vec<AdminEvent> = admin_events::table
        .order(admin_events::seq.asc())
        .select(AdminEvent::as_select())
        .load(conn)?;
    let mut prev: Option<&AdminEvent> = None;
    for (i, e) in events.iter().enumerate() {
        if e.seq != i as i64 + 1 {
            return Ok((
                i as u64,
                Some((e.seq, "an administrative event is missing".into())),
            ));
        }
        if e.prev_hash.as_deref() != prev.map(|p| p.hash.as_str()) {
            return Ok((i as u64, Some((e.seq, "prev_hash does not match".into()))));
        }
        let recomputed = admin_event_hash(&AdminEventContent {
            seq: e.seq,
            actor_id: e.actor_id,
            actor_role: &e.actor_role,
            subject: &e.subject,
            action: &e.action,
            details: &e.details,
            created_at: e.created_at,
            prev_hash: e.prev_hash.as_deref(),
        });
        if recomputed != e.hash {
            return Ok((
                i as u64,
                Some((e.seq, "content does not match its hash (altered)".into())),
            ));
        }
        prev = Some(e);
    }
    Ok((events.len() as u64, None))
}

/// The latest administrative events of every subject, newest first.
pub fn recent_admin_events(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<AdminEvent>> {
    admin_events::table
        .order(admin_events::seq.desc())
        .limit(limit)
        .select(AdminEvent::as_select())
        .load(conn)
}
