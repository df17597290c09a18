//! ShipTrack's gateway worker: a Discord gateway client that logs launches, and the
//! operator commands (migrate, register-commands, digest preview) that share its configuration.

pub mod backoff;
pub mod commands;
pub mod config;
pub mod db;
pub mod gateway;
pub mod health;
pub mod launches;
pub mod lease;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod reactions;
pub mod rest;
pub mod sessions;
pub mod shutdown;
pub mod spool;
pub mod store;
pub mod supervisor;
