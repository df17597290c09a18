//! The digest's [`Io`] in the Workers runtime: the database through `hrana::http`, Discord
//! through `fetch` with the bot token, waits through `setTimeout`, the clock from `Date.now()`.

use std::time::Duration;

use libsql_hrana::proto::Stmt;
use worker::{Delay, js_sys};

use super::post::{self, NewMessage, Reply};
use super::run::Io;
use crate::config::Settings;
use crate::fetch;
use crate::hrana::{self, DbError, StmtResult};

/// Discord asks every bot to say who it is: `DiscordBot (url, version)`.
const USER_AGENT: &str = concat!(
    "DiscordBot (",
    env!("CARGO_PKG_REPOSITORY"),
    ", ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

pub(crate) struct WorkerIo<'a> {
    pub settings: &'a Settings,
}

impl Io for WorkerIo<'_> {
    async fn database(&self, statements: Vec<Stmt>) -> Result<Vec<StmtResult>, DbError> {
        hrana::http::run(&self.settings.database, statements).await
    }

    async fn post(&self, channel_id: u64, message: &NewMessage) -> Result<Reply, String> {
        let body = serde_json::to_string(message).map_err(|error| error.to_string())?;
        let authorization = format!("Bot {}", self.settings.discord_bot_token);
        let headers = [
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
            ("user-agent", USER_AGENT),
        ];
        let url = format!(
            "{}{}",
            self.settings.discord_api_base,
            post::path(channel_id)
        );
        let mut reply = fetch::send("POST", &url, &headers, &body).await?;
        let body = std::mem::take(&mut reply.body);
        Ok(Reply::read(reply.status, |name| reply.header(name), body))
    }

    async fn sleep(&self, duration: Duration) {
        Delay::from(duration).await;
    }

    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}
