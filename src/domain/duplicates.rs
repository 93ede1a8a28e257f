//! The same matter twice, in its two forms:
//!
//! - a **duplicate** (重复件): another appellant's appeal about one matter. A dispatcher merges it
//!   into a primary (合并), and from then on it follows the primary; reports count the matter once.
//! - a **repeat** (重复诉求): the same appellant back in the same category soon after a closure of
//!   theirs — a possible false closure (虚假办结) by the department that closed it.
//!
//! Only the numbers and the wording live here; the queries are in `db::duplicates` and
//! `db::repeats`.

use chrono::{DateTime, Duration, Utc};

/// pg_trgm `similarity` of `title || ' ' || content` at or above which another appeal is offered
/// as a probable duplicate. Lower than pg_trgm's own default (0.3): two residents describe one
/// burst pipe in different words, and the dispatcher decides anyway.
pub const DUPLICATE_SIMILARITY_THRESHOLD: f64 = 0.2;

/// At most this many suggestions, most similar first.
pub const DUPLICATE_LIMIT: i64 = 10;

/// A closed appeal stays a candidate this many days after its closure: a new appeal about a
/// matter just closed is often the same matter.
pub const DUPLICATE_CLOSED_WITHIN_DAYS: i64 = 30;

/// A new appeal filed within this many days after a closure of the same appellant (phone for a
/// citizen, credit code for an enterprise) in the same category is a repeat (DESIGN.md §1).
pub const REPEAT_WINDOW_DAYS: i64 = 7;

/// Closed appeals closed at or after this instant are still duplicate candidates.
pub fn duplicate_closed_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(DUPLICATE_CLOSED_WITHIN_DAYS)
}

/// A closure at or after this instant makes a new appeal a repeat of it.
pub fn repeat_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(REPEAT_WINDOW_DAYS)
}

/// Why an appeal that others are merged into cannot itself be merged into `primary_tracking_no`:
/// the others would follow an appeal that follows another (a chain), and their appellants would
/// be told nothing. `None` when nothing is merged into it.
pub fn merge_chain_refusal(merged_into_it: i64, primary_tracking_no: &str) -> Option<String> {
    let others = match merged_into_it {
        n if n <= 0 => return None,
        1 => "1 appeal is merged into this one".to_owned(),
        n => format!("{n} appeals are merged into this one"),
    };
    Some(format!(
        "{others}; an appeal that others follow cannot itself be merged (that would make a chain of merges): \
         merge {primary_tracking_no} into this one instead"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_reach_back_the_stated_days() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(
            repeat_window_start(now),
            Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0)
                .single()
                .expect("instant")
        );
        assert_eq!(
            duplicate_closed_since(now),
            Utc.with_ymd_and_hms(2026, 10, 24, 9, 0, 0)
                .single()
                .expect("instant")
        );
    }

    #[test]
    fn a_chain_is_refused_with_the_count_and_the_way_out() {
        assert_eq!(merge_chain_refusal(0, "AS2026112300000001"), None);
        let one = merge_chain_refusal(1, "AS2026112300000001").expect("refused");
        assert!(
            one.starts_with("1 appeal is merged into this one;"),
            "{one}"
        );
        assert!(
            one.ends_with("merge AS2026112300000001 into this one instead"),
            "{one}"
        );
        let three = merge_chain_refusal(3, "AS2026112300000001").expect("refused");
        assert!(
            three.starts_with("3 appeals are merged into this one;"),
            "{three}"
        );
    }
}
