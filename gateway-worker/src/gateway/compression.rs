//! zlib-stream transport compression: the whole connection is one zlib stream, cut into
//! WebSocket messages.
//!
//! One inflate context lives as long as the connection (each message refers back to the ones
//! before it, so a new connection needs a new context). A gateway payload is complete when the
//! bytes received so far end with the zlib sync flush marker `00 00 ff ff`; a payload may span
//! several WebSocket messages. Buffers are reused between payloads, so inflating a dispatch
//! allocates nothing, and given back after a large one (READY, GUILD_CREATE), so one big
//! payload does not hold its memory for the life of the connection.

use flate2::{Decompress, FlushDecompress};

/// The end of every complete payload.
const SYNC_FLUSH: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// Buffers keep up to this much capacity between payloads.
const KEEP_CAPACITY: usize = 128 * 1024;
/// Room to add to the output when inflating fills it.
const OUTPUT_STEP: usize = 32 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CompressionError {
    #[error("the gateway's zlib stream is corrupt")]
    Corrupt(#[from] flate2::DecompressError),
    #[error("the gateway's zlib stream ended before the payload did")]
    Stalled,
}

/// The inflate side of one connection's zlib stream.
pub struct Inflater {
    stream: Decompress,
    /// Compressed bytes of a payload still waiting for its sync flush marker.
    pending: Vec<u8>,
    /// The last inflated payload.
    inflated: Vec<u8>,
}

impl Inflater {
    pub fn new() -> Self {
        Self {
            stream: Decompress::new(true),
            pending: Vec::new(),
            inflated: Vec::new(),
        }
    }

    /// Takes one binary WebSocket message; returns the payload's JSON once it is complete.
    pub fn inflate(&mut self, message: &[u8]) -> Result<Option<&[u8]>, CompressionError> {
        // A payload in one message (the usual case) is inflated straight from it.
        let input: &[u8] = if self.pending.is_empty() && message.ends_with(&SYNC_FLUSH) {
            message
        } else {
            self.pending.extend_from_slice(message);
            if !self.pending.ends_with(&SYNC_FLUSH) {
                return Ok(None);
            }
            &self.pending
        };

        release_if_large(&mut self.inflated);
        self.inflated.clear();
        let start = self.stream.total_in();
        loop {
            let consumed = (self.stream.total_in() - start) as usize;
            if self.inflated.capacity() - self.inflated.len() < OUTPUT_STEP / 4 {
                self.inflated.reserve(OUTPUT_STEP.max(input.len() * 4));
            }
            let before_out = self.stream.total_out();
            self.stream.decompress_vec(
                &input[consumed..],
                &mut self.inflated,
                FlushDecompress::Sync,
            )?;
            let consumed = (self.stream.total_in() - start) as usize;
            let output_full = self.inflated.len() == self.inflated.capacity();
            // Done when all input is in and the output had room to spare: nothing is held back.
            if consumed == input.len() && !output_full {
                break;
            }
            if self.stream.total_out() == before_out && !output_full && consumed < input.len() {
                // Room to write, input left, and nothing came out: the stream has ended.
                return Err(CompressionError::Stalled);
            }
        }
        self.pending.clear();
        release_if_large(&mut self.pending);
        Ok(Some(&self.inflated))
    }
}

fn release_if_large(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEEP_CAPACITY {
        buffer.clear();
        buffer.shrink_to(KEEP_CAPACITY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// A server side of a zlib stream: each payload ends with a sync flush.
    struct Deflater(Compress);

    impl Deflater {
        fn new() -> Self {
            Self(Compress::new(Compression::default(), true))
        }

        fn payload(&mut self, json: &[u8]) -> Vec<u8> {
            let mut out = Vec::with_capacity(json.len() + 1024);
            let start = self.0.total_in();
            loop {
                let consumed = (self.0.total_in() - start) as usize;
                self.0
                    .compress_vec(&json[consumed..], &mut out, FlushCompress::Sync)
                    .unwrap();
                if (self.0.total_in() - start) as usize == json.len() && out.ends_with(&SYNC_FLUSH)
                {
                    return out;
                }
                out.reserve(json.len() + 1024);
            }
        }
    }

    fn hello() -> &'static [u8] {
        br#"{"op":10,"d":{"heartbeat_interval":41250}}"#
    }

    #[test]
    fn a_payload_in_one_message_inflates() {
        let mut deflater = Deflater::new();
        let mut inflater = Inflater::new();
        let message = deflater.payload(hello());
        assert_eq!(inflater.inflate(&message).unwrap(), Some(hello()));
    }

    #[test]
    fn a_payload_split_across_messages_waits_for_the_sync_flush_marker() {
        let mut deflater = Deflater::new();
        let mut inflater = Inflater::new();
        let message = deflater.payload(hello());
        let (first, second) = message.split_at(message.len() / 2);
        assert_eq!(inflater.inflate(first).unwrap(), None);
        assert_eq!(inflater.inflate(second).unwrap(), Some(hello()));
    }

    #[test]
    fn a_sync_flush_marker_split_between_messages_completes_the_payload() {
        let mut deflater = Deflater::new();
        let mut inflater = Inflater::new();
        let message = deflater.payload(hello());
        let (first, second) = message.split_at(message.len() - 2);
        assert_eq!(inflater.inflate(first).unwrap(), None);
        assert_eq!(inflater.inflate(second).unwrap(), Some(hello()));
    }

    #[test]
    fn later_payloads_use_the_same_context() {
        let mut deflater = Deflater::new();
        let mut inflater = Inflater::new();
        for sequence in 1..=50 {
            let json = format!(
                r#"{{"op":0,"s":{sequence},"t":"MESSAGE_CREATE","d":{{"content":"shipped it"}}}}"#
            );
            let message = deflater.payload(json.as_bytes());
            assert_eq!(inflater.inflate(&message).unwrap(), Some(json.as_bytes()));
        }
    }

    #[test]
    fn a_payload_much_larger_than_its_compressed_form_inflates_whole() {
        let mut deflater = Deflater::new();
        let mut inflater = Inflater::new();
        let big = format!(r#"{{"op":0,"d":"{}"}}"#, "a".repeat(5 * 1024 * 1024));
        let message = deflater.payload(big.as_bytes());
        assert!(message.len() < big.len() / 100);
        assert_eq!(
            inflater.inflate(&message).unwrap().map(<[u8]>::len),
            Some(big.len())
        );
        // The big buffer is given back before the next payload.
        let message = deflater.payload(hello());
        assert_eq!(inflater.inflate(&message).unwrap(), Some(hello()));
        assert!(inflater.inflated.capacity() <= KEEP_CAPACITY);
    }

    #[test]
    fn a_message_from_another_stream_is_an_error() {
        let mut inflater = Inflater::new();
        inflater.inflate(&Deflater::new().payload(hello())).unwrap();
        // A deflate block of the reserved type 3 can follow in no valid stream.
        let garbage = [0xff, 0x00, 0x00, 0xff, 0xff];
        assert!(matches!(
            inflater.inflate(&garbage),
            Err(CompressionError::Corrupt(_))
        ));
    }
}
