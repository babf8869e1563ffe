//! Writes an arriving upload to its staging file on a blocking thread. Chunks are handed over by
//! reference (never copied in user space, as an async file's buffer would) in batches, and one
//! batch is written while the next fills: at most two batches are held, so a disk slower than the
//! network makes the sender wait instead of memory grow.
use bytes::Bytes;
use std::io::Write;
use tokio::sync::mpsc;

/// Bytes collected before a batch goes to the writing thread.
const BATCH: usize = 1 << 20;

pub(super) struct StagingWriter {
    batch: Vec<Bytes>,
    batch_len: usize,
    to_disk: mpsc::Sender<Vec<Bytes>>,
    writer: tokio::task::JoinHandle<std::io::Result<std::fs::File>>,
}

impl StagingWriter {
    /// A writer of `file`, whose blocks are reserved first for `expected` bytes when the upload
    /// declared its length (see [`reserve`]).
    pub fn new(mut file: std::fs::File, expected: Option<u64>) -> Self {
        let (to_disk, mut batches) = mpsc::channel::<Vec<Bytes>>(1);
        let writer = tokio::task::spawn_blocking(move || {
            if let Some(len) = expected {
                reserve(&file, len)?;
            }
            while let Some(batch) = batches.blocking_recv() {
                for chunk in batch {
                    file.write_all(&chunk)?;
                }
            }
            Ok(file)
        });
        Self {
            batch: Vec::new(),
            batch_len: 0,
            to_disk,
            writer,
        }
    }

    pub async fn write(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= BATCH {
            self.batch_len = 0;
            let batch = std::mem::take(&mut self.batch);
            if self.to_disk.send(batch).await.is_err() {
                // The thread stopped on an error: that error is the answer.
                return Err(self.stopped().await);
            }
        }
        Ok(())
    }

    /// Writes what is left; answers the file, everything written (not yet synced).
    pub async fn finish(self) -> std::io::Result<std::fs::File> {
        let Self {
            batch,
            to_disk,
            writer,
            ..
        } = self;
        if !batch.is_empty() {
            // An error here shows in the writer's result below.
            let _ = to_disk.send(batch).await;
        }
        drop(to_disk);
        writer.await.map_err(std::io::Error::other)?
    }

    async fn stopped(&mut self) -> std::io::Error {
        match (&mut self.writer).await {
            Ok(Err(e)) => e,
            Ok(Ok(_)) => std::io::Error::other("the staging writer stopped early"),
            Err(e) => std::io::Error::other(e),
        }
    }
}

/// Allocates `file`'s blocks for `len` bytes before they arrive (`fallocate`, its size left as it
/// is): the filesystem then has no block to allocate per page written (ext4's delayed allocation
/// was most of the staging write's CPU), and a disk without room for the whole file says so at once
/// instead of after most of it was sent. Where the filesystem cannot preallocate, the file is
/// written as it would have been.
fn reserve(file: &std::fs::File, len: u64) -> std::io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    if len == 0 {
        return Ok(());
    }
    match fallocate(file, FallocateFlags::KEEP_SIZE, 0, len).map_err(std::io::Error::from) {
        Err(e) if means_no_room(&e) => Err(e),
        _ => Ok(()),
    }
}

/// Whether a write failed for want of room: the disk is full, a quota is used up, or the file
/// would be larger than the filesystem allows.
pub(super) fn means_no_room(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    let no_room = [Errno::NOSPC, Errno::DQUOT, Errno::FBIG].map(|e| e.raw_os_error());
    e.raw_os_error().is_some_and(|code| no_room.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[tokio::test]
    async fn chunks_of_any_size_arrive_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(3 * BATCH + 12_345)).map(|i| (i % 251) as u8).collect();
        let data = Bytes::from(data);
        let mut w = StagingWriter::new(std::fs::File::create(&path).unwrap(), None);
        for at in (0..data.len()).step_by(70_001) {
            w.write(data.slice(at..(at + 70_001).min(data.len())))
                .await
                .unwrap();
        }
        let mut file = w.finish().await.unwrap();
        file.flush().unwrap();
        let mut back = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }

    #[tokio::test]
    async fn a_file_reserved_for_more_holds_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data = Bytes::from(vec![3u8; 2 * BATCH + 5]);
        let mut w = StagingWriter::new(std::fs::File::create(&path).unwrap(), Some(8 << 20));
        w.write(data.clone()).await.unwrap();
        w.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[tokio::test]
    async fn a_disk_without_room_for_the_declared_length_refuses_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        // More than any disk here holds (and than a file may be): refused before a byte is written.
        let mut w = StagingWriter::new(std::fs::File::create(&path).unwrap(), Some(1 << 62));
        let written = w.write(Bytes::from(vec![1u8; BATCH])).await;
        let refused = match written {
            Err(e) => e,
            Ok(()) => w.finish().await.unwrap_err(),
        };
        assert!(means_no_room(&refused), "{refused:?}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[tokio::test]
    async fn a_failing_disk_is_an_error_not_a_silent_loss() {
        // A file opened read-only: every write fails.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let mut w = StagingWriter::new(std::fs::File::open(&path).unwrap(), None);
        let chunk = Bytes::from(vec![7u8; BATCH]);
        let mut failed = false;
        for _ in 0..4 {
            if w.write(chunk.clone()).await.is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || w.finish().await.is_err());
    }
}
