use crate::helpers::{minxin, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn production_refuses_the_development_secret_and_says_why() {
    let app = spawn_app().await;
    let (ok, out) = minxin(
        &app.db_url,
        &["serve", "--bind", "127.0.0.1:0"],
        &[("MINXIN_ENV", "production")],
    );
    assert!(!ok, "must refuse to start: {out}");
    assert!(out.contains("development JWT secret"), "{out}");
}

#[actix_web::test]
async fn user_add_creates_an_account_that_can_log_in() {
    let app = spawn_app().await;
    let (ok, out) = minxin(
        &app.db_url,
        &[
            "user",
            "add",
            "--username",
            "li.ming",
            "--password",
            "s3cure-pass",
            "--role",
            "clerk",
            "--department",
            "gas",
        ],
        &[],
    );
    assert!(ok, "{out}");
    let r = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "li.ming", "password": "s3cure-pass"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["department_code"], "gas");

    for (args, expect) in [
        (
            vec![
                "--username",
                "li.ming",
                "--password",
                "another-pass",
                "--role",
                "admin",
            ],
            "already exists",
        ),
        (
            vec![
                "--username",
                "x.clerk",
                "--password",
                "another-pass",
                "--role",
                "clerk",
            ],
            "--department",
        ),
        (
            vec![
                "--username",
                "y.clerk",
                "--password",
                "another-pass",
                "--role",
                "clerk",
                "--department",
                "nowhere",
            ],
            "unknown department",
        ),
        (
            vec![
                "--username",
                "z.boss",
                "--password",
                "another-pass",
                "--role",
                "king",
            ],
            "expected one of",
        ),
        (
            vec![
                "--username",
                "short.pw",
                "--password",
                "abc",
                "--role",
                "admin",
            ],
            "at least 8",
        ),
    ] {
        let mut full = vec!["user", "add"];
        full.extend(args);
        let (ok, out) = minxin(&app.db_url, &full, &[]);
        assert!(!ok && out.contains(expect), "{full:?}: {out}");
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE username IN ('x.clerk','y.clerk','z.boss','short.pw')"
        ),
        0
    );
}

#[actix_web::test]
async fn seeding_twice_changes_nothing() {
    let app = spawn_app().await; // the template is already seeded once
    let before = app.count("SELECT count(*) FROM divisions")
        + app.count("SELECT count(*) FROM departments") * 1000;
    let hashes = app.count("SELECT sum(hashtext(username || password_hash)) FROM users");
    let (ok, out) = minxin(&app.db_url, &["seed"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("0 divisions, 0 departments, 0 categories, 0 users added"),
        "{out}"
    );
    let after = app.count("SELECT count(*) FROM divisions")
        + app.count("SELECT count(*) FROM departments") * 1000;
    assert_eq!(before, after);
    assert_eq!(
        hashes,
        app.count("SELECT sum(hashtext(username || password_hash)) FROM users")
    );
}

#[actix_web::test]
async fn migrate_is_idempotent() {
    let app = spawn_app().await;
    let (ok, out) = minxin(&app.db_url, &["migrate"], &[]);
    assert!(ok && out.contains("up to date"), "{out}");
}
