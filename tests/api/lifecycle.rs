use crate::helpers::{citizen_appeal, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The walk of issue 2's "done when": file, dispatch, sign, reply, follow-up, closed.
#[actix_web::test]
async fn an_appeal_goes_from_filing_to_closed() {
    let app = spawn_app().await;
    let filed = app.file(&citizen_appeal()).await;
    let id: uuid::Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;

    let pool = app.get("/api/v1/pool", Some(&dispatcher)).await;
    assert_eq!(pool.body["items"][0]["id"], filed["id"]);

    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating", "deadline_class": "livelihood"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "dispatched");
    assert_eq!(r.body["lead_department_code"], "heating");
    assert!(r.body["sign_due_at"].is_string() && r.body["reply_due_at"].is_string());

    let queue = app.get("/api/v1/queue", Some(&clerk)).await;
    assert_eq!(queue.body["total"], 1);
    assert_eq!(queue.body["items"][0]["assignment_role"], "lead");

    for (action, body, status) in [
        ("sign", json!({}), "in_progress"),
        (
            "suspend",
            json!({"reason": "等待物业提供管网图"}),
            "suspended",
        ),
        ("resume", json!({}), "in_progress"),
        (
            "reply",
            json!({"content": "已更换阀门，室温恢复到20度。"}),
            "resolved",
        ),
    ] {
        let r = app.act(id, action, &body, &clerk).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
        assert_eq!(r.body["status"], status, "{action}");
    }
    let r = app
        .act(id, "follow-up", &json!({"contacted": true, "solved": true, "satisfaction": "very_satisfied", "comment": "师傅很负责"}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert!(r.body["closed_at"].is_string());

    // The appellant sees the reply and the steps, without names of staff.
    let view = app.appellant_view(&filed).await;
    assert_eq!(view.body["status"], "closed");
    assert_eq!(
        view.body["replies"][0]["content"],
        "已更换阀门，室温恢复到20度。"
    );
    let actions: Vec<&str> = view.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "intake",
            "dispatch",
            "sign",
            "suspend",
            "resume",
            "reply",
            "follow_up"
        ]
    );
    let text = view.body.to_string();
    assert!(
        !text.contains("clerk.heating") && !text.contains("刘洋"),
        "no clerk names: {text}"
    );

    let events = app
        .get(&format!("/api/v1/appeals/{id}/events"), Some(&dispatcher))
        .await;
    assert_eq!(events.body.as_array().map(Vec::len), Some(7));
    assert_eq!(events.body[2]["actor_username"], "clerk.heating");
}

/// Every action from every state by a permitted actor: the state machine's table, over HTTP.
/// Allowed ones move the appeal; the rest are 409 and change nothing.
#[actix_web::test]
async fn every_action_from_every_state() {
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let supervisor = app.login("supervisor").await;
    let states = [
        "submitted",
        "dispatched",
        "in_progress",
        "suspended",
        "resolved",
        "closed",
        "rejected",
        "merged",
    ];
    let primary = app.file_one().await;

    /// (action, body, who, [(from, to)] where allowed)
    type Case<'a> = (&'a str, Value, &'a String, Vec<(&'a str, &'a str)>);
    let actions: Vec<Case> = vec![
        (
            "dispatch",
            json!({"lead_department_code": "heating"}),
            &dispatcher,
            vec![("submitted", "dispatched")],
        ),
        (
            "sign",
            json!({}),
            &clerk,
            vec![("dispatched", "in_progress")],
        ),
        (
            "return",
            json!({"reason": "不属于本单位职责"}),
            &clerk,
            vec![("dispatched", "submitted"), ("in_progress", "submitted")],
        ),
        (
            "suspend",
            json!({"reason": "等待材料"}),
            &clerk,
            vec![("in_progress", "suspended")],
        ),
        (
            "resume",
            json!({}),
            &clerk,
            vec![("suspended", "in_progress")],
        ),
        (
            "reply",
            json!({"content": "已处理"}),
            &clerk,
            vec![("in_progress", "resolved")],
        ),
        (
            "follow-up",
            json!({"contacted": true, "solved": false, "satisfaction": "dissatisfied"}),
            &dispatcher,
            vec![("resolved", "in_progress")],
        ),
        (
            "reject",
            json!({"reason": "属于诉讼程序", "disposition": "legal_channel"}),
            &dispatcher,
            vec![("submitted", "rejected")],
        ),
        (
            "merge",
            json!({"primary_id": primary}),
            &dispatcher,
            vec![
                ("submitted", "merged"),
                ("dispatched", "merged"),
                ("in_progress", "merged"),
                ("suspended", "merged"),
                ("resolved", "merged"),
            ],
        ),
        (
            "notes",
            json!({"content": "已电话联系诉求人"}),
            &supervisor,
            states.iter().map(|s| (*s, *s)).collect(),
        ),
        (
            "supervise",
            json!({"reason": "群众反映强烈"}),
            &supervisor,
            vec![
                ("submitted", "submitted"),
                ("dispatched", "dispatched"),
                ("in_progress", "in_progress"),
                ("suspended", "suspended"),
                ("resolved", "resolved"),
                ("closed", "closed"),
            ],
        ),
    ];

    for (action, body, token, allowed) in &actions {
        for state in states {
            // lead-clerk actions on states without a lead are refused by department (403)
            let id = app.appeal_in(state).await;
            let before = app.events_of(id);
            let r = app.act(id, action, body, token).await;
            match allowed.iter().find(|(from, _)| *from == state) {
                Some((_, to)) => {
                    assert_eq!(
                        r.status,
                        StatusCode::OK,
                        "{action} from {state}: {}",
                        r.body
                    );
                    assert_eq!(r.body["status"], *to, "{action} from {state}");
                    assert_eq!(
                        app.events_of(id),
                        before + 1,
                        "{action} from {state} writes one event"
                    );
                }
                None => {
                    assert!(
                        r.status == StatusCode::CONFLICT
                            || (r.status == StatusCode::FORBIDDEN && **token == clerk),
                        "{action} from {state} must be refused: {} {}",
                        r.status,
                        r.body
                    );
                    assert_eq!(
                        app.status_of(id).await,
                        state,
                        "{action} from {state} changed the state"
                    );
                    assert_eq!(
                        app.events_of(id),
                        before,
                        "{action} from {state} wrote an event"
                    );
                }
            }
        }
    }
}

/// Wrong role or department: 403, nothing changes.
#[actix_web::test]
async fn wrong_roles_and_departments_are_forbidden() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let other_clerk = app.login("clerk.urban").await;
    let co_clerk = app.login("clerk.water").await;
    let dispatcher = app.login("dispatcher").await;
    let supervisor = app.login("supervisor").await;
    let cases: Vec<(&str, Value, &String)> = vec![
        ("sign", json!({}), &other_clerk),
        ("sign", json!({}), &dispatcher),
        ("reply", json!({"content": "x"}), &co_clerk),
        ("return", json!({"reason": "x"}), &other_clerk),
        (
            "dispatch",
            json!({"lead_department_code": "water"}),
            &supervisor,
        ),
        (
            "reject",
            json!({"reason": "x", "disposition": "malicious"}),
            &other_clerk,
        ),
        ("merge", json!({"primary_id": id}), &supervisor),
        ("supervise", json!({"reason": "x"}), &dispatcher),
        ("notes", json!({"content": "x"}), &other_clerk),
        (
            "follow-up",
            json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
            &co_clerk,
        ),
    ];
    let before = app.events_of(id);
    for (action, body, token) in cases {
        let r = app.act(id, action, &body, token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}: {}", r.body);
        assert_eq!(r.error_code(), "forbidden");
    }
    assert_eq!(app.events_of(id), before);
    assert_eq!(app.status_of(id).await, "dispatched");
    let view = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&other_clerk))
        .await;
    assert_eq!(
        view.status,
        StatusCode::FORBIDDEN,
        "another department's appeal"
    );
}

#[actix_web::test]
async fn a_co_handler_signs_its_part_and_may_add_notes() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let co = app.login("clerk.water").await;
    let r = app.act(id, "sign", &json!({}), &co).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["status"], "dispatched",
        "the lead has not signed yet"
    );
    let again = app.act(id, "sign", &json!({}), &co).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let note = app
        .act(
            id,
            "notes",
            &json!({"content": "已关闭相邻管段阀门配合检修"}),
            &co,
        )
        .await;
    assert_eq!(note.status, StatusCode::OK, "{}", note.body);
    assert_eq!(note.body["notes"][0]["visibility"], "internal");
    let queue = app.get("/api/v1/queue", Some(&co)).await;
    assert_eq!(queue.body["items"][0]["assignment_role"], "co");
}

#[actix_web::test]
async fn a_return_puts_the_appeal_back_in_the_pool() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let clerk = app.login("clerk.heating").await;
    let dispatcher = app.login("dispatcher").await;
    let r = app
        .act(
            id,
            "return",
            &json!({"reason": "该小区由自来水公司负责"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "submitted");
    assert_eq!(r.body["return_count"], 1);
    assert!(r.body["lead_department_code"].is_null());
    let queue = app.get("/api/v1/queue", Some(&clerk)).await;
    assert_eq!(queue.body["total"], 0, "gone from the department's queue");
    let pool = app.get("/api/v1/pool", Some(&dispatcher)).await;
    assert_eq!(pool.body["items"][0]["return_count"], 1);
    // and it can be dispatched again
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "water"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn an_unsatisfied_follow_up_sends_the_appeal_back_and_a_round_is_answered_once() {
    let app = spawn_app().await;
    let id = app.appeal_in("resolved").await;
    let dispatcher = app.login("dispatcher").await;
    // "the department never contacted me, not solved": 重办
    let r = app
        .act(
            id,
            "follow-up",
            &json!({"contacted": false, "solved": false, "satisfaction": "dissatisfied"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress", "重办");
    assert_eq!(r.body["rehandle_count"], 1);
    assert_eq!(r.body["follow_ups"][0]["round"], 1);
    // the round is answered; a second call is a conflict and changes nothing
    let r = app
        .act(
            id,
            "follow-up",
            &json!({"contacted": true, "solved": true, "satisfaction": "very_satisfied"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM follow_ups WHERE appeal_id = '{id}'"
        )),
        1
    );
}

#[actix_web::test]
async fn bad_action_bodies_and_references_are_4xx_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.file_one().await;
    let dispatcher = app.login("dispatcher").await;
    let cases: Vec<(&str, Value, u16, Option<&str>)> = vec![
        ("dispatch", json!({}), 400, Some("lead_department_code")),
        (
            "dispatch",
            json!({"lead_department_code": "nowhere"}),
            422,
            Some("lead_department_code"),
        ),
        (
            "dispatch",
            json!({"lead_department_code": "heating", "co_department_codes": ["heating"]}),
            422,
            Some("co_department_codes"),
        ),
        (
            "dispatch",
            json!({"lead_department_code": "heating", "co_department_codes": ["ghost"]}),
            422,
            Some("co_department_codes"),
        ),
        (
            "dispatch",
            json!({"lead_department_code": "heating", "deadline_class": "someday"}),
            400,
            Some("deadline_class"),
        ),
        (
            "reject",
            json!({"reason": "x", "disposition": "because"}),
            400,
            Some("disposition"),
        ),
        (
            "reject",
            json!({"reason": "   ", "disposition": "malicious"}),
            422,
            Some("reason"),
        ),
        (
            "merge",
            json!({"primary_id": "not-a-uuid"}),
            400,
            Some("primary_id"),
        ),
        ("merge", json!({"primary_id": id}), 422, Some("primary_id")),
        (
            "merge",
            json!({"primary_id": uuid::Uuid::new_v4()}),
            422,
            Some("primary_id"),
        ),
        (
            "notes",
            json!({"content": "x", "visibility": "secret"}),
            400,
            Some("visibility"),
        ),
        ("sign", json!({"reason": "x"}), 400, Some("reason")),
        ("teleport", json!({}), 404, None),
    ];
    for (action, body, status, field) in cases {
        let r = app.act(id, action, &body, &dispatcher).await;
        assert_eq!(r.status.as_u16(), status, "{action} {body}: {}", r.body);
        r.error_code();
        assert_eq!(r.body["error"]["field"].as_str(), field, "{action} {body}");
    }
    assert_eq!(app.status_of(id).await, "submitted");
    assert_eq!(app.events_of(id), 1);
    assert_eq!(app.count("SELECT count(*) FROM assignments"), 0);

    let r = app
        .post(
            "/api/v1/appeals/not-a-uuid/sign",
            &json!({}),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post(
            &format!("/api/v1/appeals/{}/sign", uuid::Uuid::new_v4()),
            &json!({}),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
}

#[actix_web::test]
async fn a_stale_if_match_is_refused() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let clerk = app.login("clerk.heating").await;
    let view = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&clerk))
        .await;
    let version = view.body["version"].as_i64().expect("version");
    let stale = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/appeals/{id}/sign")))
                .bearer_auth(&clerk)
                .header("If-Match", (version - 1).to_string()),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let fresh = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/appeals/{id}/sign")))
                .bearer_auth(&clerk)
                .header("If-Match", version.to_string()),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    assert_eq!(fresh.body["version"], version + 1);
}

#[actix_web::test]
async fn merge_and_reject_record_why() {
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let primary = app.file_one().await;
    let duplicate = app.file_one().await;
    let r = app
        .act(
            duplicate,
            "merge",
            &json!({"primary_id": primary, "reason": "同一小区同一问题"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.body["status"], "merged");
    assert_eq!(r.body["merged_into"], json!(primary));
    // a merged appeal is no merge target
    let third = app.file_one().await;
    let r = app
        .act(
            third,
            "merge",
            &json!({"primary_id": duplicate}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .act(
            third,
            "reject",
            &json!({"reason": "火情，已转119", "disposition": "transferred_119"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(r.body["reject_disposition"], "transferred_119");
}
