//! `testkit discord-sim` as scripts run it: the facts it prints, a seeded public key, flags that
//! reach the protocol, and a clean exit on SIGTERM.
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

async fn spawn(args: &[&str]) -> (Child, HashMap<String, String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_testkit"))
        .arg("discord-sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut facts = HashMap::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let fact = line
                .strip_prefix("discord-sim ")
                .expect("every line starts with discord-sim");
            if fact == "ready" {
                return;
            }
            let (key, value) = fact.split_once('=').expect("KEY=VALUE");
            facts.insert(key.to_owned(), value.to_owned());
        }
        panic!("stdout ended before ready");
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("discord-sim became ready");
    (child, facts)
}

#[tokio::test]
async fn the_process_prints_its_facts_serves_them_and_exits_cleanly_on_sigterm() {
    let seed = "07".repeat(32);
    let (mut child, facts) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--public-key-seed",
        &seed,
        "--shards",
        "3",
        "--heartbeat-interval-ms",
        "777",
    ])
    .await;
    let expected_key = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([7; 32])).pk;
    assert_eq!(facts["public_key"], hex::encode(expected_key.as_ref()));
    let port = &facts["port"];
    assert_ne!(port, "0");
    assert_eq!(
        facts["api_base"],
        format!("http://127.0.0.1:{port}/api/v10")
    );
    assert_eq!(
        facts["gateway_url"],
        format!("ws://127.0.0.1:{port}/gateway")
    );
    for key in [
        "application_id",
        "bot_token",
        "guild_id",
        "ship_channel_id",
        "announcements_channel_id",
        "control_url",
    ] {
        assert!(facts.contains_key(key), "missing {key}");
    }

    let gateway_bot: Value = reqwest::Client::new()
        .get(format!("{}/gateway/bot", facts["api_base"]))
        .header("authorization", format!("Bot {}", facts["bot_token"]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gateway_bot["shards"], 3);
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}/?v=10&encoding=json", facts["gateway_url"]))
            .await
            .unwrap();
    let hello = futures_util::StreamExt::next(&mut ws)
        .await
        .unwrap()
        .unwrap();
    let hello: Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(hello["d"]["heartbeat_interval"], 777);

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_bad_seed_is_refused_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_testkit"))
        .args(["discord-sim", "--public-key-seed", "abcd"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("the seed is 32"));
}
