//! The summary report and the monthly ranking, from the rollups and naively (one aggregate query
//! over the appeal tables), on a seeded database: `MINXIN_BENCH_REPORTS_URL`
//! (default postgres://postgres@127.0.0.1:5432/minxin_bench_reports), filled beforehand with
//! `DATABASE_URL=… minxin migrate && minxin seed --appeals N`. Results in docs/PERFORMANCE.md.
//!
//! cargo bench --bench reports
//! MINXIN_BENCH_NAIVE_RUNS=3 cargo bench --bench reports   # naive runs (default 5; 0: none)

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use minxin::db::{self, reports};

fn midnight(d: NaiveDate) -> chrono::DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .expect("midnight")
        .with_timezone(&Utc)
}

/// Every iteration's time, for the p50 and p95 that criterion does not print.
#[derive(Default)]
struct Samples(Vec<StdDuration>);

impl Samples {
    fn time(&mut self, iters: u64, mut f: impl FnMut()) -> StdDuration {
        let mut total = StdDuration::ZERO;
        for _ in 0..iters {
            let started = Instant::now();
            f();
            let took = started.elapsed();
            self.0.push(took);
            total += took;
        }
        total
    }

    fn report(mut self, name: &str) {
        self.0.sort();
        let at = |q: f64| self.0[((self.0.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name}: n = {}, p50 = {:.2} ms, p95 = {:.2} ms",
            self.0.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.95).as_secs_f64() * 1e3
        );
    }
}

fn bench(c: &mut Criterion) {
    let url = std::env::var("MINXIN_BENCH_REPORTS_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/minxin_bench_reports".into());
    let naive_runs: u64 = std::env::var("MINXIN_BENCH_NAIVE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut conn = db::connect(&url).expect("a seeded database (see the header of this file)");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let year_from = today - Days::new(364);
    let month = today.with_day0(0).expect("first of the month") - Months::new(1);
    let month_last = today.with_day0(0).expect("first of the month") - Days::new(1);
    let cases = [
        ("summary, 12 months by department", year_from, today),
        ("ranking, last month by department", month, month_last),
    ];
    let mut group = c.benchmark_group("reports");
    group.sample_size(20);
    group.measurement_time(StdDuration::from_secs(10));
    for (name, first, last) in cases {
        let dims = [reports::Dimension::Department];
        let mut samples = Samples::default();
        group.bench_function(format!("{name} (rollups)"), |b| {
            b.iter_custom(|iters| {
                samples.time(iters, || {
                    let rows = reports::summary_cube(
                        &mut conn,
                        black_box(first),
                        black_box(last),
                        &dims,
                        reports::Round::Latest,
                    )
                    .expect("summary");
                    assert!(!rows.is_empty());
                })
            })
        });
        samples.report(&format!("{name} (rollups)"));
        // the naive query takes seconds to minutes: timed in a plain loop, not by criterion
        if naive_runs > 0 {
            let mut samples = Samples::default();
            samples.time(naive_runs, || {
                let rows = reports::summary_naive(
                    &mut conn,
                    midnight(black_box(first)),
                    midnight(last + Days::new(1)),
                    &dims,
                    reports::Round::Latest,
                    "Asia/Shanghai",
                )
                .expect("summary");
                assert!(!rows.is_empty());
            });
            samples.report(&format!("{name} (naive)"));
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
