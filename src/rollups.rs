//! The report rollups' background folder: every `reports.fold_interval_secs` it moves the log of
//! changes (written by triggers as appeals change) into the per-day cube. Reports are exact
//! without it — they read the cube and the log together — but the log would grow and reports
//! slow down. Several instances may run it: one folds at a time, the others skip the round.

use std::time::Duration;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::AppError;
use crate::worker::{Worker, spawn_periodic};

pub fn spawn_folder(settings: &Settings, pool: PgPool) -> Option<Worker> {
    let every = settings.reports.fold_interval_secs;
    if every == 0 {
        tracing::info!("report folder off (reports.fold_interval_secs = 0)");
        return None;
    }
    tracing::info!(interval_secs = every, "report folder started");
    Some(spawn_periodic(
        "report-folder",
        Duration::from_secs(every),
        move || {
            let result = pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| Ok(db::reports::fold(&mut conn)?));
            match result {
                Ok(n) if n > 0 => tracing::debug!(folded = n, "report changes folded"),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "folding report changes failed; the next round retries")
                }
            }
        },
    ))
}
