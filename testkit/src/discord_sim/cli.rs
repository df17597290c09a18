//! `testkit discord-sim`: the simulator as a process, for scripts, the edge under wrangler and
//! the gateway worker's process tests. Prints one `discord-sim KEY=VALUE` line per fact on
//! stdout, then `discord-sim ready`, and serves until SIGINT or SIGTERM.
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use super::config::{RateLimitRule, RateLimits, SessionStartLimit, SimConfig};
use super::server::DiscordSim;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to serve REST, the gateway and the control API on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The bot token the sim accepts.
    #[arg(long, default_value = "sim-bot-token")]
    bot_token: String,
    /// 32 bytes as hex: a fixed application key pair, so the public key is known in advance.
    #[arg(long, value_parser = parse_seed)]
    public_key_seed: Option<[u8; 32]>,
    /// Hello's heartbeat_interval.
    #[arg(long, default_value_t = 41_250)]
    heartbeat_interval_ms: u64,
    /// How late past the interval a heartbeat may be before the connection is dropped.
    #[arg(long, default_value_t = 5_000)]
    heartbeat_grace_ms: u64,
    /// `shards` in GET /gateway/bot.
    #[arg(long, default_value_t = 1)]
    shards: u32,
    /// Number of communities (guild i goes to shard i % shards).
    #[arg(long, default_value_t = 1)]
    guilds: u32,
    #[arg(long, default_value_t = 1)]
    max_concurrency: u32,
    #[arg(long, default_value_t = 1000)]
    session_start_total: u32,
    /// Defaults to the total.
    #[arg(long)]
    session_start_remaining: Option<u32>,
    #[arg(long, default_value_t = 86_400_000)]
    session_start_reset_after_ms: u64,
    /// Window in which each max_concurrency bucket may identify once.
    #[arg(long, default_value_t = 5_000)]
    identify_window_ms: u64,
    /// How long a session outlives a dropped connection.
    #[arg(long, default_value_t = 180_000)]
    session_ttl_ms: u64,
    /// Where signed interactions are POSTed.
    #[arg(long)]
    interactions_url: Option<String>,
    /// Serve REST without rate limits.
    #[arg(long)]
    no_rate_limits: bool,
    /// Messages per window in one channel (Discord: 5 per 5 s).
    #[arg(long, default_value_t = 5)]
    message_rate_limit: u32,
    #[arg(long, default_value_t = 5_000)]
    message_rate_window_ms: u64,
    /// Extra channels in each GUILD_CREATE, to make it large.
    #[arg(long, default_value_t = 0)]
    filler_channels: usize,
    /// Extra members in each GUILD_CREATE.
    #[arg(long, default_value_t = 0)]
    filler_members: usize,
}

fn parse_seed(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text).map_err(|e| format!("not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{} bytes; the seed is 32", b.len()))
}

impl Args {
    fn into_config(self) -> SimConfig {
        let ms = Duration::from_millis;
        let mut config = SimConfig::default().with_guilds(self.guilds);
        for guild in &mut config.guilds {
            guild.filler_channels = self.filler_channels;
            guild.filler_members = self.filler_members;
        }
        let rate_limits = if self.no_rate_limits {
            RateLimits::disabled()
        } else {
            RateLimits {
                create_message: RateLimitRule::new(
                    self.message_rate_limit,
                    ms(self.message_rate_window_ms),
                ),
                ..RateLimits::default()
            }
        };
        SimConfig {
            listen: self.listen,
            bot_token: self.bot_token,
            public_key_seed: self.public_key_seed,
            heartbeat_interval: ms(self.heartbeat_interval_ms),
            heartbeat_grace: ms(self.heartbeat_grace_ms),
            recommended_shards: self.shards,
            session_start_limit: SessionStartLimit {
                total: self.session_start_total,
                remaining: self
                    .session_start_remaining
                    .unwrap_or(self.session_start_total),
                reset_after: ms(self.session_start_reset_after_ms),
                max_concurrency: self.max_concurrency,
            },
            identify_window: ms(self.identify_window_ms),
            session_ttl: ms(self.session_ttl_ms),
            interactions_url: self.interactions_url,
            rate_limits,
            ..config
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sim = DiscordSim::start(args.into_config())
        .await
        .context("starting the Discord simulator")?;
    let config = sim.config();
    let ship = config.channel("i-shipped").map(|(g, c)| (g.id, c.id));
    let announcements = config.channel("announcements").map(|(_, c)| c.id);
    let mut facts = vec![
        ("listen", sim.local_addr().to_string()),
        ("port", sim.local_addr().port().to_string()),
        ("api_base", sim.api_base().to_owned()),
        ("gateway_url", sim.gateway_url().to_owned()),
        ("control_url", sim.control_url().to_owned()),
        ("public_key", sim.public_key_hex()),
        ("application_id", sim.application_id().to_string()),
        ("bot_token", sim.bot_token().to_owned()),
    ];
    if let Some((guild, channel)) = ship {
        facts.push(("guild_id", guild.to_string()));
        facts.push(("ship_channel_id", channel.to_string()));
    }
    if let Some(channel) = announcements {
        facts.push(("announcements_channel_id", channel.to_string()));
    }
    let mut out = std::io::stdout().lock();
    for (key, value) in facts {
        writeln!(out, "discord-sim {key}={value}")?;
    }
    writeln!(out, "discord-sim ready")?;
    out.flush()?;
    drop(out);

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("listening for SIGINT")?,
        _ = terminate.recv() => {}
    }
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_is_exactly_32_hex_bytes() {
        assert_eq!(parse_seed(&"07".repeat(32)), Ok([7; 32]));
        assert!(parse_seed("07").is_err());
        assert!(parse_seed("zz").is_err());
    }
}
