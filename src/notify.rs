//! Who is told what, and when: each function queues e-mail in the outbox inside the caller's
//! transaction (so a message exists exactly when the change that caused it committed). Nobody
//! gets more personal data than they need: departments and supervisors get the matter and its
//! deadlines, never the appellant's contact details; the appellant gets their own matter.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::Appeal;
use crate::db::reference;
use crate::db::schema::{categories, departments, divisions, users};
use crate::domain::calendar::Calendar;
use crate::domain::deadline::{Clock, ClockKind, Stage};
use crate::mail::outbox::enqueue;
use crate::mail::templates::{Clock as MailClock, Links, Notice};
use crate::workflow::Workflow;

fn mail_clock(kind: ClockKind) -> MailClock {
    match kind {
        ClockKind::Dispatch => MailClock::Dispatch,
        ClockKind::Sign => MailClock::Sign,
        ClockKind::Reply => MailClock::Reply,
    }
}

fn links(wf: &Workflow) -> Links {
    Links::new(&wf.public_url)
}

fn department(
    conn: &mut PgConnection,
    code: Option<&str>,
) -> QueryResult<Option<(String, Option<String>)>> {
    let Some(code) = code else { return Ok(None) };
    Ok(reference::find_department(conn, code)?.map(|d| (d.name, d.email)))
}

/// The hotline centre's addresses (the pool's deadlines are theirs).
fn centre_addresses(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let list: Vec<Option<String>> = departments::table
        .filter(departments::kind.eq("hotline_centre"))
        .filter(departments::active.eq(true))
        .select(departments::email)
        .load(conn)?;
    Ok(list.into_iter().flatten().collect())
}

/// Active supervisors with an address.
fn supervisor_addresses(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let list: Vec<Option<String>> = users::table
        .filter(users::role.eq("supervisor"))
        .filter(users::active.eq(true))
        .select(users::email)
        .load(conn)?;
    Ok(list.into_iter().flatten().collect())
}

/// 受理回执 to the appellant, when they gave an address.
pub fn receipt(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
) -> QueryResult<()> {
    let Some(email) = appeal.email.as_deref() else {
        return Ok(());
    };
    let notice = Notice::receipt(appeal, &links(wf));
    enqueue(
        conn,
        email,
        &notice,
        cal.tz(),
        Some(appeal.id),
        appeal.created_at,
    )
    .map(drop)
}

/// 派单通知 to the lead department's address.
pub fn dispatched(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let Some((department_name, Some(email))) =
        department(conn, appeal.lead_department_code.as_deref())?
    else {
        return Ok(());
    };
    let category_name = match appeal.category_code.as_deref() {
        Some(code) => categories::table
            .find(code)
            .select(categories::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let division_name = divisions::table
        .find(&appeal.division_code)
        .select(divisions::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| appeal.division_code.clone());
    let Some(notice) = Notice::dispatched(
        appeal,
        category_name,
        division_name,
        department_name,
        &links(wf),
    ) else {
        return Ok(());
    };
    enqueue(conn, &email, &notice, cal.tz(), Some(appeal.id), now).map(drop)
}

/// Addresses looked up once per deadline scan rather than once per alarm.
#[derive(Default)]
pub struct AddressBook {
    departments: std::collections::HashMap<String, Option<(String, Option<String>)>>,
    supervisors: Option<Vec<String>>,
    centre: Option<Vec<String>>,
}

impl AddressBook {
    fn department(
        &mut self,
        conn: &mut PgConnection,
        code: Option<&str>,
    ) -> QueryResult<Option<(String, Option<String>)>> {
        let Some(code) = code else { return Ok(None) };
        if let Some(known) = self.departments.get(code) {
            return Ok(known.clone());
        }
        let found = department(conn, Some(code))?;
        self.departments.insert(code.to_owned(), found.clone());
        Ok(found)
    }

    fn supervisors(&mut self, conn: &mut PgConnection) -> QueryResult<Vec<String>> {
        if self.supervisors.is_none() {
            self.supervisors = Some(supervisor_addresses(conn)?);
        }
        Ok(self.supervisors.clone().unwrap_or_default())
    }

    fn centre(&mut self, conn: &mut PgConnection) -> QueryResult<Vec<String>> {
        if self.centre.is_none() {
            self.centre = Some(centre_addresses(conn)?);
        }
        Ok(self.centre.clone().unwrap_or_default())
    }
}

/// A deadline alarm: warning and overdue to the department (the pool's to the hotline centre),
/// escalation to the supervisors.
#[allow(clippy::too_many_arguments)]
pub fn alarm(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    book: &mut AddressBook,
    appeal: &Appeal,
    clock: &Clock,
    stage: Stage,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let lead = match clock.kind {
        ClockKind::Dispatch => None,
        _ => book.department(conn, appeal.lead_department_code.as_deref())?,
    };
    let department_name = lead.as_ref().map(|(name, _)| name.clone());
    let recipients: Vec<String> = match (stage, clock.kind) {
        (Stage::Escalated, _) => book.supervisors(conn)?,
        (_, ClockKind::Dispatch) => book.centre(conn)?,
        _ => lead.and_then(|(_, email)| email).into_iter().collect(),
    };
    if recipients.is_empty() {
        return Ok(());
    }
    let (tracking_no, title, clock_kind, due_at, staff_url) = (
        appeal.tracking_no.clone(),
        appeal.title.clone(),
        mail_clock(clock.kind),
        clock.due_at,
        links(wf).staff_appeal(appeal.id),
    );
    let notice = match stage {
        Stage::Warning => Notice::Warning {
            tracking_no,
            title,
            department_name,
            clock: clock_kind,
            due_at,
            staff_url,
        },
        Stage::Overdue => Notice::Overdue {
            tracking_no,
            title,
            department_name,
            clock: clock_kind,
            due_at,
            staff_url,
        },
        Stage::Escalated => Notice::Escalated {
            tracking_no,
            title,
            department_name,
            clock: clock_kind,
            due_at,
            staff_url,
        },
    };
    for to in recipients {
        enqueue(conn, &to, &notice, cal.tz(), Some(appeal.id), at)?;
    }
    Ok(())
}

/// 答复通知 to the appellant, when they gave an address.
pub fn replied(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let Some(email) = appeal.email.as_deref() else {
        return Ok(());
    };
    let department_name = department(conn, appeal.lead_department_code.as_deref())?
        .map(|(name, _)| name)
        .unwrap_or_default();
    let notice = Notice::replied(
        appeal,
        department_name,
        wf.follow_up_url(appeal),
        &links(wf),
    );
    enqueue(conn, email, &notice, cal.tz(), Some(appeal.id), now).map(drop)
}

/// 延期 approved: the appellant is told the new reply date.
pub fn extension_approved(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    reply_due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let Some(email) = appeal.email.as_deref() else {
        return Ok(());
    };
    let notice = Notice::ExtensionDecided {
        tracking_no: appeal.tracking_no.clone(),
        title: appeal.title.clone(),
        approved: true,
        reply_due_at,
        track_url: links(wf).track(&appeal.tracking_no),
    };
    enqueue(conn, email, &notice, cal.tz(), Some(appeal.id), now).map(drop)
}

/// 答复 of a primary, to the appellants of the appeals merged into it (each with an address):
/// a merged appeal follows its primary, so its appellant gets the primary's answer, on the
/// tracking page of their own appeal. Called with the reply, in its transaction.
pub fn replied_to_merged(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    primary: &Appeal,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let followers = crate::db::duplicates::merged_with_email(conn, primary.id)?;
    if followers.is_empty() {
        return Ok(());
    }
    let department_name = department(conn, primary.lead_department_code.as_deref())?
        .map(|(name, _)| name)
        .unwrap_or_default();
    let links = links(wf);
    for merged in &followers {
        let Some(email) = merged.email.as_deref() else {
            continue;
        };
        // no follow-up link: the merged appeal is not rated; the primary is
        let notice = Notice::replied(merged, department_name.clone(), None, &links);
        enqueue(conn, email, &notice, cal.tz(), Some(merged.id), now)?;
    }
    Ok(())
}

/// 重办: the lead department is told the appeal is back, and by when to answer again.
pub fn rehandle(
    conn: &mut PgConnection,
    wf: &Workflow,
    cal: &Calendar,
    appeal: &Appeal,
    reply_due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let Some((department_name, Some(email))) =
        department(conn, appeal.lead_department_code.as_deref())?
    else {
        return Ok(());
    };
    let notice = Notice::Rehandle {
        tracking_no: appeal.tracking_no.clone(),
        title: appeal.title.clone(),
        department_name,
        round: appeal.follow_up_round.max(1),
        reply_due_at,
        staff_url: links(wf).staff_appeal(appeal.id),
    };
    enqueue(conn, &email, &notice, cal.tz(), Some(appeal.id), now).map(drop)
}
