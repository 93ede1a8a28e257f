//! Writing and checking the per-appeal audit chain. Every writer holds the appeal's row lock
//! (or has just created the appeal), so appends to one chain never race; the unique
//! (appeal_id, seq) constraint is the backstop.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::models::{AuditEvent, NewAuditEvent};
use super::schema::audit_events;
use crate::domain::audit::{EventContent, event_hash, storage_precision};

/// Who did it, as the audit log records it.
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub user_id: Option<Uuid>,
    /// resident, system, or a staff role
    pub role: String,
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub details: serde_json::Value,
}

/// Appends one event to the appeal's chain, in the caller's transaction.
pub fn append(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    actor: &AuditActor,
    change: &Change<'_>,
    at: DateTime<Utc>,
) -> QueryResult<AuditEvent> {
    // the log is partitioned by month: this asks each month's partition (an index probe each)
    let last: Option<(i32, String)> = audit_events::table
        .filter(audit_events::appeal_id.eq(appeal_id))
        .order(audit_events::seq.desc())
        .select((audit_events::seq, audit_events::hash))
        .first(conn)
        .optional()?;
    write(conn, appeal_id, last, actor, change, at)
}

/// Starts the chain of an appeal created in the caller's transaction (intake): there is no
/// event before it to look up. Had there been one, the chain position's unique constraint
/// refuses the second event 1.
pub fn append_first(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    actor: &AuditActor,
    change: &Change<'_>,
    at: DateTime<Utc>,
) -> QueryResult<AuditEvent> {
    write(conn, appeal_id, None, actor, change, at)
}

fn write(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    last: Option<(i32, String)>,
    actor: &AuditActor,
    change: &Change<'_>,
    at: DateTime<Utc>,
) -> QueryResult<AuditEvent> {
    let (seq, prev_hash) = match &last {
        Some((seq, hash)) => (seq + 1, Some(hash.as_str())),
        None => (1, None),
    };
    let created_at = storage_precision(at);
    let content = EventContent {
        appeal_id,
        seq,
        actor_id: actor.user_id,
        actor_role: &actor.role,
        action: change.action,
        from_status: change.from_status,
        to_status: change.to_status,
        details: &change.details,
        created_at,
        prev_hash,
    };
    let hash = event_hash(&content);
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            appeal_id,
            seq,
            actor_id: actor.user_id,
            actor_role: &actor.role,
            action: change.action,
            from_status: change.from_status,
            to_status: change.to_status,
            details: &change.details,
            created_at,
            prev_hash,
            hash: &hash,
        })
        .returning(AuditEvent::as_returning())
        .get_result(conn)
}

pub fn events_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::appeal_id.eq(appeal_id))
        .order(audit_events::seq.asc())
        .select(AuditEvent::as_select())
        .load(conn)
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub appeal_id: Uuid,
    pub seq: i32,
    pub event_id: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub chains: u64,
    pub events: u64,
    pub broken: Option<BrokenLink>,
}

/// Checks one chain (events in seq order).
pub fn verify_chain(events: &[AuditEvent]) -> Result<(), BrokenLink> {
    let mut prev: Option<&AuditEvent> = None;
    for (i, e) in events.iter().enumerate() {
        let broken = |reason: String| BrokenLink {
            appeal_id: e.appeal_id,
            seq: e.seq,
            event_id: e.id,
            reason,
        };
        let expected_seq = i as i32 + 1;
        if e.seq != expected_seq {
            return Err(broken(format!(
                "sequence jumps to {} where {expected_seq} was expected (an event is missing)",
                e.seq
            )));
        }
        if e.prev_hash.as_deref() != prev.map(|p| p.hash.as_str()) {
            return Err(broken(
                "prev_hash does not match the previous event's hash".into(),
            ));
        }
        let recomputed = event_hash(&EventContent {
            appeal_id: e.appeal_id,
            seq: e.seq,
            actor_id: e.actor_id,
            actor_role: &e.actor_role,
            action: &e.action,
            from_status: e.from_status.as_deref(),
            to_status: e.to_status.as_deref(),
            details: &e.details,
            created_at: e.created_at,
            prev_hash: e.prev_hash.as_deref(),
        });
        if recomputed != e.hash {
            return Err(broken(
                "the event's content does not match its hash (it was altered)".into(),
            ));
        }
        prev = Some(e);
    }
    Ok(())
}

/// Recomputes every chain, appeal by appeal, streaming in batches; stops at the first broken link.
pub fn verify_all(
    conn: &mut PgConnection,
    mut progress: impl FnMut(u64),
) -> QueryResult<VerifyReport> {
    use super::schema::appeals;
    let mut report = VerifyReport::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = appeals::table
            .select(appeals::id)
            .order(appeals::id.asc())
            .limit(500)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(appeals::id.gt(last));
        }
        let ids: Vec<Uuid> = query.load(conn)?;
        if ids.is_empty() {
            return Ok(report);
        }
        let events: Vec<AuditEvent> = audit_events::table
            .filter(audit_events::appeal_id.eq_any(&ids))
            .order((audit_events::appeal_id.asc(), audit_events::seq.asc()))
            .select(AuditEvent::as_select())
            .load(conn)?;
        // Both lists are ordered by appeal id (Postgres and Rust order UUIDs bytewise alike).
        let mut rest = events.as_slice();
        for id in &ids {
            let len = rest.iter().take_while(|e| e.appeal_id == *id).count();
            let (chain, tail) = rest.split_at(len);
            rest = tail;
            report.chains += 1;
            report.events += chain.len() as u64;
            if chain.is_empty() {
                report.broken = Some(BrokenLink {
                    appeal_id: *id,
                    seq: 0,
                    event_id: 0,
                    reason: "the appeal has no audit events at all (its intake event was deleted)"
                        .into(),
                });
                return Ok(report);
            }
            if let Err(link) = verify_chain(chain) {
                report.broken = Some(link);
                return Ok(report);
            }
        }
        progress(report.chains);
        after = ids.last().copied();
    }
}
