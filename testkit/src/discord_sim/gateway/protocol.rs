//! The gateway's vocabulary: opcodes, close codes, and decoding what a client sends into a
//! typed command, with the close code Discord answers a bad payload with.
use serde::Deserialize;
use serde_json::Value;

pub(crate) mod op {
    pub const DISPATCH: u8 = 0;
    pub const HEARTBEAT: u8 = 1;
    pub const IDENTIFY: u8 = 2;
    pub const PRESENCE_UPDATE: u8 = 3;
    pub const VOICE_STATE_UPDATE: u8 = 4;
    pub const RESUME: u8 = 6;
    pub const RECONNECT: u8 = 7;
    pub const REQUEST_GUILD_MEMBERS: u8 = 8;
    pub const INVALID_SESSION: u8 = 9;
    pub const HELLO: u8 = 10;
    pub const HEARTBEAT_ACK: u8 = 11;
    pub const REQUEST_SOUNDBOARD_SOUNDS: u8 = 31;
    pub const REQUEST_CHANNEL_INFO: u8 = 43;
}

/// Discord's gateway close codes (opcodes-and-status-codes, "Gateway Close Event Codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseCode {
    UnknownError = 4000,
    UnknownOpcode = 4001,
    DecodeError = 4002,
    NotAuthenticated = 4003,
    AuthenticationFailed = 4004,
    AlreadyAuthenticated = 4005,
    InvalidSeq = 4007,
    RateLimited = 4008,
    InvalidShard = 4010,
    InvalidApiVersion = 4012,
    InvalidIntents = 4013,
    DisallowedIntents = 4014,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn reason(self) -> &'static str {
        match self {
            Self::UnknownError => "Unknown error.",
            Self::UnknownOpcode => "Unknown opcode.",
            Self::DecodeError => "Error while decoding payload.",
            Self::NotAuthenticated => "Not authenticated.",
            Self::AuthenticationFailed => "Authentication failed.",
            Self::AlreadyAuthenticated => "Already authenticated.",
            Self::InvalidSeq => "Invalid seq.",
            Self::RateLimited => "Rate limited.",
            Self::InvalidShard => "Invalid shard.",
            Self::InvalidApiVersion => "Invalid API version.",
            Self::InvalidIntents => "Invalid intent(s).",
            Self::DisallowedIntents => "Disallowed intent(s).",
        }
    }

    /// Close codes after which Discord says to start a new session rather than resume; the
    /// session ends with the connection. (1000 and 1001 sent by a client end it too.)
    pub fn ends_session(code: u16) -> bool {
        matches!(
            code,
            1000 | 1001 | 4004 | 4007 | 4009 | 4010 | 4011 | 4012 | 4013 | 4014
        )
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Identify {
    pub token: String,
    pub intents: u64,
    /// `[id, count]`; Discord takes a missing one as `[0, 1]`.
    pub shard: [u32; 2],
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resume {
    pub token: String,
    pub session_id: String,
    pub seq: u64,
}

/// A payload from the client, decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClientCommand {
    Heartbeat(Option<u64>),
    Identify(Identify),
    Resume(Resume),
    /// Presence, voice state, member, soundboard and channel-info requests: valid, and ignored.
    Other(u8),
}

/// Why a payload was refused, and so the close code.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not JSON, or not a payload object: 4002.
    Malformed,
    /// An opcode a client may not send: 4001.
    UnknownOpcode(i64),
    /// A known opcode whose `d` is not what it takes: 4001 ("or an invalid payload for an opcode").
    InvalidPayload(u8),
}

impl DecodeError {
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Malformed => CloseCode::DecodeError,
            Self::UnknownOpcode(_) | Self::InvalidPayload(_) => CloseCode::UnknownOpcode,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    op: i64,
    #[serde(default)]
    d: Value,
}

#[derive(Deserialize)]
struct IdentifyData {
    token: String,
    intents: u64,
    #[serde(rename = "properties")]
    _properties: Properties,
    shard: Option<[u32; 2]>,
    large_threshold: Option<u64>,
}

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "required by Discord's schema; only their presence is checked"
)]
struct Properties {
    os: String,
    browser: String,
    device: String,
}

#[derive(Deserialize)]
struct ResumeData {
    token: String,
    session_id: String,
    seq: u64,
}

pub(crate) fn decode(bytes: &[u8]) -> Result<ClientCommand, DecodeError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| DecodeError::Malformed)?;
    if !value.is_object() {
        return Err(DecodeError::Malformed);
    }
    let envelope: Envelope = serde_json::from_value(value).map_err(|_| DecodeError::Malformed)?;
    let opcode = u8::try_from(envelope.op).map_err(|_| DecodeError::UnknownOpcode(envelope.op))?;
    let invalid = |_| DecodeError::InvalidPayload(opcode);
    match opcode {
        op::HEARTBEAT => match envelope.d {
            Value::Null => Ok(ClientCommand::Heartbeat(None)),
            Value::Number(n) => n
                .as_u64()
                .map(|s| ClientCommand::Heartbeat(Some(s)))
                .ok_or(DecodeError::InvalidPayload(opcode)),
            _ => Err(DecodeError::InvalidPayload(opcode)),
        },
        op::IDENTIFY => {
            let data: IdentifyData = serde_json::from_value(envelope.d).map_err(invalid)?;
            if data
                .large_threshold
                .is_some_and(|t| !(50..=250).contains(&t))
            {
                return Err(DecodeError::InvalidPayload(opcode));
            }
            Ok(ClientCommand::Identify(Identify {
                token: data.token,
                intents: data.intents,
                shard: data.shard.unwrap_or([0, 1]),
            }))
        }
        op::RESUME => {
            let data: ResumeData = serde_json::from_value(envelope.d).map_err(invalid)?;
            Ok(ClientCommand::Resume(Resume {
                token: data.token,
                session_id: data.session_id,
                seq: data.seq,
            }))
        }
        op::PRESENCE_UPDATE
        | op::VOICE_STATE_UPDATE
        | op::REQUEST_GUILD_MEMBERS
        | op::REQUEST_SOUNDBOARD_SOUNDS
        | op::REQUEST_CHANNEL_INFO => {
            if envelope.d.is_object() {
                Ok(ClientCommand::Other(opcode))
            } else {
                Err(DecodeError::InvalidPayload(opcode))
            }
        }
        _ => Err(DecodeError::UnknownOpcode(envelope.op)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_carry_the_last_sequence_or_null() {
        assert_eq!(
            decode(br#"{"op":1,"d":null}"#),
            Ok(ClientCommand::Heartbeat(None))
        );
        assert_eq!(
            decode(br#"{"op":1,"d":42}"#),
            Ok(ClientCommand::Heartbeat(Some(42)))
        );
        assert_eq!(
            decode(br#"{"op":1,"d":"42"}"#),
            Err(DecodeError::InvalidPayload(1))
        );
    }

    #[test]
    fn identify_without_shard_is_shard_zero_of_one() {
        let payload = br#"{"op":2,"d":{"token":"t","intents":513,"properties":{"os":"linux","browser":"b","device":"d"}}}"#;
        assert_eq!(
            decode(payload),
            Ok(ClientCommand::Identify(Identify {
                token: "t".into(),
                intents: 513,
                shard: [0, 1]
            }))
        );
    }

    #[test]
    fn identify_without_properties_is_an_invalid_payload() {
        assert_eq!(
            decode(br#"{"op":2,"d":{"token":"t","intents":513}}"#),
            Err(DecodeError::InvalidPayload(2))
        );
    }

    #[test]
    fn receive_only_and_unknown_opcodes_are_refused_with_4001() {
        for payload in [
            &br#"{"op":0,"d":{}}"#[..],
            br#"{"op":11}"#,
            br#"{"op":5,"d":{}}"#,
            br#"{"op":-3}"#,
        ] {
            assert_eq!(
                decode(payload).unwrap_err().close_code(),
                CloseCode::UnknownOpcode
            );
        }
    }

    #[test]
    fn text_that_is_not_a_payload_is_a_decode_error() {
        for payload in [&b"not json"[..], b"[1,2]", b"{\"d\":1}"] {
            assert_eq!(
                decode(payload).unwrap_err().close_code(),
                CloseCode::DecodeError
            );
        }
    }
}
