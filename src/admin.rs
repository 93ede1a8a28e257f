//! The administrators' use cases for reference data and staff accounts, each one transaction:
//! the change and its event in the administrative audit chain (`admin_events`, the same
//! `db::calendar::append_admin_event` the calendar's API uses) commit together or not at all.
//! Changes the routing table's directory depends on (departments, divisions) bump the routing
//! version in the same transaction, so every instance recompiles its rule book
//! (`rulebook::RuleBook`) before it routes again. Bad input is a 422 naming the field; a code or
//! username already taken is one too, never a 500. Routing rules and the working calendar have
//! their use cases beside their API handlers (`api::routing`, `api::calendar`), shared with the
//! pages.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use serde_json::json;

use crate::api::now;
use crate::auth::Claims;
use crate::db::calendar::append_admin_event;
use crate::db::models::{Category, Department, Division, User};
use crate::db::{reference as store, routing, users};
use crate::domain::enums::{DepartmentKind, Role};
use crate::domain::intake::{FieldError, validate_email};
use crate::domain::reference as rules;
use crate::error::AppError;

fn field(e: FieldError) -> AppError {
    AppError::invalid(e.field, e.message)
}

/// Writes one event of the administrative chain in the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    by: &Claims,
    subject: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    append_admin_event(
        conn,
        Some(by.sub),
        by.role.as_str(),
        subject,
        action,
        &details,
        now(),
    )?;
    Ok(())
}

/// A unique key taken by a concurrent insert (after our own check said it was free) is the
/// same refusal as the check's, never a 500.
fn taken(e: DbError, field: &'static str, message: String) -> AppError {
    match e {
        DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AppError::invalid(field, message)
        }
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// 承办单位
// ---------------------------------------------------------------------------------------------

/// A department as typed on the form.
#[derive(Debug, Clone)]
pub struct DepartmentInput {
    pub name: String,
    pub kind: String,
    pub division_code: String,
    pub email: Option<String>,
    pub active: bool,
    pub auto_assign: bool,
}

fn check_department(
    conn: &mut PgConnection,
    input: &DepartmentInput,
) -> Result<(String, &'static str), AppError> {
    let name = rules::check_name("name", &input.name, 100).map_err(field)?;
    let kind: DepartmentKind = input.kind.parse().map_err(|_| {
        AppError::invalid(
            "kind",
            format!("`{}` is not a kind of department", input.kind),
        )
    })?;
    if !store::division_exists(conn, &input.division_code)? {
        return Err(AppError::invalid(
            "division_code",
            format!("no division `{}`", input.division_code),
        ));
    }
    if let Some(email) = &input.email {
        validate_email(email).map_err(|e| AppError::invalid("email", e.message))?;
    }
    Ok((name, kind.as_str()))
}

fn department_json(d: &Department) -> serde_json::Value {
    json!({
        "code": d.code, "name": d.name, "kind": d.kind, "division_code": d.division_code,
        "email": d.email, "active": d.active, "auto_assign": d.auto_assign,
    })
}

pub fn add_department(
    conn: &mut PgConnection,
    by: &Claims,
    code: &str,
    input: &DepartmentInput,
) -> Result<Department, AppError> {
    rules::check_department_code(code).map_err(field)?;
    conn.transaction(|conn| {
        let (name, kind) = check_department(conn, input)?;
        let duplicate = || format!("a department with the code `{code}` exists already");
        if store::find_department(conn, code)?.is_some() {
            return Err(AppError::invalid("code", duplicate()));
        }
        let fields = store::DepartmentFields {
            name: &name,
            kind,
            division_code: &input.division_code,
            email: input.email.as_deref(),
            active: input.active,
            auto_assign: input.auto_assign,
        };
        let saved = store::insert_department(conn, code, &fields)
            .map_err(|e| taken(e, "code", duplicate()))?;
        record(
            conn,
            by,
            "department",
            "created",
            json!({"after": department_json(&saved)}),
        )?;
        // a street office or district government is in the routing directory
        routing::bump_version(conn)?;
        Ok(saved)
    })
}

pub fn edit_department(
    conn: &mut PgConnection,
    by: &Claims,
    code: &str,
    input: &DepartmentInput,
) -> Result<Department, AppError> {
    conn.transaction(|conn| {
        let before = store::lock_department(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no department `{code}`")))?;
        let (name, kind) = check_department(conn, input)?;
        if before.active && !input.active {
            let naming = rules_naming(conn, code)?;
            if !naming.is_empty() {
                return Err(AppError::invalid(
                    "active",
                    format!(
                        "routing rules send appeals to `{code}`: {}; change or switch them off first",
                        naming.join(", ")
                    ),
                ));
            }
        }
        let fields = store::DepartmentFields {
            name: &name,
            kind,
            division_code: &input.division_code,
            email: input.email.as_deref(),
            active: input.active,
            auto_assign: input.auto_assign,
        };
        let after = store::update_department(conn, code, &fields)?;
        record(
            conn,
            by,
            "department",
            "changed",
            json!({"before": department_json(&before), "after": department_json(&after)}),
        )?;
        routing::bump_version(conn)?;
        Ok(after)
    })
}

/// The enabled rules that name the department as lead or co-handler.
fn rules_naming(conn: &mut PgConnection, code: &str) -> Result<Vec<String>, AppError> {
    use crate::domain::routing::LeadTarget;
    Ok(routing::current_rules(conn)?
        .iter()
        .filter(|row| row.enabled)
        .filter_map(crate::rulebook::rule_of)
        .filter(|r| {
            matches!(&r.action.lead, Some(LeadTarget::Department { code: c }) if c == code)
                || r.action.co_departments.iter().any(|c| c == code)
        })
        .map(|r| format!("#{} {}", r.id, r.name))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// 问题分类
// ---------------------------------------------------------------------------------------------

pub fn add_category(
    conn: &mut PgConnection,
    by: &Claims,
    parent: Option<&str>,
    code: &str,
    name: &str,
) -> Result<Category, AppError> {
    let name = rules::check_name("name", name, 64).map_err(field)?;
    rules::check_category_code(parent, code).map_err(field)?;
    conn.transaction(|conn| {
        if let Some(p) = parent {
            let parent_row = store::lock_category(conn, p)?
                .ok_or_else(|| AppError::NotFound(format!("no category `{p}`")))?;
            if !parent_row.active {
                return Err(AppError::invalid(
                    "code",
                    format!("`{p}` is inactive: activate it before adding under it"),
                ));
            }
        }
        let duplicate = || format!("a category with the code `{code}` exists already");
        if store::lock_category(conn, code)?.is_some() {
            return Err(AppError::invalid("code", duplicate()));
        }
        let saved = store::insert_category(conn, code, &name, parent)
            .map_err(|e| taken(e, "code", duplicate()))?;
        record(
            conn,
            by,
            "category",
            "created",
            json!({"code": code, "name": name, "parent_code": parent}),
        )?;
        Ok(saved)
    })
}

pub fn rename_category(
    conn: &mut PgConnection,
    by: &Claims,
    code: &str,
    name: &str,
) -> Result<(), AppError> {
    let name = rules::check_name("name", name, 64).map_err(field)?;
    conn.transaction(|conn| {
        let before = store::lock_category(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no category `{code}`")))?;
        store::rename_category(conn, code, &name)?;
        record(
            conn,
            by,
            "category",
            "renamed",
            json!({"code": code, "before": before.name, "after": name}),
        )
    })
}

/// Switches a category on or off. A category with active children is not switched off (the
/// children would be offered under a parent no one can choose): they are switched off first,
/// one by one, so that nothing disappears from the form by surprise. Likewise a child is not
/// switched on under an inactive parent.
pub fn set_category_active(
    conn: &mut PgConnection,
    by: &Claims,
    code: &str,
    active: bool,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let before = store::lock_category(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no category `{code}`")))?;
        if before.active == active {
            return Ok(());
        }
        if !active {
            let children = store::active_children_of(conn, code)?;
            if !children.is_empty() {
                return Err(AppError::invalid(
                    "active",
                    format!(
                        "`{code}` has active subcategories ({}); deactivate them first",
                        children.join(", ")
                    ),
                ));
            }
        } else if let Some(p) = &before.parent_code
            && !store::lock_category(conn, p)?.is_some_and(|c| c.active)
        {
            return Err(AppError::invalid(
                "active",
                format!("its parent `{p}` is inactive; activate the parent first"),
            ));
        }
        store::set_category_active(conn, code, active)?;
        record(
            conn,
            by,
            "category",
            if active { "activated" } else { "deactivated" },
            json!({"code": code}),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// 行政区划
// ---------------------------------------------------------------------------------------------

pub fn add_division(
    conn: &mut PgConnection,
    by: &Claims,
    parent: &str,
    code: &str,
    name: &str,
) -> Result<Division, AppError> {
    let name = rules::check_name("name", name, 64).map_err(field)?;
    conn.transaction(|conn| {
        let parent_row = store::lock_division(conn, parent)?
            .ok_or_else(|| AppError::NotFound(format!("no division `{parent}`")))?;
        let level = rules::check_division_child(parent, parent_row.level, code).map_err(field)?;
        let duplicate = || format!("a division with the code `{code}` exists already");
        if store::find_division(conn, code)?.is_some() {
            return Err(AppError::invalid("code", duplicate()));
        }
        let saved = store::insert_division(conn, code, &name, parent, level)
            .map_err(|e| taken(e, "code", duplicate()))?;
        record(
            conn,
            by,
            "division",
            "created",
            json!({"code": code, "name": name, "parent_code": parent, "level": level}),
        )?;
        // the routing directory holds the division tree
        routing::bump_version(conn)?;
        Ok(saved)
    })
}

pub fn rename_division(
    conn: &mut PgConnection,
    by: &Claims,
    code: &str,
    name: &str,
) -> Result<(), AppError> {
    let name = rules::check_name("name", name, 64).map_err(field)?;
    conn.transaction(|conn| {
        let before = store::lock_division(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no division `{code}`")))?;
        store::rename_division(conn, code, &name)?;
        record(
            conn,
            by,
            "division",
            "renamed",
            json!({"code": code, "before": before.name, "after": name}),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Staff accounts
// ---------------------------------------------------------------------------------------------

/// A new account as typed on the form.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    pub department: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

fn role_of(raw: &str) -> Result<Role, AppError> {
    raw.parse()
        .map_err(|_| AppError::invalid("role", format!("`{raw}` is not a role")))
}

/// The role's department rule, and the department exists and is active.
fn check_department_of(
    conn: &mut PgConnection,
    role: Role,
    department: Option<&str>,
) -> Result<(), AppError> {
    rules::check_role_department(role, department).map_err(field)?;
    if let Some(code) = department {
        crate::workflow::require_active_department(conn, code, "department")?;
    }
    Ok(())
}

fn user_json(u: &User) -> serde_json::Value {
    json!({
        "username": u.username, "display_name": u.display_name, "role": u.role,
        "department_code": u.department_code, "active": u.active,
    })
}

/// Creates an account with the same rules and the same argon2 hashing as `minxin user add`.
pub fn add_user(
    conn: &mut PgConnection,
    by: &Claims,
    input: &AccountInput,
) -> Result<User, AppError> {
    let username = input.username.trim();
    rules::check_username(username).map_err(field)?;
    let display_name = match input.display_name.as_deref() {
        Some(n) => rules::check_name("display_name", n, 64).map_err(field)?,
        None => username.to_owned(),
    };
    let role = role_of(&input.role)?;
    if let Some(email) = &input.email {
        validate_email(email).map_err(|e| AppError::invalid("email", e.message))?;
    }
    rules::check_password(&input.password).map_err(field)?;
    let duplicate = || format!("a user named `{username}` exists already");
    check_department_of(conn, role, input.department.as_deref())?;
    if users::find_by_username(conn, username)?.is_some() {
        return Err(AppError::invalid("username", duplicate()));
    }
    let hash = crate::auth::password::hash(&input.password)?;
    conn.transaction(|conn| {
        check_department_of(conn, role, input.department.as_deref())?;
        let user = users::insert(
            conn,
            &users::NewUser {
                username,
                password_hash: &hash,
                display_name: &display_name,
                role: role.as_str(),
                department_code: input.department.as_deref(),
            },
        )
        .map_err(|e| taken(e, "username", duplicate()))?;
        if let Some(email) = &input.email {
            users::set_email(conn, user.id, Some(email))?;
        }
        record(
            conn,
            by,
            "user",
            "created",
            json!({"after": user_json(&user), "email": input.email}),
        )?;
        Ok(user)
    })
}

fn locked_user(conn: &mut PgConnection, username: &str) -> Result<User, AppError> {
    users::lock_by_username(conn, username)?
        .ok_or_else(|| AppError::NotFound(format!("no user `{username}`")))
}

/// Refuses a change that would leave no active administrator (the admins are locked first).
fn keep_an_admin(conn: &mut PgConnection, losing: &User) -> Result<(), AppError> {
    let admins = users::lock_active_admins(conn)?;
    if losing.role == "admin" && losing.active && admins.iter().all(|id| *id == losing.id) {
        return Err(AppError::invalid(
            "active",
            format!(
                "`{}` is the last active administrator; make another one first",
                losing.username
            ),
        ));
    }
    Ok(())
}

/// Deactivates (no more logins) or reactivates an account. An administrator cannot deactivate
/// themselves, and the last active administrator stays.
pub fn set_user_active(
    conn: &mut PgConnection,
    by: &Claims,
    username: &str,
    active: bool,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let before = locked_user(conn, username)?;
        if before.active == active {
            return Ok(());
        }
        if !active {
            if before.id == by.sub {
                return Err(AppError::invalid(
                    "active",
                    "you cannot deactivate your own account",
                ));
            }
            keep_an_admin(conn, &before)?;
        }
        users::set_active(conn, before.id, active)?;
        record(
            conn,
            by,
            "user",
            if active { "reactivated" } else { "deactivated" },
            json!({"username": before.username}),
        )
    })
}

/// Sets a new password (the same rules and hashing as an account's first one).
pub fn reset_password(
    conn: &mut PgConnection,
    by: &Claims,
    username: &str,
    password: &str,
) -> Result<(), AppError> {
    rules::check_password(password).map_err(field)?;
    let hash = crate::auth::password::hash(password)?;
    conn.transaction(|conn| {
        let user = locked_user(conn, username)?;
        users::set_password_hash(conn, user.id, &hash)?;
        // the event says that it happened, never what the password is
        record(
            conn,
            by,
            "user",
            "password_reset",
            json!({"username": user.username}),
        )
    })
}

/// Changes an account's role and department (a clerk needs one; the centre's roles may name one or none). The last
/// active administrator keeps the role.
pub fn change_role(
    conn: &mut PgConnection,
    by: &Claims,
    username: &str,
    role: &str,
    department: Option<&str>,
) -> Result<(), AppError> {
    let role = role_of(role)?;
    conn.transaction(|conn| {
        let before = locked_user(conn, username)?;
        if before.id == by.sub {
            return Err(AppError::invalid("role", "you cannot change your own role"));
        }
        // the form sent back unchanged: nothing to record, and the account's sessions run on
        if before.role == role.as_str() && before.department_code.as_deref() == department {
            return Ok(());
        }
        check_department_of(conn, role, department)?;
        if role != Role::Admin {
            keep_an_admin(conn, &before).map_err(|e| match e {
                AppError::Unprocessable { message, .. } => AppError::invalid("role", message),
                other => other,
            })?;
        }
        users::set_role(conn, before.id, role.as_str(), department)?;
        record(
            conn,
            by,
            "user",
            "role_changed",
            json!({
                "username": before.username,
                "before": {"role": before.role, "department_code": before.department_code},
                "after": {"role": role.as_str(), "department_code": department},
            }),
        )
    })
}
