//! The outbox and its sender against a real SMTP server (`smtp_sink`): what arrives, exactly
//! once, through outages, refusals and concurrent senders.

use std::collections::HashSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::RunQueryDsl;
use mailparse::MailHeaderMap;
use minxin::config::{EmailSettings, MailTransport, SmtpSecurity};
use minxin::db::{self, PgPool};
use minxin::mail::outbox::{self, OutboxRow};
use minxin::mail::{Backoff, Clock, DeliveryReport, Links, Mailer, Notice, deliver_due};

use crate::helpers::{TestApp, spawn_app};
use crate::smtp_sink::{SmtpSink, TempDir, free_port, read_folder};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// 2026-11-23 09:00 UTC, 17:00 in Shanghai.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("valid instant")
}

fn backoff() -> Backoff {
    Backoff::new(Duration::seconds(30), Duration::seconds(3600))
}

fn smtp_settings(app: &TestApp, port: u16) -> EmailSettings {
    let mut email = app.settings.email.clone();
    email.transport = MailTransport::Smtp;
    email.smtp_host = "127.0.0.1".into();
    email.smtp_port = port;
    email.smtp_security = SmtpSecurity::None;
    email.smtp_timeout_secs = 5;
    email
}

fn mailer(app: &TestApp, port: u16) -> Mailer {
    Mailer::from_settings(&smtp_settings(app, port)).expect("mailer")
}

fn pool(app: &TestApp) -> PgPool {
    db::build_pool(&app.db_url, 4, StdDuration::from_secs(5)).expect("pool")
}

fn deliver(pool: &PgPool, mailer: &Mailer, now: DateTime<Utc>) -> DeliveryReport {
    deliver_due(pool, mailer, &backoff(), now, 50).expect("deliver_due")
}

fn rows(app: &TestApp) -> Vec<OutboxRow> {
    let mut rows = outbox::list(&mut app.conn(), false, 1000).expect("outbox rows");
    rows.sort_by_key(|r| r.id);
    rows
}

/// A warning to a department; `n` makes each one distinct.
fn warning(n: usize) -> Notice {
    Notice::Warning {
        tracking_no: format!("AS20261123{n:08}"),
        title: format!("测试诉求 {n}"),
        department_name: Some("供热公司".into()),
        clock: Clock::Sign,
        due_at: t0() + Duration::hours(2),
        staff_url: format!("http://127.0.0.1:8890/staff/appeals/{n}"),
    }
}

fn enqueue_warnings(app: &TestApp, count: usize, now: DateTime<Utc>) -> Vec<i64> {
    let mut conn = app.conn();
    (0..count)
        .map(|n| {
            outbox::enqueue(
                &mut conn,
                &format!("dept{n}@heating.example.cn"),
                &warning(n),
                TZ,
                None,
                now,
            )
            .expect("enqueue")
        })
        .collect()
}

/// A received message, decoded.
struct Received {
    subject: String,
    from: String,
    to: String,
    message_id: String,
    content_type: String,
    auto_submitted: String,
    body: String,
}

fn decode(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a parsable message");
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    Received {
        subject: header("Subject"),
        from: header("From"),
        to: header("To"),
        message_id: header("Message-ID"),
        content_type: mail.ctype.mimetype.clone() + "; charset=" + &mail.ctype.charset,
        auto_submitted: header("Auto-Submitted"),
        body: mail
            .get_body()
            .expect("a decodable body")
            .replace("\r\n", "\n"),
    }
}

fn message_ids(raw: &[Vec<u8>]) -> Vec<String> {
    raw.iter().map(|m| decode(m).message_id).collect()
}

fn assert_no_duplicates(ids: &[String]) {
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates among {ids:?}");
}

#[actix_web::test]
async fn notices_arrive_once_each_in_readable_utf8_without_personal_data() {
    // Arrange: a real appeal (appellant 张三, 13812341234), dispatched to the heating company
    let app = spawn_app().await;
    let id = app.dispatched().await;
    let sink = SmtpSink::start();
    let mut conn = app.conn();
    let appeal = db::appeals::find(&mut conn, id)
        .expect("query")
        .expect("the appeal");
    assert_eq!(appeal.name, "张三");
    let heating = db::reference::find_department(&mut conn, "heating")
        .expect("query")
        .expect("heating");
    let links = Links::new(&app.settings.email.public_url);
    let receipt = Notice::receipt(&appeal, &links);
    let dispatched = Notice::dispatched(
        &appeal,
        Some("公用事业 › 供热 › 室温不达标".into()),
        "铁东区 › 解放街道".into(),
        heating.name.clone(),
        &links,
    )
    .expect("dispatched: it has deadlines");
    let appellant = appeal.email.clone().expect("the appellant gave an e-mail");
    // filing and dispatching queued their own notices; this test delivers only the two below
    diesel::sql_query("DELETE FROM outbox")
        .execute(&mut conn)
        .expect("clear the outbox");
    let receipt_id =
        outbox::enqueue(&mut conn, &appellant, &receipt, TZ, Some(id), t0()).expect("enqueue");
    let dispatched_id = outbox::enqueue(
        &mut conn,
        "heating@example.cn",
        &dispatched,
        TZ,
        Some(id),
        t0(),
    )
    .expect("enqueue");
    let pool = pool(&app);
    let mailer = mailer(&app, sink.port);

    // Act
    let report = deliver(&pool, &mailer, t0());

    // Assert: both arrived, once each
    assert_eq!(report, DeliveryReport { sent: 2, failed: 0 });
    let raw = sink.messages();
    assert_eq!(raw.len(), 2);
    let received: Vec<Received> = raw.iter().map(|m| decode(m)).collect();
    let to_appellant = received
        .iter()
        .find(|m| m.to.contains(&appellant))
        .expect("the receipt");
    let rendered = receipt.render(TZ);
    assert_eq!(to_appellant.subject, rendered.subject);
    assert!(to_appellant.subject.contains("诉求已受理"));
    assert_eq!(to_appellant.body.trim_end(), rendered.body.trim_end());
    assert!(to_appellant.body.contains(&appeal.tracking_no));
    assert!(to_appellant.body.starts_with("您好："));
    assert_eq!(to_appellant.content_type, "text/plain; charset=utf-8");
    assert_eq!(to_appellant.auto_submitted, "auto-generated");
    assert!(
        to_appellant.from.contains("民心热线") && to_appellant.from.contains("<noreply@"),
        "{}",
        to_appellant.from
    );
    assert_eq!(
        to_appellant.message_id,
        format!("<outbox-{receipt_id}@minxin.localhost>")
    );
    let to_department = received
        .iter()
        .find(|m| m.to.contains("heating@example.cn"))
        .expect("the dispatch notice");
    assert_eq!(
        to_department.message_id,
        format!("<outbox-{dispatched_id}@minxin.localhost>")
    );
    assert!(to_department.body.contains(&heating.name));
    for m in &received {
        for personal in ["张三", "13812341234", "zhangsan@", "3号楼", &appeal.content] {
            assert!(
                !format!("{}{}", m.subject, m.body).contains(personal),
                "`{personal}` leaked into:\n{}\n{}",
                m.subject,
                m.body
            );
        }
    }
    for row in rows(&app) {
        assert_eq!(row.sent_at, Some(t0()), "{}", row.id);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.last_error, None);
        assert_eq!(row.appeal_id, Some(id));
    }

    // and nothing is sent twice
    assert_eq!(
        deliver(&pool, &mailer, t0() + Duration::hours(1)),
        DeliveryReport::default()
    );
    assert_eq!(sink.messages().len(), 2);
}

#[actix_web::test]
async fn an_outage_delays_mail_and_loses_none() {
    // Arrange: three messages, and a port with nothing listening
    let app = spawn_app().await;
    let port = free_port();
    let ids = enqueue_warnings(&app, 3, t0());
    let pool = pool(&app);
    let mailer = mailer(&app, port);

    // Act: the server is down
    let report = deliver(&pool, &mailer, t0());

    // Assert: failures recorded, nothing lost
    assert_eq!(report, DeliveryReport { sent: 0, failed: 3 });
    for row in rows(&app) {
        assert_eq!(row.sent_at, None);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.last_attempt_at, Some(t0()));
        let error = row.last_error.as_deref().expect("last_error");
        assert!(error.starts_with("SMTP: "), "{error}");
        assert_eq!(row.next_attempt_at, t0() + Duration::seconds(30));
    }
    let stats = outbox::stats(&mut app.conn()).expect("stats");
    assert_eq!((stats.pending, stats.failing, stats.sent), (3, 3, 0));
    assert_eq!(stats.oldest_pending_at, Some(t0()));
    assert!(stats.last_error.is_some());
    assert_eq!(stats.last_failed_at, Some(t0()));

    // not due again yet
    assert_eq!(deliver(&pool, &mailer, t0()), DeliveryReport::default());

    // the server comes back on that port
    let sink = SmtpSink::start_on(port);
    let later = t0() + Duration::seconds(31);
    assert_eq!(
        deliver(&pool, &mailer, later),
        DeliveryReport { sent: 3, failed: 0 }
    );
    assert_eq!(
        deliver(&pool, &mailer, later + Duration::hours(2)),
        DeliveryReport::default()
    );
    let received = message_ids(&sink.messages());
    assert_eq!(received.len(), 3, "{received:?}");
    assert_no_duplicates(&received);
    let expected: HashSet<String> = ids
        .iter()
        .map(|id| format!("<outbox-{id}@minxin.localhost>"))
        .collect();
    assert_eq!(received.into_iter().collect::<HashSet<_>>(), expected);
    for row in rows(&app) {
        assert_eq!(row.sent_at, Some(later));
        assert_eq!(row.attempts, 2);
        assert!(row.last_error.is_some(), "the failure stays as history");
    }
    let stats = outbox::stats(&mut app.conn()).expect("stats");
    assert_eq!((stats.pending, stats.failing, stats.sent), (0, 0, 3));
    assert_eq!(stats.last_error, None);
}

#[actix_web::test]
async fn a_refused_message_is_kept_and_retried_with_backoff() {
    let app = spawn_app().await;
    let refusing = SmtpSink::refusing();
    let pool = pool(&app);
    enqueue_warnings(&app, 1, t0());

    let report = deliver(&pool, &mailer(&app, refusing.port), t0());
    assert_eq!(report, DeliveryReport { sent: 0, failed: 1 });
    let row = &rows(&app)[0];
    let error = row.last_error.as_deref().expect("last_error");
    assert!(error.contains("550"), "{error}");
    assert_eq!(row.next_attempt_at, t0() + Duration::seconds(30));

    // refused again: the wait doubles
    let second = t0() + Duration::seconds(30);
    let report = deliver(&pool, &mailer(&app, refusing.port), second);
    assert_eq!(report, DeliveryReport { sent: 0, failed: 1 });
    let row = &rows(&app)[0];
    assert_eq!(row.attempts, 2);
    assert_eq!(row.next_attempt_at, second + Duration::seconds(60));

    // a server that accepts it gets it
    let sink = SmtpSink::start();
    let third = second + Duration::seconds(60);
    let report = deliver(&pool, &mailer(&app, sink.port), third);
    assert_eq!(report, DeliveryReport { sent: 1, failed: 0 });
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(rows(&app)[0].sent_at, Some(third));
}

#[actix_web::test]
async fn an_unsendable_recipient_waits_the_longest_and_stays_visible() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let pool = pool(&app);
    let mut conn = app.conn();
    // passes the table's loose check, but is no address an SMTP server takes
    let bad = outbox::enqueue(
        &mut conn,
        "two..dots@example.cn",
        &warning(1),
        TZ,
        None,
        t0(),
    )
    .expect("enqueue");
    let good = enqueue_warnings(&app, 1, t0())[0];

    let report = deliver(&pool, &mailer(&app, sink.port), t0());

    assert_eq!(report, DeliveryReport { sent: 1, failed: 1 });
    assert_eq!(sink.messages().len(), 1);
    let rows = rows(&app);
    let bad_row = rows.iter().find(|r| r.id == bad).expect("bad row");
    assert_eq!(bad_row.sent_at, None);
    assert_eq!(bad_row.next_attempt_at, t0() + Duration::seconds(3600));
    let error = bad_row.last_error.as_deref().expect("error");
    assert!(error.contains("recipient"), "{error}");
    assert!(rows.iter().any(|r| r.id == good && r.sent_at.is_some()));
    let stats = outbox::stats(&mut conn).expect("stats");
    assert_eq!((stats.pending, stats.failing), (1, 1));
    assert_eq!(stats.last_error.as_deref(), Some(error));
    let pending = outbox::list(&mut conn, true, 10).expect("list");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, bad);
}

#[actix_web::test]
async fn concurrent_senders_deliver_each_message_once() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let ids = enqueue_warnings(&app, 20, t0());
    let pool = pool(&app);
    let mailer = mailer(&app, sink.port);
    let start = std::sync::Barrier::new(2);

    let reports: Vec<DeliveryReport> = std::thread::scope(|s| {
        let senders: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    deliver(&pool, &mailer, t0())
                })
            })
            .collect();
        senders
            .into_iter()
            .map(|h| h.join().expect("sender thread"))
            .collect()
    });

    assert_eq!(
        reports.iter().map(|r| r.sent).sum::<usize>(),
        20,
        "{reports:?}"
    );
    assert_eq!(reports.iter().map(|r| r.failed).sum::<usize>(), 0);
    let received = message_ids(&sink.messages());
    assert_eq!(received.len(), 20);
    assert_no_duplicates(&received);
    assert_eq!(ids.len(), 20);
    assert!(
        rows(&app)
            .iter()
            .all(|r| r.attempts == 1 && r.sent_at.is_some())
    );
}

#[actix_web::test]
async fn the_file_transport_writes_one_eml_per_message() {
    let app = spawn_app().await;
    let dir = TempDir::new("mail-files");
    let folder = dir.0.join("not-there-yet");
    let mut settings = app.settings.email.clone();
    settings.transport = MailTransport::File;
    settings.file_dir = folder.clone();
    let mailer = Mailer::from_settings(&settings).expect("file mailer");
    assert!(folder.is_dir(), "the folder is created");
    let ids = enqueue_warnings(&app, 2, t0());

    let report = deliver(&pool(&app), &mailer, t0());

    assert_eq!(report, DeliveryReport { sent: 2, failed: 0 });
    let files = read_folder(&folder, Some("eml"));
    assert_eq!(files.len(), 2);
    let mut received = message_ids(&files);
    received.sort();
    let mut expected: Vec<String> = ids
        .iter()
        .map(|id| format!("<outbox-{id}@minxin.localhost>"))
        .collect();
    expected.sort();
    assert_eq!(received, expected);
    assert!(decode(&files[0]).body.contains("签收期限即将到期"));
}

#[actix_web::test]
async fn serve_s_sender_delivers_in_the_background_and_stops() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let mut settings = app.settings.clone();
    settings.email = smtp_settings(&app, sink.port);
    settings.email.send_interval_secs = 1;
    outbox::enqueue(
        &mut app.conn(),
        "clerk@heating.example.cn",
        &warning(7),
        TZ,
        None,
        Utc::now(),
    )
    .expect("enqueue");

    settings.email.senders = 3;
    let workers = minxin::mail::spawn_mail_sender(&settings, pool(&app)).expect("sender");
    assert_eq!(workers.len(), 3, "one worker per configured sender");
    let deadline = Instant::now() + StdDuration::from_secs(20);
    while sink.messages().is_empty() {
        assert!(Instant::now() < deadline, "nothing delivered within 20 s");
        std::thread::sleep(StdDuration::from_millis(50));
    }
    let stopping = Instant::now();
    for worker in workers {
        worker.stop();
    }
    assert!(stopping.elapsed() < StdDuration::from_secs(5));
    // three senders, one message: sent once
    assert_eq!(sink.messages().len(), 1);

    settings.email.send_interval_secs = 0;
    assert!(
        minxin::mail::spawn_mail_sender(&settings, pool(&app))
            .expect("off is fine")
            .is_empty()
    );
}
