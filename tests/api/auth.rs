use crate::helpers::{PASSWORD, spawn_app};
use minxin::auth::JwtKeys;
use minxin::domain::enums::Role;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn login_gives_a_token_that_opens_staff_endpoints() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "clerk.heating", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "clerk");
    assert_eq!(r.body["department_code"], "heating");
    let token = r.body["token"].as_str().expect("token");
    let queue = app.get("/api/v1/queue", Some(token)).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
}

#[actix_web::test]
async fn wrong_username_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    let wrong_password = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "dispatcher", "password": "nope-nope"}),
            None,
        )
        .await;
    let wrong_user = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "nobody", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_user.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_password.body, wrong_user.body,
        "no hint which part was wrong"
    );
}

#[actix_web::test]
async fn bad_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    let foreign = JwtKeys::new("some-other-secret-some-other-secret", "minxin", 60)
        .issue(
            uuid::Uuid::new_v4(),
            "dispatcher",
            Role::Dispatcher,
            None,
            0,
        )
        .expect("issue")
        .0;
    let expired = JwtKeys::new(&app.settings.auth.jwt_secret, &app.settings.auth.issuer, -5)
        .issue(
            uuid::Uuid::new_v4(),
            "dispatcher",
            Role::Dispatcher,
            None,
            0,
        )
        .expect("issue")
        .0;
    let other_issuer = JwtKeys::new(&app.settings.auth.jwt_secret, "not-minxin", 60)
        .issue(
            uuid::Uuid::new_v4(),
            "dispatcher",
            Role::Dispatcher,
            None,
            0,
        )
        .expect("issue")
        .0;
    // a token that says it needs no signature: `alg: none`, the claims of a real one
    let genuine = JwtKeys::new(&app.settings.auth.jwt_secret, &app.settings.auth.issuer, 60)
        .issue(
            uuid::Uuid::new_v4(),
            "dispatcher",
            Role::Dispatcher,
            None,
            0,
        )
        .expect("issue")
        .0;
    let claims = genuine.split('.').nth(1).expect("claims");
    let none_header = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    };
    let alg_none = format!("{none_header}.{claims}.");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("another issuer", Some(format!("Bearer {other_issuer}"))),
        ("garbage", Some("Bearer not.a.jwt".into())),
        ("wrong scheme", Some("Basic ZGlzcGF0Y2hlcjp4".into())),
        ("foreign signature", Some(format!("Bearer {foreign}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        // signed with the right key, but for an account that does not exist
        ("unknown account", Some(format!("Bearer {genuine}"))),
    ];
    for (what, header) in cases {
        let mut req = app.client.get(app.url("/api/v1/pool"));
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
        assert_eq!(r.error_code(), "unauthorized", "{what}");
    }
}

#[actix_web::test]
async fn role_guards_refuse_the_wrong_roles() {
    let app = spawn_app().await;
    let clerk = app.login("clerk.water").await;
    let dispatcher = app.login("dispatcher").await;
    let r = app.get("/api/v1/pool", Some(&clerk)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");
    let r = app.get("/api/v1/queue", Some(&dispatcher)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
