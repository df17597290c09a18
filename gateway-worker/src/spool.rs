//! A shard's queue of events waiting for the database, in arrival order: the first
//! `memory_limit` entries in memory, the rest appended to a local file, so an outage of the
//! database costs disk space instead of unbounded memory and loses nothing.
//!
//! Every push is written through to the file before it returns (one `write` per entry, no
//! user-space buffer), so a killed process leaves its unstored entries on disk; the next
//! holder of the shard reads them back with [`leftovers`] and applies them before it
//! connects. The file is not fsynced: a machine crash is covered by Discord replaying the
//! session from the stored sequence instead.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error(
        "cannot use the spool file {path}: {source}; check that SPOOL_DIR is writable and the disk has room"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode an event for the spool file {path}: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

pub struct Spool<T> {
    memory: VecDeque<T>,
    memory_limit: usize,
    path: PathBuf,
    /// Appends the overflow; opened on the first overflow.
    writer: Option<File>,
    /// Reads the overflow back, from the oldest entry on.
    reader: Option<BufReader<File>>,
    /// Entries in the file not read back yet.
    unread: usize,
}

impl<T: Serialize + DeserializeOwned> Spool<T> {
    /// An empty spool overflowing to `path`, which is emptied. Read [`leftovers`] first.
    pub fn create(path: impl Into<PathBuf>, memory_limit: usize) -> Result<Self, SpoolError> {
        let path = path.into();
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|source| SpoolError::Io {
                path: path.clone(),
                source,
            })?;
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(SpoolError::Io { path, source }),
        }
        Ok(Self {
            memory: VecDeque::new(),
            memory_limit: memory_limit.max(1),
            path,
            writer: None,
            reader: None,
            unread: 0,
        })
    }

    /// Entries waiting, in memory and on disk.
    pub fn len(&self) -> usize {
        self.memory.len() + self.unread
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries waiting in the file.
    pub fn on_disk(&self) -> usize {
        self.unread
    }

    /// Adds an entry after every other. Once anything is on disk, later entries go to disk
    /// too, so the order never changes.
    pub fn push(&mut self, entry: T) -> Result<(), SpoolError> {
        if self.unread == 0 && self.memory.len() < self.memory_limit {
            self.memory.push_back(entry);
            return Ok(());
        }
        let mut line = serde_json::to_vec(&entry).map_err(|source| SpoolError::Encode {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        let io_error = |source| SpoolError::Io {
            path: self.path.clone(),
            source,
        };
        if self.writer.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(io_error)?;
            let reader = File::open(&self.path).map_err(io_error)?;
            self.writer = Some(file);
            self.reader = Some(BufReader::new(reader));
        }
        let writer = self.writer.as_mut().expect("opened above");
        writer.write_all(&line).map_err(|source| SpoolError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.unread += 1;
        Ok(())
    }

    /// The oldest entries, oldest first, reading the next batch back from disk when memory
    /// has run dry. Nothing leaves the spool until [`Spool::pop`].
    pub fn peek(&mut self) -> Result<impl Iterator<Item = &T>, SpoolError> {
        if self.memory.is_empty() && self.unread > 0 {
            self.refill()?;
        }
        Ok(self.memory.iter())
    }

    /// Drops the oldest entry, once its effects are stored.
    pub fn pop(&mut self) -> Option<T> {
        self.memory.pop_front()
    }

    /// Writes every waiting entry, oldest first, to the spool file and gives the spool up:
    /// on a shutdown while the database is down, what memory held is then on disk for the
    /// next holder's [`leftovers`]. Returns how many entries were written.
    pub fn persist(mut self) -> Result<usize, SpoolError> {
        let count = self.len();
        let staging = self.path.with_extension("persisting");
        let io_error = |source| SpoolError::Io {
            path: staging.clone(),
            source,
        };
        let mut out = io::BufWriter::new(File::create(&staging).map_err(io_error)?);
        for entry in &self.memory {
            let line = serde_json::to_vec(entry).map_err(|source| SpoolError::Encode {
                path: self.path.clone(),
                source,
            })?;
            out.write_all(&line).map_err(io_error)?;
            out.write_all(b"\n").map_err(io_error)?;
        }
        if let Some(reader) = self.reader.as_mut() {
            // The entries on disk not read back yet are already encoded: copy them as they are.
            let mut line = String::new();
            while self.unread > 0 && reader.read_line(&mut line).map_err(io_error)? > 0 {
                out.write_all(line.as_bytes()).map_err(io_error)?;
                line.clear();
                self.unread -= 1;
            }
        }
        out.flush().map_err(io_error)?;
        drop(out);
        // A rename replaces the file in one step, so a crash leaves the old or the new list.
        fs::rename(&staging, &self.path).map_err(|source| SpoolError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(count)
    }

    fn refill(&mut self) -> Result<(), SpoolError> {
        let io_error = |source| SpoolError::Io {
            path: self.path.clone(),
            source,
        };
        let reader = self
            .reader
            .as_mut()
            .expect("entries on disk mean the file is open");
        let mut line = String::new();
        while self.memory.len() < self.memory_limit && self.unread > 0 {
            line.clear();
            if reader.read_line(&mut line).map_err(io_error)? == 0 {
                // The file is shorter than what was written: it was removed or truncated
                // behind our back. Nothing more can be read.
                tracing::error!(path = %self.path.display(), missing = self.unread, "spool file ended early; Discord's replay must cover the rest");
                self.unread = 0;
                break;
            }
            self.unread -= 1;
            match serde_json::from_str(&line) {
                Ok(entry) => self.memory.push_back(entry),
                Err(error) => {
                    tracing::error!(path = %self.path.display(), %error, "skipping an unreadable spool entry")
                }
            }
        }
        if self.unread == 0 {
            // Everything was read back: start the file afresh so it does not grow forever.
            let writer = self
                .writer
                .as_mut()
                .expect("open while entries were on disk");
            writer.set_len(0).map_err(|source| SpoolError::Io {
                path: self.path.clone(),
                source,
            })?;
            let reader = self
                .reader
                .as_mut()
                .expect("open while entries were on disk");
            reader
                .seek(SeekFrom::Start(0))
                .map_err(|source| SpoolError::Io {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// The entries a previous process left in its spool file, oldest first; empty when there
/// is no file. A torn last line (the process died mid-write) is skipped.
pub fn leftovers<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, SpoolError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SpoolError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|source| SpoolError::Io {
            path: path.to_owned(),
            source,
        })?;
        match serde_json::from_str(&line) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "skipping an unreadable line in a leftover spool file")
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(dir: &tempfile::TempDir, limit: usize) -> Spool<u32> {
        Spool::create(dir.path().join("nested/shard-0.jsonl"), limit).unwrap()
    }

    fn drain(spool: &mut Spool<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        loop {
            let oldest = spool.peek().unwrap().next().copied();
            let Some(entry) = oldest else { break };
            out.push(entry);
            spool.pop();
        }
        out
    }

    #[test]
    fn entries_beyond_the_memory_bound_go_to_disk_and_come_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = spool(&dir, 3);
        for n in 0..10 {
            spool.push(n).unwrap();
        }
        assert_eq!((spool.len(), spool.on_disk()), (10, 7));
        assert_eq!(drain(&mut spool), (0..10).collect::<Vec<_>>());
        assert!(spool.is_empty());
    }

    #[test]
    fn pushes_while_draining_keep_their_place_after_the_disk_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = spool(&dir, 2);
        for n in 0..5 {
            spool.push(n).unwrap();
        }
        assert_eq!(spool.peek().unwrap().next(), Some(&0));
        spool.pop();
        spool.push(5).unwrap();
        spool.pop();
        spool.push(6).unwrap();
        assert_eq!(drain(&mut spool), [2, 3, 4, 5, 6]);
    }

    #[test]
    fn the_file_is_emptied_once_read_back_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = spool(&dir, 1);
        for round in 0..3 {
            for n in 0..4 {
                spool.push(round * 10 + n).unwrap();
            }
            assert_eq!(
                drain(&mut spool),
                (0..4).map(|n| round * 10 + n).collect::<Vec<_>>()
            );
            assert_eq!(fs::metadata(&spool.path).unwrap().len(), 0);
        }
    }

    #[test]
    fn an_entry_is_only_dropped_by_pop() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = spool(&dir, 4);
        spool.push(7).unwrap();
        spool.push(8).unwrap();
        assert_eq!(spool.peek().unwrap().copied().collect::<Vec<_>>(), [7, 8]);
        assert_eq!(spool.peek().unwrap().next(), Some(&7));
        assert_eq!(spool.pop(), Some(7));
        assert_eq!(spool.pop(), Some(8));
        assert_eq!(spool.peek().unwrap().next(), None);
    }

    #[test]
    fn a_killed_process_leaves_its_disk_entries_for_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/shard-0.jsonl");
        {
            let mut spool = spool(&dir, 2);
            for n in 0..6 {
                spool.push(n).unwrap();
            }
            // Dropped without draining, as a killed process would leave it.
        }
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"torn").unwrap();
        assert_eq!(leftovers::<u32>(&path).unwrap(), [2, 3, 4, 5]);
        let fresh: Spool<u32> = Spool::create(&path, 2).unwrap();
        assert!(fresh.is_empty());
        assert_eq!(leftovers::<u32>(&path).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn persisting_writes_memory_and_disk_entries_in_order_for_the_next_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/shard-0.jsonl");
        let mut spool = spool(&dir, 2);
        for n in 0..6 {
            spool.push(n).unwrap();
        }
        assert_eq!(spool.peek().unwrap().next(), Some(&0));
        spool.pop();
        assert_eq!(spool.persist().unwrap(), 5);
        assert_eq!(leftovers::<u32>(&path).unwrap(), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn no_file_means_no_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            leftovers::<u32>(&dir.path().join("absent.jsonl"))
                .unwrap()
                .is_empty()
        );
    }
}
