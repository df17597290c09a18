//! `gateway-worker`: ShipTrack's native binary.
fn main() {}
