//! Rules for reference data and staff accounts as administrators edit them: the shape of a
//! department code, a category code under its parent, a division code nested in its parent's
//! (行政区划 codes nest by prefix: 210300 鞍山市 › 210302 铁东区 › 210302001 解放街道 ›
//! 210302001001 东山社区), names, usernames, passwords, and which roles belong to a department.
//! The database CHECKs say the same; these say it first, naming the field.

use super::enums::Role;
use super::intake::FieldError;

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// The shortest password an account may have (`minxin user add` and the users page alike).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A name of 1 to `max` characters (after trimming), returned trimmed.
pub fn check_name(field: &'static str, name: &str, max: usize) -> Result<String, FieldError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > max {
        return Err(err(
            field,
            format!("{field} must have 1 to {max} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// 2 to 32 of lower-case letters, digits, `_`, `.` and `-` (e.g. `heating`, `street.jiefang`).
pub fn check_department_code(code: &str) -> Result<(), FieldError> {
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(err(
            "code",
            format!(
                "`{code}` is not a department code: 2 to 32 lower-case letters, digits, `_`, `.` or `-`"
            ),
        ))
    }
}

/// 2 to 64 of letters, digits, `_`, `.` and `-` (e.g. `clerk.heating`).
pub fn check_username(username: &str) -> Result<(), FieldError> {
    let ok = (2..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(err(
            "username",
            "a username has 2 to 64 letters, digits, `_`, `.` or `-`",
        ))
    }
}

pub fn check_password(password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(err(
            "password",
            format!("the password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A clerk (承办人) works for exactly one department; the hotline centre's roles may name the
/// centre's own department (the demo's `hotline`) or none.
pub fn check_role_department(role: Role, department: Option<&str>) -> Result<(), FieldError> {
    match (role, department) {
        (Role::Clerk, None) => Err(err("department", "a clerk needs a department")),
        _ => Ok(()),
    }
}

/// One segment of a category code: 1 to 8 letters or digits.
fn category_segment(s: &str) -> bool {
    (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A category code under `parent` (`03.01` → `03.01.07`), or a top-level one (`12`).
pub fn check_category_code(parent: Option<&str>, code: &str) -> Result<(), FieldError> {
    let (ok, expected) = match parent {
        None => (
            category_segment(code),
            "1 to 8 letters or digits, e.g. 12".to_owned(),
        ),
        Some(p) => (
            code.len() <= 32
                && code
                    .strip_prefix(p)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(category_segment),
            format!("the parent's code, a dot and 1 to 8 letters or digits, e.g. {p}.01"),
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(err(
            "code",
            format!("`{code}` is not a category code here: {expected}"),
        ))
    }
}

/// Names of the division levels.
pub fn division_level_name(level: i16) -> &'static str {
    match level {
        1 => "city",
        2 => "district",
        3 => "street",
        4 => "community",
        _ => "grid",
    }
}

/// The level of a new division `code` under `parent_code` (at `parent_level`), if the code nests
/// as the national scheme has it: a district or county keeps the first four digits of its city's
/// six (210300 › 210302); a street adds three digits to its district (210302001), a community
/// three to its street (210302001001), a grid three to its community.
pub fn check_division_child(
    parent_code: &str,
    parent_level: i16,
    code: &str,
) -> Result<i16, FieldError> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let refuse = |rule: String| Err(err("code", format!("`{code}` does not nest: {rule}")));
    if !digits(code) {
        return refuse("a division code has only digits".into());
    }
    match parent_level {
        1 => {
            let stem = parent_code.get(..4).unwrap_or(parent_code);
            if code.len() == 6 && code.starts_with(stem) && !code.ends_with("00") {
                Ok(2)
            } else {
                refuse(format!(
                    "a district under {parent_code} has six digits starting {stem}, not ending 00 (e.g. {stem}02)"
                ))
            }
        }
        2..=4 => {
            let expected = parent_code.len() + 3;
            if code.len() == expected && code.starts_with(parent_code) && !code.ends_with("000") {
                Ok(parent_level + 1)
            } else {
                refuse(format!(
                    "a {} under {parent_code} is its code and three more digits (e.g. {parent_code}001)",
                    division_level_name(parent_level + 1)
                ))
            }
        }
        _ => refuse(format!(
            "{parent_code} is a {}, the lowest level: it has no children",
            division_level_name(parent_level)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_codes_nest_as_the_national_scheme_has_it() {
        for (parent, level, code, expected) in [
            ("210300", 1, "210302", Some(2)),
            ("210300", 1, "210402", None),
            ("210300", 1, "210300", None),
            ("210300", 1, "2103021", None),
            ("210302", 2, "210302001", Some(3)),
            ("210302", 2, "210303001", None),
            ("210302", 2, "21030201", None),
            ("210302", 2, "210302000", None),
            ("210302001", 3, "210302001001", Some(4)),
            ("210302001001", 4, "210302001001007", Some(5)),
            ("210302001001007", 5, "210302001001007001", None),
            ("210302", 2, "21030200a", None),
        ] {
            assert_eq!(
                check_division_child(parent, level, code).ok(),
                expected,
                "{parent} › {code}"
            );
        }
    }

    #[test]
    fn category_codes_extend_their_parent_by_one_segment() {
        assert!(check_category_code(None, "12").is_ok());
        assert!(check_category_code(None, "12.01").is_err());
        assert!(check_category_code(Some("03.01"), "03.01.07").is_ok());
        assert!(check_category_code(Some("03.01"), "03.0107").is_err());
        assert!(check_category_code(Some("03.01"), "03.02.07").is_err());
        assert!(check_category_code(Some("03.01"), "03.01.").is_err());
        assert!(check_category_code(Some("03"), "03.01.02").is_err());
    }

    #[test]
    fn accounts_departments_and_names() {
        assert!(check_department_code("street.jiefang").is_ok());
        for bad in ["H", "Heating", "供热", "a b", &"x".repeat(33)] {
            assert_eq!(check_department_code(bad).map_err(|e| e.field), Err("code"));
        }
        assert!(check_username("clerk.heating").is_ok());
        assert!(check_username("x").is_err() && check_username("a b").is_err());
        assert!(check_password("12345678").is_ok() && check_password("1234567").is_err());
        assert!(check_role_department(Role::Clerk, Some("gas")).is_ok());
        assert!(check_role_department(Role::Clerk, None).is_err());
        assert!(check_role_department(Role::Admin, None).is_ok());
        assert!(check_role_department(Role::Dispatcher, Some("hotline")).is_ok());
        assert_eq!(
            check_name("name", "  供热公司 ", 100).as_deref(),
            Ok("供热公司")
        );
        assert!(check_name("name", "  ", 100).is_err());
        assert!(check_name("name", &"字".repeat(65), 64).is_err());
    }
}
