use crate::helpers::spawn_app;
use diesel::prelude::*;
use minxin::db::audit::verify_all;
use serde_json::json;

fn verify_cli(db_url: &str) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_minxin"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", db_url)
        .env(
            "MINXIN_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .output()
        .expect("run minxin audit verify");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[actix_web::test]
async fn the_chain_verifies_and_a_tampered_event_is_named() {
    let app = spawn_app().await;
    let closed = app.appeal_in("closed").await;
    let _other = app.appeal_in("in_progress").await;

    let (ok, out) = verify_cli(&app.db_url);
    assert!(ok, "an untouched log verifies: {out}");
    assert!(out.contains("intact"), "{out}");

    // Tamper with the third event of the closed appeal, the way someone with superuser rights
    // could: disable the trigger, edit, enable again.
    let mut conn = app.conn();
    diesel::sql_query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
        .execute(&mut conn)
        .expect("disable");
    diesel::sql_query(format!(
        "UPDATE audit_events SET details = details || '{{\"reason\":\"edited\"}}' WHERE appeal_id = '{closed}' AND seq = 3"
    ))
    .execute(&mut conn)
    .expect("tamper");
    diesel::sql_query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
        .execute(&mut conn)
        .expect("enable");

    let report = verify_all(&mut conn, |_| {}).expect("verify");
    let broken = report.broken.expect("tampering must be detected");
    assert_eq!(broken.appeal_id, closed);
    assert_eq!(broken.seq, 3);

    let (ok, out) = verify_cli(&app.db_url);
    assert!(!ok, "exit code must be non-zero");
    assert!(
        out.contains(&closed.to_string()) && out.contains("#3"),
        "names the first broken link: {out}"
    );
}

#[actix_web::test]
async fn a_deleted_event_breaks_the_chain_too() {
    let app = spawn_app().await;
    let id = app.appeal_in("resolved").await;
    let mut conn = app.conn();
    diesel::sql_query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
        .execute(&mut conn)
        .expect("disable");
    diesel::sql_query(format!(
        "DELETE FROM audit_events WHERE appeal_id = '{id}' AND seq = 2"
    ))
    .execute(&mut conn)
    .expect("delete");
    diesel::sql_query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
        .execute(&mut conn)
        .expect("enable");
    let broken = verify_all(&mut conn, |_| {})
        .expect("verify")
        .broken
        .expect("detected");
    assert_eq!((broken.appeal_id, broken.seq), (id, 3));
}

#[actix_web::test]
async fn the_database_refuses_to_change_or_delete_events() {
    let app = spawn_app().await;
    let id = app.file_one().await;
    let mut conn = app.conn();
    let update = diesel::sql_query(format!(
        "UPDATE audit_events SET action = 'x' WHERE appeal_id = '{id}'"
    ))
    .execute(&mut conn);
    assert!(update.is_err_and(|e| e.to_string().contains("append-only")));
    let delete = diesel::sql_query(format!("DELETE FROM audit_events WHERE appeal_id = '{id}'"))
        .execute(&mut conn);
    assert!(delete.is_err());
    let truncate = diesel::sql_query("TRUNCATE audit_events CASCADE").execute(&mut conn);
    assert!(truncate.is_err());
    assert_eq!(app.events_of(id), 1);
}

#[actix_web::test]
async fn every_change_writes_exactly_one_event_with_actor_and_states() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let supervisor = app.login("supervisor").await;
    app.act(id, "supervise", &json!({"reason": "媒体关注"}), &supervisor)
        .await;
    let events = app
        .get(&format!("/api/v1/appeals/{id}/events"), Some(&supervisor))
        .await;
    let events = events.body.as_array().expect("array").clone();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["actor_role"], "resident");
    assert!(events[0]["prev_hash"].is_null());
    assert_eq!(events[1]["action"], "dispatch");
    assert_eq!(events[1]["actor_username"], "dispatcher");
    assert_eq!(events[1]["from_status"], "submitted");
    assert_eq!(events[1]["to_status"], "dispatched");
    assert_eq!(events[2]["action"], "supervise");
    assert_eq!(events[2]["details"]["reason"], "媒体关注");
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "chained");
    }
}
