//! One module per subcommand of `gateway-worker`.

pub mod digest;
pub mod migrate;
pub mod register_commands;
pub mod run;

/// Configuration that cannot be used. `main` exits with status 2 for it (not 1), so scripts and
/// service managers can tell "fix the environment" from "something failed".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadConfiguration(String);

impl BadConfiguration {
    pub fn new(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}
