//! Conversions between Hrana's wire values and the embedded engine's values. The JSON shape
//! (integers as strings, blobs as base64) is `libsql_hrana::proto::Value`'s own.

use libsql_hrana::proto;

/// The engine value for an argument; `None` for the placeholder variant the protocol types
/// keep for unrecognised values, which no decoded request carries.
pub(super) fn to_engine(value: &proto::Value) -> Option<libsql::Value> {
    Some(match value {
        proto::Value::None => return None,
        proto::Value::Null => libsql::Value::Null,
        proto::Value::Integer { value } => libsql::Value::Integer(*value),
        proto::Value::Float { value } => libsql::Value::Real(*value),
        proto::Value::Text { value } => libsql::Value::Text(value.to_string()),
        proto::Value::Blob { value } => libsql::Value::Blob(value.to_vec()),
    })
}

/// The wire value for a column value read from the engine.
pub(super) fn to_wire(value: libsql::Value) -> proto::Value {
    match value {
        libsql::Value::Null => proto::Value::Null,
        libsql::Value::Integer(value) => proto::Value::Integer { value },
        libsql::Value::Real(value) => proto::Value::Float { value },
        libsql::Value::Text(value) => proto::Value::Text {
            value: value.into(),
        },
        libsql::Value::Blob(value) => proto::Value::Blob {
            value: value.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_engine_value_survives_the_round_trip_through_the_wire() {
        let values = [
            libsql::Value::Null,
            libsql::Value::Integer(i64::MIN),
            libsql::Value::Integer(i64::MAX),
            libsql::Value::Real(-0.125),
            libsql::Value::Text("shipped 🚀 ünïcode".into()),
            libsql::Value::Blob(vec![0, 1, 254, 255]),
        ];
        for value in values {
            assert_eq!(to_engine(&to_wire(value.clone())), Some(value));
        }
    }

    #[test]
    fn wire_json_is_typed_as_hrana_specifies() {
        let encoded = |value| serde_json::to_value(to_wire(value)).expect("serialisable");
        assert_eq!(encoded(libsql::Value::Null), json!({"type": "null"}));
        assert_eq!(
            encoded(libsql::Value::Integer(9_007_199_254_740_993)),
            json!({"type": "integer", "value": "9007199254740993"})
        );
        assert_eq!(
            encoded(libsql::Value::Real(1.5)),
            json!({"type": "float", "value": 1.5})
        );
        assert_eq!(
            encoded(libsql::Value::Blob(b"hi!".to_vec())),
            json!({"type": "blob", "base64": "aGkh"})
        );
    }
}
