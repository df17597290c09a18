//! Development and test tools for ShipTrack. Never deployed.
