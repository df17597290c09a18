//! SIGTERM (a redeploy, systemd, Docker) and SIGINT (Ctrl-C) become one cancellation that
//! every task watches: stop reading, finish what is in flight, store the session, close the
//! gateway with 4000 so the next process resumes, exit 0. A second signal exits at once.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// The exit status after a second signal: the conventional 128 + SIGINT.
const FORCED_EXIT: i32 = 130;

/// Starts listening; the token is cancelled on the first SIGTERM or SIGINT.
pub fn listen() -> std::io::Result<CancellationToken> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: finishing in-flight work, storing sessions, then exiting"),
            _ = interrupt.recv() => tracing::info!("SIGINT: finishing in-flight work, storing sessions, then exiting (again to force)"),
        }
        cancel.cancel();
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::warn!(
            "second signal: exiting without finishing; the stored sessions replay what was missed"
        );
        std::process::exit(FORCED_EXIT);
    });
    Ok(token)
}
