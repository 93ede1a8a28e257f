//! The pages in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven over
//! WebDriver with fantoccini): a resident files on a phone-sized window and tracks the appeal; a
//! clerk logs in, signs and replies; the resident rates; the public report's numbers move; a
//! title holding a script is shown as text; a form without its CSRF token is refused.
//! Screenshots of the main pages go to docs/screenshots/.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, citizen_appeal, spawn_app};

pub(crate) const PASSWORD: &str = "minxin-demo";

/// A chromedriver of our own on a free port, and a browser session on it.
pub(crate) struct Browser {
    driver: Child,
    pub(crate) client: Client,
    _profile: std::path::PathBuf,
}

fn chromedriver() -> &'static str {
    static FOUND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        let path = "/usr/bin/chromedriver";
        if !std::path::Path::new(path).exists() {
            // as for PostgreSQL: install the distribution's packages where they are missing
            let status = Command::new("scripts/install-deps").status();
            assert!(
                status.is_ok_and(|s| s.success()) && std::path::Path::new(path).exists(),
                "the browser tests need Debian's chromium and chromium-driver: run \
                 scripts/install-deps (as root or with sudo)"
            );
        }
        path
    })
}

impl Browser {
    /// `width` × `height` CSS pixels: 360 × 740 is a phone.
    pub(crate) async fn start(width: u32, height: u32) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile =
            std::env::temp_dir().join(format!("minxin-chromium-{}", uuid::Uuid::new_v4()));
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if width < 500 {
            // a phone: its viewport and pixel ratio, as the page sees them
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let started = Instant::now();
        let client = loop {
            // plain HTTP to the local chromedriver: no TLS stack needed
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no browser session from chromedriver: {e}"),
            }
        };
        Browser {
            driver,
            client,
            _profile: profile,
        }
    }

    pub(crate) async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("navigate");
    }

    /// The element, waiting up to ten seconds for it: the page a click or a redirect leads to
    /// may not be there yet.
    async fn element(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
    }

    pub(crate) async fn fill(&self, id: &str, value: &str) {
        let field = self.element(id).await;
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    pub(crate) async fn select(&self, id: &str, value: &str) {
        let field = self.element(id).await;
        field.select_by_value(value).await.expect("select");
    }

    pub(crate) async fn click(&self, id: &str) {
        self.element(id).await.click().await.expect("click");
    }

    /// The element's text; found again if the page changed under it (a click's next page).
    pub(crate) async fn text(&self, id: &str) -> String {
        for _ in 0..50 {
            match self.element(id).await.text().await {
                Ok(text) => return text,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("#{id}: its text could not be read");
    }

    /// Waits up to ten seconds for the element's text to contain `needle`: after a click the
    /// page before may still be showing an element of the same id (the "done" banner).
    pub(crate) async fn wait_text(&self, id: &str, needle: &str) {
        let until = Instant::now() + Duration::from_secs(10);
        let mut seen = String::new();
        while Instant::now() < until {
            if let Ok(element) = self.client.find(Locator::Id(id)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(needle) {
                    return;
                }
                seen = text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("#{id} never said {needle:?}; it said {seen:?}");
    }

    pub(crate) async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    /// Saves a screenshot: into docs/screenshots/ (the README shows them) when
    /// `MINXIN_SCREENSHOTS=1`, else into the temporary folder, so that a test run leaves the
    /// working tree as it was.
    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = if std::env::var_os("MINXIN_SCREENSHOTS").is_some() {
            std::path::PathBuf::from("docs/screenshots")
        } else {
            std::env::temp_dir().join("minxin-screenshots")
        };
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub(crate) async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A page fetched with a staff session cookie holding `token` (no browser needed).
pub(crate) async fn page_as(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Cookie", format!("minxin_session={token}"))
        .send()
        .await
        .expect("get")
}

/// Waits for an element of the next page.
async fn phone_wait(browser: &Browser, id: &str) {
    browser.text(id).await;
}

#[actix_web::test]
async fn a_resident_files_on_a_phone_and_tracks_the_appeal() {
    let app = spawn_app().await;
    let phone = Browser::start(360, 740).await;

    // Arrange: the form, in Chinese by default
    phone.goto(&app, "/").await;
    assert!(phone.source().await.contains("lang=\"zh-CN\""));
    phone.screenshot("file-form-phone").await;

    // Act: a first try without a title is sent back with the input kept
    phone.select("kind", "complaint").await;
    phone.fill("category", "03.01.01").await;
    phone.select("district", "210302").await;
    phone.select("street", "210302001").await;
    phone.fill("content", "室温只有14度，已持续一周。").await;
    phone.fill("name", "张三").await;
    phone.fill("phone", "13812341234").await;
    phone.click("submit").await;
    let problem = phone.text("title-error").await;
    assert!(!problem.is_empty());
    let kept = phone
        .client
        .find(Locator::Id("content"))
        .await
        .expect("content")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("室温只有14度，已持续一周。"));
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 0);

    phone.fill("title", "小区暖气不热").await;
    phone.click("submit").await;

    // Assert: the receipt, then the appeal tracked with the two keys
    let tracking_no = phone.text("tracking-no").await;
    let access_code = phone.text("access-code").await;
    assert!(tracking_no.starts_with("AS"), "{tracking_no}");
    phone.screenshot("receipt-phone").await;
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 1);
    // the division picked last is the one filed
    assert_eq!(
        app.count(
            "SELECT count(*) FROM appeals WHERE division_code = '210302001' AND channel = 'web'"
        ),
        1
    );

    phone.goto(&app, "/track").await;
    phone.fill("tracking_no", &tracking_no).await;
    phone.fill("access_code", "WRONGCODE").await;
    phone.click("track-submit").await;
    assert!(!phone.text("track-error").await.is_empty());
    phone.fill("tracking_no", &tracking_no).await;
    phone.fill("access_code", &access_code).await;
    phone.click("track-submit").await;
    assert_eq!(phone.text("appeal-title").await, "小区暖气不热");
    assert!(phone.text("status").await.contains("已受理"));
    phone.screenshot("track-phone").await;

    // the English switch shows the same result in English (looked up again: the code is
    // posted, never put in an address), and the choice is kept for the next page
    phone.click("lang-switch").await;
    phone.wait_text("status", "Received").await;
    assert_eq!(phone.text("appeal-title").await, "小区暖气不热");
    assert!(phone.source().await.contains("lang=\"en\""));
    assert!(
        !phone
            .client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .contains(&access_code)
    );
    phone.goto(&app, "/").await;
    assert_eq!(phone.text("submit").await, "Submit");
    phone.close().await;
}

#[actix_web::test]
async fn a_clerk_signs_and_replies_the_resident_rates_and_the_public_report_counts_it() {
    // Arrange: an appeal sent to the heating company
    let app = spawn_app().await;
    let filed = app.file(&citizen_appeal()).await;
    let id = filed["id"].as_str().expect("id").to_owned();
    let dispatcher = app.login("dispatcher").await;
    let r = app
        .post(
            &format!("/api/v1/appeals/{id}/dispatch"),
            &json!({"lead_department_code": "heating"}),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let desk = Browser::start(1280, 900).await;

    // Act: a staff page without a session goes to the login page and back
    desk.goto(&app, &format!("/staff/appeals/{id}")).await;
    let url = desk.client.current_url().await.expect("url");
    assert!(url.path().ends_with("/staff/login"), "{url}");
    desk.screenshot("login").await;
    desk.fill("username", "clerk.heating").await;
    desk.fill("password", PASSWORD).await;
    desk.click("login-submit").await;
    assert_eq!(desk.text("appeal-title").await, "小区暖气不热");
    // the handling department sees the appellant unmasked, and departments by their names
    assert!(desk.text("appellant").await.contains("13812341234"));
    assert_eq!(desk.text("lead-department").await, "鞍山市热力集团");

    desk.goto(&app, "/staff/queue").await;
    phone_wait(&desk, "tab-to_sign").await;
    assert_eq!(desk.text("queue-department").await, "鞍山市热力集团");
    assert!(
        desk.source()
            .await
            .contains(filed["tracking_no"].as_str().expect("no"))
    );
    desk.screenshot("workbench").await;

    desk.goto(&app, &format!("/staff/appeals/{id}")).await;
    desk.click("do-sign").await;
    desk.wait_text("done", "已签收").await;
    desk.fill("reply-content", "已安排维修，室温已恢复到20度。")
        .await;
    desk.screenshot("appeal-clerk").await;
    desk.click("do-reply").await;
    desk.wait_text("done", "已答复").await;
    assert_eq!(app.status_of(id.parse().expect("uuid")).await, "resolved");
    desk.close().await;

    // the resident rates through the tracking page
    let phone = Browser::start(360, 740).await;
    phone.goto(&app, "/track").await;
    phone
        .fill("tracking_no", filed["tracking_no"].as_str().expect("no"))
        .await;
    phone
        .fill("access_code", filed["access_code"].as_str().expect("code"))
        .await;
    phone.click("track-submit").await;
    assert_eq!(phone.text("appeal-title").await, "小区暖气不热");
    let tracked = phone.source().await;
    assert!(tracked.contains("已安排维修"), "{tracked}");
    phone.click("satisfaction-satisfied").await;
    phone.screenshot("follow-up-phone").await;
    phone.click("follow-up-submit").await;
    assert!(!phone.text("follow-up-thanks").await.is_empty());
    assert!(phone.text("status").await.contains("已办结"));
    phone.close().await;

    // Assert: the public report counts it, with no personal data
    let public = Browser::start(1280, 900).await;
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m");
    public.goto(&app, &format!("/public?month={month}")).await;
    let ranking = public.text("ranking").await;
    assert!(ranking.contains("100.0%"), "{ranking}");
    let page = public.source().await;
    assert!(!page.contains("张三") && !page.contains("13812341234"));
    public.screenshot("public-report").await;
    public.close().await;
}

#[actix_web::test]
async fn a_title_holding_a_script_is_shown_as_text() {
    let app = spawn_app().await;
    let mut body = citizen_appeal();
    body["title"] =
        json!("<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\">");
    let filed = app.file(&body).await;
    let browser = Browser::start(1280, 900).await;
    browser.goto(&app, "/track").await;
    browser
        .fill("tracking_no", filed["tracking_no"].as_str().expect("no"))
        .await;
    browser
        .fill("access_code", filed["access_code"].as_str().expect("code"))
        .await;
    browser.click("track-submit").await;
    assert_eq!(
        browser.text("appeal-title").await,
        "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\">"
    );
    let ran = browser
        .client
        .execute(
            "return window.__xss === undefined ? null : window.__xss;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(ran, serde_json::Value::Null, "the title ran as script");
    browser.close().await;
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let browser = Browser::start(1280, 900).await;
    browser.goto(&app, "/staff/login").await;
    // a forged form: the hidden token changed before sending
    browser
        .client
        .execute(
            "document.querySelector('input[name=csrf]').value = 'forged';",
            vec![],
        )
        .await
        .expect("script");
    browser.fill("username", "clerk.heating").await;
    browser.fill("password", PASSWORD).await;
    browser.click("login-submit").await;
    assert!(browser.text("error-message").await.contains("表单已过期"));
    // no session was opened
    browser.goto(&app, "/staff/queue").await;
    let url = browser.client.current_url().await.expect("url");
    assert!(url.path().ends_with("/staff/login"), "{url}");
    browser.close().await;

    // without any cookie at all (another site's form): 403, nothing filed
    let r = app
        .client
        .post(app.url("/"))
        .form(&[
            ("title", "x"),
            ("content", "y"),
            ("csrf", "0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 0);
}

#[actix_web::test]
async fn another_departments_appeal_page_is_forbidden_and_a_stale_session_goes_to_login() {
    let app = spawn_app().await;
    let id = app.dispatched().await; // to heating, water co-handling
    let water = app.login("clerk.water").await;
    let other = app.login("clerk.urban").await;
    let path = format!("/staff/appeals/{id}");

    // a co-handling department may look; another may not, and the page says so
    let r = page_as(&app, &path, &water).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = page_as(&app, &path, &other).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("没有权限") && body.contains("You may not see this page"),
        "{body}"
    );
    assert!(
        !body.contains("小区暖气不热"),
        "nothing of the appeal shows"
    );

    // a session cookie that no longer holds (expired, or from another key): to the login page,
    // told why, and back here afterwards
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url(&format!("/staff/appeals/{id}")))
        .header("Cookie", "minxin_session=not.a.token")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(
        to,
        format!("/staff/login?next=/staff/appeals/{id}&expired=1")
    );
    let r = app
        .client
        .get(app.url(&to))
        .send()
        .await
        .expect("login page");
    assert!(r.text().await.expect("body").contains("登录已过期"));
}

#[actix_web::test]
async fn a_dispatcher_works_the_pool_dispatching_merging_and_rejecting() {
    // Arrange: no routing rules, so three appeals wait in the pool; two are about one matter
    let app = spawn_app().await;
    let first = app.file(&citizen_appeal()).await;
    let mut same = citizen_appeal();
    same["name"] = json!("李四");
    same["phone"] = json!("13900001111");
    let second = app.file(&same).await;
    let mut prank = citizen_appeal();
    prank["title"] = json!("测试测试");
    prank["content"] = json!("随便说说，没有具体问题。");
    let third = app.file(&prank).await;
    let id = |v: &serde_json::Value| v["id"].as_str().expect("id").to_owned();
    let desk = Browser::start(1280, 900).await;

    // Act: the dispatcher lands on the pool
    desk.goto(&app, "/staff").await;
    desk.fill("username", "dispatcher").await;
    desk.fill("password", PASSWORD).await;
    desk.click("login-submit").await;
    let pool = desk.text("pool").await;
    for filed in [&first, &second, &third] {
        assert!(
            pool.contains(filed["tracking_no"].as_str().expect("no")),
            "{pool}"
        );
    }
    assert!(pool.contains("无匹配派单规则"), "{pool}");
    desk.screenshot("pool").await;

    // the second: the first is its probable duplicate; merged into it by number
    desk.goto(&app, &format!("/staff/appeals/{}", id(&second)))
        .await;
    assert!(desk.text("explain-lead").await.contains("没有规则决定"));
    let duplicates = desk.text("duplicates").await;
    assert!(
        duplicates.contains(first["tracking_no"].as_str().expect("no")),
        "{duplicates}"
    );
    desk.screenshot("appeal-dispatcher").await;
    desk.fill("merge-primary", first["tracking_no"].as_str().expect("no"))
        .await;
    desk.click("do-merge").await;
    desk.wait_text("done", "已合并").await;

    // the first: to the heating company, the water company co-handling
    desk.goto(&app, &format!("/staff/appeals/{}", id(&first)))
        .await;
    desk.select("dispatch-lead", "heating").await;
    desk.select("dispatch-co", "water").await;
    desk.click("do-dispatch").await;
    desk.wait_text("done", "已派单").await;

    // the third: rejected with a disposition; a reason is required first
    desk.goto(&app, &format!("/staff/appeals/{}", id(&third)))
        .await;
    desk.select("reject-disposition", "out_of_scope").await;
    desk.fill("reject-reason", "无具体诉求").await;
    desk.click("do-reject").await;
    desk.wait_text("done", "已不予受理").await;
    desk.close().await;

    // Assert: what the database holds
    let status = |v: &serde_json::Value| {
        app.count(&format!(
            "SELECT CASE status WHEN 'dispatched' THEN 1 WHEN 'merged' THEN 2 WHEN 'rejected' THEN 3 ELSE 0 END FROM appeals WHERE id = '{}'",
            id(v)
        ))
    };
    assert_eq!((status(&first), status(&second), status(&third)), (1, 2, 3));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM assignments WHERE appeal_id = '{}' AND ended_at IS NULL \
             AND ((role = 'lead' AND department_code = 'heating') OR (role = 'co' AND department_code = 'water'))",
            id(&first)
        )),
        2
    );
}

#[actix_web::test]
async fn a_supervisor_sees_the_numbers_move_and_decides_an_extension() {
    // Arrange: one appeal handled and rated, one in progress whose clerk asks for more time
    let app = spawn_app().await;
    let desk = Browser::start(1280, 1000).await;
    desk.goto(&app, "/staff").await;
    desk.fill("username", "supervisor").await;
    desk.fill("password", PASSWORD).await;
    desk.click("login-submit").await;
    let before = desk.text("period-form").await;
    assert!(!before.is_empty());
    let empty = desk.source().await;
    assert!(
        !empty.contains("id=\"summary\""),
        "nothing received yet this month"
    );

    let rated = app.replied("heating", "clerk.heating").await;
    let dispatcher = app.login("dispatcher").await;
    let r = app
        .act(
            rated,
            "follow-up",
            &json!({"contacted": true, "solved": true, "satisfaction": "very_satisfied"}),
            &dispatcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let slow = app.dispatched().await;
    let clerk = app.login("clerk.heating").await;
    let r = app.act(slow, "sign", &json!({}), &clerk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let due: chrono::DateTime<chrono::Utc> = r.body["reply_due_at"]
        .as_str()
        .expect("reply due")
        .parse()
        .expect("instant");
    let r = app
        .act(
            slow,
            "extension",
            &json!({"until": (due + chrono::Duration::days(2)).to_rfc3339(), "reason": "需要更换管道，等待材料"}),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Act: the dashboard again
    desk.goto(&app, "/staff/dashboard").await;
    let summary = desk.text("summary").await;
    let page = desk.source().await;

    // Assert: the rated appeal counts (a composite of 100%), the request waits for a decision
    assert!(summary.contains("100.0%"), "{summary}");
    let heating: String = {
        let r = app.get("/api/v1/departments", None).await;
        r.body
            .as_array()
            .expect("departments")
            .iter()
            .find(|d| d["code"] == "heating")
            .and_then(|d| d["name"].as_str())
            .expect("heating")
            .to_owned()
    };
    assert!(
        summary.contains(&heating),
        "the heating company's row: {summary}"
    );
    assert!(page.contains("<svg"), "the charts are drawn");
    assert!(desk.text("best").await.contains("100.0%"));
    // the month's hotspot: the category and district of both appeals
    let hotspots = desk.text("hotspots").await;
    assert!(
        hotspots.contains("铁东区") && hotspots.contains("+2"),
        "{hotspots}"
    );
    desk.screenshot("dashboard").await;
    let slow_no = app.count(&format!(
        "SELECT count(*) FROM extensions WHERE appeal_id = '{slow}' AND status = 'pending'"
    ));
    assert_eq!(slow_no, 1);
    let tracking: String = {
        let r = app
            .get(&format!("/api/v1/appeals/{slow}"), Some(&dispatcher))
            .await;
        r.body["tracking_no"].as_str().expect("no").to_owned()
    };
    // the request names its department, not its code
    let requests = desk.text("extensions").await;
    assert!(
        requests.contains(&tracking) && requests.contains("鞍山市热力集团"),
        "{requests}"
    );
    desk.click(&format!("approve-{tracking}")).await;
    desk.wait_text("done", "已批准").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM extensions WHERE appeal_id = '{slow}' AND status = 'approved'"
        )),
        1
    );

    // the CSV download carries the session, and the BOM Excel needs
    let cookie = desk
        .client
        .get_named_cookie("minxin_session")
        .await
        .expect("session cookie");
    let csv = page_as(
        &app,
        "/staff/dashboard/summary.csv?group_by=department",
        cookie.value(),
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let bytes = csv.bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("department_code") && !text.contains("13812341234"));
    desk.close().await;

    // a clerk may not see it
    let r = page_as(&app, "/staff/dashboard", &clerk).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn an_administrator_reads_the_rule_table_and_tests_where_an_appeal_would_go() {
    let app = spawn_app().await;
    assert!(app.load_demo_rules() > 0);
    let desk = Browser::start(1280, 1000).await;
    desk.goto(&app, "/staff/admin/rules").await;
    desk.fill("username", "admin").await;
    desk.fill("password", PASSWORD).await;
    desk.click("login-submit").await;
    let table = desk.text("rules").await;
    assert!(table.contains("03.01"), "{table}");

    // the test box: a heating complaint in the heating season goes to the heating company
    desk.fill("t-title", "暖气不热").await;
    desk.fill("t-content", "室温只有14度").await;
    desk.fill("t-category", "03.01.01").await;
    desk.fill("t-division", "210302001").await;
    desk.click("explain-submit").await;
    let lead = desk.text("explain-lead").await;
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%m")
        .to_string();
    if ["11", "12", "01", "02", "03"].contains(&month.as_str()) {
        assert!(lead.contains("heating"), "{lead}");
    } else {
        assert!(!lead.is_empty(), "{lead}");
    }
    assert!(!desk.text("explain").await.is_empty());
    desk.screenshot("admin-rules").await;
    desk.close().await;

    // a clerk may not see the table
    let clerk = app.login("clerk.heating").await;
    let r = page_as(&app, "/staff/admin/rules", &clerk).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_workbench_lists_what_waits_for_a_co_handler_until_it_signs() {
    // Arrange: heating leads, water co-handles; heating has signed, water not yet
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let heating = app.login("clerk.heating").await;
    let water = app.login("clerk.water").await;
    let r = app.act(id, "sign", &json!({}), &heating).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tracking_no = r.body["tracking_no"].as_str().expect("no").to_owned();
    let tab = |token: String| {
        let app = &app;
        async move {
            let r = page_as(app, "/staff/queue?tab=awaiting_co", &token).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.expect("body")
        }
    };

    // Act and Assert: listed for the lead while water has not signed, not for water itself
    assert!(tab(heating.clone()).await.contains(&tracking_no));
    assert!(!tab(water.clone()).await.contains(&tracking_no));
    let r = app.act(id, "sign", &json!({}), &water).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!tab(heating).await.contains(&tracking_no));
}

#[actix_web::test]
async fn the_workbench_sorts_by_deadline_either_way_or_newest_first() {
    // Arrange: two appeals for heating, received one after the other
    let app = spawn_app().await;
    let older = app.dispatched().await;
    let newer = app.dispatched().await;
    let mut conn = app.conn();
    let later_deadline = |id: Uuid, days: i32, conn: &mut diesel::PgConnection| {
        diesel::sql_query(format!(
            "UPDATE appeals SET reply_due_at = now() + interval '{days} days' WHERE id = '{id}'"
        ))
        .execute(conn)
        .expect("move the deadline");
    };
    let clerk = app.login("clerk.heating").await;
    let no = |id: Uuid| {
        let (app, clerk) = (&app, &clerk);
        async move {
            let r = app.get(&format!("/api/v1/appeals/{id}"), Some(clerk)).await;
            r.body["tracking_no"].as_str().expect("no").to_owned()
        }
    };
    let (older_no, newer_no) = (no(older).await, no(newer).await);
    let first_of = |sort: &'static str| {
        let (app, clerk, older_no, newer_no) = (&app, &clerk, &older_no, &newer_no);
        async move {
            let r = page_as(app, &format!("/staff/queue?tab=all&sort={sort}"), clerk).await;
            assert_eq!(r.status(), StatusCode::OK);
            let body = r.text().await.expect("body");
            let at = |no: &str| body.find(no).unwrap_or_else(|| panic!("{no} listed"));
            if at(older_no) < at(newer_no) {
                "older"
            } else {
                "newer"
            }
        }
    };

    // Act and Assert: the newer one due later, then the older one due later still
    later_deadline(older, 2, &mut conn);
    later_deadline(newer, 4, &mut conn);
    assert_eq!(first_of("deadline").await, "older");
    assert_eq!(first_of("deadline_last").await, "newer");
    assert_eq!(first_of("newest").await, "newer");
    later_deadline(older, 6, &mut conn);
    assert_eq!(first_of("deadline").await, "newer");
    assert_eq!(first_of("deadline_last").await, "older");
    assert_eq!(first_of("newest").await, "newer");
    // an unknown order is the default one
    assert_eq!(first_of("sideways").await, "newer");
    // the hotline centre's roles are sent to their own pages
    let dispatcher = app.login("dispatcher").await;
    let r = page_as(&app, "/staff/queue", &dispatcher).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().path(), "/staff/pool");
}
