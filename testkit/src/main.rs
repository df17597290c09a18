//! `testkit`: the local stand-ins for Discord and Turso.
fn main() {}
