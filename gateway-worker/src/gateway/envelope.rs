//! Reading a gateway payload in one pass: the envelope (`op`, `s`, `t`) and, for a dispatch
//! the consumer gets, its `d` straight into what the consumer's [`DispatchReader`] makes of it,
//! borrowing from the received text. Discord writes `t` and `op` before `d`; a payload that
//! does not keeps `d` raw, and it is read right after the envelope. The shard's own payloads
//! (Hello, READY, op 9) keep `d` raw for [`Envelope::data`].

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::dispatch::DispatchReader;

/// Op 0.
const DISPATCH: u8 = 0;

/// A payload from the gateway, borrowing from the received text.
#[derive(Debug)]
pub struct Envelope<'a, T> {
    pub op: u8,
    pub s: Option<u64>,
    pub t: Option<Cow<'a, str>>,
    /// `d` as raw JSON, unless it was read for the consumer (or is absent or `null`).
    pub d: Option<&'a RawValue>,
    /// A dispatch for the consumer: what its reader made of `d`.
    pub dispatch: Option<Result<T, serde_json::Error>>,
}

impl<'a, T> Envelope<'a, T> {
    /// Parses a payload already known to be UTF-8, so `d` is not checked a second time.
    /// An error means the envelope itself is broken; a `d` the reader refuses is the
    /// `dispatch`'s error.
    pub fn parse<R: DispatchReader<Data = T>>(
        json: &'a str,
        reader: &R,
    ) -> Result<Self, serde_json::Error> {
        let mut envelope = match Self::read(json, Some(reader)) {
            Ok(envelope) => envelope,
            // The envelope or the reader failed: the envelope read alone tells which.
            Err(_) => Self::read(json, None::<&R>)?,
        };
        if envelope.dispatch.is_none()
            && let (Some(event_type), Some(data)) = (envelope.consumer_event(), envelope.d)
        {
            envelope.dispatch = Some(reader.read(
                event_type,
                &mut serde_json::Deserializer::from_str(data.get()),
            ));
        }
        Ok(envelope)
    }

    fn read<R: DispatchReader<Data = T>>(
        json: &'a str,
        reader: Option<&R>,
    ) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let envelope = EnvelopeSeed { reader }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(envelope)
    }

    /// The name of a dispatch that goes to the consumer: every one but READY and RESUMED.
    fn consumer_event(&self) -> Option<&str> {
        consumer_event(Some(self.op), self.t.as_deref())
    }

    /// `d` as `D` (Hello, READY's session fields, op 9's flag); `null` or absent if missing.
    pub fn data<D: Deserialize<'a>>(&self) -> Result<D, serde_json::Error> {
        serde_json::from_str(self.d.map_or("null", RawValue::get))
    }
}

fn consumer_event(op: Option<u8>, event_type: Option<&str>) -> Option<&str> {
    match (op, event_type) {
        (Some(DISPATCH), Some(event_type)) if !matches!(event_type, "READY" | "RESUMED") => {
            Some(event_type)
        }
        _ => None,
    }
}

/// Reads the payload object, handing `d` to the reader when `op` and `t` came before it.
struct EnvelopeSeed<'r, R> {
    reader: Option<&'r R>,
}

impl<'de, R: DispatchReader> DeserializeSeed<'de> for EnvelopeSeed<'_, R> {
    type Value = Envelope<'de, R::Data>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, R: DispatchReader> Visitor<'de> for EnvelopeSeed<'_, R> {
    type Value = Envelope<'de, R::Data>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a gateway payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut op, mut s, mut t, mut d, mut dispatch) = (None, None, None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Op => op = Some(map.next_value()?),
                Key::S => s = map.next_value()?,
                Key::T => t = map.next_value::<Option<Text<'de>>>()?.map(|text| text.0),
                Key::D => match (self.reader, consumer_event(op, t.as_deref())) {
                    (Some(reader), Some(event_type)) => {
                        dispatch = Some(Ok(map.next_value_seed(ReadSeed { reader, event_type })?));
                    }
                    _ => d = map.next_value()?,
                },
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let op = op.ok_or_else(|| de::Error::missing_field("op"))?;
        Ok(Envelope {
            op,
            s,
            t,
            d,
            dispatch,
        })
    }
}

/// Hands a dispatch's `d` to the consumer's reader.
struct ReadSeed<'r, 't, R> {
    reader: &'r R,
    event_type: &'t str,
}

impl<'de, R: DispatchReader> DeserializeSeed<'de> for ReadSeed<'_, '_, R> {
    type Value = R::Data;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<R::Data, D::Error> {
        self.reader.read(self.event_type, deserializer)
    }
}

/// A string borrowed from the payload where it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The envelope's keys.
enum Key {
    Op,
    S,
    T,
    D,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a payload field")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "op" => Key::Op,
                    "s" => Key::S,
                    "t" => Key::T,
                    "d" => Key::D,
                    _ => Key::Other,
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
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
    use crate::gateway::dispatch::{KeepRaw, RawDispatch};
    use twilight_model::gateway::payload::incoming::Hello;

    fn parse(json: &str) -> Envelope<'_, RawDispatch> {
        Envelope::parse(json, &KeepRaw).unwrap()
    }

    /// Reads a message's `id` and nothing else, and refuses anything without one.
    struct MessageIds;

    impl DispatchReader for MessageIds {
        type Data = String;

        fn read<'de, D: Deserializer<'de>>(&self, _: &str, data: D) -> Result<String, D::Error> {
            #[derive(Deserialize)]
            struct Message {
                id: String,
            }
            Ok(Message::deserialize(data)?.id)
        }
    }

    #[test]
    fn a_dispatch_goes_to_the_reader_as_discord_orders_it() {
        let json =
            r#"{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"content":"shipped \"it\"","id":"1"}}"#;
        let envelope = parse(json);
        assert_eq!(
            (envelope.op, envelope.s, envelope.t.as_deref()),
            (0, Some(42), Some("MESSAGE_CREATE"))
        );
        let dispatch = envelope.dispatch.unwrap().unwrap();
        assert_eq!(dispatch.event_type, "MESSAGE_CREATE");
        assert_eq!(
            dispatch.data.get(),
            r#"{"content":"shipped \"it\"","id":"1"}"#
        );
        assert!(envelope.d.is_none());
    }

    #[test]
    fn a_dispatch_whose_data_comes_first_is_read_after_the_envelope() {
        let json = r#"{"d":{"id":"7","x":[1,{"y":null}]},"op":0,"t":"MESSAGE_CREATE","s":3}"#;
        let envelope = Envelope::parse(json, &MessageIds).unwrap();
        assert_eq!(envelope.s, Some(3));
        assert_eq!(envelope.dispatch.unwrap().unwrap(), "7");
    }

    #[test]
    fn data_the_reader_refuses_fails_that_dispatch_and_not_the_payload() {
        let json = r#"{"op":0,"s":9,"t":"MESSAGE_CREATE","d":{"content":"no id"}}"#;
        let envelope = Envelope::parse(json, &MessageIds).unwrap();
        assert_eq!((envelope.op, envelope.s), (0, Some(9)));
        let error = envelope.dispatch.unwrap().unwrap_err();
        assert!(error.to_string().contains("missing field `id`"), "{error}");
    }

    #[test]
    fn ready_and_resumed_stay_with_the_shard() {
        let json = r#"{"op":0,"s":1,"t":"READY","d":{"v":10,"guilds":[{"id":"1","unavailable":true}],
            "session_id":"abc","resume_gateway_url":"wss://resume.discord.gg","user":{"id":"2"}}}"#;
        let envelope = parse(json);
        assert!(envelope.dispatch.is_none());
        let ready: ReadySession = envelope.data().unwrap();
        assert_eq!(
            (ready.session_id.as_str(), ready.resume_gateway_url.as_str()),
            ("abc", "wss://resume.discord.gg")
        );
        let resumed = parse(r#"{"op":0,"s":5,"t":"RESUMED","d":{"_trace":["x"]}}"#);
        assert!(resumed.dispatch.is_none());
        assert_eq!(resumed.s, Some(5));
    }

    #[test]
    fn an_ack_without_data_parses() {
        let envelope = parse(r#"{"op":11}"#);
        assert_eq!(
            (envelope.op, envelope.s, envelope.t, envelope.d.is_none()),
            (11, None, None, true)
        );
        let envelope = parse(r#"{"op":11,"d":null,"s":null,"t":null}"#);
        assert!(envelope.d.is_none() && envelope.dispatch.is_none());
    }

    #[test]
    fn hello_gives_the_heartbeat_interval() {
        let envelope = parse(r#"{"op":10,"d":{"heartbeat_interval":41250,"_trace":["x"]}}"#);
        assert_eq!(envelope.data::<Hello>().unwrap().heartbeat_interval, 41250);
    }

    #[test]
    fn invalid_session_gives_its_resumable_flag() {
        let envelope = parse(r#"{"op":9,"d":true}"#);
        assert!(envelope.data::<bool>().unwrap());
    }

    #[test]
    fn a_payload_that_is_not_a_gateway_payload_is_an_error() {
        for json in [
            "x\u{9c} garbage",
            r#"{"s":1,"t":"MESSAGE_CREATE","d":{}}"#,
            r#"{"op":0,"d":{}} trailing"#,
            r#"[0]"#,
        ] {
            assert!(Envelope::parse(json, &KeepRaw).is_err(), "{json}");
        }
    }
}
