//! Auto-assignment inside a department (optional per department): the active, present clerk
//! with the fewest open appeals takes the new one; ties go by username so the order is stable.
//! The counts are kept per clerk in `clerk_load` by triggers (migration 13), so picking reads
//! one row per clerk of the department, however many appeals they have had.

use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::departments;
use crate::error::AppError;

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    username: String,
}

/// The clerk to give a new appeal of `department`, or None when the department does not
/// auto-assign or has no clerk present. For auto-assigning departments it locks the department
/// row, so concurrent dispatches to one department count each other's assignments.
pub fn least_loaded_clerk(
    conn: &mut PgConnection,
    department: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    let auto: Option<bool> = departments::table
        .find(department)
        .select(departments::auto_assign)
        .first(conn)
        .optional()?;
    if auto != Some(true) {
        return Ok(None);
    }
    // Only auto-assigning departments take the lock, so other dispatches never queue here.
    departments::table
        .find(department)
        .select(departments::code)
        .for_update()
        .first::<String>(conn)?;
    let pick: Option<Candidate> = diesel::sql_query(
        "SELECT u.id, u.username::text AS username \
         FROM users u \
         LEFT JOIN clerk_load l ON l.user_id = u.id \
         WHERE u.department_code = $1 AND u.role = 'clerk' AND u.active AND NOT u.absent \
         ORDER BY coalesce(l.open_appeals, 0), u.username \
         LIMIT 1",
    )
    .bind::<Text, _>(department)
    .get_result(conn)
    .optional()?;
    Ok(pick.map(|c| (c.id, c.username)))
}
