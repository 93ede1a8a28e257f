//! The deadline scanner over 1,000,000 open appeals (issue 4): a scan with nothing due, and a
//! scan with 10,000 due, against the same table read the naive way in the same run (every open
//! appeal's deadlines loaded and checked in Rust, as a scanner without `next_alarm_at` and its
//! partial index would). Results and the machine are in docs/PERFORMANCE.md.
//!
//! Needs a PostgreSQL server it may create a database on:
//! MINXIN_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
//! It builds `minxin_bench_scan` once (about a minute) and reuses it on later runs.
//!
//! cargo bench --bench scan

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use minxin::config::{Environment, Settings};
use minxin::db;

const APPEALS: i64 = 1_000_000;
const DUE: i64 = 10_000;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn database() -> String {
    let maintenance = std::env::var("MINXIN_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = db::connect(&maintenance).expect("connect to the maintenance database");
    let (base, _) = maintenance
        .rsplit_once('/')
        .expect("a database URL ends with /name");
    let url = format!("{base}/minxin_bench_scan");
    let exists = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_database WHERE datname = 'minxin_bench_scan'",
    )
    .get_result::<N>(&mut conn)
    .expect("pg_database")
    .n > 0;
    if !exists {
        diesel::sql_query("CREATE DATABASE minxin_bench_scan")
            .execute(&mut conn)
            .expect("create the bench database");
    }
    let mut bench = db::connect(&url).expect("connect to the bench database");
    db::migrate(&mut bench).expect("migrate");
    let have = diesel::sql_query("SELECT count(*) AS n FROM appeals")
        .get_result::<N>(&mut bench)
        .expect("count")
        .n;
    if have != APPEALS {
        eprintln!("building {APPEALS} open appeals (once) …");
        minxin::seed::load_demo_data(&mut bench, &|_| Ok("bench-no-login".into())).expect("seed");
        diesel::sql_query("TRUNCATE outbox, deadline_alarms, extensions, suspensions")
            .execute(&mut bench)
            .expect("truncate");
        // audit_events is append-only (a trigger refuses TRUNCATE); the bench database is rebuilt
        // from scratch instead when the appeal count is off
        assert_eq!(have, 0, "drop database minxin_bench_scan and run again");
        // in progress with the reply clock running: warnings due 1 to 30 days from now
        diesel::sql_query(format!(
            "INSERT INTO appeals (id, tracking_no, access_code_hash, appellant_kind, kind, channel, title, content,
                 category_code, division_code, name, phone, status, lead_department_code, deadline_class,
                 dispatched_at, sign_due_at, signed_at, reply_warn_at, reply_due_at, next_alarm_at, created_at, updated_at)
             SELECT gen_random_uuid(), 'AS20261123' || lpad(g::text, 8, '0'), repeat('0', 64), 'citizen', 'complaint', 'web',
                 '小区暖气不热', '室温只有14度', '03.01.01', '210302001', '张三', '13812341234', 'in_progress', 'heating', 'complex',
                 now() - interval '2 days', now() - interval '1 day', now() - interval '1 day',
                 now() + (g % 30 + 1) * interval '1 day', now() + (g % 30 + 5) * interval '1 day',
                 now() + (g % 30 + 1) * interval '1 day', now() - interval '2 days', now() - interval '2 days'
             FROM generate_series(1, {APPEALS}) g"
        ))
        .execute(&mut bench)
        .expect("insert appeals");
        diesel::sql_query("ANALYZE appeals")
            .execute(&mut bench)
            .expect("analyze");
    }
    url
}

/// Makes `DUE` appeals due for a warning at `at` (and forgets earlier alarms of theirs).
fn make_due(conn: &mut PgConnection, at: DateTime<Utc>) {
    diesel::sql_query(
        "WITH picked AS (SELECT id FROM appeals WHERE tracking_no <= 'AS20261123' || lpad($1::text, 8, '0'))
         UPDATE appeals a SET reply_warn_at = $2 - interval '1 minute', reply_due_at = $2 + interval '3 days',
             reply_stage = 0, next_alarm_at = $2 - interval '1 minute'
         FROM picked WHERE a.id = picked.id",
    )
    .bind::<BigInt, _>(DUE)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .expect("make due");
    diesel::sql_query("DELETE FROM deadline_alarms")
        .execute(conn)
        .expect("forget alarms");
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    reply_warn_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    reply_due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    reply_stage: i16,
}

/// The baseline: read every open appeal's reply clock and decide in Rust what is due.
fn naive_scan(conn: &mut PgConnection, at: DateTime<Utc>) -> usize {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, reply_warn_at, reply_due_at, reply_stage FROM appeals
         WHERE status IN ('dispatched', 'in_progress')",
    )
    .load(conn)
    .expect("naive scan");
    rows.iter()
        .filter(|r| {
            (r.reply_stage < 1 && r.reply_warn_at.is_some_and(|w| w <= at))
                || (r.reply_stage < 2 && r.reply_due_at.is_some_and(|d| d <= at))
        })
        .count()
}

fn bench(c: &mut Criterion) {
    let url = database();
    let mut settings =
        Settings::load_from(Environment::Test, std::path::Path::new("config")).expect("settings");
    settings.database.url = Some(url.clone());
    let wf = minxin::startup::workflow_from(&settings);
    let mut conn = db::connect(&url).expect("connect");
    let mut setup = db::connect(&url).expect("connect");
    let now = Utc::now();
    // nothing due: park the due ones of an earlier run in the future again
    diesel::sql_query(
        "UPDATE appeals SET next_alarm_at = now() + interval '1 day', reply_warn_at = now() + interval '1 day'
         WHERE next_alarm_at IS NULL OR next_alarm_at <= now() + interval '1 hour'",
    )
    .execute(&mut conn)
    .expect("reset");
    diesel::sql_query("VACUUM ANALYZE appeals")
        .execute(&mut conn)
        .expect("vacuum");

    let mut group = c.benchmark_group("deadline scan, 1M open appeals");
    group.sample_size(20);
    group.measurement_time(StdDuration::from_secs(10));
    group.bench_function("scan, nothing due", |b| {
        b.iter(|| {
            let report = minxin::deadlines::scan(&mut conn, &wf, black_box(now)).expect("scan");
            assert_eq!(report.examined, 0);
        })
    });
    group.bench_function("naive baseline, nothing due", |b| {
        b.iter(|| assert_eq!(naive_scan(&mut conn, black_box(now)), 0))
    });
    group.sample_size(10);
    group.bench_function("scan, 10,000 due (warnings raised)", |b| {
        b.iter_batched(
            || make_due(&mut setup, now + Duration::minutes(1)),
            |()| {
                let report = minxin::deadlines::scan(&mut conn, &wf, now + Duration::minutes(1))
                    .expect("scan");
                assert_eq!(report.warnings as i64, DUE);
            },
            BatchSize::PerIteration,
        )
    });
    make_due(&mut conn, now + Duration::minutes(1));
    group.bench_function("naive baseline, 10,000 due (finding them only)", |b| {
        b.iter(|| {
            assert_eq!(
                naive_scan(&mut conn, black_box(now + Duration::minutes(1))) as i64,
                DUE
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
