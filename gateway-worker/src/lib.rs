//! ShipTrack's gateway worker: a Discord gateway client that logs launches, and the
//! operator commands (migrate, register-commands, digest preview) that share its configuration.

pub mod commands;
pub mod logging;
