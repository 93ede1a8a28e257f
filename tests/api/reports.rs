//! The summary report: figures on a small set of appeals whose numbers are known by hand, the
//! counted follow-up round, CSV, and bad queries.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use minxin::config::CountedRound;

async fn act_ok(app: &TestApp, id: Uuid, action: &str, body: Value, who: &str) {
    let token = app.login(who).await;
    let r = app.act(id, action, &body, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{action} by {who}: {}", r.body);
}

fn follow_up(solved: bool, satisfaction: &str) -> Value {
    json!({"contacted": true, "solved": solved, "satisfaction": satisfaction})
}

/// heating: A closed very satisfied; B re-handled (round 1 not solved, dissatisfied; round 2
/// satisfied). water: C dispatched, never signed; E returned once, then dispatched again.
/// Pool: D merged into A (counted through A, so not at all); F rejected.
async fn dataset(app: &TestApp) {
    let a = app.replied("heating", "clerk.heating").await;
    act_ok(
        app,
        a,
        "follow-up",
        follow_up(true, "very_satisfied"),
        "dispatcher",
    )
    .await;
    let b = app.replied("heating", "clerk.heating").await;
    act_ok(
        app,
        b,
        "follow-up",
        follow_up(false, "dissatisfied"),
        "dispatcher",
    )
    .await;
    act_ok(
        app,
        b,
        "reply",
        json!({"content": "已重新处理"}),
        "clerk.heating",
    )
    .await;
    act_ok(
        app,
        b,
        "follow-up",
        follow_up(true, "satisfied"),
        "dispatcher",
    )
    .await;
    let c = app.file_one().await;
    act_ok(
        app,
        c,
        "dispatch",
        json!({"lead_department_code": "water"}),
        "dispatcher",
    )
    .await;
    let e = app.file_one().await;
    act_ok(
        app,
        e,
        "dispatch",
        json!({"lead_department_code": "heating"}),
        "dispatcher",
    )
    .await;
    act_ok(
        app,
        e,
        "return",
        json!({"reason": "不属于供热"}),
        "clerk.heating",
    )
    .await;
    act_ok(
        app,
        e,
        "dispatch",
        json!({"lead_department_code": "water"}),
        "dispatcher",
    )
    .await;
    let d = app.file_one().await;
    act_ok(app, d, "merge", json!({"primary_id": a}), "dispatcher").await;
    let f = app.file_one().await;
    act_ok(
        app,
        f,
        "reject",
        json!({"reason": "咨询类，已解答", "disposition": "out_of_scope"}),
        "dispatcher",
    )
    .await;
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string()
}

/// `from=<yesterday>&to=<today>`: the test's appeals, even when it runs across midnight.
fn period() -> String {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let yesterday = now - chrono::Duration::days(1);
    format!(
        "from={}&to={}",
        yesterday.format("%Y-%m-%d"),
        now.format("%Y-%m-%d")
    )
}

async fn summary(app: &TestApp, query: &str) -> crate::helpers::Reply {
    let token = app.login("supervisor").await;
    app.get(&format!("/api/v1/reports/summary?{query}"), Some(&token))
        .await
}

fn row<'a>(rows: &'a Value, key: &str, value: Value) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {rows}"))
}

#[actix_web::test]
async fn the_summary_by_department_adds_up_by_hand() {
    let app = spawn_app().await;
    dataset(&app).await;
    let r = summary(&app, &format!("{}&group_by=department", period())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let heating = row(&r.body, "department_code", json!("heating"));
    assert_eq!(heating["department_name"], "鞍山市热力集团");
    assert_eq!(heating["received"], 2);
    assert_eq!(heating["dispatched"], 2);
    assert_eq!(heating["closure_rate"], 1.0);
    assert_eq!(heating["valid_follow_ups"], 2);
    // the latest round counts: A very satisfied, B satisfied
    assert_eq!(heating["response_rate"], 1.0);
    assert_eq!(heating["resolution_rate"], 1.0);
    assert_eq!(heating["satisfaction_rate"], 1.0);
    assert_eq!(heating["composite_score"], 1.0);
    assert_eq!(heating["rehandle_rate"], 0.5);
    assert_eq!(heating["on_time_sign_rate"], 1.0);
    assert_eq!(heating["on_time_reply_rate"], 1.0);
    let water = row(&r.body, "department_code", json!("water"));
    assert_eq!(water["received"], 2);
    assert_eq!(water["dispatched"], 2);
    assert_eq!(water["resolved"], 0);
    assert_eq!(water["closure_rate"], 0.0);
    assert_eq!(water["return_rate"], 0.5, "E was returned once");
    assert!(
        water["response_rate"].is_null(),
        "no follow-up: no rate, not a zero"
    );
    // the merged D is counted through A; the rejected F has no department
    let total: i64 = r
        .body
        .as_array()
        .expect("rows")
        .iter()
        .map(|g| g["received"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, 5, "A B C E F; D merged");
    let none = row(&r.body, "department_code", Value::Null);
    assert_eq!(none["received"], 1);
    assert_eq!(none["dispatched"], 0);
    assert!(none["closure_rate"].is_null());
}

#[actix_web::test]
async fn the_first_round_can_be_the_one_that_counts() {
    let app = spawn_app_with(|s| s.follow_up.counted_round = CountedRound::First).await;
    dataset(&app).await;
    let r = summary(&app, &format!("{}&group_by=department", period())).await;
    let heating = row(&r.body, "department_code", json!("heating"));
    assert_eq!(
        heating["resolution_rate"], 0.5,
        "B's first round was not solved"
    );
    assert_eq!(heating["satisfaction_rate"], 0.5);
    let composite = heating["composite_score"].as_f64().expect("score");
    assert!(
        (composite - (0.1 * 1.0 + 0.5 * 0.5 + 0.4 * 0.5)).abs() < 1e-9,
        "{composite}"
    );
}

#[actix_web::test]
async fn two_dimensions_and_csv_for_excel() {
    let app = spawn_app().await;
    dataset(&app).await;
    let day = today();
    let month = &day[..7];
    let r = summary(
        &app,
        &format!("from={day}&to={day}&group_by=department,month"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let heating = row(&r.body, "department_code", json!("heating"));
    assert_eq!(heating["month"], month);

    let token = app.login("admin").await;
    let resp = app
        .client
        .get(app.url(&format!(
            "/api/v1/reports/summary?from={day}&to={day}&group_by=district&format=csv"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("csv");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let bytes = resp.bytes().await.expect("body");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert!(
        header.contains("district_code") && header.contains("composite_score"),
        "{header}"
    );
    assert!(lines.any(|l| l.contains("210302")), "{text}");
    assert!(
        !text.contains("13812341234") && !text.contains("张三"),
        "no personal data"
    );
}

#[actix_web::test]
async fn bad_queries_name_what_is_allowed_and_clerks_are_kept_out() {
    let app = spawn_app().await;
    let day = today();
    for (query, field) in [
        (format!("from={day}&to={day}&group_by=mood"), "group_by"),
        (format!("from={day}&to={day}"), "group_by"),
        (
            format!("from={day}&to={day}&group_by=department,month,channel"),
            "group_by",
        ),
        (
            format!("from={day}&to={day}&group_by=month,month"),
            "group_by",
        ),
        (format!("to={day}&group_by=department"), "from"),
        (
            format!("from=2026-11-31&to={day}&group_by=department"),
            "from",
        ),
        (
            "from=2026-11-10&to=2026-11-01&group_by=department".to_owned(),
            "to",
        ),
        (
            "from=2020-01-01&to=2026-11-01&group_by=department".to_owned(),
            "to",
        ),
        (
            format!("from={day}&to={day}&group_by=department&format=xlsx"),
            "format",
        ),
    ] {
        let r = summary(&app, &query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{query}: {}", r.body);
    }
    let r = summary(&app, &format!("from={day}&to={day}&group_by=mood")).await;
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("appellant_kind"),
        "names the allowed: {}",
        r.body
    );
    for who in ["clerk.heating", "dispatcher"] {
        let token = app.login(who).await;
        let r = app
            .get(
                &format!("/api/v1/reports/summary?from={day}&to={day}&group_by=department"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[actix_web::test]
async fn the_monthly_ranking_orders_departments_by_composite_score() {
    let app = spawn_app().await;
    dataset(&app).await;
    // water answers one appeal and its appellant is not satisfied: composite 0.1 × 1 = 0.1
    let g = app.replied("water", "clerk.water").await;
    act_ok(
        &app,
        g,
        "follow-up",
        follow_up(false, "very_dissatisfied"),
        "dispatcher",
    )
    .await;
    let month = &today()[..7];
    let token = app.login("supervisor").await;
    let r = app
        .get(
            &format!("/api/v1/reports/ranking?period={month}&top=1"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["period"], month);
    let ranking = r.body["ranking"].as_array().expect("ranking");
    assert_eq!(ranking[0]["department_code"], "heating");
    assert_eq!(ranking[0]["rank"], 1);
    assert_eq!(ranking[1]["department_code"], "water");
    assert_eq!(ranking[1]["rank"], 2);
    assert!((ranking[1]["composite_score"].as_f64().expect("score") - 0.1).abs() < 1e-9);
    assert_eq!(r.body["best"][0]["department_code"], "heating");
    assert_eq!(r.body["worst"][0]["department_code"], "water");
    assert_eq!(r.body["best"].as_array().map(Vec::len), Some(1));
    for bad in [
        "period=2026-13",
        "period=",
        "period=2026-11&top=0",
        "period=2026-11&format=pdf",
    ] {
        let r = app
            .get(&format!("/api/v1/reports/ranking?{bad}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }
}

#[actix_web::test]
async fn hotspots_show_the_busiest_and_the_fastest_growing() {
    let app = spawn_app().await;
    dataset(&app).await;
    // one more heating complaint, filed a month earlier
    let earlier = app.file_one().await;
    let mut conn = app.conn();
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "UPDATE appeals SET created_at = (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '15 days') AT TIME ZONE 'Asia/Shanghai' WHERE id = '{earlier}'"
    ))
    .execute(&mut conn)
    .expect("backdate");
    let month = &today()[..7];
    let token = app.login("supervisor").await;
    let r = app
        .get(
            &format!("/api/v1/reports/hotspots?period={month}"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let top = &r.body["most"][0];
    assert_eq!(top["category_code"], "03.01.01");
    assert_eq!(top["division_code"], "210302");
    assert_eq!(top["division_name"], "铁东区");
    assert_eq!(top["count"], 5, "A B C E F, D merged");
    assert_eq!(top["previous"], 1);
    assert_eq!(top["growth"], 4);
    assert_eq!(top["growth_rate"], 4.0);
    assert_eq!(r.body["fastest_growing"][0]["division_code"], "210302");
    let street = app
        .get(
            &format!("/api/v1/reports/hotspots?period={month}&level=street&format=csv"),
            Some(&token),
        )
        .await;
    assert_eq!(street.status, StatusCode::OK);
    let bad = app
        .get(
            &format!("/api/v1/reports/hotspots?period={month}&level=grid"),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let clerk = app.login("clerk.heating").await;
    let r = app
        .get(
            &format!("/api/v1/reports/hotspots?period={month}"),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn synthetic_appeals_are_consistent_and_reportable() {
    let app = spawn_app().await;
    let (ok, out) = crate::helpers::minxin(&app.db_url, &["seed", "--appeals", "3000"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("3000 synthetic appeals generated"), "{out}");
    assert_eq!(
        app.count("SELECT count(*) FROM appeals WHERE content LIKE '%（合成诉求）'"),
        3000
    );
    // every appeal has its hashed audit event: the chain verifies
    let (ok, out) = crate::helpers::minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok && out.contains("3000 chains"), "{out}");
    // a spread of states, heating in season, rated and unrated closures
    assert!(app.count("SELECT count(*) FROM appeals WHERE status = 'closed'") > 1500);
    assert!(app.count("SELECT count(*) FROM appeals WHERE closed_unrated") > 50);
    assert!(app.count("SELECT count(DISTINCT category_code) FROM appeals") > 10);
    assert!(
        app.count(
            "SELECT count(*) FROM appeals WHERE status IN ('dispatched', 'in_progress', 'resolved')"
        ) > 0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM appeals a WHERE status = 'closed' AND NOT closed_unrated AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.appeal_id = a.id)"),
        0,
        "every rated closure has its answer"
    );
    // a second run continues the tracking numbers
    let (ok, out) = crate::helpers::minxin(&app.db_url, &["seed", "--appeals", "10"], &[]);
    assert!(ok, "{out}");
    // the year's report adds up to what was generated
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let from = (now - chrono::Duration::days(370)).format("%Y-%m-%d");
    let to = now.format("%Y-%m-%d");
    let r = summary(&app, &format!("from={from}&to={to}&group_by=department")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let received: i64 = r
        .body
        .as_array()
        .expect("rows")
        .iter()
        .map(|g| g["received"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(received, 3010);
    let heating = row(&r.body, "department_code", json!("heating"));
    let score = heating["composite_score"]
        .as_f64()
        .expect("heating is rated");
    assert!((0.0..=1.0).contains(&score), "{score}");
}

#[actix_web::test]
async fn reports_read_where_read_database_url_points() {
    // a "replica" that is the same database: reports answer from it
    let app = crate::helpers::spawn_app().await;
    let url = app.db_url.clone();
    let replica = crate::helpers::spawn_app_with(move |s| {
        s.database.read_database_url = Some(url);
    })
    .await;
    let supervisor = replica.login("supervisor").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let r = replica
        .get(
            &format!("/api/v1/reports/ranking?period={month}"),
            Some(&supervisor),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);

    // a replica that cannot be reached: the reports say 503, filing still works (it writes to
    // the primary), so reports really read from the replica's pool
    let down = crate::helpers::spawn_app_with(|s| {
        s.database.read_database_url = Some("postgres://nobody@127.0.0.1:1/nothing".into());
        s.database.connect_timeout_secs = 1;
    })
    .await;
    let supervisor = down.login("supervisor").await;
    let r = down
        .get(
            &format!("/api/v1/reports/ranking?period={month}"),
            Some(&supervisor),
        )
        .await;
    assert_eq!(
        r.status,
        reqwest::StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        r.body
    );
    let r = down
        .post("/api/v1/appeals", &crate::helpers::citizen_appeal(), None)
        .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.body);
}
