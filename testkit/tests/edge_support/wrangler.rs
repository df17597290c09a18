//! `wrangler dev` as a child process: the built Worker served by workerd on a loopback port,
//! in its own process group so that workerd (wrangler's child) ends with it.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh `wrangler dev` starts in a few seconds; a stale build makes wrangler's build command
/// rebuild first, which takes minutes on a small machine.
const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// A running `wrangler dev --local`, stopped (with its whole process group) on drop.
pub struct WranglerDev {
    child: Child,
    url: String,
    log: PathBuf,
}

/// The repository's wrangler.toml without its `[build]` table and with `main` (the entry
/// module, which imports the build) made absolute, written into `dir`. The tests serve what
/// scripts/build-edge built: with the build table, wrangler would also watch the sources and
/// rebuild (for minutes) mid-test whenever someone edits them.
fn prebuilt_config(root: &Path, dir: &Path) -> io::Result<PathBuf> {
    let built = root.join("edge/build/index.js");
    if !built.is_file() {
        return Err(io::Error::other(format!(
            "{} is missing: build the Worker first (scripts/build-edge, or scripts/test)",
            built.display()
        )));
    }
    let original = std::fs::read_to_string(root.join("wrangler.toml"))?;
    let mut config = String::new();
    let mut in_build = false;
    for line in original.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_build = trimmed.starts_with("[build]");
        }
        if in_build {
            continue;
        }
        let main = trimmed
            .strip_prefix("main")
            .filter(|rest| rest.starts_with([' ', '=']));
        if let Some(main) = main {
            let main = main
                .trim_start()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            let entry = root.join(main).display().to_string();
            config.push_str(&format!("main = {entry:?}\n"));
        } else {
            config.push_str(line);
            config.push('\n');
        }
    }
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

impl WranglerDev {
    /// Starts `wrangler dev` on the prebuilt Worker with the secrets and vars in `env_file`
    /// (which also keeps a developer's `.dev.vars` out of the tests), its configuration and
    /// state under `dir`, and its output in `log`; returns once the Worker answers.
    ///
    /// Both of wrangler's ports are 0, bound to whatever the system picks, and the Worker's
    /// is read from wrangler's "Ready on" line: a free port chosen here could be taken by
    /// another test's server before wrangler binds it (a run failed once on "Address already
    /// in use").
    pub fn start(root: &Path, env_file: &Path, dir: &Path, log: PathBuf) -> io::Result<Self> {
        let config = prebuilt_config(root, dir)?;
        let output = File::create(&log)?;
        // env.sh gives wrangler the project's Node and the no-telemetry settings; `exec` keeps
        // wrangler as the group leader.
        let child = Command::new("bash")
            .arg("-c")
            .arg(r#"source scripts/env.sh && exec wrangler dev "$@""#)
            .arg("wrangler")
            .args(["--local", "--ip", "127.0.0.1"])
            .args(["--port", "0", "--inspector-port", "0"])
            .args([
                "--test-scheduled",
                "--show-interactive-dev-session=false",
                "--log-level",
                "log",
            ])
            .arg("--config")
            .arg(&config)
            .arg("--env-file")
            .arg(env_file)
            .arg("--persist-to")
            .arg(dir.join("wrangler-state"))
            .current_dir(root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .process_group(0)
            .spawn()?;
        let mut wrangler = WranglerDev {
            child,
            url: String::new(),
            log,
        };
        let address = wrangler.wait_until_ready()?;
        wrangler.url = format!("http://{address}");
        Ok(wrangler)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The last lines wrangler and the Worker printed, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits until wrangler has said where it serves and the Worker answers there; returns
    /// that `127.0.0.1:PORT`.
    fn wait_until_ready(&mut self) -> io::Result<String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut address = None;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "wrangler dev exited ({status}) before serving:\n{}",
                    self.log_tail()
                )));
            }
            if address.is_none() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                address = served_address(&log).map(str::to_owned);
            }
            // Any HTTP answer means workerd serves the Worker; a refused connection means not yet.
            if let Some(address) = address.as_deref().filter(|address| ready(address)) {
                return Ok(address.to_owned());
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "wrangler dev did not serve within {READY_TIMEOUT:?}:\n{}",
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn signal_group(&self, signal: &str) {
        let group = format!("-{}", self.child.id());
        // `kill` is the portable way to signal a process group without a libc binding.
        let _ = Command::new("kill")
            .args([signal, "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `127.0.0.1:PORT` from wrangler's `Ready on http://127.0.0.1:PORT` line, once the whole
/// line is written.
fn served_address(log: &str) -> Option<&str> {
    let (_, rest) = log.split_once("Ready on http://")?;
    let (line, _) = rest.split_once('\n')?;
    let address = line.trim_end().trim_end_matches('/');
    address.rsplit_once(':')?.1.parse::<u16>().ok()?;
    Some(address)
}

fn ready(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /__ready HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    let mut answer = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && answer.starts_with(b"HTTP/1.1 404")
}

impl Drop for WranglerDev {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // workerd may outlive a wrangler that exited on TERM: the group is killed either way.
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }
}
