//! The Monday cron's entry: reads the settings, names this firing, posts the digest of the seven
//! days before the trigger's *scheduled* time (so a late or repeated firing covers the same
//! week), and logs what happened to each guild.

use chrono::DateTime;
use worker::{Env, ScheduledEvent, console_error, console_log, js_sys};

use super::run::{self, Job, Report};
use super::runtime::WorkerIo;
use super::targets::Community;
use crate::config::Settings;

pub async fn fire(event: ScheduledEvent, env: Env) {
    let lookup = |name: &str| env.var(name).ok().map(|var| var.to_string());
    let (settings, community) = match Settings::from_lookup(lookup)
        .and_then(|settings| Community::from_lookup(lookup).map(|community| (settings, community)))
    {
        Ok(configured) => configured,
        Err(error) => {
            console_error!("digest: not posted, the configuration is wrong: {error}");
            return;
        }
    };
    let scheduled_ms = event.schedule() as i64;
    let Some(scheduled) = DateTime::from_timestamp_millis(scheduled_ms) else {
        console_error!(
            "digest: not posted, the trigger's scheduled time {scheduled_ms} is not a time"
        );
        return;
    };
    let job = Job {
        scheduled,
        community,
        claimer: claimer(scheduled_ms),
    };
    log(&run::run(
        &WorkerIo {
            settings: &settings,
        },
        &job,
    )
    .await);
}

/// A name for this firing that no other firing shares: 64 random bits beside the schedule.
fn claimer(scheduled_ms: i64) -> String {
    let random = || (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("cron-{scheduled_ms}-{:08x}{:08x}", random(), random())
}

fn log(report: &Report) {
    match report {
        Report::ListingFailed { week, error } => {
            console_error!(
                "digest {week}: nothing posted, the guilds could not be listed: {error}"
            );
        }
        Report::Ran {
            week,
            skipped,
            guilds,
        } => {
            console_log!("digest {week}: {} guilds", guilds.len());
            for skipped in skipped {
                console_log!("digest {week}: {skipped}");
            }
            for guild in guilds {
                if guild.result.is_problem() {
                    console_error!("digest {week}: {guild}");
                } else {
                    console_log!("digest {week}: {guild}");
                }
            }
        }
    }
}
