//! `GET /gateway/bot`: the gateway URL, the recommended shard count, and the identify budget
//! (`session_start_limit`) as it stands now.
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::discord_sim::state::Sim;

pub(crate) async fn get(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let limit = sim.update(|s| s.gateway.identify.snapshot(Instant::now()));
    Json(json!({
        "url": sim.urls.gateway,
        "shards": sim.config.recommended_shards,
        "session_start_limit": {
            "total": limit.total,
            "remaining": limit.remaining,
            "reset_after": limit.reset_after.as_millis(),
            "max_concurrency": limit.max_concurrency,
        },
    }))
}
