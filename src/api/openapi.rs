//! The OpenAPI description, served at `/api/openapi.json` and browsable at `/api/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    actions, appeals, auth, calendar, extensions, follow_up, health, lists, reference, reports,
    routing, staffing, views,
};
use crate::domain::enums;
use crate::domain::intake::IntakeRequest;
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "minxin (民心) city appeal platform API", description = "Residents file appeals; dispatchers route them; departments handle them; supervisors watch. Errors always have the shape {\"error\": {\"code\", \"message\", \"field\"?}}."),
    paths(
        auth::login,
        appeals::file_appeal,
        appeals::get_appeal,
        appeals::get_photo,
        actions::act,
        lists::events,
        lists::queue,
        lists::pool,
        crate::api::duplicates::list,
        crate::api::repeats::list,
        crate::api::repeats::by_department,
        reference::categories,
        reference::divisions,
        reference::departments,
        routing::list,
        routing::create,
        routing::history,
        routing::update,
        routing::switch,
        routing::reorder,
        routing::explain,
        routing::test_draft,
        staffing::auto_assign,
        staffing::absence,
        calendar::get_calendar,
        calendar::put_calendar,
        calendar::put_day,
        calendar::delete_day,
        calendar::changes,
        extensions::list,
        follow_up::form,
        follow_up::answer,
        follow_up::awaiting,
        reports::summary,
        reports::ranking,
        reports::hotspots,
        super::api_keys::list,
        super::api_keys::issue,
        super::api_keys::revoke,
        health::healthz,
        health::readyz,
    ),
    components(schemas(
        IntakeRequest, ErrorBody, ErrorDetail,
        views::Filed, views::StaffAppeal, views::PhotoView, views::ExtensionRequestView, views::AppellantAppeal, views::AppealSummary, views::EventView,
        actions::DispatchBody, actions::EmptyBody, actions::ReasonBody, actions::OptionalReasonBody, actions::RejectBody, actions::ReplyBody,
        actions::AssignBody, actions::ExtensionBody, actions::ExtensionDecisionBody, actions::FollowUpBody, actions::MergeBody, actions::SuperviseBody, actions::NoteBody,
        super::api_keys::NewKeyBody, crate::open311::keys::KeyView, crate::open311::keys::IssuedKey,
        calendar::CalendarView, calendar::DayView, calendar::CalendarSettingsBody, calendar::DayBody, calendar::ChangeView,
        extensions::ExtensionView,
        follow_up::FollowUpForm, follow_up::FollowUpDone,
        crate::api::duplicates::DuplicateView, crate::api::repeats::RepeatView, crate::api::repeats::DepartmentRepeats,
        enums::AppellantKind, enums::AppealKind, enums::Channel, enums::Status, enums::Role,
        enums::DeadlineClass, enums::Satisfaction, enums::Disposition, enums::Visibility,
    )),
    modifiers(&PerAction, &BearerAuth, &CommonErrors),
    tags(
        (name = "appeals", description = "intake, the appellant's view, staff actions, the audit trail"),
        (name = "work lists", description = "queue and pool"),
        (name = "routing", description = "rule tables (派单目录), explain, draft tests"),
        (name = "follow-up", description = "the appellant's signed follow-up link and the centre's return visits (回访)"),
        (name = "calendar", description = "the working calendar: hours, holidays, make-up days (调休)"),
        (name = "staffing", description = "auto-assignment and absence inside departments"),
        (name = "reference", description = "public reference data for the intake form"),
        (name = "auth", description = "staff login"),
        (name = "integrations", description = "API keys of integrations (Open311 clients; the GeoReport v2 endpoint is described at /open311/v2/openapi.json)"),
        (name = "operations", description = "health"),
        (name = "reports", description = "the metrics per group (summary), repeat appeals (possible false closures) per department"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The token from POST /api/v1/auth/login. It lasts auth.token_ttl_minutes, \
                         and ends (401) within auth.account_check_secs (1 s) when its account is \
                         deactivated or given a new password, role or department: log in again.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The staff actions share one handler (`POST /appeals/{id}/{action}`) but not one body: the
/// description lists each action as its own path with its own body, so that a client (or a
/// fuzzer) knows exactly what each takes.
struct PerAction;

/// Each action and its body (`None`: no body, or `{}`).
pub const ACTION_BODIES: &[(&str, Option<&str>, &str)] = &[
    (
        "dispatch",
        Some("DispatchBody"),
        "派单: send a pooled appeal to a lead department (dispatcher)",
    ),
    (
        "sign",
        Some("EmptyBody"),
        "签收: the department takes it on (clerk)",
    ),
    (
        "return",
        Some("ReasonBody"),
        "退单: not ours, back to the pool with a reason (clerk, within the return window)",
    ),
    (
        "refuse-return",
        Some("ReasonBody"),
        "驳回退单: back to the department that returned it (dispatcher)",
    ),
    (
        "assign",
        Some("AssignBody"),
        "a clerk gives the department's part to a colleague",
    ),
    (
        "suspend",
        Some("ReasonBody"),
        "挂起: pause the clocks (clerk, with a reason)",
    ),
    (
        "resume",
        Some("OptionalReasonBody"),
        "resume a suspended appeal",
    ),
    (
        "reply",
        Some("ReplyBody"),
        "答复: the department's answer (clerk)",
    ),
    (
        "follow-up",
        Some("FollowUpBody"),
        "回访: the centre records the appellant's rating",
    ),
    (
        "reject",
        Some("RejectBody"),
        "不予受理: with a reason and a disposition (dispatcher)",
    ),
    (
        "merge",
        Some("MergeBody"),
        "并案: into a primary appeal (dispatcher)",
    ),
    (
        "supervise",
        Some("SuperviseBody"),
        "督办: mark for supervision (supervisor)",
    ),
    (
        "notes",
        Some("NoteBody"),
        "a note on the appeal (internal or public)",
    ),
    (
        "extension",
        Some("ExtensionBody"),
        "延期: ask to move the reply deadline (the lead department)",
    ),
    (
        "extension-decision",
        Some("ExtensionDecisionBody"),
        "approve or reject an extension request (supervisor)",
    ),
    (
        "close",
        Some("ReasonBody"),
        "办结: a supervisor closes a resolved or re-handled appeal",
    ),
];

impl Modify for PerAction {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::{ContentBuilder, HttpMethod, Ref, Required};
        const GENERIC: &str = "/api/v1/appeals/{id}/{action}";
        let Some(generic) = openapi.paths.paths.remove(GENERIC) else {
            return;
        };
        let Some(op) = generic.post else {
            return;
        };
        for (action, body, summary) in ACTION_BODIES {
            let mut one = op.clone();
            one.operation_id = Some(format!("act_{}", action.replace('-', "_")));
            one.summary = Some((*summary).to_owned());
            if let Some(params) = one.parameters.as_mut() {
                params.retain(|p| p.name != "action");
            }
            one.request_body = body.map(|schema| {
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(schema)))
                            .build(),
                    )
                    // sign and resume may send no body at all
                    .required(Some(
                        if matches!(schema, "EmptyBody" | "OptionalReasonBody") {
                            Required::False
                        } else {
                            Required::True
                        },
                    ))
                    .build()
            });
            openapi.paths.add_path_operation(
                format!("/api/v1/appeals/{{id}}/{action}"),
                vec![HttpMethod::Post],
                one,
            );
        }
    }
}

/// Declares the errors every operation of a kind can answer, so that the description states
/// every status a client may see: 400 where there are parameters or a body (malformed path,
/// query or JSON), 401 and 403 where a token is taken, 413 where there is a body, and 503 (the
/// database unreachable) everywhere but `/healthz`.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| -> RefOr<utoipa::openapi::Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_params =
                    path.contains('{') || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                let secured =
                    serde_json::to_string(&op.security).is_ok_and(|s| s.contains("bearer"));
                let mut add = |code: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description));
                };
                if has_params || has_body {
                    add("400", "malformed path, query or body");
                }
                if secured {
                    add(
                        "401",
                        "no token, or a token that is malformed, expired or not ours",
                    );
                    add("403", "the role or department may not do this");
                }
                if has_body {
                    add("413", "the body is larger than the configured limit");
                }
                if path != "/healthz" {
                    add("503", "the database is unreachable; try again shortly");
                }
            }
        }
    }
}

/// The methods the description gives a concrete path, when it has the path at all.
pub fn methods_of(path: &str) -> Option<Vec<&'static str>> {
    static ROUTES: std::sync::LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> =
        std::sync::LazyLock::new(|| {
            ApiDoc::openapi()
                .paths
                .paths
                .iter()
                .map(|(template, item)| {
                    let segments = template.split('/').map(str::to_owned).collect();
                    let methods = [
                        ("GET", item.get.is_some()),
                        ("PUT", item.put.is_some()),
                        ("POST", item.post.is_some()),
                        ("DELETE", item.delete.is_some()),
                        ("PATCH", item.patch.is_some()),
                    ]
                    .into_iter()
                    .filter_map(|(m, present)| present.then_some(m))
                    .collect();
                    (segments, methods)
                })
                .collect()
        });
    let segments: Vec<&str> = path.split('/').collect();
    // the templates the path fits, by how many of their segments are literal: the most
    // specific one is the path's (`/appeals/{id}/events` before `/appeals/{id}/{action}`)
    let fits: Vec<(usize, &Vec<&'static str>)> = ROUTES
        .iter()
        .filter(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                })
        })
        .map(|(template, m)| (template.iter().filter(|t| !t.starts_with('{')).count(), m))
        .collect();
    let best = fits.iter().map(|(literal, _)| *literal).max()?;
    let mut methods: Vec<&'static str> = fits
        .iter()
        .filter(|(literal, _)| *literal == best)
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in a document names a schema the document has.
    fn dangling_refs(doc: &serde_json::Value) -> Vec<String> {
        fn walk(v: &serde_json::Value, doc: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                        let pointer = r.trim_start_matches('#');
                        if doc.pointer(pointer).is_none() {
                            out.push(r.clone());
                        }
                    }
                    map.values().for_each(|x| walk(x, doc, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|x| walk(x, doc, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(doc, doc, &mut out);
        out
    }

    #[test]
    fn every_reference_resolves_in_both_descriptions() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("doc");
        assert_eq!(dangling_refs(&doc), Vec::<String>::new());
        let geo = serde_json::to_value(crate::open311::doc::GeoReportDoc::openapi()).expect("doc");
        assert_eq!(dangling_refs(&geo), Vec::<String>::new());
        // no body left as a bare object where a type exists
        let rule = &doc["components"]["schemas"]["RuleView"]["properties"];
        assert!(rule["conditions"]["$ref"].is_string(), "{rule}");
        let hours =
            &doc["components"]["schemas"]["CalendarSettingsBody"]["properties"]["working_hours"];
        assert_eq!(hours["items"]["$ref"], "#/components/schemas/WorkingHours");
    }

    #[test]
    fn each_action_is_described_with_its_own_body() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("doc");
        assert!(doc["paths"]["/api/v1/appeals/{id}/{action}"].is_null());
        let dispatch = &doc["paths"]["/api/v1/appeals/{id}/dispatch"]["post"];
        assert_eq!(
            dispatch["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/DispatchBody"
        );
        assert!(
            dispatch["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .all(|p| p["name"] != "action")
        );
        for (action, body, _) in ACTION_BODIES {
            let op = &doc["paths"][format!("/api/v1/appeals/{{id}}/{action}")]["post"];
            assert!(op.is_object(), "{action}");
            let schema = body.expect("a body");
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
        }
    }

    #[test]
    fn documented_paths_know_their_methods() {
        assert_eq!(methods_of("/api/v1/appeals"), Some(vec!["POST"]));
        assert_eq!(
            methods_of("/api/v1/routing-rules/12"),
            Some(vec!["GET", "PUT"])
        );
        assert_eq!(methods_of("/api/v1/appeals/x/events"), Some(vec!["GET"]));
        assert_eq!(
            methods_of("/api/v1/routing-rules/reorder"),
            Some(vec!["POST"])
        );
        assert_eq!(methods_of("/api/v1/nothing"), None);
        assert_eq!(methods_of("/api/v1/appeals/"), None);
    }

    #[test]
    fn every_secured_operation_declares_401_and_every_body_400_and_413() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("doc");
        let login = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"];
        assert!(login["400"].is_object() && login["413"].is_object());
        let queue = &doc["paths"]["/api/v1/queue"]["get"]["responses"];
        assert!(queue["401"].is_object() && queue["403"].is_object() && queue["503"].is_object());
        assert!(doc["paths"]["/healthz"]["get"]["responses"]["503"].is_null());
    }
}
