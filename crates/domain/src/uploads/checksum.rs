//! How Wharf checks its copy of an upload when reading it back. The stored value names its algorithm:
//! `dropbox:<hex>` is Dropbox's `content_hash` — what an upload sent on to Dropbox as it arrives
//! computes anyway, so its bytes are hashed once, not once for Dropbox and once for Wharf — and
//! `sha256:<hex>` is the plain SHA-256 files stored before that carry.
use dropbox::ContentHasher;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Dropbox's `content_hash`, lower-case hex.
    ContentHash(String),
    /// SHA-256 of the whole content, lower-case hex.
    Sha256(String),
}

impl Checksum {
    const CONTENT_HASH: &str = "dropbox:";
    const SHA256: &str = "sha256:";

    /// The stored form (`form_uploads.checksum`).
    pub fn stored(&self) -> String {
        match self {
            Self::ContentHash(hex) => format!("{}{hex}", Self::CONTENT_HASH),
            Self::Sha256(hex) => format!("{}{hex}", Self::SHA256),
        }
    }

    /// Reads a stored checksum; `None` for one of no known algorithm.
    pub fn parse(stored: &str) -> Option<Self> {
        if let Some(hex) = stored.strip_prefix(Self::CONTENT_HASH) {
            Some(Self::ContentHash(hex.to_owned()))
        } else {
            stored
                .strip_prefix(Self::SHA256)
                .map(|hex| Self::Sha256(hex.to_owned()))
        }
    }

    /// A hasher of the same algorithm, to compare content read back with this checksum.
    pub fn verifier(&self) -> Verifier {
        match self {
            Self::ContentHash(_) => Verifier::ContentHash(ContentHasher::new()),
            Self::Sha256(_) => Verifier::Sha256(Sha256::new()),
        }
    }

    /// The `content_hash` of the file at `path`, read from disk on a blocking thread: for an upload
    /// whose hashing was left to a Dropbox upload session that then failed.
    pub async fn of_file(path: &Path) -> std::io::Result<Self> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::open(path)?;
            let mut hasher = ContentHasher::new();
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                match file.read(&mut buf)? {
                    0 => return Ok(Self::ContentHash(hasher.finish())),
                    n => hasher.update(&buf[..n]),
                }
            }
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

/// Hashes content read back for comparison with a [`Checksum`].
pub enum Verifier {
    ContentHash(ContentHasher),
    Sha256(Sha256),
}

impl Verifier {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::ContentHash(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
        }
    }

    /// Whether everything fed matches `expected`.
    pub fn matches(self, expected: &Checksum) -> bool {
        let actual = match self {
            Self::ContentHash(h) => Checksum::ContentHash(h.finish()),
            Self::Sha256(h) => Checksum::Sha256(hex::encode(h.finalize())),
        };
        &actual == expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_checksums_read_back_as_themselves() {
        for c in [
            Checksum::ContentHash("ab12".into()),
            Checksum::Sha256("cd34".into()),
        ] {
            assert_eq!(Checksum::parse(&c.stored()), Some(c));
        }
        assert_eq!(Checksum::parse("md5:00"), None);
        assert_eq!(Checksum::parse("ab12"), None);
    }

    #[test]
    fn a_verifier_matches_only_its_own_algorithm_and_content() {
        let data = b"hello world";
        let dropbox = Checksum::ContentHash(dropbox::content_hash(data));
        let sha = Checksum::Sha256(hex::encode(Sha256::digest(data)));
        for c in [&dropbox, &sha] {
            let mut v = c.verifier();
            v.update(data);
            assert!(v.matches(c));
            let mut v = c.verifier();
            v.update(b"hello World");
            assert!(!v.matches(c));
        }
        assert_ne!(dropbox.stored(), sha.stored());
    }

    #[tokio::test]
    async fn a_file_on_disk_gets_its_content_hash() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..(dropbox::BLOCK_SIZE + 99)).map(|i| i as u8).collect();
        let path = dir.path().join("f");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(
            Checksum::of_file(&path).await.unwrap(),
            Checksum::ContentHash(dropbox::content_hash(&data))
        );
    }
}
