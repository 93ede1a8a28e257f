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

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// The r2d2 pool behind a first-come, first-served gate.
///
/// r2d2 hands a returned connection to whichever thread asks next, so under load a request can
/// lose the race again and again while newer ones pass it: the slowest answers (p99) grow long
/// although the rate is the same. Requests therefore queue on a fair async semaphore with one
/// permit per connection before they take a blocking thread and a connection, and are served in
/// arrival order; while they wait they hold no thread. The gate and the connection together wait
/// no longer than `connect_timeout`, after which the caller gets 503. Background workers and the
/// command line take connections straight from the pool (it derefs to r2d2's [`Pool`]).
#[derive(Clone)]
pub struct PgPool {
    pool: Pool<ConnectionManager<PgConnection>>,
    gate: Arc<Semaphore>,
    /// requests waiting at the gate
    queued: Arc<AtomicUsize>,
    wait: Duration,
}

impl Deref for PgPool {
    type Target = Pool<ConnectionManager<PgConnection>>;

    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

impl PgPool {
    /// Requests queued at the gate for a connection right now.
    pub fn waiting(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Waits for this request's turn, for at most `connect_timeout`.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, AppError> {
        // counted while waiting, also when the request is dropped meanwhile (client gone)
        struct Queued<'a>(&'a AtomicUsize);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let _queued = Queued(&self.queued);
        match tokio::time::timeout(self.wait, self.gate.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // the gate is never closed: the wait ran out, every connection stayed busy or broken
            _ => Err(AppError::no_connection("no connection came free in time")),
        }
    }
}

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
    Ok(PgPool {
        pool,
        gate: Arc::new(Semaphore::new(size as usize)),
        queued: Arc::new(AtomicUsize::new(0)),
        wait: connect_timeout,
    })
}

/// Runs blocking diesel work on actix's blocking thread pool, with a pooled connection, inside
/// the caller's tracing span; callers are served in arrival order (see [`PgPool`]).
pub async fn run<T, F>(pool: &PgPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let started = Instant::now();
    let permit = pool.turn().await?;
    let left = pool.wait.saturating_sub(started.elapsed());
    let pool = pool.pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let _permit = permit;
        let mut conn = pool.get_timeout(left.max(MIN_CONNECT_WAIT))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// What a request that took its turn at the gate late still gets to find or open a connection.
const MIN_CONNECT_WAIT: Duration = Duration::from_millis(250);

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
