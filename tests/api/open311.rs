//! Open311 GeoReport v2 at /open311/v2/: every method in JSON and XML, filing with an API key,
//! the spec's errors, and no personal data on the way out.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, minxin, spawn_app};

/// A key issued through the admin API.
async fn issue_key(app: &TestApp, name: &str) -> (String, String) {
    let admin = app.login("admin").await;
    let r = app
        .post("/api/v1/api-keys", &json!({"name": name}), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        r.body["api_key"].as_str().expect("key").to_owned(),
        r.body["id"].as_str().expect("id").to_owned(),
    )
}

fn heating_form(key: &str) -> Vec<(String, String)> {
    [
        ("api_key", key),
        ("service_code", "03.01.01"),
        ("lat", "41.108612"),
        ("long", "122.994634"),
        ("address_string", "铁东区解放街道某小区3号楼2单元502"),
        (
            "description",
            "暖气不热，室温只有14度。我是王小明，电话13912345678，邮箱 wxm@example.com",
        ),
        ("first_name", "小明"),
        ("last_name", "王"),
        ("phone", "13912345678"),
        ("email", "wxm@example.com"),
        ("attribute[division_code]", "210302001"),
        ("attribute[kind]", "complaint"),
        ("attribute[indoor_temperature]", "14"),
        ("attribute[rooms][]", "living"),
        ("attribute[rooms][]", "bedroom"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

async fn post_form(
    app: &TestApp,
    format: &str,
    form: &[(String, String)],
    idempotency: Option<&str>,
) -> (StatusCode, String) {
    let mut req = app
        .client
        .post(app.url(&format!("/open311/v2/requests.{format}")))
        .form(form);
    if let Some(k) = idempotency {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let resp = app.client.get(app.url(path)).send().await.expect("sent");
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, resp.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The text of the first `<name>` element of an XML document.
fn xml_text(doc: &str, name: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut inside = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) => inside = e.name().0 == name,
            quick_xml::events::Event::Text(t) if inside => {
                return Some((*t).to_owned());
            }
            quick_xml::events::Event::End(_) if inside => return Some(String::new()),
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

#[actix_web::test]
async fn discovery_services_and_definitions_in_json_and_xml() {
    let app = spawn_app().await;

    let (status, ctype, text) = get_text(&app, "/open311/v2/discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let d = json_of(&text);
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(
        d["endpoints"][0]["url"]
            .as_str()
            .expect("url")
            .ends_with("/open311/v2")
    );
    let (status, ctype, xml) = get_text(&app, "/open311/v2/discovery.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/xml"), "{ctype}");
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><discovery>"),
        "{xml}"
    );
    assert_eq!(
        xml_text(&xml, "format").as_deref(),
        Some("application/json")
    );

    let (status, _, text) = get_text(&app, "/open311/v2/services.json").await;
    assert_eq!(status, StatusCode::OK);
    let services = json_of(&text);
    let list = services.as_array().expect("an array");
    let heating = list
        .iter()
        .find(|s| s["service_code"] == "03.01.01")
        .expect("室温不达标 is a service");
    assert_eq!(heating["service_name"], "室温不达标");
    assert_eq!(heating["group"], "公用事业");
    assert_eq!(heating["metadata"], true);
    assert_eq!(heating["type"], "realtime");
    // only leaves: 供热 (03.01) has children
    assert!(list.iter().all(|s| s["service_code"] != "03.01"));
    let (_, _, xml) = get_text(&app, "/open311/v2/services.xml").await;
    assert_eq!(
        xml.matches("<service>").count(),
        list.len(),
        "the same services in XML"
    );
    assert!(xml.contains("<service_code>03.01.01</service_code>"));

    let (status, _, text) = get_text(&app, "/open311/v2/services/03.01.01.json").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let def = json_of(&text);
    assert_eq!(def["service_code"], "03.01.01");
    let attrs = def["attributes"].as_array().expect("attributes");
    let codes: Vec<&str> = attrs
        .iter()
        .map(|a| a["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        vec![
            "division_code",
            "kind",
            "confidential",
            "indoor_temperature",
            "rooms"
        ]
    );
    assert_eq!(attrs[0]["required"], true);
    assert!(
        attrs[0]["values"]
            .as_array()
            .expect("divisions")
            .iter()
            .any(|v| v["key"] == "210302001"),
        "the streets are offered"
    );
    assert_eq!(attrs[3]["datatype"], "number");
    assert_eq!(attrs[3]["required"], true);
    assert_eq!(attrs[4]["datatype"], "multivaluelist");
    let (status, _, xml) = get_text(&app, "/open311/v2/services/03.01.01.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        xml.contains("<attributes><attribute><variable>true</variable><code>division_code</code>"),
        "{xml}"
    );
    assert!(xml.contains("<values><value><key>"));

    // not found, in the spec's error shape and the asked format
    let (status, _, text) = get_text(&app, "/open311/v2/services/99.99.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let e = json_of(&text);
    assert_eq!(e[0]["code"], 404);
    assert!(
        e[0]["description"]
            .as_str()
            .expect("text")
            .contains("99.99")
    );
    let (status, _, xml) = get_text(&app, "/open311/v2/services/99.99.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(xml_text(&xml, "code").as_deref(), Some("404"), "{xml}");
    let (status, _, text) = get_text(&app, "/open311/v2/services.yaml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json_of(&text)[0]["description"]
            .as_str()
            .expect("text")
            .contains(".json or .xml")
    );
    let (status, _, text) = get_text(&app, "/open311/v2/nothing.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json_of(&text)[0]["code"], 404);
    let (status, _, text) =
        get_text(&app, "/open311/v2/services.json?jurisdiction_id=shenyang").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("anshan"), "{text}");
    let (status, _, _) = get_text(&app, "/open311/v2/services.json?jurisdiction_id=anshan").await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn an_integration_files_an_appeal_that_is_routed_and_followed() {
    let app = spawn_app().await;
    app.load_demo_rules();
    let (key, key_id) = issue_key(&app, "鞍山市民通").await;

    let (status, text) = post_form(&app, "json", &heating_form(&key), None).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let created = json_of(&text);
    let id = created[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let token = created[0]["token"].as_str().expect("token").to_owned();
    assert!(id.starts_with("AS"), "{id}");
    assert!(!created[0]["access_code"].as_str().expect("code").is_empty());
    assert!(
        created[0]["service_notice"]
            .as_str()
            .expect("notice")
            .contains("已受理")
    );

    // an appeal like any other: channel open311, routed by the rules, answers in its text
    let mut conn = app.conn();
    let row: (String, String, Option<String>, String, String) = {
        use diesel::prelude::*;
        use minxin::db::schema::appeals;
        appeals::table
            .filter(appeals::tracking_no.eq(&id))
            .select((
                appeals::channel,
                appeals::status,
                appeals::lead_department_code,
                appeals::content,
                appeals::name,
            ))
            .first(&mut conn)
            .expect("the appeal is stored")
    };
    assert_eq!(row.0, "open311");
    assert_eq!(
        row.1, "dispatched",
        "the demo rules send heating to the heating company"
    );
    assert!(row.2.is_some());
    assert!(
        row.3
            .contains("【室内温度（℃） / Indoor temperature (°C)】14"),
        "{}",
        row.3
    );
    assert!(
        row.3.contains("客厅 / living room、卧室 / bedroom"),
        "{}",
        row.3
    );
    assert_eq!(row.4, "王小明");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = 'intake' AND details->>'api_key_id' = '{key_id}'"
        )),
        1,
        "the audit trail names the key"
    );
    // the resident can follow it on minxin's own pages with the access code
    let view = app
        .appellant_view(&json!({"tracking_no": id, "access_code": created[0]["access_code"]}))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);

    // the token leads to the request
    let (status, _, text) = get_text(&app, &format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(json_of(&text)[0]["service_request_id"], id.as_str());
    let (status, _, xml) = get_text(&app, &format!("/open311/v2/tokens/{token}.xml")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        xml_text(&xml, "service_request_id").as_deref(),
        Some(id.as_str())
    );
    let (status, _, _) = get_text(&app, "/open311/v2/tokens/not-a-token.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // the request as anyone reads it: open, the department, the deadline, the steps
    let (status, _, text) = get_text(&app, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let r = &json_of(&text)[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "03.01.01");
    assert!(
        r["agency_responsible"]
            .as_str()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(
        r["expected_datetime"]
            .as_str()
            .expect("deadline")
            .ends_with("+08:00")
    );
    assert!(
        r["requested_datetime"]
            .as_str()
            .expect("time")
            .ends_with("+08:00")
    );
    let steps: Vec<&str> = r["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(steps, vec!["intake", "dispatch"]);
    assert_eq!(r["lat"], 41.109);
    assert_eq!(r["address_id"], "210302001");
    // no personal data: not the name, the phone, the e-mail or the street address
    for secret in ["王小明", "13912345678", "wxm@example.com", "502", "2单元"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(
        r["description"]
            .as_str()
            .expect("text")
            .contains("139******78")
    );
    let (status, _, xml) = get_text(&app, &format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        xml.contains("<service_requests><request><service_request_id>"),
        "{xml}"
    );
    assert!(xml.contains("<notes><note><datetime>"), "{xml}");
    assert_eq!(xml_text(&xml, "status").as_deref(), Some("open"));

    // in the list too, with the filters of the spec
    let (status, _, text) = get_text(
        &app,
        "/open311/v2/requests.json?status=open&service_code=03.01.01",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        json_of(&text)
            .as_array()
            .expect("list")
            .iter()
            .any(|r| r["service_request_id"] == id.as_str())
    );
    let (_, _, text) = get_text(&app, "/open311/v2/requests.json?status=closed").await;
    assert!(
        json_of(&text)
            .as_array()
            .expect("list")
            .iter()
            .all(|r| r["service_request_id"] != id.as_str())
    );
    let (_, _, text) = get_text(
        &app,
        &format!("/open311/v2/requests.json?service_request_id={id},AS0000000000000000"),
    )
    .await;
    assert_eq!(json_of(&text).as_array().expect("list").len(), 1);
    let (_, _, text) = get_text(
        &app,
        "/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(json_of(&text), json!([]));

    // a retry with the same Idempotency-Key files nothing twice and answers the same
    let form = heating_form(&key);
    let (s1, t1) = post_form(&app, "json", &form, Some("open311-retry-1")).await;
    let (s2, t2) = post_form(&app, "json", &form, Some("open311-retry-1")).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(
        json_of(&t1)[0]["service_request_id"],
        json_of(&t2)[0]["service_request_id"]
    );
    assert_eq!(json_of(&t1)[0]["token"], json_of(&t2)[0]["token"]);
    assert_eq!(
        app.count("SELECT count(*) FROM appeals WHERE channel = 'open311'"),
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM open311_requests"), 2);

    // and in XML
    let (status, xml) = post_form(&app, "xml", &heating_form(&key), None).await;
    assert_eq!(status, StatusCode::CREATED, "{xml}");
    assert!(xml_text(&xml, "service_request_id").is_some_and(|id| id.starts_with("AS")));
}

#[actix_web::test]
async fn bad_filings_get_the_specs_errors_and_store_nothing() {
    let app = spawn_app().await;
    let (key, key_id) = issue_key(&app, "test client").await;
    let before = app.count("SELECT count(*) FROM appeals");

    let without = |name: &str| -> Vec<(String, String)> {
        heating_form(&key)
            .into_iter()
            .filter(|(k, _)| k != name)
            .collect()
    };
    // no key: 400; an unknown key: 403
    let (status, text) = post_form(&app, "json", &without("api_key"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        json_of(&text)[0]["description"]
            .as_str()
            .expect("d")
            .contains("api_key")
    );
    let mut wrong = without("api_key");
    wrong.push((
        "api_key".into(),
        "mxk_000000000000000000000000000000000000000000000000".into(),
    ));
    let (status, text) = post_form(&app, "json", &wrong, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert_eq!(json_of(&text)[0]["code"], 403);
    let (status, xml) = post_form(&app, "xml", &wrong, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        xml.contains("<errors><error><code>403</code><description>"),
        "{xml}"
    );

    // unknown service, missing and malformed fields: 400, every problem named
    let mut unknown = without("service_code");
    unknown.push(("service_code".into(), "99.99".into()));
    let (status, text) = post_form(&app, "json", &unknown, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("99.99"));
    let mut bad: Vec<(String, String)> = heating_form(&key)
        .into_iter()
        .filter(|(k, _)| {
            !["description", "phone", "attribute[indoor_temperature]"].contains(&k.as_str())
        })
        .collect();
    bad.push(("attribute[rooms][]".into(), "garage".into()));
    let (status, text) = post_form(&app, "json", &bad, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let errors = json_of(&text);
    let descriptions: Vec<&str> = errors
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["description"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(descriptions.len(), 4, "{descriptions:?}");
    for needle in [
        "description is required",
        "phone is required",
        "indoor_temperature] is required",
        "garage",
    ] {
        assert!(
            descriptions.iter().any(|d| d.contains(needle)),
            "{needle}: {descriptions:?}"
        );
    }
    // a phone that is not one, an unknown street: minxin's own checks, as the spec's 400
    let mut phone = without("phone");
    phone.push(("phone".into(), "12".into()));
    let (status, text) = post_form(&app, "json", &phone, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("phone"));
    let mut street = without("attribute[division_code]");
    street.push(("attribute[division_code]".into(), "999999999".into()));
    let (status, text) = post_form(&app, "json", &street, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("999999999"));

    // JSON is not the spec's form; an oversized body is a 413
    let resp = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .json(&json!({"api_key": key}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let mut huge = heating_form(&key);
    huge.push(("device_id".into(), "x".repeat(200_000)));
    let (status, text) = post_form(&app, "json", &huge, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert_eq!(json_of(&text)[0]["code"], 413);

    // another jurisdiction is not this endpoint's
    let mut elsewhere = heating_form(&key);
    elsewhere.push(("jurisdiction_id".into(), "shenyang".into()));
    let (status, _) = post_form(&app, "json", &elsewhere, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(
        app.count("SELECT count(*) FROM appeals"),
        before,
        "nothing half-written"
    );
    assert_eq!(app.count("SELECT count(*) FROM open311_requests"), 0);

    // a revoked key is refused from then on
    let admin = app.login("admin").await;
    let r = app
        .post(
            &format!("/api/v1/api-keys/{key_id}/revoke"),
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["active"], false);
    let (status, _) = post_form(&app, "json", &heating_form(&key), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // GET parameters: checked, in the same shape
    for bad in [
        "/open311/v2/requests.json?status=pending",
        "/open311/v2/requests.json?start_date=yesterday",
        "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
        "/open311/v2/requests.json?page_size=5000",
        "/open311/v2/requests.json?page=0",
    ] {
        let (status, _, text) = get_text(&app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {text}");
        assert_eq!(json_of(&text)[0]["code"], 400, "{bad}");
    }
    let (status, _, _) = get_text(&app, "/open311/v2/requests/AS0000000000000000.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn confidential_and_closed_appeals_read_as_the_spec_says() {
    let app = spawn_app().await;
    let (key, _) = issue_key(&app, "test client").await;
    let mut form = heating_form(&key);
    form.retain(|(k, _)| k != "attribute[kind]");
    form.push(("attribute[confidential]".into(), "true".into()));
    let (status, text) = post_form(&app, "json", &form, None).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let id = json_of(&text)[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, _, text) = get_text(&app, &format!("/open311/v2/requests/{id}.json")).await;
    let r = &json_of(&text)[0];
    assert_eq!(
        r["description"], "室温不达标",
        "a confidential appeal's text stays inside"
    );
    assert!(r["lat"].is_null() && r["long"].is_null());
    assert_eq!(r["status"], "open");
    assert_eq!(
        r["status_notes"].as_str().map(|s| s.contains("等待派单")),
        Some(true),
        "{r}"
    );

    // a replied appeal reads as closed
    let replied = app.replied("heating", "clerk.heating").await;
    let tracking: String = {
        use diesel::prelude::*;
        use minxin::db::schema::appeals;
        appeals::table
            .find(replied)
            .select(appeals::tracking_no)
            .first(&mut app.conn())
            .expect("tracking no")
    };
    let (_, _, text) = get_text(&app, &format!("/open311/v2/requests/{tracking}.json")).await;
    let r = &json_of(&text)[0];
    assert_eq!(r["status"], "closed", "{r}");
    assert!(
        r["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n["type"] == "reply")
    );
    // the web channel's appellant (张三, 13812341234) is not in it either
    assert!(
        !text.contains("13812341234") && !text.contains("张三"),
        "{text}"
    );
}

#[actix_web::test]
async fn only_administrators_keep_keys_and_the_key_is_shown_once() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/api-keys", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let clerk = app.login("clerk.heating").await;
    let r = app
        .post("/api/v1/api-keys", &json!({"name": "x"}), Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");
    let admin = app.login("admin").await;
    let r = app
        .post("/api/v1/api-keys", &json!({"name": "  "}), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "name");
    let r = app
        .post("/api/v1/api-keys", &json!({"name": 5}), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let (key, id) = issue_key(&app, "12345 app").await;
    assert!(key.starts_with("mxk_"));
    let r = app.get("/api/v1/api-keys", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let listed = r.body.to_string();
    assert!(listed.contains(&id) && listed.contains("12345 app"));
    assert!(!listed.contains(&key), "the key is never listed");
    assert!(listed.contains(&key[..12]), "its prefix is");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM api_keys WHERE key_hash LIKE '%{}%'",
            &key[4..20]
        )),
        0,
        "only the hash is stored"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM admin_events WHERE action = 'api_key_issue'"),
        1
    );
    let r = app
        .post(
            "/api/v1/api-keys/not-a-uuid/revoke",
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post(
            &format!("/api/v1/api-keys/{}/revoke", uuid::Uuid::new_v4()),
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // the operator's way: the command line
    let (ok, out) = minxin(
        &app.db_url,
        &["apikey", "add", "--name", "from the shell"],
        &[],
    );
    assert!(ok, "{out}");
    let cli_key = out
        .lines()
        .find(|l| l.starts_with("mxk_"))
        .expect("the key is printed")
        .trim()
        .to_owned();
    let (status, text) = post_form(&app, "json", &heating_form(&cli_key), None).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (ok, out) = minxin(&app.db_url, &["apikey", "list"], &[]);
    assert!(
        ok && out.contains("from the shell") && !out.contains(&cli_key),
        "{out}"
    );
}

#[actix_web::test]
async fn the_georeport_description_is_served_with_todays_lists() {
    let app = spawn_app().await;
    let r = app.get("/open311/v2/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = &r.body;
    assert!(
        doc["paths"]["/open311/v2/requests.{format}"]["post"].is_object(),
        "{doc}"
    );
    let services = doc["components"]["schemas"]["PostForm"]["properties"]["service_code"]["enum"]
        .as_array()
        .expect("service codes listed");
    assert!(services.iter().any(|s| s == "03.01.01"));
    let r = app.get("/api/openapi.json", None).await;
    assert!(r.body["paths"]["/api/v1/api-keys"]["post"].is_object());
}
