use crate::helpers::{citizen_appeal, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn contact_details_follow_the_viewer() {
    let app = spawn_app().await;
    let id = app.dispatched().await; // heating leads, water co-handles
    let lead = app.login("clerk.heating").await;
    let co = app.login("clerk.water").await;
    let dispatcher = app.login("dispatcher").await;

    let full = app.get(&format!("/api/v1/appeals/{id}"), Some(&lead)).await;
    assert_eq!(full.body["contact_visibility"], "full");
    assert_eq!(full.body["phone"], "13812341234");
    assert_eq!(full.body["name"], "张三");

    for (who, token) in [("co-handler", &co), ("dispatcher", &dispatcher)] {
        let masked = app.get(&format!("/api/v1/appeals/{id}"), Some(token)).await;
        assert_eq!(masked.status, StatusCode::OK, "{who}");
        assert_eq!(masked.body["contact_visibility"], "masked", "{who}");
        assert_eq!(masked.body["phone"], "138****1234", "{who}");
        assert_eq!(masked.body["name"], "张*", "{who}");
        assert_eq!(masked.body["email"], "z***@example.com", "{who}");
    }

    // Lists carry no personal data at all.
    let queue = app.get("/api/v1/queue", Some(&lead)).await;
    let text = queue.body.to_string();
    assert!(
        !text.contains("1381234") && !text.contains("张三"),
        "{text}"
    );
}

#[actix_web::test]
async fn a_confidential_appeal_hides_the_appellant_from_departments() {
    let app = spawn_app().await;
    let mut body = citizen_appeal();
    body["confidential"] = json!(true);
    let filed = app.file(&body).await;
    let id: uuid::Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let dispatcher = app.login("dispatcher").await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["contact_visibility"], "masked",
        "the hotline centre still sees a masked contact"
    );

    let lead = app.login("clerk.heating").await;
    let view = app.get(&format!("/api/v1/appeals/{id}"), Some(&lead)).await;
    assert_eq!(view.body["contact_visibility"], "hidden");
    for field in ["name", "phone", "email"] {
        assert!(
            view.body[field].is_null(),
            "{field} must be hidden: {}",
            view.body
        );
    }
    assert!(!view.body.to_string().contains("13812341234"));
}

#[actix_web::test]
async fn the_appellant_never_sees_internal_notes_or_staff_names() {
    let app = spawn_app().await;
    let filed = app.file(&citizen_appeal()).await;
    let id: uuid::Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let supervisor = app.login("supervisor").await;
    app.act(
        id,
        "notes",
        &json!({"content": "内部：此人多次来电", "visibility": "internal"}),
        &supervisor,
    )
    .await;
    let r = app
        .act(
            id,
            "notes",
            &json!({"content": "您的诉求已转交相关部门", "visibility": "public"}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let view = app.appellant_view(&filed).await;
    let text = view.body.to_string();
    assert!(text.contains("您的诉求已转交相关部门"), "{text}");
    assert!(
        !text.contains("此人多次来电"),
        "internal note leaked: {text}"
    );
    assert!(
        !text.contains("supervisor") && !text.contains("王芳"),
        "staff name leaked: {text}"
    );
}
