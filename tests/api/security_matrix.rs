//! The security matrix: every operation of the API (as `/api/openapi.json` lists them) × every
//! kind of caller — anonymous, a clerk of the appeal's lead department, a clerk of an unrelated
//! department, a dispatcher, a supervisor, an administrator — with what each must get:
//!
//! - `U`: 401 (no token);
//! - `F`: 403 (the role or the department may not);
//! - `N`: 404 (there is nothing for this caller to find);
//! - `A`: let through: anything but 401, 403 and 5xx (200, or 409/422 when the appeal's state or
//!   the body says no — those come after the caller was let through);
//! - `2`: let through and done: a 2xx (where the fresh appeal's state allows the action).
//!
//! Appeal operations run on a fresh appeal dispatched to `heating` (with `water` co-handling)
//! for every cell, so that no cell depends on another. The test also fails when the API has an
//! operation the matrix does not list, so a new endpoint cannot go unchecked.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, spawn_app};

/// The callers, in the order of each row's expectations.
const CALLERS: [Option<&str>; 6] = [
    None,
    Some("clerk.heating"),
    Some("clerk.urban"),
    Some("dispatcher"),
    Some("supervisor"),
    Some("admin"),
];

/// One operation: method, the path template as documented, the expected classes for the six
/// callers, and a body.
struct Row {
    method: &'static str,
    template: &'static str,
    expect: &'static str,
    body: Value,
}

fn row(method: &'static str, template: &'static str, expect: &'static str, body: Value) -> Row {
    Row {
        method,
        template,
        expect,
        body,
    }
}

fn rows() -> Vec<Row> {
    let none = json!({});
    let reason = json!({"reason": "权限矩阵测试"});
    let future = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    vec![
        // integrations' keys: administrators only
        row("GET", "/api/v1/api-keys", "UFFFF2", none.clone()),
        row(
            "POST",
            "/api/v1/api-keys",
            "UFFFF2",
            json!({"name": "matrix"}),
        ),
        row(
            "POST",
            "/api/v1/api-keys/{id}/revoke",
            "UFFFFA",
            none.clone(),
        ),
        // public intake
        row("POST", "/api/v1/appeals", "222222", citizen_appeal()),
        // the staff actions, by the rules of DESIGN.md §1
        row(
            "POST",
            "/api/v1/appeals/{id}/dispatch",
            "UFFAFF",
            json!({"lead_department_code": "heating"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/reject",
            "UFFAFF",
            json!({"reason": "x", "disposition": "legal_channel"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/merge",
            "UFFAFF",
            json!({"primary_id": Uuid::new_v4()}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/refuse-return",
            "UFFAFF",
            reason.clone(),
        ),
        row("POST", "/api/v1/appeals/{id}/sign", "U2FFFF", none.clone()),
        row(
            "POST",
            "/api/v1/appeals/{id}/assign",
            "U2FFFF",
            json!({"assignee": "clerk.heating2"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/return",
            "U2FFFF",
            reason.clone(),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/suspend",
            "UAFFFF",
            reason.clone(),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/resume",
            "UAFFFF",
            none.clone(),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/reply",
            "UAFFFF",
            json!({"content": "已处理"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/extension",
            "U2FFFF",
            json!({"until": future, "reason": "需要协调"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/extension-decision",
            "UFFFAF",
            json!({"approve": true}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/follow-up",
            "UFFAAA",
            json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/supervise",
            "UFFF2F",
            json!({"reason": "督办", "active": true}),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/close",
            "UFFFAF",
            reason.clone(),
        ),
        row(
            "POST",
            "/api/v1/appeals/{id}/notes",
            "U2F222",
            json!({"content": "备注", "visibility": "internal"}),
        ),
        // reading one appeal: its departments and the centre
        row("GET", "/api/v1/appeals/{key}", "U2F222", none.clone()),
        row("GET", "/api/v1/appeals/{id}/events", "U2F222", none.clone()),
        row(
            "GET",
            "/api/v1/appeals/{id}/photos/{photo_id}",
            "UAFAAA",
            none.clone(),
        ),
        row(
            "GET",
            "/api/v1/appeals/{id}/duplicates",
            "UFF222",
            none.clone(),
        ),
        // lists
        row("GET", "/api/v1/queue", "U22FFF", none.clone()),
        row("GET", "/api/v1/pool", "UFF222", none.clone()),
        row("GET", "/api/v1/follow-ups/awaiting", "UFF222", none.clone()),
        row("GET", "/api/v1/extensions", "UFFF22", none.clone()),
        row("GET", "/api/v1/repeats", "UFFF22", none.clone()),
        row(
            "GET",
            "/api/v1/repeats/by-department",
            "UFFF22",
            none.clone(),
        ),
        // reports: supervisors and administrators
        row("GET", "/api/v1/reports/summary", "UFFF22", none.clone()),
        row("GET", "/api/v1/reports/ranking", "UFFF22", none.clone()),
        row("GET", "/api/v1/reports/hotspots", "UFFF22", none.clone()),
        // the rule table: administrators; explain: the centre
        row("GET", "/api/v1/routing-rules", "UFFFF2", none.clone()),
        row(
            "POST",
            "/api/v1/routing-rules",
            "UFFFFA",
            json!({"name": "matrix", "priority": 5000, "conditions": {}, "action": {}}),
        ),
        row(
            "POST",
            "/api/v1/routing-rules/reorder",
            "UFFFFA",
            json!({"ids": []}),
        ),
        row("GET", "/api/v1/routing-rules/{id}", "UFFFFA", none.clone()),
        row(
            "PUT",
            "/api/v1/routing-rules/{id}",
            "UFFFFA",
            json!({"name": "matrix", "priority": 5000, "conditions": {}, "action": {}}),
        ),
        row(
            "POST",
            "/api/v1/routing-rules/{id}/{switch}",
            "UFFFFA",
            none.clone(),
        ),
        row("POST", "/api/v1/routing/explain", "UFF222", none.clone()),
        row(
            "POST",
            "/api/v1/routing/test-draft",
            "UFFFFA",
            json!({"rule": {"name": "matrix", "priority": 5000, "conditions": {}, "action": {}}}),
        ),
        // staffing and the calendar
        row(
            "POST",
            "/api/v1/departments/{code}/auto-assign",
            "UFFFF2",
            json!({"enabled": false}),
        ),
        row(
            "POST",
            "/api/v1/users/{username}/absence",
            "U2FFF2",
            json!({"absent": false}),
        ),
        row("GET", "/api/v1/calendar", "222222", none.clone()),
        row("PUT", "/api/v1/calendar", "UFFFF2", none.clone()),
        row("GET", "/api/v1/calendar/changes", "UFFFF2", none.clone()),
        row(
            "PUT",
            "/api/v1/calendar/days/{date}",
            "UFFFF2",
            json!({"kind": "holiday", "name": "矩阵"}),
        ),
        row(
            "DELETE",
            "/api/v1/calendar/days/{date}",
            "UFFFFA",
            none.clone(),
        ),
        // public: reference data, login, the follow-up link, health
        row("GET", "/api/v1/categories", "222222", none.clone()),
        row("GET", "/api/v1/divisions", "222222", none.clone()),
        row("GET", "/api/v1/departments", "222222", none.clone()),
        row(
            "POST",
            "/api/v1/auth/login",
            "222222",
            json!({"username": "supervisor", "password": crate::helpers::PASSWORD}),
        ),
        row("GET", "/api/v1/follow-up/{token}", "AAAAAA", none.clone()),
        row(
            "POST",
            "/api/v1/follow-up/{token}",
            "AAAAAA",
            json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
        ),
        row("GET", "/healthz", "222222", none.clone()),
        row("GET", "/readyz", "222222", none),
    ]
}

/// The concrete path and body of a row for one cell, on the given appeal.
fn concrete(row: &Row, appeal: Uuid, calendar: &Value) -> (String, Value) {
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = row
        .template
        .replace("{id}/revoke", &format!("{}/revoke", Uuid::new_v4()))
        .replace("{id}/{switch}", "1/disable")
        .replace("routing-rules/{id}", "routing-rules/1")
        .replace("{key}", &appeal.to_string())
        .replace("{id}", &appeal.to_string())
        .replace("{photo_id}", &Uuid::new_v4().to_string())
        .replace("{code}", "heating")
        .replace("{username}", "clerk.heating")
        .replace("{date}", "2027-01-04")
        .replace("{token}", "not-a-link");
    let path = match row.template {
        "/api/v1/reports/summary" => format!("{path}?from={today}&to={today}&group_by=department"),
        "/api/v1/reports/ranking" | "/api/v1/reports/hotspots" => format!("{path}?period={month}"),
        _ => path,
    };
    let body = match row.template {
        "/api/v1/routing/explain" => json!({"appeal_id": appeal}),
        "/api/v1/calendar" if row.method == "PUT" => json!({
            "time_zone": calendar["time_zone"],
            "working_hours": calendar["working_hours"],
            "working_weekdays": calendar["working_weekdays"],
        }),
        _ => row.body.clone(),
    };
    (path, body)
}

fn class_of(status: StatusCode) -> char {
    match status.as_u16() {
        401 => 'U',
        403 => 'F',
        s if s >= 500 => '!',
        _ => 'A',
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> StatusCode {
    let url = app.url(path);
    let mut req = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url).json(body),
        "PUT" => app.client.put(url).json(body),
        "DELETE" => app.client.delete(url),
        other => panic!("no method {other}"),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").status()
}

#[actix_web::test]
async fn every_operation_answers_every_kind_of_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for caller in CALLERS {
        tokens.push(match caller {
            Some(username) => Some(app.login(username).await),
            None => None,
        });
    }
    let calendar = app.get("/api/v1/calendar", None).await.body;

    // the matrix covers exactly the documented operations
    let doc = app.get("/api/openapi.json", None).await.body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let listed: BTreeSet<String> = rows()
        .iter()
        .map(|r| format!("{} {}", r.method, r.template))
        .collect();
    assert_eq!(
        documented.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "operations without a row in the matrix"
    );
    assert_eq!(
        listed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows for operations the API does not have"
    );

    let mut wrong = Vec::new();
    for row in rows() {
        // the operations on one appeal: under /appeals/, and explain (asked by appeal id)
        let on_appeal = row.template.starts_with("/api/v1/appeals/")
            || row.template == "/api/v1/routing/explain";
        for (i, expected) in row.expect.chars().enumerate() {
            // a fresh appeal for every cell of an appeal's row
            let appeal = if on_appeal {
                app.dispatched().await
            } else {
                Uuid::nil()
            };
            let (path, body) = concrete(&row, appeal, &calendar);
            let status = send(&app, row.method, &path, &body, tokens[i].as_deref()).await;
            let got = class_of(status);
            let fits = match expected {
                '2' => status.is_success(),
                other => got == other,
            };
            if !fits {
                wrong.push(format!(
                    "{} {} as {}: expected {expected}, got {status}",
                    row.method,
                    path,
                    CALLERS[i].unwrap_or("anonymous")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[actix_web::test]
async fn an_appellant_reads_only_the_appeal_whose_code_they_hold() {
    let app = spawn_app().await;
    let mine = app.file(&citizen_appeal()).await;
    let theirs = app.file(&citizen_appeal()).await;
    // another appeal's number with my code, and my number with no or a made-up code: one 404
    for path in [
        format!(
            "/api/v1/appeals/{}?access_code={}",
            theirs["tracking_no"].as_str().expect("no"),
            mine["access_code"].as_str().expect("code")
        ),
        format!(
            "/api/v1/appeals/{}?access_code=ABCD2345",
            mine["tracking_no"].as_str().expect("no")
        ),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = app.appellant_view(&mine).await;
    assert_eq!(r.status, StatusCode::OK);
    // and no staff view without a token, whatever id is guessed
    let r = app
        .get(
            &format!("/api/v1/appeals/{}", mine["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
