//! Guessing and flooding: repeated wrong passwords lock an account (counted in the database),
//! and logins and public filings over the per-address limits get 429 with Retry-After.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, citizen_appeal, spawn_app, spawn_app_with};

#[actix_web::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    let wrong = json!({"username": "dispatcher", "password": "not-the-password"});
    for _ in 0..4 {
        let r = app.post("/api/v1/auth/login", &wrong, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // the fifth wrong one locks it
    let r = app.post("/api/v1/auth/login", &wrong, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.error_code(), "too_many_requests");
    // now even the right password waits, on the API and on the staff page
    let right = json!({"username": "dispatcher", "password": PASSWORD});
    let r = app.post("/api/v1/auth/login", &right, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((800..=900).contains(&wait), "{wait}");
    let csrf = "0123456789abcdef0123456789abcdef";
    let page = app
        .client
        .post(app.url("/staff/login"))
        .header("Cookie", format!("minxin_csrf={csrf}"))
        .form(&[
            ("username", "dispatcher"),
            ("password", PASSWORD),
            ("csrf", csrf),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("id=\"login-locked\"")
    );
    // another account is not affected
    let r = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "supervisor", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // once the lock has passed, the right password works and the count starts again
    {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'dispatcher'",
        )
        .execute(&mut app.conn())
        .expect("the lock passes");
    }
    let r = app.post("/api/v1/auth/login", &right, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'dispatcher' AND failed_logins = 0 AND locked_until IS NULL"),
        1
    );
}

#[actix_web::test]
async fn logins_from_one_address_are_limited() {
    let app = spawn_app_with(|s| s.limits.login_per_minute = 3).await;
    let wrong = json!({"username": "nobody", "password": "x"});
    for _ in 0..3 {
        let r = app.post("/api/v1/auth/login", &wrong, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.post("/api/v1/auth/login", &wrong, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.error_code(), "too_many_requests");
    let wait: u64 = r.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=20).contains(&wait), "{wait}");
    // the staff login page is the same door, and says so as a page, in Chinese first
    let page = app
        .client
        .post(app.url("/staff/login"))
        .form(&[("username", "nobody"), ("password", "x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    let html = page.text().await.expect("page");
    assert!(
        html.contains("操作过于频繁") && html.contains("<a href=\"/\">"),
        "{html}"
    );
    // other doors are not this one's
    let r = app.get("/api/v1/categories", None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[actix_web::test]
async fn public_filings_from_one_address_are_limited_and_the_refused_write_nothing() {
    let app = spawn_app_with(|s| s.limits.intake_per_minute = 2).await;
    let before = app.count("SELECT count(*) FROM appeals");
    for _ in 0..2 {
        let r = app.post("/api/v1/appeals", &citizen_appeal(), None).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = app.post("/api/v1/appeals", &citizen_appeal(), None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key("retry-after"));
    // Open311 filings count against the same allowance
    let resp = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .form(&[("api_key", "mxk_x"), ("service_code", "03.01.01")])
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("SELECT count(*) FROM appeals"), before + 2);
}
