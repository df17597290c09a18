//! `compress=zlib-stream` transport compression: one zlib stream per connection, each gateway
//! message compressed into it and ended with a sync flush, so it ends in `00 00 ff ff` and a
//! client can inflate it as soon as it arrives.
use flate2::{Compress, Compression, FlushCompress};

#[derive(Debug, thiserror::Error)]
#[error("zlib compression failed: {0}")]
pub struct CompressionError(#[from] flate2::CompressError);

pub struct ZlibStream {
    compress: Compress,
}

impl Default for ZlibStream {
    fn default() -> Self {
        Self {
            compress: Compress::new(Compression::default(), true),
        }
    }
}

impl ZlibStream {
    /// Compresses one message into the connection's stream.
    pub fn compress(&mut self, message: &[u8]) -> Result<Vec<u8>, CompressionError> {
        let mut out = Vec::with_capacity(message.len() / 2 + 64);
        let start = self.compress.total_in();
        loop {
            let consumed = usize::try_from(self.compress.total_in() - start).unwrap_or(usize::MAX);
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            self.compress
                .compress_vec(&message[consumed..], &mut out, FlushCompress::Sync)?;
            let consumed = usize::try_from(self.compress.total_in() - start).unwrap_or(usize::MAX);
            // The flush is complete once all input is in and zlib stopped short of filling the buffer.
            if consumed == message.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    const SYNC_FLUSH_SUFFIX: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

    fn inflate(stream: &mut Decompress, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 << 20);
        stream
            .decompress_vec(chunk, &mut out, FlushDecompress::Sync)
            .unwrap();
        out
    }

    #[test]
    fn every_message_ends_with_the_sync_flush_suffix_and_inflates_in_one_shared_context() {
        let mut deflate = ZlibStream::default();
        let mut inflate_ctx = Decompress::new(true);
        let messages = [
            r#"{"op":10,"d":{"heartbeat_interval":41250}}"#.to_owned(),
            "x".repeat(200_000),
            r#"{"op":11}"#.to_owned(),
        ];
        for message in &messages {
            let chunk = deflate.compress(message.as_bytes()).unwrap();
            assert!(chunk.ends_with(&SYNC_FLUSH_SUFFIX));
            assert_eq!(inflate(&mut inflate_ctx, &chunk), message.as_bytes());
        }
    }

    #[test]
    fn later_messages_reuse_the_dictionary_of_earlier_ones() {
        let mut deflate = ZlibStream::default();
        let message = br#"{"op":0,"s":1,"t":"MESSAGE_CREATE","d":{"content":"shipped it"}}"#;
        let first = deflate.compress(message).unwrap();
        let second = deflate.compress(message).unwrap();
        assert!(second.len() < first.len());
    }
}
