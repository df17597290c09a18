//! The server's streams and the two Hrana-over-HTTP endpoints on them: find the stream a
//! request's baton names (or open one when it has none), run the pipeline or cursor on it,
//! and park it under a fresh baton unless the client closed it.
//!
//! Everything here blocks on the engine; the HTTP layer calls it from a blocking thread.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use libsql_hrana::proto;

use super::batons::{BatonRefusal, Batons};
use super::error::EndpointError;
use super::stream::{Stream, Version};

pub(super) struct Streams {
    db: libsql::Database,
    batons: Mutex<Batons<Stream>>,
}

impl Streams {
    pub(super) fn new(db: libsql::Database, idle_timeout: Duration) -> Self {
        Self {
            db,
            batons: Mutex::new(Batons::new(idle_timeout)),
        }
    }

    /// `POST /v2/pipeline`, `POST /v3/pipeline`: every request runs, in order.
    pub(super) async fn pipeline(
        &self,
        body: proto::PipelineReqBody,
        version: Version,
    ) -> Result<proto::PipelineRespBody, EndpointError> {
        tracing::debug!(?version, baton = ?body.baton, requests = ?body.requests, "pipeline");
        let mut stream = self.acquire(body.baton.as_deref())?;
        let mut results = Vec::with_capacity(body.requests.len());
        for request in body.requests {
            results.push(stream.handle(request, version).await?);
        }
        Ok(proto::PipelineRespBody {
            baton: self.release(stream),
            base_url: None,
            results,
        })
    }

    /// `POST /v3/cursor`: the response head and the entries that follow it.
    pub(super) async fn cursor(
        &self,
        body: proto::CursorReqBody,
    ) -> Result<(proto::CursorRespBody, Vec<proto::CursorEntry>), EndpointError> {
        tracing::debug!(baton = ?body.baton, batch = ?body.batch, "cursor");
        let stream = self.acquire(body.baton.as_deref())?;
        let entries = stream.cursor(&body.batch).await?;
        let head = proto::CursorRespBody {
            baton: self.release(stream),
            base_url: None,
        };
        Ok((head, entries))
    }

    /// Takes back streams idle past the timeout; dropping them closes their connections,
    /// which rolls back any transaction they held.
    pub(super) fn expire_idle(&self) -> Vec<Stream> {
        self.batons().expire(Instant::now())
    }

    fn acquire(&self, baton: Option<&str>) -> Result<Stream, EndpointError> {
        match baton {
            None => Stream::open(&self.db),
            Some(baton) => self.batons().take(baton).map_err(|refusal| match refusal {
                BatonRefusal::Unknown => EndpointError::BatonInvalid,
                BatonRefusal::Expired => EndpointError::StreamExpired,
            }),
        }
    }

    /// The baton for the stream's next request, or `None` (sqld's signal) if it was closed.
    fn release(&self, stream: Stream) -> Option<String> {
        if stream.is_closed() {
            None
        } else {
            Some(self.batons().park(stream, Instant::now()))
        }
    }

    fn batons(&self) -> MutexGuard<'_, Batons<Stream>> {
        // No operation on the table can panic halfway through, so a lock poisoned by a panic
        // elsewhere still guards consistent maps.
        self.batons
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
