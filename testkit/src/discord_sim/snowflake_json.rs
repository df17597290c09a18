//! Snowflakes travel through the control API as JSON strings, as Discord sends them, because
//! JavaScript and jq read larger integers as doubles and lose digits. Either form is accepted in.
use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Either {
    Text(String),
    Number(u64),
}

fn parse<E: serde::de::Error>(either: Either) -> Result<u64, E> {
    match either {
        Either::Number(n) => Ok(n),
        Either::Text(text) => text
            .parse()
            .map_err(|_| E::custom(format!("\"{text}\" is not a snowflake"))),
    }
}

pub fn serialize<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    parse(Either::deserialize(deserializer)?)
}

/// The same for `Option<u64>`; use with `#[serde(default)]`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(id: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => serializer.collect_str(id),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        Option::<Either>::deserialize(deserializer)?
            .map(parse)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(with = "super")]
        id: u64,
        #[serde(with = "super::option", default)]
        maybe: Option<u64>,
    }

    #[test]
    fn snowflakes_are_written_as_strings_and_read_from_either_form() {
        let holder = Holder {
            id: 1_246_255_702_050_078_720,
            maybe: None,
        };
        let text = serde_json::to_string(&holder).unwrap();
        assert_eq!(text, r#"{"id":"1246255702050078720","maybe":null}"#);
        assert_eq!(serde_json::from_str::<Holder>(&text).unwrap(), holder);
        let numeric: Holder =
            serde_json::from_str(r#"{"id":1246255702050078720,"maybe":"7"}"#).unwrap();
        assert_eq!(
            numeric,
            Holder {
                id: 1_246_255_702_050_078_720,
                maybe: Some(7)
            }
        );
        assert_eq!(
            serde_json::from_str::<Holder>(r#"{"id":"1"}"#)
                .unwrap()
                .maybe,
            None
        );
    }
}
