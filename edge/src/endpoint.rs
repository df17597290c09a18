//! The Worker's HTTP side of `/interactions`: reads the request, runs the checks in
//! `interactions`, plans the answer with `commands`, and sends it (through `deferred` when
//! the database is involved).

use std::cell::OnceCell;
use std::rc::Rc;

use chrono::DateTime;
use worker::web_sys::{Request, Response};
use worker::{Context, Env, js_sys};

use crate::commands::{self, Plan};
use crate::config::{ConfigError, Settings};
use crate::deferred;
use crate::interactions::{self, Rejection};
use crate::web;

pub async fn interactions(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    if request.method() != "POST" {
        return rejection(&Rejection::MethodNotAllowed);
    }
    let settings = match settings(&env) {
        Ok(settings) => settings,
        Err(error) => {
            worker::console_error!("configuration: {error}");
            return web::plain(500, &format!("ShipTrack is misconfigured: {error}"));
        }
    };
    // One `Headers` object for the three reads.
    let headers = request.headers();
    if let Err(rejected) =
        interactions::check_declared_length(web::header(&headers, &web::CONTENT_LENGTH)?.as_deref())
    {
        return rejection(&rejected);
    }
    let signature = web::header(&headers, &web::SIGNATURE)?;
    let timestamp = web::header(&headers, &web::TIMESTAMP)?;
    let body = web::body(&request).await?;
    let now_ms = js_sys::Date::now() as i64;
    let authenticated = interactions::authenticate(
        &settings.discord_public_key,
        signature.as_deref(),
        timestamp.as_deref(),
        &body,
        now_ms.div_euclid(1000),
    )
    .await;
    if let Err(rejected) = authenticated {
        return rejection(&rejected);
    }

    let now = DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let response = match commands::plan(shiptrack_core::interaction::parse_json(&body), now) {
        Ok(Plan::Reply(response)) => response,
        Ok(Plan::Query(query)) => deferred::answer(query, &settings, &ctx).await,
        Err(rejected) => return rejection(&rejected),
    };
    web::json(serde_json::to_vec(&response)?)
}

thread_local! {
    // An isolate's environment never changes (a new deployment or secret starts new
    // isolates), so it is read and validated once, not on every request.
    static SETTINGS: OnceCell<Result<Rc<Settings>, ConfigError>> = const { OnceCell::new() };
}

fn settings(env: &Env) -> Result<Rc<Settings>, ConfigError> {
    SETTINGS.with(|cell| {
        cell.get_or_init(|| {
            Settings::from_lookup(|name| env.var(name).ok().map(|var| var.to_string())).map(Rc::new)
        })
        .clone()
    })
}

fn rejection(rejection: &Rejection) -> worker::Result<Response> {
    if rejection.status() >= 500 {
        worker::console_error!("interactions: {rejection}");
    }
    let allow: &[(&str, &str)] = match rejection {
        Rejection::MethodNotAllowed => &[("allow", "POST")],
        _ => &[],
    };
    web::respond(
        rejection.status(),
        "text/plain;charset=UTF-8",
        &rejection.to_string(),
        allow,
    )
}
