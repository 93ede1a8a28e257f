//! Response bodies: what staff and appellants see of an appeal, with the privacy rules applied.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::models::{Appeal, AuditEvent, FollowUp, Note, Reply};
use crate::domain::lifecycle::ContactView;
use crate::domain::masking::{mask_email, mask_name, mask_phone};

/// An appeal as staff see it. Appellant fields are full, masked or absent according to the
/// viewer (`contact_visibility`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffAppeal {
    pub id: Uuid,
    pub tracking_no: String,
    /// submitted, dispatched, in_progress, suspended, resolved, closed, rejected, merged
    pub status: String,
    pub appellant_kind: String,
    pub kind: String,
    pub channel: String,
    pub title: String,
    pub content: String,
    pub category_code: Option<String>,
    pub division_code: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// full, masked or hidden
    pub contact_visibility: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub enterprise_name: Option<String>,
    pub credit_code: Option<String>,
    pub confidential: bool,
    pub lead_department_code: Option<String>,
    pub co_department_codes: Vec<String>,
    /// who handles it now: the lead and each co-handler, with signing, reporting and assignee
    pub assignments: Vec<AssignmentView>,
    /// normal or urgent
    pub urgency: String,
    /// in the pool: why (no_rule, held_by_rule, returned) and the details
    pub pool_reason: Option<String>,
    pub pool_detail: Option<String>,
    /// the department that last returned it
    pub returned_by: Option<String>,
    pub deadline_class: Option<String>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub supervised: bool,
    pub reject_disposition: Option<String>,
    pub merged_into: Option<Uuid>,
    /// 重复诉求: the appellant's closure in the same category, shortly before this appeal was
    /// filed, that this appeal repeats (a possible false closure)
    pub repeat_of: Option<Uuid>,
    pub repeat_of_tracking_no: Option<String>,
    pub return_count: i32,
    pub rehandle_count: i32,
    /// bumped by every change; send it back as `If-Match` to refuse acting on a stale view
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// in the pool: dispatch by then (2 working hours)
    pub dispatch_due_at: Option<DateTime<Utc>>,
    /// a running deadline has passed (催办 sent)
    pub overdue: bool,
    /// reporting: signed / replied by the deadline, working hours of handling (minutes)
    pub signed_on_time: Option<bool>,
    pub replied_on_time: Option<bool>,
    pub handling_working_minutes: Option<i32>,
    /// extension requests (延期), oldest first
    pub extensions: Vec<ExtensionRequestView>,
    /// follow-up: the current round (one per reply), the end of its window, whether the appeal
    /// closed unanswered, and a supervisor's reason for closing it without satisfaction
    pub follow_up_round: i32,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub closed_unrated: bool,
    pub close_reason: Option<String>,
    pub replies: Vec<ReplyView>,
    pub notes: Vec<NoteView>,
    pub follow_ups: Vec<FollowUpView>,
    /// the photos filed with the appeal, in the order sent (their bytes at `url`)
    pub photos: Vec<PhotoView>,
}

/// A photo filed with an appeal: what it is, not its bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    pub id: Uuid,
    /// image/jpeg, image/png or image/webp, found from the bytes
    pub content_type: String,
    pub byte_size: i32,
    /// hex SHA-256 of the bytes (also in the intake's audit event)
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// `GET` it with a staff token: `/api/v1/appeals/{id}/photos/{photo_id}`
    pub url: String,
}

impl From<crate::db::attachments::AttachmentMeta> for PhotoView {
    fn from(a: crate::db::attachments::AttachmentMeta) -> Self {
        PhotoView {
            url: format!("/api/v1/appeals/{}/photos/{}", a.appeal_id, a.id),
            id: a.id,
            content_type: a.content_type,
            byte_size: a.byte_size,
            sha256: a.sha256,
            created_at: a.created_at,
        }
    }
}

/// One extension request of an appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionRequestView {
    pub id: i64,
    pub department_code: String,
    pub reason: String,
    pub previous_due_at: DateTime<Utc>,
    pub requested_until: DateTime<Utc>,
    /// pending, approved, rejected, void
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One department's part of an appeal (主办 lead or 协办 co-handler).
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub department_code: String,
    /// lead or co
    pub role: String,
    pub assigned_at: DateTime<Utc>,
    /// the routing rule that assigned it, if a rule did
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub signed_at: Option<DateTime<Utc>>,
    /// a co-handler's first note to the lead (报到)
    pub reported_at: Option<DateTime<Utc>>,
    /// the clerk who has it, within the department
    pub assignee: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyView {
    pub id: i64,
    pub department_code: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: i64,
    /// public or internal
    pub visibility: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpView {
    pub id: i64,
    pub round: i32,
    /// staff or appellant
    pub source: String,
    pub contacted: bool,
    pub solved: bool,
    pub satisfaction: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct StaffParts {
    pub appeal: Appeal,
    pub co_department_codes: Vec<String>,
    pub assignments: Vec<AssignmentView>,
    pub contact: ContactView,
    pub replies: Vec<Reply>,
    pub notes: Vec<Note>,
    pub follow_ups: Vec<FollowUp>,
    pub extensions: Vec<crate::db::appeals::ExtensionRow>,
    pub repeat_of_tracking_no: Option<String>,
    pub photos: Vec<crate::db::attachments::AttachmentMeta>,
}

/// Whether a clock of the appeal in its current state is past its deadline.
fn is_overdue(a: &Appeal) -> bool {
    crate::deadlines::clocks_of(a)
        .iter()
        .any(|c| c.stage >= crate::domain::deadline::Stage::Overdue.level())
}

impl From<StaffParts> for StaffAppeal {
    fn from(p: StaffParts) -> Self {
        let a = p.appeal;
        let overdue = is_overdue(&a);
        let (visibility, name, phone, email, enterprise_name, credit_code) = match p.contact {
            ContactView::Full => (
                "full",
                Some(a.name),
                Some(a.phone),
                a.email,
                a.enterprise_name,
                a.credit_code,
            ),
            ContactView::Masked => (
                "masked",
                Some(mask_name(&a.name)),
                Some(mask_phone(&a.phone)),
                a.email.as_deref().map(mask_email),
                a.enterprise_name,
                a.credit_code,
            ),
            ContactView::Hidden => ("hidden", None, None, None, None, None),
        };
        StaffAppeal {
            follow_up_round: a.follow_up_round,
            follow_up_due_at: a.follow_up_due_at,
            closed_unrated: a.closed_unrated,
            close_reason: a.close_reason.clone(),
            dispatch_due_at: a.dispatch_due_at,
            overdue,
            signed_on_time: a.signed_on_time,
            replied_on_time: a.replied_on_time,
            handling_working_minutes: a.handling_working_minutes,
            extensions: p
                .extensions
                .into_iter()
                .map(|e| ExtensionRequestView {
                    id: e.id,
                    department_code: e.department_code,
                    reason: e.reason,
                    previous_due_at: e.previous_due_at,
                    requested_until: e.requested_until,
                    status: e.status,
                    decision_note: e.decision_note,
                    decided_at: e.decided_at,
                    created_at: e.created_at,
                })
                .collect(),
            id: a.id,
            tracking_no: a.tracking_no,
            status: a.status,
            appellant_kind: a.appellant_kind,
            kind: a.kind,
            channel: a.channel,
            title: a.title,
            content: a.content,
            category_code: a.category_code,
            division_code: a.division_code,
            address: a.address,
            latitude: a.latitude,
            longitude: a.longitude,
            contact_visibility: visibility.into(),
            name,
            phone,
            email,
            enterprise_name,
            credit_code,
            confidential: a.confidential,
            lead_department_code: a.lead_department_code,
            co_department_codes: p.co_department_codes,
            assignments: p.assignments,
            urgency: a.urgency,
            pool_reason: a.pool_reason,
            pool_detail: a.pool_detail,
            returned_by: a.returned_by,
            deadline_class: a.deadline_class,
            dispatched_at: a.dispatched_at,
            sign_due_at: a.sign_due_at,
            reply_due_at: a.reply_due_at,
            signed_at: a.signed_at,
            suspended_at: a.suspended_at,
            replied_at: a.replied_at,
            closed_at: a.closed_at,
            supervised: a.supervised,
            reject_disposition: a.reject_disposition,
            merged_into: a.merged_into,
            repeat_of: a.repeat_of,
            repeat_of_tracking_no: p.repeat_of_tracking_no,
            return_count: a.return_count,
            rehandle_count: a.rehandle_count,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            replies: p.replies.into_iter().map(ReplyView::from).collect(),
            notes: p
                .notes
                .into_iter()
                .map(|n| NoteView {
                    id: n.id,
                    visibility: n.visibility,
                    content: n.content,
                    created_at: n.created_at,
                })
                .collect(),
            follow_ups: p
                .follow_ups
                .into_iter()
                .map(|f| FollowUpView {
                    id: f.id,
                    round: f.round,
                    source: f.source,
                    contacted: f.contacted,
                    solved: f.solved,
                    satisfaction: f.satisfaction,
                    comment: f.comment,
                    created_at: f.created_at,
                })
                .collect(),
            photos: p.photos.into_iter().map(PhotoView::from).collect(),
        }
    }
}

impl From<Reply> for ReplyView {
    fn from(r: Reply) -> Self {
        ReplyView {
            id: r.id,
            department_code: r.department_code,
            content: r.content,
            created_at: r.created_at,
        }
    }
}

/// One line of a list (queue, pool): no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealSummary {
    pub id: Uuid,
    pub tracking_no: String,
    pub status: String,
    pub kind: String,
    pub channel: String,
    pub title: String,
    pub category_code: Option<String>,
    pub division_code: String,
    pub lead_department_code: Option<String>,
    /// in a queue: whether the department leads (lead) or co-handles (co)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_role: Option<String>,
    pub deadline_class: Option<String>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    /// in the pool: dispatch by then
    pub dispatch_due_at: Option<DateTime<Utc>>,
    /// a running deadline has passed
    pub overdue: bool,
    pub supervised: bool,
    pub confidential: bool,
    pub urgency: String,
    pub return_count: i32,
    /// in the pool: why it is there (no_rule, held_by_rule, returned) and the details
    pub pool_reason: Option<String>,
    pub pool_detail: Option<String>,
    pub returned_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl AppealSummary {
    pub fn of(a: Appeal, assignment_role: Option<String>) -> AppealSummary {
        let overdue = is_overdue(&a);
        AppealSummary {
            dispatch_due_at: a.dispatch_due_at,
            overdue,
            id: a.id,
            tracking_no: a.tracking_no,
            status: a.status,
            kind: a.kind,
            channel: a.channel,
            title: a.title,
            category_code: a.category_code,
            division_code: a.division_code,
            lead_department_code: a.lead_department_code,
            assignment_role,
            deadline_class: a.deadline_class,
            sign_due_at: a.sign_due_at,
            reply_due_at: a.reply_due_at,
            supervised: a.supervised,
            confidential: a.confidential,
            urgency: a.urgency,
            return_count: a.return_count,
            pool_reason: a.pool_reason,
            pool_detail: a.pool_detail,
            returned_by: a.returned_by,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// What intake answers: keep `tracking_no` and `access_code` to follow the appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Filed {
    pub id: Uuid,
    #[schema(example = "AS2026112204718263")]
    pub tracking_no: String,
    /// shown once; needed with the tracking number to see the appeal
    #[schema(example = "K7M2Q9XP")]
    pub access_code: String,
    pub status: String,
    pub lead_department_code: Option<String>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The appellant's view: status, public answers and a timeline; never a clerk's name or an
/// internal note.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppellantAppeal {
    pub tracking_no: String,
    pub status: String,
    pub kind: String,
    pub title: String,
    pub content: String,
    pub category_code: Option<String>,
    pub division_code: String,
    pub address: Option<String>,
    pub confidential: bool,
    pub lead_department_code: Option<String>,
    pub lead_department_name: Option<String>,
    /// a merged appeal follows its primary: the primary's tracking number, its status, and its
    /// public replies, which answer this appeal too
    pub merged_into_tracking_no: Option<String>,
    pub primary_status: Option<String>,
    pub primary_replies: Vec<PublicReply>,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub replies: Vec<PublicReply>,
    pub notes: Vec<PublicNote>,
    pub timeline: Vec<TimelineEntry>,
    /// while the department's answer awaits the appellant's rating: the signed link (web page)
    /// and its token for `POST /api/v1/follow-up/{token}`, valid until `follow_up_due_at`
    pub follow_up_url: Option<String>,
    pub follow_up_token: Option<String>,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    /// closed because nobody answered the follow-up in time
    pub closed_unrated: bool,
    /// how many photos were filed with the appeal
    pub photo_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReply {
    pub department_name: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicNote {
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// intake, dispatch, sign, return, suspend, resume, reply, follow_up, reject, merge, …
    pub action: String,
    pub status: Option<String>,
    pub at: DateTime<Utc>,
}

/// One audit event as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub seq: i32,
    pub actor_id: Option<Uuid>,
    pub actor_username: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl EventView {
    pub fn of(e: AuditEvent, actor_username: Option<String>) -> EventView {
        EventView {
            id: e.id,
            seq: e.seq,
            actor_id: e.actor_id,
            actor_username,
            actor_role: e.actor_role,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            details: e.details,
            created_at: e.created_at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}
