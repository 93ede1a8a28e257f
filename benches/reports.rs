//! The summary report as it is computed today (issue 6, not finished): one aggregate query over
//! the appeals received in the period, on the 1,000,000-appeal database that `benches/scan.rs`
//! builds (run that first). This is the naive figure the rollups of issue 6 must beat; results in
//! docs/PERFORMANCE.md.
//!
//! cargo bench --bench reports        # MINXIN_BENCH_DATABASE_URL as for the scan bench

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use minxin::db::{self, reports};

fn bench(c: &mut Criterion) {
    let maintenance = std::env::var("MINXIN_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (base, _) = maintenance
        .rsplit_once('/')
        .expect("a database URL ends with /name");
    let url = format!("{base}/minxin_bench_scan");
    let mut conn = db::connect(&url)
        .expect("the scan bench's database (run `cargo bench --bench scan` first)");
    let to = Utc::now() + Duration::days(1);
    let from = to - Duration::days(365);
    let mut group = c.benchmark_group("summary report, 1M appeals");
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(20));
    for dims in [
        vec![reports::Dimension::Department],
        vec![reports::Dimension::Department, reports::Dimension::Month],
    ] {
        let name = dims
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(" × ");
        group.bench_function(format!("12 months by {name}"), |b| {
            b.iter(|| {
                let rows = reports::summary(
                    &mut conn,
                    black_box(from),
                    black_box(to),
                    &dims,
                    reports::Round::Latest,
                    "Asia/Shanghai",
                )
                .expect("summary");
                assert!(!rows.is_empty());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
