//! The real binary from an operator's side: configuration mistakes, `/healthz` and
//! `/metrics`, and `register-commands`.

mod worker_support;

use std::time::Duration;

use shiptrack_core::commands::COMMANDS;
use worker_support::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_exits_2_naming_the_variable() {
    let stack = Stack::start(sim_config()).await;
    let cases: [(&str, &str, &str); 9] = [
        ("DISCORD_BOT_TOKEN", "", "DISCORD_BOT_TOKEN is not set"),
        ("DISCORD_API_BASE", "discord.com/api", "DISCORD_API_BASE="),
        ("DATABASE_URL", "postgres://localhost/db", "DATABASE_URL="),
        ("SHIP_CHANNEL_IDS", "123,general", "SHIP_CHANNEL_IDS="),
        ("SHIP_WORDS", "go live", "SHIP_WORDS="),
        ("SHARDS", "3-1/4", "SHARDS="),
        ("GATEWAY_COMPRESSION", "brotli", "GATEWAY_COMPRESSION="),
        ("HEALTH_ADDR", "localhost", "HEALTH_ADDR="),
        ("LEASE_RENEW_MS", "5000", "LEASE_RENEW_MS="),
    ];
    for (variable, value, expected) in cases {
        let mut worker = stack.spawn_worker(&format!("bad-{variable}"), &[(variable, value)]);
        let status = worker.wait_exit(WAIT).await;
        let log = worker.log();
        assert_eq!(status.code(), Some(2), "{variable}={value:?}: {log}");
        assert!(
            log.contains(expected),
            "{variable}={value:?} should say {expected:?}: {log}"
        );
    }
    assert!(
        stack.sim.control().rest_calls().is_empty(),
        "nothing was contacted with a bad configuration"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_follows_the_connection_and_metrics_count_what_happened() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;
    let message = stack.post(I_SHIPPED, ALICE, "shipped https://ada.dev");
    eventually("the rocket", WAIT, || async {
        stack.rockets_on(message) == 1
    })
    .await;

    // Discord unreachable: the shard cannot reconnect, and /healthz says so.
    let control = stack.sim.control();
    control.refuse_gateway(true);
    control.refuse_resume_url(true);
    control.drop_tcp(0);
    eventually("/healthz to fail", WAIT, || async {
        matches!(worker.health_get("/healthz").await, Some((503, _)))
    })
    .await;
    let (_, body) = worker.health_get("/healthz").await.unwrap();
    assert!(body.contains("shard 0/1"), "{body}");

    control.refuse_gateway(false);
    control.refuse_resume_url(false);
    worker.wait_healthy(Duration::from_secs(60)).await;

    let (status, metrics) = worker.health_get("/metrics").await.unwrap();
    assert_eq!(status, 200);
    let value = |name: &str| -> f64 {
        let prefix = format!("{name}{{shard=\"0\",shard_count=\"1\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("shiptrack_identifies_total"), 1.0);
    assert!(value("shiptrack_reconnects_total") >= 1.0);
    assert!(value("shiptrack_resumes_total") >= 1.0);
    assert!(value("shiptrack_events_total") >= 1.0);
    assert_eq!(value("shiptrack_launches_logged_total"), 1.0);
    assert_eq!(value("shiptrack_spool_depth"), 0.0);
    assert_eq!(value("shiptrack_shard_lease_held"), 1.0);
    assert!(value("shiptrack_heartbeat_latency_seconds") >= 0.0);
    assert!(
        metrics
            .contains("shiptrack_shard_state{shard=\"0\",shard_count=\"1\",state=\"connected\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shiptrack_rest_rate_limited_total 0"),
        "{metrics}"
    );
}

fn register_env(stack: &Stack, application_id: Option<u64>) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "DISCORD_BOT_TOKEN".to_owned(),
            stack.sim.bot_token().to_owned(),
        ),
        (
            "DISCORD_API_BASE".to_owned(),
            stack.sim.api_base().to_owned(),
        ),
    ];
    if let Some(id) = application_id {
        env.push(("DISCORD_APPLICATION_ID".to_owned(), id.to_string()));
    }
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_commands_bulk_overwrites_cores_definitions_globally_or_in_a_guild() {
    let stack = Stack::start(sim_config()).await;
    let env = register_env(&stack, Some(stack.sim.application_id()));
    let guild = GUILD.to_string();
    let mut in_guild = Worker::spawn(
        &stack.dir,
        "register-guild",
        &["register-commands", "--guild", &guild],
        &env,
    );
    assert_eq!(
        in_guild.wait_exit(WAIT).await.code(),
        Some(0),
        "{}",
        in_guild.log()
    );
    let mut global = Worker::spawn(&stack.dir, "register-global", &["register-commands"], &env);
    assert_eq!(
        global.wait_exit(WAIT).await.code(),
        Some(0),
        "{}",
        global.log()
    );

    let expected = serde_json::to_value(&COMMANDS).unwrap();
    let registrations = stack.sim.control().command_registrations();
    assert_eq!(registrations.len(), 2);
    assert_eq!(registrations[0].guild_id, Some(GUILD));
    assert_eq!(registrations[1].guild_id, None);
    for registration in &registrations {
        assert_eq!(registration.commands, expected);
    }
    assert!(
        in_guild.log().contains(&format!(
            "registered {} commands in guild {GUILD}",
            COMMANDS.len()
        )),
        "{}",
        in_guild.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_commands_without_an_application_id_exits_2_naming_it() {
    let stack = Stack::start(sim_config()).await;
    let mut worker = Worker::spawn(
        &stack.dir,
        "register",
        &["register-commands"],
        &register_env(&stack, None),
    );
    assert_eq!(worker.wait_exit(WAIT).await.code(), Some(2));
    assert!(
        worker.log().contains("DISCORD_APPLICATION_ID is not set"),
        "{}",
        worker.log()
    );
    assert!(stack.sim.control().command_registrations().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_close_stops_the_worker_with_discords_meaning_and_no_retry() {
    let stack = Stack::start(sim_config()).await;
    let mut worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;
    stack.sim.control().close(0, 4014);

    let status = worker.wait_exit(WAIT).await;
    let log = worker.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains("4014") && log.contains("Disallowed intent"),
        "{log}"
    );
    assert_eq!(
        stack.sim.control().connections().len(),
        1,
        "no reconnect after a fatal close"
    );
}
