//! Secrets at rest: OAuth tokens (and PKCE verifiers) are stored encrypted with AES-256-GCM. Each
//! ciphertext is bound to what it belongs to (associated data such as `data_source:7:refresh_token`),
//! so a value copied into another row or column does not decrypt.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::fmt;
use std::path::{Path, PathBuf};

/// The key file created in the data directory when `WHARF_SECRET_KEY` is not set.
pub const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "WHARF_SECRET_KEY must be 32 bytes in base64 (44 characters); generate one with `openssl rand -base64 32`"
    )]
    BadKey,
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "a stored secret cannot be decrypted: it was written with another key or has been altered"
    )]
    Undecryptable,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// The key from `configured` (base64 of 32 bytes, e.g. `WHARF_SECRET_KEY`), or else from
    /// `<data_dir>/secret.key`, generated on first use with mode 0600.
    pub fn open(configured: Option<&str>, data_dir: &Path) -> Result<Self, VaultError> {
        if let Some(encoded) = configured {
            return Ok(Self::from_key(&decode_key(encoded)?));
        }
        let path = data_dir.join(KEY_FILE);
        let key_file_error = |source| VaultError::KeyFile {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(encoded) => Ok(Self::from_key(&decode_key(&encoded)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Aes256Gcm::generate_key(&mut OsRng);
                crate::files::write_secret_file(&path, &B64.encode(key)).map_err(key_file_error)?;
                tracing::info!(file = %path.display(), "generated the key that encrypts tokens at rest");
                Ok(Self {
                    cipher: Aes256Gcm::new(&key),
                })
            }
            Err(e) => Err(key_file_error(e)),
        }
    }

    /// `base64(nonce ‖ ciphertext)`, bound to `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // AES-GCM fails only for inputs over 64 GiB; tokens are a few hundred bytes.
            .expect("AES-GCM encryption of a short secret");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        B64.encode(out)
    }

    pub fn open_sealed(&self, sealed: &str, context: &str) -> Result<String, VaultError> {
        let bytes = B64
            .decode(sealed.trim())
            .map_err(|_| VaultError::Undecryptable)?;
        if bytes.len() <= NONCE_LEN {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| VaultError::Undecryptable)
    }
}

fn decode_key(encoded: &str) -> Result<[u8; 32], VaultError> {
    B64.decode(encoded.trim())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or(VaultError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let vault = Vault::from_key(&[7; 32]);
        let sealed = vault.seal("sl.secret-token", "data_source:1:access_token");
        assert!(!sealed.contains("secret-token"));
        assert_eq!(
            vault
                .open_sealed(&sealed, "data_source:1:access_token")
                .unwrap(),
            "sl.secret-token"
        );
        assert!(
            vault
                .open_sealed(&sealed, "data_source:2:access_token")
                .is_err(),
            "moved to another row"
        );
        assert!(
            Vault::from_key(&[8; 32])
                .open_sealed(&sealed, "data_source:1:access_token")
                .is_err()
        );
        assert!(vault.open_sealed("not base64!", "x").is_err());
        assert!(vault.open_sealed("", "x").is_err());
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let vault = Vault::from_key(&[7; 32]);
        assert_ne!(vault.seal("token", "c"), vault.seal("token", "c"));
    }

    #[test]
    fn a_generated_key_is_kept_in_the_data_directory_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Vault::open(None, dir.path()).unwrap();
        let sealed = first.seal("token", "c");
        let again = Vault::open(None, dir.path()).unwrap();
        assert_eq!(again.open_sealed(&sealed, "c").unwrap(), "token");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_key_must_be_32_bytes_of_base64() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Vault::open(Some("too short"), dir.path()),
            Err(VaultError::BadKey)
        ));
        let key = B64.encode([1u8; 32]);
        assert!(Vault::open(Some(&key), dir.path()).is_ok());
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "a configured key writes no file"
        );
    }
}
