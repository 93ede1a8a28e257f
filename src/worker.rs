//! A periodic background job on its own thread, for `minxin serve` (the mail sender, the
//! deadline scanner). Blocking work — diesel, SMTP — runs there, away from the async workers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running periodic job. [`Worker::stop`] ends it; dropping it without `stop` also ends the
/// loop after the run in progress, without waiting for it.
pub struct Worker {
    name: &'static str,
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

/// Runs `job` now and then every `interval` (measured from the end of one run to the start of
/// the next) on a dedicated thread named `minxin-{name}`. A panic in one run is logged and the
/// next run happens as scheduled. An interval of zero is treated as one millisecond.
pub fn spawn_periodic(
    name: &'static str,
    interval: Duration,
    mut job: impl FnMut() + Send + 'static,
) -> Worker {
    let interval = interval.max(Duration::from_millis(1));
    let (stop, stop_requested) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("minxin-{name}"))
        .spawn(move || {
            loop {
                if let Err(panic) = catch_unwind(AssertUnwindSafe(&mut job)) {
                    tracing::error!(
                        worker = name,
                        panic = panic_message(panic.as_ref()),
                        "background job panicked; it runs again at the next interval"
                    );
                }
                // The interruptible sleep: a stop message, or the Worker dropped, ends the loop.
                match stop_requested.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        // as std::thread::spawn does: a process that cannot start a thread cannot go on
        .expect("the operating system refused a thread for a background worker");
    Worker { name, stop, thread }
}

impl Worker {
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Asks the loop to stop and waits for it: at once between runs, after the run in progress
    /// otherwise.
    pub fn stop(self) {
        // the loop may have ended already; then there is nobody to tell
        let _ = self.stop.send(());
        if self.thread.join().is_err() {
            tracing::error!(worker = self.name, "background worker ended by a panic");
        }
        tracing::info!(worker = self.name, "background worker stopped");
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn runs_at_once_then_every_interval_and_stops_promptly() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let worker = spawn_periodic("test", Duration::from_millis(20), move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(worker.name(), "test");
        wait_for("three runs", || runs.load(Ordering::SeqCst) >= 3);

        // a long interval: the first run is immediate, and stop does not wait for the next
        let slow_runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&slow_runs);
        let slow = spawn_periodic("slow", Duration::from_secs(3600), move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        wait_for("the first run", || slow_runs.load(Ordering::SeqCst) == 1);
        let started = Instant::now();
        slow.stop();
        worker.stop();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "stop took {:?}",
            started.elapsed()
        );
        let after_stop = runs.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(runs.load(Ordering::SeqCst), after_stop, "no run after stop");
        assert_eq!(slow_runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_panicking_run_does_not_end_the_loop() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let worker = spawn_periodic("panicky", Duration::from_millis(10), move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n.is_multiple_of(2) {
                panic!("run {n} fails on purpose");
            }
        });
        wait_for("runs after panics", || runs.load(Ordering::SeqCst) >= 4);
        worker.stop();
    }

    #[test]
    fn dropping_the_worker_ends_the_loop() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let worker = spawn_periodic("dropped", Duration::from_millis(10), move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        wait_for("a run", || runs.load(Ordering::SeqCst) >= 1);
        drop(worker);
        std::thread::sleep(Duration::from_millis(50));
        let settled = runs.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(runs.load(Ordering::SeqCst), settled);
    }
}
