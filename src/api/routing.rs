//! Routing administration (`/api/v1/routing-rules`, admin only) and the explain / draft-test
//! calls (`/api/v1/routing/…`, hotline-centre staff).

use actix_web::{HttpResponse, get, post, put, web};
use chrono::Utc;
use diesel::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::json::JsonBody;
use crate::auth::{AdminStaff, CentreStaff, Claims};
use crate::db::models::RoutingRuleRow;
use crate::db::routing::{self as store, NewRuleVersion};
use crate::db::{self, appeals as q};
use crate::domain::ids::china_offset;
use crate::domain::intake::IntakeRequest;
use crate::domain::routing::{
    Conditions, Explanation, LeadTarget, Rule, RuleAction, Sample, check_rule,
};
use crate::error::AppError;
use crate::rulebook;
use crate::startup::AppState;

/// A rule as written by an administrator.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// lower first
    pub priority: i32,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// only contributes (co-handlers, deadline class, urgency); later rules decide the lead
    #[serde(default)]
    pub continue_matching: bool,
    #[serde(default)]
    pub conditions: Conditions,
    pub action: RuleAction,
    /// why this rule or this change (kept with the version)
    #[serde(default)]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// One version of a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub version: i32,
    pub name: String,
    pub priority: i32,
    pub enabled: bool,
    pub continue_matching: bool,
    #[schema(value_type = crate::domain::routing::Conditions)]
    pub conditions: serde_json::Value,
    #[schema(value_type = crate::domain::routing::RuleAction)]
    pub action: serde_json::Value,
    pub is_current: bool,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<Utc>,
    pub note: Option<String>,
}

impl From<RoutingRuleRow> for RuleView {
    fn from(r: RoutingRuleRow) -> Self {
        RuleView {
            id: r.id,
            version: r.version,
            name: r.name,
            priority: r.priority,
            enabled: r.enabled,
            continue_matching: r.continue_matching,
            conditions: r.conditions,
            action: r.action,
            is_current: r.is_current,
            created_by: r.created_by,
            created_at: r.created_at,
            note: r.note,
        }
    }
}

/// A saved rule and anything the administrator should look at.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSaved {
    pub rule: RuleView,
    /// e.g. a catch-all placed above more specific rules
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleHistory {
    pub current: RuleView,
    /// newest first, the current one included
    pub versions: Vec<RuleView>,
}

/// Checks a rule against the domain's rules and the reference data; returns warnings.
fn validate(
    conn: &mut PgConnection,
    input: &RuleInput,
    own_id: Option<i64>,
) -> Result<Vec<String>, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "name must have 1 to 100 characters",
        ));
    }
    if let Some(note) = &input.note
        && note.chars().count() > 500
    {
        return Err(AppError::invalid(
            "note",
            "note has more than 500 characters",
        ));
    }
    check_rule(&input.conditions, &input.action, input.continue_matching)
        .map_err(|p| AppError::invalid(p.field, p.message))?;
    let department = crate::workflow::require_active_department;
    if let Some(LeadTarget::Department { code }) = &input.action.lead {
        department(conn, code, "action.lead.code")?;
    }
    for code in &input.action.co_departments {
        department(conn, code, "action.co_departments")?;
    }
    for prefix in &input.conditions.category_prefixes {
        if !store::category_prefix_exists(conn, prefix)? {
            return Err(AppError::invalid(
                "conditions.category_prefixes",
                format!("no category code starts with `{prefix}`; see GET /api/v1/categories"),
            ));
        }
    }
    for prefix in &input.conditions.division_prefixes {
        if !store::division_prefix_exists(conn, prefix)? {
            return Err(AppError::invalid(
                "conditions.division_prefixes",
                format!("no division code starts with `{prefix}`; see GET /api/v1/divisions"),
            ));
        }
    }
    let mut warnings = Vec::new();
    let others: Vec<RoutingRuleRow> = store::current_rules(conn)?
        .into_iter()
        .filter(|r| Some(r.id) != own_id && r.enabled)
        .collect();
    let is_catch_all = input.conditions == Conditions::default();
    if is_catch_all && input.enabled && !input.continue_matching {
        let shadowed = others
            .iter()
            .filter(|r| r.priority > input.priority)
            .count();
        if shadowed > 0 {
            warnings.push(format!(
                "this rule has no conditions and decides every appeal, but {shadowed} rule(s) with a higher priority number come after it and will never decide; give it the highest number to make it the fallback"
            ));
        }
    }
    if others.iter().any(|r| r.priority == input.priority) {
        warnings.push(format!(
            "another rule has priority {}; the lower id goes first",
            input.priority
        ));
    }
    Ok(warnings)
}

/// A rule body: like [`JsonBody`], except that a date or season that does not parse is a 422
/// naming the field (the JSON is well-formed; the value is not a date).
pub struct RuleBody<T> {
    pub value: T,
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for RuleBody<T> {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let inner = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            match inner.await {
                Ok(body) => Ok(RuleBody { value: body.value }),
                Err(AppError::BadRequest {
                    field: Some(field),
                    message,
                    ..
                }) if ["valid_from", "valid_until", "season_start", "season_end"]
                    .iter()
                    .any(|f| field.ends_with(f)) =>
                {
                    Err(AppError::Unprocessable {
                        code: "validation_failed",
                        message,
                        field: Some(field),
                    })
                }
                Err(e) => Err(e),
            }
        })
    }
}

fn json_of<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value).map_err(|e| AppError::Unexpected(e.into()))
}

/// All rules (current versions), in matching order.
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "routing", responses((status = 200, body = [RuleView])), security(("bearer" = [])))]
#[get("/routing-rules")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, |conn| Ok(store::current_rules(conn)?)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RuleView::from).collect::<Vec<_>>()))
}

/// One rule with every version it has had.
#[utoipa::path(get, path = "/api/v1/routing-rules/{id}", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = RuleHistory), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/routing-rules/{id:\\d+}")]
pub async fn history(
    state: web::Data<AppState>,
    _admin: AdminStaff,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_rule_id(&id)?;
    // newest first
    let versions = db::run(&state.pool, move |conn| Ok(store::versions_of(conn, id)?)).await?;
    let current = versions
        .iter()
        .find(|v| v.is_current)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
    Ok(HttpResponse::Ok().json(RuleHistory {
        current: current.into(),
        versions: versions.into_iter().map(RuleView::from).collect(),
    }))
}

fn parse_rule_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::BadRequest {
        code: "invalid_path",
        message: format!("`{raw}` is not a rule id (a number)"),
        field: Some("id".into()),
    })
}

/// Creates a rule (version 1).
#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "routing", request_body = RuleInput,
    responses((status = 201, body = RuleSaved), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/routing-rules")]
pub async fn create(
    state: web::Data<AppState>,
    admin: AdminStaff,
    body: RuleBody<RuleInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.value;
    let by = admin.0.0;
    let saved = db::run(&state.pool, move |conn| create_rule(conn, &by, &input)).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Creates a rule (version 1): validated, saved, recorded in the administrative chain and the
/// routing version bumped, in one transaction. The API and the rule page both call this.
pub(crate) fn create_rule(
    conn: &mut PgConnection,
    by: &Claims,
    input: &RuleInput,
) -> Result<RuleSaved, AppError> {
    let saved = conn.transaction(|conn| {
        let warnings = validate(conn, input, None)?;
        let id = store::next_rule_id(conn)?;
        let row = save_version(conn, id, 1, input, by.sub)?;
        record_rule(conn, by, "created", &row)?;
        Ok::<_, AppError>(RuleSaved {
            rule: row.into(),
            warnings,
        })
    })?;
    tracing::info!(rule = saved.rule.id, by = %by.username, "routing rule created");
    Ok(saved)
}

/// The rule change in the administrative audit chain.
fn record_rule(
    conn: &mut PgConnection,
    by: &Claims,
    action: &str,
    row: &RoutingRuleRow,
) -> Result<(), AppError> {
    crate::admin::record(
        conn,
        by,
        "routing_rule",
        action,
        serde_json::json!({
            "id": row.id, "version": row.version, "name": row.name, "priority": row.priority,
            "enabled": row.enabled, "continue_matching": row.continue_matching,
            "conditions": row.conditions, "action": row.action, "note": row.note,
        }),
    )
}

fn save_version(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
    input: &RuleInput,
    by: Uuid,
) -> Result<RoutingRuleRow, AppError> {
    let conditions = json_of(&input.conditions)?;
    let action = json_of(&input.action)?;
    Ok(store::insert_version(
        conn,
        &NewRuleVersion {
            id,
            version,
            name: input.name.trim(),
            priority: input.priority,
            enabled: input.enabled,
            continue_matching: input.continue_matching,
            conditions: &conditions,
            action: &action,
            created_by: Some(by),
            created_at: Utc::now(),
            note: input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
        },
    )?)
}

/// Replaces a rule: a new version; earlier versions stay readable, and appeals already routed
/// keep the version that routed them.
#[utoipa::path(put, path = "/api/v1/routing-rules/{id}", tag = "routing", params(("id" = i64, Path)), request_body = RuleInput,
    responses((status = 200, body = RuleSaved), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[put("/routing-rules/{id:\\d+}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: AdminStaff,
    id: web::Path<String>,
    body: RuleBody<RuleInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_rule_id(&id)?;
    let input = body.value;
    let by = admin.0.0;
    let saved = db::run(&state.pool, move |conn| update_rule(conn, &by, id, &input)).await?;
    Ok(HttpResponse::Ok().json(saved))
}

/// Saves a new version of a rule (one transaction, recorded, the routing version bumped).
pub(crate) fn update_rule(
    conn: &mut PgConnection,
    by: &Claims,
    id: i64,
    input: &RuleInput,
) -> Result<RuleSaved, AppError> {
    conn.transaction(|conn| {
        let current = store::lock_current(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
        let warnings = validate(conn, input, Some(id))?;
        let row = save_version(conn, id, current.version + 1, input, by.sub)?;
        record_rule(conn, by, "changed", &row)?;
        Ok(RuleSaved {
            rule: row.into(),
            warnings,
        })
    })
}

/// Switches a rule off or on (a new version).
#[utoipa::path(post, path = "/api/v1/routing-rules/{id}/{switch}", tag = "routing",
    params(("id" = i64, Path), ("switch" = String, Path, description = "disable | enable")),
    responses((status = 200, body = RuleView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/routing-rules/{id:\\d+}/{switch}")]
pub async fn switch(
    state: web::Data<AppState>,
    admin: AdminStaff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, switch) = path.into_inner();
    let id = parse_rule_id(&id)?;
    let enabled = match switch.as_str() {
        "disable" => false,
        "enable" => true,
        other => {
            return Err(AppError::NotFound(format!(
                "no `{other}`; use disable or enable"
            )));
        }
    };
    let by = admin.0.0;
    let row = db::run(&state.pool, move |conn| switch_rule(conn, &by, id, enabled)).await?;
    Ok(HttpResponse::Ok().json(RuleView::from(row)))
}

/// Switches a rule on or off (a new version, recorded); switching on validates it again.
pub(crate) fn switch_rule(
    conn: &mut PgConnection,
    by: &Claims,
    id: i64,
    enabled: bool,
) -> Result<RoutingRuleRow, AppError> {
    conn.transaction(|conn| {
        let current = store::lock_current(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
        if current.enabled == enabled {
            return Ok(current);
        }
        let change = if enabled { "enabled" } else { "disabled" };
        let mut input = input_of(&current)?;
        input.enabled = enabled;
        input.note = Some(change.into());
        if enabled {
            validate(conn, &input, Some(id))?;
        }
        let row = save_version(conn, id, current.version + 1, &input, by.sub)?;
        record_rule(conn, by, change, &row)?;
        Ok(row)
    })
}

pub(crate) fn input_of(row: &RoutingRuleRow) -> Result<RuleInput, AppError> {
    let rule = rulebook::rule_of(row)
        .ok_or_else(|| AppError::Conflict(format!("stored rule {} does not parse", row.id)))?;
    Ok(RuleInput {
        name: rule.name,
        priority: rule.priority,
        enabled: rule.enabled,
        continue_matching: rule.continue_matching,
        conditions: rule.conditions,
        action: rule.action,
        note: row.note.clone(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderBody {
    /// rule ids in the new order; they get priorities 10, 20, 30 … (rules not listed keep theirs)
    pub ids: Vec<i64>,
}

/// Puts rules in a new order (a new version for each rule whose priority changes).
#[utoipa::path(post, path = "/api/v1/routing-rules/reorder", tag = "routing", request_body = ReorderBody,
    responses((status = 200, body = [RuleView]), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/routing-rules/reorder")]
pub async fn reorder(
    state: web::Data<AppState>,
    admin: AdminStaff,
    body: JsonBody<ReorderBody>,
) -> Result<HttpResponse, AppError> {
    let ids = body.value.ids;
    let by = admin.0.0;
    let rows = db::run(&state.pool, move |conn| reorder_rules(conn, &by, &ids)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RuleView::from).collect::<Vec<_>>()))
}

/// Gives the listed rules priorities 10, 20, 30 … in that order (a recorded new version for
/// each whose priority changes); returns the table as it now stands.
pub(crate) fn reorder_rules(
    conn: &mut PgConnection,
    by: &Claims,
    ids: &[i64],
) -> Result<Vec<RoutingRuleRow>, AppError> {
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(AppError::invalid(
            "ids",
            format!("rule {dup} is listed twice"),
        ));
    }
    conn.transaction(|conn| {
        for (i, id) in ids.iter().enumerate() {
            let current = store::lock_current(conn, *id)?
                .ok_or_else(|| AppError::invalid("ids", format!("no routing rule {id}")))?;
            let priority = (i as i32 + 1) * 10;
            if current.priority != priority {
                let mut input = input_of(&current)?;
                input.priority = priority;
                input.note = Some("reordered".into());
                let row = save_version(conn, *id, current.version + 1, &input, by.sub)?;
                record_rule(conn, by, "reordered", &row)?;
            }
        }
        Ok(store::current_rules(conn)?)
    })
}

/// What to explain: an existing appeal, or a sample shaped like an intake body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ExplainBody {
    Appeal { appeal_id: Uuid },
    Sample(Box<IntakeRequest>),
}

/// Where would this appeal go, which rule decides, and why each rule before it did not.
#[utoipa::path(post, path = "/api/v1/routing/explain", tag = "routing", request_body = ExplainBody,
    responses((status = 200, body = Explanation), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "the intake body fails the intake's validation", body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/routing/explain")]
pub async fn explain(
    state: web::Data<AppState>,
    _staff: CentreStaff,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let raw: JsonBody<serde_json::Value> = super::json::parse(&body)?;
    let request = if raw.raw.get("appeal_id").is_some() {
        let id = raw.raw["appeal_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| AppError::BadRequest {
                code: "invalid_body",
                message: "appeal_id must be an appeal id (UUID)".into(),
                field: Some("appeal_id".into()),
            })?;
        ExplainBody::Appeal { appeal_id: id }
    } else {
        ExplainBody::Sample(Box::new(super::json::parse::<IntakeRequest>(&body)?.value))
    };
    let wf = state.workflow.clone();
    let explanation = db::run(&state.pool, move |conn| {
        let book = wf.rules.current(conn)?;
        match request {
            ExplainBody::Appeal { appeal_id } => {
                let a = q::find(conn, appeal_id)?
                    .ok_or_else(|| crate::workflow::not_found(appeal_id))?;
                Ok(book.explain(&sample_of_appeal(&a)?))
            }
            ExplainBody::Sample(sample) => {
                let v = sample
                    .validate()
                    .map_err(|e| AppError::invalid(e.field, e.message))?;
                Ok(book.explain(&Sample {
                    category_code: v.category_code.as_deref(),
                    division_code: &v.division_code,
                    appellant_kind: v.appellant_kind,
                    kind: v.kind,
                    channel: v.channel,
                    urgency: v.urgency,
                    title: &v.title,
                    content: &v.content,
                    local_date: Utc::now().with_timezone(&china_offset()).date_naive(),
                }))
            }
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(explanation))
}

/// The matcher's view of a stored appeal, as of the day it was filed.
pub(crate) fn sample_of_appeal(a: &crate::db::models::Appeal) -> Result<Sample<'_>, AppError> {
    let bad = |what: &str| AppError::Unexpected(anyhow::anyhow!("stored appeal has a bad {what}"));
    Ok(Sample {
        category_code: a.category_code.as_deref(),
        division_code: &a.division_code,
        appellant_kind: a
            .appellant_kind
            .parse()
            .map_err(|_| bad("appellant_kind"))?,
        kind: a.kind.parse().map_err(|_| bad("kind"))?,
        channel: a.channel.parse().map_err(|_| bad("channel"))?,
        urgency: a.urgency.parse().map_err(|_| bad("urgency"))?,
        title: &a.title,
        content: &a.content,
        local_date: a.created_at.with_timezone(&china_offset()).date_naive(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftTest {
    pub rule: RuleInput,
    /// how many of the most recent appeals to try it on (default 500, at most 5000)
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5000)]
    pub last: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftReport {
    pub examined: usize,
    /// appeals the draft would decide
    pub would_decide: usize,
    /// of those, where they went (or would go) under the current rules: department or "pool"
    pub taken_from: Vec<CountBy>,
    /// and where the draft would send them
    pub sent_to: Vec<CountBy>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountBy {
    pub department_code: String,
    pub count: usize,
}

/// Tries a draft rule on recent appeals before it is saved: how many would it take, from where.
#[utoipa::path(post, path = "/api/v1/routing/test-draft", tag = "routing", request_body = DraftTest,
    responses((status = 200, body = DraftReport), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/routing/test-draft")]
pub async fn test_draft(
    state: web::Data<AppState>,
    _admin: AdminStaff,
    body: RuleBody<DraftTest>,
) -> Result<HttpResponse, AppError> {
    let DraftTest { rule, last } = body.value;
    let last = last.unwrap_or(500);
    if !(1..=5000).contains(&last) {
        return Err(AppError::invalid("last", "last must be between 1 and 5000"));
    }
    let report = db::run(&state.pool, move |conn| {
        let (report, _) = test_draft_rule(conn, &rule, last, None, None)?;
        Ok(report)
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The id a draft rule has while it is tried.
pub(crate) const DRAFT_ID: i64 = -1;

/// Tries a draft rule (validated exactly as a saved one) on the `last` most recent appeals, in
/// place of rule `replacing` when it edits one: how many it would decide, taken from where and
/// sent where. With a `sample`, also the explanation of where that sample would go with the
/// draft in the table. Nothing is saved. The API's test-draft call and the rule page share it.
pub(crate) fn test_draft_rule(
    conn: &mut PgConnection,
    rule: &RuleInput,
    last: i64,
    replacing: Option<i64>,
    sample: Option<&Sample<'_>>,
) -> Result<(DraftReport, Option<Explanation>), AppError> {
    let warnings = validate(conn, rule, replacing)?;
    let draft = Rule {
        id: DRAFT_ID,
        version: 0,
        name: rule.name.trim().to_owned(),
        priority: rule.priority,
        enabled: true,
        continue_matching: rule.continue_matching,
        conditions: rule.conditions.clone(),
        action: rule.action.clone(),
    };
    let with_draft = rulebook::compile_draft(conn, draft, replacing)?;
    let appeals = q::latest(conn, last)?;
    let mut taken_from = std::collections::BTreeMap::<String, usize>::new();
    let mut sent_to = std::collections::BTreeMap::<String, usize>::new();
    let mut would_decide = 0;
    for a in &appeals {
        let decision = with_draft.decide(&sample_of_appeal(a)?);
        if decision
            .deciding_rule
            .as_ref()
            .is_some_and(|r| r.id == DRAFT_ID)
        {
            would_decide += 1;
            let from = a
                .lead_department_code
                .clone()
                .unwrap_or_else(|| "pool".into());
            *taken_from.entry(from).or_default() += 1;
            let to = decision.lead_department.unwrap_or_else(|| "pool".into());
            *sent_to.entry(to).or_default() += 1;
        }
    }
    let counts = |m: std::collections::BTreeMap<String, usize>| {
        let mut v: Vec<CountBy> = m
            .into_iter()
            .map(|(department_code, count)| CountBy {
                department_code,
                count,
            })
            .collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.department_code.cmp(&b.department_code))
        });
        v
    };
    let explanation = sample.map(|s| with_draft.explain(s));
    Ok((
        DraftReport {
            examined: appeals.len(),
            would_decide,
            taken_from: counts(taken_from),
            sent_to: counts(sent_to),
            warnings,
        },
        explanation,
    ))
}
