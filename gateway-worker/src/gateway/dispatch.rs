//! What a shard hands its consumer for each dispatch: whatever the consumer's
//! [`DispatchReader`] makes of the event's `d`, read in the same pass over the payload as the
//! envelope around it. Most dispatches mean nothing to a consumer, and a reader that reads only
//! what it needs spares every event a second parse and a copy of its data.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Reads the `d` of the dispatches a shard passes on (every dispatch but READY and RESUMED,
/// which the shard reads itself).
pub trait DispatchReader: Send + Sync + 'static {
    /// What one dispatch becomes.
    type Data: fmt::Debug + Send + 'static;

    /// Reads the `d` of a dispatch named `event_type`. An error here only skips this event
    /// (the consumer gets an [`UnreadableDispatch`]); the connection goes on.
    fn read<'de, D: Deserializer<'de>>(
        &self,
        event_type: &str,
        data: D,
    ) -> Result<Self::Data, D::Error>;
}

/// A dispatch whose `d` the consumer's reader refused.
#[derive(Debug)]
pub struct UnreadableDispatch {
    pub event_type: String,
    pub error: serde_json::Error,
}

impl fmt::Display for UnreadableDispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} whose data does not parse: {}",
            self.event_type, self.error
        )
    }
}

/// A reader that keeps every dispatch as it came: its name and its `d` as raw JSON.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeepRaw;

/// A dispatch kept by [`KeepRaw`].
#[derive(Debug)]
pub struct RawDispatch {
    pub event_type: String,
    pub data: Box<RawValue>,
}

impl DispatchReader for KeepRaw {
    type Data = RawDispatch;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        event_type: &str,
        data: D,
    ) -> Result<RawDispatch, D::Error> {
        Ok(RawDispatch {
            event_type: event_type.to_owned(),
            data: Box::<RawValue>::deserialize(data)?,
        })
    }
}
