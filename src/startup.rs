//! Building and running the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, json::BodyLimit, openapi::ApiDoc};
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::PgPool;
use crate::telemetry::RequestSpan;
use crate::workflow::Workflow;

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    /// where the reports read: a replica's pool when `database.read_database_url` is set, else
    /// the same pool
    pub report_pool: PgPool,
    pub workflow: Workflow,
    /// photos on the filing form: how many, how large
    pub photos: crate::domain::photo::PhotoLimits,
    /// the body limit of everything but photos (a multipart filing may add the photos' bytes)
    pub body_limit_bytes: usize,
    /// what /open311/v2/ serves
    pub open311: crate::open311::Open311Settings,
    /// the bearer token `/metrics` asks for, when one is set
    pub metrics_token: Option<String>,
    /// repeated wrong passwords lock an account
    pub lockout: crate::db::users::Lockout,
    /// accounts lately found good for their tokens
    pub accounts: crate::auth::accounts::AccountChecks,
}

impl AppState {
    pub fn new(settings: &Settings, pool: PgPool) -> AppState {
        let report_pool = settings
            .database
            .read_database_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .and_then(|url| {
                crate::db::build_pool(
                    url,
                    settings.database.pool_size,
                    Duration::from_secs(settings.database.connect_timeout_secs),
                )
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "read_database_url unusable: reports read the primary")
                })
                .ok()
            })
            .unwrap_or_else(|| pool.clone());
        AppState {
            report_pool,
            pool,
            workflow: workflow_from(settings),
            photos: settings.photos,
            body_limit_bytes: settings.server.body_limit_bytes,
            open311: settings.open311.clone(),
            metrics_token: settings
                .metrics
                .token
                .clone()
                .filter(|t| !t.trim().is_empty()),
            accounts: crate::auth::accounts::AccountChecks::new(Duration::from_secs(
                settings.auth.account_check_secs,
            )),
            lockout: crate::db::users::Lockout {
                after: settings.auth.lockout_after,
                minutes: settings.auth.lockout_minutes,
            },
        }
    }
}

pub fn workflow_from(settings: &Settings) -> Workflow {
    Workflow {
        deadlines: settings.deadlines.clone(),
        default_class: settings.lifecycle.default_deadline_class,
        calendar: Default::default(),
        public_url: settings.email.public_url.clone(),
        follow_up_window: chrono::Duration::days(settings.follow_up.window_days),
        reports: crate::workflow::Reporting {
            weights: settings.reports.weights,
            max_period_days: settings.reports.max_period_days,
            counted_round: match settings.follow_up.counted_round {
                crate::config::CountedRound::Latest => crate::db::reports::Round::Latest,
                crate::config::CountedRound::First => crate::db::reports::Round::First,
            },
        },
        access_secret: settings.auth.access_code_secret.as_bytes().to_vec(),
        rules: Default::default(),
    }
}

/// A bound, not yet running server; binding to port 0 picks a free port (tests).
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(settings: &Settings, pool: PgPool) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("binding {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(settings, pool));
        let keys = web::Data::new(JwtKeys::new(
            &settings.auth.jwt_secret,
            &settings.auth.issuer,
            settings.auth.token_ttl_minutes,
        ));
        // cookies are `Secure` outside development (browsers accept them from 127.0.0.1 and
        // localhost over plain HTTP too, so tests keep them)
        let pages = web::Data::new(crate::web::Pages::new(
            settings.environment != crate::config::Environment::Development,
        ));
        let limit = settings.server.body_limit_bytes;
        let openapi = ApiDoc::openapi();
        // one set of request figures for all the workers of this instance
        let http_metrics = web::Data::new(crate::metrics::HttpMetrics::new());
        let limiter = web::Data::new(crate::limits::Limiter::new(&settings.limits));
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(crate::limits::guard))
                .app_data(limiter.clone())
                .wrap(api::error_shape())
                .wrap(TracingLogger::<RequestSpan>::new())
                // outermost: counts every request with the status it finally got
                .wrap(actix_web::middleware::from_fn(crate::metrics::track))
                .app_data(http_metrics.clone())
                .route("/metrics", web::get().to(crate::metrics::serve))
                .app_data(state.clone())
                .app_data(keys.clone())
                .app_data(web::Data::new(BodyLimit(limit)))
                .app_data(web::PayloadConfig::new(limit))
                .app_data(api::query_config())
                .app_data(api::path_config())
                .configure(api::configure)
                .configure(crate::open311::configure)
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi.clone()),
                )
                // the pages last, in a scope of their own for their security headers (Swagger
                // UI above needs inline script, which the pages' policy forbids)
                .app_data(pages.clone())
                .service(
                    web::scope("")
                        .wrap(crate::web::security_headers())
                        .configure(crate::web::configure),
                )
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30));
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT/SIGTERM, then stops accepting and lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
