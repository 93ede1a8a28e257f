//! Prometheus metrics at `GET /metrics` (text format 0.0.4).
//!
//! Kept in the process: requests by route pattern, method and status, and their latency. Read
//! from the database at each scrape (a few indexed queries, one connection): open appeals by
//! state, overdue and escalated open appeals, the e-mail outbox's backlog and failures, and an
//! estimate of all appeals. Read from the pool: connections open, idle and allowed. Every
//! instance serves its own request figures; the database figures are the same from any.
//!
//! Labels never carry an id, a tracking number or anything personal: routes are patterns
//! (`/api/v1/appeals/{key}`), unmatched paths are `unmatched`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db;
use crate::startup::AppState;

/// The request figures of this process.
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl HttpMetrics {
    pub fn new() -> HttpMetrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "minxin_http_requests_total",
                "HTTP requests answered, by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("a valid counter");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "minxin_http_request_duration_seconds",
                "time to answer an HTTP request, by route pattern and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )
        .expect("a valid histogram");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        HttpMetrics {
            registry,
            requests,
            latency,
        }
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics::new()
    }
}

/// Middleware: counts and times every request by the pattern of the route that answered it.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    if let Some(m) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        m.observe(
            &route,
            &method,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

#[derive(QueryableByName)]
struct StateCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Backlog {
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    escalated: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    failing: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    estimate: i64,
}

/// What the database says, read at a scrape.
struct DbFigures {
    states: Vec<StateCount>,
    backlog: Backlog,
    /// rows in each partitioned table's default partition (months without a partition); None
    /// when they cannot be read (a database not migrated to 000014 yet), which leaves the
    /// gauge out rather than calling the database down
    unpartitioned: Option<Vec<(String, i64)>>,
}

fn read_db(conn: &mut PgConnection) -> QueryResult<DbFigures> {
    // the open states only: they are what an operator watches, and the partial index of open
    // appeals counts them without reading the closed millions. Overdue and escalated are the
    // reports' `overdue_open` (docs/METRICS.md): the stages the deadline scanner raised on the
    // clocks still running, so the gauge and the supervisor's report agree.
    let states = diesel::sql_query(
        "SELECT status, count(*) AS n FROM appeals \
         WHERE status IN ('submitted', 'dispatched', 'in_progress', 'suspended') GROUP BY status",
    )
    .load::<StateCount>(conn)?;
    let backlog = diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM appeals WHERE (status = 'dispatched' AND GREATEST(sign_stage, reply_stage) >= 2) \
              OR (status IN ('in_progress', 'suspended') AND reply_stage >= 2)) AS overdue, \
           (SELECT count(*) FROM appeals WHERE (status = 'dispatched' AND GREATEST(sign_stage, reply_stage) >= 3) \
              OR (status IN ('in_progress', 'suspended') AND reply_stage >= 3)) AS escalated, \
           o.pending, o.failing, o.oldest, \
           (SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'appeals'::regclass) AS estimate \
         FROM (SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS failing, \
                      min(created_at) AS oldest \
               FROM outbox WHERE sent_at IS NULL) o",
    )
    .get_result::<Backlog>(conn)?;
    // in a savepoint: its failure must not abort what the scrape reads besides
    let unpartitioned = conn.transaction(crate::partitions::default_rows).ok();
    Ok(DbFigures {
        states,
        backlog,
        unpartitioned,
    })
}

fn gauge(registry: &Registry, name: &str, help: &str, value: i64) {
    let g = IntGauge::new(name, help).expect("a valid gauge");
    g.set(value);
    registry.register(Box::new(g)).ok();
}

/// `GET /metrics`. With `[metrics] token` set, asks for it as a bearer token (403 otherwise).
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    http: web::Data<HttpMetrics>,
) -> HttpResponse {
    if let Some(token) = state.metrics_token.as_deref() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token) {
            return HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("metrics need the configured bearer token (metrics.token)\n");
        }
    }
    let scrape = Registry::new();
    let pool = state.pool.state();
    gauge(
        &scrape,
        "minxin_db_pool_connections",
        "database connections the pool holds",
        i64::from(pool.connections),
    );
    gauge(
        &scrape,
        "minxin_db_pool_idle_connections",
        "database connections idle in the pool",
        i64::from(pool.idle_connections),
    );
    gauge(
        &scrape,
        "minxin_db_pool_max_connections",
        "database connections the pool may open",
        i64::from(state.pool.max_size()),
    );
    gauge(
        &scrape,
        "minxin_db_pool_waiting_requests",
        "requests queued for a database connection (served first come, first served)",
        i64::try_from(state.pool.waiting()).unwrap_or(i64::MAX),
    );
    let read = db::run(&state.pool, |conn| Ok(read_db(conn)?)).await;
    gauge(
        &scrape,
        "minxin_db_up",
        "1 when the database answered this scrape",
        i64::from(read.is_ok()),
    );
    if let Ok(f) = read {
        let open = IntGaugeVec::new(
            Opts::new("minxin_appeals_open", "open appeals by state"),
            &["status"],
        )
        .expect("a valid gauge");
        for s in ["submitted", "dispatched", "in_progress", "suspended"] {
            let n = f.states.iter().find(|c| c.status == s).map_or(0, |c| c.n);
            open.with_label_values(&[s]).set(n);
        }
        scrape.register(Box::new(open)).ok();
        let waiting = IntGaugeVec::new(
            Opts::new(
                "minxin_partition_default_rows",
                format!(
                    "rows in a partitioned table's default partition: rows of months without a partition (should be 0; counted up to {})",
                    crate::partitions::DEFAULT_ROWS_CAP
                ),
            ),
            &["table"],
        )
        .expect("a valid gauge");
        if let Some(unpartitioned) = &f.unpartitioned {
            for (table, n) in unpartitioned {
                waiting.with_label_values(&[table.as_str()]).set(*n);
            }
            scrape.register(Box::new(waiting)).ok();
        }
        let b = f.backlog;
        gauge(
            &scrape,
            "minxin_appeals_overdue_open",
            "open appeals overdue on a running clock (the reports' overdue_open): dispatched past the sign or reply deadline, in progress or suspended past the reply deadline",
            b.overdue,
        );
        gauge(
            &scrape,
            "minxin_appeals_escalated_open",
            "open appeals whose running clock was escalated to supervisors (督办)",
            b.escalated,
        );
        gauge(
            &scrape,
            "minxin_appeals_estimate",
            "all appeals, as the planner's statistics estimate them",
            b.estimate,
        );
        gauge(
            &scrape,
            "minxin_outbox_pending",
            "e-mails not sent yet",
            b.pending,
        );
        gauge(
            &scrape,
            "minxin_outbox_failing",
            "e-mails not sent whose last attempt failed",
            b.failing,
        );
        gauge(
            &scrape,
            "minxin_outbox_oldest_pending_age_seconds",
            "how long the oldest unsent e-mail has waited (0: none waiting)",
            b.oldest
                .map_or(0, |t| (Utc::now() - t).num_seconds().max(0)),
        );
    }
    let mut families = http.registry.gather();
    families.extend(scrape.gather());
    let mut out = Vec::new();
    let encoder = TextEncoder::new();
    if encoder.encode(&families, &mut out).is_err() {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_pattern_method_and_status() {
        let m = HttpMetrics::new();
        m.observe("/api/v1/appeals", "POST", 201, 0.004);
        m.observe("/api/v1/appeals", "POST", 201, 0.2);
        m.observe("/api/v1/appeals", "POST", 422, 0.001);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .expect("encoded");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(
            "minxin_http_requests_total{method=\"POST\",route=\"/api/v1/appeals\",status=\"201\"} 2"
        ));
        assert!(text.contains(
            "minxin_http_requests_total{method=\"POST\",route=\"/api/v1/appeals\",status=\"422\"} 1"
        ));
        assert!(text.contains(
            "minxin_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/appeals\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "minxin_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/appeals\"} 3"
        ));
    }
}
