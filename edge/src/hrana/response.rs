//! The pipeline's answer, decoded into only what the Worker reads.
//!
//! `libsql-hrana`'s response types are internally tagged enums (`{"type": "ok", ...}`), which
//! serde can only decode by first buffering every value into a generic tree; in the wasm
//! build that buffering and the protocol types it serves cost about 60 KB of the bundle.
//! These plain structs decode the same JSON field by field. Requests keep `libsql-hrana`'s
//! types: serialising them needs no buffering.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// `{"baton": ..., "base_url": ..., "results": [...]}`; only the results matter to one
/// closed stream per operation.
#[derive(Deserialize)]
pub(super) struct PipelineResponse {
    pub results: Vec<StreamResult>,
}

/// `{"type": "ok", "response": {...}}` or `{"type": "error", "error": {...}}`.
#[derive(Deserialize)]
pub(super) struct StreamResult {
    #[serde(rename = "type")]
    pub kind: String,
    pub response: Option<StreamResponse>,
    pub error: Option<StreamError>,
}

/// `{"type": "execute", "result": {...}}`, or another request's response (`close`).
#[derive(Deserialize)]
pub(super) struct StreamResponse {
    #[serde(rename = "type")]
    pub kind: String,
    pub result: Option<StmtResult>,
}

#[derive(Deserialize)]
pub(super) struct StreamError {
    pub message: String,
}

/// One statement's rows and how many rows it changed.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct StmtResult {
    pub rows: Vec<Row>,
    pub affected_row_count: u64,
}

/// A result row, read by column position as `shiptrack_core::sql` documents it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Row {
    pub values: Vec<ColumnValue>,
}

impl Row {
    pub fn text(&self, column: usize) -> Option<&str> {
        match self.values.get(column)? {
            ColumnValue::Text(value) => Some(value),
            _ => None,
        }
    }

    pub fn integer(&self, column: usize) -> Option<i64> {
        match self.values.get(column)? {
            ColumnValue::Integer(value) => Some(*value),
            _ => None,
        }
    }

    pub fn is_null(&self, column: usize) -> bool {
        matches!(self.values.get(column), Some(ColumnValue::Null))
    }
}

/// A column's value. No column the Worker reads holds a float or a blob, so those are kept
/// only as present ([`ColumnValue::Other`]), which spares the Worker a base64 decoder.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(try_from = "WireValue")]
pub enum ColumnValue {
    Null,
    Integer(i64),
    Text(String),
    Other,
}

/// A value as Hrana writes it: `{"type": "integer", "value": "42"}` (integers as strings,
/// so they survive JavaScript), `{"type": "float", "value": 1.5}`, `{"type": "blob",
/// "base64": "..."}`.
#[derive(Deserialize)]
struct WireValue {
    #[serde(rename = "type")]
    kind: WireKind,
    value: Option<Scalar>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WireKind {
    Null,
    Integer,
    Float,
    Text,
    Blob,
}

impl TryFrom<WireValue> for ColumnValue {
    type Error = &'static str;

    fn try_from(wire: WireValue) -> Result<Self, Self::Error> {
        match (wire.kind, wire.value) {
            (WireKind::Null, _) => Ok(ColumnValue::Null),
            (WireKind::Integer, Some(Scalar::Text(digits))) => digits
                .parse()
                .map(ColumnValue::Integer)
                .map_err(|_| "an integer value is not a decimal i64"),
            (WireKind::Text, Some(Scalar::Text(text))) => Ok(ColumnValue::Text(text)),
            (WireKind::Float | WireKind::Blob, _) => Ok(ColumnValue::Other),
            (WireKind::Integer | WireKind::Text, _) => Err("a value without a string value"),
        }
    }
}

/// A value's `value` field: a string for integers and text, a number for floats.
enum Scalar {
    Text(String),
    Number,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a string or a number")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(value.to_owned()))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(value))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number)
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(row: serde_json::Value) -> Result<Row, serde_json::Error> {
        serde_json::from_value(row)
    }

    #[test]
    fn every_hrana_value_type_decodes() {
        let row = values(json!([
            {"type": "null"},
            {"type": "integer", "value": "-9007199254740993"},
            {"type": "text", "value": "caf\u{e9} \"quoted\""},
            {"type": "float", "value": 1.5},
            {"type": "blob", "base64": "AAE="},
        ]))
        .unwrap();
        assert_eq!(
            row.values,
            [
                ColumnValue::Null,
                ColumnValue::Integer(-9_007_199_254_740_993),
                ColumnValue::Text("café \"quoted\"".to_owned()),
                ColumnValue::Other,
                ColumnValue::Other,
            ]
        );
        assert!(row.is_null(0));
        assert!(!row.is_null(1));
        assert!(!row.is_null(5));
    }

    #[test]
    fn integers_not_written_as_decimal_strings_are_refused() {
        for value in [json!("4.2"), json!(42), json!(null)] {
            let row = json!([{"type": "integer", "value": value}]);
            assert!(values(row).is_err(), "{value}");
        }
        assert!(values(json!([{"type": "decimal", "value": "1"}])).is_err());
    }
}
