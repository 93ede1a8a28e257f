//! The routing rule table (派单目录) in matching order, with the explain box, and the rule form:
//! create, edit, switch on and off, move up and down, and test a draft before saving it. Every
//! change goes through `api::routing`'s use cases (the same validation, the same new version, the
//! same administrative event and routing version bump), so the rule book of every instance
//! follows.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use minijinja::context;
use serde_json::{Value as Json, json};

use super::{DoneQuery, Problem, Sent, done, problem_of, require_admin};
use crate::api::routing::{self as api, RuleInput, RuleView};
use crate::auth::Claims;
use crate::db::{self, routing as store};
use crate::domain::enums::{AppealKind, AppellantKind, Channel, DeadlineClass, Urgency};
use crate::domain::ids::china_offset;
use crate::domain::routing::{Conditions, Explanation, LeadTarget, RuleAction, Sample};
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::{PageContext, PageError, Pages, field};

type Pairs = web::Form<Vec<(String, String)>>;

/// How many of the latest appeals a draft is tried on.
const DRAFT_LAST: i64 = 500;

fn default_sample() -> HashMap<String, String> {
    HashMap::from([
        ("appellant_kind".to_owned(), "citizen".to_owned()),
        ("kind".to_owned(), "complaint".to_owned()),
        ("channel".to_owned(), "web".to_owned()),
    ])
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    sample: HashMap<String, String>,
    explanation: Option<Explanation>,
    problem: Option<String>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let rules: Vec<RuleView> = db::run(&state.pool, |conn| Ok(store::current_rules(conn)?))
        .await?
        .into_iter()
        .map(RuleView::from)
        .collect();
    pages.render(
        &page,
        "admin_rules.html",
        context! { rules, sample, explanation, problem, done },
    )
}

#[get("/staff/admin/rules")]
pub async fn rules_page(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let flag = query.flag();
    render(
        &req,
        &pages,
        &state,
        staff,
        default_sample(),
        None,
        None,
        flag,
    )
    .await
}

/// A sample appeal as typed in a test box.
struct SampleInput {
    appellant_kind: AppellantKind,
    kind: AppealKind,
    channel: Channel,
    division: String,
    category: Option<String>,
    title: String,
    content: String,
}

impl SampleInput {
    /// The sample; the name of the first field that is wrong or missing.
    fn of(form: &HashMap<String, String>) -> Result<SampleInput, String> {
        let parsed = |name: &str, default: &str| field(form, name).unwrap_or(default).to_owned();
        Ok(SampleInput {
            appellant_kind: parsed("appellant_kind", "citizen")
                .parse()
                .map_err(|_| "appellant_kind".to_owned())?,
            kind: parsed("kind", "complaint")
                .parse()
                .map_err(|_| "kind".to_owned())?,
            channel: parsed("channel", "web")
                .parse()
                .map_err(|_| "channel".to_owned())?,
            division: field(form, "division_code")
                .ok_or_else(|| "division_code".to_owned())?
                .to_owned(),
            category: field(form, "category_code").map(str::to_owned),
            title: parsed("title", ""),
            content: parsed("content", ""),
        })
    }

    fn sample(&self) -> Sample<'_> {
        Sample {
            category_code: self.category.as_deref(),
            division_code: &self.division,
            appellant_kind: self.appellant_kind,
            kind: self.kind,
            channel: self.channel,
            urgency: Urgency::Normal,
            title: &self.title,
            content: &self.content,
            local_date: chrono::Utc::now()
                .with_timezone(&china_offset())
                .date_naive(),
        }
    }
}

/// The test box: where would this sample appeal go, and why.
#[post("/staff/admin/rules/explain")]
pub async fn explain(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let kept = sent.kept();
    let input = match SampleInput::of(&sent.fields) {
        Ok(s) => s,
        Err(missing) => {
            return render(&req, &pages, &state, staff, kept, None, Some(missing), None).await;
        }
    };
    let wf = state.workflow.clone();
    let explanation = db::run(&state.pool, move |conn| {
        let book = wf.rules.current(conn)?;
        Ok(book.explain(&input.sample()))
    })
    .await?;
    render(
        &req,
        &pages,
        &state,
        staff,
        kept,
        Some(explanation),
        None,
        None,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The rule form
// ---------------------------------------------------------------------------------------------

/// Splits a list typed on one line: commas (ASCII or full-width), 、 or new lines.
fn list(raw: &str) -> Vec<String> {
    raw.split([',', '，', '、', '\n', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_all<T: std::str::FromStr>(values: Vec<String>, name: &str) -> Result<Vec<T>, AppError> {
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::invalid(name, format!("`{v}` is not one of the choices")))
        })
        .collect()
}

fn optional<T: std::str::FromStr>(
    sent: &Sent,
    name: &str,
    what: &str,
) -> Result<Option<T>, AppError>
where
    T::Err: std::fmt::Display,
{
    sent.get(name)
        .map(|v| {
            v.parse()
                .map_err(|e| AppError::invalid(name, format!("`{v}` is not {what}: {e}")))
        })
        .transpose()
}

/// The rule a sent form describes; a value that does not parse is refused naming its field.
fn input_of(sent: &Sent) -> Result<RuleInput, AppError> {
    let priority: i32 = sent
        .get("priority")
        .ok_or_else(|| AppError::invalid("priority", "a priority is needed (lower first)"))?
        .parse()
        .map_err(|_| AppError::invalid("priority", "the priority is a whole number"))?;
    let day = |name: &str| -> Result<Option<NaiveDate>, AppError> {
        sent.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    AppError::invalid(name, format!("`{v}` is not a date like 2026-11-01"))
                })
            })
            .transpose()
    };
    let conditions = Conditions {
        category_prefixes: list(&sent.text("category_prefixes")),
        division_prefixes: list(&sent.text("division_prefixes")),
        appellant_kinds: parse_all(sent.all("appellant_kinds"), "appellant_kinds")?,
        appeal_kinds: parse_all(sent.all("appeal_kinds"), "appeal_kinds")?,
        channels: parse_all(sent.all("channels"), "channels")?,
        urgencies: parse_all(sent.all("urgencies"), "urgencies")?,
        keywords_any: list(&sent.text("keywords_any")),
        keywords_none: list(&sent.text("keywords_none")),
        valid_from: day("valid_from")?,
        valid_until: day("valid_until")?,
        season_start: optional(sent, "season_start", "a day written MM-DD")?,
        season_end: optional(sent, "season_end", "a day written MM-DD")?,
    };
    let lead = match sent.get("lead_type") {
        Some("department") => Some(LeadTarget::Department {
            code: sent
                .get("lead_department")
                .map(str::to_owned)
                .ok_or_else(|| {
                    AppError::invalid("lead_department", "choose the lead department")
                })?,
        }),
        Some("division_office") => Some(LeadTarget::DivisionOffice {
            level: optional(sent, "lead_level", "a level")?.unwrap_or(3),
        }),
        _ => None,
    };
    let action = RuleAction {
        lead,
        co_departments: sent.all("co_departments"),
        co_division_office_level: optional(sent, "co_division_office_level", "a level")?,
        deadline_class: optional::<DeadlineClass>(sent, "deadline_class", "a deadline class")?,
        urgency: optional::<Urgency>(sent, "urgency", "an urgency")?,
    };
    Ok(RuleInput {
        name: sent.text("name"),
        priority,
        enabled: sent.on("enabled"),
        continue_matching: sent.on("continue_matching"),
        conditions,
        action,
        note: sent.get("note").map(str::to_owned),
    })
}

/// The form's values for a stored rule.
fn form_of(input: &RuleInput) -> Json {
    let c = &input.conditions;
    let a = &input.action;
    let (lead_type, lead_department, lead_level) = match &a.lead {
        Some(LeadTarget::Department { code }) => ("department", code.clone(), String::new()),
        Some(LeadTarget::DivisionOffice { level }) => {
            ("division_office", String::new(), level.to_string())
        }
        None => ("none", String::new(), String::new()),
    };
    let names = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    json!({
        "name": input.name,
        "priority": input.priority.to_string(),
        "enabled": input.enabled,
        "continue_matching": input.continue_matching,
        "note": input.note,
        "category_prefixes": c.category_prefixes.join(", "),
        "division_prefixes": c.division_prefixes.join(", "),
        "appellant_kinds": names(c.appellant_kinds.iter().map(|k| k.as_str()).collect()),
        "appeal_kinds": names(c.appeal_kinds.iter().map(|k| k.as_str()).collect()),
        "channels": names(c.channels.iter().map(|k| k.as_str()).collect()),
        "urgencies": names(c.urgencies.iter().map(|k| k.as_str()).collect()),
        "keywords_any": c.keywords_any.join(", "),
        "keywords_none": c.keywords_none.join(", "),
        "valid_from": c.valid_from.map(|d| d.to_string()),
        "valid_until": c.valid_until.map(|d| d.to_string()),
        "season_start": c.season_start.map(|d| d.to_string()),
        "season_end": c.season_end.map(|d| d.to_string()),
        "lead_type": lead_type,
        "lead_department": lead_department,
        "lead_level": lead_level,
        "co_departments": a.co_departments,
        "co_division_office_level": a.co_division_office_level.map(|l| l.to_string()),
        "deadline_class": a.deadline_class.map(|d| d.as_str()),
        "urgency": a.urgency.map(|u| u.as_str()),
    })
}

/// The form's values as sent (kept as typed, to show again).
fn form_of_sent(sent: &Sent) -> Json {
    let mut form: serde_json::Map<String, Json> = sent
        .kept()
        .into_iter()
        .map(|(k, v)| (k, Json::String(v)))
        .collect();
    for name in [
        "appellant_kinds",
        "appeal_kinds",
        "channels",
        "urgencies",
        "co_departments",
    ] {
        form.insert(name.into(), json!(sent.all(name)));
    }
    form.insert("enabled".into(), json!(sent.on("enabled")));
    form.insert(
        "continue_matching".into(),
        json!(sent.on("continue_matching")),
    );
    Json::Object(form)
}

/// The form field an API field name belongs to (`conditions.valid_from` → `valid_from`).
fn form_field(api_field: &str) -> String {
    match api_field {
        "action.lead.code" => "lead_department".into(),
        "action.lead" => "lead_type".into(),
        other => other
            .strip_prefix("conditions.")
            .or_else(|| other.strip_prefix("action."))
            .unwrap_or(other)
            .to_owned(),
    }
}

/// What the rule form shows besides the rule.
#[derive(Default)]
struct RuleFormState {
    problem: Option<Problem>,
    warnings: Vec<String>,
    report: Option<api::DraftReport>,
    explanation: Option<Explanation>,
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    req: &HttpRequest,
    pages: &Pages,
    state: &AppState,
    staff: Claims,
    id: Option<i64>,
    form: Json,
    status: StatusCode,
    shown: RuleFormState,
) -> Result<HttpResponse, PageError> {
    let page = PageContext::of(req, Some(staff));
    let (departments, history) = db::run(&state.pool, move |conn| {
        let departments: Vec<(String, String)> =
            crate::db::reference::list_departments(conn, false)?
                .into_iter()
                .map(|d| (d.code, d.name))
                .collect();
        let history: Vec<RuleView> = match id {
            Some(id) => store::versions_of(conn, id)?
                .into_iter()
                .map(RuleView::from)
                .collect(),
            None => Vec::new(),
        };
        Ok((departments, history))
    })
    .await?;
    let problem = shown.problem.map(|p| Problem {
        field: form_field(&p.field),
        message: p.message,
    });
    pages.render_status(
        &page,
        status,
        "admin_rule.html",
        context! {
            id, form, departments, history, error => problem, warnings => shown.warnings,
            report => shown.report, explanation => shown.explanation,
            appellant_kinds => AppellantKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            appeal_kinds => AppealKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            channels => Channel::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            urgencies => Urgency::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            deadline_classes => DeadlineClass::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        },
    )
}

#[get("/staff/admin/rules/new")]
pub async fn new_rule_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let last = db::run(&state.pool, |conn| Ok(store::current_rules(conn)?))
        .await?
        .iter()
        .map(|r| r.priority)
        .max()
        .unwrap_or(0);
    let form = json!({
        "priority": (last / 10 * 10 + 10).to_string(), "enabled": true, "lead_type": "department",
        "appellant_kind": "citizen", "kind": "complaint",
    });
    render_form(
        &req,
        &pages,
        &state,
        staff,
        None,
        form,
        StatusCode::OK,
        RuleFormState::default(),
    )
    .await
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

#[get("/staff/admin/rules/{id}")]
pub async fn edit_rule_form(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let id = parse_id(&id)?;
    let current = db::run(&state.pool, move |conn| {
        let row = store::versions_of(conn, id)?
            .into_iter()
            .find(|r| r.is_current)
            .ok_or(AppError::NotFound(format!("no routing rule {id}")))?;
        api::input_of(&row)
    })
    .await?;
    let mut form = form_of(&current);
    form["note"] = Json::Null;
    render_form(
        &req,
        &pages,
        &state,
        staff,
        Some(id),
        form,
        StatusCode::OK,
        RuleFormState::default(),
    )
    .await
}

#[post("/staff/admin/rules/new")]
pub async fn new_rule(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    save_or_test(req, pages, state, None, form.into_inner()).await
}

#[post("/staff/admin/rules/{id}")]
pub async fn edit_rule(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&id)?;
    save_or_test(req, pages, state, Some(id), form.into_inner()).await
}

/// Saves the rule (a new one, or a new version of `id`), or — the form's other button — tries
/// it as a draft: the sample in the form explained with the draft in the table, and what the
/// draft would take of the latest appeals.
async fn save_or_test(
    req: HttpRequest,
    pages: web::Data<Pages>,
    state: web::Data<AppState>,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, pairs)?;
    let testing = sent.get("intent") == Some("test");
    let form = form_of_sent(&sent);
    let input = match input_of(&sent) {
        Ok(input) => input,
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let shown = RuleFormState {
                problem: Some(problem),
                ..Default::default()
            };
            return render_form(&req, &pages, &state, staff, id, form, status, shown).await;
        }
    };
    let by = staff.clone();
    let outcome = if testing {
        let sample = sent
            .get("division_code")
            .and_then(|_| SampleInput::of(&sent.fields).ok());
        db::run(&state.pool, move |conn| {
            let sample = sample.as_ref().map(SampleInput::sample);
            let (report, explanation) =
                api::test_draft_rule(conn, &input, DRAFT_LAST, id, sample.as_ref())?;
            Ok(RuleFormState {
                warnings: report.warnings.clone(),
                report: Some(report),
                explanation,
                problem: None,
            })
        })
        .await
    } else {
        db::run(&state.pool, move |conn| {
            let saved = match id {
                None => api::create_rule(conn, &by, &input)?,
                Some(id) => api::update_rule(conn, &by, id, &input)?,
            };
            Ok(RuleFormState {
                warnings: saved.warnings,
                ..Default::default()
            })
        })
        .await
    };
    match outcome {
        Ok(shown) if testing => {
            render_form(&req, &pages, &state, staff, id, form, StatusCode::OK, shown).await
        }
        Ok(_) => {
            tracing::info!(rule = ?id, by = %staff.username, "routing rule saved on the web");
            Ok(done("/staff/admin/rules", "rule_saved"))
        }
        Err(e) => {
            let (status, problem) = problem_of(e)?;
            let shown = RuleFormState {
                problem: Some(problem),
                ..Default::default()
            };
            render_form(&req, &pages, &state, staff, id, form, status, shown).await
        }
    }
}

/// Switches a rule on or off (`enabled` = on / off).
#[post("/staff/admin/rules/{id}/switch")]
pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let id = parse_id(&id)?;
    let enabled = sent.get("enabled") == Some("on");
    db::run(&state.pool, move |conn| {
        api::switch_rule(conn, &staff, id, enabled)
    })
    .await?;
    Ok(done(
        "/staff/admin/rules",
        if enabled {
            "rule_enabled"
        } else {
            "rule_disabled"
        },
    ))
}

/// Moves a rule one place up or down the table (`direction` = up / down): the table is
/// renumbered 10, 20, 30 … as the API's reorder does.
#[post("/staff/admin/rules/{id}/move")]
pub async fn move_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: Pairs,
) -> Result<HttpResponse, PageError> {
    let staff = require_admin(&req).await?;
    let sent = Sent::checked(&req, form.into_inner())?;
    let id = parse_id(&id)?;
    let up = match sent.get("direction") {
        Some("up") => true,
        Some("down") => false,
        _ => return Err(PageError::NotFound),
    };
    db::run(&state.pool, move |conn| {
        let mut ids: Vec<i64> = store::current_rules(conn)?.iter().map(|r| r.id).collect();
        let at = ids
            .iter()
            .position(|r| *r == id)
            .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
        let other = if up { at.checked_sub(1) } else { Some(at + 1) };
        if let Some(other) = other.filter(|o| *o < ids.len()) {
            ids.swap(at, other);
            api::reorder_rules(conn, &staff, &ids)?;
        }
        Ok(())
    })
    .await?;
    Ok(done("/staff/admin/rules", "rule_moved"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_any_comma_and_api_fields_find_their_form_field() {
        assert_eq!(
            list("03.01, 03.02，04、 \n05"),
            ["03.01", "03.02", "04", "05"]
        );
        assert!(list(" , ").is_empty());
        assert_eq!(form_field("conditions.valid_from"), "valid_from");
        assert_eq!(form_field("action.lead.code"), "lead_department");
        assert_eq!(form_field("action.co_departments"), "co_departments");
        assert_eq!(form_field("name"), "name");
    }
}
