//! ShipTrack's Cloudflare Worker: answers Discord interactions and posts the weekly digest.
//!
//! The `#[event]` functions below only route; the decisions live in plain modules that build
//! and test natively (`config`, `verify`, `interactions`, `commands`, `hrana`, `digest`), and the
//! runtime glue (`allocator`, `endpoint`, `web`, `deferred`, `fetch`, `self_test`, `hrana::http`,
//! `verify::webcrypto`, `digest::scheduled`, `digest::runtime`) exists only in the wasm build.

pub mod commands;
pub mod config;
pub mod digest;
pub mod hrana;
pub mod interactions;
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod allocator;
#[cfg(target_arch = "wasm32")]
mod deferred;
#[cfg(target_arch = "wasm32")]
mod endpoint;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod self_test;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
use worker::web_sys::{Request, Response};
#[cfg(target_arch = "wasm32")]
use worker::{Context, Env, event};

#[cfg(target_arch = "wasm32")]
#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    match interactions::request_path(&request.url()) {
        interactions::PATH => endpoint::interactions(request, env, ctx).await,
        self_test::PATH if self_test::enabled(&env) => self_test::serve(request).await,
        self_test::TRAP_PATH if self_test::enabled(&env) => self_test::trap(),
        _ => web::plain(404, "not found"),
    }
}

#[cfg(target_arch = "wasm32")]
#[event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    digest::scheduled::fire(event, env).await;
}
