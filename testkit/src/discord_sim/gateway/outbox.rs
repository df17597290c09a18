//! A connection's queue of encoded payloads waiting to be written, for prepared bursts: the
//! dispatches of a burst are encoded (for zlib-stream, compressed) as soon as they are made but
//! held until the burst is released, so a benchmark times only their delivery.
//!
//! A zlib stream must be written in the order it was compressed. So once anything is queued,
//! every payload encoded after it (a heartbeat ACK, a dispatch, op 7…) is queued behind it, never
//! written past it; the connection writes straight to the socket only while the queue is empty
//! and nothing is held. Order of encoding is then order of writing, whatever interleaves.
use std::collections::VecDeque;

pub(crate) struct Outbox<M> {
    queue: VecDeque<M>,
    /// A burst is held: nothing queued is written until `release`.
    holding: bool,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            holding: false,
        }
    }
}

impl<M> Outbox<M> {
    /// Holds an encoded payload of a burst until `release`.
    pub fn hold(&mut self, message: M) {
        self.holding = true;
        self.queue.push_back(message);
    }

    /// An encoded payload that is not part of a burst: returned when it may be written now,
    /// queued behind what is waiting otherwise.
    pub fn pass(&mut self, message: M) -> Option<M> {
        if self.queue.is_empty() && !self.holding {
            Some(message)
        } else {
            self.queue.push_back(message);
            None
        }
    }

    /// Lets everything queued be written, held bursts first, in the order it was encoded.
    pub fn release(&mut self) {
        self.holding = false;
    }

    /// Whether payloads are released and waiting to be written.
    pub fn ready(&self) -> bool {
        !self.holding && !self.queue.is_empty()
    }

    /// The next at most `max` released payloads, in order; none while a burst is held.
    pub fn take(&mut self, max: usize) -> Vec<M> {
        if self.holding {
            return Vec::new();
        }
        let count = max.min(self.queue.len());
        self.queue.drain(..count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_nothing_held_a_payload_is_written_at_once() {
        let mut outbox = Outbox::default();
        assert_eq!(outbox.pass(1), Some(1));
        assert!(!outbox.ready());
    }

    #[test]
    fn payloads_encoded_while_a_burst_is_held_wait_behind_it_in_encoding_order() {
        let mut outbox = Outbox::default();
        outbox.hold(1);
        outbox.hold(2);
        assert_eq!(outbox.pass(3), None, "an ACK encoded after the burst waits");
        outbox.hold(4);
        assert!(!outbox.ready());
        assert!(outbox.take(10).is_empty());
        outbox.release();
        assert!(outbox.ready());
        assert_eq!(outbox.take(3), [1, 2, 3]);
        assert_eq!(
            outbox.pass(5),
            None,
            "still behind what is left of the burst"
        );
        assert_eq!(outbox.take(10), [4, 5]);
        assert!(!outbox.ready());
        assert_eq!(outbox.pass(6), Some(6));
    }
}
