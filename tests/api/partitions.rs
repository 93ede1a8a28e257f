//! The monthly partitions of the audit log and the report cube (migration 000014): a year of
//! appeals lands month by month, reports and both verifications agree with the tables whole
//! (the migration reverted) and partitioned again (re-applied), a month without a partition
//! is caught by the default partition and moved out when the month is created, the audit log
//! stays append-only in every partition, and the upkeep creates months ahead once.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, minxin, spawn_app};

/// Rows of either table outside the partition of their month (the default counts as outside).
fn misplaced(app: &TestApp) -> i64 {
    app.count(
        "SELECT (SELECT count(*) FROM audit_events
                 WHERE tableoid::regclass::text
                       <> 'audit_events_' || to_char(created_at AT TIME ZONE 'UTC', 'YYYYMM'))
              + (SELECT count(*) FROM report_cube
                 WHERE tableoid::regclass::text <> 'report_cube_' || to_char(day, 'YYYYMM'))",
    )
}

fn relkind(app: &TestApp, table: &str) -> i64 {
    // 1 for a partitioned table, 0 for a plain one
    app.count(&format!(
        "SELECT count(*) FROM pg_class WHERE relname = '{table}' AND relkind = 'p'"
    ))
}

/// What a supervisor reads over the seeded year: the summary by department and month, by
/// district, and a past month's ranking and hot spots.
async fn reports(app: &TestApp) -> Vec<Value> {
    let token = app.login("supervisor").await;
    let today = Utc::now().date_naive();
    let from = today - Duration::days(360);
    let past_month = (today - Duration::days(60)).format("%Y-%m").to_string();
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/reports/summary?from={from}&to={today}&group_by=department,month"),
        format!("/api/v1/reports/summary?from={from}&to={today}&group_by=district"),
        format!("/api/v1/reports/ranking?period={past_month}"),
        format!("/api/v1/reports/hotspots?period={past_month}"),
    ] {
        let r = app.get(&path, Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        out.push(r.body);
    }
    out
}

/// `minxin partitions ensure` for May 2031, a month no test database has a partition of.
fn ensure_may_2031(app: &TestApp) -> (bool, String) {
    minxin(
        &app.db_url,
        &[
            "partitions",
            "ensure",
            "--from",
            "2031-05",
            "--to",
            "2031-05",
        ],
        &[],
    )
}

async fn metrics_text(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body")
}

fn verify_both(app: &TestApp) {
    let (ok, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(ok, "{out}");
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok, "{out}");
}

#[actix_web::test]
async fn a_year_lands_month_by_month_and_reports_agree_with_the_tables_whole_and_partitioned() {
    // Arrange: today's work through the API, and a seeded year
    let app = spawn_app().await;
    app.replied("heating", "clerk.heating").await;
    app.dispatched().await;
    let (ok, out) = minxin(&app.db_url, &["seed", "--appeals", "3000"], &[]);
    assert!(ok, "{out}");
    let events = app.count("SELECT count(*) FROM audit_events");
    let cells = app.count("SELECT count(*) FROM report_cube");
    assert!(events > 3000 && cells > 0, "{events} events, {cells} cells");

    // Assert: every row in its month's partition, none in the defaults, a year of months used
    assert_eq!(relkind(&app, "audit_events"), 1);
    assert_eq!(relkind(&app, "report_cube"), 1);
    assert_eq!(misplaced(&app), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_events_default"), 0);
    assert_eq!(app.count("SELECT count(*) FROM report_cube_default"), 0);
    assert!(app.count("SELECT count(DISTINCT tableoid) FROM audit_events") >= 12);
    assert!(app.count("SELECT count(DISTINCT tableoid) FROM report_cube") >= 12);
    let partitioned = reports(&app).await;
    verify_both(&app);

    // Act: the migration reverted — the tables whole again, with the same rows
    {
        let mut conn = app.conn();
        // the later migrations come off first; they are independent of 000014 and the
        // service needs them (000015's session version for every login), so they go back on
        let mut later = Vec::new();
        loop {
            let reverted = conn
                .revert_last_migration(minxin::db::MIGRATIONS)
                .expect("revert a migration")
                .to_string();
            if reverted.ends_with("000014") {
                break;
            }
            later.push(reverted);
        }
        let all = diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(
            &minxin::db::MIGRATIONS,
        )
        .expect("the embedded migrations");
        for m in all.iter() {
            if later.contains(&m.name().version().to_string()) {
                conn.run_migration(&**m)
                    .expect("apply a later migration again");
            }
        }
    }

    // Assert: the same reports from plain tables
    assert_eq!(relkind(&app, "audit_events"), 0);
    assert_eq!(relkind(&app, "report_cube"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), events);
    assert_eq!(app.count("SELECT count(*) FROM report_cube"), cells);
    assert_eq!(reports(&app).await, partitioned);
    verify_both(&app);
    // a service newer than its database's schema still reports the database up
    let metrics = metrics_text(&app).await;
    assert!(metrics.contains("minxin_db_up 1"), "{metrics}");
    assert!(
        !metrics.contains("minxin_partition_default_rows"),
        "{metrics}"
    );

    // Act: migrated again (what upgrading a database with data does)
    let (ok, out) = minxin(&app.db_url, &["migrate"], &[]);
    assert!(ok, "{out}");

    // Assert: partitioned again, every row in its month, the same reports
    assert_eq!(relkind(&app, "audit_events"), 1);
    assert_eq!(relkind(&app, "report_cube"), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), events);
    assert_eq!(app.count("SELECT count(*) FROM report_cube"), cells);
    assert_eq!(misplaced(&app), 0);
    assert_eq!(reports(&app).await, partitioned);
    verify_both(&app);
    // and work goes on: a filing lands in this month's partitions
    let filed = app.file_one().await;
    let this_month = "'audit_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')";
    assert!(app.events_of(filed) >= 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_events WHERE appeal_id = '{filed}'
             AND tableoid::regclass::text <> {this_month}"
        )),
        0
    );
}

#[actix_web::test]
async fn a_month_without_a_partition_goes_to_the_default_until_the_month_is_created() {
    // Arrange: an appeal whose deadline scan runs in a month far ahead (no partition yet)
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let events_before = app.events_of(id);
    let (ok, out) = minxin(
        &app.db_url,
        &["deadlines", "tick", "--at", "2031-05-20T02:00:00Z"],
        &[],
    );
    assert!(ok, "{out}");
    let parked = app.count("SELECT count(*) FROM audit_events_default");
    assert!(parked > 0, "the scan's events went elsewhere");
    assert_eq!(app.events_of(id), events_before + parked);
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains(&format!(
            "minxin_partition_default_rows{{table=\"audit_events\"}} {parked}"
        )),
        "{metrics}"
    );
    let (ok, out) = minxin(&app.db_url, &["partitions", "list"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "audit_events_default holds {parked} rows of months without a partition"
        )),
        "{out}"
    );

    // Act: the month created by the operator
    let (ok, out) = ensure_may_2031(&app);

    // Assert: its rows moved out of the default, the chain intact, the log still append-only
    assert!(ok, "{out}");
    assert!(out.contains("created audit_events_203105"), "{out}");
    assert!(out.contains("created report_cube_203105"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM audit_events_default"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events_203105"),
        parked
    );
    assert_eq!(misplaced(&app), 0);
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok, "{out}");
    let mut conn = app.conn();
    for refused in [
        "UPDATE audit_events SET action = 'edited' WHERE created_at >= '2031-05-01'",
        "DELETE FROM audit_events_203105",
        "TRUNCATE audit_events_203105",
        "TRUNCATE audit_events_default",
        "TRUNCATE audit_events",
    ] {
        let err = diesel::sql_query(refused)
            .execute(&mut conn)
            .expect_err(refused);
        assert!(err.to_string().contains("append-only"), "{refused}: {err}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events_203105"),
        parked
    );
    // the chain's position stays unique within the partition
    let err = diesel::sql_query(
        "INSERT INTO audit_events (appeal_id, seq, actor_role, action, created_at, prev_hash, hash)
         SELECT appeal_id, seq, actor_role, action, created_at + interval '1 second', prev_hash, hash
         FROM audit_events_203105 LIMIT 1",
    )
    .execute(&mut conn)
    .expect_err("a second event at the same chain position");
    assert!(err.to_string().contains("chain_uniq"), "{err}");

    // a second ensure has nothing to do; a month that is not one is refused
    let (ok, out) = ensure_may_2031(&app);
    assert!(
        ok && out.contains("every partition from 2031-05 to 2031-05 exists"),
        "{out}"
    );
    let (ok, out) = minxin(
        &app.db_url,
        &["partitions", "ensure", "--from", "2031-13"],
        &[],
    );
    assert!(!ok && out.contains("is not a month"), "{out}");
    let (ok, out) = minxin(
        &app.db_url,
        &[
            "partitions",
            "ensure",
            "--from",
            "2031-05",
            "--to",
            "2031-04",
        ],
        &[],
    );
    assert!(!ok && out.contains("is before --from"), "{out}");
}

#[actix_web::test]
async fn report_cells_of_a_month_without_a_partition_are_moved_with_their_sums() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    // a cell of a far month, written as a fold would write it
    diesel::sql_query(
        "INSERT INTO report_cube
         SELECT 0, DATE '2032-02-29', '', '', '', '', '', '', 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 3,
                120, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0",
    )
    .execute(&mut conn)
    .expect("a cell");
    assert_eq!(app.count("SELECT count(*) FROM report_cube_default"), 1);

    let created = minxin::partitions::ensure_months(
        &mut conn,
        chrono::NaiveDate::from_ymd_opt(2032, 2, 1).expect("a date"),
        chrono::NaiveDate::from_ymd_opt(2032, 3, 31).expect("a date"),
        None,
    )
    .expect("ensure");

    assert_eq!(
        created,
        [
            "audit_events_203202",
            "report_cube_203202",
            "audit_events_203203",
            "report_cube_203203"
        ]
    );
    assert_eq!(app.count("SELECT count(*) FROM report_cube_default"), 0);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM report_cube_203202
             WHERE day = '2032-02-29' AND received = 7 AND handling_minutes = 120"
        ),
        1
    );
    // a fold's upsert adds to the moved cell in its partition
    diesel::sql_query(
        "INSERT INTO report_cube AS c
         SELECT 0, DATE '2032-02-29', '', '', '', '', '', '', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
         ON CONFLICT (cuboid, day, department_code, district_code, street_code, category_code,
                      channel, appellant_kind)
         DO UPDATE SET received = c.received + excluded.received",
    )
    .execute(&mut conn)
    .expect("upsert");
    assert_eq!(
        app.count("SELECT sum(received) FROM report_cube WHERE day = '2032-02-29'"),
        8
    );
}

#[actix_web::test]
async fn the_upkeep_creates_the_coming_months_once() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    // the migration made this month and three ahead
    let months = |conn: &mut PgConnection| {
        minxin::partitions::list(conn)
            .expect("list")
            .into_iter()
            .filter(|p| p.table_name == "audit_events" && p.bounds != "DEFAULT")
            .count()
    };
    let before = months(&mut conn);
    assert!(before >= 4, "{before}");

    let created = minxin::partitions::upkeep(&mut conn, 5).expect("upkeep");
    let again = minxin::partitions::upkeep(&mut conn, 5).expect("upkeep again");

    // two more months of each table (4 and 5 ahead), nothing the second time
    let ahead = |n: u32| {
        minxin::partitions::months_after(Utc::now().date_naive(), n)
            .format("%Y%m")
            .to_string()
    };
    let mut expected = Vec::new();
    for n in [4, 5] {
        for t in ["audit_events", "report_cube"] {
            expected.push(format!("{t}_{}", ahead(n)));
        }
    }
    assert_eq!(created, expected);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(months(&mut conn), before + 2);
    // a filing now still lands in this month's partition, none in the default
    let filed = app.file(&crate::helpers::citizen_appeal()).await;
    assert!(filed["id"].is_string(), "{filed}");
    assert_eq!(app.count("SELECT count(*) FROM audit_events_default"), 0);
}

#[actix_web::test]
async fn the_service_worker_makes_the_months_ahead_and_stops_cleanly() {
    let app = spawn_app().await;
    let mut settings = app.settings.clone();
    settings.database.partition_months_ahead = 7;
    settings.database.partition_upkeep_secs = 3600;
    let pool =
        minxin::db::build_pool(&app.db_url, 2, std::time::Duration::from_secs(5)).expect("pool");
    let seventh = minxin::partitions::months_after(Utc::now().date_naive(), 7)
        .format("%Y%m")
        .to_string();
    let made = || {
        app.count(&format!(
            "SELECT count(*) FROM pg_class WHERE relname IN
             ('audit_events_{seventh}', 'report_cube_{seventh}')"
        ))
    };
    assert_eq!(made(), 0);

    let worker = minxin::partitions::spawn_upkeep(&settings, pool).expect("the upkeep is on");
    // it runs at once; wait for its first round
    let started = std::time::Instant::now();
    while made() < 2 && started.elapsed() < std::time::Duration::from_secs(20) {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    worker.stop();

    assert_eq!(made(), 2);
    settings.database.partition_upkeep_secs = 0;
    let pool =
        minxin::db::build_pool(&app.db_url, 1, std::time::Duration::from_secs(5)).expect("pool");
    assert!(minxin::partitions::spawn_upkeep(&settings, pool).is_none());
}
