//! Queries on appeals and their assignments, replies, notes and follow-ups.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::models::{Appeal, Assignment, FollowUp, NewAppeal, NewAssignment, Note, Reply};
use super::schema::{appeals, assignments, follow_ups, idempotency_keys, notes, replies};

pub fn insert(conn: &mut PgConnection, new: &NewAppeal<'_>) -> QueryResult<Appeal> {
    diesel::insert_into(appeals::table)
        .values(new)
        .returning(Appeal::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Appeal>> {
    appeals::table
        .find(id)
        .select(Appeal::as_select())
        .first(conn)
        .optional()
}

/// Locks the appeal's row for the rest of the transaction: concurrent actions on one appeal
/// queue here, and each sees the state the previous one left.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Appeal>> {
    appeals::table
        .find(id)
        .select(Appeal::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn find_by_tracking_no(
    conn: &mut PgConnection,
    tracking_no: &str,
) -> QueryResult<Option<Appeal>> {
    appeals::table
        .filter(appeals::tracking_no.eq(tracking_no))
        .select(Appeal::as_select())
        .first(conn)
        .optional()
}

pub fn live_assignments(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<Assignment>> {
    assignments::table
        .filter(assignments::appeal_id.eq(appeal_id))
        .filter(assignments::ended_at.is_null())
        .order(assignments::id.asc())
        .select(Assignment::as_select())
        .load(conn)
}

pub fn insert_assignment(conn: &mut PgConnection, new: &NewAssignment<'_>) -> QueryResult<usize> {
    diesel::insert_into(assignments::table)
        .values(new)
        .execute(conn)
}

/// Ends every live assignment of the appeal (`reason`: returned, merged).
pub fn end_assignments(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        assignments::table
            .filter(assignments::appeal_id.eq(appeal_id))
            .filter(assignments::ended_at.is_null()),
    )
    .set((
        assignments::ended_at.eq(at),
        assignments::end_reason.eq(reason),
    ))
    .execute(conn)
}

pub fn set_assignee(conn: &mut PgConnection, assignment_id: i64, user: Uuid) -> QueryResult<usize> {
    diesel::update(assignments::table.find(assignment_id))
        .set(assignments::assignee_id.eq(user))
        .execute(conn)
}

/// Marks a co-handler's part as reported, the first time; returns rows changed.
pub fn mark_reported(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    department: &str,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        assignments::table
            .filter(assignments::appeal_id.eq(appeal_id))
            .filter(assignments::department_code.eq(department))
            .filter(assignments::role.eq("co"))
            .filter(assignments::ended_at.is_null())
            .filter(assignments::reported_at.is_null()),
    )
    .set(assignments::reported_at.eq(at))
    .execute(conn)
}

pub fn sign_assignment(
    conn: &mut PgConnection,
    assignment_id: i64,
    by: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(assignments::table.find(assignment_id))
        .set((assignments::signed_at.eq(at), assignments::signed_by.eq(by)))
        .execute(conn)
}

pub fn insert_reply(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    department_code: &str,
    author_id: Uuid,
    content: &str,
    at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(replies::table)
        .values((
            replies::appeal_id.eq(appeal_id),
            replies::department_code.eq(department_code),
            replies::author_id.eq(author_id),
            replies::content.eq(content),
            replies::created_at.eq(at),
        ))
        .returning(replies::id)
        .get_result(conn)
}

#[allow(clippy::too_many_arguments)]
pub fn insert_note(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    author_id: Uuid,
    department_code: Option<&str>,
    visibility: &str,
    content: &str,
    at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(notes::table)
        .values((
            notes::appeal_id.eq(appeal_id),
            notes::author_id.eq(author_id),
            notes::department_code.eq(department_code),
            notes::visibility.eq(visibility),
            notes::content.eq(content),
            notes::created_at.eq(at),
        ))
        .returning(notes::id)
        .get_result(conn)
}

pub struct NewFollowUp<'a> {
    pub appeal_id: Uuid,
    /// the follow-up round answered
    pub round: i32,
    /// staff (a return-visit call) or appellant (the signed link)
    pub source: &'a str,
    /// who called, for a return visit
    pub recorded_by: Option<Uuid>,
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: &'a str,
    pub comment: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub fn insert_follow_up(conn: &mut PgConnection, f: &NewFollowUp<'_>) -> QueryResult<i64> {
    diesel::insert_into(follow_ups::table)
        .values((
            follow_ups::appeal_id.eq(f.appeal_id),
            follow_ups::source.eq(f.source),
            follow_ups::round.eq(f.round),
            follow_ups::recorded_by.eq(f.recorded_by),
            follow_ups::contacted.eq(f.contacted),
            follow_ups::solved.eq(f.solved),
            follow_ups::satisfaction.eq(f.satisfaction),
            follow_ups::comment.eq(f.comment),
            follow_ups::created_at.eq(f.at),
        ))
        .returning(follow_ups::id)
        .get_result(conn)
}

pub fn replies_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<Reply>> {
    replies::table
        .filter(replies::appeal_id.eq(appeal_id))
        .order(replies::created_at.asc())
        .select(Reply::as_select())
        .load(conn)
}

pub fn notes_of(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    public_only: bool,
) -> QueryResult<Vec<Note>> {
    let mut q = notes::table
        .filter(notes::appeal_id.eq(appeal_id))
        .into_boxed();
    if public_only {
        q = q.filter(notes::visibility.eq("public"));
    }
    q.order(notes::created_at.asc())
        .select(Note::as_select())
        .load(conn)
}

pub fn follow_ups_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<FollowUp>> {
    follow_ups::table
        .filter(follow_ups::appeal_id.eq(appeal_id))
        .order(follow_ups::created_at.asc())
        .select(FollowUp::as_select())
        .load(conn)
}

/// One page of a list, newest facts first where it matters.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The pool: submitted appeals (new and returned), oldest first.
pub fn pool(conn: &mut PgConnection, limit: i64, offset: i64) -> QueryResult<Page<Appeal>> {
    let total = appeals::table
        .filter(appeals::status.eq("submitted"))
        .count()
        .get_result(conn)?;
    let items = appeals::table
        .filter(appeals::status.eq("submitted"))
        .order((appeals::created_at.asc(), appeals::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(Appeal::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// A filter on the reply deadline, for the workbench's "due soon" and "overdue" tabs.
#[derive(Debug, Clone, Copy)]
pub enum Due {
    Any,
    /// due before the instant (overdue when it is now)
    Before(DateTime<Utc>),
    /// due in `[from, to)`
    Between(DateTime<Utc>, DateTime<Utc>),
}

/// The order of a department's queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueOrder {
    /// the nearest reply deadline first (no deadline last): most pressing first
    #[default]
    DeadlineFirst,
    /// the furthest reply deadline first (no deadline last)
    DeadlineLast,
    /// the latest received first
    NewestFirst,
}

/// A department's queue: appeals it leads or co-handles right now, in `order`.
#[allow(clippy::too_many_arguments)]
pub fn queue(
    conn: &mut PgConnection,
    department: &str,
    statuses: &[String],
    due: Due,
    awaiting_co_handlers: bool,
    order: QueueOrder,
    limit: i64,
    offset: i64,
) -> QueryResult<Page<(Appeal, String)>> {
    let co = diesel::alias!(assignments as co);
    let base = || {
        let mut q = appeals::table
            .inner_join(assignments::table)
            .filter(assignments::department_code.eq(department.to_owned()))
            .filter(assignments::ended_at.is_null())
            .into_boxed();
        if !statuses.is_empty() {
            q = q.filter(appeals::status.eq_any(statuses.to_vec()));
        }
        if awaiting_co_handlers {
            // led here, with a co-handling department that has not yet signed for its part
            q = q
                .filter(assignments::role.eq("lead"))
                .filter(diesel::dsl::exists(
                    co.filter(co.field(assignments::appeal_id).eq(appeals::id))
                        .filter(co.field(assignments::role).eq("co"))
                        .filter(co.field(assignments::ended_at).is_null())
                        .filter(co.field(assignments::signed_at).is_null()),
                ));
        }
        match due {
            Due::Any => q,
            Due::Before(t) => q.filter(appeals::reply_due_at.lt(t)),
            Due::Between(from, to) => q
                .filter(appeals::reply_due_at.ge(from))
                .filter(appeals::reply_due_at.lt(to)),
        }
    };
    let total = base().count().get_result(conn)?;
    let ordered = match order {
        QueueOrder::DeadlineFirst => base().order((
            appeals::reply_due_at.asc().nulls_last(),
            appeals::created_at.asc(),
            appeals::id.asc(),
        )),
        QueueOrder::DeadlineLast => base().order((
            appeals::reply_due_at.desc().nulls_last(),
            appeals::created_at.desc(),
            appeals::id.desc(),
        )),
        QueueOrder::NewestFirst => base().order((appeals::created_at.desc(), appeals::id.desc())),
    };
    let items = ordered
        .limit(limit)
        .offset(offset)
        .select((Appeal::as_select(), assignments::role))
        .load(conn)?;
    Ok(Page { items, total })
}

pub fn find_idempotency(conn: &mut PgConnection, key: &str) -> QueryResult<Option<(String, Uuid)>> {
    idempotency_keys::table
        .find(key)
        .select((idempotency_keys::request_hash, idempotency_keys::appeal_id))
        .first(conn)
        .optional()
}

pub fn insert_idempotency(
    conn: &mut PgConnection,
    key: &str,
    request_hash: &str,
    appeal_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::appeal_id.eq(appeal_id),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)
}

/// The most recent appeals, newest first.
pub fn latest(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Appeal>> {
    appeals::table
        .order(appeals::created_at.desc())
        .limit(limit)
        .select(Appeal::as_select())
        .load(conn)
}

/// One extension request as stored.
#[derive(Debug, Clone, Queryable)]
pub struct ExtensionRow {
    pub id: i64,
    pub department_code: String,
    pub reason: String,
    pub previous_due_at: DateTime<Utc>,
    pub requested_until: DateTime<Utc>,
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub fn extensions_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<ExtensionRow>> {
    use super::schema::extensions as e;
    e::table
        .filter(e::appeal_id.eq(appeal_id))
        .order(e::created_at.asc())
        .select((
            e::id,
            e::department_code,
            e::reason,
            e::previous_due_at,
            e::requested_until,
            e::status,
            e::decision_note,
            e::decided_at,
            e::created_at,
        ))
        .load(conn)
}

/// Overdue open appeals (the reply or sign deadline passed: stage 2 reminded, 3 escalated to
/// supervisors), escalated first, then the longest overdue.
pub fn overdue(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Appeal>> {
    appeals::table
        .filter(appeals::status.eq_any(["dispatched", "in_progress"]))
        .filter(appeals::reply_stage.ge(2).or(appeals::sign_stage.ge(2)))
        .order((
            appeals::reply_stage.desc(),
            appeals::reply_due_at.asc().nulls_last(),
            appeals::id.asc(),
        ))
        .limit(limit)
        .select(Appeal::as_select())
        .load(conn)
}
