//! Repeat appeals (重复诉求): an appellant back in the same category soon after a closure of
//! theirs. Found at intake, listed and counted for supervisors.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::appeals::Page;
use super::schema::appeals;
use crate::domain::duplicates;
use crate::domain::enums::AppellantKind;
use crate::domain::intake::ValidIntake;

/// Who filed, as far as recognising them again goes.
#[derive(Debug, Clone, Copy)]
pub enum Appellant<'a> {
    /// a natural person, known by the phone number
    Citizen { phone: &'a str },
    /// an enterprise, known by its unified social credit code
    Enterprise { credit_code: &'a str },
}

/// A closed appeal a new one may repeat.
#[derive(Debug, Clone, QueryableByName)]
pub struct Closure {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub tracking_no: String,
}

/// The most recent appeal of `appellant` in `category` that was closed (not rejected, not
/// merged) between `since` and `now`. One lookup on `appeals_phone_category_idx` or
/// `appeals_credit_category_idx`.
pub fn latest_closure(
    conn: &mut PgConnection,
    appellant: Appellant<'_>,
    category: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<Option<Closure>> {
    let (sql, key) = match appellant {
        Appellant::Citizen { phone } => (
            "SELECT id, tracking_no::text AS tracking_no FROM appeals \
             WHERE phone = $1 AND category_code = $2 AND closed_at >= $3 AND closed_at <= $4 \
               AND status = 'closed' AND appellant_kind = 'citizen' \
             ORDER BY closed_at DESC LIMIT 1",
            phone,
        ),
        // the column is CHAR(18): compare as such, or the index is not used
        Appellant::Enterprise { credit_code } => (
            "SELECT id, tracking_no::text AS tracking_no FROM appeals \
             WHERE credit_code = $1::bpchar AND category_code = $2 \
               AND closed_at >= $3 AND closed_at <= $4 AND status = 'closed' \
             ORDER BY closed_at DESC LIMIT 1",
            credit_code,
        ),
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<Text, _>(category)
        .bind::<Timestamptz, _>(since)
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
        .optional()
}

/// The closure a new appeal repeats, if any: the appellant's (by phone for a citizen, by credit
/// code for an enterprise) latest closure in the appeal's category within the repeat window
/// before `now`. None for an appeal without a category.
pub fn closure_repeated_by(
    conn: &mut PgConnection,
    intake: &ValidIntake,
    now: DateTime<Utc>,
) -> QueryResult<Option<Closure>> {
    let Some(category) = intake.category_code.as_deref() else {
        return Ok(None);
    };
    let credit_code = intake.credit_code.as_ref().map(|c| c.to_string());
    let appellant = match (intake.appellant_kind, credit_code.as_deref()) {
        (AppellantKind::Enterprise, Some(credit_code)) => Appellant::Enterprise { credit_code },
        _ => Appellant::Citizen {
            phone: &intake.phone,
        },
    };
    latest_closure(
        conn,
        appellant,
        category,
        duplicates::repeat_window_start(now),
        now,
    )
}

/// The tracking number of an appeal.
pub fn tracking_no_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
    appeals::table
        .find(id)
        .select(appeals::tracking_no)
        .first(conn)
        .optional()
}

/// One repeat appeal and the closure it casts doubt on. No personal data.
#[derive(Debug, Clone, Queryable)]
pub struct RepeatRow {
    pub id: Uuid,
    pub tracking_no: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub category_code: Option<String>,
    pub closed_id: Uuid,
    pub closed_tracking_no: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_lead_department_code: Option<String>,
}

/// The repeat appeals, newest first.
pub fn list(conn: &mut PgConnection, limit: i64, offset: i64) -> QueryResult<Page<RepeatRow>> {
    let closed = diesel::alias!(appeals as closed);
    let total = appeals::table
        .filter(appeals::repeat_of.is_not_null())
        .count()
        .get_result(conn)?;
    let items = appeals::table
        .inner_join(closed.on(closed.field(appeals::id).nullable().eq(appeals::repeat_of)))
        .order((appeals::created_at.desc(), appeals::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((
            appeals::id,
            appeals::tracking_no,
            appeals::status,
            appeals::created_at,
            appeals::category_code,
            closed.field(appeals::id),
            closed.field(appeals::tracking_no),
            closed.field(appeals::closed_at),
            closed.field(appeals::lead_department_code),
        ))
        .load(conn)?;
    Ok(Page { items, total })
}

/// Repeats counted against the department whose closure they doubt.
#[derive(Debug, Clone, QueryableByName)]
pub struct DepartmentCount {
    #[diesel(sql_type = Text)]
    pub department_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub department_name: Option<String>,
    /// repeat appeals, each matter once (a repeat merged into another appeal is not counted)
    #[diesel(sql_type = BigInt)]
    pub repeats: i64,
    /// distinct closures in doubt
    #[diesel(sql_type = BigInt)]
    pub closures: i64,
}

/// Per lead department of the doubted closure, most repeats first.
pub fn by_department(conn: &mut PgConnection) -> QueryResult<Vec<DepartmentCount>> {
    diesel::sql_query(
        "SELECT c.lead_department_code::text AS department_code, d.name::text AS department_name, \
                count(*) AS repeats, count(DISTINCT c.id) AS closures \
         FROM appeals r \
         JOIN appeals c ON c.id = r.repeat_of \
         LEFT JOIN departments d ON d.code = c.lead_department_code \
         WHERE r.repeat_of IS NOT NULL AND r.status <> 'merged' \
           AND c.lead_department_code IS NOT NULL \
         GROUP BY c.lead_department_code, d.name \
         ORDER BY repeats DESC, department_code",
    )
    .load(conn)
}
