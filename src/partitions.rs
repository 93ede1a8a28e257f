//! Monthly partitions of the audit log (`audit_events`, by the UTC month of `created_at`) and
//! the report cube (`report_cube`, by the month of `day`), migration 000014.
//!
//! A row of a month without a partition lands in the table's DEFAULT partition, so no write
//! fails for want of one; but the months should exist before their rows arrive. The service
//! creates the current month's and the next `database.partition_months_ahead` months' partitions
//! when it starts and every `database.partition_upkeep_secs` after ([`spawn_upkeep`]); bulk loads
//! create the months they load ([`ensure_months`], from `crate::bulk`); operators use
//! `minxin partitions list|ensure`. Creating a month that the default partition holds rows of
//! moves those rows into it (SQL `partition_month`).

use std::time::Duration;

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use crate::config::Settings;
use crate::db::PgPool;
use crate::error::AppError;
use crate::worker::{Worker, spawn_periodic};

/// The tables partitioned by month.
pub const TABLES: [&str; 2] = ["audit_events", "report_cube"];

/// Creates the partitions of both tables for every month from `from`'s to `to`'s (inclusive)
/// that does not have one; returns the names of those it created, in one transaction. With
/// `lock_wait`, gives up (an error) rather than wait longer for the locks: attaching a partition
/// briefly locks the default partition, which every read across months touches, and a creator
/// waiting behind a long read would hold up the writes queued behind it.
pub fn ensure_months(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    lock_wait: Option<Duration>,
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Created {
        #[diesel(sql_type = Text)]
        name: String,
    }
    conn.transaction(|conn| {
        if let Some(wait) = lock_wait {
            diesel::sql_query(format!(
                "SET LOCAL lock_timeout = {}",
                wait.as_millis().max(1)
            ))
            .execute(conn)?;
        }
        let created = diesel::sql_query("SELECT partitions_ensure($1, $2) AS name")
            .bind::<Date, _>(from)
            .bind::<Date, _>(to)
            .load::<Created>(conn)?;
        Ok(created.into_iter().map(|c| c.name).collect())
    })
}

/// The first day of the month `months` after `day`'s.
pub fn months_after(day: NaiveDate, months: u32) -> NaiveDate {
    let first = day.with_day(1).expect("every month has a first day");
    first
        .checked_add_months(Months::new(months))
        .unwrap_or(first)
}

/// What the service keeps: this month (UTC) and the next `ahead`.
pub fn upkeep(conn: &mut PgConnection, ahead: u32) -> QueryResult<Vec<String>> {
    let today = Utc::now().date_naive();
    ensure_months(
        conn,
        today,
        months_after(today, ahead),
        Some(Duration::from_secs(2)),
    )
}

/// One partition, as `minxin partitions list` shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct PartitionInfo {
    #[diesel(sql_type = Text)]
    pub table_name: String,
    #[diesel(sql_type = Text)]
    pub partition: String,
    /// `FOR VALUES FROM (…) TO (…)` or `DEFAULT`
    #[diesel(sql_type = Text)]
    pub bounds: String,
    /// the planner's estimate (after ANALYZE), or None before the first
    #[diesel(sql_type = Nullable<BigInt>)]
    pub rows_estimate: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
}

/// Every partition of the partitioned tables, in name order (months in order, then default).
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<PartitionInfo>> {
    diesel::sql_query(
        "SELECT p.relname::text AS table_name, c.relname::text AS partition, \
                pg_get_expr(c.relpartbound, c.oid) AS bounds, \
                CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS rows_estimate, \
                pg_total_relation_size(c.oid) AS bytes \
         FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent \
         WHERE p.relname = ANY($1) AND p.relnamespace = 'public'::regnamespace \
         ORDER BY p.relname, c.relname",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(TABLES.to_vec())
    .load(conn)
}

/// [`default_rows`] counts up to this, so that asking stays cheap whatever piles up there.
pub const DEFAULT_ROWS_CAP: i64 = 100_000;

/// How many rows each table's default partition holds, up to [`DEFAULT_ROWS_CAP`]: rows of
/// months without a partition (none, when the upkeep runs and loads create their months).
pub fn default_rows(conn: &mut PgConnection) -> QueryResult<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    TABLES
        .iter()
        .map(|t| {
            let n = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM (SELECT 1 FROM {t}_default LIMIT {DEFAULT_ROWS_CAP}) d"
            ))
            .get_result::<Count>(conn)?
            .n;
            Ok((t.to_string(), n))
        })
        .collect()
}

/// The service's partition keeper: [`upkeep`] now and every `database.partition_upkeep_secs`
/// (0 turns it off). Any number of instances may run it (the SQL takes an advisory lock; a
/// month that exists is left alone). A round that cannot get its locks within two seconds
/// gives up and the next one retries — months are made `partition_months_ahead` in advance.
pub fn spawn_upkeep(settings: &Settings, pool: PgPool) -> Option<Worker> {
    let every = settings.database.partition_upkeep_secs;
    if every == 0 {
        tracing::info!("partition upkeep off (database.partition_upkeep_secs = 0)");
        return None;
    }
    let ahead = settings.database.partition_months_ahead;
    Some(spawn_periodic(
        "partitions",
        Duration::from_secs(every),
        move || {
            let mut conn = match pool.get() {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %AppError::from(e), "partition upkeep: no database connection; the next round retries");
                    return;
                }
            };
            match upkeep(&mut conn, ahead) {
                Ok(created) if !created.is_empty() => {
                    tracing::info!(partitions = ?created, "monthly partitions created")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = %e,
                    "creating the coming months' partitions failed; the next round retries"
                ),
            }
            // rows in a default partition are rows of months nobody made: say so each round
            if let Ok(waiting) = default_rows(&mut conn) {
                for (table, rows) in waiting.into_iter().filter(|(_, n)| *n > 0) {
                    tracing::warn!(
                        table,
                        rows,
                        "rows of months without a partition wait in the default partition; \
                         `minxin partitions list` shows them, `minxin partitions ensure --from \
                         YYYY-MM --to YYYY-MM` moves them into their months"
                    );
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn months_after_lands_on_the_first_of_the_month() {
        assert_eq!(months_after(day("2026-12-31"), 0), day("2026-12-01"));
        assert_eq!(months_after(day("2026-12-31"), 1), day("2027-01-01"));
        assert_eq!(months_after(day("2026-01-31"), 1), day("2026-02-01"));
        assert_eq!(months_after(day("2026-11-15"), 14), day("2028-01-01"));
    }
}
