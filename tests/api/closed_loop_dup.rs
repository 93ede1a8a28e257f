//! Duplicates, merging and repeat appeals (issue 5, points 5 and 6): suggestions by text
//! similarity, merges that refuse chains, the merged appellant following the primary, and
//! repeats after a closure listed and counted against the department that closed.

use diesel::RunQueryDsl;
use minxin::domain::credit_code::CreditCode;
use minxin::domain::duplicates::DUPLICATE_SIMILARITY_THRESHOLD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, spawn_app};

/// An appeal about the same cold flat as `citizen_appeal()`, in other words, by a neighbour.
fn neighbour_appeal() -> Value {
    let mut body = citizen_appeal();
    body["title"] = json!("小区暖气不热");
    body["content"] = json!("铁东区解放街道某小区3号楼，室温只有15度，已经持续一周了。");
    body["name"] = json!("李四");
    body["phone"] = json!("13900001111");
    body["email"] = json!("lisi@example.com");
    body
}

fn id_of(filed: &Value) -> Uuid {
    filed["id"].as_str().expect("id").parse().expect("uuid")
}

fn tracking_no_of(filed: &Value) -> String {
    filed["tracking_no"]
        .as_str()
        .expect("tracking_no")
        .to_owned()
}

async fn duplicates_of(app: &TestApp, id: Uuid, token: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/appeals/{id}/duplicates"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "duplicates: {}", r.body);
    r.body.as_array().expect("a list").clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(|d| d["id"].as_str().map(str::to_owned))
        .collect()
}

/// Dispatches to `department`, signs and replies as `clerk`, and records a satisfied follow-up:
/// the appeal is closed.
async fn drive_to_closed(app: &TestApp, id: Uuid, department: &str, clerk: &str) {
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login(clerk).await;
    let steps = [
        (
            "dispatch",
            json!({"lead_department_code": department}),
            &dispatcher,
        ),
        ("sign", json!({}), &clerk),
        ("reply", json!({"content": "已处理完毕"}), &clerk),
        (
            "follow-up",
            json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
            &dispatcher,
        ),
    ];
    for (action, body, token) in steps {
        let r = app.act(id, action, &body, token).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    assert_eq!(app.status_of(id).await, "closed");
}

async fn staff_view(app: &TestApp, id: Uuid) -> Value {
    let supervisor = app.login("supervisor").await;
    let r = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&supervisor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn intake_details(app: &TestApp, id: Uuid) -> Value {
    let supervisor = app.login("supervisor").await;
    let r = app
        .get(&format!("/api/v1/appeals/{id}/events"), Some(&supervisor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body[0]["action"], "intake");
    r.body[0]["details"].clone()
}

#[actix_web::test]
async fn similar_appeals_of_the_same_category_and_division_are_suggested() {
    // Arrange
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let original = app.file(&citizen_appeal()).await;
    let neighbour = app.file(&neighbour_appeal()).await;
    let mut unrelated = neighbour_appeal();
    unrelated["title"] = json!("询问供热收费标准");
    unrelated["content"] = json!("想了解今年冬季采暖费每平方米多少钱，可以在网上缴纳吗？");
    let unrelated = app.file(&unrelated).await;
    let mut next_street = neighbour_appeal();
    next_street["division_code"] = json!("210302002");
    let next_street = app.file(&next_street).await;
    let mut other_category = neighbour_appeal();
    other_category["category_code"] = json!("03.01.02");
    let other_category = app.file(&other_category).await;
    let rejected = app.file(&neighbour_appeal()).await;
    let r = app
        .act(
            id_of(&rejected),
            "reject",
            &json!({"reason": "重复提交", "disposition": "out_of_scope"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Act
    let found = duplicates_of(&app, id_of(&original), &dispatcher).await;

    // Assert: the neighbour's appeal first, well above the threshold; the closed one too
    assert_eq!(found[0]["id"], neighbour["id"], "{found:#?}");
    assert_eq!(found[0]["tracking_no"], neighbour["tracking_no"]);
    assert_eq!(found[0]["status"], "submitted");
    assert_eq!(found[0]["title"], "小区暖气不热");
    assert!(found[0]["created_at"].is_string());
    assert!(found[0]["lead_department_code"].is_null());
    let similarity = found[0]["similarity"].as_f64().expect("similarity");
    assert!(
        similarity > DUPLICATE_SIMILARITY_THRESHOLD && similarity <= 1.0,
        "{similarity}"
    );
    // the unrelated one is absent, or at least ranks below the neighbour
    if let Some(pos) = found.iter().position(|d| d["id"] == unrelated["id"]) {
        assert!(pos > 0);
        assert!(found[pos]["similarity"].as_f64().unwrap_or(1.0) < similarity);
    }
    for (what, absent) in [
        ("itself", &original["id"]),
        ("another division", &next_street["id"]),
        ("another category", &other_category["id"]),
        ("a rejected appeal", &rejected["id"]),
    ] {
        assert!(
            !found.iter().any(|d| &d["id"] == absent),
            "{what} must not be suggested: {found:#?}"
        );
    }
    let text = serde_json::to_string(&found).expect("json");
    for personal in [
        "13812341234",
        "13900001111",
        "张三",
        "李四",
        "lisi@example.com",
    ] {
        assert!(!text.contains(personal), "no personal data: {text}");
    }

    // A closed appeal is a candidate for 30 days after its closure (this one has the very same
    // text as the original), then no longer.
    let closed_recently = app.appeal_in("closed").await;
    let found = duplicates_of(&app, id_of(&original), &dispatcher).await;
    assert_eq!(found[0]["id"], json!(closed_recently), "{found:#?}");
    assert_eq!(found[0]["status"], "closed");
    assert_eq!(found[0]["lead_department_code"], "heating");
    assert_eq!(found[1]["id"], neighbour["id"]);
    diesel::sql_query(format!(
        "UPDATE appeals SET closed_at = now() - interval '31 days' WHERE id = '{closed_recently}'"
    ))
    .execute(&mut app.conn())
    .expect("age the closure");
    let found = duplicates_of(&app, id_of(&original), &dispatcher).await;
    assert!(!ids(&found).contains(&closed_recently.to_string()));
    assert_eq!(
        ids(&found)[..1],
        [neighbour["id"].as_str().unwrap_or("").to_owned()]
    );
}

#[actix_web::test]
async fn duplicates_are_for_the_hotline_centre_and_need_a_category() {
    let app = spawn_app().await;
    let id = app.file_one().await;
    let clerk = app.login("clerk.heating").await;
    let r = app
        .get(&format!("/api/v1/appeals/{id}/duplicates"), Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.error_code(), "forbidden");
    let anonymous = app
        .get(&format!("/api/v1/appeals/{id}/duplicates"), None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    for who in ["dispatcher", "supervisor", "admin"] {
        let token = app.login(who).await;
        let r = app
            .get(&format!("/api/v1/appeals/{id}/duplicates"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
    }

    let dispatcher = app.login("dispatcher").await;
    let unknown = app
        .get(
            &format!("/api/v1/appeals/{}/duplicates", Uuid::new_v4()),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert_eq!(unknown.error_code(), "not_found");
    let bad = app
        .get("/api/v1/appeals/not-a-uuid/duplicates", Some(&dispatcher))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Without a category there is nothing to compare against, even for the same text.
    let mut uncategorised = citizen_appeal();
    uncategorised
        .as_object_mut()
        .expect("object")
        .remove("category_code");
    let first = app.file(&uncategorised).await;
    app.file(&uncategorised).await;
    assert!(
        duplicates_of(&app, id_of(&first), &dispatcher)
            .await
            .is_empty()
    );
}

#[actix_web::test]
async fn a_duplicate_merged_into_the_suggested_primary_follows_it() {
    // Arrange
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let primary = app.file(&citizen_appeal()).await;
    let duplicate = app.file(&neighbour_appeal()).await;
    let (primary_id, duplicate_id) = (id_of(&primary), id_of(&duplicate));

    // Act: the dispatcher takes the suggestion
    let suggested = duplicates_of(&app, duplicate_id, &dispatcher).await;
    assert_eq!(
        ids(&suggested),
        [primary["id"].as_str().unwrap_or("").to_owned()]
    );
    let mut no_address = neighbour_appeal();
    no_address["phone"] = json!("13900002222");
    no_address.as_object_mut().expect("object").remove("email");
    let no_address = app.file(&no_address).await;
    for appeal in [duplicate_id, id_of(&no_address)] {
        let r = app
            .act(
                appeal,
                "merge",
                &json!({"primary_id": primary_id, "reason": "同一栋楼供暖问题"}),
                &dispatcher,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "merged");
        assert_eq!(r.body["merged_into"], primary["id"]);
    }

    // Assert: the merge event, and merged appeals are no longer suggested
    let events = app
        .get(
            &format!("/api/v1/appeals/{duplicate_id}/events"),
            Some(&dispatcher),
        )
        .await;
    let last = events
        .body
        .as_array()
        .and_then(|e| e.last())
        .expect("events");
    assert_eq!(last["action"], "merge");
    assert_eq!(last["to_status"], "merged");
    assert_eq!(
        last["details"]["primary_tracking_no"],
        primary["tracking_no"]
    );
    assert!(
        duplicates_of(&app, primary_id, &dispatcher)
            .await
            .is_empty()
    );

    // The merged appellant sees whom they follow, and its progress.
    let view = app.appellant_view(&duplicate).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["status"], "merged");
    assert_eq!(view.body["merged_into_tracking_no"], primary["tracking_no"]);
    assert_eq!(view.body["primary_status"], "submitted");
    assert_eq!(view.body["primary_replies"], json!([]));
    let own = app.appellant_view(&primary).await;
    assert!(own.body["merged_into_tracking_no"].is_null());
    assert!(own.body["primary_status"].is_null());

    // The primary is handled and answered by its lead department.
    let r = app
        .act(
            primary_id,
            "dispatch",
            &json!({"lead_department_code": "heating"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (action, body) in [
        ("sign", json!({})),
        (
            "reply",
            json!({"content": "已更换3号楼供热管道阀门，室温恢复至20度。"}),
        ),
    ] {
        let r = app.act(primary_id, action, &body, &clerk).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }

    // The merged appellant reads the primary's answer, without staff names.
    let view = app.appellant_view(&duplicate).await;
    assert_eq!(view.body["status"], "merged");
    assert_eq!(view.body["primary_status"], "resolved");
    let replies = view.body["primary_replies"].as_array().expect("replies");
    assert_eq!(replies.len(), 1, "{}", view.body);
    assert_eq!(
        replies[0]["content"],
        "已更换3号楼供热管道阀门，室温恢复至20度。"
    );
    assert_eq!(replies[0]["department_name"], "鞍山市热力集团");
    assert!(replies[0]["created_at"].is_string());
    let text = view.body.to_string();
    assert!(
        !text.contains("clerk.heating") && !text.contains("刘洋") && !text.contains("张三"),
        "no staff names, not the primary's appellant: {text}"
    );

    // E-mail: the primary's reply told the merged appellant too, under their own tracking number
    let replied_to = |appeal: Uuid| {
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE appeal_id = '{appeal}' AND kind = 'replied'"
        ))
    };
    assert_eq!(replied_to(duplicate_id), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE appeal_id = '{duplicate_id}' AND kind = 'replied' \
             AND recipient = 'lisi@example.com' AND subject LIKE '%{}%' AND body LIKE '%鞍山市热力集团%'",
            tracking_no_of(&duplicate)
        )),
        1,
        "the notice names the merged appeal and the primary's department"
    );
    assert_eq!(replied_to(id_of(&no_address)), 0, "no address, no e-mail");
}

#[actix_web::test]
async fn merges_into_itself_into_a_merged_appeal_or_across_a_chain_are_refused() {
    // Arrange: b is merged into a; c stands alone
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let a = app.file_one().await;
    let b = app.file_one().await;
    let c = app.file_one().await;
    let r = app
        .act(b, "merge", &json!({"primary_id": a}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tracking_no = |id: Uuid| {
        let app = &app;
        async move {
            staff_view(app, id).await["tracking_no"]
                .as_str()
                .expect("tracking_no")
                .to_owned()
        }
    };
    let (a_no, c_no) = (tracking_no(a).await, tracking_no(c).await);

    // (what, the appeal merged, the primary, what the message must say)
    let cases = [
        (
            "into itself",
            c,
            c,
            "cannot be merged into itself".to_owned(),
        ),
        (
            "into a merged appeal",
            c,
            b,
            "is itself merged into".to_owned(),
        ),
        (
            "across a chain",
            a,
            c,
            format!(
                "1 appeal is merged into this one; an appeal that others follow cannot itself be merged (that would make a chain of merges): merge {c_no} into this one instead"
            ),
        ),
        (
            "into nothing",
            c,
            Uuid::new_v4(),
            "no appeal with id".to_owned(),
        ),
    ];
    for (what, appeal, primary, message) in cases {
        let status_before = app.status_of(appeal).await;
        let events_before = app.events_of(appeal);
        let primary_events_before = app.events_of(primary);

        let r = app
            .act(
                appeal,
                "merge",
                &json!({"primary_id": primary}),
                &dispatcher,
            )
            .await;

        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            r.body
        );
        assert_eq!(r.error_code(), "validation_failed", "{what}");
        assert_eq!(r.body["error"]["field"], "primary_id", "{what}");
        let said = r.body["error"]["message"].as_str().unwrap_or("");
        assert!(said.contains(&message), "{what}: {said}");
        assert_eq!(app.status_of(appeal).await, status_before, "{what}");
        assert_eq!(app.events_of(appeal), events_before, "{what}");
        assert_eq!(app.events_of(primary), primary_events_before, "{what}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM appeals WHERE merged_into = '{a}'"
        )),
        1
    );
    assert_eq!(staff_view(&app, a).await["merged_into"], Value::Null);
    // the way out the message names works
    let r = app
        .act(c, "merge", &json!({"primary_id": a}), &dispatcher)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "merging {c_no} into {a_no}: {}",
        r.body
    );
}

#[actix_web::test]
async fn a_citizen_back_in_the_same_category_within_a_week_of_a_closure_is_a_repeat() {
    // Arrange: 张三's appeal about the cold flat was closed by the heating company
    let app = spawn_app().await;
    let supervisor = app.login("supervisor").await;
    let closed = app.appeal_in("closed").await;
    let closed_no = staff_view(&app, closed).await["tracking_no"]
        .as_str()
        .expect("tracking_no")
        .to_owned();

    // Act: he files again about the same category; others file too
    let repeat = app.file(&citizen_appeal()).await;
    let mut other_category = citizen_appeal();
    other_category["category_code"] = json!("03.01.02");
    let other_category = app.file(&other_category).await;
    let mut other_phone = citizen_appeal();
    other_phone["phone"] = json!("13900001111");
    let other_phone = app.file(&other_phone).await;

    // Assert: only the same phone and category is flagged, in the staff view and the intake event
    let view = staff_view(&app, id_of(&repeat)).await;
    assert_eq!(view["repeat_of"], json!(closed));
    assert_eq!(view["repeat_of_tracking_no"], closed_no);
    assert_eq!(
        intake_details(&app, id_of(&repeat)).await["repeat_of"],
        closed_no
    );
    for (what, filed) in [
        ("another category", &other_category),
        ("another phone", &other_phone),
    ] {
        let view = staff_view(&app, id_of(filed)).await;
        assert!(view["repeat_of"].is_null(), "{what}: {view}");
        assert!(view["repeat_of_tracking_no"].is_null(), "{what}");
        assert!(
            intake_details(&app, id_of(filed)).await["repeat_of"].is_null(),
            "{what}"
        );
    }
    assert!(staff_view(&app, closed).await["repeat_of"].is_null());
    // the appellant's own view does not carry it
    let own = app.appellant_view(&repeat).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.get("repeat_of").is_none(), "{}", own.body);

    // Listed for supervisors, newest first, without personal data.
    let list = app.get("/api/v1/repeats", Some(&supervisor)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["page"], 1);
    let item = &list.body["items"][0];
    assert_eq!(item["id"], repeat["id"]);
    assert_eq!(item["tracking_no"], repeat["tracking_no"]);
    assert_eq!(item["category_code"], "03.01.01");
    assert!(item["created_at"].is_string());
    assert_eq!(item["repeat_of"], json!(closed));
    assert_eq!(item["repeat_of_tracking_no"], closed_no);
    assert!(item["repeat_of_closed_at"].is_string());
    assert_eq!(item["repeat_of_lead_department_code"], "heating");
    let text = list.body.to_string();
    assert!(
        !text.contains("13812341234") && !text.contains("张三") && !text.contains("zhangsan"),
        "{text}"
    );

    // Counted against the department whose closure is in doubt.
    let counts = app
        .get("/api/v1/repeats/by-department", Some(&supervisor))
        .await;
    assert_eq!(counts.status, StatusCode::OK, "{}", counts.body);
    assert_eq!(
        counts.body,
        json!([{"department_code": "heating", "department_name": "鞍山市热力集团", "repeats": 1, "closures": 1}])
    );

    // Supervisors and administrators only.
    for who in ["dispatcher", "clerk.heating"] {
        let token = app.login(who).await;
        for path in ["/api/v1/repeats", "/api/v1/repeats/by-department"] {
            let r = app.get(path, Some(&token)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {path}: {}", r.body);
        }
    }
    let admin = app.login("admin").await;
    assert_eq!(
        app.get("/api/v1/repeats", Some(&admin)).await.status,
        StatusCode::OK
    );
    let bad_page = app
        .get("/api/v1/repeats?per_page=0", Some(&supervisor))
        .await;
    assert_eq!(bad_page.status, StatusCode::BAD_REQUEST);

    // A closure more than 7 days back is no longer doubted by a new appeal.
    diesel::sql_query(format!(
        "UPDATE appeals SET closed_at = now() - interval '8 days' WHERE id = '{closed}'"
    ))
    .execute(&mut app.conn())
    .expect("age the closure");
    let late = app.file(&citizen_appeal()).await;
    assert!(staff_view(&app, id_of(&late)).await["repeat_of"].is_null());
}

#[actix_web::test]
async fn repeats_count_per_department_each_matter_once() {
    // Arrange: heating closed 张三's appeal, water closed 王五's
    let app = spawn_app().await;
    let supervisor = app.login("supervisor").await;
    let dispatcher = app.login("dispatcher").await;
    let heating_closed = app.appeal_in("closed").await;
    let mut wang = citizen_appeal();
    wang["phone"] = json!("13700003333");
    wang["name"] = json!("王五");
    let water_closed = id_of(&app.file(&wang).await);
    drive_to_closed(&app, water_closed, "water", "clerk.water").await;

    // Act: 张三 comes back twice, 王五 once
    let first = app.file(&citizen_appeal()).await;
    let second = app.file(&citizen_appeal()).await;
    let wang_again = app.file(&wang).await;

    // Assert
    assert_eq!(
        staff_view(&app, id_of(&second)).await["repeat_of"],
        json!(heating_closed)
    );
    assert_eq!(
        staff_view(&app, id_of(&wang_again)).await["repeat_of"],
        json!(water_closed)
    );
    let list = app.get("/api/v1/repeats", Some(&supervisor)).await;
    assert_eq!(list.body["total"], 3);
    let newest_first: Vec<&Value> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(
        newest_first,
        [&wang_again["id"], &second["id"], &first["id"]]
    );
    let paged = app
        .get("/api/v1/repeats?page=2&per_page=2", Some(&supervisor))
        .await;
    assert_eq!(paged.body["total"], 3);
    assert_eq!(paged.body["items"][0]["id"], first["id"]);
    let counts = app
        .get("/api/v1/repeats/by-department", Some(&supervisor))
        .await;
    assert_eq!(
        counts.body,
        json!([
            {"department_code": "heating", "department_name": "鞍山市热力集团", "repeats": 2, "closures": 1},
            {"department_code": "water", "department_name": "鞍山市自来水总公司", "repeats": 1, "closures": 1},
        ])
    );

    // 张三's second appeal merged into his first: the matter counts once.
    let r = app
        .act(
            id_of(&second),
            "merge",
            &json!({"primary_id": first["id"]}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let counts = app
        .get("/api/v1/repeats/by-department", Some(&supervisor))
        .await;
    assert_eq!(counts.body[0]["department_code"], "heating");
    assert_eq!(counts.body[0]["repeats"], 1);
    assert_eq!(counts.body[1]["repeats"], 1);
}

#[actix_web::test]
async fn an_enterprise_is_recognised_by_its_credit_code() {
    // Arrange: an enterprise's appeal closed by the heating company
    let app = spawn_app().await;
    let code = CreditCode::complete("91210300MA1234567").expect("valid code");
    let other_code = CreditCode::complete("91210300MA7654321").expect("valid code");
    let enterprise = |credit_code: &str, phone: &str| {
        let mut body = citizen_appeal();
        body["appellant_kind"] = json!("enterprise");
        body["enterprise_name"] = json!("鞍山某某机械有限公司");
        body["credit_code"] = json!(credit_code);
        body["phone"] = json!(phone);
        body
    };
    let closed = id_of(&app.file(&enterprise(code.as_str(), "13600004444")).await);
    drive_to_closed(&app, closed, "heating", "clerk.heating").await;

    // Act: the same enterprise through another contact; another enterprise through the same one
    let same_enterprise = app.file(&enterprise(code.as_str(), "13600005555")).await;
    let other_enterprise = app
        .file(&enterprise(other_code.as_str(), "13600004444"))
        .await;

    // Assert
    let view = staff_view(&app, id_of(&same_enterprise)).await;
    assert_eq!(view["repeat_of"], json!(closed), "{view}");
    assert_eq!(
        intake_details(&app, id_of(&same_enterprise)).await["repeat_of"],
        view["repeat_of_tracking_no"]
    );
    assert!(
        staff_view(&app, id_of(&other_enterprise)).await["repeat_of"].is_null(),
        "another credit code is another appellant"
    );
    // a citizen with the enterprise contact's phone is not the enterprise either
    let mut citizen = citizen_appeal();
    citizen["phone"] = json!("13600004444");
    let citizen = app.file(&citizen).await;
    assert!(staff_view(&app, id_of(&citizen)).await["repeat_of"].is_null());
}
