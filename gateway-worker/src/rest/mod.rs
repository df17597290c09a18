//! ShipTrack's Discord REST client, on `reqwest`: the bot's `Authorization` and Discord's
//! `User-Agent` on every request, Discord's rate limits obeyed from the response headers,
//! 429s waited out for `retry_after`, 5xx and network errors retried a bounded number of
//! times with backoff. The token is sent only as a sensitive header, never logged.

mod ratelimit;
mod route;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use tokio::time::Instant;
use twilight_model::gateway::connection_info::BotConnectionInfo;
use twilight_model::id::{
    Id,
    marker::{ApplicationMarker, ChannelMarker, GuildMarker, MessageMarker},
};

use crate::backoff::Backoff;
use crate::gateway::Token;
use ratelimit::{RateLimitHeaders, RateLimiter, RetryAfter};
pub use route::Route;

/// Discord asks bots to name themselves this way: `DiscordBot ($url, $versionNumber)`.
pub const USER_AGENT: &str = concat!(
    "DiscordBot (https://github.com/shiptrack/shiptrack, ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// How persistent the client is before it reports a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after a 5xx or a network error.
    pub server_error_retries: u32,
    /// Retries after a 429, each one after waiting the `retry_after` Discord asked for.
    pub rate_limit_retries: u32,
    pub backoff: Backoff,
    /// The whole of one attempt, connection included.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            server_error_retries: 3,
            rate_limit_retries: 5,
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(8)),
            request_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error(
        "the bot token cannot be sent in an HTTP header: check DISCORD_BOT_TOKEN for stray characters"
    )]
    InvalidToken,
    #[error("could not set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error(
        "could not reach Discord for {route} after {attempts} attempts ({source}): check DISCORD_API_BASE and the network"
    )]
    Unreachable {
        route: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "Discord answered {status} to {route} after {attempts} attempts: Discord is having trouble, try again later"
    )]
    ServerError {
        route: String,
        status: StatusCode,
        attempts: u32,
    },
    #[error("Discord still rate limited {route} after {attempts} attempts: try again later")]
    RateLimited { route: String, attempts: u32 },
    #[error("Discord refused {route} with {status}: {message}. {hint}")]
    Refused {
        route: String,
        status: StatusCode,
        message: String,
        hint: &'static str,
    },
    #[error(
        "Discord's answer to {route} was not what the API documents ({source}): check that DISCORD_API_BASE points at Discord's API v10"
    )]
    UnexpectedBody {
        route: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Discord's JSON error body: `{"message": "...", "code": 10008}`.
#[derive(Deserialize)]
struct DiscordErrorBody {
    message: String,
}

pub struct RestClient {
    http: reqwest::Client,
    api_base: String,
    authorization: HeaderValue,
    limiter: RateLimiter,
    policy: RetryPolicy,
    rate_limit_hits: AtomicU64,
}

impl RestClient {
    pub fn new(api_base: &str, token: &Token, policy: RetryPolicy) -> Result<Self, RestError> {
        let mut authorization = HeaderValue::from_str(&format!("Bot {}", token.expose()))
            .map_err(|_| RestError::InvalidToken)?;
        // Sensitive values are left out of reqwest's and hyper's debug output.
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(policy.request_timeout)
            .build()
            .map_err(RestError::Client)?;
        Ok(Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            authorization,
            limiter: RateLimiter::default(),
            policy,
            rate_limit_hits: AtomicU64::new(0),
        })
    }

    /// How many 429s Discord has answered this process, for `/metrics`.
    pub fn rate_limit_hits(&self) -> u64 {
        self.rate_limit_hits.load(Ordering::Relaxed)
    }

    /// `GET /gateway/bot`: where to connect, how many shards, and the identify budget.
    pub async fn gateway_bot(&self) -> Result<BotConnectionInfo, RestError> {
        let route = Route::GatewayBot;
        let body = self.send(&route, None).await?;
        serde_json::from_slice(&body).map_err(|source| RestError::UnexpectedBody {
            route: route.to_string(),
            source,
        })
    }

    /// Reacts to a message as the bot.
    pub async fn add_reaction(
        &self,
        channel: Id<ChannelMarker>,
        message: Id<MessageMarker>,
        emoji: &str,
    ) -> Result<(), RestError> {
        self.send(
            &Route::AddReaction {
                channel,
                message,
                emoji: emoji.to_owned(),
            },
            None,
        )
        .await
        .map(drop)
    }

    /// Replaces the application's commands (globally, or in one guild) with `commands`, and
    /// returns how many Discord now has.
    pub async fn set_commands(
        &self,
        application: Id<ApplicationMarker>,
        guild: Option<Id<GuildMarker>>,
        commands: &serde_json::Value,
    ) -> Result<usize, RestError> {
        let route = match guild {
            Some(guild) => Route::SetGuildCommands { application, guild },
            None => Route::SetGlobalCommands { application },
        };
        let body = self.send(&route, Some(commands)).await?;
        serde_json::from_slice::<Vec<serde_json::Value>>(&body)
            .map(|registered| registered.len())
            .map_err(|source| RestError::UnexpectedBody {
                route: route.to_string(),
                source,
            })
    }

    /// Sends one request, waiting on its bucket and the global limit first, and retries
    /// 429s, 5xx and network errors as the policy allows. Returns the body of a 2xx.
    async fn send(
        &self,
        route: &Route,
        json: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, RestError> {
        let key = route.rate_limit_key();
        let major = route.major_parameter();
        let bucket = self.limiter.bucket(&key, &major);
        // Held until the request is done: a bucket's requests go one at a time.
        let mut state = bucket.lock().await;
        let url = format!("{}{}", self.api_base, route.path());
        let (mut server_errors, mut rate_limits) = (0u32, 0u32);
        loop {
            if let Some(wait) = self.limiter.global_delay(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
            if let Some(wait) = state.delay(Instant::now()) {
                tracing::debug!(%route, wait_ms = wait.as_millis() as u64, "waiting for the rate-limit bucket to reset");
                tokio::time::sleep(wait).await;
            }
            let mut request = self
                .http
                .request(route.method(), &url)
                .header(AUTHORIZATION, self.authorization.clone());
            request = match json {
                Some(body) => request.json(body),
                // Discord wants an explicit empty body on a PUT without one.
                None => request.header(reqwest::header::CONTENT_LENGTH, 0),
            };
            let attempts = server_errors + rate_limits + 1;
            let response = match request.send().await {
                Ok(response) => response,
                Err(source) => {
                    server_errors += 1;
                    if server_errors > self.policy.server_error_retries {
                        return Err(RestError::Unreachable {
                            route: route.to_string(),
                            attempts,
                            source,
                        });
                    }
                    tracing::warn!(%route, error = %source, "Discord unreachable, retrying");
                    tokio::time::sleep(self.policy.backoff.delay(server_errors)).await;
                    continue;
                }
            };
            let status = response.status();
            let headers = RateLimitHeaders::parse(response.headers());
            let retry_after_header = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            state.record(&headers, Instant::now());
            if let Some(name) = &headers.bucket {
                self.limiter.learn_bucket(&key, &major, name, &bucket);
            }
            let body = response
                .bytes()
                .await
                .map(|bytes| bytes.to_vec())
                .unwrap_or_default();

            if status.is_success() {
                return Ok(body);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.rate_limit_hits.fetch_add(1, Ordering::Relaxed);
                rate_limits += 1;
                let retry =
                    RetryAfter::from_response(&headers, retry_after_header.as_deref(), &body);
                tracing::warn!(
                    %route,
                    retry_after_ms = retry.wait.as_millis() as u64,
                    global = retry.global,
                    "Discord rate limited the request; waiting as asked"
                );
                if retry.global {
                    self.limiter.block_globally(retry.wait, Instant::now());
                } else {
                    state.block_for(retry.wait, Instant::now());
                }
                if rate_limits > self.policy.rate_limit_retries {
                    return Err(RestError::RateLimited {
                        route: route.to_string(),
                        attempts,
                    });
                }
                continue;
            }
            if status.is_server_error() {
                server_errors += 1;
                if server_errors > self.policy.server_error_retries {
                    return Err(RestError::ServerError {
                        route: route.to_string(),
                        status,
                        attempts,
                    });
                }
                tracing::warn!(%route, %status, "Discord failed the request, retrying after a backoff");
                tokio::time::sleep(self.policy.backoff.delay(server_errors)).await;
                continue;
            }
            let message = serde_json::from_slice::<DiscordErrorBody>(&body)
                .map(|error| error.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            return Err(RestError::Refused {
                route: route.to_string(),
                status,
                message,
                hint: hint(status),
            });
        }
    }
}

/// What the operator can do about a refusal.
fn hint(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "Check DISCORD_BOT_TOKEN: it is wrong or was reset",
        StatusCode::FORBIDDEN => {
            "Give the bot the missing permission (View Channel, Read Message History, Add Reactions) in that channel"
        }
        StatusCode::NOT_FOUND => {
            "The channel, message or application no longer exists or the id is wrong"
        }
        _ => "The request was not accepted as sent",
    }
}

#[cfg(test)]
mod tests;
