//! Staff actions on one appeal: `POST /api/v1/appeals/{id}/{action}`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::appeals::view_after_action;
use super::json;
use super::{expected_version, now, parse_id};
use crate::auth::Staff;
use crate::db;
use crate::domain::enums::{DeadlineClass, Disposition, Satisfaction, Visibility};
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow::{self, ActionRequest};

/// dispatch: lead department, optional co-handlers and deadline class
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchBody {
    pub lead_department_code: String,
    #[serde(default)]
    pub co_department_codes: Vec<String>,
    pub deadline_class: Option<DeadlineClass>,
    /// a reply deadline for this appeal instead of the class's (complex matters only), RFC 3339
    #[serde(default)]
    pub reply_due_at: Option<DateTime<Utc>>,
    /// why; required when sending the appeal back to the department that returned it
    #[serde(default)]
    pub note: Option<String>,
}

/// assign: give the department's part to one of its clerks (by username)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub assignee: String,
}

/// return, suspend: why
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

/// sign: no fields (an empty body or `{}`)
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionalReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub reason: String,
    pub disposition: Disposition,
}

/// reply (答复): the answer the appellant will read
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    pub content: String,
}

/// follow-up (回访) recorded by hotline-centre staff from a return-visit call: did the department
/// contact the appellant, is it solved, how satisfied; solved and at least basically satisfied
/// closes the appeal, anything else sends it back to the department (重办)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: Satisfaction,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    pub primary_id: Uuid,
    #[serde(default)]
    pub reason: Option<String>,
}

/// supervise (督办): set (default) or clear the flag
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseBody {
    pub reason: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub content: String,
    /// internal (default) or public — public notes are shown to the appellant
    #[serde(default = "internal")]
    pub visibility: Visibility,
}

fn internal() -> Visibility {
    Visibility::Internal
}

/// extension (延期申请, a clerk of the lead department): the new reply deadline and why; asked
/// before the current deadline, at most 10 working days past it
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// RFC 3339
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// extension-decision (a supervisor): approve or reject the pending request; a rejection needs a note
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecisionBody {
    pub approve: bool,
    #[serde(default)]
    pub note: Option<String>,
}

const ACTIONS: &str = "dispatch, sign, return, refuse-return, assign, suspend, resume, reply, follow-up, reject, merge, supervise, notes, extension, extension-decision, close";

fn parse_action(action: &str, body: &[u8]) -> Result<ActionRequest, AppError> {
    // sign and resume need no body; accept an empty one
    let empty = body.iter().all(u8::is_ascii_whitespace);
    Ok(match action {
        "dispatch" => {
            let b: DispatchBody = json::parse(body)?.value;
            ActionRequest::Dispatch {
                lead_department_code: b.lead_department_code.trim().to_owned(),
                co_department_codes: b
                    .co_department_codes
                    .iter()
                    .map(|c| c.trim().to_owned())
                    .collect(),
                deadline_class: b.deadline_class,
                reply_due_at: b.reply_due_at,
                note: b.note,
            }
        }
        "sign" => {
            if !empty {
                // nothing to say when signing; refuse fields rather than drop them silently
                let _: EmptyBody = json::parse(body)?.value;
            }
            ActionRequest::Sign
        }
        "return" => ActionRequest::Return {
            reason: json::parse::<ReasonBody>(body)?.value.reason,
        },
        "suspend" => ActionRequest::Suspend {
            reason: json::parse::<ReasonBody>(body)?.value.reason,
        },
        "resume" => ActionRequest::Resume {
            reason: if empty {
                None
            } else {
                json::parse::<OptionalReasonBody>(body)?.value.reason
            },
        },
        "reply" => ActionRequest::Reply {
            content: json::parse::<ReplyBody>(body)?.value.content,
        },
        "follow-up" => {
            let b: FollowUpBody = json::parse(body)?.value;
            ActionRequest::FollowUp {
                answers: workflow::Answers {
                    contacted: b.contacted,
                    solved: b.solved,
                    satisfaction: b.satisfaction,
                    comment: b.comment,
                },
            }
        }
        "reject" => {
            let b: RejectBody = json::parse(body)?.value;
            ActionRequest::Reject {
                reason: b.reason,
                disposition: b.disposition,
            }
        }
        "merge" => {
            let b: MergeBody = json::parse(body)?.value;
            ActionRequest::Merge {
                primary_id: b.primary_id,
                reason: b.reason,
            }
        }
        "supervise" => {
            let b: SuperviseBody = json::parse(body)?.value;
            ActionRequest::Supervise {
                reason: b.reason,
                active: b.active,
            }
        }
        "refuse-return" => ActionRequest::RefuseReturn {
            reason: json::parse::<ReasonBody>(body)?.value.reason,
        },
        "assign" => ActionRequest::Assign {
            assignee: json::parse::<AssignBody>(body)?.value.assignee,
        },
        "notes" => {
            let b: NoteBody = json::parse(body)?.value;
            ActionRequest::Note {
                content: b.content,
                visibility: b.visibility,
            }
        }
        "close" => ActionRequest::Close {
            reason: json::parse::<ReasonBody>(body)?.value.reason,
        },
        "extension" => {
            let b: ExtensionBody = json::parse(body)?.value;
            ActionRequest::Extension {
                until: b.until,
                reason: b.reason,
            }
        }
        "extension-decision" => {
            let b: ExtensionDecisionBody = json::parse(body)?.value;
            ActionRequest::DecideExtension {
                approve: b.approve,
                note: b.note,
            }
        }
        other => {
            return Err(AppError::NotFound(format!(
                "no action `{other}`; the actions are: {ACTIONS}"
            )));
        }
    })
}

/// Acts on an appeal. Each action is allowed only from the states and for the roles of
/// DESIGN.md §1: otherwise 403 (role or department) or 409 (state), and nothing changes.
/// Answers the appeal as it now stands. Send `If-Match: <version>` to refuse acting on a stale view.
///
/// Bodies: dispatch `DispatchBody`; sign none; return, suspend `ReasonBody`; resume optional
/// reason; reply `ReplyBody`; follow-up `FollowUpBody`; reject `RejectBody`; merge `MergeBody`;
/// supervise `SuperviseBody`; notes `NoteBody`; refuse-return (驳回退单, dispatcher: back to the
/// department that returned it) `ReasonBody`; assign (a clerk gives the department's part to a
/// colleague) `AssignBody`; extension (延期, the lead department) `ExtensionBody`;
/// extension-decision (a supervisor) `ExtensionDecisionBody`; close (a supervisor closes a
/// resolved or re-handled appeal instead of re-handling it, e.g. an unlawful demand) `ReasonBody`.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/{action}", tag = "appeals",
    params(
        ("id" = Uuid, Path, description = "appeal id"),
        ("action" = String, Path, description = "dispatch | sign | return | refuse-return | assign | suspend | resume | reply | follow-up | reject | merge | supervise | notes | extension | extension-decision | close"),
        ("If-Match" = Option<i32>, Header, nullable = false, minimum = 1, maximum = 2147483647, description = "the version you acted on")),
    request_body(content = Object, description = "depends on the action; see the *Body schemas"),
    responses(
        (status = 200, body = super::views::StaffAppeal),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/appeals/{id}/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let request = parse_action(&action, &body)?;
    let expected = expected_version(&req)?;
    let wf = state.workflow.clone();
    let claims = staff.0;
    let view = db::run(&state.pool, move |conn| {
        let appeal = workflow::act(conn, &wf, id, &claims, &request, expected, now())?;
        tracing::info!(tracking_no = %appeal.tracking_no, action = %action, status = %appeal.status, by = %claims.username, "appeal action");
        view_after_action(conn, appeal, &claims)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
