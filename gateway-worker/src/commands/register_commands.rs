//! `gateway-worker register-commands [--guild ID]`: replaces the application's commands with
//! `core`'s definitions in one bulk overwrite (`PUT`), through `DISCORD_API_BASE`. Global
//! commands can take a while to reach every client; `--guild` registers in one server at once,
//! for testing.

use std::num::NonZeroU64;
use std::process::ExitCode;

use anyhow::Context;
use shiptrack_core::commands::COMMANDS;
use twilight_model::id::Id;

use crate::config::RegisterConfig;
use crate::rest::{RestClient, RetryPolicy};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Register in this guild (server) only, where they appear at once; without it they are global.
    #[arg(long, value_name = "ID")]
    guild: Option<NonZeroU64>,
}

pub async fn main(args: Args) -> anyhow::Result<ExitCode> {
    let config = RegisterConfig::from_env().map_err(super::BadConfiguration::new)?;
    let rest = RestClient::new(&config.api_base, &config.token, RetryPolicy::default())?;
    let body = serde_json::to_value(&COMMANDS).context("encoding the command definitions")?;
    let guild = args.guild.map(Id::from);
    let registered = rest
        .set_commands(config.application_id, guild, &body)
        .await
        .context("registering the commands with Discord")?;
    match guild {
        Some(guild) => println!("registered {registered} commands in guild {guild}"),
        None => println!(
            "registered {registered} global commands (clients may take up to an hour to show changes)"
        ),
    }
    Ok(ExitCode::SUCCESS)
}
