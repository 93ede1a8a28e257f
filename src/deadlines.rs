//! Deadlines at work: the cached working calendar, the running clocks of an appeal, the
//! `next_alarm_at` bookkeeping every change keeps current, and the scanner that raises
//! warnings, overdue reminders (催办) and escalations (督办) — once per appeal, clock, due
//! instant and stage, safely with several instances scanning at once.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::db::audit::{self, AuditActor, Change};
use crate::db::calendar as store;
use crate::db::models::Appeal;
use crate::db::schema::{appeals, deadline_alarms, suspensions};
use crate::domain::calendar::{Calendar, Interval};
use crate::domain::deadline::{Clock, ClockKind, DeadlineSettings, Stage};
use crate::domain::enums::{DeadlineClass, Status};
use crate::error::AppError;
use crate::workflow::Workflow;

/// The working calendar, cached per instance and reloaded when its version moved (one
/// primary-key lookup per use), like the routing table.
#[derive(Default)]
pub struct CalendarBook {
    cached: RwLock<Option<(i64, Arc<Calendar>)>>,
}

impl CalendarBook {
    pub fn current(&self, conn: &mut PgConnection) -> Result<Arc<Calendar>, AppError> {
        let version = store::version(conn)?;
        if let Ok(guard) = self.cached.read()
            && let Some((v, cal)) = guard.as_ref()
            && *v == version
        {
            return Ok(cal.clone());
        }
        let (spec, version) = store::load(conn)?;
        let cal = match Calendar::new(spec) {
            Ok(cal) => Arc::new(cal),
            Err(e) => {
                // the API refuses such a calendar; a hand-edited table falls back loudly
                tracing::error!(error = %e, "stored working calendar is invalid; using the default");
                Arc::new(Calendar::china_default())
            }
        };
        if let Ok(mut guard) = self.cached.write() {
            *guard = Some((version, cal.clone()));
        }
        Ok(cal)
    }
}

/// The clocks running for an appeal in its current state.
pub fn clocks_of(a: &Appeal) -> Vec<Clock> {
    let clock = |kind, warn: Option<DateTime<Utc>>, due: Option<DateTime<Utc>>, stage| {
        due.map(|due_at| Clock {
            kind,
            warn_at: warn.unwrap_or(due_at),
            due_at,
            stage,
        })
    };
    let dispatch = || {
        clock(
            ClockKind::Dispatch,
            a.dispatch_warn_at,
            a.dispatch_due_at,
            a.dispatch_stage,
        )
    };
    let sign = || clock(ClockKind::Sign, a.sign_warn_at, a.sign_due_at, a.sign_stage);
    let reply = || {
        clock(
            ClockKind::Reply,
            a.reply_warn_at,
            a.reply_due_at,
            a.reply_stage,
        )
    };
    match a.status.parse::<Status>() {
        Ok(Status::Submitted) => dispatch().into_iter().collect(),
        Ok(Status::Dispatched) => sign().into_iter().chain(reply()).collect(),
        Ok(Status::InProgress) => reply().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The appeal's suspended intervals (an open one runs to the far future).
pub fn suspensions_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<Interval>> {
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = suspensions::table
        .filter(suspensions::appeal_id.eq(appeal_id))
        .order(suspensions::started_at)
        .select((suspensions::started_at, suspensions::ended_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(from, to)| Interval {
            from,
            to: to.unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
        .collect())
}

/// Recomputes `next_alarm_at` of an appeal row as it now stands (loaded after the change, in the
/// caller's transaction), storing it when it moved; returns the row with it.
pub fn refresh_alarm(
    conn: &mut PgConnection,
    settings: &DeadlineSettings,
    cal: &Calendar,
    mut appeal: Appeal,
) -> QueryResult<Appeal> {
    let next = settings.next_alarm(cal, &clocks_of(&appeal));
    if next != appeal.next_alarm_at {
        diesel::update(appeals::table.find(appeal.id))
            .set(appeals::next_alarm_at.eq(next))
            .execute(conn)?;
        appeal.next_alarm_at = next;
    }
    Ok(appeal)
}

/// Whether the class's reply deadline runs on the wall clock.
pub fn reply_is_wall(settings: &DeadlineSettings, appeal: &Appeal) -> bool {
    let class = appeal
        .deadline_class
        .as_deref()
        .and_then(|c| c.parse::<DeadlineClass>().ok());
    settings.is_wall(class, ClockKind::Reply)
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    pub at: DateTime<Utc>,
    /// appeals whose alarm was due
    pub examined: usize,
    pub warnings: usize,
    pub overdue: usize,
    pub escalated: usize,
    /// resolved appeals whose follow-up window closed unanswered
    pub closed_unrated: usize,
}

/// One scan as of `at`: every appeal whose next alarm is due, in batches, each batch one
/// transaction holding its rows with `FOR UPDATE SKIP LOCKED` (another instance takes the
/// others). Stages passed together (a scan after a long pause) are all recorded, and only the
/// latest is announced.
pub fn scan(
    conn: &mut PgConnection,
    wf: &Workflow,
    at: DateTime<Utc>,
) -> Result<ScanReport, AppError> {
    let mut report = ScanReport {
        at,
        ..ScanReport::default()
    };
    let cal = wf.calendar.current(conn)?;
    let batch = wf.deadlines.scan_batch;
    let mut book = crate::notify::AddressBook::default();
    // each pass moves every row it takes past `at` (or clears it), so passes are bounded
    loop {
        let taken = conn.transaction(|conn| -> Result<usize, AppError> {
            let due: Vec<Appeal> = appeals::table
                .filter(appeals::next_alarm_at.le(at))
                .order(appeals::next_alarm_at.asc())
                .limit(batch)
                .for_update()
                .skip_locked()
                .select(Appeal::as_select())
                .load(conn)?;
            for appeal in &due {
                raise_due(conn, wf, &cal, &mut book, appeal, at, &mut report)?;
            }
            Ok(due.len())
        })?;
        report.examined += taken;
        if (taken as i64) < batch {
            break;
        }
    }
    report.closed_unrated = close_unrated(conn, batch, at)?;
    Ok(report)
}

/// Closes, unrated, the resolved appeals whose follow-up window ended without an answer; like
/// the alarms, in `SKIP LOCKED` batches.
fn close_unrated(
    conn: &mut PgConnection,
    batch: i64,
    at: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut closed = 0;
    loop {
        let taken = conn.transaction(|conn| -> Result<usize, AppError> {
            let due: Vec<Appeal> = appeals::table
                .filter(appeals::status.eq(Status::Resolved.as_str()))
                .filter(appeals::follow_up_due_at.le(at))
                .order(appeals::follow_up_due_at.asc())
                .limit(batch)
                .for_update()
                .skip_locked()
                .select(Appeal::as_select())
                .load(conn)?;
            for appeal in &due {
                diesel::update(appeals::table.find(appeal.id))
                    .set((
                        appeals::status.eq(Status::Closed.as_str()),
                        appeals::closed_at.eq(at),
                        appeals::closed_unrated.eq(true),
                        appeals::follow_up_due_at.eq(None::<DateTime<Utc>>),
                        appeals::next_alarm_at.eq(None::<DateTime<Utc>>),
                        appeals::version.eq(appeal.version + 1),
                        appeals::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                audit::append(
                    conn,
                    appeal.id,
                    &AuditActor {
                        user_id: None,
                        role: "system".into(),
                    },
                    &Change {
                        action: "close_unrated",
                        from_status: Some(Status::Resolved.as_str()),
                        to_status: Some(Status::Closed.as_str()),
                        details: json!({
                            "round": appeal.follow_up_round,
                            "window_ended_at": appeal.follow_up_due_at,
                        }),
                    },
                    at,
                )?;
            }
            Ok(due.len())
        })?;
        closed += taken;
        if (taken as i64) < batch {
            return Ok(closed);
        }
    }
}

fn raise_due(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    book: &mut crate::notify::AddressBook,
    appeal: &Appeal,
    at: DateTime<Utc>,
    report: &mut ScanReport,
) -> Result<(), AppError> {
    let settings = &wf.deadlines;
    let mut clocks = clocks_of(appeal);
    let mut escalate = false;
    for clock in clocks.iter_mut() {
        let stages = settings.due_stages(cal, clock, at);
        let Some(top) = stages.last().copied() else {
            continue;
        };
        let department = match clock.kind {
            ClockKind::Dispatch => None,
            _ => appeal.lead_department_code.clone(),
        };
        let rows: Vec<_> = stages
            .iter()
            .map(|stage| {
                (
                    deadline_alarms::appeal_id.eq(appeal.id),
                    deadline_alarms::clock.eq(clock.kind.as_str()),
                    deadline_alarms::due_at.eq(clock.due_at),
                    deadline_alarms::stage.eq(stage.as_str()),
                    deadline_alarms::department_code.eq(department.as_deref()),
                    deadline_alarms::raised_at.eq(at),
                    deadline_alarms::notified.eq(*stage == top),
                )
            })
            .collect();
        let inserted: Vec<String> = diesel::insert_into(deadline_alarms::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(deadline_alarms::stage)
            .get_results(conn)?;
        // the unique (appeal, clock, due instant, stage) is the backstop against a repeat
        let announce = inserted.iter().any(|s| s == top.as_str());
        clock.stage = top.level();
        if !announce {
            continue;
        }
        match top {
            Stage::Warning => report.warnings += 1,
            Stage::Overdue => report.overdue += 1,
            Stage::Escalated => {
                report.escalated += 1;
                escalate = true;
            }
        }
        audit::append(
            conn,
            appeal.id,
            &AuditActor {
                user_id: None,
                role: "system".into(),
            },
            &Change {
                action: match top {
                    Stage::Warning => "deadline_warning",
                    Stage::Overdue => "deadline_overdue",
                    Stage::Escalated => "deadline_escalated",
                },
                from_status: Some(appeal.status.as_str()),
                to_status: Some(appeal.status.as_str()),
                details: json!({
                    "clock": clock.kind.as_str(),
                    "due_at": clock.due_at,
                    "stage": top.as_str(),
                    "department_code": department,
                    "passed_together": stages.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "scan_at": at,
                }),
            },
            at,
        )?;
        crate::notify::alarm(conn, wf, cal, book, appeal, clock, top, at)?;
    }
    let stage_of = |kind: ClockKind, current: i16| {
        clocks
            .iter()
            .find(|c| c.kind == kind)
            .map_or(current, |c| c.stage)
    };
    let next = settings
        .next_alarm(cal, &clocks)
        // never leave a row due at `at`: the next pass would take it again
        .map(|n| n.max(at + Duration::seconds(1)));
    diesel::update(appeals::table.find(appeal.id))
        .set((
            appeals::dispatch_stage.eq(stage_of(ClockKind::Dispatch, appeal.dispatch_stage)),
            appeals::sign_stage.eq(stage_of(ClockKind::Sign, appeal.sign_stage)),
            appeals::reply_stage.eq(stage_of(ClockKind::Reply, appeal.reply_stage)),
            appeals::next_alarm_at.eq(next),
        ))
        .execute(conn)?;
    if escalate && !appeal.supervised {
        diesel::update(appeals::table.find(appeal.id))
            .set((
                appeals::supervised.eq(true),
                appeals::version.eq(appeal.version + 1),
                appeals::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The scanner of `minxin serve`: one scan every `deadlines.scan_interval_secs` (none when 0).
pub fn spawn_scanner(
    settings: &crate::config::Settings,
    pool: crate::db::PgPool,
) -> Option<crate::worker::Worker> {
    let every = settings.deadlines.scan_interval_secs;
    if every == 0 {
        tracing::info!("deadline scanner off (deadlines.scan_interval_secs = 0)");
        return None;
    }
    let wf = crate::startup::workflow_from(settings);
    tracing::info!(interval_secs = every, "deadline scanner started");
    Some(crate::worker::spawn_periodic(
        "deadline-scanner",
        std::time::Duration::from_secs(every),
        move || {
            let result = pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| scan(&mut conn, &wf, Utc::now()));
            match result {
                Ok(r) if r.examined + r.closed_unrated > 0 => tracing::info!(
                    due = r.examined,
                    warnings = r.warnings,
                    overdue = r.overdue,
                    escalated = r.escalated,
                    closed_unrated = r.closed_unrated,
                    "deadline scan"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "deadline scan failed; the next one retries"),
            }
        },
    ))
}
