//! One module per subcommand of `gateway-worker`.

pub mod digest;
pub mod migrate;
pub mod register_commands;
pub mod run;
