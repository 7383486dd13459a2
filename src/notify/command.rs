//! `on_finish`: run a policy's command with the sidecar's path once a
//! recording is final, like MixMonitor's command and FreeSWITCH's
//! `execute_on_record_stop`, but never on a PBX thread: a few runner
//! threads take the commands in turn, each with a timeout, and log how each
//! one ended.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::policy::notify::Command;

/// How much of a command's stderr reaches the log.
const STDERR_KEPT: usize = 2048;

/// One command to run.
pub struct Job {
    pub command: Command,
    pub sidecar: PathBuf,
    pub id: String,
    pub policy: String,
    pub status: String,
    pub timeout: Duration,
}

/// Commands waiting for a runner.
#[derive(Default)]
pub struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

impl Queue {
    pub fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.ready.notify_one();
    }

    /// A runner's life: run commands until the core stops.  What is still
    /// queued then is started without waiting for it (an unload must not
    /// wait for every command's timeout).
    pub fn run(&self, stop: &AtomicBool) {
        loop {
            let job = {
                let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(j) = jobs.pop_front() {
                        break Some(j);
                    }
                    if stop.load(Ordering::Acquire) {
                        break None;
                    }
                    jobs = self
                        .ready
                        .wait_timeout(jobs, Duration::from_millis(200))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            };
            let Some(job) = job else { return };
            if stop.load(Ordering::Acquire) {
                start_detached(&job);
            } else {
                run(&job, stop);
            }
        }
    }
}

/// Runs the command and reports its exit status on descriptor 3.  The PBX
/// may reap every child itself (Asterisk's SIGCHLD handler waits for any
/// child), so waiting for the pid cannot be trusted; a pipe can.  The
/// command line is passed as arguments (`"$@"`), never parsed by the shell.
const WRAPPER: &str = r#""$@" 3>&-; echo $? >&3"#;

fn spawn(job: &Job, stderr: Stdio, status_fd: Option<i32>) -> std::io::Result<Child> {
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.args(["-c", WRAPPER, "legrec-on-finish"])
        .arg(&job.command.program)
        .args(&job.command.args)
        .arg(&job.sidecar)
        .env("LEGREC_ID", &job.id)
        .env("LEGREC_POLICY", &job.policy)
        .env("LEGREC_STATUS", &job.status)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0);
    // SAFETY: between fork and exec only async-signal-safe calls: put the
    // status pipe on 3 and close every other descriptor of the PBX (its SIP
    // sockets, its files) so the command cannot hold them open.
    unsafe {
        cmd.pre_exec(move || {
            let keep = match status_fd {
                Some(fd) => {
                    if libc::dup2(fd, 3) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    4
                }
                None => 3,
            };
            if libc::syscall(libc::SYS_close_range, keep as u32, u32::MAX, 0u32) != 0 {
                for fd in keep..4096 {
                    libc::close(fd);
                }
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// A pipe whose ends are closed on exec (the child gets a copy on 3).
fn status_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both are fresh descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn run(job: &Job, stop: &AtomicBool) {
    let shown = job.command.program.display();
    let started = (|| {
        let (read, write) = status_pipe()?;
        let child = spawn(job, Stdio::piped(), Some(write.as_raw_fd()))?;
        Ok::<_, std::io::Error>((child, read))
    })();
    let (mut child, status) = match started {
        Ok(c) => c,
        Err(e) => {
            log::error!(
                "on_finish for recording {}: cannot run {shown}: {e}",
                job.id
            );
            return;
        }
    };
    // Read stderr beside the wait, so a chatty command cannot fill the pipe
    // and hang until its timeout.
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut pipe) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = STDERR_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            let _ = tx.send(String::from_utf8_lossy(&kept).trim().to_string());
        });
    }
    let begun = Instant::now();
    let ended = wait(&child, status, begun + job.timeout, stop);
    // Reaps it where the PBX does not (FreeSWITCH); ECHILD where it does.
    if !matches!(ended, Ended::LeftRunning) {
        let _ = child.wait();
    }
    // A background grandchild may keep stderr open: do not wait for it.
    let text = rx
        .recv_timeout(Duration::from_millis(500))
        .ok()
        .filter(|t| !t.is_empty())
        .map(|t| format!("; stderr: {t}"))
        .unwrap_or_default();
    let secs = begun.elapsed().as_secs_f64();
    let id = &job.id;
    match ended {
        Ended::Exited(0) => {
            log::info!("on_finish for recording {id}: {shown} exited 0 after {secs:.1} s{text}")
        }
        Ended::Exited(code) if code > 128 => log::warn!(
            "on_finish for recording {id}: {shown} was killed by signal {} after {secs:.1} s{text}",
            code - 128
        ),
        Ended::Exited(code) => {
            log::warn!(
                "on_finish for recording {id}: {shown} exited {code} after {secs:.1} s{text}"
            )
        }
        Ended::TimedOut => log::error!(
            "on_finish for recording {id}: {shown} killed after on_finish_timeout = {} s{text}",
            job.timeout.as_secs()
        ),
        Ended::LeftRunning => {
            log::warn!(
                "on_finish for recording {id}: {shown} still running as legrec stops; left running"
            )
        }
        Ended::Lost(why) => log::error!("on_finish for recording {id}: {shown}: {why}{text}"),
    }
}

enum Ended {
    Exited(i32),
    TimedOut,
    LeftRunning,
    Lost(String),
}

/// Until the wrapper reports the exit status (or dies without one), the
/// deadline passes, or legrec stops.
fn wait(child: &Child, status: OwnedFd, deadline: Instant, stop: &AtomicBool) -> Ended {
    let mut status = std::fs::File::from(status);
    loop {
        let mut pfd = libc::pollfd {
            fd: status.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd on a descriptor we own, 50 ms.
        let ready = unsafe { libc::poll(&mut pfd, 1, 50) };
        if ready > 0 {
            let mut text = String::new();
            let _ = status.read_to_string(&mut text);
            return match text.trim().parse() {
                Ok(code) => Ended::Exited(code),
                Err(_) => Ended::Lost("ended without an exit status (killed?)".into()),
            };
        }
        if Instant::now() >= deadline {
            // The whole process group: a script's children too.
            // SAFETY: kill(2) on the group we created for this child.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            return Ended::TimedOut;
        }
        if stop.load(Ordering::Acquire) {
            return Ended::LeftRunning;
        }
    }
}

fn start_detached(job: &Job) {
    match spawn(job, Stdio::null(), None) {
        Ok(_) => log::info!(
            "on_finish for recording {}: {} started as legrec stops (its exit is not logged)",
            job.id,
            job.command.program.display()
        ),
        Err(e) => log::error!(
            "on_finish for recording {}: cannot run {}: {e}",
            job.id,
            job.command.program.display()
        ),
    }
}
