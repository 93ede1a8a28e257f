//! The harness. `MINXIN_TEST_DATABASE_URL` names a server to use (any database on it, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); without it a private PostgreSQL is started
//! in a temporary folder for this test process and stops with it.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::prelude::*;
use minxin::config::{Environment, Settings};
use minxin::db;
use minxin::pgcluster::{ClusterOptions, PrivateCluster};
use minxin::startup::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const PASSWORD: &str = minxin::seed::DEMO_PASSWORD;

struct Server {
    /// a URL to the maintenance database; test databases are siblings
    maintenance_url: String,
    template: String,
    _cluster: Option<PrivateCluster>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
/// CREATE DATABASE … TEMPLATE refuses to run while another clone is being made.
static CLONE_LOCK: Mutex<()> = Mutex::new(());

fn with_db(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && i > url.find("://").unwrap_or(0) + 2 => {
            let tail = &url[i + 1..];
            let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
            format!("{}/{db}{query}", &url[..i])
        }
        _ => format!("{url}/{db}"),
    }
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let (maintenance_url, cluster) = match std::env::var("MINXIN_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let dir = std::env::temp_dir().join(format!(
                    "minxin-test-pg-{}-{}",
                    std::process::id(),
                    Uuid::new_v4().simple()
                ));
                let mut cluster = PrivateCluster::start(&ClusterOptions {
                    data_dir: dir,
                    allow_install: true,
                    superuser: "minxin".into(),
                })
                .expect(
                    "starting a private PostgreSQL for the tests (or set MINXIN_TEST_DATABASE_URL)",
                );
                // throw-away: the data folder goes when the cluster stops, however the run ends
                cluster
                    .remove_data_dir_on_exit()
                    .expect("marking the test cluster throw-away");
                (cluster.url("postgres"), Some(cluster))
            }
        };
        let template = ensure_template(&maintenance_url);
        Server {
            maintenance_url,
            template,
            _cluster: cluster,
        }
    })
}

/// Sorting as in C, but a character classification that knows Chinese: pg_trgm (duplicate
/// suggestions) takes only ASCII letters and digits for word characters under LC_CTYPE C.
const TEMPLATE_LOCALE: &str = "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'";

/// The template's name carries a hash of the migrations and seed data, so a change makes a new one.
fn ensure_template(maintenance_url: &str) -> String {
    let mut hasher = Sha256::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("migrations dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        hasher.update(
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        hasher.update(std::fs::read(dir.join("up.sql")).unwrap_or_default());
    }
    hasher.update(include_str!("../../src/seed.rs").as_bytes());
    hasher.update(TEMPLATE_LOCALE.as_bytes());
    let name = format!("minxin_tpl_{}", &hex::encode(hasher.finalize())[..16]);

    let mut conn = db::connect(maintenance_url).expect("connect to the test server");
    // One process builds it; others wait on the advisory lock and find it built.
    diesel::sql_query("SELECT pg_advisory_lock(724011)")
        .execute(&mut conn)
        .expect("lock");
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut conn)
    .expect("query pg_database");
    if !exists {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut conn)
            .expect("drop");
        diesel::sql_query(format!(
            "CREATE DATABASE {building} ENCODING 'UTF8' {TEMPLATE_LOCALE} TEMPLATE template0"
        ))
        .execute(&mut conn)
        .expect("create template (needs the C.UTF-8 locale on the database server)");
        {
            let mut tpl =
                db::connect(&with_db(maintenance_url, &building)).expect("connect template");
            db::migrate(&mut tpl).expect("migrate template");
            minxin::seed::load_demo_data(&mut tpl, &minxin::auth::password::hash)
                .expect("seed template");
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut conn)
            .expect("rename");
        // Older templates (earlier migrations) are dropped when nobody uses them, so a shared
        // server does not collect one per schema change; one in use stays (the DROP fails).
        // The four newest stay whatever: checkouts of other branches testing on the same server
        // clone theirs between moments of use.
        #[derive(QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let old: Vec<Name> = diesel::sql_query(
            "SELECT datname::text AS datname FROM pg_database \
             WHERE datname LIKE 'minxin\\_tpl\\_%' AND datname NOT LIKE '%\\_building' \
             ORDER BY oid DESC OFFSET 4",
        )
        .load(&mut conn)
        .unwrap_or_default();
        for db in old
            .into_iter()
            .filter(|d| d.datname != name && !d.datname.ends_with("_building"))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {}", db.datname))
                .execute(&mut conn);
        }
    }
    diesel::sql_query("SELECT pg_advisory_unlock(724011)")
        .execute(&mut conn)
        .expect("unlock");
    name
}

pub struct TestApp {
    pub address: String,
    pub db_url: String,
    pub db_name: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    tokens: Mutex<std::collections::HashMap<String, String>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Keep a shared server clean; a private one disappears anyway.
        if let Ok(mut conn) = db::connect(&server().maintenance_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.db_name
            ))
            .execute(&mut conn);
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let server = server();
    let db_name = format!("minxin_test_{}", Uuid::new_v4().simple());
    {
        let _guard = CLONE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = db::connect(&server.maintenance_url).expect("connect");
        let mut attempt = 0;
        loop {
            let created = diesel::sql_query(format!(
                "CREATE DATABASE {db_name} TEMPLATE {}",
                server.template
            ))
            .execute(&mut conn);
            match created {
                Ok(_) => break,
                // another test process may be cloning the same template right now
                Err(e)
                    if attempt < 50 && e.to_string().contains("being accessed by other users") =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("cloning the template: {e}"),
            }
        }
    }
    let db_url = with_db(&server.maintenance_url, &db_name);
    let mut settings = Settings::load_from(Environment::Test, std::path::Path::new("config"))
        .expect("test settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = Some(db_url.clone());
    adjust(&mut settings);
    let pool =
        db::build_pool(&db_url, settings.database.pool_size, Duration::from_secs(5)).expect("pool");
    let app = Application::build(&settings, pool).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        db_url,
        db_name,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            // below the server's keep-alive (5 s), so that a test that paused (e.g. in a long
            // synchronous check) never sends on a connection the server has just closed
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .expect("client"),
        settings,
        tokens: Mutex::new(Default::default()),
    }
}

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `error.code` of the one error shape (panics if the shape is wrong).
    pub fn error_code(&self) -> &str {
        let message = self.body["error"]["message"].as_str().unwrap_or("");
        assert!(
            !message.is_empty(),
            "error without a message: {}",
            self.body
        );
        self.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not the error shape: {}", self.body))
    }
}

impl TestApp {
    /// A second server on the same database (another instance behind the load balancer).
    pub fn second_instance(&self) -> String {
        let pool = db::build_pool(&self.db_url, 2, Duration::from_secs(5)).expect("pool");
        let app = Application::build(&self.settings, pool).expect("build second instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        address
    }

    /// Loads the demo routing rules into this test's database.
    pub fn load_demo_rules(&self) -> usize {
        minxin::seed::load_demo_rules(&mut self.conn()).expect("demo rules")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// The appellant's view of an appeal, from the answer intake gave.
    pub async fn appellant_view(&self, filed: &Value) -> Reply {
        let path = format!(
            "/api/v1/appeals/{}?access_code={}",
            filed["tracking_no"].as_str().unwrap_or(""),
            filed["access_code"].as_str().unwrap_or("")
        );
        self.get(&path, None).await
    }

    /// A token for a demo user (logged in once per test app: argon2 is slow on purpose).
    pub async fn login(&self, username: &str) -> String {
        if let Some(t) = self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(username)
        {
            return t.clone();
        }
        self.login_again(username).await
    }

    /// A new login, for when the account changed since the last (its sessions ended).
    pub async fn login_again(&self, username: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                &json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.body);
        let token = r.body["token"].as_str().expect("token").to_owned();
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(username.to_owned(), token.clone());
        token
    }

    pub async fn file(&self, body: &Value) -> Value {
        let r = self.post("/api/v1/appeals", body, None).await;
        assert_eq!(r.status, StatusCode::CREATED, "intake: {}", r.body);
        r.body
    }

    /// Files a standard appeal and returns its id.
    pub async fn file_one(&self) -> Uuid {
        let filed = self.file(&citizen_appeal()).await;
        filed["id"].as_str().expect("id").parse().expect("uuid")
    }

    pub async fn act(&self, id: Uuid, action: &str, body: &Value, token: &str) -> Reply {
        self.post(&format!("/api/v1/appeals/{id}/{action}"), body, Some(token))
            .await
    }

    pub async fn status_of(&self, id: Uuid) -> String {
        let token = self.login("supervisor").await;
        let r = self
            .get(&format!("/api/v1/appeals/{id}"), Some(&token))
            .await;
        r.body["status"].as_str().expect("status").to_owned()
    }

    pub fn conn(&self) -> PgConnection {
        db::connect(&self.db_url).expect("connect test db")
    }

    pub fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        diesel::sql_query(format!("SELECT ({sql})::bigint AS n"))
            .get_result::<N>(&mut conn)
            .expect("count query")
            .n
    }

    pub fn events_of(&self, id: Uuid) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM audit_events WHERE appeal_id = '{id}'"
        ))
    }

    /// Dispatches to heating (lead) with water co-handling; returns when dispatched.
    pub async fn dispatched(&self) -> Uuid {
        let id = self.file_one().await;
        let dispatcher = self.login("dispatcher").await;
        let r = self
            .act(
                id,
                "dispatch",
                &json!({"lead_department_code": "heating", "co_department_codes": ["water"]}),
                &dispatcher,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "dispatch: {}", r.body);
        id
    }

    /// A new appeal dispatched to `department`, signed and replied to by `clerk`: waiting for
    /// its follow-up.
    pub async fn replied(&self, department: &str, clerk: &str) -> Uuid {
        let id = self.file_one().await;
        let dispatcher = self.login("dispatcher").await;
        let clerk_token = self.login(clerk).await;
        let lead = json!({"lead_department_code": department});
        for (action, body, token) in [
            ("dispatch", lead, &dispatcher),
            ("sign", json!({}), &clerk_token),
            ("reply", json!({"content": "已处理"}), &clerk_token),
        ] {
            let r = self.act(id, action, &body, token).await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
        }
        id
    }

    /// Drives an appeal to the given state with the demo staff.
    pub async fn appeal_in(&self, state: &str) -> Uuid {
        let dispatcher = self.login("dispatcher").await;
        if state == "submitted" {
            return self.file_one().await;
        }
        if state == "rejected" {
            let id = self.file_one().await;
            let r = self
                .act(
                    id,
                    "reject",
                    &json!({"reason": "不属于受理范围", "disposition": "out_of_scope"}),
                    &dispatcher,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            return id;
        }
        if state == "merged" {
            let primary = self.file_one().await;
            let id = self.file_one().await;
            let r = self
                .act(id, "merge", &json!({"primary_id": primary}), &dispatcher)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            return id;
        }
        let id = self.dispatched().await;
        if state == "dispatched" {
            return id;
        }
        let clerk = self.login("clerk.heating").await;
        let step = |action: &'static str, body: Value| (action, body);
        let mut steps = vec![step("sign", json!({}))];
        match state {
            "in_progress" => {}
            "suspended" => steps.push(step("suspend", json!({"reason": "等待业主提供材料"}))),
            "resolved" => steps.push(step(
                "reply",
                json!({"content": "已派维修人员处理，室温恢复至20度"}),
            )),
            "closed" => steps.push(step("reply", json!({"content": "已处理完毕"}))),
            other => panic!("no recipe for state {other}"),
        }
        for (action, body) in steps {
            let r = self.act(id, action, &body, &clerk).await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
        }
        if state == "closed" {
            let r = self
                .act(
                    id,
                    "follow-up",
                    &json!({"contacted": true, "solved": true, "satisfaction": "satisfied"}),
                    &dispatcher,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "follow-up: {}", r.body);
        }
        id
    }
}

pub fn citizen_appeal() -> Value {
    json!({
        "appellant_kind": "citizen",
        "kind": "complaint",
        "channel": "web",
        "title": "小区暖气不热",
        "content": "铁东区解放街道某小区3号楼，室温只有14度，已持续一周。",
        "category_code": first_leaf_category(),
        "division_code": "210302001",
        "address": "铁东区解放街道某小区3号楼2单元",
        "latitude": 41.1086,
        "longitude": 122.9946,
        "name": "张三",
        "phone": "13812341234",
        "email": "zhangsan@example.com",
        "confidential": false
    })
}

/// 公用事业 › 供热 › 室温不达标 in the demo data.
pub fn first_leaf_category() -> String {
    "03.01.01".into()
}

/// Runs the `minxin` binary against a test database; (succeeded, stdout + stderr).
pub fn minxin(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_minxin"));
    cmd.args(args)
        .env("DATABASE_URL", db_url)
        .env(
            "MINXIN_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env_remove("MINXIN_ENV")
        // bulk loads (seed, import) check every report contribution against report_rows
        .env("MINXIN_BULK_CROSSCHECK", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run minxin");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
