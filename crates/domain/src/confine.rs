//! Confines every file path a caller names to its data source's root folder. Callers name paths
//! *relative to the root*; this turns them into Dropbox paths under it, or refuses them with a reason.
//! Nothing a caller sends can climb out: `..` in any spelling (percent-encoded, full-width, one-dot
//! leaders), backslashes, control characters, Dropbox's `id:` / `ns:` / `rev:` path forms and
//! over-long names are refused rather than "cleaned", so a hostile path never means something else.
use unicode_normalization::UnicodeNormalization;

/// Dropbox's own limit for one path component, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// A generous bound on a whole relative path.
pub const MAX_PATH_CHARS: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathRefused {
    #[error("The path contains control characters.")]
    ControlCharacters,
    #[error("Use / to separate folders, not \\.")]
    Backslash,
    #[error("The path must not climb out of the data source's folder.")]
    Traversal,
    #[error("Folder and file names must not look like a slash.")]
    SlashLookalike,
    #[error("A folder or file name is too long (at most 255 characters).")]
    NameTooLong,
    #[error("The path is too long.")]
    PathTooLong,
    #[error("Name files by their path inside the data source, not by a Dropbox id.")]
    DropboxPathForm,
    #[error("The path is outside the data source's folder.")]
    OutsideRoot,
}

/// Characters that render as a slash. Dropbox treats them as ordinary characters, but a name that
/// looks like a path separator misleads whoever reads it.
const SLASH_LOOKALIKES: [char; 5] = ['\u{2215}', '\u{2044}', '\u{FF0F}', '\u{29F8}', '\u{1735}'];

/// The Dropbox path for `relative` (e.g. `Reports/2026`, `/Reports/2026`, or empty for the root)
/// under `root` (a normalized folder path such as `/Invoices`, or empty for the account's root).
pub fn resolve(root: &str, relative: &str) -> Result<String, PathRefused> {
    let segments = relative_segments(relative)?;
    let mut path = root.trim_end_matches('/').to_owned();
    for segment in segments {
        path.push('/');
        path.push_str(segment);
    }
    Ok(path)
}

/// The path relative to `root` of a Dropbox path the server got back from Dropbox (say, a search
/// hit or a picked file's current path), refusing one that is not under the root. Dropbox compares
/// paths case-insensitively, and so does this.
pub fn relative_to_root(root: &str, dropbox_path: &str) -> Result<String, PathRefused> {
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        return Ok(dropbox_path.trim_start_matches('/').to_owned());
    }
    let lower_path = dropbox_path.to_lowercase();
    let lower_root = root.to_lowercase();
    match lower_path.strip_prefix(&lower_root) {
        Some("") => Ok(String::new()),
        Some(rest) if rest.starts_with('/') => {
            // Lower-casing can change byte lengths; cut the original at the same char count.
            let cut = root.chars().count() + 1;
            Ok(dropbox_path.chars().skip(cut).collect())
        }
        _ => Err(PathRefused::OutsideRoot),
    }
}

fn relative_segments(relative: &str) -> Result<Vec<&str>, PathRefused> {
    if relative.chars().count() > MAX_PATH_CHARS {
        return Err(PathRefused::PathTooLong);
    }
    if relative.chars().any(|c| c.is_control()) {
        return Err(PathRefused::ControlCharacters);
    }
    if relative.contains('\\') {
        return Err(PathRefused::Backslash);
    }
    let trimmed = relative.trim_start_matches('/');
    for form in ["id:", "ns:", "rev:"] {
        if trimmed.to_ascii_lowercase().starts_with(form) {
            return Err(PathRefused::DropboxPathForm);
        }
    }
    let mut segments = Vec::new();
    for segment in trimmed.split('/') {
        if segment.is_empty() {
            continue; // `a//b` and a trailing slash mean what they look like
        }
        check_segment(segment)?;
        segments.push(segment);
    }
    Ok(segments)
}

fn check_segment(segment: &str) -> Result<(), PathRefused> {
    if segment.chars().count() > MAX_NAME_CHARS {
        return Err(PathRefused::NameTooLong);
    }
    if segment.chars().any(|c| SLASH_LOOKALIKES.contains(&c)) {
        return Err(PathRefused::SlashLookalike);
    }
    // Every spelling that some layer might later read as `.`/`..`/`/`/`\`: percent-decoded (even
    // twice over), then compatibility-normalized (full-width dots, the two-dot leader …).
    let once = percent_decode(segment);
    let twice = percent_decode(&once);
    for spelling in [segment, once.as_str(), twice.as_str()] {
        let folded: String = spelling.nfkc().collect();
        if folded.contains('/') || folded.contains('\\') {
            return Err(PathRefused::SlashLookalike);
        }
        if folded.chars().any(|c| c.is_control()) {
            return Err(PathRefused::ControlCharacters);
        }
        let bare = folded.trim();
        if !bare.is_empty() && bare.chars().all(|c| c == '.') {
            return Err(PathRefused::Traversal);
        }
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_land_under_the_root() {
        assert_eq!(resolve("/Invoices", "").unwrap(), "/Invoices");
        assert_eq!(resolve("/Invoices", "/").unwrap(), "/Invoices");
        assert_eq!(
            resolve("/Invoices", "2026/INV-1.pdf").unwrap(),
            "/Invoices/2026/INV-1.pdf"
        );
        assert_eq!(
            resolve("/Invoices", "/2026//a b.pdf/").unwrap(),
            "/Invoices/2026/a b.pdf"
        );
        assert_eq!(resolve("", "Documents").unwrap(), "/Documents");
        assert_eq!(resolve("", "").unwrap(), "");
        // Dots inside names are fine; only whole `.`/`..` segments climb.
        assert_eq!(
            resolve("/R", "v1.2/..hidden/a..b").unwrap(),
            "/R/v1.2/..hidden/a..b"
        );
        // Non-ASCII names are names.
        assert_eq!(
            resolve("/R", "Überweisung/請求書.pdf").unwrap(),
            "/R/Überweisung/請求書.pdf"
        );
    }

    #[test]
    fn hostile_paths_are_refused_not_cleaned() {
        let cases: &[(&str, PathRefused)] = &[
            ("..", PathRefused::Traversal),
            ("../Secrets", PathRefused::Traversal),
            ("a/../../b", PathRefused::Traversal),
            ("./a", PathRefused::Traversal),
            ("...", PathRefused::Traversal),
            (" .. ", PathRefused::Traversal),
            ("%2e%2e", PathRefused::Traversal),
            ("%2E%2E/etc", PathRefused::Traversal),
            ("%252e%252e", PathRefused::Traversal),
            ("a%2fb", PathRefused::SlashLookalike),
            ("a%5cb", PathRefused::SlashLookalike),
            ("..\\x", PathRefused::Backslash),
            ("a\\b", PathRefused::Backslash),
            ("a\u{0}b", PathRefused::ControlCharacters),
            ("a\nb", PathRefused::ControlCharacters),
            ("a%0Ab", PathRefused::ControlCharacters),
            ("\u{FF0E}\u{FF0E}", PathRefused::Traversal), // full-width dots
            ("\u{2025}", PathRefused::Traversal),         // two-dot leader
            ("a\u{2215}b", PathRefused::SlashLookalike),  // division slash
            ("a\u{FF0F}b", PathRefused::SlashLookalike),  // full-width solidus
            ("id:AAAAAAAAAAAAAAAAAAAAAA", PathRefused::DropboxPathForm),
            ("/ns:12345/x", PathRefused::DropboxPathForm),
            ("rev:a1c10ce0dd78", PathRefused::DropboxPathForm),
        ];
        for (input, expected) in cases {
            assert_eq!(resolve("/Root", input).as_ref(), Err(expected), "{input:?}");
        }
        let long_name = "x".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(resolve("/Root", &long_name), Err(PathRefused::NameTooLong));
        assert!(resolve("/Root", &"x".repeat(MAX_NAME_CHARS)).is_ok());
        let long_path = "abc/".repeat(MAX_PATH_CHARS / 4 + 1);
        assert_eq!(resolve("/Root", &long_path), Err(PathRefused::PathTooLong));
    }

    #[test]
    fn dropbox_paths_are_made_relative_only_when_under_the_root() {
        assert_eq!(
            relative_to_root("/Invoices", "/invoices/2026/a.pdf").unwrap(),
            "2026/a.pdf"
        );
        assert_eq!(relative_to_root("/Invoices", "/Invoices").unwrap(), "");
        assert_eq!(relative_to_root("", "/Documents/a").unwrap(), "Documents/a");
        assert_eq!(
            relative_to_root("/Invoices", "/Invoices-old/a.pdf"),
            Err(PathRefused::OutsideRoot)
        );
        assert_eq!(
            relative_to_root("/Invoices", "/Secrets"),
            Err(PathRefused::OutsideRoot)
        );
    }
}
