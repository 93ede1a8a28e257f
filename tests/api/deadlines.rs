//! Deadlines on the working calendar: what dispatch sets, suspension, extensions, the calendar
//! API, and the scanner driven with `minxin deadlines tick --at`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, minxin, spawn_app};
use minxin::domain::calendar::Calendar;
use minxin::domain::deadline::{Clock, ClockKind, Stage};
use minxin::domain::enums::DeadlineClass;

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not an instant: {v}"))
        .parse()
        .expect("RFC 3339")
}

/// Equal as PostgreSQL stores them (to the microsecond, rounded).
fn same(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    (a - b).num_nanoseconds().is_some_and(|n| n.abs() <= 1_000)
}

/// The calendar as stored in the test database.
fn calendar(app: &TestApp) -> Calendar {
    let mut conn = app.conn();
    let (spec, _) = minxin::db::calendar::load(&mut conn).expect("load calendar");
    Calendar::new(spec).expect("valid calendar")
}

#[derive(QueryableByName, Debug)]
struct Clocks {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    reply_warn_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    reply_due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    next_alarm_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    reply_stage: i16,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    supervised: bool,
}

fn clocks(app: &TestApp, id: Uuid) -> Clocks {
    diesel::sql_query(format!(
        "SELECT reply_warn_at, reply_due_at, next_alarm_at, reply_stage, supervised FROM appeals WHERE id = '{id}'"
    ))
    .get_result(&mut app.conn())
    .expect("clocks")
}

fn tick(app: &TestApp, at: DateTime<Utc>) -> String {
    let (ok, out) = minxin(
        &app.db_url,
        &["deadlines", "tick", "--at", &at.to_rfc3339()],
        &[],
    );
    assert!(ok, "tick failed: {out}");
    out
}

/// A dispatched appeal of the given class, signed by heating (only the reply clock runs).
async fn in_progress(app: &TestApp, class: &str) -> Uuid {
    let id = app.file_one().await;
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating", "deadline_class": class}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.act(id, "sign", &json!({}), &clerk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

#[actix_web::test]
async fn dispatch_sets_each_class_deadlines_on_the_working_calendar() {
    let app = spawn_app().await;
    let cal = calendar(&app);
    let settings = &app.settings.deadlines;
    let dispatcher = app.login("dispatcher").await;
    for class in DeadlineClass::ALL {
        let id = app.file_one().await;
        let r = app
            .act(
                id,
                "dispatch",
                &json!({"lead_department_code": "water", "deadline_class": class.as_str()}),
                &dispatcher,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{class}: {}", r.body);
        let at = instant(&r.body["dispatched_at"]);
        let due = settings.at_dispatch(&cal, *class, at, None);
        assert!(
            same(instant(&r.body["sign_due_at"]), due.sign_by),
            "{class} sign"
        );
        assert!(
            same(instant(&r.body["reply_due_at"]), due.reply_by),
            "{class} reply"
        );
        assert!(due.sign_by > at && due.reply_by >= due.sign_by, "{class}");
    }
    // the wall-clock classes, exactly
    let id = app.file_one().await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "water", "deadline_class": "urgent"}),
            &dispatcher,
        )
        .await;
    let at = instant(&r.body["dispatched_at"]);
    assert_eq!(instant(&r.body["sign_due_at"]) - at, Duration::minutes(30));
    assert_eq!(instant(&r.body["reply_due_at"]) - at, Duration::hours(2));
    // a working-time class never ends outside working hours
    let id = app.file_one().await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "water", "deadline_class": "week"}),
            &dispatcher,
        )
        .await;
    let reply_by = instant(&r.body["reply_due_at"]);
    let at = instant(&r.body["dispatched_at"]);
    let worked = cal.working_between(at, reply_by, &[]);
    assert!(
        (worked - cal.day_length() * 5)
            .num_microseconds()
            .is_some_and(|n| n.abs() <= 2),
        "5 working days of working time: {worked}"
    );
}

#[actix_web::test]
async fn the_pool_has_a_dispatch_by_instant_and_a_complex_matter_may_get_its_own_deadline() {
    let app = spawn_app().await;
    let cal = calendar(&app);
    let supervisor = app.login("supervisor").await;
    let dispatcher = app.login("dispatcher").await;
    let id = app.file_one().await;
    let view = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&supervisor))
        .await;
    let created = instant(&view.body["created_at"]);
    assert!(same(
        instant(&view.body["dispatch_due_at"]),
        cal.add_working(created, Duration::hours(2), &[])
    ));
    let pool = app.get("/api/v1/pool", Some(&dispatcher)).await;
    assert!(pool.body["items"][0]["dispatch_due_at"].is_string());

    // a reply deadline set per appeal: complex only, after the sign-by instant
    let until = (Utc::now() + Duration::days(60)).to_rfc3339();
    let r = app
        .act(id, "dispatch", &json!({"lead_department_code": "urban", "deadline_class": "week", "reply_due_at": until}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["field"], "reply_due_at");
    let soon = (Utc::now() + Duration::minutes(1)).to_rfc3339();
    let r = app
        .act(id, "dispatch", &json!({"lead_department_code": "urban", "deadline_class": "complex", "reply_due_at": soon}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(app.status_of(id).await, "submitted", "nothing changed");
    let r = app
        .act(id, "dispatch", &json!({"lead_department_code": "urban", "deadline_class": "complex", "reply_due_at": until}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(same(
        instant(&r.body["reply_due_at"]),
        instant(&json!(until))
    ));
}

#[actix_web::test]
async fn suspension_stops_the_clock_and_resume_extends_the_deadline() {
    let app = spawn_app().await;
    let cal = calendar(&app);
    let clerk = app.login("clerk.heating").await;
    let id = in_progress(&app, "week").await;
    let before = clocks(&app, id);
    let due = before.reply_due_at.expect("reply due");
    assert!(before.next_alarm_at.is_some());

    let r = app
        .act(
            id,
            "suspend",
            &json!({"reason": "等待业主提供材料"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        clocks(&app, id).next_alarm_at,
        None,
        "no alarms while suspended"
    );

    // the suspension began three days ago (as if it had)
    let began = Utc::now() - Duration::days(3);
    let mut conn = app.conn();
    diesel::sql_query(format!(
        "UPDATE appeals SET suspended_at = '{}' WHERE id = '{id}'",
        began.to_rfc3339()
    ))
    .execute(&mut conn)
    .expect("backdate");
    diesel::sql_query(format!(
        "UPDATE suspensions SET started_at = '{}' WHERE appeal_id = '{id}'",
        began.to_rfc3339()
    ))
    .execute(&mut conn)
    .expect("backdate");

    let r = app.act(id, "resume", &json!({}), &clerk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ended: DateTime<Utc> = {
        #[derive(QueryableByName)]
        struct E {
            #[diesel(sql_type = diesel::sql_types::Timestamptz)]
            ended_at: DateTime<Utc>,
        }
        diesel::sql_query(format!(
            "SELECT ended_at FROM suspensions WHERE appeal_id = '{id}'"
        ))
        .get_result::<E>(&mut conn)
        .expect("suspension closed")
        .ended_at
    };
    let suspended = cal.working_between(began, ended, &[]);
    let moved = instant(&r.body["reply_due_at"]);
    let expected = cal.add_working(due, suspended, &[]);
    assert!(same(moved, expected), "{moved} vs {expected}");
    assert!(
        moved > due,
        "three days of suspension hold some working time"
    );
    let after = clocks(&app, id);
    assert!(after.next_alarm_at.is_some(), "the clock runs again");
    assert!(after.reply_warn_at.expect("warn") < moved);
}

#[actix_web::test]
async fn extensions_follow_the_rules_and_approval_moves_the_deadline() {
    let app = spawn_app().await;
    let cal = calendar(&app);
    let clerk = app.login("clerk.heating").await;
    let co_clerk = app.login("clerk.water").await;
    let dispatcher = app.login("dispatcher").await;
    let supervisor = app.login("supervisor").await;
    let filed = app.file(&citizen_appeal()).await;
    let id: Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
    let r = app
        .act(id, "dispatch", &json!({"lead_department_code": "heating", "co_department_codes": ["water"], "deadline_class": "week"}), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    app.act(id, "sign", &json!({}), &clerk).await;
    let due = instant(&r.body["reply_due_at"]);
    let limit = cal.add_working_days(due, 10, &[]);

    let ask = |until: DateTime<Utc>| json!({"until": until.to_rfc3339(), "reason": "需协调燃气公司停气检修，工期较长"});
    // too far, not later, wrong people
    let r = app
        .act(id, "extension", &ask(limit + Duration::minutes(1)), &clerk)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["field"], "until");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("10 working days")
    );
    let r = app.act(id, "extension", &ask(due), &clerk).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.act(id, "extension", &ask(limit), &co_clerk).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a co-handler does not ask");
    let r = app.act(id, "extension", &ask(limit), &dispatcher).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .act(
            id,
            "extension",
            &json!({"until": "next week", "reason": "x"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM extensions WHERE appeal_id = '{id}'"
        )),
        0
    );

    // a valid request; a second one waits for the first
    let r = app.act(id, "extension", &ask(limit), &clerk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["extensions"][0]["status"], "pending");
    assert_eq!(
        instant(&r.body["reply_due_at"]),
        due,
        "not moved until approved"
    );
    let r = app.act(id, "extension", &ask(limit), &clerk).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // supervisors see it; a clerk may not decide; a rejection needs a note
    let list = app.get("/api/v1/extensions", Some(&supervisor)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["tracking_no"], filed["tracking_no"]);
    assert_eq!(
        app.get("/api/v1/extensions", Some(&clerk)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .act(id, "extension-decision", &json!({"approve": true}), &clerk)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .act(
            id,
            "extension-decision",
            &json!({"approve": false}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let outbox_before = app.count(&format!(
        "SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = 'extension_decided'"
    ));
    let r = app
        .act(
            id,
            "extension-decision",
            &json!({"approve": true, "note": "同意"}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(same(instant(&r.body["reply_due_at"]), limit));
    assert_eq!(r.body["extensions"][0]["status"], "approved");
    // the appellant is told: by e-mail and on the tracking page
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = 'extension_decided' AND recipient = 'zhangsan@example.com'")),
        outbox_before + 1
    );
    let view = app.appellant_view(&filed).await;
    assert!(same(instant(&view.body["reply_due_at"]), limit));
    let steps: Vec<&str> = view.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(steps.contains(&"extension_approve"), "{steps:?}");
    assert!(
        !steps.contains(&"extension"),
        "the request itself is internal: {steps:?}"
    );
    let audit = app.count(&format!("SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action IN ('extension', 'extension_approve')"));
    assert_eq!(audit, 2);
    let r = app
        .act(
            id,
            "extension-decision",
            &json!({"approve": true}),
            &supervisor,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing pending any more");

    // a request after the deadline is refused with the reason
    diesel::sql_query(format!(
        "UPDATE appeals SET reply_due_at = now() - interval '1 hour' WHERE id = '{id}'"
    ))
    .execute(&mut app.conn())
    .expect("deadline passed");
    let r = app
        .act(
            id,
            "extension",
            &ask(Utc::now() + Duration::days(3)),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("before the deadline"),
        "{}",
        r.body
    );
}

#[actix_web::test]
async fn the_scanner_warns_then_reminds_then_escalates_once_each() {
    let app = spawn_app().await;
    let cal = calendar(&app);
    let settings = app.settings.deadlines.clone();
    let id = in_progress(&app, "week").await;
    let c = clocks(&app, id);
    let (warn, due) = (c.reply_warn_at.expect("warn"), c.reply_due_at.expect("due"));
    assert_eq!(c.next_alarm_at, Some(warn));
    let clock = Clock {
        kind: ClockKind::Reply,
        warn_at: warn,
        due_at: due,
        stage: 0,
    };
    let escalate = settings.stage_at(&cal, &clock, Stage::Escalated);
    let alarms = |stage: &str| {
        app.count(&format!(
            "SELECT count(*) FROM deadline_alarms WHERE appeal_id = '{id}' AND stage = '{stage}'"
        ))
    };
    let mails = |kind: &str| {
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = '{kind}'"
        ))
    };

    let out = tick(&app, warn - Duration::seconds(1));
    assert!(out.contains("0 appeals due"), "{out}");
    let out = tick(&app, warn);
    assert!(out.contains("1 warnings"), "{out}");
    let out = tick(&app, warn + Duration::minutes(1));
    assert!(out.contains("0 warnings"), "nothing repeats: {out}");
    assert_eq!((alarms("warning"), mails("warning")), (1, 1));
    assert_eq!(clocks(&app, id).next_alarm_at, Some(due));

    let out = tick(&app, due);
    assert!(out.contains("1 overdue"), "{out}");
    let out = tick(&app, due);
    assert!(out.contains("0 overdue"), "{out}");
    assert_eq!((alarms("overdue"), mails("overdue")), (1, 1));
    // 催办 goes to the department's address
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = 'overdue' AND recipient = 'kefu@reli.anshan.example'")),
        1
    );
    let supervisor = app.login("supervisor").await;
    let view = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&supervisor))
        .await;
    assert_eq!(view.body["overdue"], true);
    assert_eq!(view.body["supervised"], false);

    tick(&app, escalate - Duration::seconds(1));
    assert_eq!(alarms("escalated"), 0);
    let out = tick(&app, escalate);
    assert!(out.contains("1 escalated"), "{out}");
    let c = clocks(&app, id);
    assert!(c.supervised, "督办: the supervise flag is set");
    assert_eq!(c.reply_stage, 3);
    assert_eq!(c.next_alarm_at, None, "nothing left to raise");
    assert_eq!(
        mails("escalated"),
        1,
        "to the one supervisor with an address"
    );
    let out = tick(&app, escalate + Duration::days(30));
    assert!(out.contains("0 appeals due"), "{out}");
    // each raise is in the audit trail, and the chain holds
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action LIKE 'deadline_%'")),
        3
    );
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok, "{out}");
}

#[actix_web::test]
async fn a_late_scan_records_every_stage_but_announces_only_the_latest() {
    let app = spawn_app().await;
    let id = in_progress(&app, "same_day").await;
    let due = clocks(&app, id).reply_due_at.expect("due");
    let out = tick(&app, due + Duration::minutes(5));
    assert!(
        out.contains("0 warnings") && out.contains("1 overdue"),
        "{out}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM deadline_alarms WHERE appeal_id = '{id}'"
        )),
        2
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM deadline_alarms WHERE appeal_id = '{id}' AND notified"
        )),
        1
    );
    assert_eq!(app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind IN ('warning', 'overdue')")), 1);
}

#[actix_web::test]
async fn two_scanners_at_once_raise_each_alarm_exactly_once() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..24 {
        ids.push(in_progress(&app, "urgent").await);
    }
    let latest_due = ids
        .iter()
        .map(|id| clocks(&app, *id).reply_due_at.expect("due"))
        .max()
        .expect("some");
    let at = (latest_due + Duration::minutes(1)).to_rfc3339();
    let run = |url: String, at: String| {
        std::thread::spawn(move || {
            minxin(
                &url,
                &["deadlines", "tick", "--at", &at],
                &[("MINXIN__DEADLINES__SCAN_BATCH", "3")],
            )
        })
    };
    let a = run(app.db_url.clone(), at.clone());
    let b = run(app.db_url.clone(), at.clone());
    let (ok_a, out_a) = a.join().expect("thread");
    let (ok_b, out_b) = b.join().expect("thread");
    assert!(ok_a && ok_b, "{out_a}\n{out_b}");
    let overdue = |out: &str| -> i64 {
        out.split(", ")
            .find_map(|p| {
                p.strip_suffix(" overdue")
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or_else(|| panic!("no overdue count in {out}"))
    };
    assert_eq!(overdue(&out_a) + overdue(&out_b), 24, "{out_a}\n{out_b}");
    assert_eq!(
        app.count("SELECT count(*) FROM deadline_alarms WHERE stage = 'overdue' AND notified"),
        24
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE kind = 'overdue'"),
        24
    );
    let again = tick(&app, latest_due + Duration::minutes(2));
    assert!(again.contains("0 appeals due"), "{again}");
}

#[actix_web::test]
async fn the_calendar_is_data_that_administrators_edit_and_the_log_keeps() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let dispatcher = app.login("dispatcher").await;
    let r = app.get("/api/v1/calendar", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["time_zone"], "Asia/Shanghai");
    assert_eq!(r.body["day_length_minutes"], 450);
    assert!(
        r.body["days"]
            .as_array()
            .expect("days")
            .iter()
            .any(|d| d["date"] == "2026-10-01" && d["kind"] == "holiday")
    );

    let put = |body: Value, token: String| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .put(app.url("/api/v1/calendar"))
                    .bearer_auth(token)
                    .json(&body),
            )
            .await
        }
    };
    let r = put(
        json!({"time_zone": "Asia/Shanghai", "working_hours": [], "working_weekdays": [1,2,3,4,5]}),
        admin.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["field"], "working_hours");
    let r = put(json!({"time_zone": "Asia/Shanghai", "working_hours": [{"start": "08:30", "end": "12:00"}, {"start": "11:00", "end": "17:00"}], "working_weekdays": [1,2,3,4,5]}), admin.clone()).await;
    assert_eq!(r.body["error"]["field"], "working_hours", "{}", r.body);
    let r = put(json!({"time_zone": "Mars/Olympus", "working_hours": [{"start": "08:30", "end": "12:00"}], "working_weekdays": [1]}), admin.clone()).await;
    assert_eq!(r.body["error"]["field"], "time_zone", "{}", r.body);
    let r = put(json!({"time_zone": "Asia/Shanghai", "working_hours": [{"start": "08:30", "end": "12:00"}], "working_weekdays": []}), admin.clone()).await;
    assert_eq!(r.body["error"]["field"], "working_weekdays", "{}", r.body);
    let r = put(json!({"time_zone": "Asia/Shanghai", "working_hours": [{"start": "8h", "end": "12:00"}], "working_weekdays": [1]}), admin.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = put(json!({"time_zone": "Asia/Shanghai", "working_hours": [{"start": "09:00", "end": "12:00"}], "working_weekdays": [1,2,3,4,5]}), dispatcher.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM admin_events WHERE action = 'settings_changed'"),
        0,
        "nothing half-written"
    );

    let r = put(json!({"time_zone": "Asia/Shanghai", "working_hours": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:30"}], "working_weekdays": [1,2,3,4,5]}), admin.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["day_length_minutes"], 420);
    // the new hours govern new deadlines at once
    let id = app.file_one().await;
    let d = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "water", "deadline_class": "same_day"}),
            &dispatcher,
        )
        .await;
    let due = instant(&d.body["reply_due_at"]).with_timezone(&chrono_tz::Asia::Shanghai);
    assert_eq!(due.format("%H:%M").to_string(), "17:30");

    // holidays and make-up days: a 40-day holiday would leave no working day for a month
    let day = |date: &str, body: Value| {
        let app = &app;
        let admin = admin.clone();
        let path = format!("/api/v1/calendar/days/{date}");
        async move {
            app.send(
                app.client
                    .put(app.url(&path))
                    .bearer_auth(admin)
                    .json(&body),
            )
            .await
        }
    };
    let r = day(
        "2027-02-06",
        json!({"kind": "workday", "name": "春节调休上班"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = day("2027-13-01", json!({"kind": "holiday", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = day("0000-01-01", json!({"kind": "holiday", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = day("2027-03-01", json!({"kind": "vacation", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let start = chrono::NaiveDate::from_ymd_opt(2027, 7, 1).expect("date");
    let mut refused = None;
    for n in 0..40 {
        let date = start + chrono::Days::new(n);
        let r = day(
            &date.to_string(),
            json!({"kind": "holiday", "name": "测试"}),
        )
        .await;
        if r.status != StatusCode::OK {
            refused = Some((n, r));
            break;
        }
    }
    let (n, r) = refused.expect("an impossible calendar is refused");
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["field"], "days");
    assert!((27..=32).contains(&n), "refused after {n} days off");
    let r = app
        .send(
            app.client
                .delete(app.url("/api/v1/calendar/days/2027-02-06"))
                .bearer_auth(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .send(
            app.client
                .delete(app.url("/api/v1/calendar/days/2027-02-06"))
                .bearer_auth(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // every change is in the administrative log, which verifies
    let changes = app.get("/api/v1/calendar/changes", Some(&admin)).await;
    let actions: Vec<&str> = changes
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"settings_changed")
            && actions.contains(&"day_set")
            && actions.contains(&"day_removed"),
        "{actions:?}"
    );
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok && out.contains("administrative log"), "{out}");
}

#[actix_web::test]
async fn reporting_hooks_record_timeliness_and_handling_time() {
    let app = spawn_app().await;
    let clerk = app.login("clerk.heating").await;
    let id = in_progress(&app, "week").await;
    let r = app
        .act(id, "reply", &json!({"content": "已修复"}), &clerk)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["signed_on_time"], true);
    assert_eq!(r.body["replied_on_time"], true);
    assert!(
        r.body["handling_working_minutes"]
            .as_i64()
            .expect("minutes")
            >= 0
    );
    // the appellant was told by e-mail; the receipt went out at filing
    let kinds = |kind: &str| {
        app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = '{kind}' AND recipient = 'zhangsan@example.com'"))
    };
    assert_eq!((kinds("receipt"), kinds("replied")), (1, 1));
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM outbox WHERE appeal_id = '{id}' AND kind = 'dispatched' AND recipient = 'kefu@reli.anshan.example'")),
        1
    );
}

#[actix_web::test]
async fn a_refused_return_keeps_the_deadline_class() {
    let app = spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let clerk = app.login("clerk.heating").await;
    let id = app.file_one().await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating", "deadline_class": "urgent"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .act(id, "return", &json!({"reason": "不属于我司"}), &clerk)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .act(
            id,
            "refuse-return",
            &json!({"reason": "经核实属于热力集团"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["deadline_class"], "urgent");
    let at = instant(&r.body["dispatched_at"]);
    assert!(
        same(instant(&r.body["reply_due_at"]), at + Duration::hours(2)),
        "{}",
        r.body
    );
}
