//! The gateway session: who we are to Discord between connections.
//!
//! A session outlives its connection. After the socket goes away Discord keeps the session for
//! a few minutes (unless we closed with 1000 or 1001) and, when we RESUME with its id and the
//! last sequence number we saw, replays every dispatch we missed. So the same session serves
//! every reconnect, and, stored in `gateway_sessions`, a restart of the process too: the next
//! process resumes where the last one stopped and nothing sent in between is lost. Only when
//! Discord says the session is gone (op 9 false, 4007, 4009), or resuming keeps failing, do we
//! IDENTIFY for a new one.

/// What a shard needs to resume a session (also what is persisted in `gateway_sessions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumeState {
    pub session_id: String,
    pub resume_gateway_url: String,
    /// The last dispatch sequence number received; Discord replays everything after it.
    pub sequence: u64,
}

/// Resumes that may fail in a row before we identify afresh, so a session Discord keeps
/// refusing does not hold the shard in a resume loop.
const MAX_FAILED_RESUMES: u8 = 3;

/// Where the next connection goes and what it sends after Hello.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan<'a> {
    Resume {
        url: &'a str,
        session: &'a ResumeState,
    },
    Identify {
        url: &'a str,
    },
}

/// The session across connections, with what past connections taught us about it.
#[derive(Debug)]
pub struct Session {
    current: Option<ResumeState>,
    failed_resumes: u8,
    resume_url_unreachable: bool,
}

impl Session {
    pub fn new(stored: Option<ResumeState>) -> Self {
        Self {
            current: stored,
            failed_resumes: 0,
            resume_url_unreachable: false,
        }
    }

    pub fn current(&self) -> Option<&ResumeState> {
        self.current.as_ref()
    }

    pub fn into_current(self) -> Option<ResumeState> {
        self.current
    }

    /// The next connection: resume on the session's URL, or on Discord's main URL once the
    /// resume URL could not be reached; identify (always on the main URL) without a session.
    pub fn plan<'a>(&'a self, main_url: &'a str) -> Plan<'a> {
        match &self.current {
            Some(session) if self.resume_url_unreachable => Plan::Resume {
                url: main_url,
                session,
            },
            Some(session) => Plan::Resume {
                url: &session.resume_gateway_url,
                session,
            },
            None => Plan::Identify { url: main_url },
        }
    }

    /// READY: a new session replaces whatever came before.
    pub fn started(&mut self, session: ResumeState) {
        *self = Self::new(Some(session));
    }

    /// RESUMED: the session works again, on the URL we reached it on.
    pub fn resumed(&mut self) {
        self.failed_resumes = 0;
        self.resume_url_unreachable = false;
    }

    pub fn set_sequence(&mut self, sequence: u64) {
        if let Some(session) = &mut self.current {
            session.sequence = sequence;
        }
    }

    /// A resume ended before RESUMED; the third in a row gives the session up.
    pub fn resume_failed(&mut self) {
        self.failed_resumes += 1;
        if self.failed_resumes >= MAX_FAILED_RESUMES {
            self.invalidate();
        }
    }

    /// Connecting to `resume_gateway_url` failed: Discord says to fall back to the main URL.
    pub fn resume_url_unreachable(&mut self) {
        self.resume_url_unreachable = true;
    }

    /// Discord no longer knows the session (op 9 false, 4007, 4009).
    pub fn invalidate(&mut self) {
        *self = Self::new(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "wss://gateway.discord.gg";

    fn stored() -> ResumeState {
        ResumeState {
            session_id: "abc".into(),
            resume_gateway_url: "wss://resume.discord.gg".into(),
            sequence: 41,
        }
    }

    #[test]
    fn a_stored_session_is_resumed_on_its_resume_url() {
        let session = Session::new(Some(stored()));
        assert_eq!(
            session.plan(MAIN),
            Plan::Resume {
                url: "wss://resume.discord.gg",
                session: &stored()
            }
        );
    }

    #[test]
    fn without_a_session_the_shard_identifies_on_the_main_url() {
        assert_eq!(Session::new(None).plan(MAIN), Plan::Identify { url: MAIN });
    }

    #[test]
    fn an_unreachable_resume_url_falls_back_to_the_main_url_and_still_resumes() {
        let mut session = Session::new(Some(stored()));
        session.resume_url_unreachable();
        assert_eq!(
            session.plan(MAIN),
            Plan::Resume {
                url: MAIN,
                session: &stored()
            }
        );
        session.resumed();
        assert!(matches!(
            session.plan(MAIN),
            Plan::Resume {
                url: "wss://resume.discord.gg",
                ..
            }
        ));
    }

    #[test]
    fn the_third_failed_resume_in_a_row_falls_back_to_identify() {
        let mut session = Session::new(Some(stored()));
        session.resume_failed();
        session.resume_failed();
        assert!(matches!(session.plan(MAIN), Plan::Resume { .. }));
        session.resume_failed();
        assert_eq!(session.plan(MAIN), Plan::Identify { url: MAIN });
    }

    #[test]
    fn a_successful_resume_clears_the_failure_count() {
        let mut session = Session::new(Some(stored()));
        session.resume_failed();
        session.resume_failed();
        session.resumed();
        session.resume_failed();
        session.resume_failed();
        assert!(matches!(session.plan(MAIN), Plan::Resume { .. }));
    }

    #[test]
    fn the_sequence_moves_with_dispatches_and_is_what_a_resume_sends() {
        let mut session = Session::new(Some(stored()));
        session.set_sequence(42);
        let Plan::Resume { session: state, .. } = session.plan(MAIN) else {
            panic!("resume")
        };
        assert_eq!(state.sequence, 42);
    }

    #[test]
    fn ready_replaces_the_old_session_and_its_history() {
        let mut session = Session::new(Some(stored()));
        session.resume_url_unreachable();
        session.resume_failed();
        session.resume_failed();
        let fresh = ResumeState {
            session_id: "new".into(),
            resume_gateway_url: "wss://other.discord.gg".into(),
            sequence: 1,
        };
        session.started(fresh.clone());
        session.resume_failed();
        assert_eq!(
            session.plan(MAIN),
            Plan::Resume {
                url: "wss://other.discord.gg",
                session: &fresh
            }
        );
    }

    #[test]
    fn an_invalidated_session_is_forgotten() {
        let mut session = Session::new(Some(stored()));
        session.invalidate();
        assert_eq!(session.current(), None);
        assert_eq!(session.plan(MAIN), Plan::Identify { url: MAIN });
    }
}
