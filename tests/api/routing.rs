use crate::helpers::{TestApp, citizen_appeal, spawn_app};
use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn appeal(category: &str, division: &str, title: &str, content: &str) -> Value {
    let mut b = citizen_appeal();
    b["category_code"] = json!(category);
    b["division_code"] = json!(division);
    b["title"] = json!(title);
    b["content"] = json!(content);
    b.as_object_mut().map(|o| {
        o.remove("latitude");
        o.remove("longitude")
    });
    b
}

fn in_heating_season() -> bool {
    let today = chrono::Utc::now().with_timezone(&minxin::domain::ids::china_offset());
    matches!(today.month(), 11 | 12 | 1 | 2 | 3)
}

/// One row per situation of the demo dispatch catalogue.
#[actix_web::test]
async fn the_demo_catalogue_routes_each_situation() {
    let app = spawn_app().await;
    assert!(app.load_demo_rules() > 5);
    let heating = if in_heating_season() {
        "heating"
    } else {
        "housing"
    };
    let mut wages = appeal(
        "05.01.01",
        "210303001",
        "公司拖欠三个月工资",
        "我们在铁西区某厂工作，工资已经三个月没发。",
    );
    wages["appellant_kind"] = json!("enterprise");
    wages["enterprise_name"] = json!("鞍山某某劳务有限公司");
    wages["credit_code"] = json!("91110000802100433B");
    /// (situation, intake body, lead, co-handlers, deadline class)
    type Case<'a> = (
        &'a str,
        Value,
        Option<&'a str>,
        Vec<&'a str>,
        Option<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            "heating by season",
            appeal("03.01.01", "210302001", "暖气不热", "室温只有14度"),
            Some(heating),
            vec![],
            None,
        ),
        (
            "gas leak forces urgent",
            appeal(
                "03.03.01",
                "210302001",
                "楼道里有燃气味",
                "怀疑燃气泄漏，请尽快处理",
            ),
            Some("gas"),
            vec![],
            Some("urgent"),
        ),
        (
            "gas leak mentioned under another category",
            appeal(
                "01.01.01",
                "210304001",
                "物业不管燃气泄漏",
                "单元门口燃气泄漏多日",
            ),
            Some("gas"),
            vec![],
            Some("urgent"),
        ),
        (
            "night noise in 铁东 to its district bureau",
            appeal(
                "06.02.01",
                "210302001",
                "楼下烧烤店噪音",
                "每天晚上十一点后还很吵",
            ),
            Some("urban-210302"),
            vec![],
            None,
        ),
        (
            "night noise in 台安 to the city bureau",
            appeal("06.02.01", "210321001", "广场舞噪音", "深夜音响很大"),
            Some("urban"),
            vec![],
            None,
        ),
        (
            "unpaid wages with the street office co-handling",
            wages,
            Some("hrss"),
            vec!["st-210303001"],
            None,
        ),
        (
            "anything else to its street office",
            appeal("01.01.01", "210302001", "物业服务差", "小区垃圾无人清运"),
            Some("st-210302001"),
            vec![],
            None,
        ),
        (
            "a community goes to its street's office",
            appeal("01.01.01", "210302001001", "物业服务差", "小区垃圾无人清运"),
            Some("st-210302001"),
            vec![],
            None,
        ),
        (
            "a district-only appeal to the district government",
            appeal("01.01.01", "210304", "物业服务差", "小区垃圾无人清运"),
            Some("gov-210304"),
            vec![],
            None,
        ),
        (
            "a city-wide appeal stays in the pool",
            appeal("01.01.01", "210300", "建议", "建议增加公交线路"),
            None,
            vec![],
            None,
        ),
    ];
    for (what, body, lead, co, class) in cases {
        let filed = app.file(&body).await;
        let id: uuid::Uuid = filed["id"].as_str().expect("id").parse().expect("uuid");
        assert_eq!(
            filed["lead_department_code"].as_str(),
            lead,
            "{what}: {filed}"
        );
        let token = app.login("supervisor").await;
        let view = app
            .get(&format!("/api/v1/appeals/{id}"), Some(&token))
            .await;
        let co_got: Vec<&str> = view.body["co_department_codes"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(co_got, co, "{what}");
        if let Some(class) = class {
            assert_eq!(view.body["deadline_class"], class, "{what}");
            assert_eq!(view.body["urgency"], "urgent", "{what}");
        }
        let events = app
            .get(&format!("/api/v1/appeals/{id}/events"), Some(&token))
            .await;
        let routing = &events.body[0]["details"]["routing"];
        match lead {
            Some(_) => {
                assert_eq!(filed["status"], "dispatched", "{what}");
                assert!(
                    routing["rule_id"].is_i64() && routing["rule_version"] == 1,
                    "{what}: {routing}"
                );
                assert_eq!(events.body[1]["action"], "dispatch");
                assert_eq!(events.body[1]["actor_role"], "system");
                assert_eq!(events.body[1]["details"]["rule_id"], routing["rule_id"]);
                assert_eq!(
                    view.body["assignments"][0]["rule_id"], routing["rule_id"],
                    "{what}"
                );
            }
            None => {
                assert_eq!(filed["status"], "submitted", "{what}");
                assert_eq!(routing["outcome"], "pool");
                assert_eq!(view.body["pool_reason"], "no_rule");
            }
        }
    }
    // the first alarm is written with the filing (pool: the dispatch clock's warning) or with
    // the rule's dispatch (the earlier of the sign and reply warnings), and a rule's dispatch is
    // the appeal's second version
    assert!(app.count("SELECT count(*) FROM appeals WHERE status = 'submitted'") > 0);
    assert!(app.count("SELECT count(*) FROM appeals WHERE status = 'dispatched'") > 0);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM appeals WHERE next_alarm_at IS DISTINCT FROM \
             CASE status WHEN 'submitted' THEN dispatch_warn_at \
                         ELSE least(sign_warn_at, reply_warn_at) END \
             OR version <> CASE status WHEN 'submitted' THEN 1 ELSE 2 END"
        ),
        0,
        "an appeal whose first alarm or version is not what its clocks say"
    );
}

#[actix_web::test]
async fn explain_names_the_deciding_rule_and_why_earlier_ones_failed() {
    let app = spawn_app().await;
    app.load_demo_rules();
    let dispatcher = app.login("dispatcher").await;
    let sample = appeal(
        "06.02.01",
        "210302001",
        "楼下烧烤店噪音",
        "每天晚上十一点后还很吵",
    );
    let r = app
        .post("/api/v1/routing/explain", &sample, Some(&dispatcher))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["decision"]["lead_department"], "urban-210302");
    let trace = r.body["trace"].as_array().expect("trace");
    let last = trace.last().expect("a decided rule");
    assert_eq!(last["outcome"], "decided");
    assert!(
        trace[..trace.len() - 1]
            .iter()
            .all(|t| t["outcome"] == "failed" && t["failed_condition"].is_string()),
        "{trace:?}"
    );
    // the first (gas) rule failed on its keywords
    assert_eq!(trace[0]["failed_condition"], "keywords_any");

    let filed = app.file(&sample).await;
    let by_id = app
        .post(
            "/api/v1/routing/explain",
            &json!({"appeal_id": filed["id"]}),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(by_id.body["decision"]["lead_department"], "urban-210302");

    let clerk = app.login("clerk.heating").await;
    let r = app
        .post("/api/v1/routing/explain", &sample, Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Creates a rule sending categories under `category` to `lead`; returns its id (asserts 201).
async fn create_rule(
    app: &TestApp,
    admin: &str,
    name: &str,
    priority: i32,
    category: &str,
    lead: &str,
) -> i64 {
    let body = rule(
        name,
        priority,
        json!({"category_prefixes": [category]}),
        json!({"lead": {"type": "department", "code": lead}}),
    );
    let r = app.post("/api/v1/routing-rules", &body, Some(admin)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["rule"]["id"].as_i64().expect("rule id")
}

fn rule(name: &str, priority: i32, conditions: Value, action: Value) -> Value {
    json!({"name": name, "priority": priority, "conditions": conditions, "action": action})
}

#[actix_web::test]
async fn only_administrators_edit_rules_and_bad_rules_get_422s() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let dispatcher = app.login("dispatcher").await;
    let good = rule(
        "电梯故障派住建局",
        10,
        json!({"category_prefixes": ["01"]}),
        json!({"lead": {"type": "department", "code": "housing"}}),
    );
    let r = app
        .post("/api/v1/routing-rules", &good, Some(&dispatcher))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let cases: Vec<(Value, &str)> = vec![
        (
            rule(
                "x",
                10,
                json!({}),
                json!({"lead": {"type": "department", "code": "nowhere"}}),
            ),
            "action.lead.code",
        ),
        (
            rule(
                "x",
                10,
                json!({"category_prefixes": ["88"]}),
                json!({"lead": {"type": "department", "code": "gas"}}),
            ),
            "conditions.category_prefixes",
        ),
        (
            rule(
                "x",
                10,
                json!({"division_prefixes": ["999"]}),
                json!({"lead": {"type": "department", "code": "gas"}}),
            ),
            "conditions.division_prefixes",
        ),
        (
            rule(
                "x",
                10,
                json!({}),
                json!({"co_departments": ["ghost"], "lead": {"type": "department", "code": "gas"}}),
            ),
            "action.co_departments",
        ),
        (
            rule(
                "x",
                10,
                json!({"keywords_any": ["燃气"], "keywords_none": ["燃气"]}),
                json!({"lead": {"type": "department", "code": "gas"}}),
            ),
            "conditions",
        ),
        (
            rule(
                "",
                10,
                json!({}),
                json!({"lead": {"type": "department", "code": "gas"}}),
            ),
            "name",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/routing-rules", &body, Some(&admin)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        let got = r.body["error"]["field"].as_str().unwrap_or("");
        assert!(
            got.starts_with(field),
            "{body}: field {got}, wanted {field}"
        );
    }
    for (body, what) in [
        (
            json!({"name": "x", "priority": "first", "action": {}}),
            "wrong type",
        ),
        (
            json!({"name": "x", "priority": 1, "action": {"lead": {"type": "somewhere"}}}),
            "unknown lead type",
        ),
    ] {
        let r = app.post("/api/v1/routing-rules", &body, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
    }
    for (conditions, field) in [
        (json!({"valid_from": "2026-13-01"}), "conditions.valid_from"),
        (
            json!({"season_start": "02-30", "season_end": "03-31"}),
            "conditions.season_start",
        ),
    ] {
        let body = json!({"name": "x", "priority": 1, "action": {}, "conditions": conditions});
        let r = app.post("/api/v1/routing-rules", &body, Some(&admin)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed date: {}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM routing_rules"),
        0,
        "nothing saved"
    );

    let r = app.post("/api/v1/routing-rules", &good, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // a catch-all above it is accepted with a warning
    let catch_all = rule(
        "兜底",
        5,
        json!({}),
        json!({"lead": {"type": "department", "code": "hotline"}}),
    );
    let r = app
        .post("/api/v1/routing-rules", &catch_all, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(
        r.body["warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "{}",
        r.body
    );
}

#[actix_web::test]
async fn an_edit_makes_a_new_version_and_never_moves_routed_appeals() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let supervisor = app.login("supervisor").await;
    let rule_id = create_rule(&app, &admin, "物业派住建局", 10, "01", "housing").await;
    let first = app
        .file(&appeal("01.01.01", "210302001", "物业", "物业不作为"))
        .await;
    assert_eq!(first["lead_department_code"], "housing");

    let r = app
        .send(
            app.client
                .put(app.url(&format!("/api/v1/routing-rules/{rule_id}")))
                .bearer_auth(&admin)
                .json(&rule(
                    "物业派市场监管局",
                    10,
                    json!({"category_prefixes": ["01"]}),
                    json!({"lead": {"type": "department", "code": "market"}}),
                )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["rule"]["version"], 2);
    let second = app
        .file(&appeal("01.01.01", "210302001", "物业", "物业不作为"))
        .await;
    assert_eq!(second["lead_department_code"], "market");

    let old = app
        .get(
            &format!("/api/v1/appeals/{}", first["id"].as_str().unwrap_or("")),
            Some(&supervisor),
        )
        .await;
    assert_eq!(
        old.body["lead_department_code"], "housing",
        "an edit never moves routed appeals"
    );
    assert_eq!(old.body["assignments"][0]["rule_version"], 1);

    let history = app
        .get(&format!("/api/v1/routing-rules/{rule_id}"), Some(&admin))
        .await;
    assert_eq!(history.body["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        history.body["versions"][1]["action"]["lead"]["code"], "housing",
        "old versions stay readable"
    );

    let r = app
        .post(
            &format!("/api/v1/routing-rules/{rule_id}/disable"),
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["enabled"], false);
    let third = app
        .file(&appeal("01.01.01", "210302001", "物业", "物业不作为"))
        .await;
    assert_eq!(
        third["status"], "submitted",
        "a disabled rule routes nothing"
    );
}

#[actix_web::test]
async fn a_rule_change_on_one_instance_is_seen_by_another() {
    let app = spawn_app().await;
    let other = app.second_instance();
    let admin = app.login("admin").await;
    let file_on_other = || {
        let body = appeal("01.01.01", "210302001", "物业", "物业不作为");
        app.send(
            app.client
                .post(format!("{other}/api/v1/appeals"))
                .json(&body),
        )
    };
    let before = file_on_other().await;
    assert_eq!(before.body["status"], "submitted", "no rules yet");
    create_rule(&app, &admin, "物业派住建局", 10, "01", "housing").await;
    let after = file_on_other().await;
    assert_eq!(
        after.body["lead_department_code"], "housing",
        "the other instance recompiled: {}",
        after.body
    );
}

#[actix_web::test]
async fn reorder_changes_which_rule_decides() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let a = create_rule(&app, &admin, "A", 10, "01", "housing").await;
    let b = create_rule(&app, &admin, "B", 20, "01.01", "market").await;
    assert_eq!(
        app.file(&appeal("01.01.01", "210302001", "物业", "x"))
            .await["lead_department_code"],
        "housing"
    );
    let r = app
        .post(
            "/api/v1/routing-rules/reorder",
            &json!({"ids": [b, a]}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.file(&appeal("01.01.01", "210302001", "物业", "x"))
            .await["lead_department_code"],
        "market"
    );
}

#[actix_web::test]
async fn a_draft_is_tested_against_recent_appeals_before_it_is_saved() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    for _ in 0..3 {
        app.file(&appeal("06.02.01", "210302001", "噪音", "晚上很吵"))
            .await;
    }
    app.file(&appeal("01.01.01", "210302001", "物业", "x"))
        .await;
    let draft = rule(
        "噪音派城管",
        10,
        json!({"category_prefixes": ["06.02"]}),
        json!({"lead": {"type": "department", "code": "urban"}}),
    );
    let r = app
        .post(
            "/api/v1/routing/test-draft",
            &json!({"rule": draft, "last": 100}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["examined"], 4);
    assert_eq!(r.body["would_decide"], 3);
    assert_eq!(
        r.body["taken_from"][0],
        json!({"department_code": "pool", "count": 3})
    );
    assert_eq!(
        r.body["sent_to"][0],
        json!({"department_code": "urban", "count": 3})
    );
    assert_eq!(
        app.count("SELECT count(*) FROM routing_rules"),
        0,
        "a draft is not saved"
    );
}

#[actix_web::test]
async fn a_return_explains_itself_and_the_dispatcher_re_dispatches_or_refuses_it() {
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let clerk = app.login("clerk.heating").await;
    let dispatcher = app.login("dispatcher").await;
    let r = app.act(id, "return", &json!({"reason": ""}), &clerk).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a return needs a reason"
    );
    let r = app
        .act(
            id,
            "return",
            &json!({"reason": "该小区不在我司供热范围"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let pool = app.get("/api/v1/pool", Some(&dispatcher)).await;
    assert_eq!(pool.body["items"][0]["pool_reason"], "returned");
    assert_eq!(pool.body["items"][0]["returned_by"], "heating");
    assert!(
        pool.body["items"][0]["pool_detail"]
            .as_str()
            .is_some_and(|d| d.contains("不在我司供热范围"))
    );

    let back = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "heating"}),
            &dispatcher,
        )
        .await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not back to the same department without a note"
    );
    assert_eq!(back.body["error"]["field"], "note");
    let refused = app
        .act(
            id,
            "refuse-return",
            &json!({"reason": "经核实属于热力集团管网"}),
            &dispatcher,
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    assert_eq!(refused.body["status"], "dispatched");
    assert_eq!(refused.body["lead_department_code"], "heating");

    // a second return, then a re-dispatch elsewhere
    app.act(id, "return", &json!({"reason": "仍不属于我司"}), &clerk)
        .await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "housing"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.count(&format!("SELECT count(*) FROM assignments WHERE appeal_id = '{id}' AND end_reason = 'returned' AND department_code = 'heating'")), 2);
    let r = app
        .act(id, "refuse-return", &json!({"reason": "x"}), &dispatcher)
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "only a returned appeal in the pool"
    );
}

#[actix_web::test]
async fn co_handlers_report_to_the_lead_and_only_the_lead_replies() {
    let app = spawn_app().await;
    let id = app.dispatched().await; // heating leads, water co-handles
    let co = app.login("clerk.water").await;
    let lead = app.login("clerk.heating").await;
    app.act(id, "sign", &json!({}), &lead).await;
    let r = app.act(id, "reply", &json!({"content": "x"}), &co).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .act(id, "notes", &json!({"content": "已关闭相邻管段阀门"}), &co)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let view = app.get(&format!("/api/v1/appeals/{id}"), Some(&lead)).await;
    let water = view.body["assignments"]
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["department_code"] == "water")
        .cloned()
        .expect("water");
    assert!(
        water["reported_at"].is_string(),
        "the lead sees the co-handler reported: {water}"
    );
    assert_eq!(view.body["notes"][0]["content"], "已关闭相邻管段阀门");
}

#[actix_web::test]
async fn auto_assignment_is_fair_skips_the_absent_and_can_be_changed() {
    let app = spawn_app().await; // heating auto-assigns in the demo data
    let dispatcher = app.login("dispatcher").await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = app.file_one().await;
        let r = app
            .act(
                id,
                "dispatch",
                &json!({"lead_department_code": "heating"}),
                &dispatcher,
            )
            .await;
        ids.push((
            id,
            r.body["assignments"][0]["assignee"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        ));
    }
    let count = |name: &str| ids.iter().filter(|(_, a)| a == name).count();
    assert_eq!(
        (count("clerk.heating"), count("clerk.heating2")),
        (2, 2),
        "{ids:?}"
    );

    let me = app.login("clerk.heating2").await;
    let r = app
        .post(
            "/api/v1/users/clerk.heating2/absence",
            &json!({"absent": true}),
            Some(&me),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other = app
        .post(
            "/api/v1/users/clerk.heating/absence",
            &json!({"absent": true}),
            Some(&me),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "only yourself");
    for _ in 0..2 {
        let id = app.file_one().await;
        let r = app
            .act(
                id,
                "dispatch",
                &json!({"lead_department_code": "heating"}),
                &dispatcher,
            )
            .await;
        assert_eq!(r.body["assignments"][0]["assignee"], "clerk.heating");
    }

    let (id, _) = &ids[0];
    let clerk = app.login("clerk.heating").await;
    let r = app
        .act(
            *id,
            "assign",
            &json!({"assignee": "clerk.heating2"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["assignments"][0]["assignee"], "clerk.heating2");
    let r = app
        .act(*id, "assign", &json!({"assignee": "clerk.water"}), &clerk)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only a clerk of the department"
    );

    // the kept counts agree with counting: after dispatches, absence and a reassignment …
    assert_clerk_load_exact(&app);
    // … after a reply (resolved: no longer open), a return to the pool and a re-dispatch
    app.replied("heating", "clerk.heating2").await;
    let (returned, _) = &ids[1];
    let holder = app.login("clerk.heating").await;
    let r = app
        .act(
            *returned,
            "return",
            &json!({"reason": "不属于本单位职责"}),
            &holder,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_clerk_load_exact(&app);
    let r = app
        .act(
            *returned,
            "dispatch",
            &json!({"lead_department_code": "heating", "note": "请再核实"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_clerk_load_exact(&app);
    assert!(
        app.count("SELECT coalesce(sum(open_appeals), 0)::bigint FROM clerk_load") > 0,
        "the check above compares something"
    );

    // a department without auto-assignment leaves it unassigned
    let id = app.file_one().await;
    let r = app
        .act(
            id,
            "dispatch",
            &json!({"lead_department_code": "water"}),
            &dispatcher,
        )
        .await;
    assert!(r.body["assignments"][0]["assignee"].is_null());
}

/// `clerk_load` (kept by triggers) holds exactly the open appeals each clerk has through a live
/// assignment, counted from the assignments themselves.
fn assert_clerk_load_exact(app: &TestApp) {
    let differing = app.count(
        "SELECT count(*) FROM ( \
           (SELECT a.assignee_id AS user_id, count(*)::integer AS n \
            FROM assignments a JOIN appeals p ON p.id = a.appeal_id \
            WHERE a.ended_at IS NULL AND a.assignee_id IS NOT NULL \
              AND p.status IN ('dispatched', 'in_progress', 'suspended') \
            GROUP BY a.assignee_id \
            EXCEPT SELECT user_id, open_appeals FROM clerk_load) \
           UNION ALL \
           (SELECT user_id, open_appeals FROM clerk_load WHERE open_appeals > 0 \
            EXCEPT SELECT a.assignee_id, count(*)::integer \
            FROM assignments a JOIN appeals p ON p.id = a.appeal_id \
            WHERE a.ended_at IS NULL AND a.assignee_id IS NOT NULL \
              AND p.status IN ('dispatched', 'in_progress', 'suspended') \
            GROUP BY a.assignee_id)) d",
    );
    assert_eq!(differing, 0, "clerk_load differs from the assignments");
}
