//! The payloads we send (IDENTIFY, RESUME, HEARTBEAT), built from `twilight-model` types and
//! held to Discord's 4096-byte limit before they reach the socket: Discord closes the
//! connection on a larger one, so it is refused here with an error that says why.

use serde::Serialize;
use twilight_model::gateway::payload::outgoing::identify::{IdentifyInfo, IdentifyProperties};
use twilight_model::gateway::payload::outgoing::{Heartbeat, Identify, Resume};
use twilight_model::gateway::{Capabilities, Intents};

use super::{ResumeState, SendError, ShardId, Token};

/// Discord's limit on one sent payload.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// Discord's default; guilds above it arrive without offline members.
const LARGE_THRESHOLD: u64 = 50;

/// Op 2, starting a new session for `[shard.number, shard.total]`.
pub fn identify(token: &Token, shard: ShardId, intents: Intents) -> Result<String, SendError> {
    let shard = twilight_model::gateway::ShardId::new_checked(shard.number, shard.total)
        .ok_or(SendError::InvalidShard(shard))?;
    encode(&Identify::new(IdentifyInfo {
        capabilities: Capabilities::empty(),
        compress: false,
        intents,
        large_threshold: LARGE_THRESHOLD,
        presence: None,
        properties: IdentifyProperties::new("shiptrack", "shiptrack", std::env::consts::OS),
        shard: Some(shard),
        token: token.expose().to_owned(),
    }))
}

/// Op 6, asking Discord to replay everything after `session.sequence`.
pub fn resume(token: &Token, session: &ResumeState) -> Result<String, SendError> {
    encode(&Resume::new(
        session.sequence,
        session.session_id.as_str(),
        token.expose(),
    ))
}

/// Op 1 with the last sequence number received, or null before the first dispatch.
pub fn heartbeat(sequence: Option<u64>) -> Result<String, SendError> {
    encode(&Heartbeat::new(sequence))
}

fn encode(payload: &impl Serialize) -> Result<String, SendError> {
    let json = serde_json::to_string(payload)?;
    if json.len() > MAX_PAYLOAD_BYTES {
        return Err(SendError::PayloadTooLarge {
            size: json.len(),
            limit: MAX_PAYLOAD_BYTES,
        });
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn identify_carries_token_intents_properties_and_shard() {
        let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
        let payload = identify(
            &Token::new("t0ken"),
            ShardId {
                number: 2,
                total: 4,
            },
            intents,
        );
        let payload = parse(&payload.unwrap());
        assert_eq!(payload["op"], 2);
        assert_eq!(payload["d"]["token"], "t0ken");
        assert_eq!(payload["d"]["intents"], 1 | 1 << 9 | 1 << 15);
        assert_eq!(payload["d"]["shard"], json!([2, 4]));
        assert_eq!(payload["d"]["properties"]["browser"], "shiptrack");
        assert_eq!(payload["d"]["properties"]["device"], "shiptrack");
        assert_eq!(payload["d"]["properties"]["os"], std::env::consts::OS);
    }

    #[test]
    fn identify_refuses_a_shard_id_outside_the_count() {
        let shard = ShardId {
            number: 4,
            total: 4,
        };
        let err = identify(&Token::new("t"), shard, Intents::GUILDS).unwrap_err();
        assert!(matches!(err, SendError::InvalidShard(s) if s == shard));
    }

    #[test]
    fn resume_carries_session_and_sequence() {
        let session = ResumeState {
            session_id: "abc".into(),
            resume_gateway_url: "wss://resume".into(),
            sequence: 42,
        };
        let payload = parse(&resume(&Token::new("t0ken"), &session).unwrap());
        assert_eq!(
            payload,
            json!({"op": 6, "d": {"token": "t0ken", "session_id": "abc", "seq": 42}})
        );
    }

    #[test]
    fn heartbeat_carries_the_last_sequence_or_null() {
        assert_eq!(
            parse(&heartbeat(Some(7)).unwrap()),
            json!({"op": 1, "d": 7})
        );
        assert_eq!(
            parse(&heartbeat(None).unwrap()),
            json!({"op": 1, "d": null})
        );
    }

    #[test]
    fn a_payload_over_4096_bytes_is_refused_before_sending() {
        let token = Token::new("x".repeat(MAX_PAYLOAD_BYTES));
        let err = identify(
            &token,
            ShardId {
                number: 0,
                total: 1,
            },
            Intents::GUILDS,
        )
        .unwrap_err();
        assert!(
            matches!(err, SendError::PayloadTooLarge { size, limit: 4096 } if size > 4096),
            "{err:?}"
        );
    }

    #[test]
    fn a_payload_of_exactly_4096_bytes_is_sent() {
        let empty = resume(
            &Token::new(""),
            &ResumeState {
                session_id: String::new(),
                resume_gateway_url: String::new(),
                sequence: 0,
            },
        )
        .unwrap();
        let token = Token::new("x".repeat(MAX_PAYLOAD_BYTES - empty.len()));
        let session = ResumeState {
            session_id: String::new(),
            resume_gateway_url: String::new(),
            sequence: 0,
        };
        assert_eq!(resume(&token, &session).unwrap().len(), MAX_PAYLOAD_BYTES);
    }
}
