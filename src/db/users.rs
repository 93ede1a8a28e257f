//! Staff accounts.

use chrono::{DateTime, Utc};
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

/// What a login attempt comes to (the API's login and the staff login page both ask).
#[derive(Debug)]
pub enum LoginCheck {
    Ok(User),
    /// wrong username or password, or an inactive account: one answer for all
    Wrong,
    /// too many wrong passwords in a row: locked until then, whatever the password
    Locked(DateTime<Utc>),
}

/// How long a lock set until `until` still holds at `now`: seconds (at least 1, for
/// Retry-After) and whole minutes rounded up (for the message).
pub fn lock_remaining(until: DateTime<Utc>, now: DateTime<Utc>) -> (u64, i64) {
    let secs = (until - now).num_seconds().max(1);
    (u64::try_from(secs).unwrap_or(1), (secs + 59) / 60)
}

/// Repeated wrong passwords lock an account: `after` in a row (0: never) for `minutes`.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub after: i16,
    pub minutes: i64,
}

/// Checks a password, counting wrong ones against the account. The password is verified even
/// for a locked or unknown account (against a decoy hash), so the time taken tells nothing.
pub fn check_login(
    conn: &mut PgConnection,
    username: &str,
    given: &str,
    lockout: Lockout,
    now: DateTime<Utc>,
) -> QueryResult<LoginCheck> {
    let user = find_by_username(conn, username.trim())?;
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(crate::auth::password::decoy_hash());
    let ok = crate::auth::password::verify(given, stored);
    let Some(user) = user else {
        return Ok(LoginCheck::Wrong);
    };
    let (failed, locked_until) = (user.failed_logins, user.locked_until);
    if let Some(until) = locked_until.filter(|t| *t > now) {
        return Ok(LoginCheck::Locked(until));
    }
    if ok && user.active {
        if failed > 0 || locked_until.is_some() {
            diesel::update(users::table.find(user.id))
                .set((
                    users::failed_logins.eq(0),
                    users::locked_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?;
        }
        return Ok(LoginCheck::Ok(user));
    }
    if ok || lockout.after <= 0 {
        // the right password of an inactive account is not a guess
        return Ok(LoginCheck::Wrong);
    }
    // counted in the database, so that concurrent guesses on several instances all count
    let failed: i16 = diesel::update(users::table.find(user.id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .returning(users::failed_logins)
        .get_result(conn)?;
    if failed >= lockout.after {
        let until = now + chrono::Duration::minutes(lockout.minutes);
        diesel::update(users::table.find(user.id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(Some(until)),
            ))
            .execute(conn)?;
        tracing::warn!(username = %user.username, until = %until, "account locked after repeated wrong passwords");
        return Ok(LoginCheck::Locked(until));
    }
    Ok(LoginCheck::Wrong)
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

/// Whether the account is active, and its session version: what a login token is checked
/// against on every request (None: no such account).
pub fn session_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<(bool, i32)>> {
    users::table
        .find(id)
        .select((users::active, users::session_version))
        .first(conn)
        .optional()
}

/// Deactivates or reactivates; ends the account's sessions either way.
pub fn set_active(conn: &mut PgConnection, id: Uuid, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::active.eq(active),
            users::session_version.eq(users::session_version + 1),
        ))
        .execute(conn)
}

/// A new password; ends the account's sessions.
pub fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::session_version.eq(users::session_version + 1),
        ))
        .execute(conn)
}

/// A new role and department; ends the account's sessions (their tokens name the old ones).
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
            users::session_version.eq(users::session_version + 1),
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
