use crate::helpers::{citizen_appeal, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[actix_web::test]
async fn a_resident_files_and_tracks_an_appeal() {
    let app = spawn_app().await;
    let filed = app.file(&citizen_appeal()).await;
    let tracking_no = filed["tracking_no"].as_str().expect("tracking_no");
    let code = filed["access_code"].as_str().expect("access_code");
    assert_eq!(filed["status"], "submitted");
    assert!(
        tracking_no.starts_with("AS") && tracking_no.len() == 18,
        "{tracking_no}"
    );

    let view = app
        .get(
            &format!("/api/v1/appeals/{tracking_no}?access_code={code}"),
            None,
        )
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["title"], "小区暖气不热");
    assert_eq!(view.body["timeline"][0]["action"], "intake");

    // The database holds the appeal, one audit event, and no access code in clear.
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM appeals WHERE access_code_hash LIKE '%{code}%'"
        )),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'intake'"),
        1
    );
}

#[actix_web::test]
async fn a_wrong_access_code_or_number_finds_nothing() {
    let app = spawn_app().await;
    let filed = app.file(&citizen_appeal()).await;
    let tracking_no = filed["tracking_no"].as_str().expect("tracking_no");
    let wrong_code = app
        .get(
            &format!("/api/v1/appeals/{tracking_no}?access_code=WRONG234"),
            None,
        )
        .await;
    let wrong_number = app
        .get(
            &format!(
                "/api/v1/appeals/AS2026010100000000?access_code={}",
                filed["access_code"].as_str().unwrap_or("")
            ),
            None,
        )
        .await;
    assert_eq!(wrong_code.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong_number.status, StatusCode::NOT_FOUND);
    assert_eq!(
        wrong_code.body, wrong_number.body,
        "no oracle for which part was wrong"
    );
    let no_code = app
        .get(&format!("/api/v1/appeals/{tracking_no}"), None)
        .await;
    assert_eq!(no_code.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn an_enterprise_files_with_a_valid_credit_code() {
    let app = spawn_app().await;
    let mut body = citizen_appeal();
    body["appellant_kind"] = json!("enterprise");
    body["enterprise_name"] = json!("鞍山某某机械有限公司");
    body["credit_code"] = json!("91110000802100433B");
    let filed = app.file(&body).await;
    assert_eq!(filed["status"], "submitted");
    assert_eq!(
        app.count("SELECT count(*) FROM appeals WHERE credit_code = '91110000802100433B'"),
        1
    );
}

#[actix_web::test]
async fn the_same_idempotency_key_and_body_returns_the_first_answer() {
    let app = spawn_app().await;
    let send = |body: Value, key: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/appeals"))
            .header("Idempotency-Key", key)
            .json(&body);
        app.send(req)
    };
    let first = send(citizen_appeal(), "retry-7f3a").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // Same document, keys in another order: the same request.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string(&citizen_appeal()).expect("json"))
            .expect("json");
    let second = send(reordered, "retry-7f3a").await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(
        second.body, first.body,
        "the first answer, access code included"
    );
    assert_eq!(
        second
            .headers
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap_or("")),
        Some("true")
    );
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), 1);

    // The replayed access code works.
    let view = app.appellant_view(&second.body).await;
    assert_eq!(view.status, StatusCode::OK);

    let mut other = citizen_appeal();
    other["title"] = json!("另一件事");
    let reused = send(other, "retry-7f3a").await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.error_code(), "idempotency_key_reused");
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 1);
}

#[actix_web::test]
async fn concurrent_retries_with_one_key_create_one_appeal() {
    let app = spawn_app().await;
    let requests = (0..8).map(|_| {
        let req = app
            .client
            .post(app.url("/api/v1/appeals"))
            .header("Idempotency-Key", "burst-1")
            .json(&citizen_appeal());
        app.send(req)
    });
    let replies = futures_util::future::join_all(requests).await;
    let ids: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["id"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry answers the same appeal");
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 1);
}

#[actix_web::test]
async fn bad_input_gets_a_4xx_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let with = |key: &str, value: Value| {
        let mut b = citizen_appeal();
        b[key] = value;
        b
    };
    let without = |key: &str| {
        let mut b = citizen_appeal();
        b.as_object_mut().expect("object").remove(key);
        b
    };
    let cases: Vec<(&str, Value, u16, &str, Option<&str>)> = vec![
        (
            "missing title",
            without("title"),
            400,
            "invalid_body",
            Some("title"),
        ),
        (
            "title wrong type",
            with("title", json!(42)),
            400,
            "invalid_body",
            Some("title"),
        ),
        (
            "unknown kind",
            with("kind", json!("praise")),
            400,
            "invalid_body",
            Some("kind"),
        ),
        (
            "unknown field",
            with("titel", json!("x")),
            400,
            "invalid_body",
            Some("titel"),
        ),
        (
            "confidential wrong type",
            with("confidential", json!("yes")),
            400,
            "invalid_body",
            Some("confidential"),
        ),
        (
            "empty title",
            with("title", json!("  ")),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "overlong title",
            with("title", json!("长".repeat(101))),
            422,
            "validation_failed",
            Some("title"),
        ),
        (
            "bad phone",
            with("phone", json!("12345")),
            422,
            "validation_failed",
            Some("phone"),
        ),
        (
            "bad email",
            with("email", json!("nobody")),
            422,
            "validation_failed",
            Some("email"),
        ),
        (
            "unknown division",
            with("division_code", json!("999999")),
            422,
            "validation_failed",
            Some("division_code"),
        ),
        (
            "unknown category",
            with("category_code", json!("99.99.99")),
            422,
            "validation_failed",
            Some("category_code"),
        ),
        (
            "lone latitude",
            without("longitude"),
            422,
            "validation_failed",
            Some("longitude"),
        ),
        (
            "enterprise without code",
            {
                let mut b = with("appellant_kind", json!("enterprise"));
                b["enterprise_name"] = json!("某公司");
                b
            },
            422,
            "validation_failed",
            Some("credit_code"),
        ),
        (
            "bad checksum",
            {
                let mut b = with("appellant_kind", json!("enterprise"));
                b["enterprise_name"] = json!("某公司");
                b["credit_code"] = json!("91110000802100433A");
                b
            },
            422,
            "validation_failed",
            Some("credit_code"),
        ),
    ];
    for (what, body, status, code, field) in cases {
        let r = app.post("/api/v1/appeals", &body, None).await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.body);
        assert_eq!(r.error_code(), code, "{what}");
        assert_eq!(
            r.body["error"]["field"].as_str(),
            field,
            "{what}: {}",
            r.body
        );
    }

    let raw = |body: &'static str| {
        app.send(
            app.client
                .post(app.url("/api/v1/appeals"))
                .header("Content-Type", "application/json")
                .body(body),
        )
    };
    for (what, body) in [
        ("malformed", "{\"title\": "),
        ("empty", ""),
        ("not an object", "[1,2,3]"),
        ("null", "null"),
    ] {
        let r = raw(body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
        r.error_code();
    }
    assert_eq!(
        app.count("SELECT count(*) FROM appeals"),
        0,
        "nothing half-written"
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), 0);
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let mut body = citizen_appeal();
    body["content"] = json!("字".repeat(app.settings.server.body_limit_bytes));
    let r = app.post("/api/v1/appeals", &body, None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "payload_too_large");

    // also on staff actions, and when the length is not declared up front
    let token = app.login("dispatcher").await;
    let id = app.file_one().await;
    let big = format!(
        "{{\"content\": \"{}\"}}",
        "x".repeat(app.settings.server.body_limit_bytes + 10)
    );
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(4096)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let r = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/appeals/{id}/notes")))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(app.count("SELECT count(*) FROM notes"), 0);
}
