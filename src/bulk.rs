//! Bulk loading of whole appeals with `COPY`: the shared engine of `minxin seed --appeals N`
//! and `minxin import`.
//!
//! A caller hands over batches of fully formed appeals — the appeal row, its single audit event
//! (hashed here with [`crate::domain::audit::event_hash`]), an optional reply and the answers of
//! up to two follow-up rounds. [`encode`] turns a batch into binary `COPY` data (pure, so a
//! producer thread can do it while the previous batch is being written); [`Loader::write`] sends
//! it in one transaction per batch — `appeals`, `audit_events`, `replies`, `follow_ups` — with
//! the report triggers switched off (`SET LOCAL minxin.report_deltas = 'off'`). Several loaders
//! may write at once, each on its own connection. When they are done, [`complete`] recomputes
//! the report cube for the whole months the load touched (`report_refresh`, in a REPEATABLE
//! READ transaction), so the cube is exact when the command returns. A load that dies midway
//! leaves the rows of its committed batches without their report figures: the operator runs
//! `minxin reports rebuild` (docs/IMPORT.md).
//!
//! The appeal rows carry the first and latest follow-up answers themselves (the columns the
//! `follow_ups` trigger keeps), so that trigger has nothing to do. Batches commit with
//! `synchronous_commit = off`; the final refresh commits synchronously, which flushes the WAL of
//! every batch before it, so a load that reports success is durable.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Date, Text};
use uuid::Uuid;

use crate::domain::audit::{EventContent, event_hash};

/// The access code hash of an appeal that has no access code (seeded or imported): no code
/// hashes to it, so the appellant view never opens it.
pub const NO_ACCESS_CODE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The columns of `appeals` a bulk load writes (the real table has more; `src/db/schema.rs`
/// leaves out the report columns, which a load must write itself).
mod copy_schema {
    diesel::table! {
        appeals (id) {
            id -> Uuid,
            tracking_no -> Varchar,
            access_code_hash -> Bpchar,
            appellant_kind -> Varchar,
            kind -> Varchar,
            channel -> Varchar,
            title -> Varchar,
            content -> Varchar,
            category_code -> Nullable<Varchar>,
            division_code -> Varchar,
            address -> Nullable<Varchar>,
            name -> Varchar,
            phone -> Varchar,
            enterprise_name -> Nullable<Varchar>,
            credit_code -> Nullable<Bpchar>,
            confidential -> Bool,
            status -> Varchar,
            lead_department_code -> Nullable<Varchar>,
            deadline_class -> Nullable<Varchar>,
            dispatched_at -> Nullable<Timestamptz>,
            sign_due_at -> Nullable<Timestamptz>,
            reply_due_at -> Nullable<Timestamptz>,
            signed_at -> Nullable<Timestamptz>,
            replied_at -> Nullable<Timestamptz>,
            closed_at -> Nullable<Timestamptz>,
            return_count -> Int4,
            rehandle_count -> Int4,
            returned_by -> Nullable<Varchar>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            urgency -> Varchar,
            pool_reason -> Nullable<Varchar>,
            pool_detail -> Nullable<Varchar>,
            pooled_at -> Nullable<Timestamptz>,
            sign_stage -> Int2,
            reply_stage -> Int2,
            signed_on_time -> Nullable<Bool>,
            replied_on_time -> Nullable<Bool>,
            handling_working_minutes -> Nullable<Int4>,
            follow_up_round -> Int4,
            follow_up_due_at -> Nullable<Timestamptz>,
            closed_unrated -> Bool,
            first_contacted -> Nullable<Bool>,
            first_solved -> Nullable<Bool>,
            first_satisfaction -> Nullable<Varchar>,
            latest_contacted -> Nullable<Bool>,
            latest_solved -> Nullable<Bool>,
            latest_satisfaction -> Nullable<Varchar>,
            external_no -> Nullable<Varchar>,
        }
    }

    // `id` (a bigserial) is left to its default
    diesel::table! {
        audit_events (appeal_id, seq) {
            appeal_id -> Uuid,
            seq -> Int4,
            actor_id -> Nullable<Uuid>,
            actor_role -> Varchar,
            action -> Varchar,
            from_status -> Nullable<Varchar>,
            to_status -> Nullable<Varchar>,
            details -> Jsonb,
            created_at -> Timestamptz,
            prev_hash -> Nullable<Bpchar>,
            hash -> Bpchar,
        }
    }

    diesel::table! {
        replies (appeal_id, created_at) {
            appeal_id -> Uuid,
            department_code -> Varchar,
            author_id -> Uuid,
            content -> Varchar,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        follow_ups (appeal_id, round) {
            appeal_id -> Uuid,
            source -> Varchar,
            recorded_by -> Nullable<Uuid>,
            contacted -> Bool,
            solved -> Bool,
            satisfaction -> Varchar,
            comment -> Nullable<Varchar>,
            created_at -> Timestamptz,
            round -> Int4,
        }
    }
}

/// One appeal row as stored. Timestamps must be of microsecond precision (the audit hash covers
/// `created_at` of the event as stored).
#[derive(Debug, Clone)]
pub struct AppealRow<'r> {
    pub id: Uuid,
    pub tracking_no: String,
    pub appellant_kind: &'r str,
    pub kind: &'r str,
    pub channel: &'r str,
    pub title: String,
    pub content: String,
    pub category_code: Option<&'r str>,
    pub division_code: &'r str,
    pub address: Option<String>,
    pub name: String,
    pub phone: String,
    pub enterprise_name: Option<String>,
    pub credit_code: Option<String>,
    pub confidential: bool,
    pub status: &'r str,
    pub lead_department_code: Option<&'r str>,
    pub deadline_class: Option<&'r str>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub return_count: i32,
    pub rehandle_count: i32,
    pub returned_by: Option<&'r str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub urgency: &'r str,
    pub pool_reason: Option<&'r str>,
    pub pool_detail: Option<String>,
    pub pooled_at: Option<DateTime<Utc>>,
    pub sign_stage: i16,
    pub reply_stage: i16,
    pub signed_on_time: Option<bool>,
    pub replied_on_time: Option<bool>,
    pub handling_working_minutes: Option<i32>,
    pub follow_up_round: i32,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub closed_unrated: bool,
    /// the number the appeal had in the system it was imported from (工单编号)
    pub external_no: Option<String>,
}

/// The answer of one follow-up round (回访).
#[derive(Debug, Clone)]
pub struct FollowUpRow<'r> {
    pub round: i32,
    /// `staff` (needs `recorded_by`) or `appellant`
    pub source: &'r str,
    pub recorded_by: Option<Uuid>,
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: &'r str,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The lead department's reply (答复).
#[derive(Debug, Clone)]
pub struct ReplyRow<'r> {
    pub department_code: &'r str,
    pub author_id: Uuid,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// The appeal's one audit event (seq 1, by `system`): how it came to be.
#[derive(Debug, Clone)]
pub struct AuditSeed {
    pub action: &'static str,
    pub at: DateTime<Utc>,
    pub details: Arc<serde_json::Value>,
}

/// Everything a bulk load writes for one appeal.
#[derive(Debug, Clone)]
pub struct BulkAppeal<'r> {
    pub appeal: AppealRow<'r>,
    pub audit: AuditSeed,
    pub reply: Option<ReplyRow<'r>>,
    /// in round order
    pub follow_ups: Vec<FollowUpRow<'r>>,
}

/// A batch as binary `COPY` data, ready to send.
#[derive(Debug, Default)]
pub struct Encoded {
    appeals: Vec<u8>,
    events: Vec<u8>,
    replies: Vec<u8>,
    follow_ups: Vec<u8>,
    pub appeal_rows: usize,
    pub reply_rows: usize,
    pub follow_up_rows: usize,
    /// the local days (report time zone) of the appeals' `created_at`
    pub days: BTreeSet<NaiveDate>,
}

/// Turns a batch into binary `COPY` data and hashes each appeal's audit event. `tz` is the report
/// cube's time zone (`report_meta`), for the days the batch touches.
pub fn encode(batch: &[BulkAppeal<'_>], tz: Tz) -> Encoded {
    let mut out = Encoded {
        appeals: Vec::with_capacity(batch.len() * 700),
        events: Vec::with_capacity(batch.len() * 260),
        ..Encoded::default()
    };
    let mut last_day: Option<(i64, NaiveDate)> = None;
    for item in batch {
        let a = &item.appeal;
        // appeals of one batch mostly share a few days: convert once per UTC hour
        let hour = a.created_at.timestamp().div_euclid(3600);
        let day = match last_day {
            Some((h, d)) if h == hour => d,
            _ => {
                let d = a.created_at.with_timezone(&tz).date_naive();
                last_day = Some((hour, d));
                d
            }
        };
        out.days.insert(day);
        let first = item.follow_ups.iter().min_by_key(|f| f.round);
        let latest = item.follow_ups.iter().max_by_key(|f| f.round);

        let mut row = Line::new(&mut out.appeals, 49);
        row.uuid(a.id);
        row.text(&a.tracking_no);
        row.text(NO_ACCESS_CODE);
        row.text(a.appellant_kind);
        row.text(a.kind);
        row.text(a.channel);
        row.text(&a.title);
        row.text(&a.content);
        row.opt_text(a.category_code);
        row.text(a.division_code);
        row.opt_text(a.address.as_deref());
        row.text(&a.name);
        row.text(&a.phone);
        row.opt_text(a.enterprise_name.as_deref());
        row.opt_text(a.credit_code.as_deref());
        row.bool(a.confidential);
        row.text(a.status);
        row.opt_text(a.lead_department_code);
        row.opt_text(a.deadline_class);
        row.opt_ts(a.dispatched_at);
        row.opt_ts(a.sign_due_at);
        row.opt_ts(a.reply_due_at);
        row.opt_ts(a.signed_at);
        row.opt_ts(a.replied_at);
        row.opt_ts(a.closed_at);
        row.i32(a.return_count);
        row.i32(a.rehandle_count);
        row.opt_text(a.returned_by);
        row.ts(a.created_at);
        row.ts(a.updated_at);
        row.text(a.urgency);
        row.opt_text(a.pool_reason);
        row.opt_text(a.pool_detail.as_deref());
        row.opt_ts(a.pooled_at);
        row.i16(a.sign_stage);
        row.i16(a.reply_stage);
        row.opt_bool(a.signed_on_time);
        row.opt_bool(a.replied_on_time);
        row.opt_i32(a.handling_working_minutes);
        row.i32(a.follow_up_round);
        row.opt_ts(a.follow_up_due_at);
        row.bool(a.closed_unrated);
        row.opt_bool(first.map(|f| f.contacted));
        row.opt_bool(first.map(|f| f.solved));
        row.opt_text(first.map(|f| f.satisfaction));
        row.opt_bool(latest.map(|f| f.contacted));
        row.opt_bool(latest.map(|f| f.solved));
        row.opt_text(latest.map(|f| f.satisfaction));
        row.opt_text(a.external_no.as_deref());
        row.end();
        out.appeal_rows += 1;

        let hash = event_hash(&EventContent {
            appeal_id: a.id,
            seq: 1,
            actor_id: None,
            actor_role: "system",
            action: item.audit.action,
            from_status: None,
            to_status: Some(a.status),
            details: &item.audit.details,
            created_at: item.audit.at,
            prev_hash: None,
        });
        let mut row = Line::new(&mut out.events, 11);
        row.uuid(a.id);
        row.i32(1);
        row.null();
        row.text("system");
        row.text(item.audit.action);
        row.null();
        row.text(a.status);
        row.jsonb(&crate::domain::audit::canonical_json(&item.audit.details));
        row.ts(item.audit.at);
        row.null();
        row.text(&hash);
        row.end();

        if let Some(r) = &item.reply {
            let mut row = Line::new(&mut out.replies, 5);
            row.uuid(a.id);
            row.text(r.department_code);
            row.uuid(r.author_id);
            row.text(&r.content);
            row.ts(r.created_at);
            row.end();
            out.reply_rows += 1;
        }
        for f in &item.follow_ups {
            let mut row = Line::new(&mut out.follow_ups, 9);
            row.uuid(a.id);
            row.text(f.source);
            row.opt_uuid(f.recorded_by);
            row.bool(f.contacted);
            row.bool(f.solved);
            row.text(f.satisfaction);
            row.opt_text(f.comment.as_deref());
            row.ts(f.created_at);
            row.i32(f.round);
            row.end();
            out.follow_up_rows += 1;
        }
    }
    for buf in [
        &mut out.appeals,
        &mut out.events,
        &mut out.replies,
        &mut out.follow_ups,
    ] {
        trailer(buf);
    }
    out
}

/// The header of PostgreSQL's binary `COPY` format: signature, flags, no extension.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// One row of PostgreSQL's binary `COPY` format: the field count, then each field as its
/// length and the type's binary form (`-1` for NULL). Binary spares the server parsing a dozen
/// timestamps and a uuid per appeal, the larger part of what text input costs it.
struct Line<'b> {
    buf: &'b mut Vec<u8>,
    expected: i16,
    written: i16,
}

impl<'b> Line<'b> {
    fn new(buf: &'b mut Vec<u8>, fields: i16) -> Self {
        if buf.is_empty() {
            buf.extend_from_slice(COPY_HEADER);
        }
        buf.extend_from_slice(&fields.to_be_bytes());
        Line {
            buf,
            expected: fields,
            written: 0,
        }
    }

    fn field(&mut self, bytes: &[u8]) {
        self.written += 1;
        self.buf
            .extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    fn null(&mut self) {
        self.written += 1;
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn text(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn bool(&mut self, b: bool) {
        self.field(&[u8::from(b)]);
    }

    fn opt_bool(&mut self, b: Option<bool>) {
        match b {
            Some(b) => self.bool(b),
            None => self.null(),
        }
    }

    fn i16(&mut self, n: i16) {
        self.field(&n.to_be_bytes());
    }

    fn i32(&mut self, n: i32) {
        self.field(&n.to_be_bytes());
    }

    fn opt_i32(&mut self, n: Option<i32>) {
        match n {
            Some(n) => self.i32(n),
            None => self.null(),
        }
    }

    fn uuid(&mut self, id: Uuid) {
        self.field(id.as_bytes());
    }

    fn opt_uuid(&mut self, id: Option<Uuid>) {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    /// `timestamptz`: microseconds since 2000-01-01 UTC.
    fn ts(&mut self, t: DateTime<Utc>) {
        self.field(&(t.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes());
    }

    fn opt_ts(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.ts(t),
            None => self.null(),
        }
    }

    /// `jsonb`: a version byte, then the text.
    fn jsonb(&mut self, json: &str) {
        self.written += 1;
        self.buf
            .extend_from_slice(&(json.len() as i32 + 1).to_be_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(json.as_bytes());
    }

    fn end(self) {
        debug_assert_eq!(self.written, self.expected, "fields written in a COPY row");
    }
}

/// Closes a binary `COPY` stream (when it has rows).
fn trailer(buf: &mut Vec<u8>) {
    if !buf.is_empty() {
        buf.extend_from_slice(&(-1i16).to_be_bytes());
    }
}

/// What a load wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadTotals {
    pub appeals: usize,
    pub replies: usize,
    pub follow_ups: usize,
    /// local days whose report figures were recomputed
    pub days_refreshed: usize,
}

/// Sends encoded batches over one connection and makes the report cube exact at the end.
pub struct Loader<'c> {
    conn: &'c mut PgConnection,
    days: BTreeSet<NaiveDate>,
    totals: LoadTotals,
    /// time spent per step, logged at the end (what dominates a load)
    spent: [std::time::Duration; 5],
}

const STEPS: [&str; 5] = ["appeals", "audit_events", "replies", "follow_ups", "commit"];

macro_rules! copy_in {
    ($conn:expr, $table:path, $data:expr) => {{
        let data: &[u8] = $data;
        if data.is_empty() {
            Ok(0)
        } else {
            diesel::copy_from($table)
                .from_raw_data($table, |w: &mut dyn std::io::Write| {
                    w.write_all(data)
                        .map_err(|e| DieselError::SerializationError(Box::new(e)))
                })
                .with_format(diesel::pg::CopyFormat::Binary)
                .execute($conn)
        }
    }};
}

impl<'c> Loader<'c> {
    /// Prepares the session: batches commit without waiting for the WAL flush (see the module
    /// documentation for why that is safe here), sorts and hashes get room, and the foreign-key
    /// checks and triggers of the tables written are skipped.
    ///
    /// Why a loader may skip them (`session_replication_role = replica`), which halves the cost
    /// of a load (measured: 200,000 imported rows, 20.9 s of `COPY` with them, 10.8 s without):
    /// - every reference a batch makes is to rows that exist: categories, divisions and
    ///   departments read from the database before the load, the import user created before
    ///   it, and appeals written earlier in the same transaction;
    /// - the triggers on these tables have nothing to do for a bulk load: the report triggers
    ///   are off for it anyway (the cube is refreshed at the end), the `follow_ups` trigger would
    ///   copy answers the appeal rows already carry, the repeat trigger fires only for
    ///   `repeat_of`, which loads never set, and the audit log's append-only trigger guards
    ///   UPDATE and DELETE only.
    ///
    /// A trigger added to `appeals`, `audit_events`, `replies` or `follow_ups` later must be
    /// weighed against this list (docs/IMPORT.md says so too). The setting needs a superuser or
    /// `GRANT SET ON PARAMETER session_replication_role`; without it the load runs with the
    /// checks and triggers, only slower.
    pub fn open(conn: &'c mut PgConnection) -> QueryResult<Self> {
        diesel::sql_query("SET synchronous_commit = off").execute(conn)?;
        diesel::sql_query("SET work_mem = '64MB'").execute(conn)?;
        let replica = diesel::sql_query("SET session_replication_role = replica")
            .execute(conn)
            .is_ok();
        if !replica {
            tracing::warn!(
                "bulk load with foreign-key checks and triggers on (about twice the cost): this \
                 database user may not set session_replication_role"
            );
        }
        Ok(Loader {
            conn,
            days: BTreeSet::new(),
            totals: LoadTotals::default(),
            spent: Default::default(),
        })
    }

    /// Writes one batch in one transaction, report triggers off.
    pub fn write(&mut self, batch: &Encoded) -> QueryResult<()> {
        let spent = &mut self.spent;
        let mut clock = std::time::Instant::now();
        let mut lap = |step: usize| {
            let now = std::time::Instant::now();
            spent[step] += now - clock;
            clock = now;
        };
        self.conn.transaction::<_, DieselError, _>(|conn| {
            diesel::sql_query("SET LOCAL minxin.report_deltas = 'off'").execute(conn)?;
            copy_in!(conn, copy_schema::appeals::table, &batch.appeals)?;
            lap(0);
            copy_in!(conn, copy_schema::audit_events::table, &batch.events)?;
            lap(1);
            copy_in!(conn, copy_schema::replies::table, &batch.replies)?;
            lap(2);
            copy_in!(conn, copy_schema::follow_ups::table, &batch.follow_ups)?;
            lap(3);
            Ok(())
        })?;
        lap(4);
        self.days.extend(batch.days.iter().copied());
        self.totals.appeals += batch.appeal_rows;
        self.totals.replies += batch.reply_rows;
        self.totals.follow_ups += batch.follow_up_rows;
        Ok(())
    }

    /// Ends the loader: what it wrote, the days it touched (for [`complete`], which may run on
    /// another connection when several loaders wrote at once), and its connection back.
    pub fn close(self) -> (LoadTotals, BTreeSet<NaiveDate>, &'c mut PgConnection) {
        let secs = |d: std::time::Duration| (d.as_secs_f64() * 10.0).round() / 10.0;
        tracing::debug!(
            appeals_s = secs(self.spent[0]),
            audit_events_s = secs(self.spent[1]),
            replies_s = secs(self.spent[2]),
            follow_ups_s = secs(self.spent[3]),
            commit_s = secs(self.spent[4]),
            "bulk load: time per step ({})",
            STEPS.join(", ")
        );
        diesel::sql_query("RESET synchronous_commit")
            .execute(self.conn)
            .ok();
        diesel::sql_query("RESET work_mem").execute(self.conn).ok();
        diesel::sql_query("RESET session_replication_role")
            .execute(self.conn)
            .ok();
        (self.totals, self.days, self.conn)
    }
}

/// After the loaders: refreshes the planner's statistics and recomputes the report cube for
/// `days`, durably. With a second connection the statistics are gathered on it while the
/// cube is recomputed (each is one backend's work; the machine has more than one core).
pub fn complete(
    conn: &mut PgConnection,
    spare: Option<&mut PgConnection>,
    mut totals: LoadTotals,
    days: &BTreeSet<NaiveDate>,
) -> anyhow::Result<LoadTotals> {
    let started = std::time::Instant::now();
    let analyse = |conn: &mut PgConnection| -> anyhow::Result<std::time::Duration> {
        let started = std::time::Instant::now();
        if totals.appeals > 0 {
            diesel::sql_query("ANALYZE appeals, audit_events, follow_ups, replies")
                .execute(conn)
                .context("analysing the loaded tables")?;
        }
        Ok(started.elapsed())
    };
    let (analysed, refreshed) = match spare {
        Some(spare) => std::thread::scope(|scope| {
            let analysing = scope.spawn(move || analyse(spare));
            let refreshed = refresh_reports(conn, days);
            let analysed = analysing
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the ANALYZE thread panicked")));
            (analysed, refreshed)
        }),
        None => {
            let analysed = analyse(conn);
            (analysed, refresh_reports(conn, days))
        }
    };
    totals.days_refreshed = refreshed?;
    tracing::debug!(
        analyze_s = analysed?.as_secs_f64(),
        analyze_and_report_refresh_s = started.elapsed().as_secs_f64(),
        "bulk load: statistics and report figures"
    );
    Ok(totals)
}

impl std::ops::AddAssign for LoadTotals {
    fn add_assign(&mut self, other: LoadTotals) {
        self.appeals += other.appeals;
        self.replies += other.replies;
        self.follow_ups += other.follow_ups;
        self.days_refreshed += other.days_refreshed;
    }
}

/// The time zone of the report cube's days.
pub fn report_time_zone(conn: &mut PgConnection) -> anyhow::Result<Tz> {
    #[derive(QueryableByName)]
    struct Zone {
        #[diesel(sql_type = Text)]
        time_zone: String,
    }
    let zone: Zone = diesel::sql_query("SELECT time_zone::text AS time_zone FROM report_meta")
        .get_result(conn)
        .context("reading the report time zone (report_meta): is the database migrated?")?;
    zone.time_zone
        .parse::<Tz>()
        .map_err(|e| anyhow::anyhow!("report time zone `{}`: {e}", zone.time_zone))
}

/// Stretches of whole months holding the given days, consecutive months joined: what
/// `report_refresh` recomputes anyway (it widens to whole months for the monthly cells), so no
/// month is recomputed twice.
pub fn month_ranges(days: &BTreeSet<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: NaiveDate| d.checked_add_months(Months::new(1)).unwrap_or(d);
    let mut ranges: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in days {
        let start = month_start(d);
        match ranges.last_mut() {
            // the same month, or the one after the stretch's last
            Some((_, end)) if start < *end => {}
            Some((_, end)) if start == *end => *end = next_month(start),
            _ => ranges.push((start, next_month(start))),
        }
    }
    // half-open [first, end) to inclusive last days
    ranges
        .into_iter()
        .map(|(first, end)| (first, end.pred_opt().unwrap_or(end)))
        .collect()
}

/// Recomputes the report cube for `days` (`report_refresh` per stretch, all in one REPEATABLE
/// READ transaction that commits synchronously). A serialization failure (a concurrent fold
/// changed the same cells) is retried. Returns the number of days refreshed.
pub fn refresh_reports(
    conn: &mut PgConnection,
    days: &BTreeSet<NaiveDate>,
) -> anyhow::Result<usize> {
    if days.is_empty() {
        return Ok(0);
    }
    // Always stretches of days, never the whole cube (NULL, NULL): that path empties the cube
    // with TRUNCATE, which is not MVCC-safe against a fold committed between this
    // transaction's snapshot and its lock, while deleting cells makes such a fold a
    // serialization failure, retried below.
    let ranges = month_ranges(days);
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        #[allow(dead_code)]
        n: i64,
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = conn
            .build_transaction()
            .repeatable_read()
            .run::<_, DieselError, _>(|conn| {
                diesel::sql_query("SET LOCAL synchronous_commit = on").execute(conn)?;
                for (first, last) in &ranges {
                    diesel::sql_query("SELECT report_refresh($1, $2) AS n")
                        .bind::<Date, _>(first)
                        .bind::<Date, _>(last)
                        .get_result::<N>(conn)?;
                }
                Ok(())
            });
        match result {
            Ok(()) => break,
            Err(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _))
                if attempt < 5 => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(
                    "refreshing the report figures of the loaded days failed; the rows are \
                     loaded: run `minxin reports rebuild` to make the reports exact",
                ));
            }
        }
    }
    Ok(days.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn binary_copy_rows_carry_lengths_and_postgres_epoch_times() {
        let mut buf = Vec::new();
        let mut line = Line::new(&mut buf, 4);
        line.text("供热");
        line.null();
        line.i16(2);
        line.ts(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap());
        line.end();
        trailer(&mut buf);
        let mut want = COPY_HEADER.to_vec();
        want.extend_from_slice(&4i16.to_be_bytes());
        want.extend_from_slice(&6i32.to_be_bytes());
        want.extend_from_slice("供热".as_bytes());
        want.extend_from_slice(&(-1i32).to_be_bytes());
        want.extend_from_slice(&2i32.to_be_bytes());
        want.extend_from_slice(&2i16.to_be_bytes());
        want.extend_from_slice(&8i32.to_be_bytes());
        want.extend_from_slice(&1_000_000i64.to_be_bytes());
        want.extend_from_slice(&(-1i16).to_be_bytes());
        assert_eq!(buf, want);
    }

    #[test]
    fn days_are_refreshed_as_stretches_of_whole_months() {
        let days: BTreeSet<NaiveDate> = [
            "2025-12-31",
            "2026-01-03",
            "2026-01-20",
            "2026-02-08",
            "2026-04-01",
            "2026-04-30",
        ]
        .into_iter()
        .map(day)
        .collect();
        assert_eq!(
            month_ranges(&days),
            vec![
                (day("2025-12-01"), day("2026-02-28")),
                (day("2026-04-01"), day("2026-04-30"))
            ]
        );
        assert!(month_ranges(&BTreeSet::new()).is_empty());
    }
}
