//! The REST API under `/api/v10`: the routes ShipTrack uses, each behind the guard (faults,
//! auth, rate limits, records), answering as Discord does.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodRouter, get, patch, post, put};
use serde_json::Value;
use tokio::time::Instant;

use super::ids;
use super::records::{AuthCheck, RestCall};
use super::state::Sim;

pub(crate) mod commands;
pub(crate) mod errors;
pub(crate) mod faults;
pub(crate) mod gateway_bot;
pub(crate) mod guard;
pub(crate) mod messages;
pub(crate) mod ratelimit;
pub(crate) mod reactions;
pub(crate) mod validate;
pub(crate) mod webhooks;

use errors::{ApiError, FormErrors};
use faults::Faults;
use guard::Guarded;
use ratelimit::{RateLimiter, RouteFamily};

pub(crate) const API_PREFIX: &str = "/api/v10";

#[derive(Default)]
pub(crate) struct RestState {
    pub limiter: RateLimiter,
    pub faults: Faults,
    /// Scripted delay before every REST answer.
    pub slow: Duration,
    /// `author:nonce` → (message id, when): for `enforce_nonce`.
    pub nonces: HashMap<String, (u64, Instant)>,
}

pub(crate) fn router(sim: &Arc<Sim>) -> Router<Arc<Sim>> {
    let guarded = |family: RouteFamily, route: MethodRouter<Arc<Sim>>| {
        route.route_layer(from_fn_with_state(
            Guarded {
                sim: Arc::clone(sim),
                family,
            },
            guard::guard,
        ))
    };
    let api = Router::new()
        .route(
            "/gateway/bot",
            guarded(RouteFamily::GatewayBot, get(gateway_bot::get)),
        )
        .route(
            "/channels/{channel_id}/messages",
            guarded(RouteFamily::CreateMessage, post(messages::create)),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            guarded(RouteFamily::CreateReaction, put(reactions::put)),
        )
        .route(
            "/webhooks/{application_id}/{token}",
            guarded(RouteFamily::Webhook, post(webhooks::execute)),
        )
        .route(
            "/webhooks/{application_id}/{token}/messages/{message_id}",
            guarded(RouteFamily::Webhook, patch(webhooks::edit)),
        )
        .route(
            "/applications/{application_id}/commands",
            guarded(RouteFamily::GlobalCommands, put(commands::overwrite_global)),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands",
            guarded(RouteFamily::GuildCommands, put(commands::overwrite_guild)),
        )
        .method_not_allowed_fallback(|| async { errors::method_not_allowed() })
        .fallback(unknown_route);
    Router::new().nest(API_PREFIX, api)
}

/// A route the simulator does not serve: recorded, so a test sees a client calling it, and 404.
async fn unknown_route(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let call = RestCall {
        method: method.to_string(),
        path: path.strip_prefix(API_PREFIX).unwrap_or(path).to_owned(),
        query: uri.query().map(str::to_owned),
        body: serde_json::from_slice(&body).ok(),
        raw_body: String::from_utf8_lossy(&body).into_owned(),
        auth: AuthCheck::NotRequired,
        user_agent: None,
        status: StatusCode::NOT_FOUND.as_u16(),
        at_ms: ids::now_ms(),
    };
    sim.update(|s| s.records.rest_calls.push(call));
    errors::not_found()
}

/// A JSON body, or Discord's "invalid JSON" error.
pub(crate) fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|_| ApiError::InvalidJson)
}

/// A snowflake from the path, or Discord's 50035 naming the field.
pub(crate) fn snowflake(field: &str, raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| {
        let mut errors = FormErrors::default();
        errors.add(
            &[field],
            "NUMBER_TYPE_COERCE",
            format!("Value \"{raw}\" is not snowflake."),
        );
        ApiError::InvalidForm(errors)
    })
}
