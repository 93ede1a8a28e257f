//! The appellant's follow-up (回访) through the signed link, and the hotline centre's list of
//! answers still missing (return visits).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::actions::FollowUpBody;
use super::json::JsonBody;
use super::now;
use super::views::{AppealSummary, PageOf};
use crate::auth::CentreStaff;
use crate::db::{self, appeals as q, reference, schema::appeals};
use crate::error::AppError;
use crate::startup::AppState;
use crate::workflow::{self, Answers};

/// What the link shows before the appellant answers: their matter and the answer to rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpForm {
    pub tracking_no: String,
    pub title: String,
    pub department_name: Option<String>,
    /// the department's latest answer
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub round: i32,
    pub expires_at: DateTime<Utc>,
    /// the five levels, best first
    #[schema(example = json!(["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"]))]
    pub satisfaction_levels: Vec<&'static str>,
}

/// What an answer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpDone {
    pub tracking_no: String,
    /// closed (thank you), or in_progress (sent back to the department: 重办)
    pub status: String,
    pub message: String,
}

/// Opens a follow-up link: the matter and the answer to rate. 400 for a tampered link, 410 once
/// it expired, 409 when already answered or no longer awaited.
#[utoipa::path(get, path = "/api/v1/follow-up/{token}", tag = "follow-up",
    params(("token" = String, Path, description = "from the e-mail or the tracking page")),
    responses((status = 200, body = FollowUpForm), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 410, body = crate::error::ErrorBody)))]
#[get("/follow-up/{token}")]
pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let wf = state.workflow.clone();
    let token = token.into_inner();
    let form = db::run(&state.pool, move |conn| {
        let (appeal, round, expires) = workflow::follow_up_link_appeal(conn, &wf, &token, now())?;
        let last = q::replies_of(conn, appeal.id)?.into_iter().last();
        let department_name = match appeal.lead_department_code.as_deref() {
            Some(code) => reference::find_department(conn, code)?.map(|d| d.name),
            None => None,
        };
        Ok(FollowUpForm {
            tracking_no: appeal.tracking_no,
            title: appeal.title,
            department_name,
            replied_at: last.as_ref().map(|r| r.created_at),
            reply: last.map(|r| r.content),
            round,
            expires_at: expires,
            satisfaction_levels: vec![
                "very_satisfied",
                "satisfied",
                "basically_satisfied",
                "dissatisfied",
                "very_dissatisfied",
            ],
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(form))
}

/// Answers the follow-up (no login): were you contacted by the department, is it solved, how
/// satisfied, and an optional comment. Solved and at least basically satisfied closes the appeal;
/// otherwise it goes back to the department (重办). Once per round.
#[utoipa::path(post, path = "/api/v1/follow-up/{token}", tag = "follow-up",
    params(("token" = String, Path, description = "from the e-mail or the tracking page")),
    request_body = FollowUpBody,
    responses((status = 200, body = FollowUpDone), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 410, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
#[post("/follow-up/{token}")]
pub async fn answer(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: JsonBody<FollowUpBody>,
) -> Result<HttpResponse, AppError> {
    let wf = state.workflow.clone();
    let token = token.into_inner();
    let b = body.value;
    let answers = Answers {
        contacted: b.contacted,
        solved: b.solved,
        satisfaction: b.satisfaction,
        comment: b.comment,
    };
    let appeal = db::run(&state.pool, move |conn| {
        workflow::answer_follow_up_link(conn, &wf, &token, &answers, now())
    })
    .await?;
    tracing::info!(tracking_no = %appeal.tracking_no, status = %appeal.status, "follow-up answered by the appellant");
    let message = if appeal.status == "closed" {
        "谢谢您的评价，诉求已办结。Thank you; the appeal is closed."
    } else {
        "谢谢，您的诉求已退回承办单位重新办理。Thank you; the appeal goes back to the department to be handled again."
    };
    Ok(HttpResponse::Ok().json(FollowUpDone {
        tracking_no: appeal.tracking_no,
        status: appeal.status,
        message: message.into(),
    }))
}

/// One resolved appeal whose follow-up is not answered yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwaitingFollowUp {
    #[serde(flatten)]
    pub appeal: AppealSummary,
    pub replied_at: Option<DateTime<Utc>>,
    pub follow_up_round: i32,
    /// the window closes then; unanswered, the appeal closes unrated
    pub follow_up_due_at: Option<DateTime<Utc>>,
}

/// Resolved appeals awaiting follow-up, oldest answer first: whom the centre should call
/// (回访) — record the call with `POST /api/v1/appeals/{id}/follow-up`.
#[utoipa::path(get, path = "/api/v1/follow-ups/awaiting", tag = "follow-up", params(super::Paging),
    responses((status = 200, body = PageOf<AwaitingFollowUp>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/follow-ups/awaiting")]
pub async fn awaiting(
    state: web::Data<AppState>,
    _centre: CentreStaff,
    paging: web::Query<super::Paging>,
) -> Result<HttpResponse, AppError> {
    let (page, per_page) = paging.into_inner().resolve()?;
    let list = db::run(&state.pool, move |conn| {
        let total: i64 = appeals::table
            .filter(appeals::status.eq("resolved"))
            .count()
            .get_result(conn)?;
        let rows: Vec<crate::db::models::Appeal> = appeals::table
            .filter(appeals::status.eq("resolved"))
            .order((appeals::replied_at.asc(), appeals::id.asc()))
            .limit(per_page)
            .offset((page - 1) * per_page)
            .select(crate::db::models::Appeal::as_select())
            .load(conn)?;
        Ok(PageOf {
            items: rows
                .into_iter()
                .map(|a| AwaitingFollowUp {
                    replied_at: a.replied_at,
                    follow_up_round: a.follow_up_round,
                    follow_up_due_at: a.follow_up_due_at,
                    appeal: AppealSummary::of(a, None),
                })
                .collect::<Vec<_>>(),
            page,
            per_page,
            total,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
