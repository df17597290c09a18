//! The database: where it is (`DATABASE_URL`), opening it with the `libsql` crate, and
//! bringing its schema up to date from `migrations/`.

pub mod config;
pub mod connect;
pub mod migrate;
#[cfg(test)]
pub(crate) mod test_support;
