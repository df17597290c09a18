//! What each interaction asks of the database and how its answer reads, as data.
//!
//! [`plan`] turns a parsed interaction into a [`Plan`]: a reply that needs no database, or a
//! [`Query`] (statements for one Hrana pipeline, plus what to say once they ran). The
//! Worker runs the statements and calls [`Query::answer`]; nothing here does I/O, so every
//! command's SQL arguments and every reply are tested natively. Texts, SQL and responses come
//! from `shiptrack_core`; each command module only connects them.

use chrono::{DateTime, Utc};
use libsql_hrana::proto::Stmt;
use shiptrack_core::{
    interaction::{Command, Incoming, InteractionError},
    replies,
    response::{AutocompleteChoice, InteractionResponse, Visibility, WebhookEdit},
};

use crate::hrana::{DbError, StmtResult};
use crate::interactions::Rejection;

mod digest_preview;
mod leaderboard;
mod log_as_launch;
mod new_launch;
mod profile;
mod ship;
mod unship;

/// How an interaction is answered.
#[derive(Debug)]
pub enum Plan {
    /// At once, without the database.
    Reply(InteractionResponse),
    /// After one round trip to the database.
    Query(Query),
}

/// Statements to run in one pipeline, and how to answer from their results.
#[derive(Debug)]
pub struct Query {
    pub statements: Vec<Stmt>,
    /// The interaction token a deferred answer is finished with; autocomplete has none.
    pub token: Option<String>,
    finish: Finish,
}

/// The command-specific part of reading a query's results.
#[derive(Debug)]
enum Finish {
    Ship(ship::Finish),
    DigestPreview(digest_preview::Finish),
    Profile(profile::Finish),
    Leaderboard(leaderboard::Finish),
    Unship(unship::Finish),
    UnshipChoices(unship::ChoicesFinish),
    LogAsLaunch(log_as_launch::Finish),
}

/// What a query's results say to the member.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Message {
        content: String,
        visibility: Visibility,
    },
    Choices(Vec<AutocompleteChoice>),
}

/// What to send Discord while a slow database is still working (it allows 3 seconds).
#[derive(Debug, PartialEq)]
pub enum Interim {
    /// "Thinking…" (type 5), with the visibility the final message will have; the answer
    /// follows as a [`WebhookEdit`] of the original response.
    Deferred(Visibility),
    /// Autocomplete cannot be deferred: offer nothing now, the member's next keystroke asks again.
    NoChoices,
}

/// Decides how to answer a parsed interaction at `now`. A body that is not an interaction at
/// all is a `400`; an interaction ShipTrack cannot serve gets a friendly ephemeral answer.
pub fn plan(
    parsed: Result<Incoming, InteractionError>,
    now: DateTime<Utc>,
) -> Result<Plan, Rejection> {
    let incoming = match parsed {
        Ok(incoming) => incoming,
        Err(error @ (InteractionError::MalformedJson | InteractionError::NotAnInteraction)) => {
            return Err(Rejection::MalformedBody(error.to_string()));
        }
        Err(InteractionError::Unsupported(_)) => {
            return Ok(ephemeral(&replies::unsupported_interaction()));
        }
        Err(InteractionError::BadCommand(error)) => {
            return Ok(ephemeral(&replies::command_error(&error)));
        }
        Err(InteractionError::BadAutocomplete(_)) => {
            return Ok(Plan::Reply(InteractionResponse::autocomplete([])));
        }
    };
    Ok(match incoming {
        Incoming::Ping => Plan::Reply(InteractionResponse::pong()),
        Incoming::Autocomplete(request) => unship::plan_choices(&request),
        Incoming::Command(invocation) => match &invocation.command {
            Command::Ship { text, url } => ship::plan(&invocation, text, url.as_deref(), now),
            Command::Profile { user } => profile::plan(&invocation, user.as_ref()),
            Command::Leaderboard { period } => leaderboard::plan(&invocation, *period, now),
            Command::Unship { launch } => unship::plan(&invocation, launch, now),
            Command::LogAsLaunch(message) => log_as_launch::plan(&invocation, message),
            Command::DigestPreview => digest_preview::plan(&invocation, now),
        },
    })
}

impl Plan {
    fn query(statements: Vec<Stmt>, finish: Finish, token: Option<&str>) -> Plan {
        Plan::Query(Query {
            statements,
            token: token.map(str::to_owned),
            finish,
        })
    }
}

impl Query {
    pub fn interim(&self) -> Interim {
        match &self.finish {
            Finish::UnshipChoices(_) => Interim::NoChoices,
            Finish::Ship(_)
            | Finish::LogAsLaunch(_)
            | Finish::Profile(_)
            | Finish::Leaderboard(_) => Interim::Deferred(Visibility::Public),
            Finish::Unship(_) | Finish::DigestPreview(_) => {
                Interim::Deferred(Visibility::Ephemeral)
            }
        }
    }

    /// The answer once the database replied. Any database failure, or results that do not
    /// read as the statements promise, says nothing was saved: never a false "logged".
    pub fn answer(self, results: Result<Vec<StmtResult>, DbError>) -> Answer {
        let answer = results.and_then(|results| match self.finish {
            Finish::Ship(finish) => finish.answer(&results),
            Finish::Profile(finish) => finish.answer(&results),
            Finish::Leaderboard(finish) => finish.answer(&results),
            Finish::Unship(finish) => finish.answer(&results),
            Finish::UnshipChoices(finish) => finish.answer(&results),
            Finish::LogAsLaunch(finish) => finish.answer(&results),
            Finish::DigestPreview(finish) => finish.answer(&results),
        });
        answer.unwrap_or_else(|_| Answer::Message {
            content: replies::database_error(),
            visibility: Visibility::Ephemeral,
        })
    }
}

impl Answer {
    /// The HTTP response when the answer is ready within Discord's time.
    pub fn into_response(self) -> InteractionResponse {
        match self {
            Answer::Message {
                content,
                visibility,
            } => InteractionResponse::message(&content, visibility),
            Answer::Choices(choices) => InteractionResponse::autocomplete(choices),
        }
    }

    /// The edit that finishes a deferred response; autocomplete is never deferred.
    pub fn into_webhook_edit(self) -> Option<WebhookEdit> {
        match self {
            Answer::Message { content, .. } => Some(WebhookEdit::new(&content)),
            Answer::Choices(_) => None,
        }
    }
}

fn ephemeral(content: &str) -> Plan {
    Plan::Reply(InteractionResponse::message(content, Visibility::Ephemeral))
}

fn public(content: String) -> Answer {
    Answer::Message {
        content,
        visibility: Visibility::Public,
    }
}

fn private(content: String) -> Answer {
    Answer::Message {
        content,
        visibility: Visibility::Ephemeral,
    }
}

/// The statement results a command expects, or a protocol error naming what was missing.
fn result(results: &[StmtResult], index: usize) -> Result<&StmtResult, DbError> {
    results
        .get(index)
        .ok_or_else(|| DbError::Protocol(format!("no result for statement {index}")))
}

fn unexpected(what: &str) -> DbError {
    DbError::Protocol(format!("unexpected row shape: {what}"))
}

fn time_from_millis(millis: i64) -> Result<DateTime<Utc>, DbError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| unexpected("time out of range"))
}

#[cfg(test)]
mod test_support;
