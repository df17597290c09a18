//! ShipTrack's domain: what a launch is, what the commands are, what a digest says.
//!
//! No I/O lives here, so the same code runs in the Cloudflare Worker (wasm32) and in the
//! native gateway worker, and every rule is tested without a socket or a database.

pub mod commands;
pub mod digest;
pub mod interaction;
pub mod launch;
pub mod lowercase;
pub mod markdown;
pub mod period;
pub mod replies;
pub mod response;
pub mod seconds;
pub mod sql;
pub mod timestamp;
pub mod week;
