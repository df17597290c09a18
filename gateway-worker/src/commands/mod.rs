//! One module per subcommand of `gateway-worker`.

pub mod migrate;
pub mod run;
