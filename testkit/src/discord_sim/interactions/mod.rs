//! Signed interactions: building Discord's payloads (`builders`), signing them with the
//! application key (`signer`), POSTing them to an interactions endpoint and judging the answer as
//! Discord would (`delivery`), and the tokens the webhook routes then accept.
use std::collections::HashMap;

use tokio::time::Instant;

use super::world::StoredMessage;

pub(crate) mod builders;
pub(crate) mod delivery;
pub(crate) mod signer;

pub use builders::{Interaction, InteractionKind, InteractionSpec};
pub use delivery::{EndpointCheck, InteractionReply, SignatureFault};
pub(crate) use signer::Signer;

/// An interaction token the sim handed out, and what its webhook has been used for.
#[derive(Clone, Debug)]
pub(crate) struct IssuedToken {
    pub interaction_id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub issued_at: Instant,
    /// The id `@original` has once the response exists.
    pub original_message_id: u64,
    pub followups: Vec<u64>,
}

pub(crate) struct InteractionState {
    /// Where interactions go unless a call names another URL.
    pub url: Option<String>,
    pub tokens: HashMap<String, IssuedToken>,
    /// Registered (or first used) command ids: (guild for guild commands, type, name) → id.
    command_ids: HashMap<(Option<u64>, u64, String), u64>,
    /// Messages made through interaction webhooks (responses and follow-ups), by id.
    pub webhook_messages: HashMap<u64, StoredMessage>,
}

impl InteractionState {
    pub fn new(url: Option<String>) -> Self {
        Self {
            url,
            tokens: HashMap::new(),
            command_ids: HashMap::new(),
            webhook_messages: HashMap::new(),
        }
    }

    /// The id a registration gives a command: the same as before for the same name, as Discord
    /// keeps ids across bulk overwrites.
    pub fn command_id_for_registration(
        &mut self,
        guild_id: Option<u64>,
        kind: u64,
        name: &str,
        fresh: impl FnOnce() -> u64,
    ) -> u64 {
        *self
            .command_ids
            .entry((guild_id, kind, name.to_owned()))
            .or_insert_with(fresh)
    }

    /// The id an invocation carries: the guild command's if one is registered there, else the
    /// global one (made up on first use if the command was never registered); and whether it is
    /// the guild's.
    pub fn command_id_for_use(
        &mut self,
        guild_id: Option<u64>,
        kind: u64,
        name: &str,
        fresh: impl FnOnce() -> u64,
    ) -> (u64, bool) {
        if guild_id.is_some()
            && let Some(id) = self.command_ids.get(&(guild_id, kind, name.to_owned()))
        {
            return (*id, true);
        }
        (
            self.command_id_for_registration(None, kind, name, fresh),
            false,
        )
    }
}
