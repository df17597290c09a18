//! Development and test tools for ShipTrack; never deployed.
//!
//! - [`dev_db`]: a local libSQL server over HTTP, because sqld cannot be installed here.
//! - [`discord_sim`]: a Discord simulator (gateway, REST, signed interactions), because Discord
//!   is unreachable from our machines and contributors may have no bot token.

pub mod dev_db;
pub mod discord_sim;
