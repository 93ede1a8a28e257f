//! The closed loop's follow-up: the appellant's signed link, rounds and re-handling, the window
//! closing unanswered appeals unrated, return visits, and a supervisor closing instead.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, minxin, spawn_app};

/// Files, dispatches to heating, signs and replies; returns (intake answer, id).
async fn replied(app: &TestApp) -> (Value, Uuid) {
    let filed = app.file(&citizen_appeal()).await;
    let id: Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (action, body) in [
        ("sign", json!({})),
        ("reply", json!({"content": "已派人检修，室温恢复至20度。"})),
    ] {
        let r = app.act(id, action, &body, &clerk).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    (filed, id)
}

async fn token_of(app: &TestApp, filed: &Value) -> String {
    let view = app.appellant_view(filed).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    view.body["follow_up_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no follow-up token: {}", view.body))
        .to_owned()
}

#[actix_web::test]
async fn reply_link_answer_closed() {
    let app = spawn_app().await;
    let (filed, id) = replied(&app).await;
    let view = app.appellant_view(&filed).await;
    let url = view.body["follow_up_url"]
        .as_str()
        .expect("the tracking page shows the link");
    let token = token_of(&app, &filed).await;
    assert!(url.ends_with(&format!("/follow-up/{token}")), "{url}");
    // the reply e-mail carries the same link
    let mut conn = app.conn();
    #[derive(QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        body: String,
    }
    let mail: Body = diesel::sql_query(format!(
        "SELECT body FROM outbox WHERE appeal_id = '{id}' AND kind = 'replied'"
    ))
    .get_result(&mut conn)
    .expect("the reply e-mail");
    assert!(mail.body.contains(url), "the e-mail links the follow-up");

    let form = app.get(&format!("/api/v1/follow-up/{token}"), None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(form.body["tracking_no"], filed["tracking_no"]);
    assert_eq!(form.body["reply"], "已派人检修，室温恢复至20度。");
    assert_eq!(form.body["round"], 1);

    let answer = json!({"contacted": true, "solved": true, "satisfaction": "satisfied", "comment": "处理及时"});
    let r = app
        .post(&format!("/api/v1/follow-up/{token}"), &answer, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(app.status_of(id).await, "closed");
    // once per round
    let again = app
        .post(&format!("/api/v1/follow-up/{token}"), &answer, None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(
        app.get(&format!("/api/v1/follow-up/{token}"), None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(app.count(&format!("SELECT count(*) FROM follow_ups WHERE appeal_id = '{id}' AND source = 'appellant' AND recorded_by IS NULL")), 1);
    // the audit trail has the resident's answer
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action = 'follow_up' AND actor_role = 'resident' AND to_status = 'closed'")),
        1
    );
    let view = app.appellant_view(&filed).await;
    assert!(
        view.body["follow_up_token"].is_null(),
        "no link once answered"
    );
}

#[actix_web::test]
async fn unsatisfied_rehandle_second_round_closed() {
    let app = spawn_app().await;
    let (filed, id) = replied(&app).await;
    let clerk = app.login("clerk.heating").await;
    let first = token_of(&app, &filed).await;
    let r = app
        .post(
            &format!("/api/v1/follow-up/{first}"),
            &json!({"contacted": true, "solved": false, "satisfaction": "very_dissatisfied", "comment": "还是不热"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress", "重办");
    let supervisor = app.login("supervisor").await;
    let staff = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&supervisor))
        .await;
    assert_eq!(staff.body["rehandle_count"], 1);
    let fix_by: DateTime<Utc> = staff.body["reply_due_at"]
        .as_str()
        .expect("due")
        .parse()
        .expect("time");
    assert!(
        fix_by > Utc::now() + Duration::days(5),
        "a fix deadline of 7 working days: {fix_by}"
    );
    // the department hears it is back, and by when
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = 'rehandle' AND recipient = 'kefu@reli.anshan.example'")),
        1
    );
    // the department answers again: a second round with a new link; the old one is spent
    let r = app
        .act(
            id,
            "reply",
            &json!({"content": "已更换管道，复测22度。"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["follow_up_round"], 2);
    let second = token_of(&app, &filed).await;
    assert_ne!(first, second);
    let stale = app.get(&format!("/api/v1/follow-up/{first}"), None).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let r = app
        .post(
            &format!("/api/v1/follow-up/{second}"),
            &json!({"contacted": true, "solved": true, "satisfaction": "basically_satisfied"}),
            None,
        )
        .await;
    assert_eq!(r.body["status"], "closed", "{}", r.body);
    let rounds = app.count(&format!(
        "SELECT count(DISTINCT round) FROM follow_ups WHERE appeal_id = '{id}'"
    ));
    assert_eq!(rounds, 2);
    let steps = app.count(&format!("SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action IN ('reply', 'follow_up')"));
    assert_eq!(steps, 4, "two replies, two answers");
}

#[actix_web::test]
async fn tampered_expired_and_malformed_answers_are_refused() {
    let app = spawn_app().await;
    let (filed, id) = replied(&app).await;
    let token = token_of(&app, &filed).await;
    let answer = json!({"contacted": true, "solved": true, "satisfaction": "satisfied"});
    // a changed character, a cut-off link, an appeal id swapped in
    let mut tampered = token.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == '0' { '1' } else { '0' });
    for bad in [
        tampered,
        token[..token.len() - 4].to_owned(),
        "garbage".to_owned(),
        token.replacen(
            &id.simple().to_string(),
            &Uuid::new_v4().simple().to_string(),
            1,
        ),
    ] {
        let r = app
            .post(&format!("/api/v1/follow-up/{bad}"), &answer, None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(r.error_code(), "invalid_link");
    }
    // expired: a correctly signed link whose time is up
    let wf = minxin::startup::workflow_from(&app.settings);
    let expired = wf.follow_up_token(id, 1, Utc::now() - Duration::minutes(1));
    let r = app
        .post(&format!("/api/v1/follow-up/{expired}"), &answer, None)
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
    assert_eq!(r.error_code(), "link_expired");
    // answers outside the allowed values
    for body in [
        json!({"contacted": true, "solved": true, "satisfaction": "meh"}),
        json!({"contacted": "yes", "solved": true, "satisfaction": "satisfied"}),
        json!({"solved": true, "satisfaction": "satisfied"}),
        json!({"contacted": true, "solved": true, "satisfaction": "satisfied", "stars": 5}),
    ] {
        let r = app
            .post(&format!("/api/v1/follow-up/{token}"), &body, None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
    }
    let r = app
        .post(&format!("/api/v1/follow-up/{token}"), &json!({"contacted": true, "solved": true, "satisfaction": "satisfied", "comment": "长".repeat(2001)}), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // nothing changed by any of it
    assert_eq!(app.status_of(id).await, "resolved");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM follow_ups WHERE appeal_id = '{id}'"
        )),
        0
    );
}

#[actix_web::test]
async fn unanswered_appeals_close_unrated_when_the_window_ends() {
    let app = spawn_app().await;
    let (filed, id) = replied(&app).await;
    let token = token_of(&app, &filed).await;
    let supervisor = app.login("supervisor").await;
    let staff = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&supervisor))
        .await;
    let window: DateTime<Utc> = staff.body["follow_up_due_at"]
        .as_str()
        .expect("window")
        .parse()
        .expect("time");
    assert!(window > Utc::now() + Duration::days(6), "7 days by default");
    let tick = |at: DateTime<Utc>| {
        let (ok, out) = minxin(
            &app.db_url,
            &["deadlines", "tick", "--at", &at.to_rfc3339()],
            &[],
        );
        assert!(ok, "{out}");
        out
    };
    let out = tick(window - Duration::seconds(1));
    assert!(out.contains("0 closed unrated"), "{out}");
    let out = tick(window);
    assert!(out.contains("1 closed unrated"), "{out}");
    let out = tick(window + Duration::days(1));
    assert!(out.contains("0 closed unrated"), "once: {out}");
    let view = app.appellant_view(&filed).await;
    assert_eq!(view.body["status"], "closed");
    assert_eq!(view.body["closed_unrated"], true);
    let steps: Vec<&str> = view.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(steps.last(), Some(&"close_unrated"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM follow_ups WHERE appeal_id = '{id}'"
        )),
        0,
        "no answer invented"
    );
    let r = app
        .post(
            &format!("/api/v1/follow-up/{token}"),
            &json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
            None,
        )
        .await;
    assert!(
        r.status == StatusCode::GONE || r.status == StatusCode::CONFLICT,
        "{}",
        r.body
    );
}

#[actix_web::test]
async fn return_visits_list_the_unanswered_oldest_first_and_record_the_caller() {
    let app = spawn_app().await;
    let (_, older) = replied(&app).await;
    let (_, newer) = replied(&app).await;
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let list = app
        .get("/api/v1/follow-ups/awaiting", Some(&dispatcher))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 2);
    assert_eq!(list.body["items"][0]["id"], older.to_string());
    assert_eq!(list.body["items"][1]["id"], newer.to_string());
    assert!(list.body["items"][0]["follow_up_due_at"].is_string());
    assert!(
        list.body["items"][0].get("phone").is_none(),
        "no personal data in lists"
    );
    assert_eq!(
        app.get("/api/v1/follow-ups/awaiting", Some(&clerk))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let r = app
        .act(older, "follow-up", &json!({"contacted": true, "solved": true, "satisfaction": "very_satisfied", "comment": "电话回访"}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(r.body["follow_ups"][0]["source"], "staff");
    let recorded = app.count(&format!(
        "SELECT count(*) FROM follow_ups f JOIN users u ON u.id = f.recorded_by WHERE f.appeal_id = '{older}' AND u.username = 'dispatcher'"
    ));
    assert_eq!(recorded, 1, "who called, and when (created_at)");
    let list = app
        .get("/api/v1/follow-ups/awaiting", Some(&dispatcher))
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], newer.to_string());
}

#[actix_web::test]
async fn a_supervisor_may_close_instead_of_re_handling_with_a_reason() {
    let app = spawn_app().await;
    let (filed, id) = replied(&app).await;
    let supervisor = app.login("supervisor").await;
    let dispatcher = app.login("dispatcher").await;
    let first_handling = app.appeal_in("in_progress").await;
    let r = app
        .act(
            first_handling,
            "close",
            &json!({"reason": "诉求不合法"}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "first handling: {}", r.body);

    let token = token_of(&app, &filed).await;
    app.post(
        &format!("/api/v1/follow-up/{token}"),
        &json!({"contacted": true, "solved": false, "satisfaction": "dissatisfied"}),
        None,
    )
    .await;
    assert_eq!(app.status_of(id).await, "in_progress");
    let r = app
        .act(id, "close", &json!({"reason": "诉求不合法"}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .act(id, "close", &json!({"reason": "  "}), &supervisor)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .act(
            id,
            "close",
            &json!({"reason": "要求开发商赔偿超出法定标准，已告知通过诉讼解决"}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert!(
        r.body["close_reason"]
            .as_str()
            .unwrap_or("")
            .contains("诉讼")
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action = 'close' AND details->>'reason' LIKE '%诉讼%'")),
        1
    );
}
