//! `minxin import FILE.csv`: historical appeals from a 12345 / 8890 hotline export, written with
//! `COPY` by [`crate::bulk`]. Each row is read and checked by [`crate::domain::export`]; refused
//! rows are reported with their line numbers (and, with `--errors`, written to a CSV file that
//! can be corrected and imported again); good rows are kept. The export's number (工单编号) is
//! stored in `appeals.external_no` under a unique index: a row whose number is already there
//! is skipped, so importing a file twice adds nothing. docs/IMPORT.md describes the rules.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, SmallInt, Text, Uuid as SqlUuid};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use crate::bulk::{self, AppealRow, AuditSeed, BulkAppeal, FollowUpRow, ReplyRow};
use crate::domain::enums::Status;
use crate::domain::export::{
    Catalogue, CategoryEntry, Columns, DivisionEntry, ERROR_LINE_HEADER, ERROR_REASON_HEADER,
    ExportRecord, read_record,
};
use crate::domain::ids::{china_offset, time_ordered_id};

/// Rows per batch (one transaction each).
pub const BATCH: usize = 10_000;

/// The login that imported replies and follow-up answers are recorded under: inactive, with no
/// usable password, so nobody can sign in as it.
pub const IMPORT_USERNAME: &str = "minxin-import";

/// The follow-up window given to an imported appeal that is replied but not yet closed (the
/// deadline scanner closes it unrated when that has passed).
const FOLLOW_UP_WINDOW_DAYS: i64 = 7;

/// Refused rows printed to stderr before the rest are only counted.
const ERRORS_SHOWN: usize = 50;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// data rows read (the header not counted)
    pub rows: usize,
    pub imported: usize,
    /// rows whose 工单编号 an earlier import already brought in
    pub already_there: usize,
    pub refused: usize,
    /// report cube cells the imported appeals added to
    pub report_cells: usize,
}

/// Writers of batches at once, each on its own connection.
pub const LANES: usize = 2;

/// Imports `path` into the database at `url`. `progress(bytes_read, file_size)` as batches are
/// written; `report(line)` for each refused row shown (the first [`ERRORS_SHOWN`]) and for
/// notices. One thread reads and checks the rows and looks them up in the database, [`LANES`]
/// threads write the batches, and the report figures are refreshed at the end.
pub fn import_file(
    url: &str,
    path: &Path,
    errors_path: Option<&Path>,
    progress: &mut dyn FnMut(u64, u64),
    report: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Outcome> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers: Vec<String> = reader
        .byte_headers()
        .with_context(|| format!("reading the header row of {}", path.display()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let columns = Columns::from_headers(headers.iter().map(String::as_str))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if !columns.unknown.is_empty() {
        report(&format!(
            "note: columns not imported: {}",
            columns.unknown.join(", ")
        ));
    }
    let errors_out = match errors_path {
        Some(p) => Some(ErrorsFile::create(p, &headers)?),
        None => None,
    };

    let mut conn = crate::db::connect(url)?;
    // one import at a time: two could both find a number absent and both write it
    diesel::sql_query("SELECT pg_advisory_lock(hashtext('minxin.import'))").execute(&mut conn)?;
    let result = (|| {
        let catalogue = load_catalogue(&mut conn)?;
        let tz = local_time_zone(&mut conn)?;
        // the report figures of the imported appeals are added at the end (bulk.rs)
        bulk::pause_folding(&mut conn)?;
        let importer = ensure_import_user(&mut conn)?;
        let mut lookup_conn = crate::db::connect(url)?;
        let mut writer_conns = Vec::new();
        for _ in 0..LANES {
            writer_conns.push(crate::db::connect(url)?);
        }
        let reading = Reading {
            columns: &columns,
            catalogue: &catalogue,
            tz,
            importer,
            now: crate::domain::audit::storage_precision(Utc::now()),
            size,
            report,
        };
        let (progress_tx, progress_rx) = std::sync::mpsc::channel::<u64>();
        let (read, written) = std::thread::scope(|scope| {
            let mut senders = Vec::new();
            let mut writers = Vec::new();
            for conn in writer_conns.iter_mut() {
                let (tx, rx) = std::sync::mpsc::sync_channel::<(bulk::Encoded, u64)>(1);
                senders.push(tx);
                let progress_tx = progress_tx.clone();
                writers.push(scope.spawn(move || -> anyhow::Result<_> {
                    let mut loader = bulk::Loader::open(conn)?;
                    for (encoded, position) in rx {
                        loader
                            .write(&encoded)
                            .context("writing a batch of imported appeals")?;
                        let _ = progress_tx.send(position);
                    }
                    let (totals, cells, _) = loader.close();
                    Ok((totals, cells))
                }));
            }
            drop(progress_tx);
            let reading = &reading;
            let lookup_conn = &mut lookup_conn;
            let producer =
                scope.spawn(move || reading.run(reader, lookup_conn, errors_out, senders));
            let mut furthest = 0;
            for position in progress_rx {
                furthest = furthest.max(position);
                progress(furthest, size);
            }
            let read = producer
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the reading thread panicked")));
            let mut totals = bulk::LoadTotals::default();
            let mut cells: Option<bulk::Cells> = None;
            let mut failed = None;
            for w in writers {
                match w
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a writer thread panicked")))
                {
                    Ok((t, c)) => {
                        totals += t;
                        match cells.as_mut() {
                            Some(cells) => cells.merge(c),
                            None => cells = Some(c),
                        }
                    }
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            (read, failed.map_or(Ok((totals, cells)), Err))
        });
        let outcome = match (read, written) {
            (Ok(outcome), Ok((totals, cells))) => {
                progress(size, size);
                let totals = match cells {
                    Some(cells) => bulk::complete(
                        &mut conn,
                        writer_conns.iter_mut().collect(),
                        totals,
                        &cells,
                    )?,
                    None => totals,
                };
                Outcome {
                    report_cells: totals.report_cells,
                    imported: totals.appeals,
                    ..outcome
                }
            }
            (_, Err(e)) | (Err(e), _) => {
                return Err(e.context(
                    "the import stopped; the batches written before are in (importing the file \
                     again adds the rest): run `minxin reports rebuild` to make the reports exact",
                ));
            }
        };
        if outcome.refused > ERRORS_SHOWN {
            report(&format!(
                "… and {} more refused rows{}",
                outcome.refused - ERRORS_SHOWN,
                if errors_path.is_some() {
                    " (all of them are in the errors file)"
                } else {
                    " (--errors FILE lists them all)"
                }
            ));
        }
        Ok(outcome)
    })();
    bulk::resume_folding(&mut conn);
    let _ = diesel::sql_query("SELECT pg_advisory_unlock(hashtext('minxin.import'))")
        .execute(&mut conn);
    result
}

/// The refused rows, as a CSV file: line number and reason, then the row as it was (so it can
/// be corrected and imported again).
struct ErrorsFile {
    out: csv::Writer<std::fs::File>,
    /// which of the input's columns to copy (not those an earlier errors file added)
    carried: Vec<bool>,
}

impl ErrorsFile {
    fn create(path: &Path, headers: &[String]) -> anyhow::Result<ErrorsFile> {
        let mut out = csv::Writer::from_path(path)
            .with_context(|| format!("creating the errors file {}", path.display()))?;
        let carried: Vec<bool> = headers
            .iter()
            .map(|h| {
                let h = h.trim_start_matches('\u{feff}').trim();
                h != ERROR_LINE_HEADER && h != ERROR_REASON_HEADER
            })
            .collect();
        let mut head = vec![ERROR_LINE_HEADER.to_owned(), ERROR_REASON_HEADER.to_owned()];
        head.extend(
            headers
                .iter()
                .zip(&carried)
                .filter(|(_, keep)| **keep)
                .map(|(h, _)| h.trim_start_matches('\u{feff}').to_owned()),
        );
        out.write_record(&head)?;
        Ok(ErrorsFile { out, carried })
    }

    fn write(&mut self, line: u64, reason: &str, raw: &csv::ByteRecord) -> anyhow::Result<()> {
        let mut row = vec![line.to_string(), reason.to_owned()];
        row.extend(
            raw.iter()
                .zip(self.carried.iter().chain(std::iter::repeat(&true)))
                .filter(|(_, keep)| **keep)
                .map(|(v, _)| String::from_utf8_lossy(v).into_owned()),
        );
        self.out.write_record(&row)?;
        Ok(())
    }
}

/// The reading side of an import: what it needs to turn records into encoded batches.
struct Reading<'a> {
    columns: &'a Columns,
    catalogue: &'a Catalogue,
    tz: Tz,
    importer: Uuid,
    now: DateTime<Utc>,
    size: u64,
    report: &'a (dyn Fn(&str) + Sync),
}

type Lane = std::sync::mpsc::SyncSender<(bulk::Encoded, u64)>;

impl Reading<'_> {
    /// Reads every record, refuses the bad ones, and hands batches of the good ones to the
    /// writers in turn. Counts rows, refusals and rows already imported before.
    fn run(
        &self,
        mut reader: csv::Reader<std::io::BufReader<std::fs::File>>,
        conn: &mut PgConnection,
        mut errors_out: Option<ErrorsFile>,
        writers: Vec<Lane>,
    ) -> anyhow::Result<Outcome> {
        let mut outcome = Outcome::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut drawn: HashSet<String> = HashSet::new();
        let mut rng = SmallRng::from_rng(&mut rand::rng());
        let mut pending: Vec<ExportRecord<'_>> = Vec::with_capacity(BATCH);
        let mut record = csv::ByteRecord::new();
        let mut next_writer = 0;
        let mut refuse = |line: u64,
                          raw: &csv::ByteRecord,
                          reason: &str,
                          outcome: &mut Outcome|
         -> anyhow::Result<()> {
            outcome.refused += 1;
            if outcome.refused <= ERRORS_SHOWN {
                (self.report)(&format!("line {line}: {reason}"));
            }
            if let Some(w) = errors_out.as_mut() {
                w.write(line, reason, raw)?;
            }
            Ok(())
        };
        let mut send = |pending: &mut Vec<ExportRecord<'_>>,
                        position: u64,
                        outcome: &mut Outcome|
         -> anyhow::Result<bool> {
            let Some(encoded) = self.batch(conn, pending, &mut drawn, &mut rng, outcome)? else {
                return Ok(true);
            };
            let sent = writers[next_writer % writers.len()]
                .send((encoded, position))
                .is_ok();
            next_writer += 1;
            Ok(sent)
        };
        loop {
            let more = match reader.read_byte_record(&mut record) {
                Ok(more) => more,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    outcome.rows += 1;
                    let reason = format!("not readable as CSV: {e}");
                    refuse(line, &csv::ByteRecord::new(), &reason, &mut outcome)?;
                    continue;
                }
            };
            if !more {
                break;
            }
            let line = record.position().map_or(0, |p| p.line());
            let values: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
            let Ok(values) = values else {
                outcome.rows += 1;
                refuse(
                    line,
                    &record,
                    "not UTF-8 text (convert the file first, e.g. `iconv -f GB18030 -t UTF-8`)",
                    &mut outcome,
                )?;
                continue;
            };
            if values.iter().all(|v| v.trim().is_empty()) {
                continue; // a blank line is no row
            }
            outcome.rows += 1;
            match read_record(self.columns, &values, self.catalogue, self.tz, self.now) {
                Ok(r) => match seen.get(&r.number) {
                    Some(first) => {
                        let reason =
                            format!("工单编号 {} appeared already on line {first}", r.number);
                        refuse(line, &record, &reason, &mut outcome)?;
                    }
                    None => {
                        seen.insert(r.number.clone(), line);
                        pending.push(r);
                    }
                },
                Err(reason) => refuse(line, &record, &reason, &mut outcome)?,
            }
            if pending.len() >= BATCH
                && !send(&mut pending, reader.position().byte(), &mut outcome)?
            {
                return Ok(outcome); // a writer stopped; it says why
            }
        }
        send(&mut pending, self.size, &mut outcome)?;
        if let Some(mut w) = errors_out.take() {
            w.out.flush()?;
        }
        Ok(outcome)
    }

    /// The pending rows that are not in the database yet, as one encoded batch (`None` when
    /// there are none).
    fn batch(
        &self,
        conn: &mut PgConnection,
        pending: &mut Vec<ExportRecord<'_>>,
        drawn: &mut HashSet<String>,
        rng: &mut SmallRng,
        outcome: &mut Outcome,
    ) -> anyhow::Result<Option<bulk::Encoded>> {
        if pending.is_empty() {
            return Ok(None);
        }
        let numbers: Vec<&str> = pending.iter().map(|r| r.number.as_str()).collect();
        let known = existing(conn, "external_no", &numbers).context("looking up 工单编号")?;
        let before = pending.len();
        pending.retain(|r| !known.contains(&r.number));
        outcome.already_there += before - pending.len();
        let mut batch: Vec<BulkAppeal<'_>> = pending
            .drain(..)
            .map(|r| {
                let no = tracking_no(rng, drawn, r.received_at);
                appeal_of(r, no, self.importer, self.now, rng)
            })
            .collect();
        if batch.is_empty() {
            return Ok(None);
        }
        // tracking numbers are random: replace the few the database already has
        loop {
            let wanted: Vec<&str> = batch
                .iter()
                .map(|b| b.appeal.tracking_no.as_str())
                .collect();
            let clash =
                existing(conn, "tracking_no", &wanted).context("checking tracking numbers")?;
            if clash.is_empty() {
                break;
            }
            for b in batch
                .iter_mut()
                .filter(|b| clash.contains(&b.appeal.tracking_no))
            {
                b.appeal.tracking_no = tracking_no(rng, drawn, b.appeal.created_at);
            }
        }
        // in time order, so the time-ordered ids and indexes grow at one end
        batch.sort_by_key(|b| b.appeal.created_at);
        Ok(Some(bulk::encode(&batch)))
    }
}

/// Which of `values` the appeals' `column` already holds.
fn existing(
    conn: &mut PgConnection,
    column: &str,
    values: &[&str],
) -> QueryResult<HashSet<String>> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let found: Vec<Found> = diesel::sql_query(format!(
        "SELECT {column}::text AS v FROM appeals WHERE {column} = ANY($1)"
    ))
    .bind::<Array<Text>, _>(values)
    .load(conn)?;
    Ok(found.into_iter().map(|f| f.v).collect())
}

/// AS + the local date received + 8 random digits, not drawn before in this run.
fn tracking_no(rng: &mut SmallRng, drawn: &mut HashSet<String>, at: DateTime<Utc>) -> String {
    use rand::Rng;
    let date = at
        .with_timezone(&china_offset())
        .format("%Y%m%d")
        .to_string();
    loop {
        let serial: u32 = rng.random_range(0..100_000_000);
        let no = format!("AS{date}{serial:08}");
        if drawn.insert(no.clone()) {
            return no;
        }
    }
}

/// The appeal, reply and follow-up answer an export row stands for.
fn appeal_of<'c>(
    r: ExportRecord<'c>,
    tracking_no: String,
    importer: Uuid,
    imported_at: DateTime<Utc>,
    rng: &mut SmallRng,
) -> BulkAppeal<'c> {
    let replied = matches!(r.status, Status::Resolved | Status::Closed);
    let updated_at = r.closed_at.or(r.replied_at).unwrap_or(r.received_at);
    let (enterprise_name, credit_code) = match r.enterprise {
        Some((name, code)) => (Some(name), Some(code.as_str().to_owned())),
        None => (None, None),
    };
    let details = Arc::new(serde_json::json!({ "external_no": r.number }));
    let reply = match (r.reply, r.department, r.replied_at) {
        (Some(content), Some(department_code), Some(created_at)) => Some(ReplyRow {
            department_code,
            author_id: importer,
            content,
            created_at,
        }),
        _ => None,
    };
    let follow_ups = match (r.answer, r.closed_at) {
        (Some((solved, satisfaction)), Some(at)) => vec![FollowUpRow {
            round: 1,
            source: "staff",
            recorded_by: Some(importer),
            contacted: true,
            solved,
            satisfaction: satisfaction.as_str(),
            comment: None,
            created_at: at,
        }],
        _ => Vec::new(),
    };
    let submitted = r.status == Status::Submitted;
    BulkAppeal {
        appeal: AppealRow {
            id: time_ordered_id(r.received_at, rng),
            tracking_no,
            appellant_kind: if enterprise_name.is_some() {
                "enterprise"
            } else {
                "citizen"
            },
            kind: r.kind.as_str(),
            channel: "import",
            title: r.title,
            content: r.content,
            category_code: r.category_code,
            division_code: r.division_code,
            address: r.address,
            name: r.name,
            phone: r.phone,
            enterprise_name,
            credit_code,
            confidential: false,
            status: r.status.as_str(),
            lead_department_code: r.department,
            deadline_class: None,
            dispatched_at: r.department.map(|_| r.received_at),
            sign_due_at: None,
            reply_due_at: None,
            signed_at: None,
            replied_at: r.replied_at,
            closed_at: r.closed_at,
            return_count: 0,
            rehandle_count: 0,
            returned_by: None,
            created_at: r.received_at,
            updated_at,
            urgency: "normal",
            pool_reason: submitted.then_some("no_rule"),
            pool_detail: submitted
                .then(|| "导入时没有承办单位 (imported without a department)".to_owned()),
            pooled_at: submitted.then_some(r.received_at),
            sign_stage: 0,
            reply_stage: 0,
            signed_on_time: None,
            replied_on_time: None,
            handling_working_minutes: None,
            follow_up_round: i32::from(replied),
            follow_up_due_at: (r.status == Status::Resolved)
                .then(|| {
                    r.replied_at
                        .map(|t| t + Duration::days(FOLLOW_UP_WINDOW_DAYS))
                })
                .flatten(),
            closed_unrated: r.status == Status::Closed && follow_ups.is_empty(),
            external_no: Some(r.number),
        },
        audit: AuditSeed {
            action: "import",
            at: imported_at,
            details,
        },
        reply,
        follow_ups,
    }
}

fn load_catalogue(conn: &mut PgConnection) -> anyhow::Result<Catalogue> {
    #[derive(QueryableByName)]
    struct Cat {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Nullable<Text>)]
        parent_code: Option<String>,
    }
    #[derive(QueryableByName)]
    struct Div {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Nullable<Text>)]
        parent_code: Option<String>,
        #[diesel(sql_type = SmallInt)]
        level: i16,
    }
    #[derive(QueryableByName)]
    struct Dept {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        name: String,
    }
    let categories: Vec<Cat> = diesel::sql_query(
        "SELECT code::text AS code, name::text AS name, parent_code::text AS parent_code FROM categories",
    )
    .load(conn)?;
    let divisions: Vec<Div> = diesel::sql_query(
        "SELECT code::text AS code, name::text AS name, parent_code::text AS parent_code, level
         FROM divisions WHERE level IN (2, 3)",
    )
    .load(conn)?;
    let departments: Vec<Dept> =
        diesel::sql_query("SELECT code::text AS code, name::text AS name FROM departments")
            .load(conn)?;
    if divisions.is_empty() {
        bail!("the database has no divisions: load the reference data first (`minxin seed`)");
    }
    Ok(Catalogue::new(
        categories
            .into_iter()
            .map(|c| CategoryEntry {
                code: c.code,
                name: c.name,
                parent_code: c.parent_code,
            })
            .collect(),
        divisions
            .into_iter()
            .map(|d| DivisionEntry {
                code: d.code,
                name: d.name,
                parent_code: d.parent_code,
                level: d.level,
            })
            .collect(),
        departments.into_iter().map(|d| (d.code, d.name)).collect(),
    ))
}

/// The working calendar's time zone: export times without an offset are local times there.
fn local_time_zone(conn: &mut PgConnection) -> anyhow::Result<Tz> {
    #[derive(QueryableByName)]
    struct Zone {
        #[diesel(sql_type = Text)]
        time_zone: String,
    }
    let zone: Zone =
        diesel::sql_query("SELECT time_zone::text AS time_zone FROM calendar_settings")
            .get_result(conn)
            .context("reading the calendar's time zone")?;
    zone.time_zone
        .parse()
        .map_err(|e| anyhow::anyhow!("calendar time zone `{}`: {e}", zone.time_zone))
}

/// The inactive login imported replies and answers are recorded under, created on first use.
fn ensure_import_user(conn: &mut PgConnection) -> anyhow::Result<Uuid> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query(
        "INSERT INTO users (id, username, password_hash, display_name, role, active, created_at)
         VALUES ($1, $2, '!', '历史数据导入', 'dispatcher', FALSE, now())
         ON CONFLICT (username) DO NOTHING",
    )
    .bind::<SqlUuid, _>(Uuid::new_v4())
    .bind::<Text, _>(IMPORT_USERNAME)
    .execute(conn)?;
    let user: Id = diesel::sql_query("SELECT id FROM users WHERE username = $1")
        .bind::<Text, _>(IMPORT_USERNAME)
        .get_result(conn)?;
    Ok(user.id)
}
