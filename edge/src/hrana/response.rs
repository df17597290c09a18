//! The pipeline's answer, decoded into only what the Worker reads.
//!
//! `libsql-hrana`'s response types are internally tagged enums (`{"type": "ok", ...}`), which
//! serde can only decode by first buffering every value into a generic tree; in the wasm
//! build that buffering and the protocol types it serves cost about 60 KB of the bundle.
//! These plain structs decode the same JSON field by field, with miniserde (as the Worker
//! reads all JSON; see `shiptrack_core::interaction`). Requests keep `libsql-hrana`'s types:
//! serialising them needs no buffering.

use std::mem;

use miniserde::{
    Deserialize, Error, Result,
    de::{Seq, Visitor},
    make_place,
};

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
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
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
enum WireKind {
    #[serde(rename = "null")]
    Null,
    #[serde(rename = "integer")]
    Integer,
    #[serde(rename = "float")]
    Float,
    #[serde(rename = "text")]
    Text,
    #[serde(rename = "blob")]
    Blob,
}

/// The column value `wire` stands for, or `None` when an integer or a text has no string
/// value (or the integer's is not a decimal i64).
fn column_value(wire: WireValue) -> Option<ColumnValue> {
    match (wire.kind, wire.value) {
        (WireKind::Null, _) => Some(ColumnValue::Null),
        (WireKind::Integer, Some(Scalar::Text(digits))) => {
            digits.parse().ok().map(ColumnValue::Integer)
        }
        (WireKind::Text, Some(Scalar::Text(text))) => Some(ColumnValue::Text(text)),
        (WireKind::Float | WireKind::Blob, _) => Some(ColumnValue::Other),
        (WireKind::Integer | WireKind::Text, _) => None,
    }
}

/// A value's `value` field: a string for integers and text, a number for floats.
enum Scalar {
    Text(String),
    Number,
}

impl Deserialize for Scalar {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<Scalar> {
            fn string(&mut self, s: &str) -> Result<()> {
                self.out = Some(Scalar::Text(s.to_owned()));
                Ok(())
            }

            fn negative(&mut self, _: i64) -> Result<()> {
                self.out = Some(Scalar::Number);
                Ok(())
            }

            fn nonnegative(&mut self, _: u64) -> Result<()> {
                self.out = Some(Scalar::Number);
                Ok(())
            }

            fn float(&mut self, _: f64) -> Result<()> {
                self.out = Some(Scalar::Number);
                Ok(())
            }
        }

        Place::new(out)
    }
}

/// A row is a JSON array of values, each checked by [`column_value`] as it is read.
impl Deserialize for Row {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<Row> {
            fn seq(&mut self) -> Result<Box<dyn Seq + '_>> {
                Ok(Box::new(RowValues {
                    out: &mut self.out,
                    values: Vec::new(),
                    next: None,
                }))
            }
        }

        Place::new(out)
    }
}

struct RowValues<'a> {
    out: &'a mut Option<Row>,
    values: Vec<ColumnValue>,
    /// The element being read.
    next: Option<WireValue>,
}

impl RowValues<'_> {
    fn take_next(&mut self) -> Result<()> {
        if let Some(wire) = self.next.take() {
            self.values.push(column_value(wire).ok_or(Error)?);
        }
        Ok(())
    }
}

impl Seq for RowValues<'_> {
    fn element(&mut self) -> Result<&mut dyn Visitor> {
        self.take_next()?;
        Ok(WireValue::begin(&mut self.next))
    }

    fn finish(&mut self) -> Result<()> {
        self.take_next()?;
        *self.out = Some(Row {
            values: mem::take(&mut self.values),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(row: serde_json::Value) -> miniserde::Result<Row> {
        miniserde::json::from_str(&row.to_string())
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
