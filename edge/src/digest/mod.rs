//! The weekly digest: every Monday's Cron Trigger posts each guild's "this week we shipped"
//! exactly once, pinging no one, in as many messages as the week needs.
//!
//! The decisions are plain modules tested natively: which guilds get a digest and where
//! ([`targets`]), the week's launches ([`launches`]), the claim that makes a week post once
//! ([`claim`]), one message's body and what Discord's answer means ([`post`]), and the run that
//! ties them together over an I/O port ([`run`]). The Workers glue (`scheduled`, the thin
//! `#[event(scheduled)]` entry, and `runtime`, the port over `fetch` and timers) exists only in
//! the wasm build. `/digest preview` (`commands::digest_preview`) reuses [`targets`] and
//! [`launches`], so it shows what the cron would post.

pub mod claim;
pub mod launches;
pub mod post;
pub mod run;
pub mod targets;

#[cfg(target_arch = "wasm32")]
mod runtime;
#[cfg(target_arch = "wasm32")]
pub mod scheduled;

#[cfg(test)]
mod test_support;
