//! Delivering the outbox: an SMTP server that is down or refuses a message delays mail, never
//! loses it, and never makes us send it twice on purpose.
//!
//! Each due message is handled in its own transaction that holds the message's row lock
//! (`FOR UPDATE SKIP LOCKED`) while it is sent, so any number of senders — threads or
//! instances — can run at once and each message goes to exactly one of them. A failure is
//! recorded on the row and the message is tried again after an exponential backoff. The one
//! window for a duplicate is a crash or a lost database between the server's acceptance and our
//! commit; the deterministic `Message-ID: <outbox-{id}@{domain}>` lets a receiver recognise it.

use std::time::Duration as StdDuration;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, FileTransport, SmtpTransport, Transport as _};

use super::outbox::OutboxRow;
use crate::config::{EmailSettings, MailTransport, Settings, SmtpSecurity};
use crate::db::PgPool;
use crate::db::schema::outbox;
use crate::worker::Worker;

/// The column's length.
const LAST_ERROR_MAX_CHARS: usize = 1000;

/// Sends composed messages through the configured transport.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// the right-hand side of our Message-IDs: the From address's domain
    message_id_domain: String,
    /// the SMTP password, scrubbed from any error text we keep or log
    secret: Option<String>,
}

enum Transport {
    Smtp(SmtpTransport),
    File(FileTransport),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::File(_) => "file",
        };
        f.debug_struct("Mailer")
            .field("transport", &transport)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            anyhow::anyhow!(
                "email.from `{}` is not a valid sender ({e}); write it like \
                 `民心热线 <noreply@8890.example.cn>` or `noreply@8890.example.cn`",
                settings.from
            )
        })?;
        let message_id_domain = from.email.domain().to_owned();
        let transport = match settings.transport {
            MailTransport::Smtp => Transport::Smtp(smtp_transport(settings)?),
            MailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).with_context(|| {
                    format!(
                        "creating email.file_dir {} for the file mail transport",
                        settings.file_dir.display()
                    )
                })?;
                Transport::File(FileTransport::new(&settings.file_dir))
            }
        };
        Ok(Mailer {
            transport,
            from,
            message_id_domain,
            secret: Some(settings.smtp_password.clone()).filter(|p| !p.is_empty()),
        })
    }

    /// The Message-ID of an outbox row: the same on every attempt.
    pub fn message_id(&self, outbox_id: i64) -> String {
        format!("<outbox-{outbox_id}@{}>", self.message_id_domain)
    }

    /// Builds the message of a row; an error names what cannot be sent (the recipient, mostly).
    fn compose(&self, row: &OutboxRow) -> Result<Message, String> {
        let to: Address = row.recipient.parse().map_err(|e| {
            format!(
                "the recipient `{}` is not an address we can send to: {e}",
                row.recipient
            )
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(row.subject.as_str())
            // the instant the notice was written, so every attempt sends the same message
            .date(row.created_at.into())
            .message_id(Some(self.message_id(row.id)))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(row.body.clone())
            .map_err(|e| format!("the message cannot be built: {e}"))
    }

    fn send(&self, message: &Message) -> Result<(), String> {
        let result = match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .map(drop)
                .map_err(|e| format!("SMTP: {e}")),
            Transport::File(file) => file
                .send(message)
                .map(drop)
                .map_err(|e| format!("file transport: {e}")),
        };
        result.map_err(|text| self.scrub(text))
    }

    /// Error text as we keep it: without the password, at most the column's length.
    fn scrub(&self, text: String) -> String {
        let text = match &self.secret {
            Some(secret) => text.replace(secret.as_str(), "<redacted>"),
            None => text,
        };
        text.chars().take(LAST_ERROR_MAX_CHARS).collect()
    }
}

fn smtp_transport(settings: &EmailSettings) -> anyhow::Result<SmtpTransport> {
    let host = settings.smtp_host.trim();
    if host.is_empty() {
        bail!(
            "email.smtp_host is empty; set it (MINXIN__EMAIL__SMTP_HOST) or use email.transport = \"file\""
        );
    }
    let builder = match settings.smtp_security {
        SmtpSecurity::None => SmtpTransport::builder_dangerous(host),
        SmtpSecurity::Starttls => SmtpTransport::starttls_relay(host)
            .with_context(|| format!("setting up STARTTLS to {host}"))?,
        SmtpSecurity::Tls => {
            SmtpTransport::relay(host).with_context(|| format!("setting up TLS to {host}"))?
        }
    };
    let mut builder = builder.port(settings.smtp_port);
    if settings.smtp_timeout_secs > 0 {
        builder = builder.timeout(Some(StdDuration::from_secs(settings.smtp_timeout_secs)));
    }
    if !settings.smtp_username.is_empty() {
        if settings.smtp_security == SmtpSecurity::None {
            tracing::warn!(
                host,
                "email.smtp_username is set but smtp_security is none: the password crosses the \
                 network in clear text; use starttls or tls unless the server is on this machine"
            );
        }
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            settings.smtp_password.clone(),
        ));
    }
    Ok(builder.build())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail systems not to answer with
/// vacation replies.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// How long a failed message waits: `base · 2^(attempts-1)`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    /// `base` is at least a millisecond and `max` at least `base`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let base = base.max(Duration::milliseconds(1));
        Backoff {
            base,
            max: max.max(base),
        }
    }

    /// From `email.retry_base_secs` and `email.retry_max_secs`; refuses values that make no sense.
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Backoff> {
        if settings.retry_base_secs <= 0 {
            bail!(
                "email.retry_base_secs must be positive (it is {})",
                settings.retry_base_secs
            );
        }
        if settings.retry_max_secs < settings.retry_base_secs {
            bail!(
                "email.retry_max_secs ({}) must be at least email.retry_base_secs ({})",
                settings.retry_max_secs,
                settings.retry_base_secs
            );
        }
        let seconds = |secs: i64, name: &str| {
            Duration::try_seconds(secs)
                .with_context(|| format!("email.{name} ({secs}) is beyond any sensible wait"))
        };
        Ok(Backoff::new(
            seconds(settings.retry_base_secs, "retry_base_secs")?,
            seconds(settings.retry_max_secs, "retry_max_secs")?,
        ))
    }

    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay(&self, attempts: i32) -> Duration {
        let doublings = attempts.max(1) - 1;
        if doublings >= 62 {
            return self.max;
        }
        self.base
            .num_milliseconds()
            .checked_mul(1_i64 << doublings)
            .map(Duration::milliseconds)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The longest wait, also used for a message that cannot be sent as it is.
    pub fn max(&self) -> Duration {
        self.max
    }
}

/// What one [`deliver_due`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
}

enum Attempt {
    /// another sender has it, or it was sent or rescheduled meanwhile
    Skipped,
    Sent,
    Failed,
}

/// Delivers up to `limit` messages due at `now`, each in its own transaction. Returns an error
/// only when the database fails; a mail failure is recorded on its message and counted.
pub fn deliver_due(
    pool: &PgPool,
    mailer: &Mailer,
    backoff: &Backoff,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<DeliveryReport> {
    let mut conn = pool
        .get()
        .context("taking a database connection to deliver e-mail")?;
    let due: Vec<i64> = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
        .limit(limit.max(0))
        .select(outbox::id)
        .load(&mut conn)
        .context("reading the due outbox messages")?;
    let mut report = DeliveryReport::default();
    for id in due {
        // set once the server accepted the message, so that a failed commit can say so
        let mut accepted = false;
        let attempt = conn.transaction(|conn| {
            // The commit that records the delivery does not wait for the WAL flush: the
            // window in which a killed process leaves a delivered message unrecorded (and so
            // sent again, with the same Message-ID) shrinks from a disk flush to a round trip.
            // What this risks is the same duplicate, only after a crash of the database server.
            diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
            let row: Option<OutboxRow> = outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::next_attempt_at.le(now))
                .select(OutboxRow::as_select())
                .for_update()
                .skip_locked()
                .first(conn)
                .optional()?;
            let Some(row) = row else {
                return Ok::<_, diesel::result::Error>(Attempt::Skipped);
            };
            let attempts = row.attempts.saturating_add(1);
            let (error, retry_in) = match mailer.compose(&row) {
                Err(e) => (mailer.scrub(e), backoff.max()),
                Ok(message) => match mailer.send(&message) {
                    Ok(()) => {
                        accepted = true;
                        diesel::update(outbox::table.find(id))
                            .set((
                                outbox::sent_at.eq(now),
                                outbox::attempts.eq(attempts),
                                outbox::last_attempt_at.eq(now),
                            ))
                            .execute(conn)?;
                        tracing::debug!(
                            outbox_id = id,
                            kind = %row.kind,
                            recipient_domain = domain_of(&row.recipient),
                            attempts,
                            "mail sent"
                        );
                        return Ok(Attempt::Sent);
                    }
                    Err(e) => (e, backoff.delay(attempts)),
                },
            };
            let next_attempt_at = now
                .checked_add_signed(retry_in)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            diesel::update(outbox::table.find(id))
                .set((
                    outbox::attempts.eq(attempts),
                    outbox::last_attempt_at.eq(now),
                    outbox::last_error.eq(&error),
                    outbox::next_attempt_at.eq(next_attempt_at),
                ))
                .execute(conn)?;
            tracing::warn!(
                outbox_id = id,
                kind = %row.kind,
                recipient_domain = domain_of(&row.recipient),
                attempts,
                next_attempt_at = %next_attempt_at,
                // the server's answer may quote the address; the log gets only its domain
                error = %error.replace(row.recipient.as_str(), "<recipient>"),
                "mail not delivered; will retry"
            );
            Ok(Attempt::Failed)
        });
        match attempt {
            Ok(Attempt::Sent) => report.sent += 1,
            Ok(Attempt::Failed) => report.failed += 1,
            Ok(Attempt::Skipped) => {}
            Err(e) => {
                if accepted {
                    tracing::error!(
                        outbox_id = id,
                        "the mail server accepted the message but recording it failed; \
                         it will be sent again with the same Message-ID"
                    );
                }
                return Err(anyhow::Error::new(e).context(format!("recording outbox message {id}")));
            }
        }
    }
    Ok(report)
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Starts `minxin serve`'s mail sender: every `email.send_interval_secs` it delivers up to
/// `email.batch_size` due messages. None when the interval is 0 (the sender is off).
/// How long a sender works off a backlog before it pauses for its interval.
const BUSY_ROUND: StdDuration = StdDuration::from_secs(10);

pub fn spawn_mail_sender(settings: &Settings, pool: PgPool) -> anyhow::Result<Vec<Worker>> {
    let email = &settings.email;
    if email.send_interval_secs == 0 {
        tracing::info!("mail sender off (email.send_interval_secs = 0)");
        return Ok(Vec::new());
    }
    let backoff = Backoff::from_settings(email)?;
    let limit = email.batch_size.max(1);
    let senders = email.senders.max(1);
    tracing::info!(
        transport = match email.transport {
            MailTransport::Smtp => "smtp",
            MailTransport::File => "file",
        },
        interval_secs = email.send_interval_secs,
        senders,
        "mail sender started"
    );
    // Several senders share the due messages through the row locks (each skips the ones
    // another holds), as senders in several instances do.
    let mut workers = Vec::with_capacity(senders);
    for _ in 0..senders {
        let mailer = Mailer::from_settings(email)?;
        let pool = pool.clone();
        workers.push(crate::worker::spawn_periodic(
            "mail-sender",
            StdDuration::from_secs(email.send_interval_secs),
            move || {
                // a backlog is worked off batch after batch, not a batch per interval; after
                // BUSY_ROUND the worker pauses for its interval (and can be stopped)
                let started = std::time::Instant::now();
                while started.elapsed() < BUSY_ROUND {
                    match deliver_due(&pool, &mailer, &backoff, Utc::now(), limit) {
                        Ok(report) if report.sent + report.failed > 0 => {
                            tracing::info!(
                                sent = report.sent,
                                failed = report.failed,
                                "mail delivered"
                            );
                        }
                        Ok(_) => break,
                        Err(e) => {
                            tracing::error!(
                                error = format!("{e:#}"),
                                "mail delivery stopped early"
                            );
                            break;
                        }
                    }
                }
            },
        ));
    }
    Ok(workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff::new(Duration::seconds(30), Duration::seconds(3600))
    }

    #[test]
    fn backoff_doubles_from_base_up_to_max() {
        let b = backoff();
        let secs: Vec<i64> = (1..=9).map(|n| b.delay(n).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay(0), Duration::seconds(30), "no attempt yet: base");
        assert_eq!(b.delay(-5), Duration::seconds(30));
    }

    #[test]
    fn backoff_never_overflows() {
        let b = backoff();
        for n in [31, 32, 62, 63, 64, 1000, i32::MAX] {
            assert_eq!(b.delay(n), Duration::seconds(3600), "attempts {n}");
        }
        let huge = Backoff::new(Duration::days(365_000), Duration::days(3_650_000));
        assert_eq!(huge.delay(i32::MAX), Duration::days(3_650_000));
        assert_eq!(huge.delay(2), Duration::days(730_000));
    }

    #[test]
    fn backoff_keeps_max_at_least_base() {
        let b = Backoff::new(Duration::seconds(60), Duration::seconds(10));
        assert_eq!(b.delay(1), Duration::seconds(60));
        assert_eq!(b.max(), Duration::seconds(60));
    }

    fn settings() -> EmailSettings {
        crate::config::Settings::load_from(
            crate::config::Environment::Test,
            std::path::Path::new("/nonexistent-config-dir"),
        )
        .expect("built-in settings")
        .email
    }

    #[test]
    fn backoff_settings_are_checked() {
        let mut s = settings();
        assert!(Backoff::from_settings(&s).is_ok());
        s.retry_base_secs = 0;
        assert!(Backoff::from_settings(&s).is_err());
        s.retry_base_secs = 100;
        s.retry_max_secs = 50;
        let err = Backoff::from_settings(&s).expect_err("max below base");
        assert!(err.to_string().contains("retry_max_secs"), "{err}");
        s.retry_max_secs = i64::MAX;
        let err = Backoff::from_settings(&s).expect_err("no panic, an error");
        assert!(err.to_string().contains("retry_max_secs"), "{err}");
    }

    #[test]
    fn a_bad_sender_address_is_refused_clearly() {
        let mut s = settings();
        s.transport = MailTransport::Smtp;
        s.from = "民心热线 <not an address>".into();
        let err = Mailer::from_settings(&s).expect_err("bad from");
        assert!(err.to_string().contains("email.from"), "{err}");
    }

    #[test]
    fn message_ids_use_the_sender_domain() {
        let mut s = settings();
        s.transport = MailTransport::Smtp;
        s.from = "民心热线 Minxin Hotline <noreply@8890.example.cn>".into();
        let mailer = Mailer::from_settings(&s).expect("mailer");
        assert_eq!(mailer.message_id(42), "<outbox-42@8890.example.cn>");
    }

    #[test]
    fn errors_never_keep_the_password_and_fit_the_column() {
        let mut s = settings();
        s.transport = MailTransport::Smtp;
        s.smtp_username = "minxin".into();
        s.smtp_password = "hunter2-secret".into();
        let mailer = Mailer::from_settings(&s).expect("mailer");
        let scrubbed = mailer.scrub("auth failed for minxin:hunter2-secret".into());
        assert_eq!(scrubbed, "auth failed for minxin:<redacted>");
        let long = mailer.scrub("错".repeat(5000));
        assert_eq!(long.chars().count(), LAST_ERROR_MAX_CHARS);
    }

    #[test]
    fn recipient_domain_only() {
        assert_eq!(domain_of("zhangsan@example.com"), "example.com");
        assert_eq!(domain_of("nonsense"), "");
    }
}
