//! The SQL ShipTrack runs, as text, so the edge (Hrana over HTTP) and the native side
//! (the `libsql` crate) run the very same statements against the schema in `migrations/`.
