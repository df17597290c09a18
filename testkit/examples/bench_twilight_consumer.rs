//! The reference consumer of `scripts/bench-gateway`: the smallest useful client built on
//! `twilight-gateway`'s `Shard`, which connects to the gateway in `GATEWAY_URL` with the bot
//! token in `DISCORD_BOT_TOKEN`, deserialises every MESSAGE_CREATE into twilight's model and
//! counts them. It prints `ready` once identified and `received N` at every thousandth message,
//! so the benchmark can time it from outside. Not a test; built only by the benchmark, once
//! plain and once with `--features twilight-zlib` (twilight-gateway picks compression at
//! compile time).

use std::io::Write;

use twilight_gateway::{
    ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _,
};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let token = std::env::var("DISCORD_BOT_TOKEN").expect("set DISCORD_BOT_TOKEN");
    let gateway_url =
        std::env::var("GATEWAY_URL").expect("set GATEWAY_URL to the simulator's gateway URL");
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(token, intents)
        .proxy_url(gateway_url)
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut received: u64 = 0;
    let mut stdout = std::io::stdout();
    while let Some(event) = shard
        .next_event(EventTypeFlags::READY | EventTypeFlags::MESSAGE_CREATE)
        .await
    {
        match event {
            Ok(Event::Ready(_)) => {
                let _ = writeln!(stdout, "ready");
                let _ = stdout.flush();
            }
            Ok(Event::MessageCreate(message)) => {
                // Touch the content so the deserialised message is not optimised away.
                std::hint::black_box(message.content.len());
                received += 1;
                if received.is_multiple_of(1000) {
                    let _ = writeln!(stdout, "received {received}");
                    let _ = stdout.flush();
                }
            }
            Ok(_) => {}
            Err(error) => eprintln!("bench-twilight-consumer: {error}"),
        }
    }
}
