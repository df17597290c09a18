//! ShipTrack's Cloudflare Worker: answers Discord interactions and posts the weekly digest.
//!
//! The two entry points below only route; the decisions live in plain modules that build and
//! test natively (`config`, `verify`, `interactions`, `commands`, `hrana`, `digest`, the
//! executor that drives each request, `executor`, and the table of the promises it awaits,
//! `promise`), and the runtime glue (`allocator`, `endpoint`, `web`, `deferred`, `fetch`,
//! `self_test`, `hrana::http`, `verify::webcrypto`, `digest::scheduled`, `digest::runtime`,
//! `promise`'s bindings) exists only in the wasm build.

pub mod commands;
pub mod config;
pub mod digest;
pub mod executor;
pub mod hrana;
pub mod interactions;
pub mod promise;
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
use worker::wasm_bindgen::{self, JsValue, prelude::wasm_bindgen};
#[cfg(target_arch = "wasm32")]
use worker::web_sys::{Request, Response};
#[cfg(target_arch = "wasm32")]
use worker::{Context, Env, event, worker_sys};

/// Every HTTP request. This is what `#[event(fetch)]` would export, with the handler's
/// future driven by our `executor` rather than js-sys's (see there for why).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn fetch(request: Request, env: Env, ctx: worker_sys::Context) -> JsValue {
    executor::drive(async move {
        match route(request, env, Context::new(ctx)).await {
            Ok(response) => Ok(response.into()),
            Err(error) => {
                worker::console_error!("{error}");
                web::plain(500, "internal error")
                    .map(JsValue::from)
                    .map_err(JsValue::from)
            }
        }
    })
}

#[cfg(target_arch = "wasm32")]
async fn route(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
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
