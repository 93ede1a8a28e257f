//! The command line: `serve`, `migrate`, `demo`, `seed`, `import`, `user add`,
//! `deadlines tick`, `audit verify`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db;
use crate::domain::enums::Role;
use crate::pgcluster::{ClusterOptions, PrivateCluster};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "minxin",
    version,
    about = "民心 — city appeal platform (8890 / 12345 hotline back end)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates first unless database.migrate_on_start = false)
    Serve {
        /// listen address, e.g. 0.0.0.0:8890 (also MINXIN_BIND)
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations
    Migrate,
    /// Run a demo: a private PostgreSQL unless DATABASE_URL is set, demo data, the service
    Demo {
        #[arg(long)]
        bind: Option<String>,
        /// where the private PostgreSQL keeps its data, kept between runs
        /// [default: ./.minxin-demo, or /var/lib/minxin/demo when run as root, since PostgreSQL
        /// then runs as the `postgres` user, who must be able to reach the folder]
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// never install PostgreSQL, even if it is missing
        #[arg(long)]
        no_install: bool,
    },
    /// Load the demo data (divisions, departments, categories, demo users); running it twice changes nothing
    Seed {
        /// also generate this many synthetic appeals over the past year (demos, benchmarks)
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100_000_000))]
        appeals: Option<i64>,
    },
    /// Import historical appeals from a hotline export (CSV, Chinese or English headers);
    /// importing the same rows again adds nothing (docs/IMPORT.md)
    Import {
        /// the CSV file (UTF-8)
        file: PathBuf,
        /// also write the refused rows, with their line number and reason, to this CSV file
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Staff accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Keys of integrations (Open311 clients)
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// The audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The e-mail outbox
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Deadline warnings, overdue reminders and escalations
    Deadlines {
        #[command(subcommand)]
        command: DeadlinesCommand,
    },
    /// The report rollups (the per-day cube behind /api/v1/reports)
    Reports {
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// The monthly partitions of the audit log and the report cube
    Partitions {
        #[command(subcommand)]
        command: PartitionsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartitionsCommand {
    /// Every partition with its bounds, estimated rows and size, and the rows waiting in the
    /// default partitions (rows of months that have no partition)
    List,
    /// Create the partitions of a span of months (default: this month and
    /// database.partition_months_ahead more), moving rows of those months out of the default
    /// partitions; months that exist are left alone
    Ensure {
        /// the first month, YYYY-MM (default: this month, UTC)
        #[arg(long, value_parser = parse_month)]
        from: Option<NaiveDate>,
        /// the last month, YYYY-MM (default: partition_months_ahead after --from)
        #[arg(long, value_parser = parse_month)]
        to: Option<NaiveDate>,
    },
}

fn parse_month(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a month: write YYYY-MM, e.g. 2026-12"))
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Fold the log of changes into the cube once (what the service does every few seconds)
    Fold,
    /// Rebuild the cube from the appeals, in the working calendar's time zone (after the zone
    /// changes, after an interrupted bulk load, or to repair); appeal writes wait meanwhile
    Rebuild,
    /// Compare the cube with the figures computed from the appeal tables, day by day and
    /// department by department; exit 1 naming the first difference
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Counts of pending, failing and sent messages, and the last error
    Status,
    /// Deliver every message that is due now, once (what the service's sender does each round)
    Send,
}

#[derive(Debug, Subcommand)]
pub enum DeadlinesCommand {
    /// Run one deadline scan as of an instant (default: now); safe beside a running service
    Tick {
        /// the instant to scan as of, RFC 3339 (e.g. 2026-11-23T17:00:00+08:00)
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// clerk | dispatcher | supervisor | admin
        #[arg(long)]
        role: String,
        /// department code (required for clerks)
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// where notifications reach them (supervisors receive escalations)
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Issue a key and print it (the only time it is shown; only its hash is stored)
    Add {
        /// who the key is for, e.g. the integration's name
        #[arg(long)]
        name: String,
    },
    /// List the keys (prefix, name, state, last use)
    List,
    /// Revoke a key by its id
    Revoke { id: uuid::Uuid },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every appeal's hash chain; exit 1 naming the first broken link
    Verify,
}

pub fn main() -> ExitCode {
    crate::telemetry::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load()?;
    match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            settings.check()?;
            let url = settings.database_url()?.to_owned();
            if settings.database.migrate_on_start {
                migrate(&url)?;
            }
            serve(&settings, &url, None)?;
        }
        Command::Migrate => {
            migrate(settings.database_url()?)?;
        }
        Command::Demo {
            bind,
            data_dir,
            no_install,
        } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            settings.check()?;
            demo(&settings, data_dir, !no_install)?;
        }
        Command::Seed { appeals } => {
            let mut conn = db::connect(settings.database_url()?)?;
            let summary = crate::seed::load_demo_data(&mut conn, &crate::auth::password::hash)?;
            println!(
                "demo data loaded: {} divisions, {} departments, {} categories, {} users added",
                summary.divisions, summary.departments, summary.categories, summary.users
            );
            let rules = crate::seed::load_demo_rules(&mut conn)?;
            println!(
                "demo routing rules: {rules} added (none are added when the table already has rules)"
            );
            if let Some(n) = appeals {
                drop(conn);
                let started = std::time::Instant::now();
                let bar = progress_bar(n as u64, "synthetic appeals");
                let made =
                    crate::synthetic::generate(settings.database_url()?, n as usize, |done, _| {
                        bar.set_position(done as u64)
                    });
                bar.finish_and_clear();
                let made = made?;
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "{} synthetic appeals generated in {secs:.1} s ({:.0} a second; {} follow-up \
                     answers; {} report cells added to)",
                    made.appeals,
                    made.appeals as f64 / secs.max(0.001),
                    made.follow_ups,
                    made.report_cells
                );
            }
        }
        Command::Import { file, errors } => {
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {binary_bytes}/{binary_total_bytes} read ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            let outcome = crate::import::import_file(
                settings.database_url()?,
                &file,
                errors.as_deref(),
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
                &|line| bar.suspend(|| eprintln!("{line}")),
            );
            bar.finish_and_clear();
            let outcome = outcome?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{}: {} rows read, {} imported, {} already imported before, {} refused \
                 ({secs:.1} s, {:.0} rows a second; {} report cells added to)",
                file.display(),
                outcome.rows,
                outcome.imported,
                outcome.already_there,
                outcome.refused,
                outcome.rows as f64 / secs.max(0.001),
                outcome.report_cells
            );
            if let Some(path) = errors.filter(|_| outcome.refused > 0) {
                println!("refused rows written to {}", path.display());
            }
            if outcome.refused > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    password,
                    role,
                    department,
                    display_name,
                    email,
                },
        } => {
            add_user(
                &settings,
                &NewStaff {
                    username: &username,
                    password: &password,
                    role: &role,
                    department: department.as_deref(),
                    display_name: display_name.as_deref(),
                    email: email.as_deref(),
                },
            )?;
        }
        Command::Apikey { command } => {
            let url = settings.database_url()?.to_owned();
            let mut conn = db::connect(&url)?;
            let operator = crate::open311::keys::Issuer {
                user_id: None,
                role: "operator",
            };
            let now = chrono::Utc::now();
            match command {
                ApikeyCommand::Add { name } => {
                    let issued = crate::open311::keys::issue(&mut conn, &name, &operator, now)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    eprintln!(
                        "issued key {} for {} — give it to the integration now; it is not shown again",
                        issued.view.id, issued.view.name
                    );
                    println!("{}", issued.api_key);
                }
                ApikeyCommand::List => {
                    for k in db::open311::list_keys(&mut conn)? {
                        println!(
                            "{}  {}…  {}  {}  last used {}",
                            k.id,
                            k.key_prefix,
                            if k.revoked_at.is_some() {
                                "revoked"
                            } else {
                                "active "
                            },
                            k.name,
                            k.last_used_at
                                .map(|t| t.to_rfc3339())
                                .unwrap_or_else(|| "never".into())
                        );
                    }
                }
                ApikeyCommand::Revoke { id } => {
                    let key = crate::open311::keys::revoke(&mut conn, id, &operator, now)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("revoked {} ({})", key.id, key.name);
                }
            }
        }
        Command::Reports { command } => {
            let url = settings.database_url()?.to_owned();
            let mut conn = db::connect(&url)?;
            match command {
                ReportsCommand::Fold => {
                    let n = db::reports::fold(&mut conn)?;
                    println!("folded {n} logged changes into the report cube");
                }
                ReportsCommand::Rebuild => {
                    let started = std::time::Instant::now();
                    let n = db::reports::rebuild(&mut conn)?;
                    println!(
                        "report cube rebuilt from {n} appeals in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
                ReportsCommand::Verify => {
                    let round = crate::startup::workflow_from(&settings)
                        .reports
                        .counted_round;
                    match db::reports::verify(&mut conn, round)? {
                        None => {
                            println!("report cube: every day and department matches the appeals")
                        }
                        Some(difference) => {
                            eprintln!("report cube differs from the appeals: {difference}");
                            eprintln!("run `minxin reports rebuild` to repair it");
                            return Ok(ExitCode::from(1));
                        }
                    }
                }
            }
        }
        Command::Partitions { command } => {
            let url = settings.database_url()?.to_owned();
            let mut conn = db::connect(&url)?;
            match command {
                PartitionsCommand::List => {
                    println!(
                        "{:<14} {:<22} {:>12} {:>10}  bounds",
                        "table", "partition", "rows (est.)", "MiB"
                    );
                    for p in crate::partitions::list(&mut conn)? {
                        println!(
                            "{:<14} {:<22} {:>12} {:>10.1}  {}",
                            p.table_name,
                            p.partition,
                            p.rows_estimate
                                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                            p.bytes as f64 / 1_048_576.0,
                            p.bounds
                        );
                    }
                    let waiting = crate::partitions::default_rows(&mut conn).context(
                        "reading the default partitions (a database before migration 000014? run `minxin migrate`)",
                    )?;
                    for (table, n) in waiting {
                        let more = if n >= crate::partitions::DEFAULT_ROWS_CAP {
                            " or more"
                        } else {
                            ""
                        };
                        println!(
                            "{table}_default holds {n}{more} rows of months without a partition"
                        );
                    }
                }
                PartitionsCommand::Ensure { from, to } => {
                    let from = from.unwrap_or_else(|| chrono::Utc::now().date_naive());
                    let to = to.unwrap_or_else(|| {
                        crate::partitions::months_after(
                            from,
                            settings.database.partition_months_ahead,
                        )
                    });
                    if to < from {
                        bail!(
                            "--to {} is before --from {}",
                            to.format("%Y-%m"),
                            from.format("%Y-%m")
                        );
                    }
                    let created = crate::partitions::ensure_months(&mut conn, from, to, None)
                        .context(
                            "creating the partitions (a database before migration 000014? run `minxin migrate`)",
                        )?;
                    if created.is_empty() {
                        println!(
                            "every partition from {} to {} exists",
                            from.format("%Y-%m"),
                            to.format("%Y-%m")
                        );
                    }
                    for name in created {
                        println!("created {name}");
                    }
                }
            }
        }
        Command::Outbox { command } => {
            let url = settings.database_url()?.to_owned();
            match command {
                OutboxCommand::Status => {
                    let mut conn = db::connect(&url)?;
                    let s = crate::mail::outbox::stats(&mut conn)?;
                    println!(
                        "outbox: {} pending ({} failing), {} sent; oldest pending since {}",
                        s.pending,
                        s.failing,
                        s.sent,
                        s.oldest_pending_at
                            .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
                    );
                    if let Some(e) = s.last_error {
                        println!("last error: {e}");
                    }
                }
                OutboxCommand::Send => {
                    let pool = db::build_pool(&url, 2, Duration::from_secs(5))?;
                    let mailer = crate::mail::Mailer::from_settings(&settings.email)?;
                    let backoff = crate::mail::Backoff::from_settings(&settings.email)?;
                    let mut total = crate::mail::DeliveryReport::default();
                    loop {
                        let r = crate::mail::deliver_due(
                            &pool,
                            &mailer,
                            &backoff,
                            chrono::Utc::now(),
                            settings.email.batch_size.max(1),
                        )?;
                        total.sent += r.sent;
                        total.failed += r.failed;
                        if r.sent == 0 || r.failed > 0 {
                            break;
                        }
                    }
                    println!(
                        "outbox: {} sent, {} failed (retried later)",
                        total.sent, total.failed
                    );
                }
            }
        }
        Command::Deadlines {
            command: DeadlinesCommand::Tick { at },
        } => {
            let at = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .with_context(|| {
                        format!("--at `{text}` is not an RFC 3339 instant like 2026-11-23T17:00:00+08:00")
                    })?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            settings.check()?;
            let mut conn = db::connect(settings.database_url()?)?;
            let wf = crate::startup::workflow_from(&settings);
            let report = crate::deadlines::scan(&mut conn, &wf, at)
                .map_err(|e| anyhow::anyhow!("deadline scan failed: {e}"))?;
            println!(
                "deadline scan as of {}: {} appeals due, {} warnings, {} overdue, {} escalated, {} closed unrated",
                report.at.to_rfc3339(),
                report.examined,
                report.warnings,
                report.overdue,
                report.escalated,
                report.closed_unrated
            );
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            return audit_verify(settings.database_url()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr (drawn only on a terminal).
fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{bar:40}}] {{human_pos}}/{{human_len}} {what} ({{per_sec}}, {{eta}} left)"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

fn migrate(url: &str) -> anyhow::Result<()> {
    let mut conn = db::connect(url)?;
    let applied = db::migrate(&mut conn)?;
    if applied.is_empty() {
        println!("database schema is up to date");
    } else {
        for m in &applied {
            println!("applied migration {m}");
        }
    }
    if !db::duplicates::trigrams_see_chinese(&mut conn)? {
        eprintln!(
            "warning: pg_trgm finds no trigrams in Chinese text in this database (its LC_CTYPE is \
             C or POSIX), so duplicate suggestions match on little but digits and Latin letters; \
             create the database with a UTF-8 LC_CTYPE such as C.UTF-8 (docs/CLOSED_LOOP.md)"
        );
    }
    Ok(())
}

/// Connections `serve` opens besides `database.pool_size`: one for each background worker.
fn background_connections(settings: &Settings) -> u32 {
    u32::try_from(settings.email.senders.max(1))
        .unwrap_or(u32::MAX)
        .saturating_add(3)
}

fn serve(settings: &Settings, url: &str, banner: Option<String>) -> anyhow::Result<()> {
    let pool = db::build_pool(
        url,
        settings.database.pool_size,
        Duration::from_secs(settings.database.connect_timeout_secs),
    )?;
    // The background workers have connections of their own, one each (the mail senders, the
    // deadline scanner, the rollup folder, the partition upkeep), so that a burst of mail never
    // takes the requests' connections and requests never hold up the workers.
    let background = db::build_pool(
        url,
        background_connections(settings),
        Duration::from_secs(settings.database.connect_timeout_secs),
    )?;
    actix_web::rt::System::new().block_on(async move {
        let mail_sender = crate::mail::spawn_mail_sender(settings, background.clone())?;
        let scanner = crate::deadlines::spawn_scanner(settings, background.clone());
        let folder = crate::rollups::spawn_folder(settings, background.clone());
        let partitions = crate::partitions::spawn_upkeep(settings, background);
        let app = Application::build(settings, pool)?;
        let host = settings
            .server
            .bind
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or("127.0.0.1");
        let host = if host == "0.0.0.0" { "127.0.0.1" } else { host };
        tracing::info!(port = app.port(), database = %db::redact_url(url), "minxin serving");
        println!(
            "minxin is serving at http://{host}:{}/ (API docs at /api/docs)",
            app.port()
        );
        if let Some(banner) = banner {
            println!("{banner}");
        }
        app.run_until_stopped().await?;
        // after the HTTP server; an early return above drops the worker, which ends it as well
        for sender in mail_sender {
            sender.stop();
        }
        if let Some(folder) = folder {
            folder.stop();
        }
        if let Some(partitions) = partitions {
            partitions.stop();
        }
        if let Some(scanner) = scanner {
            scanner.stop();
        }
        anyhow::Ok(())
    })
}

fn demo(settings: &Settings, data_dir: Option<PathBuf>, allow_install: bool) -> anyhow::Result<()> {
    // the demo's e-mail goes to files beside its other state, not into the working folder
    let mut settings = settings.clone();
    if settings.email.transport == crate::config::MailTransport::File
        && settings.email.file_dir == std::path::Path::new("mail")
    {
        settings.email.file_dir = PathBuf::from(".minxin-demo/mail");
    }
    let settings = &settings;
    let mut cluster: Option<PrivateCluster> = None;
    let url = match settings.database.url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => {
            println!("using the database at {}", db::redact_url(url));
            url.to_owned()
        }
        None => {
            let data_dir = data_dir.unwrap_or_else(|| {
                if crate::pgcluster::is_root() {
                    PathBuf::from("/var/lib/minxin/demo")
                } else {
                    PathBuf::from(".minxin-demo")
                }
            });
            let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
            println!("starting a private PostgreSQL in {} …", data_dir.display());
            let started = PrivateCluster::start(&ClusterOptions {
                data_dir,
                allow_install,
                superuser: "minxin".into(),
            })?;
            ensure_database(&started.url("postgres"), "minxin")?;
            let url = started.url("minxin");
            cluster = Some(started);
            url
        }
    };
    migrate(&url)?;
    let mut conn = db::connect(&url)?;
    let summary = crate::seed::load_demo_data(&mut conn, &crate::auth::password::hash)?;
    let rules = crate::seed::load_demo_rules(&mut conn)?;
    drop(conn);
    println!("demo routing rules: {rules} added (0 = the table already has rules)");
    println!(
        "demo data: {} divisions, {} departments, {} categories, {} users added (0 = already there)",
        summary.divisions, summary.departments, summary.categories, summary.users
    );
    let mut banner = String::from("demo logins (POST /api/v1/auth/login):\n");
    for login in crate::seed::DEMO_LOGINS {
        banner.push_str(&format!(
            "  {:<16} {:<12} {:<11} {}\n",
            login.username,
            login.password,
            login.role,
            login.department_code.unwrap_or("-")
        ));
    }
    if settings.email.transport == crate::config::MailTransport::File {
        banner.push_str(&format!(
            "e-mail is written as .eml files to {}\n",
            settings.email.file_dir.display()
        ));
    }
    banner.push_str(&format!(
        "database: {}\nstop with Ctrl-C",
        db::redact_url(&url)
    ));
    let result = serve(settings, &url, Some(banner));
    if let Some(cluster) = cluster {
        cluster.stop()?;
    }
    result
}

/// Creates the database if it does not exist (connected to a maintenance database).
fn ensure_database(maintenance_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = db::connect(maintenance_url)?;
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut conn)?;
    if !exists {
        // C.UTF-8 classifies Chinese characters (pg_trgm needs that for duplicate
        // suggestions); a server without that locale gets the cluster's default, and a warning.
        let created = diesel::sql_query(format!(
            "CREATE DATABASE \"{name}\" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        ))
        .execute(&mut conn);
        if let Err(e) = created {
            tracing::warn!(error = %e, "creating {name} with LC_CTYPE C.UTF-8 failed; using the server's default locale");
            diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
            ))
            .execute(&mut conn)
            .with_context(|| format!("creating database {name}"))?;
        }
    }
    Ok(())
}

struct NewStaff<'a> {
    username: &'a str,
    password: &'a str,
    role: &'a str,
    department: Option<&'a str>,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
}

fn add_user(settings: &Settings, new: &NewStaff<'_>) -> anyhow::Result<()> {
    let NewStaff {
        username,
        password,
        role,
        department,
        display_name,
        email,
    } = *new;
    let role: Role = role.parse()?;
    if let Some(email) = email
        && crate::domain::intake::validate_email(email).is_err()
    {
        bail!("`{email}` is not an e-mail address");
    }
    // the same rules as the administrators' users page
    use crate::domain::reference as rules;
    rules::check_username(username).map_err(|e| anyhow::anyhow!(e.message))?;
    rules::check_role_department(role, department).map_err(|e| {
        anyhow::anyhow!(
            "{} (--department CODE; see GET /api/v1/departments)",
            e.message
        )
    })?;
    rules::check_password(password).map_err(|e| anyhow::anyhow!(e.message))?;
    let mut conn = db::connect(settings.database_url()?)?;
    if let Some(code) = department
        && db::reference::find_department(&mut conn, code)?.is_none()
    {
        bail!("unknown department `{code}` (see GET /api/v1/departments)");
    }
    if db::users::find_by_username(&mut conn, username)?.is_some() {
        bail!("a user named `{username}` already exists");
    }
    let hash = crate::auth::password::hash(password)?;
    let user = db::users::insert(
        &mut conn,
        &db::users::NewUser {
            username,
            password_hash: &hash,
            display_name: display_name.unwrap_or(username),
            role: role.as_str(),
            department_code: department,
        },
    )
    .map_err(|e| match e {
        diesel::result::Error::DatabaseError(_, info) => {
            anyhow::anyhow!("the database refused the account: {}", info.message())
        }
        other => other.into(),
    })?;
    if let Some(email) = email {
        use crate::db::schema::users;
        diesel::update(users::table.find(user.id))
            .set(users::email.eq(email))
            .execute(&mut conn)?;
    }
    println!("created {} `{}` ({})", role, user.username, user.id);
    Ok(())
}

fn audit_verify(url: &str) -> anyhow::Result<ExitCode> {
    let mut conn = db::connect(url)?;
    let report = db::audit::verify_all(&mut conn, |n| {
        if n % 10_000 == 0 {
            eprintln!("… {n} chains checked");
        }
    })?;
    let (admin_events, admin_broken) = db::calendar::verify_admin_chain(&mut conn)?;
    if let Some((seq, reason)) = admin_broken {
        println!("administrative audit log BROKEN at event #{seq}: {reason}");
        return Ok(ExitCode::from(1));
    }
    match report.broken {
        None => {
            println!(
                "audit log intact: {} chains, {} events verified; administrative log: {} events verified",
                report.chains, report.events, admin_events
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(link) => {
            println!(
                "audit log BROKEN at appeal {} event #{} (id {}): {}",
                link.appeal_id, link.seq, link.event_id, link.reason
            );
            println!("({} chains checked before stopping)", report.chains);
            Ok(ExitCode::from(1))
        }
    }
}
