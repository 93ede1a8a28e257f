//! Intake (public), the appellant's view, and the staff view of one appeal.

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use diesel::PgConnection;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use uuid::Uuid;

use super::json::JsonBody;
use super::views::{
    self, AppellantAppeal, PublicNote, PublicReply, StaffAppeal, StaffParts, TimelineEntry,
};
use super::{now, parse_id};
use crate::auth::{Claims, Staff};
use crate::db::attachments::{self, AttachmentBytes};
use crate::db::models::{Appeal, Assignment};
use crate::db::{self, appeals as q, audit, reference};
use crate::domain::audit::canonical_json;
use crate::domain::ids::{TrackingNo, normalise_access_code};
use crate::domain::intake::IntakeRequest;
use crate::domain::lifecycle::{self, Facts};
use crate::domain::photo::PhotoType;
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow::{self, IdempotencyKey, facts_from};

/// 受理: files an appeal. No login. Keep the `tracking_no` and `access_code` of the answer.
///
/// Send an `Idempotency-Key` header to make retries safe: the same key with the same body
/// answers the first answer again (header `Idempotent-Replayed: true`) and creates nothing; the
/// same key with another body is refused with 422.
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals", request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,128}$", description = "1–128 visible ASCII characters, unique per appeal")),
    responses(
        (status = 201, description = "filed (or replayed)", body = views::Filed),
        (status = 400, description = "malformed JSON or wrong types", body = crate::error::ErrorBody),
        (status = 413, description = "body too large", body = crate::error::ErrorBody),
        (status = 422, description = "a field failed validation, or the key was reused with another body", body = crate::error::ErrorBody)))]
#[post("/appeals")]
pub async fn file_appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<IntakeRequest>,
) -> Result<HttpResponse, AppError> {
    let idempotency = idempotency_key(&req, &body.raw)?;
    let valid = body
        .value
        .validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let wf = state.workflow.clone();
    let filed = db::run(&state.pool, move |conn| {
        workflow::intake(conn, &wf, &valid, idempotency.as_ref(), now())
    })
    .await?;
    if !filed.replayed {
        tracing::info!(tracking_no = %filed.appeal.tracking_no, channel = %filed.appeal.channel, "appeal filed");
    }
    let a = filed.appeal;
    let mut response = HttpResponse::Created();
    response.insert_header(("Location", format!("/api/v1/appeals/{}", a.id)));
    if filed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(views::Filed {
        id: a.id,
        tracking_no: a.tracking_no,
        access_code: filed.access_code,
        status: a.status,
        lead_department_code: a.lead_department_code,
        sign_due_at: a.sign_due_at,
        reply_due_at: a.reply_due_at,
        created_at: a.created_at,
    }))
}

fn idempotency_key(
    req: &HttpRequest,
    raw: &serde_json::Value,
) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(key) = idempotency_header(req)? else {
        return Ok(None);
    };
    let request_hash = hex::encode(Sha256::digest(canonical_json(raw).as_bytes()));
    Ok(Some(IdempotencyKey { key, request_hash }))
}

/// The `Idempotency-Key` header, when sent: 1–128 visible ASCII characters.
pub(crate) fn idempotency_header(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| AppError::BadRequest {
            code: "bad_request",
            message:
                "Idempotency-Key must be 1–128 visible ASCII characters (a UUID is a good choice)"
                    .into(),
            field: Some("Idempotency-Key".into()),
        })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AccessQuery {
    /// the access code given at filing (appellants only)
    pub access_code: Option<String>,
}

/// One appeal. With a **tracking number** and `?access_code=…`: the appellant's view (status,
/// public replies, timeline; no staff names, no internal notes). With an **id** and a staff
/// token: the staff view, masked by the viewer's role and department.
#[utoipa::path(get, path = "/api/v1/appeals/{key}", tag = "appeals",
    params(("key" = String, Path, pattern = r"^(AS[0-9]{16}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$", description = "tracking number (appellant) or appeal id (staff)"), AccessQuery),
    responses(
        (status = 200, description = "AppellantAppeal for a tracking number, StaffAppeal for an id", body = StaffAppeal),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security((), ("bearer" = [])))]
#[get("/appeals/{key}")]
pub async fn get_appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    query: web::Query<AccessQuery>,
) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    if let Ok(tracking_no) = key.parse::<TrackingNo>() {
        let code = query
            .into_inner()
            .access_code
            .ok_or_else(|| AppError::BadRequest {
                code: "bad_request",
                message: "add ?access_code=… (given when the appeal was filed) to see this appeal"
                    .into(),
                field: Some("access_code".into()),
            })?;
        let wf = state.workflow.clone();
        let view = db::run(&state.pool, move |conn| {
            appellant_view(conn, &wf, &tracking_no, &code)
        })
        .await?;
        return Ok(HttpResponse::Ok().json(view));
    }
    let id = parse_id(&key).map_err(|_| AppError::BadRequest {
        code: "invalid_path",
        message: format!(
            "`{key}` is neither a tracking number (AS + 16 digits) nor an appeal id (UUID)"
        ),
        field: Some("key".into()),
    })?;
    let staff = Staff::extract(&req).await?;
    let view = db::run(&state.pool, move |conn| staff_view(conn, id, &staff.0)).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub(crate) fn appellant_view(
    conn: &mut PgConnection,
    wf: &workflow::Workflow,
    tracking_no: &TrackingNo,
    code: &str,
) -> Result<AppellantAppeal, AppError> {
    // One answer for "no such number" and "wrong code": the pair is the key.
    let not_found =
        || AppError::NotFound("no appeal matches this tracking number and access code".into());
    let appeal = q::find_by_tracking_no(conn, tracking_no.as_str())?.ok_or_else(not_found)?;
    if !wf.access_code_matches(&appeal, &normalise_access_code(code)) {
        return Err(not_found());
    }
    let departments = reference::list_departments(conn, true)?;
    let name_of = |code: &str| {
        departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let public_replies = |conn: &mut PgConnection, id| -> Result<Vec<PublicReply>, AppError> {
        Ok(q::replies_of(conn, id)?
            .into_iter()
            .map(|r| PublicReply {
                department_name: name_of(&r.department_code),
                content: r.content,
                created_at: r.created_at,
            })
            .collect())
    };
    let replies = public_replies(conn, appeal.id)?;
    // A merged appeal follows its primary: its appellant is told the primary's progress and
    // reads the primary's answer (never the primary's own text or appellant).
    let primary = match appeal.merged_into {
        Some(primary_id) => q::find(conn, primary_id)?,
        None => None,
    };
    let primary_replies = match &primary {
        Some(p) => public_replies(conn, p.id)?,
        None => Vec::new(),
    };
    let notes = q::notes_of(conn, appeal.id, true)?
        .into_iter()
        .map(|n| PublicNote {
            content: n.content,
            created_at: n.created_at,
        })
        .collect();
    let timeline = audit::events_of(conn, appeal.id)?
        .into_iter()
        // internal bookkeeping stays internal: notes and supervision flags are not steps of
        // the appellant's matter
        .filter(|e| APPELLANT_STEPS.contains(&e.action.as_str()))
        .map(|e| TimelineEntry {
            action: e.action,
            status: e.to_status,
            at: e.created_at,
        })
        .collect();
    let photo_count = attachments::count_of(conn, appeal.id)?;
    let follow_up_token = wf.current_follow_up_token(&appeal);
    let follow_up_url = wf.follow_up_url(&appeal);
    Ok(AppellantAppeal {
        follow_up_token,
        follow_up_url,
        follow_up_due_at: appeal.follow_up_due_at,
        closed_unrated: appeal.closed_unrated,
        lead_department_name: appeal.lead_department_code.as_deref().map(name_of),
        tracking_no: appeal.tracking_no,
        status: appeal.status,
        kind: appeal.kind,
        title: appeal.title,
        content: appeal.content,
        category_code: appeal.category_code,
        division_code: appeal.division_code,
        address: appeal.address,
        confidential: appeal.confidential,
        lead_department_code: appeal.lead_department_code,
        sign_due_at: appeal.sign_due_at,
        reply_due_at: appeal.reply_due_at,
        created_at: appeal.created_at,
        closed_at: appeal.closed_at,
        merged_into_tracking_no: primary.as_ref().map(|p| p.tracking_no.clone()),
        primary_status: primary.map(|p| p.status),
        primary_replies,
        replies,
        notes,
        timeline,
        photo_count,
    })
}

/// The steps of their matter an appellant sees. Internal bookkeeping (notes, supervision,
/// co-handlers' signatures, clerk assignment, deadline alarms, extension requests and
/// rejections) stays internal; an approved extension is shown, since the promised date moved.
const APPELLANT_STEPS: &[&str] = &[
    "intake",
    "dispatch",
    "refuse_return",
    "sign",
    "return",
    "suspend",
    "resume",
    "reply",
    "follow_up",
    "reject",
    "merge",
    "extension_approve",
    "close",
    "close_unrated",
];

/// Loads an appeal for a staff member: 404 if it does not exist, 403 for a clerk of a
/// department it is not assigned to.
pub fn visible_appeal(
    conn: &mut PgConnection,
    id: Uuid,
    staff: &Claims,
) -> Result<Visible, AppError> {
    let appeal = q::find(conn, id)?.ok_or_else(|| workflow::not_found(id))?;
    let live = q::live_assignments(conn, id)?;
    let facts = facts_from(&appeal, &live, staff.department.as_deref());
    if !lifecycle::can_view(&actor_of(staff), &facts) {
        return Err(AppError::Forbidden(
            "this appeal is not assigned to your department".into(),
        ));
    }
    Ok(Visible {
        appeal,
        facts,
        live,
    })
}

/// An appeal a staff member may see, with what was read to decide it.
pub struct Visible {
    pub appeal: Appeal,
    pub facts: Facts,
    pub live: Vec<Assignment>,
}

/// The staff view of one appeal, masked for the viewer.
pub fn staff_view(
    conn: &mut PgConnection,
    id: Uuid,
    staff: &Claims,
) -> Result<StaffAppeal, AppError> {
    let visible = visible_appeal(conn, id, staff)?;
    view_with(conn, visible, staff)
}

/// The staff view right after an action: the actor was allowed to act, so they see the result
/// even when the action took the appeal out of their department (a return).
pub fn view_after_action(
    conn: &mut PgConnection,
    appeal: Appeal,
    staff: &Claims,
) -> Result<StaffAppeal, AppError> {
    let live = q::live_assignments(conn, appeal.id)?;
    let facts = facts_from(&appeal, &live, staff.department.as_deref());
    view_with(
        conn,
        Visible {
            appeal,
            facts,
            live,
        },
        staff,
    )
}

fn actor_of(staff: &Claims) -> lifecycle::Actor {
    lifecycle::Actor {
        role: staff.role,
        department: staff.department.clone(),
    }
}

fn view_with(
    conn: &mut PgConnection,
    Visible {
        appeal,
        facts,
        live,
    }: Visible,
    staff: &Claims,
) -> Result<StaffAppeal, AppError> {
    let contact = lifecycle::contact_view(&actor_of(staff), &facts, appeal.confidential);
    let id = appeal.id;
    let ids: Vec<Uuid> = live.iter().filter_map(|a| a.assignee_id).collect();
    let names = crate::db::users::usernames(conn, &ids)?;
    let assignments = live
        .into_iter()
        .map(|a| views::AssignmentView {
            assignee: a.assignee_id.and_then(|u| {
                names
                    .iter()
                    .find(|(id, _)| *id == u)
                    .map(|(_, n)| n.clone())
            }),
            department_code: a.department_code,
            role: a.role,
            assigned_at: a.assigned_at,
            rule_id: a.rule_id,
            rule_version: a.rule_version,
            signed_at: a.signed_at,
            reported_at: a.reported_at,
        })
        .collect();
    Ok(StaffParts {
        assignments,
        replies: q::replies_of(conn, id)?,
        notes: q::notes_of(conn, id, false)?,
        follow_ups: q::follow_ups_of(conn, id)?,
        extensions: q::extensions_of(conn, id)?,
        photos: attachments::list_of(conn, id)?,
        repeat_of_tracking_no: match appeal.repeat_of {
            Some(closed) => crate::db::repeats::tracking_no_of(conn, closed)?,
            None => None,
        },
        co_department_codes: facts.co_departments,
        contact,
        appeal,
    }
    .into())
}

/// One photo of an appeal, for a staff member who may see the appeal: 404 for an unknown
/// appeal or a photo that is not this appeal's, 403 for a clerk of another department.
pub fn photo_of(
    conn: &mut PgConnection,
    id: Uuid,
    photo_id: Uuid,
    staff: &Claims,
) -> Result<AttachmentBytes, AppError> {
    visible_appeal(conn, id, staff)?;
    attachments::find_bytes(conn, id, photo_id)?
        .ok_or_else(|| AppError::NotFound("this appeal has no such photo".into()))
}

/// A stored photo as a response: the type found at filing, never sniffed again by the browser,
/// shown inline under a file name of our own, cached only by the viewer's browser, and inert
/// when opened on its own (no script, no plugins, no same-origin access).
pub fn photo_response(photo_id: Uuid, photo: AttachmentBytes) -> Result<HttpResponse, AppError> {
    let kind = PhotoType::from_mime(&photo.content_type).ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!(
            "attachment {photo_id} has content type {}",
            photo.content_type
        ))
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind.mime()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{photo_id}.{}\"", kind.extension()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
        .body(photo.bytes))
}

/// A photo filed with the appeal, for staff who may see the appeal. The bytes come with the
/// type found from them at filing, `X-Content-Type-Options: nosniff` and a sandboxing CSP.
#[utoipa::path(get, path = "/api/v1/appeals/{id}/photos/{photo_id}", tag = "appeals",
    params(("id" = Uuid, Path, description = "appeal id"), ("photo_id" = Uuid, Path, description = "photo id, from the appeal's `photos`")),
    responses(
        (status = 200, description = "the photo's bytes (image/jpeg, image/png or image/webp)", content_type = "image/*"),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/appeals/{id}/photos/{photo_id}")]
pub async fn get_photo(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, photo_id) = path.into_inner();
    let (id, photo_id) = (parse_id(&id)?, parse_id(&photo_id)?);
    let claims = staff.0;
    let found = db::run(&state.pool, move |conn| {
        photo_of(conn, id, photo_id, &claims)
    })
    .await?;
    photo_response(photo_id, found)
}
