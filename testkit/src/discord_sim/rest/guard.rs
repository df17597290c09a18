//! What every REST call goes through before and after its route: the scripted slowness and
//! faults, the `Authorization: Bot` check, the rate limits and their headers, and the record of
//! the call with the status it got.
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tokio::time::{Instant, sleep};

use super::API_PREFIX;
use super::errors::ApiError;
use super::faults::FaultKind;
use super::ratelimit::{RouteFamily, Verdict, quota_headers, too_many_requests};
use crate::discord_sim::config::RateLimits;
use crate::discord_sim::ids;
use crate::discord_sim::records::{AuthCheck, RestCall};
use crate::discord_sim::state::Sim;

/// Discord refuses bodies past its upload limits long before this; the sim only needs a bound.
const MAX_BODY_BYTES: usize = 8 << 20;

/// The guard's state: the sim and which family of routes it stands in front of.
#[derive(Clone)]
pub(crate) struct Guarded {
    pub sim: Arc<Sim>,
    pub family: RouteFamily,
}

fn check_auth(headers: &HeaderMap, family: RouteFamily, token: &str, revoked: bool) -> AuthCheck {
    if !family.bot_authenticated() {
        return AuthCheck::NotRequired;
    }
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => AuthCheck::Missing,
        Some(value) if !revoked && value.strip_prefix("Bot ") == Some(token) => AuthCheck::Valid,
        Some(_) => AuthCheck::Invalid,
    }
}

/// The top-level resource that splits a route's bucket: the channel, the webhook (id and
/// token), or the application (and guild).
fn major_resource(path: &str) -> String {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["channels", channel, ..] => (*channel).to_owned(),
        ["webhooks", id, token, ..] => format!("{id}/{token}"),
        ["applications", app, "guilds", guild, ..] => format!("{app}/{guild}"),
        ["applications", app, ..] => (*app).to_owned(),
        _ => String::new(),
    }
}

/// A scripted fault's answer. A bucket 429 carries the route's bucket headers, spent, as
/// Discord's do; a global one only the global headers.
fn fault_response(fault: FaultKind, family: RouteFamily, limits: &RateLimits) -> Response {
    match fault {
        FaultKind::RateLimited {
            retry_after_ms,
            global,
        } => {
            let retry_after = Duration::from_millis(retry_after_ms);
            let quota = (!global).then(|| family.spent_quota(limits, retry_after));
            too_many_requests(quota.as_ref(), global, retry_after)
        }
        FaultKind::MissingAccess => ApiError::MissingAccess.into_response(),
        FaultKind::ServerError { status } => ApiError::Server(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .into_response(),
    }
}

pub(crate) async fn guard(
    State(guarded): State<Guarded>,
    request: Request,
    next: Next,
) -> Response {
    let Guarded { sim, family } = guarded;
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path = parts.uri.path();
    let path = path.strip_prefix(API_PREFIX).unwrap_or(path).to_owned();
    let method = parts.method.as_str().to_owned();

    let slow = sim.read(|s| s.rest.slow);
    if !slow.is_zero() {
        sleep(slow).await;
    }
    let now = Instant::now();
    let (auth, early) = sim.update(|s| {
        let auth = check_auth(
            &parts.headers,
            family,
            &sim.config.bot_token,
            s.gateway.token_revoked,
        );
        if let Some(fault) = s.rest.faults.take(&method, &path, now) {
            return (
                auth,
                Err(fault_response(fault, family, &sim.config.rate_limits)),
            );
        }
        if matches!(auth, AuthCheck::Missing | AuthCheck::Invalid) {
            return (auth, Err(ApiError::Unauthorized.into_response()));
        }
        (
            auth,
            Ok(s.rest.limiter.acquire(
                &sim.config.rate_limits,
                family,
                &major_resource(&path),
                now,
            )),
        )
    });
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = parts.uri.query().map(str::to_owned);
    let response = match early {
        Err(response) => response,
        Ok(Verdict::Limited {
            quota,
            global,
            retry_after,
        }) => too_many_requests(Some(&quota), global, retry_after),
        Ok(Verdict::Allowed(quota)) => {
            let mut response = next
                .run(Request::from_parts(parts, Body::from(bytes.clone())))
                .await;
            response.headers_mut().extend(quota_headers(&quota));
            response
        }
        Ok(Verdict::Unlimited) => {
            next.run(Request::from_parts(parts, Body::from(bytes.clone())))
                .await
        }
    };
    let call = RestCall {
        method,
        path,
        query,
        body: serde_json::from_slice(&bytes).ok(),
        raw_body: String::from_utf8_lossy(&bytes).into_owned(),
        auth,
        user_agent,
        status: response.status().as_u16(),
        at_ms: ids::now_ms(),
    };
    sim.update(|s| s.records.rest_calls.push(call));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_split_on_the_top_level_resource() {
        assert_eq!(
            major_resource("/channels/42/messages/7/reactions/x/@me"),
            "42"
        );
        assert_eq!(
            major_resource("/webhooks/1/tok/messages/@original"),
            "1/tok"
        );
        assert_eq!(major_resource("/applications/1/guilds/9/commands"), "1/9");
        assert_eq!(major_resource("/applications/1/commands"), "1");
        assert_eq!(major_resource("/gateway/bot"), "");
    }

    #[test]
    fn only_the_exact_bot_token_authenticates() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            check_auth(&headers, RouteFamily::CreateMessage, "t", false),
            AuthCheck::Missing
        );
        headers.insert(header::AUTHORIZATION, "Bearer t".parse().unwrap());
        assert_eq!(
            check_auth(&headers, RouteFamily::CreateMessage, "t", false),
            AuthCheck::Invalid
        );
        headers.insert(header::AUTHORIZATION, "Bot t".parse().unwrap());
        assert_eq!(
            check_auth(&headers, RouteFamily::CreateMessage, "t", false),
            AuthCheck::Valid
        );
        assert_eq!(
            check_auth(&headers, RouteFamily::CreateMessage, "t", true),
            AuthCheck::Invalid,
            "a reset token is dead"
        );
        assert_eq!(
            check_auth(&HeaderMap::new(), RouteFamily::Webhook, "t", false),
            AuthCheck::NotRequired
        );
    }
}
