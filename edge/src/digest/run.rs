//! One firing of the digest cron: list the guilds, then for each one claim the week, render its
//! launches, post the messages not yet recorded (in order, each recorded as soon as Discord has
//! it), and finish the row. Every effect goes through [`Io`], so the whole run is tested
//! natively against scripted answers; the Worker's [`Io`] is `runtime::WorkerIo`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use libsql_hrana::proto::Stmt;
use shiptrack_core::{
    digest::{self, DigestOptions},
    week::{DigestWindow, WeekKey},
};

use super::claim::{self, Claim, DigestWeek, Finished, Held};
use super::launches;
use super::post::{self, NewMessage, Outcome, Refusal, Reply, Transient};
use super::targets::{self, Community, Skipped, Target};
use crate::hrana::{DbError, StmtResult};

/// The effects a run needs: the database, Discord, a timer and a clock.
#[allow(
    async_fn_in_trait,
    reason = "a Worker runs on one thread, so no caller needs these futures to be Send"
)]
pub trait Io {
    /// Runs `statements` as one pipeline, results in order.
    async fn database(&self, statements: Vec<Stmt>) -> Result<Vec<StmtResult>, DbError>;
    /// `POST /channels/{channel_id}/messages`; `Err` with a reason when no answer came back.
    async fn post(&self, channel_id: u64, message: &NewMessage) -> Result<Reply, String>;
    async fn sleep(&self, duration: Duration);
    /// Wall-clock Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// A number in [0, 1), to spread retries.
    fn jitter(&self) -> f64;
}

/// How long one firing may work: Cloudflare ends a Cron Trigger's invocation after 15 minutes,
/// and a run that stops by itself records why on the row instead of vanishing mid-post.
pub const RUN_BUDGET: Duration = Duration::from_secs(10 * 60);

/// What one firing is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The trigger's scheduled time: the week is the seven days before it.
    pub scheduled: DateTime<Utc>,
    pub community: Option<Community>,
    /// Unique to this firing, so its claims are told apart from another firing's.
    pub claimer: String,
}

/// What a firing did, for the log.
#[derive(Debug, PartialEq)]
pub enum Report {
    /// The guilds could not be listed: nothing was claimed.
    ListingFailed { week: WeekKey, error: DbError },
    Ran {
        week: WeekKey,
        skipped: Vec<Skipped>,
        guilds: Vec<GuildReport>,
    },
}

#[derive(Debug, PartialEq)]
pub struct GuildReport {
    pub guild_id: u64,
    pub channel_id: u64,
    pub result: GuildResult,
}

/// How one guild's digest went.
#[derive(Debug, PartialEq)]
pub enum GuildResult {
    /// Every message is posted and recorded; `resumed_after` of them by an earlier run.
    Posted {
        messages: usize,
        resumed_after: usize,
    },
    /// Nothing shipped and the guild wants silence.
    Empty,
    /// Another firing holds or finished the week.
    Taken,
    /// Discord will not take the messages (recorded on the row).
    Refused { refusal: Refusal, posted: usize },
    /// Discord stayed rate-limited or unavailable past the run's time (recorded on the row).
    GaveUp { reason: String, posted: usize },
    /// Another run took the week over while this one waited; it carries on from there.
    ClaimLost { posted: usize },
    /// The database failed; an unfinished claim is taken over by a later run once stale.
    Database { error: DbError, posted: usize },
    /// The run's time was up before this guild's turn.
    NotReached,
}

impl GuildResult {
    /// Whether an operator should look at it.
    pub fn is_problem(&self) -> bool {
        !matches!(self, Self::Posted { .. } | Self::Empty | Self::Taken)
    }
}

/// Runs one firing to the end, guild after guild; a guild's failure never stops the others.
pub async fn run(io: &impl Io, job: &Job) -> Report {
    let deadline_ms = io.now_ms().saturating_add(millis(RUN_BUDGET));
    let window = DigestWindow::before(job.scheduled);
    let week = window.key();
    let listing = io
        .database(targets::statements(job.community.as_ref()))
        .await
        .and_then(|results| targets::read(&results, job.community.as_ref()));
    let chosen = match listing {
        Ok(chosen) => chosen,
        Err(error) => return Report::ListingFailed { week, error },
    };
    let mut guilds = Vec::with_capacity(chosen.targets.len());
    for target in chosen.targets {
        let result = if io.now_ms() >= deadline_ms {
            GuildResult::NotReached
        } else {
            let mut guild = GuildRun {
                io,
                target,
                week: DigestWeek {
                    guild_id: target.guild_id,
                    window,
                },
                claimer: &job.claimer,
                deadline_ms,
                last_refresh_ms: 0,
                posted: 0,
            };
            guild.post_digest().await.unwrap_or_else(|stopped| stopped)
        };
        guilds.push(GuildReport {
            guild_id: target.guild_id,
            channel_id: target.channel_id,
            result,
        });
    }
    Report::Ran {
        week,
        skipped: chosen.skipped,
        guilds,
    }
}

/// One guild's digest in one run. Methods return `Err` with the guild's result to stop early.
struct GuildRun<'a, I> {
    io: &'a I,
    target: Target,
    week: DigestWeek,
    claimer: &'a str,
    deadline_ms: i64,
    /// When the claim was last written, so waits keep it fresh.
    last_refresh_ms: i64,
    /// Messages of the digest posted and recorded, by any run.
    posted: usize,
}

impl<I: Io> GuildRun<'_, I> {
    async fn post_digest(&mut self) -> Result<GuildResult, GuildResult> {
        let now = self.io.now_ms();
        let claimed = self
            .query(claim::claim(&self.week, self.claimer, now))
            .await?;
        let already_posted =
            match claim::read_claim(&claimed).map_err(|error| self.database(error))? {
                Claim::Taken => return Ok(GuildResult::Taken),
                Claim::Held { already_posted } => already_posted.len(),
            };
        self.last_refresh_ms = now;
        self.posted = already_posted;

        let rows = self
            .query(launches::statement_for(
                self.week.guild_id,
                &self.week.window,
            ))
            .await?;
        let launches = launches::read(&rows).map_err(|error| self.database(error))?;
        let options = DigestOptions {
            quiet_week_message: self.target.quiet_week_message,
        };
        let messages = digest::render(&launches, &self.week.window, options);
        if messages.is_empty() {
            self.write(claim::finish(
                &self.week,
                self.claimer,
                Finished::Empty,
                self.io.now_ms(),
            ))
            .await?;
            return Ok(GuildResult::Empty);
        }

        // A take-over continues after what the dead run recorded; the rendering is the same
        // because the window is in the past and deleted launches are rare between two firings.
        for (part, content) in messages.iter().enumerate().skip(already_posted) {
            if self.io.now_ms() >= self.deadline_ms {
                return Err(self
                    .give_up(format!(
                        "the run's time ran out after {part} of {} messages",
                        messages.len()
                    ))
                    .await);
            }
            let message = NewMessage::new(content, self.week.guild_id, self.week.key(), part);
            let (message_id, pause) = self.post_one(&message, messages.len()).await?;
            let now = self.io.now_ms();
            self.write(claim::record(&self.week, self.claimer, &message_id, now))
                .await?;
            self.last_refresh_ms = now;
            self.posted = part + 1;
            // The bucket is the channel's: after the last message nothing waits for it.
            if let Some(pause) = pause
                && part + 1 < messages.len()
            {
                self.wait(pause).await?;
            }
        }
        self.write(claim::finish(
            &self.week,
            self.claimer,
            Finished::Posted,
            self.io.now_ms(),
        ))
        .await?;
        Ok(GuildResult::Posted {
            messages: messages.len(),
            resumed_after: already_posted.min(messages.len()),
        })
    }

    /// Posts one message until Discord takes it, refuses it, or the run's time is up.
    async fn post_one(
        &mut self,
        message: &NewMessage,
        total: usize,
    ) -> Result<(String, Option<Duration>), GuildResult> {
        let mut attempt = 0;
        loop {
            let outcome = match self.io.post(self.target.channel_id, message).await {
                Ok(reply) => post::classify(&reply),
                Err(reason) => Outcome::Transient(Transient::Unavailable { reason }),
            };
            let failure = match outcome {
                Outcome::Posted { message_id, pause } => return Ok((message_id, pause)),
                Outcome::Refused(refusal) => {
                    self.write(claim::fail(&self.week, self.claimer, &refusal.to_string()))
                        .await?;
                    return Err(GuildResult::Refused {
                        refusal,
                        posted: self.posted,
                    });
                }
                Outcome::Transient(failure) => failure,
            };
            attempt += 1;
            let time_left = Duration::from_millis(
                u64::try_from(self.deadline_ms - self.io.now_ms()).unwrap_or(0),
            );
            match post::next_wait(&failure, attempt, self.io.jitter(), time_left) {
                Some(wait) => self.wait(wait).await?,
                None => {
                    let reason = format!(
                        "{failure}, and the run's time ran out after {} of {total} messages",
                        self.posted
                    );
                    return Err(self.give_up(reason).await);
                }
            }
        }
    }

    /// Records why the run stops posting, so the row explains the missing messages.
    async fn give_up(&mut self, reason: String) -> GuildResult {
        if let Err(stopped) = self
            .write(claim::fail(&self.week, self.claimer, &reason))
            .await
        {
            return stopped;
        }
        GuildResult::GaveUp {
            reason,
            posted: self.posted,
        }
    }

    /// Waits, refreshing the claim often enough that no other run takes it for a dead one.
    async fn wait(&mut self, duration: Duration) -> Result<(), GuildResult> {
        let mut left = duration;
        while !left.is_zero() {
            let step = left.min(claim::REFRESH_EVERY);
            let now = self.io.now_ms();
            let since_refresh =
                Duration::from_millis(u64::try_from(now - self.last_refresh_ms).unwrap_or(0));
            if claim::must_refresh(since_refresh, step) {
                self.write(claim::refresh(&self.week, self.claimer, now))
                    .await?;
                self.last_refresh_ms = now;
            }
            self.io.sleep(step).await;
            left -= step;
        }
        Ok(())
    }

    /// Runs one statement and gives its result.
    async fn query(&self, statement: Stmt) -> Result<StmtResult, GuildResult> {
        let results = self
            .io
            .database(vec![statement])
            .await
            .map_err(|error| self.database(error))?;
        results.into_iter().next().ok_or_else(|| {
            self.database(DbError::Protocol("no result for the statement".to_owned()))
        })
    }

    /// Runs a write to the claimed row; it changes nothing once the claim is lost.
    async fn write(&self, statement: Stmt) -> Result<(), GuildResult> {
        match claim::held(&self.query(statement).await?) {
            Held::Yes => Ok(()),
            Held::Lost => Err(GuildResult::ClaimLost {
                posted: self.posted,
            }),
        }
    }

    fn database(&self, error: DbError) -> GuildResult {
        GuildResult::Database {
            error,
            posted: self.posted,
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl fmt::Display for GuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guild {} (channel {}): ", self.guild_id, self.channel_id)?;
        match &self.result {
            GuildResult::Posted {
                messages,
                resumed_after: 0,
            } => write!(f, "posted {messages} messages"),
            GuildResult::Posted {
                messages,
                resumed_after,
            } => {
                write!(
                    f,
                    "posted {messages} messages, continuing after the {resumed_after} an earlier run posted"
                )
            }
            GuildResult::Empty => write!(f, "nothing shipped; no message, as the guild wants"),
            GuildResult::Taken => {
                write!(f, "another run holds or finished this week; posted nothing")
            }
            GuildResult::Refused { refusal, posted } => write!(
                f,
                "{refusal}; {posted} messages posted; fix the bot's access to the channel, then run again"
            ),
            GuildResult::GaveUp { reason, posted } => {
                write!(f, "stopped: {reason}; {posted} messages posted")
            }
            GuildResult::ClaimLost { posted } => {
                write!(
                    f,
                    "another run took this week over after {posted} messages; it continues from there"
                )
            }
            GuildResult::Database { error, posted } => write!(
                f,
                "{error}; {posted} messages posted; a later run takes the week over once its claim is stale"
            ),
            GuildResult::NotReached => write!(
                f,
                "not reached before the run's time ran out; a later run posts it"
            ),
        }
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skipped::DigestOff { guild_id } => write!(
                f,
                "guild {guild_id}: the digest is turned off in its settings"
            ),
            Skipped::NoChannel { guild_id } => write!(
                f,
                "guild {guild_id}: no announcements channel (set ANNOUNCEMENTS_CHANNEL_ID or the guild's settings row)"
            ),
        }
    }
}

#[cfg(test)]
mod tests;
