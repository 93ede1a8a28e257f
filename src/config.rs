//! Settings: `config/default.toml`, then `config/<environment>.toml`, then an optional
//! `config/local.toml`, then environment variables (`MINXIN__SECTION__KEY`, `DATABASE_URL`,
//! `MINXIN_BIND`). `MINXIN_ENV` picks the environment (development, test, production) and
//! `MINXIN_CONFIG_DIR` the folder; when the folder is missing the built-in copies are used, so the
//! binary runs from anywhere.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use config::{Config, Environment as EnvSource, File, FileFormat};
use serde::Deserialize;

use crate::domain::enums::DeadlineClass;

pub const DEV_JWT_SECRET: &str = "minxin-development-secret-do-not-use-in-production";
pub const DEV_ACCESS_CODE_SECRET: &str = "minxin-development-access-code-secret";

const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../config/default.toml")),
    ("development", include_str!("../config/development.toml")),
    ("production", include_str!("../config/production.toml")),
    ("test", include_str!("../config/test.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }

    pub fn from_env() -> anyhow::Result<Environment> {
        match std::env::var("MINXIN_ENV").as_deref() {
            Err(_) | Ok("") | Ok("development") | Ok("dev") => Ok(Environment::Development),
            Ok("test") => Ok(Environment::Test),
            Ok("production") | Ok("prod") => Ok(Environment::Production),
            Ok(other) => bail!("MINXIN_ENV={other} is not one of development, test, production"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(skip, default = "default_env")]
    pub environment: Environment,
    pub server: ServerSettings,
    #[serde(default)]
    pub photos: crate::domain::photo::PhotoLimits,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub lifecycle: LifecycleSettings,
    pub deadlines: crate::domain::deadline::DeadlineSettings,
    pub follow_up: FollowUpSettings,
    pub reports: ReportSettings,
    pub email: EmailSettings,
    /// the Open311 GeoReport v2 endpoint
    #[serde(default)]
    pub open311: crate::open311::Open311Settings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub limits: crate::limits::LimitSettings,
}

/// `GET /metrics`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MetricsSettings {
    /// when set, scrapes must send it as a bearer token (otherwise keep /metrics off the
    /// public side of the load balancer)
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportSettings {
    pub max_period_days: i64,
    /// how often `serve` folds the log of changes into the report cube (0: never)
    pub fold_interval_secs: u64,
    pub weights: crate::domain::metrics::Weights,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountedRound {
    Latest,
    First,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FollowUpSettings {
    pub window_days: i64,
    pub counted_round: CountedRound,
}

fn default_env() -> Environment {
    Environment::Development
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    #[serde(default)]
    pub url: Option<String>,
    /// where reports read (a streaming replica); unset: the primary
    #[serde(default)]
    pub read_database_url: Option<String>,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
    /// monthly partitions (audit log, report cube) kept ready beyond the current month
    pub partition_months_ahead: u32,
    /// how often `minxin serve` makes sure they exist; 0 turns it off
    pub partition_upkeep_secs: u64,
}

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub issuer: String,
    pub token_ttl_minutes: i64,
    /// keys the hashes of appellants' access codes; changing it invalidates every access code
    pub access_code_secret: String,
    /// this many wrong passwords in a row lock the account (0: never)
    #[serde(default = "default_lockout_after")]
    pub lockout_after: i16,
    /// for this long
    #[serde(default = "default_lockout_minutes")]
    pub lockout_minutes: i64,
    /// how long an account found good for a token is taken as good without reading it again
    /// (0: every staff request reads it); a deactivated or changed account's sessions end
    /// within this long
    #[serde(default = "default_account_check_secs")]
    pub account_check_secs: u64,
}

fn default_account_check_secs() -> u64 {
    1
}

fn default_lockout_after() -> i16 {
    5
}

fn default_lockout_minutes() -> i64 {
    15
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"<redacted>")
            .field("access_code_secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("token_ttl_minutes", &self.token_ttl_minutes)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LifecycleSettings {
    pub default_deadline_class: DeadlineClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    Smtp,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Deserialize)]
pub struct EmailSettings {
    pub transport: MailTransport,
    pub file_dir: PathBuf,
    pub from: String,
    pub public_url: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: String,
    pub smtp_timeout_secs: u64,
    pub send_interval_secs: u64,
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
    pub batch_size: i64,
    /// sending threads per instance (each sends one message at a time)
    pub senders: usize,
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("transport", &self.transport)
            .field("file_dir", &self.file_dir)
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_security", &self.smtp_security)
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Loads the layers for the environment named by `MINXIN_ENV`.
    pub fn load() -> anyhow::Result<Settings> {
        let env = Environment::from_env()?;
        let dir = std::env::var_os("MINXIN_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Settings::load_from(env, &dir)
    }

    pub fn load_from(env: Environment, dir: &Path) -> anyhow::Result<Settings> {
        let mut builder = Config::builder();
        for name in ["default", env.as_str()] {
            let path = dir.join(format!("{name}.toml"));
            if path.is_file() {
                builder = builder.add_source(File::from(path).format(FileFormat::Toml));
            } else if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
                builder = builder.add_source(File::from_str(text, FileFormat::Toml));
            }
        }
        builder = builder
            .add_source(File::from(dir.join("local.toml")).required(false))
            .add_source(
                EnvSource::with_prefix("MINXIN")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            );
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            builder = builder.set_override("database.url", url)?;
        }
        if let Ok(url) = std::env::var("READ_DATABASE_URL")
            && !url.is_empty()
        {
            builder = builder.set_override("database.read_database_url", url)?;
        }
        if let Ok(bind) = std::env::var("MINXIN_BIND")
            && !bind.is_empty()
        {
            builder = builder.set_override("server.bind", bind)?;
        }
        let mut settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("configuration has a missing or malformed value")?;
        settings.environment = env;
        Ok(settings)
    }

    /// Refuses settings that must not reach production.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.environment == Environment::Production {
            if self.auth.jwt_secret == DEV_JWT_SECRET {
                bail!(
                    "refusing to start in production with the development JWT secret: anyone could forge staff tokens. \
                     Set MINXIN__AUTH__JWT_SECRET to a random string of at least 32 characters (e.g. `openssl rand -hex 32`)."
                );
            }
            if self.auth.access_code_secret == DEV_ACCESS_CODE_SECRET
                || self.auth.access_code_secret.len() < 32
            {
                bail!(
                    "refusing to start in production with the development (or a short) access-code secret: \
                     set MINXIN__AUTH__ACCESS_CODE_SECRET to a random string of at least 32 characters, and keep it: \
                     changing it later invalidates every appellant's access code"
                );
            }
            if self.auth.jwt_secret.len() < 32 {
                bail!(
                    "refusing to start in production with a JWT secret of {} characters; use at least 32 (MINXIN__AUTH__JWT_SECRET)",
                    self.auth.jwt_secret.len()
                );
            }
        }
        if self.server.body_limit_bytes < 1024 {
            bail!("server.body_limit_bytes must be at least 1024");
        }
        if let Err(e) = self.photos.check() {
            bail!("{e}");
        }
        if !(1..=90).contains(&self.follow_up.window_days) {
            bail!("follow_up.window_days must be 1 to 90");
        }
        if let Err(e) = self.reports.weights.check() {
            bail!("{e}");
        }
        if !(1..=3660).contains(&self.reports.max_period_days) {
            bail!("reports.max_period_days must be 1 to 3660");
        }
        if let Err(e) = self.deadlines.check() {
            bail!("{e}");
        }
        if self.auth.token_ttl_minutes <= 0 {
            bail!("auth.token_ttl_minutes must be positive");
        }
        Ok(())
    }

    pub fn database_url(&self) -> anyhow::Result<&str> {
        self.database
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
            .context(
                "no database configured: set DATABASE_URL (e.g. postgres://user@localhost/minxin), \
             or run `minxin demo`, which starts a private PostgreSQL",
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in(env: Environment) -> Settings {
        Settings::load_from(env, Path::new("/nonexistent-config-dir"))
            .expect("built-in config loads")
    }

    #[test]
    fn built_in_files_load_for_every_environment() {
        let dev = built_in(Environment::Development);
        assert_eq!(dev.auth.jwt_secret, DEV_JWT_SECRET);
        assert!(dev.check().is_ok());
        let test = built_in(Environment::Test);
        assert!(!test.database.migrate_on_start);
        assert_eq!(dev.photos, crate::domain::photo::PhotoLimits::default());
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let prod = built_in(Environment::Production);
        let err = prod.check().expect_err("must refuse");
        assert!(err.to_string().contains("development JWT secret"), "{err}");

        let mut short = prod.clone();
        short.auth.jwt_secret = "short".into();
        assert!(short.check().is_err());

        let mut good = prod;
        good.auth.jwt_secret = "x".repeat(40);
        assert!(
            good.check().is_err(),
            "the access-code secret is still the development one"
        );
        good.auth.access_code_secret = "y".repeat(40);
        assert!(good.check().is_ok());
    }
}
