//! Independent clients against a live minxin with a seeded database: the Open311 `georeport`
//! client from PyPI reads services, a definition, the request list and one request (JSON and
//! XML); `schemathesis` fuzzes `/api/openapi.json` (as an administrator) and the GeoReport
//! description `/open311/v2/openapi.json` with every check it has. Both come from a virtual
//! environment that `scripts/install-clients` makes (and keeps) under the build directory.

use std::path::PathBuf;
use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, minxin, spawn_app};

fn venv() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("py-clients");
    let out = Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/install-clients"
    ))
    .arg(&dir)
    .output()
    .expect("run scripts/install-clients");
    assert!(
        out.status.success(),
        "installing the clients failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Runs a command off the async runtime (the server under test answers meanwhile).
async fn run(mut cmd: Command) -> Output {
    actix_web::rt::task::spawn_blocking(move || cmd.output().expect("command runs"))
        .await
        .expect("blocking task")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A few appeals through Open311 (so that the list has requests of ours, with tokens).
async fn file_some(app: &TestApp) {
    let admin = app.login("admin").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "clients test"}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key = r.body["api_key"].as_str().expect("key").to_owned();
    for i in 0..3 {
        let form = [
            ("api_key", key.as_str()),
            ("service_code", "03.01.01"),
            ("lat", "41.1086"),
            ("long", "122.9946"),
            ("description", "暖气不热，室温只有14度"),
            ("first_name", "小明"),
            ("last_name", "王"),
            ("phone", "13912345678"),
            ("attribute[division_code]", "210302001"),
            (
                "attribute[indoor_temperature]",
                if i == 0 { "13" } else { "15.5" },
            ),
        ];
        let resp = app
            .client
            .post(app.url("/open311/v2/requests.json"))
            .form(&form)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
}

#[actix_web::test]
async fn the_georeport_client_and_schemathesis_pass_against_a_live_server() {
    let venv = venv();
    let app = spawn_app().await;
    app.load_demo_rules();
    let (ok, out) = minxin(&app.db_url, &["seed", "--appeals", "400"], &[]);
    assert!(ok, "{out}");
    file_some(&app).await;

    let mut georeport = Command::new(venv.join("bin/python"));
    georeport
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/georeport_check.py"
        ))
        .arg(app.url("/open311/v2"));
    let out = run(georeport).await;
    assert!(out.status.success(), "georeport client:\n{}", text(&out));
    assert!(text(&out).contains("georeport (xml)"), "{}", text(&out));

    let admin = app.login("admin").await;
    // schemathesis keeps a cache of what it found in its working directory: not in the clone
    let workdir =
        std::env::temp_dir().join(format!("minxin-schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&workdir).expect("a working directory for schemathesis");
    for (schema, auth) in [
        ("/api/openapi.json", Some(&admin)),
        ("/open311/v2/openapi.json", None),
    ] {
        let mut st = Command::new(venv.join("bin/st"));
        st.current_dir(&workdir);
        // every check runs (the config file turns them on and names the few exceptions,
        // which checks given here would override)
        st.arg("--config-file")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/clients/schemathesis.toml"
            ))
            .arg("run")
            .arg(app.url(schema))
            // one worker: with two, the coverage phase crashed inside Python 3.11.7 itself
            // ("AST constructor recursion depth mismatch", a CPython bug with threads)
            .args(["--max-examples", "15", "--workers", "1"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--no-color", "--seed", "20261201"])
            .env("SCHEMATHESIS_HOOKS", "")
            .env("NO_COLOR", "1");
        if let Some(token) = auth {
            st.arg("-H").arg(format!("Authorization: Bearer {token}"));
        }
        let out = run(st).await;
        assert!(
            out.status.success(),
            "schemathesis against {schema}:\n{}",
            text(&out)
        );
    }
    let _ = std::fs::remove_dir_all(&workdir);
}
