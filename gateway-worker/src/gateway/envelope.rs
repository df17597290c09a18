//! Reading a gateway payload: only the envelope (`op`, `s`, `t`) is parsed, and `d` stays raw
//! JSON borrowed from the message, so a dispatch costs one copy of its data and consumers parse
//! only the events they need.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A payload from the gateway, borrowing from the received bytes.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    pub op: u8,
    #[serde(default)]
    pub s: Option<u64>,
    #[serde(default, borrow)]
    pub t: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub d: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// Parses a payload already known to be UTF-8, so `d` is not checked a second time.
    pub fn parse(json: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// `d` as `T` (Hello, READY's session fields, op 9's flag); `null` or absent if missing.
    pub fn data<T: Deserialize<'a>>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.d.map_or("null", RawValue::get))
    }
}

/// The part of READY a shard needs; the rest is the consumer's.
#[derive(Debug, Deserialize)]
pub struct ReadySession {
    pub session_id: String,
    pub resume_gateway_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use twilight_model::gateway::payload::incoming::Hello;

    #[test]
    fn a_dispatch_keeps_its_data_raw() {
        let json =
            r#"{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"content":"shipped \"it\"","id":"1"}}"#;
        let envelope = Envelope::parse(json).unwrap();
        assert_eq!(
            (envelope.op, envelope.s, envelope.t.as_deref()),
            (0, Some(42), Some("MESSAGE_CREATE"))
        );
        assert_eq!(
            envelope.d.unwrap().get(),
            r#"{"content":"shipped \"it\"","id":"1"}"#
        );
    }

    #[test]
    fn an_ack_without_data_parses() {
        let envelope = Envelope::parse(r#"{"op":11}"#).unwrap();
        assert_eq!(
            (envelope.op, envelope.s, envelope.t, envelope.d.is_none()),
            (11, None, None, true)
        );
        let envelope = Envelope::parse(r#"{"op":11,"d":null,"s":null,"t":null}"#).unwrap();
        assert!(envelope.d.is_none());
    }

    #[test]
    fn hello_gives_the_heartbeat_interval() {
        let envelope =
            Envelope::parse(r#"{"op":10,"d":{"heartbeat_interval":41250,"_trace":["x"]}}"#)
                .unwrap();
        assert_eq!(envelope.data::<Hello>().unwrap().heartbeat_interval, 41250);
    }

    #[test]
    fn invalid_session_gives_its_resumable_flag() {
        let envelope = Envelope::parse(r#"{"op":9,"d":true}"#).unwrap();
        assert!(envelope.data::<bool>().unwrap());
    }

    #[test]
    fn ready_gives_the_session_and_ignores_the_rest() {
        let json = r#"{"op":0,"s":1,"t":"READY","d":{"v":10,"guilds":[{"id":"1","unavailable":true}],
            "session_id":"abc","resume_gateway_url":"wss://resume.discord.gg","user":{"id":"2"}}}"#;
        let ready: ReadySession = Envelope::parse(json).unwrap().data().unwrap();
        assert_eq!(
            (ready.session_id.as_str(), ready.resume_gateway_url.as_str()),
            ("abc", "wss://resume.discord.gg")
        );
    }

    #[test]
    fn a_payload_that_is_not_json_is_an_error() {
        assert!(Envelope::parse("x\u{9c} garbage").is_err());
    }
}
