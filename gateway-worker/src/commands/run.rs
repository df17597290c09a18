//! Placeholder until this subcommand is written.
use std::process::ExitCode;

pub async fn main() -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
