//! What a closed connection means for the next one: resume the session, start a new one, or
//! stop for good. Discord's close code table, in one place.

use super::FatalErrorKind;

/// The code we close with whenever the session must stay resumable (a zombie, op 7, op 9 true,
/// a redeploy): Discord invalidates the session on 1000 and 1001.
pub const RESUMABLE_CLOSE: u16 = 4000;

/// What to do after the gateway closed the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseAction {
    /// Reconnect and resume the session (if there is one).
    Resume,
    /// Reconnect and identify: the session is gone.
    NewSession,
    /// Stop: reconnecting with the same configuration fails the same way.
    Fatal(FatalErrorKind),
}

/// Classifies a close code from Discord; `None` is a connection that ended without one
/// (a dropped TCP connection, a network error), which Discord says to resume after.
pub fn action_after_close(code: Option<u16>) -> CloseAction {
    match code {
        // Invalid seq, session timed out: "reconnect and start a new session".
        Some(4007 | 4009) => CloseAction::NewSession,
        Some(4004) => CloseAction::Fatal(FatalErrorKind::AuthenticationFailed),
        Some(4010) => CloseAction::Fatal(FatalErrorKind::InvalidShard),
        Some(4011) => CloseAction::Fatal(FatalErrorKind::ShardingRequired),
        Some(4012) => CloseAction::Fatal(FatalErrorKind::InvalidApiVersion),
        Some(4013) => CloseAction::Fatal(FatalErrorKind::InvalidIntents),
        Some(4014) => CloseAction::Fatal(FatalErrorKind::DisallowedIntents),
        // 4000-4003, 4005, 4008, anything else Discord or a proxy sends, and no code at all:
        // try to resume; if Discord no longer knows the session it answers op 9 and we identify.
        _ => CloseAction::Resume,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnectable_codes_resume_the_session() {
        for code in [4000, 4001, 4002, 4003, 4005, 4008] {
            assert_eq!(
                action_after_close(Some(code)),
                CloseAction::Resume,
                "{code}"
            );
        }
    }

    #[test]
    fn a_network_error_without_a_close_code_resumes() {
        assert_eq!(action_after_close(None), CloseAction::Resume);
    }

    #[test]
    fn invalid_seq_and_session_timeout_start_a_new_session() {
        assert_eq!(action_after_close(Some(4007)), CloseAction::NewSession);
        assert_eq!(action_after_close(Some(4009)), CloseAction::NewSession);
    }

    #[test]
    fn fatal_codes_stop_with_their_meaning() {
        for code in [4004, 4010, 4011, 4012, 4013, 4014] {
            let CloseAction::Fatal(kind) = action_after_close(Some(code)) else {
                panic!("{code} must be fatal");
            };
            assert_eq!(kind.close_code(), code);
        }
    }

    #[test]
    fn normal_closes_from_discord_resume() {
        assert_eq!(action_after_close(Some(1000)), CloseAction::Resume);
        assert_eq!(action_after_close(Some(1001)), CloseAction::Resume);
        assert_eq!(action_after_close(Some(1011)), CloseAction::Resume);
    }
}
