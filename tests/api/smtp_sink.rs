//! A real SMTP server for the tests: Debian's python3-aiosmtpd, writing every message it
//! accepts into a Maildir (`scripts/install-deps` installs it). One per test, on a free port,
//! killed when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// The distribution's Python: the one on PATH may be another without aiosmtpd.
const PYTHON: &str = "/usr/bin/python3";

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A folder of the test's own, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("minxin-{what}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct SmtpSink {
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl SmtpSink {
    /// Accepts every message, on a free port.
    pub fn start() -> SmtpSink {
        SmtpSink::start_on(free_port())
    }

    /// Accepts every message, on `port`.
    pub fn start_on(port: u16) -> SmtpSink {
        SmtpSink::spawn(port, None)
    }

    /// Refuses every recipient with a permanent error (550).
    pub fn refusing() -> SmtpSink {
        SmtpSink::spawn(free_port(), Some(REFUSING_HANDLER))
    }

    fn spawn(port: u16, handler: Option<&str>) -> SmtpSink {
        let dir = TempDir::new("smtp-sink");
        let maildir = dir.0.join("maildir");
        let log = std::fs::File::create(dir.0.join("sink.log")).expect("sink log");
        ensure_aiosmtpd();
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
        match handler {
            None => {
                cmd.args(["-c", "aiosmtpd.handlers.Mailbox"]).arg(&maildir);
            }
            Some(source) => {
                std::fs::write(dir.0.join("minxin_sink.py"), source).expect("handler module");
                cmd.env("PYTHONPATH", &dir.0)
                    .args(["-c", "minxin_sink.Refuse"]);
            }
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {PYTHON} -m aiosmtpd: {e}"));
        let mut sink = SmtpSink { port, child, dir };
        sink.wait_until_listening();
        sink
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.0.join("sink.log")).unwrap_or_default();
                panic!(
                    "the SMTP sink ended ({status}) before listening on port {}; is python3-aiosmtpd \
                     installed (scripts/install-deps)?\n{log}",
                    self.port
                );
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP sink did not listen on port {} within 20 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every message received so far, as the raw bytes the server wrote, oldest first.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        read_folder(&self.dir.0.join("maildir").join("new"), None)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The files of a folder (those ending in `extension`, when given), sorted by modification
/// time; none when the folder does not exist yet.
pub fn read_folder(dir: &Path, extension: Option<&str>) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| extension.is_none_or(|ext| p.extension().is_some_and(|e| e == ext)))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .iter()
        .map(|p| std::fs::read(p).expect("read a message file"))
        .collect()
}

const REFUSING_HANDLER: &str = r#"
class Refuse:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"
"#;

/// Installs Debian's python3-aiosmtpd once when it is missing (as the tests install PostgreSQL),
/// so that `cargo test` works on a fresh machine.
fn ensure_aiosmtpd() {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let importable = || {
        Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let ready = READY.get_or_init(|| {
        if importable() {
            return Ok(());
        }
        minxin::pgcluster::install_debian_packages(&["python3-aiosmtpd"], "the SMTP test server")
            .map_err(|e| format!("{e:#}"))?;
        if importable() {
            Ok(())
        } else {
            Err(format!(
                "{PYTHON} still cannot import aiosmtpd after installing python3-aiosmtpd"
            ))
        }
    });
    if let Err(e) = ready {
        panic!("the e-mail tests need a real SMTP server: {e}");
    }
}
