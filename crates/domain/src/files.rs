//! Small file helpers shared by the services (and start-up): files and folders only their owner can
//! read.
use std::path::Path;

/// Writes `contents` to a file only its owner can read (mode 0600 on Unix), creating parent folders.
pub fn write_secret_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// Creates `dir` (and missing parents) if needed and makes it owner-only (0700 on Unix): the data
/// directory holds the database, the key file and uploads.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    restrict(dir, 0o700)
}

/// Makes an existing file or folder owner-only: `mode` is 0600 for files, 0700 for folders. A no-op
/// where Unix modes do not exist.
pub fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Creates an empty file only its owner can read and write (0600), unless it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_dir_is_owner_only_new_or_existing() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/data");
        let existing = tmp.path().join("shared");
        std::fs::create_dir(&existing).unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();

        create_private_dir(&fresh).unwrap();
        create_private_dir(&existing).unwrap();

        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&existing), 0o700);
    }

    #[test]
    fn a_private_file_is_created_owner_only_and_kept_when_it_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("wharf.db");

        create_private_file(&file).unwrap();
        std::fs::write(&file, b"data").unwrap();
        create_private_file(&file).unwrap();

        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"data");
    }
}
