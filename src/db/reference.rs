//! Reference data: divisions, departments, categories.

use diesel::prelude::*;

use super::models::{Category, Department, Division};
use super::schema::{categories, departments, divisions};

pub fn list_divisions(conn: &mut PgConnection) -> QueryResult<Vec<Division>> {
    divisions::table
        .order(divisions::code.asc())
        .select(Division::as_select())
        .load(conn)
}

pub fn list_departments(
    conn: &mut PgConnection,
    include_inactive: bool,
) -> QueryResult<Vec<Department>> {
    let mut q = departments::table.into_boxed();
    if !include_inactive {
        q = q.filter(departments::active.eq(true));
    }
    q.order(departments::code.asc())
        .select(Department::as_select())
        .load(conn)
}

/// Every department's name by its code (inactive ones too: old appeals name them), for pages
/// that show a department rather than its code.
pub fn department_names(
    conn: &mut PgConnection,
) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(departments::table
        .select((departments::code, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn list_categories(conn: &mut PgConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .filter(categories::active.eq(true))
        .order(categories::code.asc())
        .select(Category::as_select())
        .load(conn)
}

pub fn division_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(divisions::table.find(code))).get_result(conn)
}

pub fn category_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        categories::table
            .find(code)
            .filter(categories::active.eq(true)),
    ))
    .get_result(conn)
}

pub fn find_department(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Department>> {
    departments::table
        .find(code)
        .select(Department::as_select())
        .first(conn)
        .optional()
}

// ---------------------------------------------------------------------------------------------
// Administration: the writes behind the administrators' pages (`crate::admin` wraps each in a
// transaction with its administrative audit event)
// ---------------------------------------------------------------------------------------------

/// A department as an administrator writes it.
pub struct DepartmentFields<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub division_code: &'a str,
    pub email: Option<&'a str>,
    pub active: bool,
    pub auto_assign: bool,
}

pub fn insert_department(
    conn: &mut PgConnection,
    code: &str,
    d: &DepartmentFields<'_>,
) -> QueryResult<Department> {
    diesel::insert_into(departments::table)
        .values((
            departments::code.eq(code),
            departments::name.eq(d.name),
            departments::kind.eq(d.kind),
            departments::division_code.eq(d.division_code),
            departments::email.eq(d.email),
            departments::active.eq(d.active),
            departments::auto_assign.eq(d.auto_assign),
            departments::created_at.eq(chrono::Utc::now()),
        ))
        .returning(Department::as_returning())
        .get_result(conn)
}

/// The department, locked against a concurrent edit.
pub fn lock_department(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Department>> {
    departments::table
        .find(code)
        .select(Department::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn update_department(
    conn: &mut PgConnection,
    code: &str,
    d: &DepartmentFields<'_>,
) -> QueryResult<Department> {
    diesel::update(departments::table.find(code))
        .set((
            departments::name.eq(d.name),
            departments::kind.eq(d.kind),
            departments::division_code.eq(d.division_code),
            departments::email.eq(d.email),
            departments::active.eq(d.active),
            departments::auto_assign.eq(d.auto_assign),
        ))
        .returning(Department::as_returning())
        .get_result(conn)
}

/// Every category, the inactive ones too, in code order (parents before their children).
pub fn all_categories(conn: &mut PgConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .order(categories::code.asc())
        .select(Category::as_select())
        .load(conn)
}

pub fn lock_category(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Category>> {
    categories::table
        .find(code)
        .select(Category::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn insert_category(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    parent_code: Option<&str>,
) -> QueryResult<Category> {
    diesel::insert_into(categories::table)
        .values((
            categories::code.eq(code),
            categories::name.eq(name),
            categories::parent_code.eq(parent_code),
            categories::active.eq(true),
        ))
        .returning(Category::as_returning())
        .get_result(conn)
}

pub fn rename_category(conn: &mut PgConnection, code: &str, name: &str) -> QueryResult<usize> {
    diesel::update(categories::table.find(code))
        .set(categories::name.eq(name))
        .execute(conn)
}

pub fn set_category_active(
    conn: &mut PgConnection,
    code: &str,
    active: bool,
) -> QueryResult<usize> {
    diesel::update(categories::table.find(code))
        .set(categories::active.eq(active))
        .execute(conn)
}

/// The codes of a category's active children.
pub fn active_children_of(conn: &mut PgConnection, code: &str) -> QueryResult<Vec<String>> {
    categories::table
        .filter(categories::parent_code.eq(code))
        .filter(categories::active.eq(true))
        .order(categories::code.asc())
        .select(categories::code)
        .load(conn)
}

pub fn find_division(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Division>> {
    divisions::table
        .find(code)
        .select(Division::as_select())
        .first(conn)
        .optional()
}

pub fn lock_division(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Division>> {
    divisions::table
        .find(code)
        .select(Division::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn insert_division(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    parent_code: &str,
    level: i16,
) -> QueryResult<Division> {
    diesel::insert_into(divisions::table)
        .values((
            divisions::code.eq(code),
            divisions::name.eq(name),
            divisions::parent_code.eq(parent_code),
            divisions::level.eq(level),
        ))
        .returning(Division::as_returning())
        .get_result(conn)
}

pub fn rename_division(conn: &mut PgConnection, code: &str, name: &str) -> QueryResult<usize> {
    diesel::update(divisions::table.find(code))
        .set(divisions::name.eq(name))
        .execute(conn)
}
