use crate::helpers::spawn_app;
use minxin::db::audit::verify_all;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn two_clerks_signing_at_once_one_wins() {
    let app = spawn_app().await;
    for _round in 0..5 {
        let id = app.dispatched().await;
        let clerk = app.login("clerk.heating").await;
        let (a, b) = futures_util::future::join(
            app.act(id, "sign", &json!({}), &clerk),
            app.act(id, "sign", &json!({}), &clerk),
        )
        .await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "one wins, the other is told: {} / {}",
            a.body,
            b.body
        );
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action = 'sign'"
            )),
            1
        );
    }
}

#[actix_web::test]
async fn reply_racing_suspend_leaves_one_consistent_outcome() {
    let app = spawn_app().await;
    let id = app.appeal_in("in_progress").await;
    let clerk = app.login("clerk.heating").await;
    let (reply, suspend) = futures_util::future::join(
        app.act(id, "reply", &json!({"content": "已处理"}), &clerk),
        app.act(id, "suspend", &json!({"reason": "等待"}), &clerk),
    )
    .await;
    let wins = [&reply, &suspend]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(wins, 1, "{} / {}", reply.body, suspend.body);
    let status = app.status_of(id).await;
    let expected = if reply.status == StatusCode::OK {
        "resolved"
    } else {
        "suspended"
    };
    assert_eq!(status, expected);
}

#[actix_web::test]
async fn many_notes_at_once_all_land_and_the_chain_holds() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let supervisor = app.login("supervisor").await;
    let bodies: Vec<_> = (0..12)
        .map(|i| json!({"content": format!("第{i}条备注")}))
        .collect();
    let notes = bodies
        .iter()
        .map(|body| app.act(id, "notes", body, &supervisor));
    let replies = futures_util::future::join_all(notes).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(app.events_of(id), 2 + 12);
    let mut conn = app.conn();
    assert!(
        verify_all(&mut conn, |_| {})
            .expect("verify")
            .broken
            .is_none()
    );
}
