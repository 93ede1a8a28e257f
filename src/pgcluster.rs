//! A private PostgreSQL cluster, started from the machine's PostgreSQL binaries.
//!
//! Used by `minxin demo` (when no `DATABASE_URL` is given: a cluster in a data
//! folder of its own that persists between runs) and by the integration-test
//! harness (a throw-away cluster in a temp folder).
//!
//! How it works:
//!
//! * [`find_binaries`] locates `initdb` and `postgres` (see its docs); with
//!   [`ClusterOptions::allow_install`] a missing server is installed with
//!   `apt-get` ([`install_postgresql`]).
//! * `initdb` runs only when the data dir holds no cluster yet (no `PG_VERSION`).
//! * `postgres` listens on 127.0.0.1 only, on a free port chosen at every start
//!   (so [`PrivateCluster::url`] changes between runs), with trust
//!   authentication for the superuser given in the options. Its log is appended
//!   to `<data_dir>/postgres.log`.
//! * When the process runs as root (uid 0), `initdb` and `postgres` run as the
//!   `postgres` system user (through `runuser`, or `su` if `runuser` is
//!   missing), and the data dir is `chown`ed to that user.
//! * **postgres never outlives the process that started it.** It is launched by
//!   a small `sh` watchdog whose stdin is a pipe held by this process. When this
//!   process ends in any way (normal exit without destructors, panic,
//!   `kill -9`), the kernel closes the pipe, the watchdog's `read` returns and
//!   it sends postgres SIGINT (fast shutdown: clean, no recovery needed on the
//!   next start). The watchdog runs in its own process group, so a Ctrl-C in
//!   the terminal reaches only this process, not postgres directly.
//! * A throw-away cluster (tests) calls [`PrivateCluster::remove_data_dir_on_exit`]:
//!   the watchdog then deletes the data dir once postgres has ended, however
//!   this process ended.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// How long [`PrivateCluster::start`] waits for postgres to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stop waits for postgres to finish its fast shutdown.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// How often readiness / shutdown is polled.
const POLL: Duration = Duration::from_millis(50);
/// Attempts at starting when the chosen port was taken in the meantime.
const PORT_ATTEMPTS: usize = 3;
/// The system user that runs PostgreSQL when we are root.
const PG_SYSTEM_USER: &str = "postgres";
/// The log is moved to `postgres.log.old` when it grows past this at start.
const LOG_ROTATE_BYTES: u64 = 16 * 1024 * 1024;

/// The watchdog that runs postgres
/// (`sh -c WATCHDOG_SCRIPT pgcluster-watchdog <data_dir> <postgres> <args…>`).
///
/// Its stdin is a pipe whose only write end is held by the Rust process. It
/// starts postgres in the background (stdin /dev/null), then a helper reads the
/// pipe: EOF means the Rust side closed it ([`PrivateCluster::stop`]) or died,
/// and postgres gets SIGINT (fast shutdown). The shell waits for postgres and
/// exits with its status, so the watchdog process ending means postgres ended
/// (also when postgres dies on its own). A TERM/HUP/INT sent to the shell
/// itself also shuts postgres down (EXIT trap). Once postgres has ended, the
/// data dir is deleted if it holds the [`REMOVE_MARKER`] file.
const WATCHDOG_SCRIPT: &str = r#"datadir=$1
shift
exec 3<&0 </dev/null
"$@" 3<&- &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
{ read -r line <&3; kill -INT "$pid" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$pid"
status=$?
trap - EXIT
kill "$watcher" 2>/dev/null
if [ -e "$datadir/pgcluster.remove-on-exit" ]; then
    rm -rf -- "$datadir"
fi
exit "$status"
"#;

/// A file in the data dir asking the watchdog to delete the data dir once postgres
/// has ended ([`PrivateCluster::remove_data_dir_on_exit`]); the name is also in
/// [`WATCHDOG_SCRIPT`].
const REMOVE_MARKER: &str = "pgcluster.remove-on-exit";

/// What [`PrivateCluster::start`] needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Where the cluster lives. Created (with its parents) if missing; if it
    /// already holds a cluster (a `PG_VERSION` file) that cluster is reused,
    /// data and all. If it exists without a cluster it must be empty.
    pub data_dir: PathBuf,
    /// May we `apt-get install postgresql` when no PostgreSQL server binaries
    /// are found? (Needs root or password-less sudo.)
    pub allow_install: bool,
    /// The superuser role `initdb` creates, e.g. `"minxin"`; it is the user in
    /// [`PrivateCluster::url`]. Letters, digits, `_`, `-` and `.` only.
    /// Changing it for an existing data dir has no effect on the roles in it.
    pub superuser: String,
}

/// A running private PostgreSQL cluster.
///
/// Listens on `127.0.0.1:`[`port`](Self::port) with trust authentication.
/// Stop it with [`stop`](Self::stop) (or let it drop). Even if neither happens
/// (statics, `process::exit`, a crash, `kill -9`), postgres shuts itself down
/// once this process is gone; see the module docs.
#[derive(Debug)]
pub struct PrivateCluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    superuser: String,
    runner: Runner,
    watchdog: Option<Watchdog>,
    /// Set by [`remove_data_dir_on_exit`](Self::remove_data_dir_on_exit).
    remove_on_exit: bool,
}

/// The watchdog shell (possibly under `runuser`/`su`) and the write end of its stdin.
#[derive(Debug)]
struct Watchdog {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl PrivateCluster {
    /// Finds (or, if allowed, installs) PostgreSQL, creates the cluster if
    /// `data_dir` holds none, starts postgres on a free port and waits until
    /// it accepts connections (at most 30 s).
    ///
    /// Takes about 1–3 s with a new data dir (initdb) and well under a second
    /// with an existing one. Fails with a clear message when another postgres
    /// is still running on the same data dir.
    pub fn start(opts: &ClusterOptions) -> Result<PrivateCluster> {
        validate_superuser(&opts.superuser)?;
        let mut bin_dir = match find_binaries() {
            Some(dir) => dir,
            None if opts.allow_install => {
                install_postgresql()?;
                find_binaries().ok_or_else(|| {
                    anyhow!(
                        "PostgreSQL was installed, but its server binaries (initdb, postgres) \
                         are still not found (looked at `pg_config --bindir`, \
                         /usr/lib/postgresql/<N>/bin and PATH)"
                    )
                })?
            }
            None => bail!(
                "no PostgreSQL server binaries (initdb, postgres) found (looked at \
                 `pg_config --bindir`, /usr/lib/postgresql/<N>/bin and PATH); install them, \
                 e.g. `sudo apt-get install -y postgresql`, or set DATABASE_URL to an existing \
                 database"
            ),
        };

        fs::create_dir_all(&opts.data_dir)
            .with_context(|| format!("cannot create the data dir {}", opts.data_dir.display()))?;
        let data_dir = fs::canonicalize(&opts.data_dir)
            .with_context(|| format!("cannot resolve the data dir {}", opts.data_dir.display()))?;
        let data_str = path_str(&data_dir)?.to_owned();

        // Checked before anything is chown'ed: never take over an unrelated folder.
        let has_cluster = data_dir.join("PG_VERSION").exists();
        if !has_cluster {
            let non_empty = fs::read_dir(&data_dir)
                .with_context(|| format!("cannot read the data dir {}", data_dir.display()))?
                .next()
                .is_some();
            if non_empty {
                bail!(
                    "the data dir {} is not empty but holds no PostgreSQL cluster (no PG_VERSION); \
                     empty or remove it, or choose another data dir",
                    data_dir.display()
                );
            }
        }

        let runner = Runner::detect()?;
        if runner.is_switched() {
            chown_to_postgres(&data_dir)?;
            runner.check_access(&data_dir)?;
        }

        if has_cluster {
            bin_dir = binaries_for_existing_cluster(&data_dir, bin_dir)?;
        } else {
            tracing::info!(data_dir = %data_dir.display(), "creating a new PostgreSQL cluster (initdb)");
            let initdb = path_str(&bin_dir.join("initdb"))?.to_owned();
            let args: Vec<String> = [
                "-D",
                &data_str,
                "-U",
                &opts.superuser,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            let out = runner
                .command(&initdb, &args)
                .current_dir(&data_dir)
                .stdin(Stdio::null())
                .output()
                .with_context(|| format!("cannot run {initdb}"))?;
            if !out.status.success() {
                bail!(
                    "initdb failed ({}) for data dir {}:\n{}{}",
                    out.status,
                    data_dir.display(),
                    String::from_utf8_lossy(&out.stderr),
                    tail_lines(&String::from_utf8_lossy(&out.stdout), 10)
                );
            }
        }

        let mut cluster = PrivateCluster {
            data_dir,
            bin_dir,
            port: 0,
            superuser: opts.superuser.clone(),
            runner,
            watchdog: None,
            remove_on_exit: false,
        };
        cluster.clear_stale_pid_file()?;
        let log = cluster.open_log()?;

        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match cluster.launch(&log) {
                Ok(()) => break,
                Err(Launch::PortTaken(msg)) if attempt < PORT_ATTEMPTS => {
                    tracing::info!(
                        port = cluster.port,
                        "port was taken meanwhile, retrying: {msg}"
                    );
                }
                Err(Launch::PortTaken(msg)) | Err(Launch::Failed(msg)) => {
                    return Err(anyhow!(msg));
                }
            }
        }
        tracing::info!(
            port = cluster.port,
            data_dir = %cluster.data_dir.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "private PostgreSQL is ready"
        );
        Ok(cluster)
    }

    /// `postgres://<superuser>@127.0.0.1:<port>/<dbname>` (trust auth, no password).
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            self.superuser, self.port, dbname
        )
    }

    /// The TCP port postgres listens on (127.0.0.1 only). Chosen anew at every start.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the PostgreSQL binaries in use (`initdb`, `postgres`,
    /// usually also `psql`, `pg_dump`, `createdb`, …).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The (canonical) data directory of the cluster.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file postgres' own log is appended to: `<data_dir>/postgres.log`.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }

    /// Makes the cluster throw-away: once postgres has shut down — by
    /// [`stop`](Self::stop), drop, or because this process ended in any way —
    /// the whole data dir is deleted. Meant for test clusters in a temp dir that
    /// live in a static (never dropped); don't use it on the demo's data dir.
    pub fn remove_data_dir_on_exit(&mut self) -> Result<()> {
        let marker = self.data_dir.join(REMOVE_MARKER);
        fs::write(&marker, "the data dir is deleted when its postgres stops\n")
            .with_context(|| format!("cannot write {}", marker.display()))?;
        self.remove_on_exit = true;
        Ok(())
    }

    /// Fast shutdown (SIGINT: open sessions are ended, data is checkpointed),
    /// waiting until postgres is gone (at most about 15 s, then it is killed
    /// and an error returned).
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    /// Opens (creating, maybe rotating) `postgres.log` for appending.
    fn open_log(&self) -> Result<File> {
        let path = self.log_file();
        if fs::metadata(&path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
            let _ = fs::rename(&path, self.data_dir.join("postgres.log.old"));
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        if self.runner.is_switched() {
            // Not needed for postgres to write (it inherits the open file), but keeps
            // the data dir uniformly owned by the postgres user.
            let _ = run_quiet(
                Command::new("chown")
                    .arg(format!("{PG_SYSTEM_USER}:"))
                    .arg(&path),
            );
        }
        Ok(log)
    }

    /// Picks a port, spawns the watchdog and waits until postgres is ready.
    fn launch(&mut self, log: &File) -> std::result::Result<(), Launch> {
        let failed = |e: anyhow::Error| Launch::Failed(format!("{e:#}"));
        self.port = free_port().map_err(failed)?;
        let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);

        let data = path_str(&self.data_dir).map_err(failed)?.to_owned();
        // A Unix socket path must fit in sun_path (108 bytes incl. NUL, and the
        // lock file adds ".lock"); a comma would split the list. Else: no socket.
        let socket_dir =
            if data.len() + ".s.PGSQL.65535.lock".len() + 2 <= 107 && !data.contains(',') {
                data.clone()
            } else {
                String::new()
            };
        let postgres = path_str(&self.bin_dir.join("postgres"))
            .map_err(failed)?
            .to_owned();
        let mut args: Vec<String> = vec![
            "-c".into(),
            WATCHDOG_SCRIPT.into(),
            "pgcluster-watchdog".into(),
            data.clone(),
        ];
        args.push(postgres);
        for a in [
            "-D".to_owned(),
            data,
            "-p".to_owned(),
            self.port.to_string(),
            "-c".to_owned(),
            "listen_addresses=127.0.0.1".to_owned(),
            "-c".to_owned(),
            format!("unix_socket_directories={socket_dir}"),
            "-c".to_owned(),
            "max_connections=200".to_owned(),
            "-c".to_owned(),
            "shared_buffers=128MB".to_owned(),
        ] {
            args.push(a);
        }

        let out = log.try_clone().map_err(|e| failed(e.into()))?;
        let err = log.try_clone().map_err(|e| failed(e.into()))?;
        let sh = if Path::new("/bin/sh").exists() {
            "/bin/sh"
        } else {
            "sh"
        };
        let mut cmd = self.runner.command(sh, &args);
        cmd.current_dir(&self.data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            // Own process group: a terminal's Ctrl-C goes to us, not to postgres;
            // we end, the pipe closes, and postgres shuts down in order.
            .process_group(0);
        tracing::debug!(port = self.port, "starting postgres: {cmd:?}");
        let mut child = cmd
            .spawn()
            .map_err(|e| Launch::Failed(format!("cannot start postgres through {sh}: {e}")))?;
        let stdin = child.stdin.take();
        self.watchdog = Some(Watchdog { child, stdin });

        match self.wait_ready(log_offset) {
            Ok(()) => Ok(()),
            Err(e) => {
                if let Err(stop_err) = self.shutdown() {
                    tracing::warn!("while giving up on postgres: {stop_err:#}");
                }
                Err(e)
            }
        }
    }

    /// Polls until postgres reports ready in `postmaster.pid`, accepts a TCP
    /// connection and (if present) `pg_isready` agrees.
    fn wait_ready(&mut self, log_offset: u64) -> std::result::Result<(), Launch> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pg_isready = self.bin_dir.join("pg_isready");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            let exited = match self.watchdog.as_mut() {
                Some(w) => w
                    .child
                    .try_wait()
                    .map_err(|e| Launch::Failed(format!("cannot watch postgres: {e}")))?,
                None => return Err(Launch::Failed("postgres watchdog is gone".into())),
            };
            if let Some(status) = exited {
                self.watchdog = None;
                let new_log = read_log_from(&self.log_file(), log_offset);
                let msg = format!(
                    "postgres exited during startup ({}) for data dir {}; last lines of {}:\n{}",
                    status,
                    self.data_dir.display(),
                    self.log_file().display(),
                    tail_lines(&new_log, 25)
                );
                if new_log.contains("could not bind")
                    || new_log.contains("could not create any TCP/IP sockets")
                {
                    return Err(Launch::PortTaken(msg));
                }
                return Err(Launch::Failed(msg));
            }

            if self.pid_file_says_ready()
                && TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
                && (!pg_isready.is_file() || self.pg_isready_ok(&pg_isready))
            {
                return Ok(());
            }

            if Instant::now() >= deadline {
                return Err(Launch::Failed(format!(
                    "postgres did not become ready within {} s on port {} (data dir {}); last lines of {}:\n{}",
                    READY_TIMEOUT.as_secs(),
                    self.port,
                    self.data_dir.display(),
                    self.log_file().display(),
                    tail_lines(&read_log_from(&self.log_file(), log_offset), 25)
                )));
            }
            sleep(POLL);
        }
    }

    /// `postmaster.pid` names our port and says "ready" (PostgreSQL >= 10).
    fn pid_file_says_ready(&self) -> bool {
        let Ok(text) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let lines: Vec<&str> = text.lines().collect();
        let port_ok = lines
            .get(3)
            .is_some_and(|p| p.trim() == self.port.to_string());
        // Line 8 is the postmaster status (PostgreSQL >= 10): "starting", "ready", "stopping".
        let status_ok = lines.get(7).is_some_and(|s| s.trim() == "ready");
        port_ok && status_ok
    }

    fn pg_isready_ok(&self, pg_isready: &Path) -> bool {
        let mut cmd = Command::new(pg_isready);
        cmd.args(["-q", "-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", &self.superuser, "-d", "postgres", "-t", "2"]);
        // Only the arguments count: no PGSSLMODE, PGHOSTADDR, PGSERVICE… from our environment.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        run_quiet(&mut cmd).is_ok_and(|s| s.success())
    }

    /// Removes `postmaster.pid` left by a crashed run; fails if its postmaster still runs.
    fn clear_stale_pid_file(&self) -> Result<()> {
        let pid_file = self.data_dir.join("postmaster.pid");
        match self.postmaster_state() {
            PmState::NoPidFile => Ok(()),
            PmState::Stale(pid) => {
                tracing::info!(
                    data_dir = %self.data_dir.display(),
                    "removing stale postmaster.pid (pid {pid:?} is not running)"
                );
                fs::remove_file(&pid_file)
                    .with_context(|| format!("cannot remove stale {}", pid_file.display()))
            }
            PmState::Alive(pid) => bail!(
                "PostgreSQL (pid {pid}) is already running on the data dir {}: another `minxin demo` \
                 (or another program) is using it. Stop that one first, or use a different data dir.",
                self.data_dir.display()
            ),
            // Can't tell: leave it to postgres, which refuses to start if it's live.
            PmState::Unknown => Ok(()),
        }
    }

    /// Is the postmaster named in `postmaster.pid` running on this data dir?
    fn postmaster_state(&self) -> PmState {
        let pid_file = self.data_dir.join("postmaster.pid");
        let text = match fs::read_to_string(&pid_file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return PmState::NoPidFile,
            Err(_) => return PmState::Unknown,
        };
        let Some(pid) = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<u32>().ok())
            .filter(|p| *p > 0)
        else {
            return PmState::Stale(None);
        };
        if Path::new("/proc/self").exists() {
            let proc_dir = PathBuf::from(format!("/proc/{pid}"));
            if !proc_dir.exists() || is_zombie(&proc_dir) {
                return PmState::Stale(Some(pid));
            }
            // A postmaster's working directory is its data dir. A process we may not
            // inspect belongs to another user, who cannot run postgres on our data dir.
            return match fs::read_link(proc_dir.join("cwd")) {
                Ok(cwd) if cwd == self.data_dir => PmState::Alive(pid),
                Ok(_) => PmState::Stale(Some(pid)),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    PmState::Stale(Some(pid))
                }
                Err(_) if !proc_dir.exists() => PmState::Stale(Some(pid)),
                Err(_) => PmState::Unknown,
            };
        }
        // No /proc: ask pg_ctl (exit 0 = running, 3 = not running).
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let (Ok(pg_ctl), Ok(data)) = (path_str(&pg_ctl), path_str(&self.data_dir)) else {
            return PmState::Unknown;
        };
        if !Path::new(pg_ctl).is_file() {
            return PmState::Unknown;
        }
        let mut cmd = self.runner.command(
            pg_ctl,
            &["status".to_owned(), "-D".to_owned(), data.to_owned()],
        );
        cmd.current_dir(&self.data_dir);
        match run_quiet(&mut cmd).map(|s| s.code()) {
            Ok(Some(0)) => PmState::Alive(pid),
            Ok(Some(3)) => PmState::Stale(Some(pid)),
            _ => PmState::Unknown,
        }
    }

    /// Closes the watchdog's pipe (→ SIGINT, fast shutdown) and waits for postgres to end.
    fn shutdown(&mut self) -> Result<()> {
        let Some(mut wd) = self.watchdog.take() else {
            return Ok(());
        };
        drop(wd.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        let mut child_done = false;
        let mut signalled = false;
        loop {
            if !child_done {
                match wd.child.try_wait() {
                    Ok(Some(_)) => child_done = true,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!("cannot wait for the postgres watchdog: {e}");
                        child_done = true;
                    }
                }
            }
            // The watchdog ends after postgres; still, make sure the postmaster is gone
            // (it removes postmaster.pid as it exits).
            if child_done {
                match self.postmaster_state() {
                    PmState::NoPidFile | PmState::Stale(_) => {
                        tracing::info!(data_dir = %self.data_dir.display(), "private PostgreSQL stopped");
                        if self.remove_on_exit && self.data_dir.exists() {
                            fs::remove_dir_all(&self.data_dir).with_context(|| {
                                format!("cannot remove the data dir {}", self.data_dir.display())
                            })?;
                        }
                        return Ok(());
                    }
                    // The watchdog died before postgres (someone killed it): ask directly.
                    PmState::Alive(pid) if !signalled => {
                        signalled = true;
                        let _ = run_quiet(Command::new("kill").args(["-INT", &pid.to_string()]));
                    }
                    _ => {}
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            sleep(POLL);
        }

        // Too slow: immediate shutdown (SIGQUIT), then SIGKILL.
        let pid = match self.postmaster_state() {
            PmState::Alive(pid) => Some(pid),
            _ => None,
        };
        if let Some(pid) = pid {
            let _ = run_quiet(Command::new("kill").args(["-QUIT", &pid.to_string()]));
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until && matches!(self.postmaster_state(), PmState::Alive(_)) {
                sleep(POLL);
            }
            if matches!(self.postmaster_state(), PmState::Alive(_)) {
                let _ = run_quiet(Command::new("kill").args(["-KILL", &pid.to_string()]));
            }
        }
        if !child_done {
            let _ = wd.child.kill();
            let _ = wd.child.wait();
        }
        Err(anyhow!(
            "postgres (data dir {}) did not shut down within {} s; it was killed",
            self.data_dir.display(),
            STOP_TIMEOUT.as_secs()
        ))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!("stopping the private PostgreSQL: {e:#}");
        }
    }
}

/// Why a launch attempt failed.
#[derive(Debug)]
enum Launch {
    /// Someone took our port between choosing it and postgres binding it: retry.
    PortTaken(String),
    Failed(String),
}

/// What `postmaster.pid` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PmState {
    NoPidFile,
    /// Left by a postmaster that is gone (pid, if the file named one).
    Stale(Option<u32>),
    Alive(u32),
    Unknown,
}

/// How server commands are run: directly, or as the postgres system user (we are root).
#[derive(Debug, Clone)]
enum Runner {
    Direct,
    Runuser(PathBuf),
    Su(PathBuf),
}

impl Runner {
    /// Direct unless we are root; as root, the postgres user must exist.
    fn detect() -> Result<Runner> {
        if !is_root() {
            return Ok(Runner::Direct);
        }
        let user_exists =
            run_quiet(Command::new("id").args(["-u", PG_SYSTEM_USER])).is_ok_and(|s| s.success());
        if !user_exists {
            bail!(
                "running as root, but initdb and postgres refuse to run as root and there is no \
                 `{PG_SYSTEM_USER}` system user to run them as; install the PostgreSQL package \
                 (it creates that user: `apt-get install -y postgresql`), run as a normal user, \
                 or set DATABASE_URL"
            );
        }
        if let Some(runuser) = which("runuser") {
            Ok(Runner::Runuser(runuser))
        } else if let Some(su) = which("su") {
            Ok(Runner::Su(su))
        } else {
            bail!(
                "running as root, but neither `runuser` nor `su` is available to run PostgreSQL as \
                 the `{PG_SYSTEM_USER}` user; run as a normal user or set DATABASE_URL"
            )
        }
    }

    fn is_switched(&self) -> bool {
        !matches!(self, Runner::Direct)
    }

    /// `program args…`, run as the right user.
    fn command(&self, program: &str, args: &[String]) -> Command {
        match self {
            Runner::Direct => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Runner::Runuser(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", PG_SYSTEM_USER, "--", program]).args(args);
                c
            }
            Runner::Su(su) => {
                let mut line = format!("exec {}", sh_quote(program));
                for a in args {
                    line.push(' ');
                    line.push_str(&sh_quote(a));
                }
                let mut c = Command::new(su);
                c.args([PG_SYSTEM_USER, "-s", "/bin/sh", "-c"]).arg(line);
                c
            }
        }
    }

    /// Can the postgres user enter and write `dir`? If not, say which ancestor blocks it.
    fn check_access(&self, dir: &Path) -> Result<()> {
        let dir_s = path_str(dir)?.to_owned();
        let ok = |test_args: &[&str]| {
            let args: Vec<String> = test_args.iter().map(|s| (*s).to_owned()).collect();
            let mut cmd = self.command("test", &args);
            cmd.current_dir("/");
            run_quiet(&mut cmd).is_ok_and(|s| s.success())
        };
        if ok(&["-d", &dir_s, "-a", "-x", &dir_s, "-a", "-w", &dir_s]) {
            return Ok(());
        }
        let ancestors: Vec<&Path> = dir.ancestors().skip(1).collect();
        for anc in ancestors.into_iter().rev() {
            let Ok(a) = path_str(anc) else { continue };
            if !ok(&["-x", a]) {
                let (mode, uid) = fs::metadata(anc)
                    .map(|m| (m.permissions().mode() & 0o7777, m.uid()))
                    .unwrap_or((0, 0));
                bail!(
                    "the data dir {} is not reachable by the `{PG_SYSTEM_USER}` system user (which \
                     runs PostgreSQL because we run as root): it cannot enter {} (mode {:o}, owner \
                     uid {}). Use a data dir under /tmp or another world-traversable place, or \
                     `chmod o+x {}`",
                    dir.display(),
                    anc.display(),
                    mode,
                    uid,
                    anc.display()
                );
            }
        }
        bail!(
            "the data dir {} is not writable by the `{PG_SYSTEM_USER}` system user even after \
             `chown -R {PG_SYSTEM_USER}:` (a read-only or foreign file system?)",
            dir.display()
        )
    }
}

/// The directory holding the PostgreSQL server binaries `initdb` and `postgres`
/// (normally `pg_ctl`, `pg_isready`, `psql` too).
///
/// Looks, in order, at `pg_config --bindir`, the highest-numbered
/// `/usr/lib/postgresql/<N>/bin` (Debian/Ubuntu), and the directory of an
/// `initdb` on `PATH`.
pub fn find_binaries() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server_binaries(&dir) {
            return Some(dir);
        }
    }
    if let Some(dir) = debian_bin_dirs().into_iter().map(|(_, d)| d).next() {
        return Some(dir);
    }
    let initdb = which("initdb")?;
    let dir = initdb.parent()?.to_path_buf();
    has_server_binaries(&dir).then_some(dir)
}

/// Installs the PostgreSQL server with `apt-get` (Debian/Ubuntu), as root or
/// through password-less `sudo -n`; otherwise fails, naming the command to run.
///
/// Note: the Debian package also creates (and, where services can start, starts)
/// a system cluster on port 5432; [`PrivateCluster`] does not use it.
pub fn install_postgresql() -> Result<()> {
    if which("apt-get").is_none() {
        bail!(
            "PostgreSQL is not installed and this system has no apt-get to install it with; \
             install the PostgreSQL server (initdb, postgres) with your package manager, or set \
             DATABASE_URL to an existing database"
        );
    }
    install_debian_packages(&["postgresql"], "PostgreSQL").context(
        "install PostgreSQL by hand (`sudo apt-get install -y postgresql`) or set DATABASE_URL",
    )
}

/// Installs distribution packages with `apt-get` (Debian/Ubuntu), as root or through
/// password-less `sudo -n`; otherwise fails, naming the command to run. `what` names them for
/// people (e.g. "PostgreSQL").
pub fn install_debian_packages(packages: &[&str], what: &str) -> Result<()> {
    let list = packages.join(" ");
    if which("apt-get").is_none() {
        bail!("{what} is not installed and this system has no apt-get to install {list} with");
    }
    let use_sudo = if is_root() {
        false
    } else if which("sudo").is_some()
        && run_quiet(Command::new("sudo").args(["-n", "true"])).is_ok_and(|s| s.success())
    {
        true
    } else {
        bail!(
            "{what} is not installed, and installing it needs root. Run:\n    \
             sudo apt-get update && sudo apt-get install -y {list}\n\
             and try again"
        );
    };
    let via = if use_sudo { " (through sudo)" } else { "" };
    let mut install = vec!["install", "-y"];
    install.extend_from_slice(packages);
    for args in [&["update"][..], &install[..]] {
        eprintln!(
            "Installing {what}: running `apt-get {}`{via} …",
            args.join(" ")
        );
        tracing::info!("running apt-get {}{via}", args.join(" "));
        let mut cmd = if use_sudo {
            let mut c = Command::new("sudo");
            c.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            let mut c = Command::new("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        cmd.args(args).stdin(Stdio::null());
        // apt's progress goes to our stderr, keeping our stdout clean.
        if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
            cmd.stdout(Stdio::from(fd));
        }
        let status = cmd.status().context("cannot run apt-get")?;
        if !status.success() {
            bail!("`apt-get {}`{via} failed ({status})", args.join(" "));
        }
    }
    eprintln!("{what} installed.");
    Ok(())
}

/// `/usr/lib/postgresql/<N>/bin` dirs with server binaries, highest version first.
fn debian_bin_dirs() -> Vec<(String, PathBuf)> {
    let mut found: Vec<((u32, u32), String, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(key) = parse_version(&name) else {
                continue;
            };
            let bin = entry.path().join("bin");
            if has_server_binaries(&bin) {
                found.push((key, name, bin));
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found
        .into_iter()
        .map(|(_, name, dir)| (name, dir))
        .collect()
}

/// "15" → (15, 0), "9.6" → (9, 6).
fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

/// The major version of `bin_dir/postgres` as PG_VERSION spells it ("15", "9.6").
fn binaries_major_version(bin_dir: &Path) -> Option<String> {
    let out = Command::new(bin_dir.join("postgres"))
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // "postgres (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .skip_while(|w| *w != "(PostgreSQL)")
        .nth(1)?;
    let nums: Vec<&str> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let major: u32 = nums.first()?.parse().ok()?;
    if major >= 10 {
        Some(major.to_string())
    } else {
        Some(format!("{major}.{}", nums.get(1)?))
    }
}

/// The data dir was made by PostgreSQL `PG_VERSION`: use binaries of that major version.
fn binaries_for_existing_cluster(data_dir: &Path, found: PathBuf) -> Result<PathBuf> {
    let wanted = fs::read_to_string(data_dir.join("PG_VERSION"))
        .with_context(|| format!("cannot read {}/PG_VERSION", data_dir.display()))?
        .trim()
        .to_owned();
    let have = binaries_major_version(&found);
    if have.as_deref() == Some(wanted.as_str()) || have.is_none() {
        return Ok(found);
    }
    if let Some((_, dir)) = debian_bin_dirs()
        .into_iter()
        .find(|(name, _)| *name == wanted)
    {
        return Ok(dir);
    }
    bail!(
        "the data dir {} holds a PostgreSQL {wanted} cluster, but the PostgreSQL binaries found \
         ({}) are version {}; install PostgreSQL {wanted} (e.g. `apt-get install postgresql-{wanted}`) \
         or remove the data dir to start afresh",
        data_dir.display(),
        found.display(),
        have.unwrap_or_default()
    )
}

fn has_server_binaries(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

/// The first `name` on PATH that is a file.
fn which(name: &str) -> Option<PathBuf> {
    let path =
        std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    // runuser lives in /usr/sbin, which a normal user's PATH may lack.
    for extra in ["/usr/sbin", "/sbin"] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Is the effective uid 0? (`id -u`; else the owner of /proc/self.)
pub fn is_root() -> bool {
    if let Ok(out) = Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        && let Ok(uid) = String::from_utf8_lossy(&out.stdout).trim().parse::<u32>()
    {
        return uid == 0;
    }
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Has the process of this `/proc/<pid>` dir exited (zombie, not yet reaped)?
fn is_zombie(proc_dir: &Path) -> bool {
    // "pid (comm) S …": the state follows the last ')'.
    fs::read_to_string(proc_dir.join("stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
    })
}

fn chown_to_postgres(dir: &Path) -> Result<()> {
    let out = Command::new("chown")
        .arg("-R")
        .arg(format!("{PG_SYSTEM_USER}:"))
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .context("cannot run chown")?;
    if !out.status.success() {
        bail!(
            "cannot hand the data dir {} to the `{PG_SYSTEM_USER}` user (chown -R failed: {})",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn validate_superuser(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        bail!("invalid superuser name {name:?}: use 1-63 letters, digits, '_', '-' or '.'");
    }
    Ok(())
}

/// A free TCP port on 127.0.0.1 (bind port 0, read it, release it).
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free TCP port")?;
    Ok(listener.local_addr()?.port())
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("path {} is not valid UTF-8", p.display()))
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs with all standard streams on /dev/null.
fn run_quiet(cmd: &mut Command) -> std::io::Result<ExitStatus> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
}

/// The log written since `offset` (at most the last 64 KiB).
fn read_log_from(path: &Path, offset: u64) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = offset.max(len.saturating_sub(64 * 1024)).min(len);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_ok() {
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = lines[from..].join("\n");
    if out.is_empty() {
        out.push_str("(nothing logged)");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// A unique directory under the temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            TempDir(
                std::env::temp_dir()
                    .join(format!("pgcluster-{tag}-{}-{nanos}", std::process::id())),
            )
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn opts(dir: &Path) -> ClusterOptions {
        ClusterOptions {
            data_dir: dir.to_path_buf(),
            allow_install: false,
            superuser: "minxin".into(),
        }
    }

    fn pid_alive(pid: u32) -> bool {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        proc_dir.exists() && !is_zombie(&proc_dir)
    }

    fn postmaster_pid(data: &Path) -> u32 {
        let text = fs::read_to_string(data.join("postmaster.pid")).expect("postmaster.pid");
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("pid in postmaster.pid")
    }

    fn wait_gone(pid: u32, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if !pid_alive(pid) {
                return true;
            }
            sleep(POLL);
        }
        !pid_alive(pid)
    }

    #[test]
    fn start_restart_reuse_and_stop() {
        let tmp = TempDir::new("restart");
        let data = tmp.0.join("nested").join("data");
        let cluster = PrivateCluster::start(&opts(&data)).expect("first start");
        let data = fs::canonicalize(&data).expect("canonical data dir");
        assert!(data.join("PG_VERSION").is_file());
        assert_eq!(cluster.data_dir(), data);
        assert!(cluster.bin_dir().join("postgres").is_file());
        let port = cluster.port();
        assert_eq!(
            cluster.url("appeals"),
            format!("postgres://minxin@127.0.0.1:{port}/appeals")
        );
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect to the private postgres");
        let pid = postmaster_pid(&data);
        assert!(pid_alive(pid));

        // A second start on the same data dir while the first runs must refuse, naming the dir.
        let err = PrivateCluster::start(&opts(&data)).expect_err("second start on a live data dir");
        let msg = format!("{err:#}");
        assert!(
            msg.contains("already running") && msg.contains(&data.display().to_string()),
            "{msg}"
        );

        cluster.stop().expect("stop");
        assert!(!pid_alive(pid), "postmaster {pid} still alive after stop");
        assert!(!data.join("postmaster.pid").exists());

        // Restart on the same dir: no initdb (it would refuse a non-empty dir anyway).
        let version_mtime = fs::metadata(data.join("PG_VERSION"))
            .and_then(|m| m.modified())
            .expect("mtime");
        let cluster = PrivateCluster::start(&opts(&data)).expect("restart");
        assert_eq!(
            fs::metadata(data.join("PG_VERSION"))
                .and_then(|m| m.modified())
                .expect("mtime"),
            version_mtime
        );
        TcpStream::connect((Ipv4Addr::LOCALHOST, cluster.port())).expect("connect after restart");
        let pid = postmaster_pid(&data);
        drop(cluster); // Drop stops it, too.
        assert!(!pid_alive(pid), "postmaster {pid} still alive after drop");
        assert!(!data.join("postmaster.pid").exists());
        let log = fs::read_to_string(data.join("postgres.log")).expect("postgres.log");
        assert!(
            log.contains("database system is ready to accept connections"),
            "{log}"
        );

        // Throw-away: stop deletes the data dir.
        let mut cluster = PrivateCluster::start(&opts(&data)).expect("third start");
        cluster.remove_data_dir_on_exit().expect("mark throw-away");
        cluster.stop().expect("stop throw-away");
        assert!(!data.exists(), "the throw-away data dir is gone after stop");
    }

    #[test]
    fn stale_pid_file_is_removed() {
        let tmp = TempDir::new("stale");
        PrivateCluster::start(&opts(&tmp.0))
            .expect("start")
            .stop()
            .expect("stop");
        // A postmaster.pid naming a process that has ended, as after a crash.
        let mut gone = Command::new("true").spawn().expect("spawn true");
        let dead_pid = gone.id();
        gone.wait().expect("wait true");
        let pid_file = tmp.0.join("postmaster.pid");
        fs::write(
            &pid_file,
            format!(
                "{dead_pid}\n{}\n1700000000\n5999\n\n\n0 0\nready   \n",
                tmp.0.display()
            ),
        )
        .expect("write fake pid file");
        let cluster = PrivateCluster::start(&opts(&tmp.0)).expect("start over a stale pid file");
        assert_ne!(postmaster_pid(&tmp.0), dead_pid);
        TcpStream::connect((Ipv4Addr::LOCALHOST, cluster.port())).expect("connect");
        cluster.stop().expect("stop");
    }

    #[test]
    fn runners_switch_user_and_keep_arguments_intact() {
        let tricky = "it's a \"test\" $HOME `x` \\ ;";
        let args = vec![
            "%s|%s".to_owned(),
            tricky.to_owned(),
            "two words".to_owned(),
        ];
        let mut runners = vec![(Runner::Direct, None)];
        if is_root() {
            if let Some(r) = which("runuser") {
                runners.push((Runner::Runuser(r), Some(PG_SYSTEM_USER)));
            }
            if let Some(s) = which("su") {
                runners.push((Runner::Su(s), Some(PG_SYSTEM_USER)));
            }
        }
        for (runner, user) in runners {
            let out = runner
                .command("printf", &args)
                .current_dir("/")
                .output()
                .expect("run printf");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("{tricky}|two words"),
                "{runner:?}"
            );
            if let Some(user) = user {
                let out = runner
                    .command("id", &["-un".to_owned()])
                    .current_dir("/")
                    .output()
                    .expect("run id");
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    user,
                    "{runner:?}"
                );
            }
        }
    }

    #[test]
    fn superuser_name_is_checked() {
        let tmp = TempDir::new("badname");
        let mut o = opts(&tmp.0);
        o.superuser = "x'; drop".into();
        assert!(PrivateCluster::start(&o).is_err());
        assert!(!tmp.0.exists(), "nothing is created for a bad name");
    }

    const CHILD_ENV: &str = "PGCLUSTER_TEST_CHILD_DIR";
    const CHILD_MODE_ENV: &str = "PGCLUSTER_TEST_CHILD_MODE";

    /// Run by `postgres_does_not_outlive_its_owner` in a child process; a no-op otherwise.
    #[test]
    fn owner_process_helper() {
        let Some(dir) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let mode = std::env::var(CHILD_MODE_ENV).unwrap_or_default();
        let mut cluster = PrivateCluster::start(&opts(Path::new(&dir))).expect("child: start");
        if mode == "kill-remove" {
            cluster
                .remove_data_dir_on_exit()
                .expect("child: mark throw-away");
        }
        println!(
            "READY {} {}",
            cluster.port(),
            postmaster_pid(cluster.data_dir())
        );
        if mode == "exit" {
            // Exit without running any destructor, as a test binary does with statics.
            std::process::exit(0);
        }
        sleep(Duration::from_secs(120));
    }

    /// Starts a cluster in a child process, ends that process without any
    /// cleanup (kill -9, then process::exit) and checks postgres goes away.
    #[test]
    fn postgres_does_not_outlive_its_owner() {
        let tmp = TempDir::new("owner");
        let test_name = format!(
            "{}::owner_process_helper",
            module_path!()
                .split_once("::")
                .map(|(_, rest)| rest)
                .unwrap_or(module_path!())
        );
        // "kill-remove" last: it deletes the data dir.
        for mode in ["kill", "exit", "kill-remove"] {
            let mut child = Command::new(std::env::current_exe().expect("current exe"))
                .args([
                    test_name.as_str(),
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &tmp.0)
                .env(CHILD_MODE_ENV, mode)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn helper");
            let stdout = child.stdout.take().expect("helper stdout");
            let mut ready = None;
            for line in BufReader::new(stdout).lines() {
                let line = line.expect("read helper output");
                // libtest prints "test … ... " on the same line first.
                if let Some((_, rest)) = line.split_once("READY ") {
                    ready = Some(rest.to_owned());
                    break;
                }
            }
            let ready = ready.expect("helper reported READY");
            let mut parts = ready.split_whitespace();
            let port: u16 = parts.next().and_then(|p| p.parse().ok()).expect("port");
            let pid: u32 = parts.next().and_then(|p| p.parse().ok()).expect("pid");
            TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .expect("connect to the helper's postgres");
            assert!(pid_alive(pid));
            if mode.starts_with("kill") {
                child.kill().expect("kill -9 the helper");
            }
            child.wait().expect("reap helper");
            assert!(
                wait_gone(pid, Duration::from_secs(10)),
                "postgres {pid} outlived its owner ({mode})"
            );
            assert!(
                !tmp.0.join("postmaster.pid").exists(),
                "fast shutdown removes postmaster.pid ({mode})"
            );
        }
        // The watchdog deletes it right after postgres has ended.
        let until = Instant::now() + Duration::from_secs(10);
        while tmp.0.exists() && Instant::now() < until {
            sleep(POLL);
        }
        assert!(!tmp.0.exists(), "a throw-away data dir is deleted");
    }
}
