//! Bulk loading of whole appeals with `COPY`: the shared engine of `minxin seed --appeals N`
//! and `minxin import`.
//!
//! A caller hands over batches of fully formed appeals — the appeal row, its single audit event
//! (hashed here with [`crate::domain::audit::event_hash`]), an optional reply and the answers of
//! up to two follow-up rounds. [`encode`] turns a batch into binary `COPY` data (pure, so a
//! producer thread can do it while the previous batch is being written); [`Loader::write`] sends
//! it in one transaction per batch — `appeals`, `audit_events`, `replies`, `follow_ups` — with
//! the report triggers switched off (`SET LOCAL minxin.report_deltas = 'off'`). Several loaders
//! may write at once, each on its own connection.
//!
//! The report figures are kept incrementally, not recomputed: [`encode`] works out what each
//! appeal contributes ([`Share`]: `report_rows`, the definition the triggers use, for the rows
//! a load writes; with `MINXIN_BULK_CROSSCHECK=1`, as in the tests, every batch also asks the
//! database and refuses any difference), and the loader sums that into the cube's cells on
//! this side ([`Cells`], the same cuboids as `report_cube_add`) once the batch is committed.
//! When the loaders are done, [`complete`] adds the cells to `report_cube` (two connections
//! copying at once, committing together), so the cube is exact when the command returns,
//! whatever the database held before. Folding is paused for the whole load
//! ([`pause_folding`]): a fold could otherwise meet a change to a loaded appeal before the
//! appeal's own contribution is in the cube. A load that dies midway leaves the rows of its
//! committed batches without their report figures: the operator runs `minxin reports rebuild`
//! (docs/IMPORT.md).
//!
//! The appeal rows carry the first and latest follow-up answers themselves (the columns the
//! `follow_ups` trigger keeps), so that trigger has nothing to do. Batches commit with
//! `synchronous_commit = off`; the final cube update commits synchronously, which flushes the
//! WAL of every batch before it, so a load that reports success is durable.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Date, SmallInt, Text};
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

    // a temporary table of the report cube's shape, for the cells summed into existing ones
    // (`add_cells`; the cube itself is `crate::db::schema::report_cube`)
    diesel::table! {
        report_cells (cuboid, day, department_code, district_code, street_code, category_code, channel, appellant_kind) {
            cuboid -> Int2,
            day -> Date,
            department_code -> Text,
            district_code -> Text,
            street_code -> Text,
            category_code -> Text,
            channel -> Text,
            appellant_kind -> Text,
            received -> Int4,
            dispatched -> Int4,
            resolved -> Int4,
            signed -> Int4,
            signed_on_time -> Int4,
            replied -> Int4,
            replied_on_time -> Int4,
            overdue_open -> Int4,
            returned -> Int4,
            rehandled -> Int4,
            followed_up -> Int4,
            handling_minutes -> Int8,
            unrated -> Int4,
            repeats -> Int4,
            contacted_latest -> Int4,
            solved_latest -> Int4,
            very_satisfied_latest -> Int4,
            satisfied_latest -> Int4,
            basically_latest -> Int4,
            contacted_first -> Int4,
            solved_first -> Int4,
            very_satisfied_first -> Int4,
            satisfied_first -> Int4,
            basically_first -> Int4,
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
    /// the appeals' ids, to ask the database for their report contributions (the cross-check)
    ids: Vec<Uuid>,
    /// what each appeal adds to the reports
    shares: Vec<Share>,
    /// the first and last UTC day of its appeals' filing and audit times: the months of the
    /// partitioned tables it writes (`crate::partitions`)
    span: Option<(NaiveDate, NaiveDate)>,
}

/// Turns a batch into binary `COPY` data and hashes each appeal's audit event.
pub fn encode(batch: &[BulkAppeal<'_>]) -> Encoded {
    let mut out = Encoded {
        appeals: Vec::with_capacity(batch.len() * 700),
        events: Vec::with_capacity(batch.len() * 260),
        ids: Vec::with_capacity(batch.len()),
        shares: Vec::with_capacity(batch.len()),
        ..Encoded::default()
    };
    for item in batch {
        let a = &item.appeal;
        out.ids.push(a.id);
        let first = item.follow_ups.iter().min_by_key(|f| f.round);
        let latest = item.follow_ups.iter().max_by_key(|f| f.round);
        out.shares.extend(Share::of(a, first, latest));

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

        for day in [a.created_at.date_naive(), item.audit.at.date_naive()] {
            out.span = Some(match out.span {
                None => (day, day),
                Some((first, last)) => (first.min(day), last.max(day)),
            });
        }
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
/// 2000-01-01 as days from 0001-01-01 (chrono's `num_days_from_ce`).
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

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

    /// `date`: days since 2000-01-01.
    fn date(&mut self, d: NaiveDate) {
        self.i32(d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE);
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
    /// report cube cells the load added to (new or already there)
    pub report_cells: usize,
}

/// Sends encoded batches over one connection and sums what they add to the report cube.
pub struct Loader<'c> {
    conn: &'c mut PgConnection,
    /// the report cube's time zone (`report_meta`), for the days of the contributions
    report_tz: Tz,
    /// ask `report_rows` too and refuse a batch whose contributions differ (see [`Share`])
    crosscheck: bool,
    cells: Cells,
    totals: LoadTotals,
    /// time spent per step, logged at the end (what dominates a load)
    spent: [std::time::Duration; 6],
    /// months (year × 12 + month0) whose partitions this loader has made sure of
    months_ready: std::collections::HashSet<i32>,
}

const STEPS: [&str; 6] = [
    "appeals",
    "audit_events",
    "replies",
    "follow_ups",
    "report contributions (cross-check)",
    "commit",
];

/// The most `COPY` data sent in one message.
const COPY_CHUNK: usize = 1 << 20;

macro_rules! copy_in {
    ($conn:expr, $table:path, $data:expr) => {{
        let data: &[u8] = $data;
        if data.is_empty() {
            Ok(0)
        } else {
            diesel::copy_from($table)
                .from_raw_data($table, |w: &mut dyn std::io::Write| {
                    // one CopyData message per write, and the server takes none over 1 GB
                    // (the cells of a 10M seed are more)
                    for chunk in data.chunks(COPY_CHUNK) {
                        w.write_all(chunk)
                            .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
                    }
                    Ok::<_, DieselError>(())
                })
                .with_format(diesel::pg::CopyFormat::Binary)
                .execute($conn)
        }
    }};
}

/// What one loaded appeal adds to the reports: `report_rows` (migration 5, the definition the
/// triggers and `minxin reports verify` use) computed on this side for the rows a bulk load
/// writes, which are never merged and never repeats (a load sets no `repeat_of`), so each
/// appeal gives exactly one row. Computing it here spares the database a query per batch
/// (about 11 µs of server time per appeal); `MINXIN_BULK_CROSSCHECK=1` makes every batch also
/// ask `report_rows` and refuse any difference (the tests load that way).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Share {
    created_at: DateTime<Utc>,
    /// in [`KEY_COLUMNS`] order
    keys: [String; 6],
    /// in [`SUM_COLUMNS`] order
    sums: [i64; 24],
}

impl Share {
    fn of(
        a: &AppealRow<'_>,
        first: Option<&FollowUpRow<'_>>,
        latest: Option<&FollowUpRow<'_>>,
    ) -> Option<Share> {
        if a.status == "merged" {
            return None;
        }
        let division = a.division_code;
        let district = division.get(..6).unwrap_or(division);
        let street = if division.len() >= 9 {
            division.get(..9).unwrap_or("")
        } else {
            ""
        };
        let flag = |b: bool| i64::from(b);
        let dispatched = a.dispatched_at.is_some();
        let satisfied = |f: Option<&FollowUpRow<'_>>, level: &str| {
            flag(f.is_some_and(|f| f.satisfaction == level))
        };
        let sums = [
            1,
            flag(dispatched),
            flag(dispatched && matches!(a.status, "resolved" | "closed")),
            flag(a.signed_on_time.is_some()),
            flag(a.signed_on_time == Some(true)),
            flag(a.replied_on_time.is_some()),
            flag(a.replied_on_time == Some(true)),
            flag(
                (a.status == "dispatched" && a.sign_stage.max(a.reply_stage) >= 2)
                    || (matches!(a.status, "in_progress" | "suspended") && a.reply_stage >= 2),
            ),
            flag(a.return_count > 0),
            flag(a.rehandle_count > 0),
            flag(latest.is_some()),
            if a.replied_on_time.is_some() {
                i64::from(a.handling_working_minutes.unwrap_or(0))
            } else {
                0
            },
            flag(a.closed_unrated),
            0,
            flag(latest.is_some_and(|f| f.contacted)),
            flag(latest.is_some_and(|f| f.solved)),
            satisfied(latest, "very_satisfied"),
            satisfied(latest, "satisfied"),
            satisfied(latest, "basically_satisfied"),
            flag(first.is_some_and(|f| f.contacted)),
            flag(first.is_some_and(|f| f.solved)),
            satisfied(first, "very_satisfied"),
            satisfied(first, "satisfied"),
            satisfied(first, "basically_satisfied"),
        ];
        Some(Share {
            created_at: a.created_at,
            keys: [
                a.lead_department_code.unwrap_or("").to_owned(),
                district.to_owned(),
                street.to_owned(),
                a.category_code.unwrap_or("").to_owned(),
                a.channel.to_owned(),
                a.appellant_kind.to_owned(),
            ],
            sums,
        })
    }

    /// As the database would give it: the local day of `tz`.
    fn contribution(&self, tz: Tz) -> Contribution {
        let [
            department_code,
            district_code,
            street_code,
            category_code,
            channel,
            appellant_kind,
        ] = self.keys.clone();
        Contribution {
            day: self.created_at.with_timezone(&tz).date_naive(),
            department_code,
            district_code,
            street_code,
            category_code,
            channel,
            appellant_kind,
            sums: self.sums.to_vec(),
        }
    }
}

/// One appeal's contribution to the reports as `report_rows` gives it: the keys of its row and
/// the counts, in the cube's column order ([`SUM_COLUMNS`]).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Contribution {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Text)]
    department_code: String,
    #[diesel(sql_type = Text)]
    district_code: String,
    #[diesel(sql_type = Text)]
    street_code: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    appellant_kind: String,
    #[diesel(sql_type = Array<BigInt>)]
    sums: Vec<i64>,
}

/// The contributions of the given appeals (the batch just written, in its transaction).
/// The index on the id is forced: the planner has no statistics during a load and must not
/// pick a scan of the whole table for each batch.
fn contributions(
    conn: &mut PgConnection,
    ids: &[Uuid],
    report_tz: &str,
) -> QueryResult<Vec<Contribution>> {
    diesel::sql_query("SET LOCAL enable_seqscan = off").execute(conn)?;
    let sums = SUM_COLUMNS
        .iter()
        .map(|c| format!("x.{c}::bigint"))
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!(
        "SELECT x.day, x.department_code, x.district_code, x.street_code, x.category_code, \
                x.channel, x.appellant_kind, ARRAY[{sums}] AS sums \
         FROM appeals a, report_rows(ROW(a.created_at, a.status, a.lead_department_code, \
              a.division_code, a.category_code, a.channel, a.appellant_kind, a.dispatched_at, \
              a.signed_on_time, a.replied_on_time, a.sign_stage, a.reply_stage, a.return_count, \
              a.rehandle_count, a.handling_working_minutes, a.closed_unrated, a.repeat_of, \
              a.repeat_department_code, a.first_contacted, a.first_solved, a.first_satisfaction, \
              a.latest_contacted, a.latest_solved, a.latest_satisfaction)::report_input, $2) x \
         WHERE a.id = ANY($1)"
    ))
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Text, _>(report_tz)
    .load(conn)
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
    ///   are off for it anyway (the loader adds the contributions itself), the `follow_ups`
    ///   trigger would copy answers the appeal rows already carry, the repeat trigger fires
    ///   only for `repeat_of`, which loads never set, and the audit log's append-only trigger
    ///   guards UPDATE and DELETE only; the clerk-load trigger of `appeals` (migration 13)
    ///   fires on status updates, and a load only inserts, with no assignments to count.
    ///
    /// A trigger added to `appeals`, `audit_events`, `replies` or `follow_ups` later must be
    /// weighed against this list (docs/IMPORT.md says so too). The setting needs a superuser or
    /// `GRANT SET ON PARAMETER session_replication_role`; without it the load runs with the
    /// checks and triggers, only slower.
    pub fn open(conn: &'c mut PgConnection) -> anyhow::Result<Self> {
        let report_tz = report_time_zone(conn)?;
        let cells = Cells::new(cuboid_masks(conn)?);
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
            report_tz,
            crosscheck: std::env::var("MINXIN_BULK_CROSSCHECK").is_ok_and(|v| v == "1"),
            cells,
            totals: LoadTotals::default(),
            spent: Default::default(),
            months_ready: Default::default(),
        })
    }

    /// Writes one batch in one transaction, report triggers off, and sums what its appeals
    /// add to the reports.
    pub fn write(&mut self, batch: &Encoded) -> anyhow::Result<()> {
        self.ensure_partitions(batch)?;
        let spent = &mut self.spent;
        let mut clock = std::time::Instant::now();
        let mut lap = |step: usize| {
            let now = std::time::Instant::now();
            spent[step] += now - clock;
            clock = now;
        };
        let (tz, crosscheck) = (self.report_tz, self.crosscheck);
        self.conn.transaction::<_, anyhow::Error, _>(|conn| {
            diesel::sql_query("SET LOCAL minxin.report_deltas = 'off'").execute(conn)?;
            copy_in!(conn, copy_schema::appeals::table, &batch.appeals)?;
            lap(0);
            copy_in!(conn, copy_schema::audit_events::table, &batch.events)?;
            lap(1);
            copy_in!(conn, copy_schema::replies::table, &batch.replies)?;
            lap(2);
            copy_in!(conn, copy_schema::follow_ups::table, &batch.follow_ups)?;
            lap(3);
            if crosscheck {
                let mut theirs = contributions(conn, &batch.ids, tz.name())?;
                let mut ours: Vec<Contribution> =
                    batch.shares.iter().map(|s| s.contribution(tz)).collect();
                theirs.sort_unstable();
                ours.sort_unstable();
                if let Some((o, t)) = ours.iter().zip(&theirs).find(|(o, t)| o != t) {
                    anyhow::bail!(
                        "the loader's report contribution differs from report_rows: {o:?} against {t:?}"
                    );
                }
                if ours.len() != theirs.len() {
                    anyhow::bail!(
                        "the loader found {} report contributions, report_rows {}",
                        ours.len(),
                        theirs.len()
                    );
                }
            }
            lap(4);
            Ok(())
        })?;
        lap(5);
        for share in &batch.shares {
            self.cells.add_share(share, tz);
        }
        self.totals.appeals += batch.appeal_rows;
        self.totals.replies += batch.reply_rows;
        self.totals.follow_ups += batch.follow_up_rows;
        Ok(())
    }

    /// Creates, before the batch's transaction, the monthly partitions of the audit log and the
    /// report cube its rows fall in (a day's margin either side: the cube's days are local), so
    /// that they land in their months rather than in the default partitions. Each month is
    /// asked for once per loader; one that exists costs a look-up.
    fn ensure_partitions(&mut self, batch: &Encoded) -> anyhow::Result<()> {
        let Some((first, last)) = batch.span else {
            return Ok(());
        };
        let first = first.pred_opt().unwrap_or(first);
        let last = last.succ_opt().unwrap_or(last);
        let month = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        if (month(first)..=month(last)).all(|m| self.months_ready.contains(&m)) {
            return Ok(());
        }
        let created = crate::partitions::ensure_months(self.conn, first, last, None)
            .context("creating the monthly partitions of the loaded months")?;
        if !created.is_empty() {
            tracing::debug!(partitions = ?created, "monthly partitions created for a load");
        }
        self.months_ready.extend(month(first)..=month(last));
        Ok(())
    }

    /// Ends the loader: what it wrote, the report cells it summed (for [`complete`], which may
    /// run on another connection when several loaders wrote at once), and its connection back.
    pub fn close(self) -> (LoadTotals, Cells, &'c mut PgConnection) {
        let secs = |d: std::time::Duration| (d.as_secs_f64() * 10.0).round() / 10.0;
        tracing::debug!(
            appeals_s = secs(self.spent[0]),
            audit_events_s = secs(self.spent[1]),
            replies_s = secs(self.spent[2]),
            follow_ups_s = secs(self.spent[3]),
            contributions_s = secs(self.spent[4]),
            commit_s = secs(self.spent[5]),
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
        (self.totals, self.cells, self.conn)
    }
}

/// The advisory lock that `report_fold` and `report_refresh` take.
const FOLD_LOCK: &str = "SELECT pg_advisory_lock(hashtext('minxin.report_fold'))";
const FOLD_UNLOCK: &str = "SELECT pg_advisory_unlock(hashtext('minxin.report_fold'))";

/// Holds folding of the report log off for this session until [`resume_folding`] (or until the
/// connection closes): folds elsewhere skip their rounds, and a rebuild waits. Reports stay
/// exact meanwhile (they read the log too); only the log grows. Waits for a fold under way.
pub fn pause_folding(conn: &mut PgConnection) -> anyhow::Result<()> {
    diesel::sql_query(FOLD_LOCK)
        .execute(conn)
        .context("pausing the report folder for the load")?;
    Ok(())
}

/// Lets folding go on again (see [`pause_folding`]).
pub fn resume_folding(conn: &mut PgConnection) {
    if let Err(e) = diesel::sql_query(FOLD_UNLOCK).execute(conn) {
        tracing::warn!(error = %e, "could not release the report fold lock; it goes with the connection");
    }
}

/// The statistics a load refreshes before it returns: those of the `appeals` columns that
/// queries select or join on, so that the pages and reports plan well at once, and the appeal
/// id of the other tables a load writes, by which the appeal page reads them. The text columns
/// (title, content, address: a second of the 200,000-row import's two) are left to autovacuum.
/// Without the appeal-id statistics a table that was never analysed (autovacuum off, or not yet
/// round) is guessed at thousands of rows per appeal: at 10 million appeals the planner read
/// one appeal's follow-up answers with two parallel workers, 8–10 ms instead of 0.1.
const ANALYZE_LOADED: &str = "ANALYZE appeals (id, tracking_no, external_no, status, \
     lead_department_code, category_code, division_code, channel, appellant_kind, created_at, \
     closed_at, phone, credit_code, reply_due_at, follow_up_due_at, next_alarm_at, repeat_of, \
     merged_into), audit_events (appeal_id), replies (appeal_id), follow_ups (appeal_id)";

/// After the loaders: refreshes the planner's statistics and adds the loaded appeals' report
/// cells to the cube, durably. `conn` must hold the fold lock ([`pause_folding`]). Spare
/// connections share the work (each is one backend's work; the machine has more than one
/// core): the first gathers the statistics while the cells are written, the next one writes
/// half of the new cells beside `conn` (see [`add_cells`]).
pub fn complete(
    conn: &mut PgConnection,
    spares: Vec<&mut PgConnection>,
    mut totals: LoadTotals,
    cells: &Cells,
) -> anyhow::Result<LoadTotals> {
    let started = std::time::Instant::now();
    let analyse = |conn: &mut PgConnection| -> anyhow::Result<std::time::Duration> {
        let started = std::time::Instant::now();
        if totals.appeals > 0 {
            diesel::sql_query(ANALYZE_LOADED)
                .execute(conn)
                .context("analysing the loaded appeals")?;
        }
        Ok(started.elapsed())
    };
    let mut spares = spares.into_iter();
    let (analysed, added) = match spares.next() {
        Some(spare) => std::thread::scope(|scope| {
            let analysing = scope.spawn(move || analyse(spare));
            let added = add_cells(conn, spares.next(), cells);
            let analysed = analysing
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the ANALYZE thread panicked")));
            (analysed, added)
        }),
        None => {
            let analysed = analyse(conn);
            (analysed, add_cells(conn, None, cells))
        }
    };
    totals.report_cells = added?;
    tracing::debug!(
        analyze_s = analysed?.as_secs_f64(),
        analyze_and_report_cells_s = started.elapsed().as_secs_f64(),
        report_cells = totals.report_cells,
        "bulk load: statistics and report figures"
    );
    Ok(totals)
}

impl std::ops::AddAssign for LoadTotals {
    fn add_assign(&mut self, other: LoadTotals) {
        self.appeals += other.appeals;
        self.replies += other.replies;
        self.follow_ups += other.follow_ups;
        self.report_cells += other.report_cells;
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

/// The cuboids the cube keeps (`report_cuboids`).
fn cuboid_masks(conn: &mut PgConnection) -> anyhow::Result<Vec<i16>> {
    #[derive(QueryableByName)]
    struct Mask {
        #[diesel(sql_type = SmallInt)]
        mask: i16,
    }
    let masks: Vec<Mask> = diesel::sql_query("SELECT mask FROM report_cuboids ORDER BY mask")
        .load(conn)
        .context("reading the report cuboids")?;
    Ok(masks.into_iter().map(|m| m.mask).collect())
}

/// The cube's count columns, in its column order (all `integer` but `handling_minutes`).
const SUM_COLUMNS: [&str; 24] = [
    "received",
    "dispatched",
    "resolved",
    "signed",
    "signed_on_time",
    "replied",
    "replied_on_time",
    "overdue_open",
    "returned",
    "rehandled",
    "followed_up",
    "handling_minutes",
    "unrated",
    "repeats",
    "contacted_latest",
    "solved_latest",
    "very_satisfied_latest",
    "satisfied_latest",
    "basically_latest",
    "contacted_first",
    "solved_first",
    "very_satisfied_first",
    "satisfied_first",
    "basically_first",
];
/// The position of the one `bigint` among [`SUM_COLUMNS`].
const HANDLING_MINUTES: usize = 11;
/// The cube's grouping keys after `cuboid` and `day`, in its column order; a cuboid's mask has
/// bit `i` set when it keeps key `i`.
const KEY_COLUMNS: [&str; 6] = [
    "department_code",
    "district_code",
    "street_code",
    "category_code",
    "channel",
    "appellant_kind",
];
/// Cuboids of the monthly grain are the daily ones plus this, under the month's first day.
const MONTHLY: i16 = 64;

/// A cell of the cube: cuboid, day (days from the common era), and the kept keys as indexes
/// into [`Cells::names`] (0 is the empty key of a dropped one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CellKey {
    cuboid: i16,
    day: i32,
    keys: [u32; 6],
}

/// Report cube cells summed on this side of the connection: for every contribution, the cells
/// of every cuboid at the daily and at the monthly grain — what `report_cube_add` computes
/// from `report_base` in the database, without its twenty passes over the rows.
#[derive(Debug, Clone)]
pub struct Cells {
    masks: Vec<i16>,
    /// key values, interned; `names[0]` is ""
    names: Vec<String>,
    ids: HashMap<String, u32>,
    cells: HashMap<CellKey, [i64; 24]>,
}

impl Cells {
    fn new(masks: Vec<i16>) -> Self {
        Cells {
            masks,
            names: vec![String::new()],
            ids: HashMap::from([(String::new(), 0)]),
            cells: HashMap::new(),
        }
    }

    /// How many cells hold something.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// Adds `sums` under `keys` to every cuboid of both grains.
    fn add_sums(&mut self, day: NaiveDate, keys: [u32; 6], sums: &[i64; 24]) {
        let daily = day.num_days_from_ce();
        let monthly = day.with_day(1).unwrap_or(day).num_days_from_ce();
        for (grain, day) in [(0, daily), (MONTHLY, monthly)] {
            for &mask in &self.masks {
                let mut kept = [0u32; 6];
                for (i, key) in keys.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        kept[i] = *key;
                    }
                }
                let cell = self
                    .cells
                    .entry(CellKey {
                        cuboid: mask + grain,
                        day,
                        keys: kept,
                    })
                    .or_insert([0; 24]);
                for (total, n) in cell.iter_mut().zip(sums) {
                    *total += n;
                }
            }
        }
    }

    fn add_share(&mut self, share: &Share, tz: Tz) {
        let [a, b, c, d, e, f] = &share.keys;
        let keys = [
            self.intern(a),
            self.intern(b),
            self.intern(c),
            self.intern(d),
            self.intern(e),
            self.intern(f),
        ];
        let day = share.created_at.with_timezone(&tz).date_naive();
        self.add_sums(day, keys, &share.sums);
    }

    #[cfg(test)]
    fn add(&mut self, c: &Contribution) {
        let keys = [
            self.intern(&c.department_code),
            self.intern(&c.district_code),
            self.intern(&c.street_code),
            self.intern(&c.category_code),
            self.intern(&c.channel),
            self.intern(&c.appellant_kind),
        ];
        let mut sums = [0i64; 24];
        for (s, n) in sums.iter_mut().zip(&c.sums) {
            *s = *n;
        }
        self.add_sums(c.day, keys, &sums);
    }

    /// Adds another loader's cells (of the same cuboids).
    pub fn merge(&mut self, other: Cells) {
        let names: Vec<u32> = other.names.iter().map(|n| self.intern(n)).collect();
        for (key, sums) in other.cells {
            let key = CellKey {
                keys: key.keys.map(|k| names[k as usize]),
                ..key
            };
            let cell = self.cells.entry(key).or_insert([0; 24]);
            for (total, n) in cell.iter_mut().zip(&sums) {
                *total += n;
            }
        }
    }

    /// Puts cells in the cube's key order: a B-tree takes keys in order far faster than
    /// scattered (measured: 419,000 cells, 2.4 s sorted against 3.4-4.6 s in hash order).
    fn sort(&self, keys: &mut [&CellKey]) {
        let names = &self.names;
        // each name's place in byte order, so that the sort compares integers
        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![0u32; names.len()];
        for (place, &id) in order.iter().enumerate() {
            rank[id as usize] = place as u32;
        }
        keys.sort_unstable_by_key(|k| (k.cuboid, k.day, k.keys.map(|id| rank[id as usize])));
    }

    /// The given cells as binary `COPY` data for a table of the cube's shape, in the order
    /// given ([`Cells::sort`] puts them in the cube's).
    fn encode(&self, keys: &[&CellKey]) -> anyhow::Result<Vec<u8>> {
        let names = &self.names;
        let mut buf = Vec::with_capacity(keys.len() * 180);
        for key in keys.iter() {
            let sums = &self.cells[*key];
            let day = NaiveDate::from_num_days_from_ce_opt(key.day)
                .ok_or_else(|| anyhow::anyhow!("report cell day {} out of range", key.day))?;
            let mut row = Line::new(&mut buf, 32);
            row.i16(key.cuboid);
            row.date(day);
            for k in key.keys {
                row.text(&names[k as usize]);
            }
            for (i, n) in sums.iter().enumerate() {
                if i == HANDLING_MINUTES {
                    row.field(&n.to_be_bytes());
                } else {
                    let n = i32::try_from(*n).map_err(|_| {
                        anyhow::anyhow!("report cell count {} = {n} overflows", SUM_COLUMNS[i])
                    })?;
                    row.i32(n);
                }
            }
            row.end();
        }
        trailer(&mut buf);
        Ok(buf)
    }

    /// Sums the given cells into the cube: cells it holds under the same keys are added to,
    /// the others inserted — through a temporary table and one `INSERT … ON CONFLICT DO
    /// UPDATE` (in the caller's transaction). The keys come in the cube's order, so the probes
    /// walk its primary key from one end to the other.
    fn add_to_held(&self, conn: &mut PgConnection, keys: &[&CellKey]) -> anyhow::Result<()> {
        let sums = SUM_COLUMNS
            .iter()
            .map(|c| format!("{c} = c.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let key_columns = KEY_COLUMNS.join(", ");
        let data = self.encode(keys)?;
        diesel::sql_query(
            "CREATE TEMP TABLE report_cells (LIKE report_cube INCLUDING DEFAULTS) ON COMMIT DROP",
        )
        .execute(conn)?;
        copy_in!(conn, copy_schema::report_cells::table, &data)
            .context("sending the loaded appeals' report cells")?;
        diesel::sql_query(format!(
            "INSERT INTO report_cube AS c SELECT * FROM report_cells \
             ON CONFLICT (cuboid, day, {key_columns}) DO UPDATE SET {sums}"
        ))
        .execute(conn)
        .context("adding the loaded appeals' report figures to the cube's cells")?;
        Ok(())
    }

    /// The days (of either grain) the cells fall on.
    fn days(&self) -> Vec<i32> {
        let days: std::collections::BTreeSet<i32> = self.cells.keys().map(|k| k.day).collect();
        days.into_iter().collect()
    }
}

/// Adds the cells to `report_cube`, durably; returns how many cells were written. First it
/// asks which of the loaded days the cube holds any cell of (one index probe a day): cells of
/// the other days are new and copied straight in, in key order; cells of those days are summed
/// into the cube's through a temporary table ([`Cells::add_to_held`]) — a load of history
/// before the platform's own appeals takes the first path only. (`conn` holds the fold lock,
/// and only folds and refreshes write the cube, so nothing adds a cell in between.) No cell
/// comes to nothing, which a fold would drop: every contribution counts one received appeal or
/// one repeat, and no fold ran during the load.
///
/// With a `helper` connection both kinds of cells are split in two runs of keys, one written
/// on each connection at the same time (a B-tree insert is one backend's work; the runs do not
/// overlap, so the two never wait for each other). Each connection writes its part in a
/// transaction that commits synchronously, and neither commits before both parts are written
/// (a barrier): a failure leaves the cube as it was. Only a server lost between the two
/// commits could leave one part in; the error then says to rebuild the reports.
fn add_cells(
    conn: &mut PgConnection,
    helper: Option<&mut PgConnection>,
    cells: &Cells,
) -> anyhow::Result<usize> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let days = cells.days();
    if days.is_empty() {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    #[derive(QueryableByName)]
    struct HeldDay {
        #[diesel(sql_type = Date)]
        day: NaiveDate,
    }
    let dates: Vec<NaiveDate> = days
        .iter()
        .filter_map(|&d| NaiveDate::from_num_days_from_ce_opt(d))
        .collect();
    let held: std::collections::HashSet<i32> = diesel::sql_query(
        "SELECT d.day FROM unnest($1::date[]) AS d(day) \
         WHERE EXISTS (SELECT 1 FROM report_cube c WHERE c.day = d.day)",
    )
    .bind::<Array<Date>, _>(&dates)
    .load::<HeldDay>(conn)
    .context("asking which of the loaded days the reports hold")?
    .into_iter()
    .map(|h| h.day.num_days_from_ce())
    .collect();
    let (mut old, mut new): (Vec<&CellKey>, Vec<&CellKey>) =
        cells.cells.keys().partition(|k| held.contains(&k.day));
    cells.sort(&mut new);
    cells.sort(&mut old);
    let read = started.elapsed();
    let halve = |keys: &[&CellKey]| keys.len() / 2;
    let (new_mine, new_theirs) = new.split_at(if helper.is_some() {
        halve(&new)
    } else {
        new.len()
    });
    let (old_mine, old_theirs) = old.split_at(if helper.is_some() {
        halve(&old)
    } else {
        old.len()
    });
    let failed = AtomicBool::new(false);
    let barrier = std::sync::Barrier::new(if helper.is_some() { 2 } else { 1 });
    // one connection's part; every caller passes the barrier exactly once, whatever fails
    let write = |conn: &mut PgConnection, part: &[&CellKey], old: &[&CellKey]| {
        let mut waited = false;
        let written = conn.transaction::<_, anyhow::Error, _>(|conn| {
            let work = (|| -> anyhow::Result<()> {
                diesel::sql_query("SET LOCAL synchronous_commit = on").execute(conn)?;
                if !part.is_empty() {
                    let data = cells.encode(part)?;
                    copy_in!(conn, crate::db::schema::report_cube::table, &data)
                        .context("adding the loaded appeals' new report cells")?;
                }
                if !old.is_empty() {
                    cells.add_to_held(conn, old)?;
                }
                Ok(())
            })();
            if work.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            barrier.wait();
            waited = true;
            work?;
            if failed.load(Ordering::SeqCst) {
                anyhow::bail!("the other part of the report cells was not written");
            }
            Ok(())
        });
        if !waited {
            failed.store(true, Ordering::SeqCst);
            barrier.wait();
        }
        written
    };
    let written = std::thread::scope(|scope| {
        let helping = helper.map(|h| scope.spawn(|| write(h, new_theirs, old_theirs)));
        let mine = write(conn, new_mine, old_mine);
        let theirs = helping.map_or(Ok(()), |h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a report cell writer panicked")))
        });
        mine.and(theirs)
    });
    tracing::debug!(
        new_days_cells = new.len(),
        held_days_cells = old.len(),
        held_days = held.len(),
        read_s = read.as_secs_f64(),
        written_s = started.elapsed().as_secs_f64(),
        "bulk load: report cells written"
    );
    written.context(
        "adding the report figures of the loaded appeals failed; the rows are loaded: run \
         `minxin reports rebuild` to make the reports exact",
    )?;
    Ok(cells.len())
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
    fn dates_count_days_from_postgres_epoch() {
        let mut buf = Vec::new();
        let mut line = Line::new(&mut buf, 2);
        line.date(day("2000-01-01"));
        line.date(day("2026-12-01"));
        line.end();
        let mut want = COPY_HEADER.to_vec();
        want.extend_from_slice(&2i16.to_be_bytes());
        want.extend_from_slice(&4i32.to_be_bytes());
        want.extend_from_slice(&0i32.to_be_bytes());
        want.extend_from_slice(&4i32.to_be_bytes());
        want.extend_from_slice(&9831i32.to_be_bytes());
        assert_eq!(buf, want);
    }

    fn contribution(day_: &str, department: &str, street: &str, sums: &[i64]) -> Contribution {
        Contribution {
            day: day(day_),
            department_code: department.into(),
            district_code: street[..6].into(),
            street_code: street.into(),
            category_code: "03.01.01".into(),
            channel: "web".into(),
            appellant_kind: "citizen".into(),
            sums: sums.to_vec(),
        }
    }

    fn cell(cells: &Cells, cuboid: i16, day_: &str, keys: [&str; 6]) -> Option<[i64; 24]> {
        let keys = keys.map(|k| cells.ids.get(k).copied());
        let keys = [keys[0]?, keys[1]?, keys[2]?, keys[3]?, keys[4]?, keys[5]?];
        cells
            .cells
            .get(&CellKey {
                cuboid,
                day: day(day_).num_days_from_ce(),
                keys,
            })
            .copied()
    }

    fn row(status: &'static str) -> AppealRow<'static> {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 17, 30, 0)
            .single()
            .expect("a time");
        AppealRow {
            id: Uuid::nil(),
            tracking_no: "AS2026120100000001".into(),
            appellant_kind: "citizen",
            kind: "complaint",
            channel: "import",
            title: "t".into(),
            content: "c".into(),
            category_code: Some("03.01.01"),
            division_code: "210302001002",
            address: None,
            name: "n".into(),
            phone: "13812341234".into(),
            enterprise_name: None,
            credit_code: None,
            confidential: false,
            status,
            lead_department_code: Some("heating"),
            deadline_class: None,
            dispatched_at: Some(at),
            sign_due_at: None,
            reply_due_at: None,
            signed_at: None,
            replied_at: None,
            closed_at: None,
            return_count: 0,
            rehandle_count: 1,
            returned_by: None,
            created_at: at,
            updated_at: at,
            urgency: "normal",
            pool_reason: None,
            pool_detail: None,
            pooled_at: None,
            sign_stage: 0,
            reply_stage: 2,
            signed_on_time: Some(true),
            replied_on_time: Some(false),
            handling_working_minutes: Some(300),
            follow_up_round: 2,
            follow_up_due_at: None,
            closed_unrated: false,
            external_no: None,
        }
    }

    #[test]
    fn a_share_counts_what_report_rows_counts() {
        let answer = |round, solved, satisfaction| FollowUpRow {
            round,
            source: "staff",
            recorded_by: None,
            contacted: true,
            solved,
            satisfaction,
            comment: None,
            created_at: Utc::now(),
        };
        let (first, latest) = (
            answer(1, false, "dissatisfied"),
            answer(2, true, "satisfied"),
        );
        let closed = Share::of(&row("closed"), Some(&first), Some(&latest)).expect("a share");
        assert_eq!(
            closed.keys,
            [
                "heating",
                "210302",
                "210302001",
                "03.01.01",
                "import",
                "citizen"
            ]
            .map(String::from)
        );
        let named: HashMap<&str, i64> = SUM_COLUMNS.iter().copied().zip(closed.sums).collect();
        for (column, want) in [
            ("received", 1),
            ("dispatched", 1),
            ("resolved", 1),
            ("signed", 1),
            ("signed_on_time", 1),
            ("replied", 1),
            ("replied_on_time", 0),
            ("overdue_open", 0),
            ("rehandled", 1),
            ("followed_up", 1),
            ("handling_minutes", 300),
            ("repeats", 0),
            ("solved_latest", 1),
            ("satisfied_latest", 1),
            ("solved_first", 0),
            ("satisfied_first", 0),
            ("contacted_first", 1),
        ] {
            assert_eq!(named[column], want, "{column}");
        }
        // still being handled past the reply alarm: overdue and open, nothing resolved
        let open = Share::of(&row("in_progress"), None, None).expect("a share");
        let named: HashMap<&str, i64> = SUM_COLUMNS.iter().copied().zip(open.sums).collect();
        assert_eq!(
            (
                named["overdue_open"],
                named["resolved"],
                named["followed_up"]
            ),
            (1, 0, 0)
        );
        // 17:30 UTC on 30 November is 1 December in Shanghai
        let shanghai: Tz = "Asia/Shanghai".parse().expect("a zone");
        assert_eq!(open.contribution(shanghai).day, day("2026-12-01"));
        // a street-less division has no street key; a merged appeal counts nowhere
        let mut district_only = row("submitted");
        district_only.division_code = "210302";
        let share = Share::of(&district_only, None, None).expect("a share");
        assert_eq!(
            (share.keys[1].as_str(), share.keys[2].as_str()),
            ("210302", "")
        );
        assert_eq!(Share::of(&row("merged"), None, None), None);
    }

    #[test]
    fn a_contribution_goes_into_every_cuboid_of_both_grains() {
        let mut cells = Cells::new(vec![0, 1, 4, 12, 63]);
        let mut sums = [0i64; 24];
        sums[0] = 1; // received
        sums[HANDLING_MINUTES] = 90;
        cells.add(&contribution("2026-11-23", "heating", "210302001", &sums));
        assert_eq!(cells.len(), 10);
        let all = [
            "heating",
            "210302",
            "210302001",
            "03.01.01",
            "web",
            "citizen",
        ];
        assert_eq!(cell(&cells, 63, "2026-11-23", all), Some(sums));
        assert_eq!(cell(&cells, 63 + 64, "2026-11-01", all), Some(sums));
        assert_eq!(
            cell(
                &cells,
                12,
                "2026-11-23",
                ["", "", "210302001", "03.01.01", "", ""]
            ),
            Some(sums)
        );
        assert_eq!(
            cell(
                &cells,
                1 + 64,
                "2026-11-01",
                ["heating", "", "", "", "", ""]
            ),
            Some(sums)
        );
        assert_eq!(cell(&cells, 0, "2026-11-23", [""; 6]), Some(sums));
        // a day's cells are not a month's
        assert_eq!(cell(&cells, 0, "2026-11-01", [""; 6]), None);
    }

    #[test]
    fn cells_sum_across_contributions_and_merged_loaders() {
        let mut one = [0i64; 24];
        one[0] = 1;
        let mut a = Cells::new(vec![0, 1, 63]);
        a.add(&contribution("2026-11-23", "heating", "210302001", &one));
        a.add(&contribution("2026-11-24", "water", "210302001", &one));
        let mut b = Cells::new(vec![0, 1, 63]);
        // interned in another order on the other side
        b.add(&contribution("2026-11-30", "water", "210303002", &one));
        b.add(&contribution("2026-11-23", "heating", "210302001", &one));
        a.merge(b);
        let mut two = one;
        two[0] = 2;
        assert_eq!(
            cell(&a, MONTHLY, "2026-11-01", [""; 6]).map(|s| s[0]),
            Some(4)
        );
        assert_eq!(cell(&a, 0, "2026-11-23", [""; 6]), Some(two));
        assert_eq!(
            cell(&a, 1 + 64, "2026-11-01", ["water", "", "", "", "", ""]),
            Some(two)
        );
        assert_eq!(
            cell(
                &a,
                63,
                "2026-11-30",
                ["water", "210303", "210303002", "03.01.01", "web", "citizen"]
            ),
            Some(one)
        );
        // 3 days + 1 month (cuboid 0), 3 day-departments + 2 month-departments (1),
        // 3 day-cells and 3 month-cells of all keys (63)
        assert_eq!(a.len(), 4 + 5 + 6);
    }

    #[test]
    fn cells_encode_as_rows_of_the_cube_in_key_order() {
        let mut cells = Cells::new(vec![0]);
        let mut sums = [0i64; 24];
        sums[0] = 3;
        sums[HANDLING_MINUTES] = 5_000_000_000;
        cells.add(&contribution("2026-11-24", "water", "210302001", &sums));
        cells.add(&contribution("2026-11-23", "heating", "210302001", &sums));
        let mut keys: Vec<&CellKey> = cells.cells.keys().collect();
        keys.sort_unstable_by_key(|k| std::cmp::Reverse(k.day));
        cells.sort(&mut keys);
        let data = cells.encode(&keys).expect("encode");
        // two days of cuboid 0 and their one month (cuboid 64), in order
        assert_eq!(keys.len(), 3);
        assert!(
            keys.windows(2)
                .all(|w| (w[0].cuboid, w[0].day) < (w[1].cuboid, w[1].day))
        );
        // header, then rows of 32 fields: cuboid, day, 6 empty keys, 23 int4 and one int8
        let row = 2 + (4 + 2) + (4 + 4) + 6 * 4 + 23 * (4 + 4) + (4 + 8);
        assert_eq!(data.len(), COPY_HEADER.len() + 3 * row + 2);
        let mut cells = Cells::new(vec![0]);
        sums[0] = i64::from(i32::MAX) + 1;
        cells.add(&contribution("2026-11-23", "heating", "210302001", &sums));
        let keys: Vec<&CellKey> = cells.cells.keys().collect();
        assert!(
            cells.encode(&keys).is_err(),
            "a count beyond int4 is refused"
        );
    }
}
