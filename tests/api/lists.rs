use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn the_pool_lists_waiting_appeals_oldest_first_in_pages() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.file_one().await.to_string());
    }
    let dispatcher = app.login("dispatcher").await;
    app.act(
        ids[1].parse().expect("uuid"),
        "reject",
        &json!({"reason": "恶意", "disposition": "malicious"}),
        &dispatcher,
    )
    .await;

    let page1 = app.get("/api/v1/pool?per_page=2", Some(&dispatcher)).await;
    assert_eq!(page1.body["total"], 4);
    assert_eq!(page1.body["items"][0]["id"], ids[0]);
    assert_eq!(
        page1.body["items"][1]["id"], ids[2],
        "the rejected one left the pool"
    );
    let page2 = app
        .get("/api/v1/pool?per_page=2&page=2", Some(&dispatcher))
        .await;
    assert_eq!(page2.body["items"][0]["id"], ids[3]);

    for bad in [
        "per_page=0",
        "per_page=1000",
        "page=0",
        "page=abc",
        "page=9223372036854775807",
    ] {
        let r = app
            .get(&format!("/api/v1/pool?{bad}"), Some(&dispatcher))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        r.error_code();
    }
}

#[actix_web::test]
async fn a_clerk_sees_only_the_own_department_and_can_filter_by_status() {
    let app = spawn_app().await;
    let signed = app.appeal_in("in_progress").await;
    let _waiting = app.dispatched().await;
    let dispatcher = app.login("dispatcher").await;
    let urban_case = app.file_one().await;
    app.act(
        urban_case,
        "dispatch",
        &json!({"lead_department_code": "urban"}),
        &dispatcher,
    )
    .await;

    let heating = app.login("clerk.heating").await;
    let all = app.get("/api/v1/queue", Some(&heating)).await;
    assert_eq!(all.body["total"], 2);
    let in_progress = app
        .get("/api/v1/queue?status=in_progress", Some(&heating))
        .await;
    assert_eq!(in_progress.body["total"], 1);
    assert_eq!(in_progress.body["items"][0]["id"], signed.to_string());
    let both = app
        .get(
            "/api/v1/queue?status=in_progress,dispatched",
            Some(&heating),
        )
        .await;
    assert_eq!(both.body["total"], 2);
    let bad = app
        .get("/api/v1/queue?status=nonsense", Some(&heating))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["field"], "status");

    let urban = app.login("clerk.urban").await;
    let theirs = app.get("/api/v1/queue", Some(&urban)).await;
    assert_eq!(theirs.body["total"], 1);
    assert_eq!(theirs.body["items"][0]["id"], urban_case.to_string());
}

#[actix_web::test]
async fn reference_lists_are_public_and_shaped_for_the_form() {
    let app = spawn_app().await;
    let divisions = app.get("/api/v1/divisions", None).await;
    let anshan = divisions
        .body
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "210300")
        .cloned()
        .expect("Anshan");
    assert_eq!(anshan["name"], "鞍山市");
    for (code, name) in [
        ("210302", "铁东区"),
        ("210303", "铁西区"),
        ("210304", "立山区"),
        ("210311", "千山区"),
        ("210321", "台安县"),
        ("210323", "岫岩满族自治县"),
        ("210381", "海城市"),
    ] {
        let d = divisions
            .body
            .as_array()
            .expect("array")
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .expect(code);
        assert_eq!(d["name"], name);
        assert_eq!(d["parent_code"], "210300");
    }
    let categories = app.get("/api/v1/categories", None).await;
    assert!(categories.body.as_array().is_some_and(|c| c.len() >= 40));
    let departments = app.get("/api/v1/departments", None).await;
    let heating = departments
        .body
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "heating")
        .cloned()
        .expect("heating");
    assert_eq!(heating["kind"], "utility");
    assert!(
        heating.get("email").is_none(),
        "no contact addresses in public lists"
    );
}
