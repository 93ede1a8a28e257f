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
