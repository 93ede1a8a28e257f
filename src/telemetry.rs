//! Logging: `RUST_LOG` filters (default `info`); `MINXIN_LOG_FORMAT=json` for machine-readable lines.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // colours only for a person at a terminal, not in files or collectors
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second call (tests) is harmless: the first subscriber stays.
    let _ = if std::env::var("MINXIN_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The per-request span and access-log line. The span carries the path without the query
/// string: an appellant's `?access_code=…` must not end up in the logs.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %uuid::Uuid::new_v4().simple(),
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                if status >= 500 {
                    tracing::error!(status, "request failed");
                } else {
                    tracing::info!(status, "request done");
                }
            }
            Err(error) => tracing::warn!(%error, "request failed"),
        }
    }
}
