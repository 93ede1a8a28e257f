//! The database room: the r2d2 pool, embedded migrations, the one `run` helper that moves
//! blocking diesel off the async workers, and one module of queries per table group.

pub mod appeals;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod duplicates;
pub mod models;
pub mod open311;
pub mod reference;
pub mod repeats;
pub mod reports;
pub mod routing;
pub mod schema;
pub mod users;

use std::time::Duration;

use anyhow::Context;
use diesel::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Builds the pool without connecting: the service starts even while the database is down,
/// and `/readyz` tells.
pub fn build_pool(url: &str, size: u32, connect_timeout: Duration) -> anyhow::Result<PgPool> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(connect_timeout)
        .test_on_check_out(false)
        .build_unchecked(manager);
    Ok(pool)
}

/// Runs blocking diesel work on actix's blocking thread pool, with a pooled connection, inside
/// the caller's tracing span.
pub async fn run<T, F>(pool: &PgPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// Applies pending migrations; returns their names.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.iter().map(|m| m.to_string()).collect())
}

/// Connects once, outside any pool (CLI commands).
pub fn connect(url: &str) -> anyhow::Result<PgConnection> {
    use diesel::Connection;
    PgConnection::establish(url)
        .with_context(|| format!("connecting to the database at {}", redact_url(url)))
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Whether a diesel error is a unique violation on the named constraint.
pub fn is_unique_violation(e: &diesel::result::Error, constraint: &str) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(e, Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
        if info.constraint_name() == Some(constraint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://minxin:s3cret@db:5432/minxin"),
            "postgres://minxin@db:5432/minxin"
        );
        assert_eq!(redact_url("postgres://db/minxin"), "postgres://db/minxin");
    }
}
