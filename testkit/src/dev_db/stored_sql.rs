//! SQL texts a client stored on its stream (`store_sql`) so later statements can name them by
//! id, with sqld's limits: `@libsql/client` caches every statement this way and relies on
//! them (it never stores a text of 5000 bytes or more).

use std::collections::HashMap;

use super::error::EndpointError;

/// sqld keeps at most this many texts per stream.
const MAX_STORED: usize = 50;
/// sqld refuses to store a text longer than this.
pub(super) const MAX_SQL_BYTES: usize = 5_000;

/// Why `store_sql` did not store.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StoreRefusal {
    /// The id is taken: a protocol error.
    IdInUse,
    /// The stream holds the maximum already: an error result.
    TooMany { count: usize },
    /// The text is too long: an error result.
    TooLarge { size: usize },
}

#[derive(Debug, Default)]
pub(super) struct StoredSql {
    texts: HashMap<i32, String>,
}

impl StoredSql {
    pub(super) fn store(&mut self, sql_id: i32, sql: String) -> Result<(), StoreRefusal> {
        if self.texts.contains_key(&sql_id) {
            return Err(StoreRefusal::IdInUse);
        }
        if self.texts.len() >= MAX_STORED {
            return Err(StoreRefusal::TooMany {
                count: self.texts.len(),
            });
        }
        if sql.len() > MAX_SQL_BYTES {
            return Err(StoreRefusal::TooLarge { size: sql.len() });
        }
        self.texts.insert(sql_id, sql);
        Ok(())
    }

    /// Forgets a text; closing an id that holds nothing is allowed by the protocol.
    pub(super) fn close(&mut self, sql_id: i32) {
        self.texts.remove(&sql_id);
    }

    /// The text a request means: given inline (`sql`) or by id (`sql_id`), exactly one of them.
    pub(super) fn resolve<'a>(
        &'a self,
        sql: Option<&'a str>,
        sql_id: Option<i32>,
    ) -> Result<&'a str, EndpointError> {
        match (sql, sql_id) {
            (Some(sql), None) => Ok(sql),
            (None, Some(sql_id)) => self
                .texts
                .get(&sql_id)
                .map(String::as_str)
                .ok_or(EndpointError::SqlNotFound { sql_id }),
            (Some(_), Some(_)) => Err(EndpointError::SqlIdAndSqlGiven),
            (None, None) => Err(EndpointError::SqlIdOrSqlNotGiven),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_text_is_found_by_its_id_until_closed() {
        let mut stored = StoredSql::default();
        stored.store(7, "SELECT 1".into()).expect("stored");
        assert_eq!(stored.resolve(None, Some(7)).ok(), Some("SELECT 1"));
        stored.close(7);
        assert!(matches!(
            stored.resolve(None, Some(7)),
            Err(EndpointError::SqlNotFound { sql_id: 7 })
        ));
    }

    #[test]
    fn an_id_in_use_cannot_be_stored_again() {
        let mut stored = StoredSql::default();
        stored.store(1, "SELECT 1".into()).expect("stored");
        assert_eq!(
            stored.store(1, "SELECT 2".into()),
            Err(StoreRefusal::IdInUse)
        );
    }

    #[test]
    fn the_fifty_first_text_is_refused() {
        let mut stored = StoredSql::default();
        for id in 0..50 {
            stored.store(id, format!("SELECT {id}")).expect("stored");
        }
        assert_eq!(
            stored.store(50, "SELECT 50".into()),
            Err(StoreRefusal::TooMany { count: 50 })
        );
    }

    #[test]
    fn a_text_longer_than_five_thousand_bytes_is_refused() {
        let mut stored = StoredSql::default();
        let long = format!("SELECT '{}'", "x".repeat(MAX_SQL_BYTES));
        assert_eq!(
            stored.store(1, long.clone()),
            Err(StoreRefusal::TooLarge { size: long.len() })
        );
    }

    #[test]
    fn a_request_names_its_sql_exactly_once() {
        let stored = StoredSql::default();
        assert_eq!(
            stored.resolve(Some("SELECT 1"), None).ok(),
            Some("SELECT 1")
        );
        assert!(matches!(
            stored.resolve(Some("SELECT 1"), Some(1)),
            Err(EndpointError::SqlIdAndSqlGiven)
        ));
        assert!(matches!(
            stored.resolve(None, None),
            Err(EndpointError::SqlIdOrSqlNotGiven)
        ));
    }
}
