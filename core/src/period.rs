//! The periods `/leaderboard` ranks over.

use serde::{Deserialize, Serialize};

/// A leaderboard period, as offered by the `/leaderboard period` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Week,
    Month,
    Quarter,
    All,
}
