//! Data sources: their kinds, states and settings, and the folder paths and file patterns they take.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The kinds of data source Wharf can connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataSourceKind {
    Dropbox,
}

impl DataSourceKind {
    pub const ALL: [DataSourceKind; 1] = [DataSourceKind::Dropbox];

    pub fn as_str(self) -> &'static str {
        match self {
            DataSourceKind::Dropbox => "dropbox",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DataSourceKind::Dropbox => "Dropbox",
        }
    }
}

impl FromStr for DataSourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataSourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown data source type `{s}`"))
    }
}

/// Where a data source stands: usable only when `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataSourceStatus {
    /// Not named yet, or not authorized.
    Incomplete,
    /// The last connection test failed; the data source says why.
    TestFailed,
    /// The last connection test passed.
    Ready,
}

impl DataSourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DataSourceStatus::Incomplete => "incomplete",
            DataSourceStatus::TestFailed => "test_failed",
            DataSourceStatus::Ready => "ready",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DataSourceStatus::Incomplete => "incomplete",
            DataSourceStatus::TestFailed => "test failed",
            DataSourceStatus::Ready => "ready",
        }
    }
}

impl FromStr for DataSourceStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            DataSourceStatus::Incomplete,
            DataSourceStatus::TestFailed,
            DataSourceStatus::Ready,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown status `{s}`"))
    }
}

/// Which folders a search of the data source looks in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SearchScope {
    TopFolderOnly,
    #[default]
    AllSubfolders,
}

/// Which part of a Dropbox account the data source works in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DropboxSpace {
    #[default]
    MyFiles,
    /// The team space, for a team member account whose team has one.
    TeamSpace,
}

/// The settings of a Dropbox data source beyond its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropboxSettings {
    /// The folder the data source is confined to; `""` is the whole space.
    pub root_folder: String,
    /// File name patterns separated by `;`, e.g. `*.pdf;*.docx`; empty allows every file.
    pub file_pattern: String,
    pub search_scope: SearchScope,
    pub space: DropboxSpace,
}

/// What an administrator saves on a data source's page: its name (blank until chosen) and its
/// Dropbox settings, one value from the server function down to the database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSettings {
    pub display_name: String,
    pub dropbox: DropboxSettings,
}

impl ConnectorSettings {
    pub fn new(display_name: impl Into<String>, dropbox: DropboxSettings) -> Self {
        ConnectorSettings {
            display_name: display_name.into(),
            dropbox,
        }
    }
}

/// A Dropbox folder path as an administrator types it, made canonical: `""` for the root, otherwise
/// `/a/b` with single slashes and no trailing slash. Paths that could step outside (`..`), use
/// backslashes or contain control characters are refused with a sentence saying why.
pub fn normalize_folder_path(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    if trimmed.chars().any(char::is_control) {
        return Err("The folder path contains control characters.".into());
    }
    if trimmed.contains('\\') {
        return Err("Use / to separate folders, not \\.".into());
    }
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        match part.trim() {
            "" | "." => {}
            ".." => return Err("The folder path must not contain `..`.".into()),
            p if p != part => return Err("Folder names must not start or end with spaces.".into()),
            p => parts.push(p),
        }
    }
    let path = parts.iter().map(|p| format!("/{p}")).collect::<String>();
    if path.chars().count() > 1000 {
        return Err("The folder path is too long (at most 1000 characters).".into());
    }
    Ok(path)
}

/// The patterns of a `*.pdf;*.docx` list, trimmed; an error names the pattern that cannot be used.
pub fn parse_file_pattern(input: &str) -> Result<Vec<String>, String> {
    let mut patterns = Vec::new();
    for raw in input.split(';') {
        let p = raw.trim();
        if p.is_empty() {
            continue;
        }
        if p.contains('/') || p.contains('\\') || p.chars().any(char::is_control) {
            return Err(format!(
                "`{p}` is not a file name pattern: patterns match names, not folders."
            ));
        }
        if p.chars().count() > 100 {
            return Err("A file name pattern can have at most 100 characters.".into());
        }
        patterns.push(p.to_owned());
    }
    Ok(patterns)
}

#[cfg(test)]
mod data_source_tests {
    use super::*;

    #[test]
    fn folder_paths_become_canonical() {
        assert_eq!(normalize_folder_path("").unwrap(), "");
        assert_eq!(normalize_folder_path("/").unwrap(), "");
        assert_eq!(
            normalize_folder_path("Projects//2026/").unwrap(),
            "/Projects/2026"
        );
        assert_eq!(normalize_folder_path(" /a/./b ").unwrap(), "/a/b");
    }

    #[test]
    fn folder_paths_that_could_escape_are_refused() {
        for hostile in ["/a/../b", "..", "/a\\b", "/a\u{0}b", "/a\nb", "/ a"] {
            assert!(normalize_folder_path(hostile).is_err(), "{hostile:?}");
        }
        assert!(normalize_folder_path(&"/x".repeat(600)).is_err());
    }

    #[test]
    fn file_patterns_are_split_on_semicolons() {
        assert_eq!(
            parse_file_pattern("*.pdf; *.docx;;").unwrap(),
            vec!["*.pdf", "*.docx"]
        );
        assert!(parse_file_pattern("").unwrap().is_empty());
        assert!(parse_file_pattern("docs/*.pdf").is_err());
    }

    #[test]
    fn kinds_and_statuses_round_trip_through_their_stored_names() {
        assert_eq!(
            "dropbox".parse::<DataSourceKind>(),
            Ok(DataSourceKind::Dropbox)
        );
        for s in [
            DataSourceStatus::Incomplete,
            DataSourceStatus::TestFailed,
            DataSourceStatus::Ready,
        ] {
            assert_eq!(s.as_str().parse::<DataSourceStatus>(), Ok(s));
        }
    }
}
