//! Staff accounts.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::models::User;
use super::schema::users;

pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The active account with this username and password, if any. An unknown username is checked
/// against a decoy hash, so the time taken tells nothing; a wrong username and a wrong password
/// look alike. Used by the API's login and the staff login page.
pub fn check_credentials(
    conn: &mut PgConnection,
    username: &str,
    given: &str,
) -> QueryResult<Option<User>> {
    let user = find_by_username(conn, username.trim())?;
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(crate::auth::password::decoy_hash());
    let ok = crate::auth::password::verify(given, stored);
    Ok(user.filter(|u| ok && u.active))
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub department_code: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::new_v4()),
            users::username.eq(new.username),
            users::password_hash.eq(new.password_hash),
            users::display_name.eq(new.display_name),
            users::role.eq(new.role),
            users::department_code.eq(new.department_code),
            users::active.eq(true),
            users::created_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(conn)
}

pub fn usernames(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load(conn)
}

/// Every account, by role and username.
/// A page of the accounts by role and username, and how many there are in all.
pub fn list(conn: &mut PgConnection, limit: i64, offset: i64) -> QueryResult<(Vec<User>, i64)> {
    let total = users::table.count().get_result(conn)?;
    let page = users::table
        .order((users::role.asc(), users::username.asc()))
        .limit(limit)
        .offset(offset)
        .select(User::as_select())
        .load(conn)?;
    Ok((page, total))
}

/// The account, locked against a concurrent edit.
pub fn lock_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn set_email(conn: &mut PgConnection, id: Uuid, email: Option<&str>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::email.eq(email))
        .execute(conn)
}

pub fn set_active(conn: &mut PgConnection, id: Uuid, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::active.eq(active))
        .execute(conn)
}

pub fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn set_role(
    conn: &mut PgConnection,
    id: Uuid,
    role: &str,
    department_code: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::department_code.eq(department_code),
        ))
        .execute(conn)
}

/// Active administrators, locked: two administrators demoting each other at once queue here,
/// so the last one is never removed.
pub fn lock_active_admins(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::active.eq(true))
        .select(users::id)
        .for_update()
        .load(conn)
}
