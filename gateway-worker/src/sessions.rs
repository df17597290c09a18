//! Durable sessions: what a restarted (or standby) worker resumes.
//!
//! A session can outlive the process that opened it: Discord keeps it for a while after the
//! connection drops and replays every event after the sequence number a RESUME names. So the
//! worker stores, per shard, the session id, the resume URL and the last sequence number
//! *whose effects are stored* — never one that is only in memory, or a restart would skip the
//! events between them. It is written every `SESSION_SAVE_MS` while events flow and once more
//! on shutdown, not on every event, so the database sees one small write per interval.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::gateway::{ResumeState, ShardId};
use crate::store::StoreError;
use crate::store::gateway::{self as stored, SessionWrite, StoredSession};

/// How old a stored session may be and still be worth a RESUME. Discord does not document
/// how long it keeps a session; an older one is most likely gone, and trying it anyway costs
/// an Invalid Session and a few seconds before identifying.
pub const RESUMABLE_FOR: Duration = Duration::from_secs(10 * 60);

/// The stored session to resume at start, if it is fresh enough.
pub fn resumable(stored: Option<StoredSession>, now_ms: i64) -> Option<ResumeState> {
    let stored = stored?;
    let age = now_ms.saturating_sub(stored.updated_at);
    (age <= RESUMABLE_FOR.as_millis() as i64).then_some(stored.resume)
}

/// [`ResumeState`] as spooled: a READY waits in the queue like any event, so the session
/// only becomes the stored one once everything before it is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub resume_gateway_url: String,
    pub sequence: u64,
}

impl From<ResumeState> for SessionRecord {
    fn from(state: ResumeState) -> Self {
        Self {
            session_id: state.session_id,
            resume_gateway_url: state.resume_gateway_url,
            sequence: state.sequence,
        }
    }
}

impl From<SessionRecord> for ResumeState {
    fn from(record: SessionRecord) -> Self {
        Self {
            session_id: record.session_id,
            resume_gateway_url: record.resume_gateway_url,
            sequence: record.sequence,
        }
    }
}

/// One shard's session as far as its effects are stored, and what the database has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    current: Option<ResumeState>,
    saved: Option<ResumeState>,
}

impl Progress {
    /// Starts from the session loaded at start-up, which the database already has.
    pub fn resumed_from(session: Option<ResumeState>) -> Self {
        Self {
            current: session.clone(),
            saved: session,
        }
    }

    /// A new session's READY is stored: events before it belong to a session that is gone.
    pub fn started(&mut self, session: ResumeState) {
        self.current = Some(session);
    }

    /// Every event up to `sequence` has its effects stored.
    pub fn stored_through(&mut self, sequence: u64) {
        if let Some(current) = &mut self.current {
            current.sequence = sequence;
        }
    }

    /// The session to resume from: its sequence never passes an event whose effects are not stored.
    pub fn current(&self) -> Option<&ResumeState> {
        self.current.as_ref()
    }

    /// What to write, when it differs from what the database has.
    pub fn unsaved(&self) -> Option<&ResumeState> {
        self.current
            .as_ref()
            .filter(|current| self.saved.as_ref() != Some(*current))
    }

    pub fn mark_saved(&mut self, saved: ResumeState) {
        self.saved = Some(saved);
    }
}

/// Where a shard picks up when this process takes its lease: its own progress from an
/// earlier tenure when the database still holds exactly what this process last saved (no one
/// else ran the shard meanwhile, and its progress may be further on), otherwise the stored
/// session if it is fresh enough, otherwise nothing (identify).
pub fn pick_up(previous: Option<Progress>, stored: Option<StoredSession>, now_ms: i64) -> Progress {
    match previous {
        Some(previous)
            if previous.saved.as_ref() == stored.as_ref().map(|stored| &stored.resume) =>
        {
            previous
        }
        _ => Progress::resumed_from(resumable(stored, now_ms)),
    }
}

/// What a save found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Written, or nothing new to write.
    UpToDate,
    /// This process no longer holds the shard's lease, so the write was refused.
    LeaseLost,
}

/// Writes the session if it changed since the last save. The write only lands while
/// `holder` holds the shard's lease.
pub async fn save(
    conn: &libsql::Connection,
    shard: ShardId,
    holder: &str,
    progress: &mut Progress,
    now_ms: i64,
) -> Result<Saved, StoreError> {
    let Some(unsaved) = progress.unsaved().cloned() else {
        return Ok(Saved::UpToDate);
    };
    match stored::save_session(conn, shard, holder, &unsaved, now_ms).await? {
        SessionWrite::Done => {
            tracing::debug!(%shard, sequence = unsaved.sequence, "session stored");
            progress.mark_saved(unsaved);
            Ok(Saved::UpToDate)
        }
        SessionWrite::NotLeaseHolder => Ok(Saved::LeaseLost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, sequence: u64) -> ResumeState {
        ResumeState {
            session_id: id.to_owned(),
            resume_gateway_url: "wss://resume.example".to_owned(),
            sequence,
        }
    }

    #[test]
    fn a_recent_session_is_resumed_and_a_stale_one_is_not() {
        let stored = |updated_at| {
            Some(StoredSession {
                resume: session("a", 7),
                updated_at,
            })
        };
        let now = 100_000_000;
        assert_eq!(resumable(stored(now - 60_000), now), Some(session("a", 7)));
        assert_eq!(
            resumable(stored(now - RESUMABLE_FOR.as_millis() as i64 - 1), now),
            None
        );
        assert_eq!(resumable(None, now), None);
    }

    #[test]
    fn nothing_is_written_until_something_changes() {
        let mut progress = Progress::resumed_from(Some(session("a", 7)));
        assert_eq!(progress.unsaved(), None);
        progress.stored_through(9);
        assert_eq!(progress.unsaved(), Some(&session("a", 9)));
        progress.mark_saved(session("a", 9));
        assert_eq!(progress.unsaved(), None);
    }

    #[test]
    fn a_new_session_replaces_the_old_one() {
        let mut progress = Progress::resumed_from(Some(session("a", 7)));
        progress.started(session("b", 1));
        progress.stored_through(3);
        assert_eq!(progress.current(), Some(&session("b", 3)));
    }

    #[test]
    fn sequences_before_any_session_are_not_recorded() {
        let mut progress = Progress::default();
        progress.stored_through(5);
        assert_eq!(progress.current(), None);
        assert_eq!(progress.unsaved(), None);
    }

    #[test]
    fn a_second_tenure_continues_from_its_own_progress_when_no_one_else_wrote() {
        let mut previous = Progress::resumed_from(Some(session("a", 7)));
        previous.stored_through(12);
        let stored = Some(StoredSession {
            resume: session("a", 7),
            updated_at: 1_000,
        });
        assert_eq!(
            pick_up(Some(previous), stored, 2_000).current(),
            Some(&session("a", 12))
        );
    }

    #[test]
    fn a_second_tenure_takes_the_stored_session_when_another_process_wrote_it() {
        let previous = Progress::resumed_from(Some(session("a", 7)));
        let stored = Some(StoredSession {
            resume: session("b", 40),
            updated_at: 1_000,
        });
        assert_eq!(
            pick_up(Some(previous), stored, 2_000).current(),
            Some(&session("b", 40))
        );
    }

    #[test]
    fn a_first_tenure_resumes_a_fresh_stored_session() {
        let stored = Some(StoredSession {
            resume: session("b", 40),
            updated_at: 1_000,
        });
        let progress = pick_up(None, stored, 2_000);
        assert_eq!(progress.current(), Some(&session("b", 40)));
        assert_eq!(progress.unsaved(), None);
    }

    #[test]
    fn a_spooled_session_record_round_trips() {
        let record = SessionRecord::from(session("a", 7));
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(
            ResumeState::from(serde_json::from_str::<SessionRecord>(&text).unwrap()),
            session("a", 7)
        );
    }
}
