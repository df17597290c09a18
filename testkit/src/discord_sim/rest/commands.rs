//! `PUT /applications/{app}/commands` and `/applications/{app}/guilds/{guild}/commands`: bulk
//! overwrite of the application's commands. Validated, recorded, and answered with the commands
//! as Discord stores them (ids kept across overwrites for the same name).
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::{json_body, snowflake, validate};
use crate::discord_sim::ids;
use crate::discord_sim::records::CommandRegistration;
use crate::discord_sim::state::{Sim, State as SimState};

pub(crate) async fn overwrite_global(
    State(sim): State<Arc<Sim>>,
    Path(application): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    overwrite(&sim, &application, None, &body)
}

pub(crate) async fn overwrite_guild(
    State(sim): State<Arc<Sim>>,
    Path((application, guild)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let guild_id = snowflake("guild_id", &guild)?;
    overwrite(&sim, &application, Some(guild_id), &body)
}

fn overwrite(
    sim: &Sim,
    application: &str,
    guild_id: Option<u64>,
    body: &[u8],
) -> Result<Json<Value>, ApiError> {
    if snowflake("application_id", application)? != sim.config.application_id {
        return Err(ApiError::MissingAccess);
    }
    let value = json_body(body)?;
    let commands = validate::commands(&value)?;
    sim.update(|s| {
        if let Some(guild) = guild_id
            && s.world.guild(guild).is_none()
        {
            return Err(ApiError::MissingAccess);
        }
        let stored = commands
            .iter()
            .map(|command| stored_command(s, sim.config.application_id, guild_id, command))
            .collect();
        s.records.command_registrations.push(CommandRegistration {
            guild_id,
            commands: value,
            at_ms: ids::now_ms(),
        });
        Ok(Json(Value::Array(stored)))
    })
}

/// A registered command as Discord returns it: the request plus id, version and defaults.
fn stored_command(
    state: &mut SimState,
    application_id: u64,
    guild_id: Option<u64>,
    command: &Value,
) -> Value {
    let kind = command["type"].as_u64().unwrap_or(1);
    let name = command["name"].as_str().unwrap_or_default();
    let id = state
        .interactions
        .command_id_for_registration(guild_id, kind, name, || state.ids.fresh());
    let mut stored = command.clone();
    stored["id"] = json!(id.to_string());
    stored["application_id"] = json!(application_id.to_string());
    stored["version"] = json!(state.ids.fresh().to_string());
    stored["type"] = json!(kind);
    for (field, default) in [
        ("description", json!("")),
        ("default_member_permissions", Value::Null),
        ("nsfw", json!(false)),
        ("integration_types", json!([0])),
    ] {
        if stored.get(field).is_none() {
            stored[field] = default;
        }
    }
    match guild_id {
        Some(guild) => stored["guild_id"] = json!(guild.to_string()),
        None if stored.get("contexts").is_none() => stored["contexts"] = Value::Null,
        None => {}
    }
    stored
}
