use crate::helpers::{spawn_app, spawn_app_with};
use diesel::RunQueryDsl;
use reqwest::StatusCode;

#[actix_web::test]
async fn health_ready_and_openapi_answer() {
    let app = spawn_app().await;

    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);

    let spec = app.get("/api/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    for path in [
        "/api/v1/appeals",
        "/api/v1/appeals/{id}/dispatch",
        "/api/v1/appeals/{id}/reply",
        "/api/v1/appeals/{id}/follow-up",
        "/api/v1/api-keys",
        "/api/v1/queue",
        "/api/v1/pool",
        "/api/v1/auth/login",
        "/api/v1/routing-rules",
        "/api/v1/routing-rules/{id}",
        "/api/v1/routing/explain",
        "/api/v1/routing/test-draft",
        "/api/v1/users/{username}/absence",
        "/api/v1/calendar",
        "/api/v1/calendar/days/{date}",
        "/api/v1/calendar/changes",
        "/api/v1/extensions",
        "/api/v1/follow-up/{token}",
        "/api/v1/follow-ups/awaiting",
        "/api/v1/appeals/{id}/duplicates",
        "/api/v1/repeats",
        "/api/v1/repeats/by-department",
        "/api/v1/reports/summary",
        "/api/v1/reports/ranking",
        "/api/v1/reports/hotspots",
    ] {
        assert!(
            spec.body["paths"].get(path).is_some(),
            "OpenAPI lacks {path}"
        );
    }
    let docs = app.send(app.client.get(app.url("/api/docs/"))).await;
    assert_eq!(docs.status, StatusCode::OK);
}

#[actix_web::test]
async fn readyz_says_unavailable_when_the_database_is_gone() {
    let app = spawn_app().await;
    // A second server whose pool points at nothing.
    let broken = minxin::db::build_pool(
        "postgres://nobody@127.0.0.1:1/nothing",
        1,
        std::time::Duration::from_secs(1),
    )
    .expect("pool builds without connecting");
    let mut settings = app.settings.clone();
    settings.server.bind = "127.0.0.1:0".into();
    let server = minxin::startup::Application::build(&settings, broken).expect("build");
    let address = format!("http://127.0.0.1:{}", server.port());
    actix_web::rt::spawn(server.run_until_stopped());

    let r = app.send(app.client.get(format!("{address}/readyz"))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "unavailable");
    // a filing meanwhile: 503 with Retry-After, so that a client retries (with its key)
    let r = app
        .send(
            app.client
                .post(format!("{address}/api/v1/appeals"))
                .header("Idempotency-Key", "outage-1")
                .json(&crate::helpers::citizen_appeal()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers["retry-after"], "2");
    let r = app.send(app.client.get(format!("{address}/healthz"))).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "liveness does not depend on the database"
    );
}

#[actix_web::test]
async fn unknown_routes_and_methods_get_the_json_error_shape() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");

    let r = app
        .send(app.client.delete(app.url("/api/v1/appeals")))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body["error"]["code"].is_string(), "{}", r.body);
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_read_the_backlog() {
    let app = spawn_app().await;
    let filed = app.file(&crate::helpers::citizen_appeal()).await;
    assert!(filed["tracking_no"].is_string());
    let r = app
        .get("/api/v1/appeals/AS0000000000000000?access_code=x", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // a second filing, dispatched, whose sign clock the scanner has found overdue (stage 2)
    let late = app.dispatched().await;
    diesel::sql_query(format!(
        "UPDATE appeals SET sign_stage = 2 WHERE id = '{late}'"
    ))
    .execute(&mut app.conn())
    .expect("mark overdue");
    let resp = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain")
    );
    let text = resp.text().await.expect("body");
    for needle in [
        "minxin_http_requests_total{method=\"POST\",route=\"/api/v1/appeals\",status=\"201\"} 2",
        "minxin_http_requests_total{method=\"GET\",route=\"/api/v1/appeals/{key}\",status=\"404\"} 1",
        "minxin_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/appeals\"} 2",
        "minxin_appeals_open{status=\"submitted\"} 1",
        "minxin_appeals_open{status=\"dispatched\"} 1",
        "minxin_appeals_overdue_open 1",
        "minxin_appeals_escalated_open 0",
        "minxin_db_up 1",
        "minxin_outbox_pending ",
        "minxin_db_pool_max_connections ",
        "minxin_db_pool_waiting_requests 0",
        "minxin_partition_default_rows{table=\"audit_events\"} 0",
        "minxin_partition_default_rows{table=\"report_cube\"} 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // no tracking number or other id in a label
    assert!(!text.contains(filed["tracking_no"].as_str().expect("no")));
    assert!(!text.contains("AS0000000000000000"));
}

#[actix_web::test]
async fn metrics_may_ask_for_a_token() {
    let app = spawn_app_with(|s| s.metrics.token = Some("scrape-secret".into())).await;
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/metrics", Some("scrape-secret")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_dropped_database_connection_is_a_503_to_retry_and_the_retry_files_once() {
    let app = spawn_app().await;
    // warm the pool, then have PostgreSQL drop every connection of the service (a restart)
    let r = app
        .post("/api/v1/appeals", &crate::helpers::citizen_appeal(), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let before = app.count("SELECT count(*) FROM appeals");
    let dropped = app.count(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = '{}' AND pid <> pg_backend_pid()",
        app.db_name
    ));
    assert!(dropped >= 1, "the service had connections");
    let mut statuses = Vec::new();
    // the first attempts may meet the dead connections; each is a 503 with Retry-After (never
    // a 500), and a retry with the same key files the appeal once
    for _ in 0..6 {
        let r = app
            .send(
                app.client
                    .post(app.url("/api/v1/appeals"))
                    .header("Idempotency-Key", "after-the-restart")
                    .json(&crate::helpers::citizen_appeal()),
            )
            .await;
        statuses.push(r.status.as_u16());
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.headers["retry-after"], "2");
            continue;
        }
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        break;
    }
    assert_eq!(statuses.last(), Some(&201), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM appeals"), before + 1);
}
