//! The use cases, each one database transaction: the state change, its audit event (and, in
//! later issues, its queued email) commit together or not at all. Handlers call these inside
//! `db::run`; the rules themselves live in `domain`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::Claims;
use crate::db::audit::{self, AuditActor, Change};
use crate::db::models::{Appeal, Assignment, NewAppeal, NewAssignment};
use crate::db::schema::{appeals, extensions, follow_ups, suspensions};
use crate::db::{self as store, appeals as q, reference};
use crate::deadlines::{self, CalendarBook};
use crate::domain::calendar::Calendar;
use crate::domain::deadline::{Clock, ClockKind, DeadlineSettings};
use crate::domain::enums::{DeadlineClass, Disposition, Satisfaction, Status, Visibility};
use crate::domain::ids::china_offset;
use crate::domain::ids::{TrackingNo, access_code_from_digest, random_access_code};
use crate::domain::intake::ValidIntake;
use crate::domain::lifecycle::{self, Action, Actor, Facts, Plan};
use crate::domain::photo::Photo;
use crate::domain::routing::{Decision, RuleRef, Sample};
use crate::error::AppError;
use crate::rulebook::RuleBook;

/// Settings the use cases need.
#[derive(Clone)]
pub struct Workflow {
    pub deadlines: DeadlineSettings,
    /// the class used when neither a routing rule nor the dispatcher names one
    pub default_class: DeadlineClass,
    /// the working calendar, cached and kept current
    pub calendar: std::sync::Arc<CalendarBook>,
    /// links in e-mail point here
    pub public_url: String,
    /// how long after a reply the appellant may answer the follow-up
    pub follow_up_window: Duration,
    /// how reports weigh and count
    pub reports: Reporting,
    /// keys the access-code hashes and the codes re-derived for idempotent replays
    pub access_secret: Vec<u8>,
    /// the compiled routing table, cached and kept current
    pub rules: std::sync::Arc<RuleBook>,
}

/// Report settings the handlers need.
#[derive(Debug, Clone, Copy)]
pub struct Reporting {
    pub weights: crate::domain::metrics::Weights,
    pub max_period_days: i64,
    pub counted_round: crate::db::reports::Round,
}

type HmacSha256 = Hmac<Sha256>;

impl Workflow {
    /// HMAC over length-prefixed parts, keyed with the access secret.
    fn hasher(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.access_secret)
            .expect("HMAC accepts keys of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        self.hasher(parts).finalize().into_bytes().to_vec()
    }

    /// The stored form of an access code: a keyed hash, useless without the server's secret.
    pub fn access_code_hash(&self, tracking_no: &str, code: &str) -> String {
        hex::encode(self.mac(&[b"access-code-hash", tracking_no.as_bytes(), code.as_bytes()]))
    }

    pub fn access_code_matches(&self, appeal: &Appeal, code: &str) -> bool {
        let Ok(stored) = hex::decode(appeal.access_code_hash.trim()) else {
            return false;
        };
        // the hmac crate compares in constant time
        self.hasher(&[
            b"access-code-hash",
            appeal.tracking_no.as_bytes(),
            code.as_bytes(),
        ])
        .verify_slice(&stored)
        .is_ok()
    }

    /// The appellant's follow-up link token for one round of an appeal: the appeal, the round and
    /// the expiry, signed with the access secret (`<appeal>.<round>.<expiry>.<signature>`).
    pub fn follow_up_token(&self, appeal_id: Uuid, round: i32, expires: DateTime<Utc>) -> String {
        let payload = format!("{}.{round}.{}", appeal_id.simple(), expires.timestamp());
        let mac = self.mac(&[b"follow-up", payload.as_bytes()]);
        format!("{payload}.{}", hex::encode(&mac[..16]))
    }

    /// Reads a follow-up token: (appeal, round, expiry), or why it is refused.
    pub fn read_follow_up_token(
        &self,
        token: &str,
    ) -> Result<(Uuid, i32, DateTime<Utc>), AppError> {
        let tampered = invalid_link;
        let mut parts = token.split('.');
        let (Some(id), Some(round), Some(exp), Some(sig), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(tampered());
        };
        let sig = hex::decode(sig).map_err(|_| tampered())?;
        if sig.len() != 16 {
            return Err(tampered());
        }
        let payload = format!("{id}.{round}.{exp}");
        // the hmac crate compares in constant time
        self.hasher(&[b"follow-up", payload.as_bytes()])
            .verify_truncated_left(&sig)
            .map_err(|_| tampered())?;
        let id: Uuid = id.parse().map_err(|_| tampered())?;
        let round: i32 = round.parse().map_err(|_| tampered())?;
        let exp = exp
            .parse::<i64>()
            .ok()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .ok_or_else(tampered)?;
        Ok((id, round, exp))
    }

    /// The token of the current round's link while a round awaits an answer (for the API,
    /// `/api/v1/follow-up/{token}`).
    pub fn current_follow_up_token(&self, appeal: &Appeal) -> Option<String> {
        let due = appeal.follow_up_due_at?;
        (appeal.status == Status::Resolved.as_str() && appeal.follow_up_round > 0)
            .then(|| self.follow_up_token(appeal.id, appeal.follow_up_round, due))
    }

    /// The appellant's follow-up link (the web page) while a round awaits an answer.
    pub fn follow_up_url(&self, appeal: &Appeal) -> Option<String> {
        self.current_follow_up_token(appeal).map(|token| {
            format!(
                "{}/follow-up/{token}",
                self.public_url.trim_end_matches('/')
            )
        })
    }

    /// The access code of an intake made under an Idempotency-Key, derivable again on replay.
    fn derived_access_code(&self, key: &str, appeal_id: Uuid) -> String {
        access_code_from_digest(&self.mac(&[b"access-code", key.as_bytes(), appeal_id.as_bytes()]))
    }
}

/// What intake answers.
#[derive(Debug, Clone)]
pub struct Filed {
    pub appeal: Appeal,
    pub access_code: String,
    /// true when this is the stored answer to an earlier request with the same key
    pub replayed: bool,
    /// the token of an appeal an integration filed (Open311's `tokens/{token}`)
    pub token: Option<Uuid>,
}

pub struct IdempotencyKey {
    pub key: String,
    /// hash of the request body in canonical form
    pub request_hash: String,
}

/// How one intake attempt can end besides success.
enum Attempt {
    Failed(AppError),
    /// a tracking-number collision, or a concurrent request with the same Idempotency-Key
    /// committed first: roll back and run again from the top (which then replays it)
    Retry,
}

impl From<diesel::result::Error> for Attempt {
    fn from(e: diesel::result::Error) -> Self {
        if store::is_unique_violation(&e, "appeals_tracking_no_key")
            || store::is_unique_violation(&e, "idempotency_keys_pkey")
        {
            Attempt::Retry
        } else {
            Attempt::Failed(e.into())
        }
    }
}

impl From<AppError> for Attempt {
    fn from(e: AppError) -> Self {
        Attempt::Failed(e)
    }
}

/// 受理: stores the appeal and its first audit event in one transaction; honours the
/// Idempotency-Key (same key and body: the first answer, nothing new; another body: 422).
pub fn intake(
    conn: &mut PgConnection,
    wf: &Workflow,
    intake: &ValidIntake,
    idempotency: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    intake_with_photos(conn, wf, intake, &[], idempotency, now)
}

/// 受理 with photos (the web form): the photos are written in the same transaction as the
/// appeal, so an acknowledged appeal has all of them and a refused one left none; a replay
/// under the same key stores nothing again. The key's request hash must cover the photos.
pub fn intake_with_photos(
    conn: &mut PgConnection,
    wf: &Workflow,
    intake: &ValidIntake,
    photos: &[Photo],
    idempotency: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    intake_from(conn, wf, intake, photos, idempotency, None, now)
}

/// 受理 from an integration (Open311): as [`intake`], and in the same transaction the appeal
/// is recorded as filed with the key `api_key_id`, under a token of its own ([`Filed::token`]).
pub fn intake_by_integration(
    conn: &mut PgConnection,
    wf: &Workflow,
    intake: &ValidIntake,
    idempotency: Option<&IdempotencyKey>,
    api_key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    intake_from(conn, wf, intake, &[], idempotency, Some(api_key_id), now)
}

fn intake_from(
    conn: &mut PgConnection,
    wf: &Workflow,
    intake: &ValidIntake,
    photos: &[Photo],
    idempotency: Option<&IdempotencyKey>,
    integration: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    for _attempt in 0..5 {
        let result = conn.transaction(|conn| -> Result<Filed, Attempt> {
            if let Some(idem) = idempotency
                && let Some(filed) = replay(conn, wf, idem)?
            {
                return Ok(filed);
            }
            check_references(conn, intake)?;
            insert_new(conn, wf, intake, photos, idempotency, integration, now)
        });
        match result {
            Ok(filed) => return Ok(filed),
            Err(Attempt::Retry) => continue,
            Err(Attempt::Failed(e)) => return Err(e),
        }
    }
    Err(AppError::Unexpected(anyhow::anyhow!(
        "intake kept colliding after 5 attempts"
    )))
}

fn replay(
    conn: &mut PgConnection,
    wf: &Workflow,
    idem: &IdempotencyKey,
) -> Result<Option<Filed>, AppError> {
    let Some((stored_hash, appeal_id)) = q::find_idempotency(conn, &idem.key)? else {
        return Ok(None);
    };
    if stored_hash.trim() != idem.request_hash {
        return Err(AppError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was already used for a different request body; use a new key for a new appeal".into(),
            field: None,
        });
    }
    let appeal = q::find(conn, appeal_id)?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("idempotency row without appeal")))?;
    let token = crate::db::open311::token_of(conn, appeal.id)?;
    Ok(Some(Filed {
        access_code: wf.derived_access_code(&idem.key, appeal.id),
        appeal,
        replayed: true,
        token,
    }))
}

fn check_references(conn: &mut PgConnection, intake: &ValidIntake) -> Result<(), AppError> {
    if !reference::division_exists(conn, &intake.division_code)? {
        return Err(AppError::invalid(
            "division_code",
            format!(
                "unknown division_code `{}`; see GET /api/v1/divisions",
                intake.division_code
            ),
        ));
    }
    if let Some(code) = &intake.category_code
        && !reference::category_exists(conn, code)?
    {
        return Err(AppError::invalid(
            "category_code",
            format!("unknown category_code `{code}`; see GET /api/v1/categories"),
        ));
    }
    Ok(())
}

fn insert_new(
    conn: &mut PgConnection,
    wf: &Workflow,
    intake: &ValidIntake,
    photos: &[Photo],
    idempotency: Option<&IdempotencyKey>,
    integration: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Filed, Attempt> {
    let id = Uuid::new_v4();
    let mut rng = rand::rng();
    let tracking_no = TrackingNo::generate(now, &mut rng);
    let access_code = match idempotency {
        Some(idem) => wf.derived_access_code(&idem.key, id),
        None => random_access_code(&mut rng),
    };
    let access_code_hash = wf.access_code_hash(tracking_no.as_str(), &access_code);
    // Routing needs only what was filed, so it is decided before the insert: the row is
    // written once with its urgency and pool reason.
    let book = wf.rules.current(conn)?;
    let decision = book.decide(&Sample {
        category_code: intake.category_code.as_deref(),
        division_code: &intake.division_code,
        appellant_kind: intake.appellant_kind,
        kind: intake.kind,
        channel: intake.channel,
        urgency: intake.urgency,
        title: &intake.title,
        content: &intake.content,
        local_date: now.with_timezone(&china_offset()).date_naive(),
    });
    let route = usable_route(conn, &decision)?;
    let (pool_reason, pool_detail) = match &route {
        Route::Pool { reason, detail } => (Some(*reason), Some(detail.as_str())),
        Route::Dispatch { .. } => (None, None),
    };
    let credit_code = intake.credit_code.as_ref().map(|c| c.to_string());
    let cal = wf.calendar.current(conn)?;
    let pool_clock = match &route {
        Route::Pool { .. } => Some(wf.deadlines.pool_clock(&cal, now)),
        Route::Dispatch { .. } => None,
    };
    // 重复诉求: back in the same category soon after a closure of theirs
    let repeat = crate::db::repeats::closure_repeated_by(conn, intake, now)?;
    let new = NewAppeal {
        id,
        tracking_no: tracking_no.as_str(),
        access_code_hash: &access_code_hash,
        appellant_kind: intake.appellant_kind.as_str(),
        kind: intake.kind.as_str(),
        channel: intake.channel.as_str(),
        title: &intake.title,
        content: &intake.content,
        category_code: intake.category_code.as_deref(),
        division_code: &intake.division_code,
        address: intake.address.as_deref(),
        latitude: intake.coordinates.map(|c| c.0),
        longitude: intake.coordinates.map(|c| c.1),
        name: &intake.name,
        phone: &intake.phone,
        email: intake.email.as_deref(),
        enterprise_name: intake.enterprise_name.as_deref(),
        credit_code: credit_code.as_deref(),
        confidential: intake.confidential,
        status: Status::Submitted.as_str(),
        urgency: decision.urgency.unwrap_or(intake.urgency).as_str(),
        pool_reason,
        pool_detail,
        pooled_at: pool_clock.map(|_| now),
        dispatch_warn_at: pool_clock.map(|(warn, _)| warn),
        dispatch_due_at: pool_clock.map(|(_, due)| due),
        // what refresh_alarm would store right after: the insert writes it instead
        next_alarm_at: pool_clock.and_then(|(warn_at, due_at)| {
            wf.deadlines.next_alarm(
                &cal,
                &[Clock {
                    kind: ClockKind::Dispatch,
                    warn_at,
                    due_at,
                    stage: 0,
                }],
            )
        }),
        created_at: now,
        updated_at: now,
        repeat_of: repeat.as_ref().map(|c| c.id),
    };
    let appeal = q::insert(conn, &new)?;
    if let Some(idem) = idempotency {
        // Blocks on a concurrent transaction holding the same key; if that one commits this
        // fails, the attempt is retried, and the retry replays the winner's answer.
        q::insert_idempotency(conn, &idem.key, &idem.request_hash, id, now)?;
    }
    crate::db::attachments::insert(conn, id, photos, now)?;
    let token = match integration {
        Some(api_key_id) => {
            let token = Uuid::new_v4();
            crate::db::open311::insert_request(conn, token, id, api_key_id, now)?;
            Some(token)
        }
        None => None,
    };
    let mut intake_details = json!({
        "channel": intake.channel.as_str(),
        "kind": intake.kind.as_str(),
        "appellant_kind": intake.appellant_kind.as_str(),
        "category_code": intake.category_code,
        "division_code": intake.division_code,
        "confidential": intake.confidential,
        "urgency": intake.urgency.as_str(),
        "routing": routing_details(&decision, &route),
        "repeat_of": repeat.as_ref().map(|c| &c.tracking_no),
    });
    if let Some(api_key_id) = integration {
        // which integration's key filed it
        intake_details["api_key_id"] = json!(api_key_id);
    }
    if !photos.is_empty() {
        // the audit chain vouches for which photos were filed, by their digests
        intake_details["photos"] = photos.iter().map(|p| p.sha256.as_str()).collect();
    }
    audit::append_first(
        conn,
        id,
        &AuditActor {
            user_id: None,
            role: "resident".into(),
        },
        &Change {
            action: "intake",
            from_status: None,
            to_status: Some(Status::Submitted.as_str()),
            details: intake_details,
        },
        now,
    )?;
    let appeal = match &route {
        Route::Dispatch { lead, co, rule } => {
            let target = Target {
                lead,
                co,
                class: decision.deadline_class,
                reply_by: None,
            };
            // moves the status to dispatched as well
            let details =
                dispatch_to(conn, wf, &cal, &appeal, &target, &Assigner::Rule(rule), now)?;
            audit::append(
                conn,
                id,
                &AuditActor {
                    user_id: None,
                    role: "system".into(),
                },
                &Change {
                    action: "dispatch",
                    from_status: Some(Status::Submitted.as_str()),
                    to_status: Some(Status::Dispatched.as_str()),
                    details,
                },
                now,
            )?;
            q::find(conn, id)?.ok_or_else(|| not_found(id))?
        }
        Route::Pool { .. } => appeal,
    };
    let appeal = deadlines::refresh_alarm(conn, &wf.deadlines, &cal, appeal)?;
    crate::notify::receipt(conn, wf, &cal, &appeal)?;
    Ok(Filed {
        appeal,
        access_code,
        replayed: false,
        token,
    })
}

/// Where routing sends a new appeal.
enum Route {
    Dispatch {
        lead: String,
        co: Vec<String>,
        rule: RuleRef,
    },
    Pool {
        reason: &'static str,
        detail: String,
    },
}

/// Turns the matcher's decision into a route, keeping an appeal in the pool when the rule names a
/// department that has since been deactivated (and dropping inactive co-handlers).
fn usable_route(conn: &mut PgConnection, decision: &Decision) -> Result<Route, AppError> {
    let rule = decision.deciding_rule.clone();
    match (&decision.lead_department, rule) {
        (Some(lead), Some(rule)) => {
            if !department_active(conn, lead)? {
                return Ok(Route::Pool {
                    reason: "held_by_rule",
                    detail: format!(
                        "rule {} v{} ({}) names department {lead}, which is inactive",
                        rule.id, rule.version, rule.name
                    ),
                });
            }
            let mut co = Vec::new();
            for code in &decision.co_departments {
                if department_active(conn, code)? {
                    co.push(code.clone());
                }
            }
            Ok(Route::Dispatch {
                lead: lead.to_string(),
                co,
                rule,
            })
        }
        (None, Some(rule)) => Ok(Route::Pool {
            reason: "held_by_rule",
            detail: format!(
                "rule {} v{} ({}) keeps it for a dispatcher",
                rule.id, rule.version, rule.name
            ),
        }),
        _ => Ok(Route::Pool {
            reason: "no_rule",
            detail: "no routing rule matched".into(),
        }),
    }
}

fn department_active(conn: &mut PgConnection, code: &str) -> Result<bool, AppError> {
    Ok(reference::find_department(conn, code)?.is_some_and(|d| d.active))
}

fn routing_details(decision: &Decision, route: &Route) -> serde_json::Value {
    let contributing: Vec<serde_json::Value> = decision
        .contributing_rules
        .iter()
        .map(|r| json!({"rule_id": r.id, "rule_version": r.version, "name": r.name}))
        .collect();
    match route {
        Route::Dispatch { lead, co, rule } => json!({
            "outcome": "dispatched",
            "rule_id": rule.id,
            "rule_version": rule.version,
            "rule_name": rule.name,
            "lead_department_code": lead,
            "co_department_codes": co,
            "deadline_class": decision.deadline_class.map(|c| c.as_str()),
            "urgency": decision.urgency.map(|u| u.as_str()),
            "contributing_rules": contributing,
        }),
        Route::Pool { reason, detail } => json!({
            "outcome": "pool",
            "reason": reason,
            "detail": detail,
            "rule_id": decision.deciding_rule.as_ref().map(|r| r.id),
            "rule_version": decision.deciding_rule.as_ref().map(|r| r.version),
            "contributing_rules": contributing,
        }),
    }
}

/// Who dispatches.
pub enum Assigner<'a> {
    Person(Uuid),
    Rule(&'a RuleRef),
}

/// Where a dispatch sends an appeal.
pub struct Target<'a> {
    pub lead: &'a str,
    pub co: &'a [String],
    pub class: Option<DeadlineClass>,
    /// a reply deadline set for this appeal (complex matters), instead of the class's
    pub reply_by: Option<DateTime<Utc>>,
}

/// 派单: assignments (auto-assigned to a clerk where the department wants it), deadlines and the
/// lead, in the caller's transaction. The caller has checked the departments are active, moves
/// the status and writes the audit event.
fn dispatch_to(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    target: &Target<'_>,
    by: &Assigner<'_>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    // the class the dispatch names; else the one the appeal had before a return (a refused
    // return must not turn an urgent matter into a week's one); else the default
    let class = target
        .class
        .or_else(|| {
            appeal
                .deadline_class
                .as_deref()
                .and_then(|c| c.parse().ok())
        })
        .unwrap_or(wf.default_class);
    let due = wf.deadlines.at_dispatch(cal, class, now, target.reply_by);
    let (assigned_by, rule_id, rule_version) = match by {
        Assigner::Person(id) => (Some(*id), None, None),
        Assigner::Rule(rule) => (None, Some(rule.id), Some(rule.version)),
    };
    let mut assignees = serde_json::Map::new();
    for (code, role) in
        std::iter::once((target.lead, "lead")).chain(target.co.iter().map(|c| (c.as_str(), "co")))
    {
        let assignee = crate::assign::least_loaded_clerk(conn, code)?;
        if let Some((_, username)) = &assignee {
            assignees.insert(code.to_owned(), json!(username));
        }
        q::insert_assignment(
            conn,
            &NewAssignment {
                appeal_id: appeal.id,
                department_code: code,
                role,
                assigned_by,
                rule_id,
                rule_version,
                assigned_at: now,
                assignee_id: assignee.map(|(id, _)| id),
            },
        )?;
    }
    // the alarm of the clocks a dispatched appeal runs (sign and reply, nothing raised yet),
    // written with the dispatch rather than by a refresh after it
    let next_alarm = wf.deadlines.next_alarm(
        cal,
        &[
            Clock {
                kind: ClockKind::Sign,
                warn_at: due.sign_warn,
                due_at: due.sign_by,
                stage: 0,
            },
            Clock {
                kind: ClockKind::Reply,
                warn_at: due.reply_warn,
                due_at: due.reply_by,
                stage: 0,
            },
        ],
    );
    // a rule dispatches at intake, in the filing's transaction: the status moves here too (one
    // row version, not two); a person's dispatch is an action, whose caller moves the version
    let version_step = match by {
        Assigner::Person(_) => 0,
        Assigner::Rule(_) => 1,
    };
    let updated: Appeal = diesel::update(appeals::table.find(appeal.id))
        .set((
            (
                appeals::status.eq(Status::Dispatched.as_str()),
                appeals::version.eq(appeals::version + version_step),
                appeals::next_alarm_at.eq(next_alarm),
                appeals::lead_department_code.eq(target.lead),
                appeals::deadline_class.eq(class.as_str()),
                appeals::dispatched_at.eq(now),
                appeals::sign_due_at.eq(due.sign_by),
                appeals::sign_warn_at.eq(due.sign_warn),
                appeals::reply_due_at.eq(due.reply_by),
                appeals::reply_warn_at.eq(due.reply_warn),
            ),
            (
                appeals::sign_stage.eq(0),
                appeals::reply_stage.eq(0),
                appeals::signed_on_time.eq(None::<bool>),
                appeals::replied_on_time.eq(None::<bool>),
                appeals::pool_reason.eq(None::<String>),
                appeals::pool_detail.eq(None::<String>),
            ),
        ))
        .returning(Appeal::as_returning())
        .get_result(conn)?;
    crate::notify::dispatched(conn, wf, cal, &updated, now)?;
    let mut details = json!({
        "lead_department_code": target.lead,
        "co_department_codes": target.co,
        "deadline_class": class.as_str(),
        "sign_due_at": due.sign_by,
        "reply_due_at": due.reply_by,
        "auto_assigned": assignees,
    });
    if let Assigner::Rule(rule) = by {
        details["rule_id"] = json!(rule.id);
        details["rule_version"] = json!(rule.version);
        details["rule_name"] = json!(rule.name);
    }
    Ok(details)
}

/// The three answers of a follow-up (回访), with an optional comment.
#[derive(Debug, Clone)]
pub struct Answers {
    /// the department contacted the appellant
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

impl Answers {
    /// Solved and at least basically satisfied: the appeal closes; otherwise 重办.
    pub fn accepted(&self) -> bool {
        self.solved && self.satisfaction.is_satisfied()
    }
}

/// A staff action with its body, already structurally valid.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Dispatch {
        lead_department_code: String,
        co_department_codes: Vec<String>,
        deadline_class: Option<DeadlineClass>,
        /// a reply deadline for this appeal (complex matters only)
        reply_due_at: Option<DateTime<Utc>>,
        /// required when sending it back to the department that returned it
        note: Option<String>,
    },
    RefuseReturn {
        reason: String,
    },
    Assign {
        assignee: String,
    },
    Sign,
    Return {
        reason: String,
    },
    Suspend {
        reason: String,
    },
    Resume {
        reason: Option<String>,
    },
    Reply {
        content: String,
    },
    FollowUp {
        answers: Answers,
    },
    /// a supervisor closes it instead of re-handling
    Close {
        reason: String,
    },
    Reject {
        reason: String,
        disposition: Disposition,
    },
    Merge {
        primary_id: Uuid,
        reason: Option<String>,
    },
    Supervise {
        reason: String,
        active: bool,
    },
    Note {
        content: String,
        visibility: Visibility,
    },
    /// 延期申请
    Extension {
        until: DateTime<Utc>,
        reason: String,
    },
    /// a supervisor's decision on the pending extension
    DecideExtension {
        approve: bool,
        note: Option<String>,
    },
}

impl ActionRequest {
    pub fn action(&self) -> Action {
        match self {
            ActionRequest::Dispatch { .. } => Action::Dispatch,
            ActionRequest::Sign => Action::Sign,
            ActionRequest::Return { .. } => Action::Return,
            ActionRequest::Suspend { .. } => Action::Suspend,
            ActionRequest::Resume { .. } => Action::Resume,
            ActionRequest::Reply { .. } => Action::Reply,
            ActionRequest::FollowUp { answers } => Action::FollowUp {
                accepted: answers.accepted(),
            },
            ActionRequest::Close { .. } => Action::Close,
            ActionRequest::Reject { .. } => Action::Reject,
            ActionRequest::Merge { .. } => Action::Merge,
            ActionRequest::Supervise { .. } => Action::Supervise,
            ActionRequest::Note { .. } => Action::Note,
            ActionRequest::RefuseReturn { .. } => Action::RefuseReturn,
            ActionRequest::Assign { .. } => Action::Assign,
            ActionRequest::Extension { .. } => Action::Extension,
            ActionRequest::DecideExtension { .. } => Action::DecideExtension,
        }
    }

    /// The audit log's name for it.
    fn audit_name(&self, plan: &Plan) -> &'static str {
        match self {
            _ if plan.co_sign => "sign_co",
            ActionRequest::DecideExtension { approve: true, .. } => "extension_approve",
            ActionRequest::DecideExtension { approve: false, .. } => "extension_reject",
            other => other.action().name(),
        }
    }
}

/// What the state machine needs, read under the row lock.
pub fn facts_of(
    conn: &mut PgConnection,
    appeal: &Appeal,
    department: Option<&str>,
) -> QueryResult<Facts> {
    let live = q::live_assignments(conn, appeal.id)?;
    Ok(facts_from(appeal, &live, department))
}

/// The facts of an appeal whose live assignments are already loaded.
pub fn facts_from(appeal: &Appeal, live: &[Assignment], department: Option<&str>) -> Facts {
    let own_part_signed = department.is_some_and(|d| {
        live.iter()
            .any(|a| a.department_code == d && a.signed_at.is_some())
    });
    Facts {
        status: appeal.status.parse().unwrap_or(Status::Submitted),
        lead_department: appeal.lead_department_code.clone(),
        co_departments: live
            .iter()
            .filter(|a| a.role == "co")
            .map(|a| a.department_code.clone())
            .collect(),
        return_by: None,
        own_part_signed,
        rehandled: appeal.rehandle_count > 0,
        was_returned: appeal.status == Status::Submitted.as_str()
            && appeal.pool_reason.as_deref() == Some("returned"),
    }
}

/// Applies one staff action: lock, decide, change, audit — in one transaction.
pub fn act(
    conn: &mut PgConnection,
    wf: &Workflow,
    appeal_id: Uuid,
    staff: &Claims,
    request: &ActionRequest,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Appeal, AppError> {
    conn.transaction(|conn| {
        let appeal = q::lock(conn, appeal_id)?.ok_or_else(|| not_found(appeal_id))?;
        let actor = Actor { role: staff.role, department: staff.department.clone() };
        let cal = wf.calendar.current(conn)?;
        let mut facts = facts_of(conn, &appeal, staff.department.as_deref())?;
        facts.return_by = appeal.dispatched_at.map(|d| wf.deadlines.return_by(&cal, d, &[]));
        let action = request.action();
        let plan = lifecycle::plan(action, &actor, &facts, now)?;
        if let Some(expected) = expected_version
            && expected != appeal.version
        {
            return Err(AppError::Conflict(format!(
                "the appeal changed since you loaded it (your version {expected}, now {}); reload and try again",
                appeal.version
            )));
        }
        let details = apply(conn, wf, &cal, &appeal, staff, request, &plan, now)?;
        diesel::update(appeals::table.find(appeal.id))
            .set((appeals::status.eq(plan.to.as_str()), appeals::version.eq(appeal.version + 1), appeals::updated_at.eq(now)))
            .execute(conn)?;
        audit::append(
            conn,
            appeal.id,
            &AuditActor { user_id: Some(staff.sub), role: staff.role.as_str().into() },
            &Change {
                action: request.audit_name(&plan),
                from_status: Some(plan.from.as_str()),
                to_status: Some(plan.to.as_str()),
                details,
            },
            now,
        )?;
        let now_stands = q::find(conn, appeal.id)?.ok_or_else(|| not_found(appeal.id))?;
        Ok(deadlines::refresh_alarm(conn, &wf.deadlines, &cal, now_stands)?)
    })
}

pub fn not_found(id: Uuid) -> AppError {
    AppError::NotFound(format!("no appeal with id {id}"))
}

/// The action's own changes (beyond status, version and the audit event); returns the details
/// the audit event records.
#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    staff: &Claims,
    request: &ActionRequest,
    plan: &Plan,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    let id = appeal.id;
    let row = appeals::table.find(id);
    match request {
        ActionRequest::Dispatch {
            lead_department_code,
            co_department_codes,
            deadline_class,
            reply_due_at,
            note,
        } => {
            let note = optional(note.as_deref(), "note", 500)?;
            if let Some(until) = reply_due_at {
                check_set_reply_due(wf, cal, *deadline_class, *until, now)?;
            }
            if appeal.pool_reason.as_deref() == Some("returned")
                && appeal.returned_by.as_deref() == Some(lead_department_code.as_str())
                && note.is_none()
            {
                return Err(AppError::invalid(
                    "note",
                    format!(
                        "{lead_department_code} returned this appeal; sending it back needs a note telling them why \
                         (or use refuse-return)"
                    ),
                ));
            }
            check_departments(conn, lead_department_code, co_department_codes)?;
            let target = Target {
                lead: lead_department_code,
                co: co_department_codes,
                class: *deadline_class,
                reply_by: *reply_due_at,
            };
            let mut details = dispatch_to(
                conn,
                wf,
                cal,
                appeal,
                &target,
                &Assigner::Person(staff.sub),
                now,
            )?;
            details["note"] = json!(note);
            Ok(details)
        }
        ActionRequest::RefuseReturn { reason } => {
            let reason = required(reason, "reason", 500)?;
            let department = appeal.returned_by.clone().ok_or_else(|| {
                AppError::Conflict("this appeal was not returned by a department".into())
            })?;
            require_active_department(conn, &department, "returned_by")?;
            let target = Target {
                lead: &department,
                co: &[],
                class: None,
                reply_by: None,
            };
            let mut details = dispatch_to(
                conn,
                wf,
                cal,
                appeal,
                &target,
                &Assigner::Person(staff.sub),
                now,
            )?;
            details["reason"] = json!(reason);
            Ok(details)
        }
        ActionRequest::Assign { assignee } => {
            let department = staff.department.clone().unwrap_or_default();
            let user = crate::db::users::find_by_username(conn, assignee.trim())?
                .filter(|u| {
                    u.active
                        && u.role == "clerk"
                        && u.department_code.as_deref() == Some(department.as_str())
                })
                .ok_or_else(|| {
                    AppError::invalid(
                        "assignee",
                        format!("`{assignee}` is not an active clerk of {department}"),
                    )
                })?;
            let live = q::live_assignments(conn, id)?;
            let own = live
                .iter()
                .find(|a| a.department_code == department)
                .ok_or_else(|| {
                    AppError::Forbidden("this appeal is not assigned to your department".into())
                })?;
            q::set_assignee(conn, own.id, user.id)?;
            Ok(
                json!({ "department_code": department, "assignee": user.username, "previous_assignee_id": own.assignee_id }),
            )
        }
        ActionRequest::Sign => {
            let dept = staff.department.clone().unwrap_or_default();
            let live = q::live_assignments(conn, id)?;
            if let Some(assignment) = live.iter().find(|a| a.department_code == dept) {
                q::sign_assignment(conn, assignment.id, staff.sub, now)?;
            }
            let on_time = appeal.sign_due_at.map(|due| now <= due);
            if !plan.co_sign {
                diesel::update(row)
                    .set((
                        appeals::signed_at.eq(now),
                        appeals::signed_on_time.eq(on_time),
                    ))
                    .execute(conn)?;
            }
            Ok(json!({ "department_code": dept, "part": if plan.co_sign { "co" } else { "lead" } }))
        }
        ActionRequest::Return { reason } => {
            let reason = required(reason, "reason", 500)?;
            q::end_assignments(conn, id, now, Some("returned"))?;
            void_pending_extension(conn, id, "the appeal was returned", now)?;
            let department = appeal.lead_department_code.clone().unwrap_or_default();
            let (dispatch_warn, dispatch_due) = wf.deadlines.pool_clock(cal, now);
            diesel::update(row)
                .set((
                    appeals::pooled_at.eq(now),
                    appeals::dispatch_due_at.eq(dispatch_due),
                    appeals::dispatch_warn_at.eq(dispatch_warn),
                    appeals::dispatch_stage.eq(0),
                    appeals::sign_warn_at.eq(None::<DateTime<Utc>>),
                    appeals::reply_warn_at.eq(None::<DateTime<Utc>>),
                    appeals::sign_stage.eq(0),
                    appeals::reply_stage.eq(0),
                ))
                .execute(conn)?;
            diesel::update(row)
                .set((
                    // in the same statement as the lead goes: the table's CHECK wants a lead
                    // for every dispatched state
                    appeals::status.eq(plan.to.as_str()),
                    appeals::lead_department_code.eq(None::<String>),
                    appeals::dispatched_at.eq(None::<DateTime<Utc>>),
                    appeals::sign_due_at.eq(None::<DateTime<Utc>>),
                    appeals::reply_due_at.eq(None::<DateTime<Utc>>),
                    appeals::signed_at.eq(None::<DateTime<Utc>>),
                    appeals::return_count.eq(appeal.return_count + 1),
                    appeals::pool_reason.eq("returned"),
                    appeals::pool_detail.eq(format!("returned by {department}: {reason}")),
                    appeals::returned_by.eq(&department),
                ))
                .execute(conn)?;
            Ok(json!({ "reason": reason, "department_code": department }))
        }
        ActionRequest::Suspend { reason } => {
            let reason = required(reason, "reason", 500)?;
            diesel::update(row)
                .set(appeals::suspended_at.eq(now))
                .execute(conn)?;
            diesel::insert_into(suspensions::table)
                .values((
                    suspensions::appeal_id.eq(id),
                    suspensions::started_at.eq(now),
                    suspensions::reason.eq(&reason),
                ))
                .execute(conn)?;
            Ok(json!({ "reason": reason }))
        }
        ActionRequest::Resume { reason } => {
            let reason = optional(reason.as_deref(), "reason", 500)?;
            let since = appeal.suspended_at.unwrap_or(now);
            diesel::update(
                suspensions::table
                    .filter(suspensions::appeal_id.eq(id))
                    .filter(suspensions::ended_at.is_null()),
            )
            .set(suspensions::ended_at.eq(now))
            .execute(conn)?;
            // the clock stood still: the reply deadline moves by the suspended time
            let wall = deadlines::reply_is_wall(&wf.deadlines, appeal);
            let suspended = deadlines::suspensions_of(conn, id)?;
            let reply_due = appeal.reply_due_at.map(|due| {
                wf.deadlines
                    .extended_by_suspension(cal, wall, due, since, now)
            });
            let reply_warn = match (appeal.dispatched_at, reply_due) {
                (Some(start), Some(due)) => {
                    Some(wf.deadlines.warn_at(cal, wall, start, due, &suspended))
                }
                _ => None,
            };
            diesel::update(row)
                .set((
                    appeals::suspended_at.eq(None::<DateTime<Utc>>),
                    appeals::reply_due_at.eq(reply_due),
                    appeals::reply_warn_at.eq(reply_warn),
                    appeals::reply_stage.eq(0),
                ))
                .execute(conn)?;
            Ok(json!({
                "reason": reason,
                "suspended_seconds": (now - since).num_seconds(),
                "suspended_working_minutes": cal.working_between(since, now, &[]).num_minutes(),
                "previous_reply_due_at": appeal.reply_due_at,
                "reply_due_at": reply_due,
            }))
        }
        ActionRequest::Reply { content } => {
            let content = required(content, "content", 5000)?;
            let dept = appeal.lead_department_code.clone().unwrap_or_default();
            let reply_id = q::insert_reply(conn, id, &dept, staff.sub, &content, now)?;
            void_pending_extension(conn, id, "the appeal was answered", now)?;
            let on_time = appeal.reply_due_at.map(|due| now <= due);
            let suspended = deadlines::suspensions_of(conn, id)?;
            let handling = appeal
                .dispatched_at
                .map(|start| cal.working_between(start, now, &suspended).num_minutes() as i32);
            // a new follow-up round opens, answerable until the window closes
            let round = appeal.follow_up_round + 1;
            let window_ends = now + wf.follow_up_window;
            let replied: Appeal = diesel::update(row)
                .set((
                    appeals::replied_at.eq(now),
                    appeals::replied_on_time.eq(on_time),
                    appeals::handling_working_minutes.eq(handling),
                    appeals::follow_up_round.eq(round),
                    appeals::follow_up_due_at.eq(window_ends),
                    // already here (act() sets it too) so that the notice's link sees a
                    // resolved appeal
                    appeals::status.eq(plan.to.as_str()),
                ))
                .returning(Appeal::as_returning())
                .get_result(conn)?;
            crate::notify::replied(conn, wf, cal, &replied, now)?;
            // appeals merged into this one follow it: their appellants get the answer too
            crate::notify::replied_to_merged(conn, wf, cal, &replied, now)?;
            Ok(json!({
                "reply_id": reply_id,
                "department_code": dept,
                "on_time": on_time,
                "handling_working_minutes": handling,
                "follow_up_round": round,
                "follow_up_due_at": window_ends,
            }))
        }
        ActionRequest::FollowUp { answers } => record_follow_up(
            conn,
            wf,
            cal,
            appeal,
            "staff",
            Some(staff.sub),
            answers,
            plan.to,
            now,
        ),
        ActionRequest::Close { reason } => {
            let reason = required(reason, "reason", 500)?;
            diesel::update(row)
                .set((
                    appeals::closed_at.eq(now),
                    appeals::close_reason.eq(&reason),
                    appeals::follow_up_due_at.eq(None::<DateTime<Utc>>),
                    appeals::suspended_at.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?;
            diesel::update(
                suspensions::table
                    .filter(suspensions::appeal_id.eq(id))
                    .filter(suspensions::ended_at.is_null()),
            )
            .set(suspensions::ended_at.eq(now))
            .execute(conn)?;
            void_pending_extension(conn, id, "a supervisor closed the appeal", now)?;
            Ok(json!({ "reason": reason, "rehandle_count": appeal.rehandle_count }))
        }
        ActionRequest::Reject {
            reason,
            disposition,
        } => {
            let reason = required(reason, "reason", 500)?;
            diesel::update(row)
                .set((
                    appeals::reject_disposition.eq(disposition.as_str()),
                    appeals::closed_at.eq(now),
                ))
                .execute(conn)?;
            Ok(json!({ "reason": reason, "disposition": disposition.as_str() }))
        }
        ActionRequest::Merge { primary_id, reason } => {
            let reason = optional(reason.as_deref(), "reason", 500)?;
            if *primary_id == id {
                return Err(AppError::invalid(
                    "primary_id",
                    "an appeal cannot be merged into itself",
                ));
            }
            // Locked, so that it cannot be merged elsewhere while this one is merged into it
            // (that would make a chain).
            let primary = q::lock(conn, *primary_id)?.ok_or_else(|| {
                AppError::invalid("primary_id", format!("no appeal with id {primary_id}"))
            })?;
            match primary.status.as_str() {
                "merged" => {
                    return Err(AppError::invalid(
                        "primary_id",
                        format!(
                            "appeal {} is itself merged into {}; merge into that one",
                            primary.tracking_no,
                            primary
                                .merged_into
                                .map(|u| u.to_string())
                                .unwrap_or_default()
                        ),
                    ));
                }
                "rejected" => {
                    return Err(AppError::invalid(
                        "primary_id",
                        "cannot merge into a rejected appeal",
                    ));
                }
                _ => {}
            }
            let followers = crate::db::duplicates::merged_into_count(conn, id)?;
            if let Some(refusal) =
                crate::domain::duplicates::merge_chain_refusal(followers, &primary.tracking_no)
            {
                return Err(AppError::invalid("primary_id", refusal));
            }
            q::end_assignments(conn, id, now, Some("merged"))?;
            void_pending_extension(conn, id, "the appeal was merged", now)?;
            diesel::update(row)
                .set((
                    appeals::merged_into.eq(primary.id),
                    appeals::closed_at.eq(now),
                ))
                .execute(conn)?;
            Ok(
                json!({ "primary_id": primary.id, "primary_tracking_no": primary.tracking_no, "reason": reason }),
            )
        }
        ActionRequest::Supervise { reason, active } => {
            let reason = required(reason, "reason", 500)?;
            diesel::update(row)
                .set(appeals::supervised.eq(*active))
                .execute(conn)?;
            Ok(json!({ "reason": reason, "supervised": active }))
        }
        ActionRequest::Note {
            content,
            visibility,
        } => {
            let content = required(content, "content", 2000)?;
            // A clerk's note is their department's input; a co-handler's first one is its
            // report to the lead (报到).
            let department = staff
                .department
                .as_deref()
                .filter(|_| staff.role == crate::domain::enums::Role::Clerk);
            let note_id = q::insert_note(
                conn,
                id,
                staff.sub,
                department,
                visibility.as_str(),
                &content,
                now,
            )?;
            let mut reported = false;
            if let Some(dept) = department
                && appeal.lead_department_code.as_deref() != Some(dept)
            {
                reported = q::mark_reported(conn, id, dept, now)? > 0;
            }
            Ok(
                json!({ "note_id": note_id, "visibility": visibility.as_str(), "department_code": department, "co_handler_reported": reported }),
            )
        }
        ActionRequest::Extension { until, reason } => {
            request_extension(conn, wf, cal, appeal, staff, *until, reason, now)
        }
        ActionRequest::DecideExtension { approve, note } => {
            decide_extension(conn, wf, cal, appeal, staff, *approve, note.as_deref(), now)
        }
    }
}

/// Records the follow-up of the current round and closes the appeal (accepted) or sends it back
/// to the lead department with a fix deadline (重办). Shared by the return-visit action and the
/// appellant's link; the caller holds the row lock and moves the status.
#[allow(clippy::too_many_arguments)]
fn record_follow_up(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    source: &str,
    recorded_by: Option<Uuid>,
    answers: &Answers,
    to: Status,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    let id = appeal.id;
    let row = appeals::table.find(id);
    let comment = optional(answers.comment.as_deref(), "comment", 2000)?;
    let round = appeal.follow_up_round.max(1);
    let answered: Option<(String, DateTime<Utc>)> = follow_ups::table
        .filter(follow_ups::appeal_id.eq(id))
        .filter(follow_ups::round.eq(round))
        .select((follow_ups::source, follow_ups::created_at))
        .first(conn)
        .optional()?;
    if let Some((by, at)) = answered {
        return Err(AppError::Conflict(format!(
            "round {round} of this appeal's follow-up was already answered ({} at {})",
            if by == "appellant" {
                "by the appellant"
            } else {
                "by a return visit"
            },
            local(cal, at)
        )));
    }
    let follow_up_id = q::insert_follow_up(
        conn,
        &q::NewFollowUp {
            appeal_id: id,
            round,
            source,
            recorded_by,
            contacted: answers.contacted,
            solved: answers.solved,
            satisfaction: answers.satisfaction.as_str(),
            comment: comment.as_deref(),
            at: now,
        },
    )?;
    let outcome = if to == Status::Closed {
        diesel::update(row)
            .set((
                appeals::closed_at.eq(now),
                appeals::follow_up_due_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?;
        "closed"
    } else {
        // 重办: back to the lead department, which answers again by a new deadline
        let within = wf.deadlines.rehandle_within;
        let due = within.due_from(cal, now);
        let warn = wf.deadlines.warn_at(cal, within.is_wall(), now, due, &[]);
        diesel::update(row)
            .set((
                appeals::replied_at.eq(None::<DateTime<Utc>>),
                appeals::rehandle_count.eq(appeal.rehandle_count + 1),
                appeals::reply_due_at.eq(due),
                appeals::reply_warn_at.eq(warn),
                appeals::reply_stage.eq(0),
                appeals::replied_on_time.eq(None::<bool>),
                appeals::follow_up_due_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?;
        crate::notify::rehandle(conn, wf, cal, appeal, due, now)?;
        "rehandle"
    };
    Ok(json!({
        "follow_up_id": follow_up_id,
        "round": round,
        "source": source,
        "contacted": answers.contacted,
        "solved": answers.solved,
        "satisfaction": answers.satisfaction.as_str(),
        "comment": comment,
        "outcome": outcome,
    }))
}

/// The appellant answers the follow-up through the signed link: once per round, before the
/// window closes.
pub fn answer_follow_up_link(
    conn: &mut PgConnection,
    wf: &Workflow,
    token: &str,
    answers: &Answers,
    now: DateTime<Utc>,
) -> Result<Appeal, AppError> {
    let (appeal_id, round, expires) = wf.read_follow_up_token(token)?;
    conn.transaction(|conn| {
        let appeal = q::lock(conn, appeal_id)?.ok_or_else(invalid_link)?;
        let cal = wf.calendar.current(conn)?;
        check_link_usable(conn, &cal, &appeal, round, expires, now)?;
        let to = if answers.accepted() {
            Status::Closed
        } else {
            Status::InProgress
        };
        let details =
            record_follow_up(conn, wf, &cal, &appeal, "appellant", None, answers, to, now)?;
        diesel::update(appeals::table.find(appeal.id))
            .set((
                appeals::status.eq(to.as_str()),
                appeals::version.eq(appeal.version + 1),
                appeals::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            appeal.id,
            &AuditActor {
                user_id: None,
                role: "resident".into(),
            },
            &Change {
                action: "follow_up",
                from_status: Some(Status::Resolved.as_str()),
                to_status: Some(to.as_str()),
                details,
            },
            now,
        )?;
        let now_stands = q::find(conn, appeal.id)?.ok_or_else(|| not_found(appeal.id))?;
        Ok(deadlines::refresh_alarm(
            conn,
            &wf.deadlines,
            &cal,
            now_stands,
        )?)
    })
}

/// A follow-up link that is not one of ours (tampered, cut off, or naming no appeal). Residents
/// read it, so it says it in Chinese first.
pub fn invalid_link() -> AppError {
    AppError::BadRequest {
        code: "invalid_link",
        message: "此回访链接无效（可能复制不完整），请使用邮件或查询页面中的链接。This follow-up link is not valid (it may have been copied incompletely); use the link from your e-mail or tracking page.".into(),
        field: None,
    }
}

/// The appeal a follow-up link is for, if the link can be answered now: with the round it asks
/// about and when it expires (the API's form and the rating page).
pub fn follow_up_link_appeal(
    conn: &mut PgConnection,
    wf: &Workflow,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(Appeal, i32, DateTime<Utc>), AppError> {
    let (id, round, expires) = wf.read_follow_up_token(token)?;
    let appeal = q::find(conn, id)?.ok_or_else(invalid_link)?;
    let cal = wf.calendar.current(conn)?;
    check_link_usable(conn, &cal, &appeal, round, expires, now)?;
    Ok((appeal, round, expires))
}

/// Why a follow-up link cannot be answered now, if it cannot.
pub fn check_link_usable(
    conn: &mut PgConnection,
    cal: &Calendar,
    appeal: &Appeal,
    round: i32,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let answered: bool = diesel::select(diesel::dsl::exists(
        follow_ups::table
            .filter(follow_ups::appeal_id.eq(appeal.id))
            .filter(follow_ups::round.eq(round)),
    ))
    .get_result(conn)?;
    if answered {
        return Err(AppError::Conflict(
            "此回访已经评价过了，谢谢。This follow-up was already answered; thank you.".into(),
        ));
    }
    if now > expires {
        return Err(AppError::Gone(format!(
            "此回访链接已于 {0} 过期，热线工作人员可能会电话回访。This follow-up link expired at {0}; the hotline may still call you.",
            local(cal, expires)
        )));
    }
    if appeal.status != Status::Resolved.as_str() || appeal.follow_up_round != round {
        return Err(AppError::Conflict(format!(
            "诉求 {0} 已不再等待此次评价（当前状态：{1}）。Appeal {0} is not awaiting this follow-up any more (it is {1}).",
            appeal.tracking_no, appeal.status
        )));
    }
    Ok(())
}

/// A reply deadline the dispatcher sets for one appeal: complex matters only, in the future,
/// within a year.
fn check_set_reply_due(
    wf: &Workflow,
    cal: &Calendar,
    class: Option<DeadlineClass>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if class != Some(DeadlineClass::Complex) {
        return Err(AppError::invalid(
            "reply_due_at",
            "a reply deadline can be set per appeal only for a complex matter (deadline_class \"complex\")",
        ));
    }
    let sign_by = wf
        .deadlines
        .spans(DeadlineClass::Complex)
        .sign
        .due_from(cal, now);
    if until <= sign_by {
        return Err(AppError::invalid(
            "reply_due_at",
            format!(
                "reply_due_at must be later than the sign-by instant ({})",
                local(cal, sign_by)
            ),
        ));
    }
    if until > now + Duration::days(366) {
        return Err(AppError::invalid(
            "reply_due_at",
            "reply_due_at must be within a year",
        ));
    }
    Ok(())
}

/// An instant in the calendar's zone, as people read it.
fn local(cal: &Calendar, at: DateTime<Utc>) -> String {
    at.with_timezone(&cal.tz())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn void_pending_extension(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    why: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        extensions::table
            .filter(extensions::appeal_id.eq(appeal_id))
            .filter(extensions::status.eq("pending")),
    )
    .set((
        extensions::status.eq("void"),
        extensions::decided_at.eq(now),
        extensions::decision_note.eq(why),
    ))
    .execute(conn)
}

/// 延期申请: before the reply deadline, to at most N working days after it, one at a time.
#[allow(clippy::too_many_arguments)]
fn request_extension(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    staff: &Claims,
    until: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    let reason = required(reason, "reason", 500)?;
    let due = appeal
        .reply_due_at
        .ok_or_else(|| AppError::Conflict("this appeal has no reply deadline to extend".into()))?;
    if now >= due {
        return Err(AppError::Conflict(format!(
            "the reply deadline passed at {}: an extension must be asked for before the deadline; reply now, or explain the delay in a note",
            local(cal, due)
        )));
    }
    let pending: Option<(i64, DateTime<Utc>)> = extensions::table
        .filter(extensions::appeal_id.eq(appeal.id))
        .filter(extensions::status.eq("pending"))
        .select((extensions::id, extensions::created_at))
        .first(conn)
        .optional()?;
    if let Some((_, asked)) = pending {
        return Err(AppError::Conflict(format!(
            "an extension request asked at {} is still waiting for a supervisor's decision",
            local(cal, asked)
        )));
    }
    if until <= due {
        return Err(AppError::invalid(
            "until",
            format!(
                "until must be later than the current reply deadline ({})",
                local(cal, due)
            ),
        ));
    }
    let limit = wf.deadlines.extension_limit(cal, due);
    if until > limit {
        return Err(AppError::invalid(
            "until",
            format!(
                "an extension reaches at most {} working days past the current deadline: no later than {}",
                wf.deadlines.extension_max_working_days,
                local(cal, limit)
            ),
        ));
    }
    let department = appeal.lead_department_code.clone().unwrap_or_default();
    let extension_id: i64 = diesel::insert_into(extensions::table)
        .values((
            extensions::appeal_id.eq(appeal.id),
            extensions::department_code.eq(&department),
            extensions::requested_by.eq(staff.sub),
            extensions::reason.eq(&reason),
            extensions::previous_due_at.eq(due),
            extensions::requested_until.eq(until),
            extensions::status.eq("pending"),
            extensions::created_at.eq(now),
        ))
        .returning(extensions::id)
        .get_result(conn)?;
    Ok(json!({
        "extension_id": extension_id,
        "department_code": department,
        "reason": reason,
        "reply_due_at": due,
        "until": until,
    }))
}

/// A supervisor approves (the reply deadline moves; the appellant is told) or rejects (with a
/// reason) the pending extension request.
#[allow(clippy::too_many_arguments)]
fn decide_extension(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    staff: &Claims,
    approve: bool,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, AppError> {
    let note = optional(note, "note", 500)?;
    if !approve && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "rejecting an extension needs a note telling the department why",
        ));
    }
    let pending: Option<(i64, DateTime<Utc>, DateTime<Utc>)> = extensions::table
        .filter(extensions::appeal_id.eq(appeal.id))
        .filter(extensions::status.eq("pending"))
        .select((
            extensions::id,
            extensions::previous_due_at,
            extensions::requested_until,
        ))
        .first(conn)
        .optional()?;
    let Some((extension_id, previous, until)) = pending else {
        return Err(AppError::Conflict(
            "no extension request is pending for this appeal".into(),
        ));
    };
    if approve && until <= now {
        return Err(AppError::Conflict(format!(
            "the requested date ({}) has already passed; reject this request and let the department ask again",
            local(cal, until)
        )));
    }
    diesel::update(extensions::table.find(extension_id))
        .set((
            extensions::status.eq(if approve { "approved" } else { "rejected" }),
            extensions::decided_by.eq(staff.sub),
            extensions::decided_at.eq(now),
            extensions::decision_note.eq(note.as_deref()),
        ))
        .execute(conn)?;
    if approve {
        let wall = deadlines::reply_is_wall(&wf.deadlines, appeal);
        let suspended = deadlines::suspensions_of(conn, appeal.id)?;
        let start = appeal.dispatched_at.unwrap_or(now);
        let warn = wf.deadlines.warn_at(cal, wall, start, until, &suspended);
        diesel::update(appeals::table.find(appeal.id))
            .set((
                appeals::reply_due_at.eq(until),
                appeals::reply_warn_at.eq(warn),
                appeals::reply_stage.eq(0),
            ))
            .execute(conn)?;
        crate::notify::extension_approved(conn, wf, cal, appeal, until, now)?;
    }
    Ok(json!({
        "extension_id": extension_id,
        "approved": approve,
        "note": note,
        "previous_reply_due_at": previous,
        "reply_due_at": if approve { until } else { previous },
    }))
}

/// A department that exists and is active, or a 422 naming `field`.
pub fn require_active_department(
    conn: &mut PgConnection,
    code: &str,
    field: &str,
) -> Result<(), AppError> {
    match reference::find_department(conn, code)? {
        Some(d) if d.active => Ok(()),
        Some(_) => Err(AppError::invalid(
            field,
            format!("department `{code}` is inactive"),
        )),
        None => Err(AppError::invalid(
            field,
            format!("unknown department `{code}`; see GET /api/v1/departments"),
        )),
    }
}

fn check_departments(conn: &mut PgConnection, lead: &str, co: &[String]) -> Result<(), AppError> {
    let active = require_active_department;
    active(conn, lead, "lead_department_code")?;
    let mut seen = std::collections::HashSet::new();
    for code in co {
        if code == lead {
            return Err(AppError::invalid(
                "co_department_codes",
                "the lead department cannot also be a co-handler",
            ));
        }
        if !seen.insert(code) {
            return Err(AppError::invalid(
                "co_department_codes",
                format!("`{code}` is listed twice"),
            ));
        }
        active(conn, code, "co_department_codes")?;
    }
    Ok(())
}

fn required(value: &str, field: &'static str, max: usize) -> Result<String, AppError> {
    optional(Some(value), field, max)?
        .ok_or_else(|| AppError::invalid(field, format!("{field} must not be empty")))
}

fn optional(
    value: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, AppError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let n = v.chars().count();
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("{field} has {n} characters; at most {max} are allowed"),
        ));
    }
    Ok(Some(v.to_owned()))
}
