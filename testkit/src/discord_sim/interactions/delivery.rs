//! POSTing a signed interaction to an endpoint, as Discord does, and judging the answer as
//! Discord would: within 3 seconds, 200 with a response type that fits the interaction, and a
//! 401 for every request whose signature does not verify (Discord sends such requests on purpose
//! when an endpoint URL is saved, and refuses endpoints that accept them).
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::builders::Interaction;
use super::signer::Signer;
use crate::discord_sim::error::SimError;
use crate::discord_sim::ids;
use crate::discord_sim::records::InteractionRecord;
use crate::discord_sim::rest::validate::{self, MessageUse};
use crate::discord_sim::state::Sim;

/// Discord's deadline for the first response.
const RESPONSE_DEADLINE: Duration = Duration::from_secs(3);
/// How long the sim waits before giving up on an endpoint (longer than Discord, to report lateness).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
/// A stale timestamp: older than the 5 minutes an endpoint should accept.
const STALE_BY: Duration = Duration::from_secs(10 * 60);

/// A request Discord (or an attacker) might send that must not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureFault {
    /// 64 random bytes, hex: what Discord sends when the endpoint is saved.
    BadSignature,
    /// A valid signature by another key.
    WrongKey,
    /// Signed, then the body changed by one byte.
    TamperedBody,
    /// Signed, then the timestamp header changed.
    TamperedTimestamp,
    MissingSignature,
    MissingTimestamp,
    MissingHeaders,
    /// Correctly signed, but ten minutes old: a replay.
    StaleTimestamp,
    /// 128 characters that are not hex.
    NonHexSignature,
    /// A valid signature cut to 32 bytes.
    ShortSignature,
}

impl SignatureFault {
    pub const ALL: [Self; 10] = [
        Self::BadSignature,
        Self::WrongKey,
        Self::TamperedBody,
        Self::TamperedTimestamp,
        Self::MissingSignature,
        Self::MissingTimestamp,
        Self::MissingHeaders,
        Self::StaleTimestamp,
        Self::NonHexSignature,
        Self::ShortSignature,
    ];
}

/// What the endpoint answered, and whether Discord would have taken it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as JSON, when it is.
    pub json: Option<Value>,
    pub elapsed_ms: u64,
    /// Why Discord would count this answer as a failure; empty when it would not.
    pub problems: Vec<String>,
}

impl InteractionReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Discord's check when an interactions endpoint URL is saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointCheck {
    /// A correctly signed PING: must be answered `{"type": 1}`.
    pub valid_ping: InteractionReply,
    /// A PING with a bad signature: must be a 401.
    pub invalid_ping: InteractionReply,
    pub accepted: bool,
}

/// The headers and body to send for a fault (or none).
fn signed_request(
    signer: &Signer,
    body: &str,
    fault: Option<SignatureFault>,
    now_secs: u64,
) -> (Option<String>, Option<String>, String) {
    let timestamp = now_secs.to_string();
    let body = body.to_owned();
    let good = |ts: &str, body: &str| signer.sign(ts, body.as_bytes());
    match fault {
        None => (Some(good(&timestamp, &body)), Some(timestamp), body),
        Some(SignatureFault::BadSignature) => (
            Some(hex::encode(rand::random::<[u8; 64]>())),
            Some(timestamp),
            body,
        ),
        Some(SignatureFault::WrongKey) => (
            Some(Signer::new(None).sign(&timestamp, body.as_bytes())),
            Some(timestamp),
            body,
        ),
        Some(SignatureFault::TamperedBody) => (
            Some(good(&timestamp, &body)),
            Some(timestamp),
            format!("{body} "),
        ),
        Some(SignatureFault::TamperedTimestamp) => (
            Some(good(&timestamp, &body)),
            Some((now_secs + 1).to_string()),
            body,
        ),
        Some(SignatureFault::MissingSignature) => (None, Some(timestamp), body),
        Some(SignatureFault::MissingTimestamp) => (Some(good(&timestamp, &body)), None, body),
        Some(SignatureFault::MissingHeaders) => (None, None, body),
        Some(SignatureFault::StaleTimestamp) => {
            let stale = (now_secs - STALE_BY.as_secs()).to_string();
            (Some(good(&stale, &body)), Some(stale), body)
        }
        Some(SignatureFault::NonHexSignature) => (Some("zz".repeat(64)), Some(timestamp), body),
        Some(SignatureFault::ShortSignature) => (
            Some(good(&timestamp, &body)[..64].to_owned()),
            Some(timestamp),
            body,
        ),
    }
}

/// Response types Discord takes for each interaction type.
fn allowed_response_types(interaction_type: u8) -> &'static [u64] {
    match interaction_type {
        1 => &[1],
        2 => &[4, 5, 9, 12],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        _ => &[4, 5, 6, 7],
    }
}

fn judge(
    interaction: &Interaction,
    fault: Option<SignatureFault>,
    status: u16,
    json: Option<&Value>,
    elapsed: Duration,
) -> Vec<String> {
    let mut problems = Vec::new();
    if fault.is_some() {
        if status != 401 {
            problems.push(format!("answered {status} to a request whose signature does not verify; Discord requires 401"));
        }
        return problems;
    }
    if elapsed > RESPONSE_DEADLINE {
        problems.push(format!(
            "answered after {} ms, past Discord's 3 s deadline",
            elapsed.as_millis()
        ));
    }
    if status != 200 {
        problems.push(format!(
            "status {status}; Discord needs 200 with an interaction response"
        ));
        return problems;
    }
    let Some(json) = json else {
        problems.push("the body is not JSON".to_owned());
        return problems;
    };
    let response_type = json["type"].as_u64().unwrap_or(0);
    if !allowed_response_types(interaction.kind).contains(&response_type) {
        problems.push(format!(
            "response type {} does not answer an interaction of type {}",
            json["type"], interaction.kind
        ));
    }
    let data = &json["data"];
    if matches!(response_type, 4 | 7)
        && let Err(error) = validate::message_body(data, MessageUse::Edit)
    {
        problems.push(format!("response data is not a valid message: {error:?}"));
    }
    if response_type == 8 && data["choices"].as_array().is_none_or(|c| c.len() > 25) {
        problems.push("autocomplete needs data.choices with at most 25 entries".to_owned());
    }
    problems
}

/// POSTs one interaction and reports the answer; also recorded in `SimControl::interactions`.
pub(crate) async fn deliver(
    sim: &Sim,
    url: &str,
    interaction: &Interaction,
    fault: Option<SignatureFault>,
) -> Result<InteractionReply, SimError> {
    let (signature, timestamp, body) =
        signed_request(&sim.signer, &interaction.body, fault, ids::now_ms() / 1000);
    let mut request = sim
        .http
        .post(url)
        .timeout(CLIENT_TIMEOUT)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            "Discord-Interactions/1.0 (+https://discord.com)",
        )
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-signature-ed25519", signature);
    }
    if let Some(timestamp) = timestamp {
        request = request.header("x-signature-timestamp", timestamp);
    }
    let started = Instant::now();
    let outcome = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect::<Vec<_>>();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, headers, body))
    }
    .await;
    let elapsed = started.elapsed();
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let mut record = InteractionRecord {
        id: interaction.id,
        kind: interaction.kind,
        name: interaction.name.clone(),
        url: url.to_owned(),
        signature_fault: fault,
        status: None,
        response: None,
        elapsed_ms,
        at_ms: ids::now_ms(),
    };
    let (status, headers, body) = match outcome {
        Ok(answer) => answer,
        Err(source) => {
            sim.update(|s| s.records.interactions.push(record));
            return Err(SimError::Delivery {
                url: url.to_owned(),
                source,
            });
        }
    };
    let json: Option<Value> = serde_json::from_str(&body).ok();
    record.status = Some(status);
    record.response = json.clone();
    sim.update(|s| s.records.interactions.push(record));
    let problems = judge(interaction, fault, status, json.as_ref(), elapsed);
    Ok(InteractionReply {
        status,
        headers,
        body,
        json,
        elapsed_ms,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ping() -> Interaction {
        Interaction {
            id: 1,
            token: "t".to_owned(),
            kind: 1,
            name: None,
            body: r#"{"type":1}"#.to_owned(),
        }
    }

    #[test]
    fn every_fault_changes_what_a_verifier_sees() {
        let signer = Signer::new(Some([1; 32]));
        let (good_sig, good_ts, good_body) = signed_request(&signer, "{}", None, 1_700_000_000);
        for fault in SignatureFault::ALL {
            assert_ne!(
                signed_request(&signer, "{}", Some(fault), 1_700_000_000),
                (good_sig.clone(), good_ts.clone(), good_body.clone()),
                "{fault:?}"
            );
        }
    }

    #[test]
    fn a_pong_is_the_only_answer_to_a_ping() {
        assert!(
            judge(
                &ping(),
                None,
                200,
                Some(&json!({"type": 1})),
                Duration::from_millis(5)
            )
            .is_empty()
        );
        assert_eq!(
            judge(
                &ping(),
                None,
                200,
                Some(&json!({"type": 4, "data": {"content": "hi"}})),
                Duration::ZERO
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_bad_signature_must_be_answered_401() {
        assert!(
            judge(
                &ping(),
                Some(SignatureFault::BadSignature),
                401,
                None,
                Duration::ZERO
            )
            .is_empty()
        );
        assert_eq!(
            judge(
                &ping(),
                Some(SignatureFault::BadSignature),
                200,
                Some(&json!({"type": 1})),
                Duration::ZERO
            )
            .len(),
            1
        );
    }

    #[test]
    fn late_or_oversized_answers_are_problems() {
        let command = Interaction { kind: 2, ..ping() };
        assert_eq!(
            judge(
                &command,
                None,
                200,
                Some(&json!({"type": 4, "data": {"content": "ok"}})),
                Duration::from_millis(3100)
            )
            .len(),
            1
        );
        let long = json!({"type": 4, "data": {"content": "x".repeat(2001)}});
        assert_eq!(
            judge(&command, None, 200, Some(&long), Duration::ZERO).len(),
            1
        );
    }
}
