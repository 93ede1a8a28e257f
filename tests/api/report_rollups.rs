//! The report rollups against the naive reference: on a dataset with the edge cases (re-handled,
//! merged, rejected, returned, suspended, extended, unrated, closed by a supervisor, repeats,
//! overdue, appeals on both sides of period boundaries) plus synthetic appeals, every grouping
//! and both counted rounds give identical numbers from the cube (with and without changes still
//! in the log) and from plain SQL over the appeal tables. Also: the operator commands.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, minxin, spawn_app};
use minxin::db::reports::{
    self, Dimension, Round, first_difference, hotspots_cube, hotspots_naive, summary_cube,
    summary_naive,
};

async fn ok(app: &TestApp, id: Uuid, action: &str, body: Value, who: &str) -> Value {
    let token = app.login(who).await;
    let r = app.act(id, action, &body, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{action} by {who}: {}", r.body);
    r.body
}

fn answer(solved: bool, satisfaction: &str) -> Value {
    json!({"contacted": true, "solved": solved, "satisfaction": satisfaction})
}

fn set(app: &TestApp, sql: &str) {
    let mut conn = app.conn();
    diesel::sql_query(sql).execute(&mut conn).expect(sql);
}

fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> String {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("a local time")
        .with_timezone(&Utc)
        .to_rfc3339()
}

/// Appeals through every path that changes a figure. Returns ids to change later.
async fn edge_cases(app: &TestApp) -> Vec<Uuid> {
    let heating = "clerk.heating";
    // closed very satisfied
    let a = app.replied("heating", heating).await;
    ok(
        app,
        a,
        "follow-up",
        answer(true, "very_satisfied"),
        "dispatcher",
    )
    .await;
    // re-handled: round 1 dissatisfied, round 2 basically satisfied
    let b = app.replied("heating", heating).await;
    ok(
        app,
        b,
        "follow-up",
        answer(false, "dissatisfied"),
        "dispatcher",
    )
    .await;
    ok(app, b, "reply", json!({"content": "已重新处理"}), heating).await;
    let round2 = answer(true, "basically_satisfied");
    ok(app, b, "follow-up", round2, "dispatcher").await;
    // re-handled, then closed by a supervisor
    let c = app.replied("heating", heating).await;
    ok(
        app,
        c,
        "follow-up",
        answer(false, "very_dissatisfied"),
        "dispatcher",
    )
    .await;
    let reason = json!({"reason": "诉求超出政策范围，已解释"});
    ok(app, c, "close", reason, "supervisor").await;
    // not contacted: an answer too
    let d = app.replied("heating", heating).await;
    let silent = json!({"contacted": false, "solved": false, "satisfaction": "dissatisfied"});
    ok(app, d, "follow-up", silent, "dispatcher").await;
    // returned once, then dispatched to water, never signed
    let e = app.file_one().await;
    ok(
        app,
        e,
        "dispatch",
        json!({"lead_department_code": "heating"}),
        "dispatcher",
    )
    .await;
    ok(app, e, "return", json!({"reason": "不属于供热"}), heating).await;
    ok(
        app,
        e,
        "dispatch",
        json!({"lead_department_code": "water"}),
        "dispatcher",
    )
    .await;
    // merged into a; rejected
    let f = app.file_one().await;
    ok(app, f, "merge", json!({"primary_id": a}), "dispatcher").await;
    let g = app.file_one().await;
    let reject = json!({"reason": "咨询类，已解答", "disposition": "out_of_scope"});
    ok(app, g, "reject", reject, "dispatcher").await;
    // suspended and resumed, then replied (stays unanswered: closes unrated later)
    let h = app.file_one().await;
    ok(
        app,
        h,
        "dispatch",
        json!({"lead_department_code": "heating"}),
        "dispatcher",
    )
    .await;
    ok(app, h, "sign", json!({}), heating).await;
    ok(
        app,
        h,
        "suspend",
        json!({"reason": "等待业主提供材料"}),
        heating,
    )
    .await;
    ok(app, h, "resume", json!({}), heating).await;
    ok(app, h, "reply", json!({"content": "已处理"}), heating).await;
    // an extension approved, still in progress (overdue later)
    let i = app.file_one().await;
    let body = ok(
        app,
        i,
        "dispatch",
        json!({"lead_department_code": "heating"}),
        "dispatcher",
    )
    .await;
    ok(app, i, "sign", json!({}), heating).await;
    let due: chrono::DateTime<Utc> = body["reply_due_at"]
        .as_str()
        .expect("reply_due_at")
        .parse()
        .expect("instant");
    let ask = json!({"until": (due + Duration::days(2)).to_rfc3339(), "reason": "需协调燃气公司停气检修"});
    ok(app, i, "extension", ask, heating).await;
    ok(
        app,
        i,
        "extension-decision",
        json!({"approve": true}),
        "supervisor",
    )
    .await;
    // dispatched, never signed (overdue later); one still in the pool
    let j = app.file_one().await;
    ok(
        app,
        j,
        "dispatch",
        json!({"lead_department_code": "water"}),
        "dispatcher",
    )
    .await;
    let k = app.file_one().await;
    // an enterprise on the hotline, and a repeat of a's closure (same phone and category)
    let mut enterprise = citizen_appeal();
    enterprise["appellant_kind"] = json!("enterprise");
    enterprise["enterprise_name"] = json!("鞍山市某某物业有限公司");
    enterprise["credit_code"] = json!("91110000802100433B");
    enterprise["phone"] = json!("13900001111");
    let filed = app.file(&enterprise).await;
    let l: Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let m = app.file_one().await;
    vec![a, b, c, d, e, f, g, h, i, j, k, l, m]
}

const DIMENSIONS: [Dimension; 9] = Dimension::ALL;

fn groupings() -> Vec<Vec<Dimension>> {
    use Dimension::*;
    let mut all: Vec<Vec<Dimension>> = DIMENSIONS.iter().map(|d| vec![*d]).collect();
    all.extend([
        vec![Department, Month],
        vec![Month, Department],
        vec![Department, Category],
        vec![Category, District],
        vec![Street, Category],
        vec![Department, Street],
        vec![Channel, AppellantKind],
        vec![Category, Week],
        vec![Department, Day],
    ]);
    all
}

fn local_midnight(d: NaiveDate) -> chrono::DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("one midnight")
        .with_timezone(&Utc)
}

/// Every grouping, both rounds, several periods: cube and naive agree exactly.
fn assert_cube_matches_naive(app: &TestApp, when: &str) {
    let mut conn = app.conn();
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let periods = [
        (day(2025, 1, 1), today + Duration::days(1)),
        (day(2026, 10, 1), day(2026, 10, 31)),
        (day(2026, 9, 15), day(2026, 11, 15)),
        (day(2026, 10, 31), day(2026, 10, 31)),
        (day(2026, 11, 1), day(2026, 11, 30)),
        (today - Duration::days(1), today),
    ];
    let mut compared = 0;
    for (first, last) in periods {
        let from = local_midnight(first);
        let to = local_midnight(last + Duration::days(1));
        for dims in groupings() {
            for round in [Round::Latest, Round::First] {
                let cube = summary_cube(&mut conn, first, last, &dims, round).expect("cube");
                let naive = summary_naive(&mut conn, from, to, &dims, round, "Asia/Shanghai")
                    .expect("naive");
                let difference = first_difference(&cube, &naive);
                assert!(
                    difference.is_none(),
                    "{when}: {first}..={last} by {dims:?} ({round:?}): {}",
                    difference.unwrap_or_default()
                );
                assert_eq!(cube.len(), naive.len());
                compared += cube.len();
            }
        }
    }
    assert!(
        compared > 100,
        "{when}: the comparison covered {compared} groups"
    );
    for digits in [6, 9] {
        let (previous, first, last) = (day(2026, 10, 1), day(2026, 11, 1), day(2026, 11, 30));
        let mut cube = hotspots_cube(&mut conn, previous, first, last, digits).expect("cube");
        let mut naive = hotspots_naive(
            &mut conn,
            local_midnight(previous),
            local_midnight(first),
            local_midnight(last + Duration::days(1)),
            digits,
        )
        .expect("naive");
        let key = |h: &reports::Hotspot| (h.category_code.clone(), h.division_code.clone());
        cube.sort_by_key(key);
        naive.sort_by_key(key);
        assert_eq!(cube, naive, "{when}: hotspots at {digits} digits");
        assert!(!cube.is_empty());
    }
}

fn pending(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM report_delta")
}

#[actix_web::test]
async fn the_rollups_give_the_naive_numbers_on_every_edge_case() {
    let app = spawn_app().await;
    let ids = edge_cases(&app).await;
    // appeals on both sides of month and day boundaries, and on another channel
    let moves = [
        (ids[0], shanghai(2026, 10, 31, 23, 59, 59)),
        (ids[1], shanghai(2026, 11, 1, 0, 0, 0)),
        (ids[4], shanghai(2026, 10, 31, 0, 0, 0)),
        (ids[7], shanghai(2026, 11, 30, 23, 59, 59)),
        (ids[11], shanghai(2026, 12, 1, 0, 0, 0)),
    ];
    for (id, at) in &moves {
        set(
            &app,
            &format!("UPDATE appeals SET created_at = '{at}' WHERE id = '{id}'"),
        );
    }
    set(
        &app,
        &format!(
            "UPDATE appeals SET channel = 'hotline' WHERE id = '{}'",
            ids[2]
        ),
    );
    // synthetic appeals over the past year
    let (done, out) = minxin(&app.db_url, &["seed", "--appeals", "3000"], &[]);
    assert!(done, "{out}");
    // time passes: the follow-up window closes h unrated, i and j become overdue
    let later = (Utc::now() + Duration::days(30)).to_rfc3339();
    let (done, out) = minxin(&app.db_url, &["deadlines", "tick", "--at", &later], &[]);
    assert!(done, "{out}");
    assert_eq!(app.status_of(ids[7]).await, "closed");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM appeals WHERE closed_unrated AND id = '{}'",
            ids[7]
        )),
        1
    );
    assert!(
        app.count("SELECT count(*) FROM appeals WHERE repeat_of IS NOT NULL") >= 1,
        "a repeat of a closure"
    );
    assert!(
        app.count("SELECT count(*) FROM appeals WHERE reply_stage >= 2 OR sign_stage >= 2") >= 2
    );

    assert!(pending(&app) > 0, "the changes wait in the log");
    assert_cube_matches_naive(&app, "with the log unfolded");

    let mut conn = app.conn();
    assert!(reports::fold(&mut conn).expect("fold") > 0);
    assert_eq!(pending(&app), 0);
    assert_cube_matches_naive(&app, "folded");

    // more changes after the fold: a cube plus a log
    ok(
        &app,
        ids[10],
        "dispatch",
        json!({"lead_department_code": "heating"}),
        "dispatcher",
    )
    .await;
    ok(&app, ids[10], "sign", json!({}), "clerk.heating").await;
    ok(
        &app,
        ids[10],
        "reply",
        json!({"content": "已处理"}),
        "clerk.heating",
    )
    .await;
    ok(
        &app,
        ids[10],
        "follow-up",
        answer(true, "satisfied"),
        "dispatcher",
    )
    .await;
    set(
        &app,
        &format!(
            "UPDATE appeals SET created_at = '{}' WHERE id = '{}'",
            shanghai(2026, 10, 15, 12, 0, 0),
            ids[10]
        ),
    );
    set(
        &app,
        "UPDATE appeals SET category_code = NULL WHERE id = (SELECT id FROM appeals WHERE status = 'submitted' ORDER BY created_at LIMIT 1)",
    );
    assert!(pending(&app) > 0);
    assert_cube_matches_naive(&app, "folded, then changed");

    // a rebuild from scratch gives the same cube
    assert!(reports::rebuild(&mut conn).expect("rebuild") > 3000);
    assert_eq!(pending(&app), 0);
    assert_cube_matches_naive(&app, "rebuilt");
}

#[actix_web::test]
async fn a_report_moves_the_moment_a_change_commits() {
    let app = spawn_app().await;
    let supervisor = app.login("supervisor").await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let query = format!(
        "/api/v1/reports/summary?from={}&to={}&group_by=department",
        today - Duration::days(1),
        today
    );
    let heating = |body: &Value| {
        body.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["department_code"] == "heating")
            .cloned()
    };
    let r = app.get(&query, Some(&supervisor)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(heating(&r.body).is_none());
    let id = app.replied("heating", "clerk.heating").await;
    let r = app.get(&query, Some(&supervisor)).await;
    let row = heating(&r.body).expect("heating has a row at once");
    assert_eq!(row["received"], 1);
    assert!(row["satisfaction_rate"].is_null());
    ok(
        &app,
        id,
        "follow-up",
        answer(true, "satisfied"),
        "dispatcher",
    )
    .await;
    let r = app.get(&query, Some(&supervisor)).await;
    let row = heating(&r.body).expect("heating");
    assert_eq!(row["resolved"], 1);
    assert_eq!(row["satisfaction_rate"], 1.0);
}

#[actix_web::test]
async fn operators_verify_repair_and_rebuild_the_rollups() {
    let app = spawn_app().await;
    let (done, out) = minxin(&app.db_url, &["seed", "--appeals", "500"], &[]);
    assert!(done, "{out}");
    let (done, out) = minxin(&app.db_url, &["reports", "fold"], &[]);
    assert!(done, "{out}");
    let (done, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(done, "a fresh cube verifies: {out}");
    // a damaged cube is found, and a rebuild repairs it: a cell of the last day and one of
    // its month (a report over the whole span reads the one or the other, depending on whether
    // that month is whole)
    for cuboid in [63, 127] {
        set(
            &app,
            &format!(
                "UPDATE report_cube SET received = received + 1 WHERE ctid = \
                 (SELECT ctid FROM report_cube WHERE cuboid = {cuboid} ORDER BY day DESC LIMIT 1)"
            ),
        );
    }
    let (done, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(!done, "a damaged cube fails verification");
    assert!(out.contains("differs"), "{out}");
    let (done, out) = minxin(&app.db_url, &["reports", "rebuild"], &[]);
    assert!(done && out.contains("rebuilt"), "{out}");
    let (done, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(done, "{out}");

    // another time zone: reports are computed from the appeal tables until a rebuild
    set(
        &app,
        "UPDATE calendar_settings SET time_zone = 'Asia/Urumqi', version = version + 1",
    );
    let mut conn = app.conn();
    assert!(!reports::cube_matches(&mut conn, "Asia/Urumqi").expect("meta"));
    let supervisor = app.login("supervisor").await;
    let today = Utc::now().date_naive();
    let r = app
        .get(
            &format!(
                "/api/v1/reports/summary?from={}&to={}&group_by=day",
                today - Duration::days(30),
                today
            ),
            Some(&supervisor),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (done, out) = minxin(&app.db_url, &["reports", "rebuild"], &[]);
    assert!(done, "{out}");
    assert!(reports::cube_matches(&mut conn, "Asia/Urumqi").expect("meta"));
    let (done, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(done, "{out}");
}
