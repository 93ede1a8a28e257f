//! The outbox table: notifications are written here in the transaction that caused them, and
//! [`super::sender::deliver_due`] delivers them after commit. A rolled-back action therefore
//! sends nothing, and a committed one is never forgotten.

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use uuid::Uuid;

use super::templates::Notice;
use crate::db::schema::outbox;

/// One outbox row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox, check_for_backend(diesel::pg::Pg))]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub appeal_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// the last failure, kept after a later success as the message's history
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
struct NewOutboxRow<'a> {
    kind: &'a str,
    recipient: &'a str,
    subject: &'a str,
    body: &'a str,
    appeal_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    next_attempt_at: DateTime<Utc>,
}

/// The subject column's length.
const SUBJECT_MAX_CHARS: usize = 300;

/// Renders `notice` in `tz` and queues it for `recipient`, due at once; returns the row's id.
/// Runs inside the caller's transaction, so the message exists exactly when the change that
/// caused it commits. The recipient must look like an address (`x@y`, the table's CHECK): a
/// malformed one is a database error that fails the caller's transaction, so validate first.
pub fn enqueue(
    conn: &mut PgConnection,
    recipient: &str,
    notice: &Notice,
    tz: chrono_tz::Tz,
    appeal_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let rendered = notice.render(tz);
    let subject: String = rendered.subject.chars().take(SUBJECT_MAX_CHARS).collect();
    diesel::insert_into(outbox::table)
        .values(&NewOutboxRow {
            kind: notice.kind(),
            recipient: recipient.trim(),
            subject: &subject,
            body: &rendered.body,
            appeal_id,
            created_at: now,
            next_attempt_at: now,
        })
        .returning(outbox::id)
        .get_result(conn)
}

/// What an operator watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxStats {
    /// not sent yet (due now or waiting for a retry)
    pub pending: i64,
    pub sent: i64,
    /// not sent, and at least one attempt failed
    pub failing: i64,
    /// when the oldest unsent message was queued
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// the error of the failing message that was tried most recently
    pub last_error: Option<String>,
    /// when that message was tried
    pub last_failed_at: Option<DateTime<Utc>>,
}

pub fn stats(conn: &mut PgConnection) -> QueryResult<OutboxStats> {
    let pending: i64 = outbox::table
        .filter(outbox::sent_at.is_null())
        .select(count_star())
        .get_result(conn)?;
    let sent: i64 = outbox::table
        .filter(outbox::sent_at.is_not_null())
        .select(count_star())
        .get_result(conn)?;
    let failing: i64 = outbox::table
        .filter(outbox::sent_at.is_null().and(outbox::attempts.gt(0)))
        .select(count_star())
        .get_result(conn)?;
    let oldest_pending_at: Option<DateTime<Utc>> = outbox::table
        .filter(outbox::sent_at.is_null())
        .select(diesel::dsl::min(outbox::created_at))
        .get_result(conn)?;
    let last_failure: Option<(Option<String>, Option<DateTime<Utc>>)> = outbox::table
        .filter(outbox::sent_at.is_null().and(outbox::attempts.gt(0)))
        .order((
            outbox::last_attempt_at.desc().nulls_last(),
            outbox::id.desc(),
        ))
        .select((outbox::last_error, outbox::last_attempt_at))
        .first(conn)
        .optional()?;
    let (last_error, last_failed_at) = last_failure.unwrap_or((None, None));
    Ok(OutboxStats {
        pending,
        sent,
        failing,
        oldest_pending_at,
        last_error,
        last_failed_at,
    })
}

/// For an operator: the unsent messages, oldest first (`pending_only`), or all messages, newest
/// first; at most `limit`.
pub fn list(
    conn: &mut PgConnection,
    pending_only: bool,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let query = outbox::table
        .select(OutboxRow::as_select())
        .limit(limit.max(0))
        .into_boxed();
    if pending_only {
        query
            .filter(outbox::sent_at.is_null())
            .order((outbox::created_at.asc(), outbox::id.asc()))
            .load(conn)
    } else {
        query.order(outbox::id.desc()).load(conn)
    }
}
