//! The gate in front of the database pool: requests are served in the order they came, a wait
//! longer than the connect timeout is a 503, and a request that gives up leaves the queue.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use diesel::RunQueryDsl;
use minxin::db;
use minxin::error::AppError;

use crate::helpers::spawn_app;

/// Takes the pool's only connection and keeps it until `release` says; `taken` says when.
async fn hold(
    pool: &db::PgPool,
) -> (
    mpsc::Sender<()>,
    actix_web::rt::task::JoinHandle<Result<(), AppError>>,
) {
    let (release, released) = mpsc::channel::<()>();
    let (taken, is_taken) = mpsc::channel::<()>();
    let pool = pool.clone();
    let holder = actix_web::rt::spawn(async move {
        db::run(&pool, move |conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            taken.send(()).ok();
            released.recv().ok();
            Ok(())
        })
        .await
    });
    for _ in 0..3000 {
        if is_taken.try_recv().is_ok() {
            return (release, holder);
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the holder did not get the connection");
}

async fn until_waiting(pool: &db::PgPool, n: usize) {
    for _ in 0..3000 {
        if pool.waiting() == n {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("expected {n} waiting, found {}", pool.waiting());
}

#[actix_web::test]
async fn database_work_is_served_in_the_order_it_arrived() {
    let app = spawn_app().await;
    let pool = db::build_pool(&app.db_url, 1, Duration::from_secs(30)).expect("pool");
    let (release, holder) = hold(&pool).await;

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..6 {
        let (pool2, order) = (pool.clone(), order.clone());
        waiters.push(actix_web::rt::spawn(async move {
            db::run(&pool2, move |conn| {
                diesel::sql_query("SELECT 1").execute(conn)?;
                order.lock().expect("order").push(i);
                Ok(())
            })
            .await
        }));
        // the next one arrives only once this one is queued
        until_waiting(&pool, i + 1).await;
    }
    assert_eq!(
        pool.state().connections,
        1,
        "the waiters hold no connection"
    );
    release.send(()).expect("release");
    holder.await.expect("joined").expect("the holder's work");
    for w in waiters {
        w.await.expect("joined").expect("a waiter's work");
    }
    assert_eq!(*order.lock().expect("order"), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(pool.waiting(), 0);
}

#[actix_web::test]
async fn a_wait_past_the_connect_timeout_is_a_503_and_leaves_the_queue() {
    let app = spawn_app().await;
    let pool = db::build_pool(&app.db_url, 1, Duration::from_secs(1)).expect("pool");
    let (release, holder) = hold(&pool).await;

    let waited = db::run(&pool, |_conn| Ok(())).await;
    assert!(
        matches!(waited, Err(AppError::Unavailable(_))),
        "expected 503, got {waited:?}"
    );
    assert_eq!(pool.waiting(), 0);

    // a request dropped while it waits (its client went away) leaves the queue too
    let dropped = {
        let pool = pool.clone();
        actix_web::rt::spawn(async move { db::run(&pool, |_conn| Ok(())).await })
    };
    until_waiting(&pool, 1).await;
    dropped.abort();
    until_waiting(&pool, 0).await;

    release.send(()).expect("release");
    holder.await.expect("joined").expect("the holder's work");
    // and the connection is there for the next one
    let n: i64 = db::run(&pool, |conn| {
        Ok(
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("1::bigint"))
                .get_result(conn)?,
        )
    })
    .await
    .expect("a connection after the release");
    assert_eq!(n, 1);
}
