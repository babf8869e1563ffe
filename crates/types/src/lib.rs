//! Wharf's shared vocabulary: plain types with no I/O, compiled for the server and the browser, so that
//! the navigation the browser hides and the refusals the server makes come from one definition.

pub mod forms;
pub mod paging;

pub use paging::{PAGE_SIZE, Page};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do in Wharf. A user can hold several roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Administrator,
    ManageDataSources,
    DesignBusinessProcess,
    User,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::ManageDataSources,
        Role::DesignBusinessProcess,
        Role::User,
    ];

    /// The stable identifier stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::ManageDataSources => "manage_data_sources",
            Role::DesignBusinessProcess => "design_business_process",
            Role::User => "user",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::ManageDataSources => "Manage data sources",
            Role::DesignBusinessProcess => "Design business process",
            Role::User => "User",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role `{}`", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Who an entry of a data source's Security lists names: one user, a group's members, or every
/// holder of a role.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grantee {
    User(i32),
    Group(i32),
    Role(Role),
}

/// The areas of the application shell. Which ones a user may enter depends only on their roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Area {
    Home,
    Forms,
    Dashboards,
    DataSources,
    Users,
    Groups,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Home,
        Area::Forms,
        Area::Dashboards,
        Area::DataSources,
        Area::Users,
        Area::Groups,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::Home => "Home",
            Area::Forms => "Forms",
            Area::Dashboards => "Dashboards",
            Area::DataSources => "Data sources",
            Area::Users => "Users",
            Area::Groups => "Groups",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Area::Home => "/",
            Area::Forms => "/forms",
            Area::Dashboards => "/dashboards",
            Area::DataSources => "/admin/data-sources",
            Area::Users => "/admin/users",
            Area::Groups => "/admin/groups",
        }
    }

    /// The area a page path belongs to: the area whose path is the path itself or a parent of it.
    /// `/` alone is Home; a path under no area (sign-in, change password) belongs to none.
    pub fn for_path(path: &str) -> Option<Area> {
        if path == "/" {
            return Some(Area::Home);
        }
        Area::ALL
            .into_iter()
            .filter(|a| *a != Area::Home)
            .find(|a| {
                let base = a.path();
                path == base
                    || path
                        .strip_prefix(base)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }

    /// Whether the area sits under the Administration heading of the navigation.
    pub fn is_administration(self) -> bool {
        matches!(self, Area::DataSources | Area::Users | Area::Groups)
    }

    /// The single rule for who may enter an area; the navigation hides what this refuses and every
    /// server function of the area asks it again.
    pub fn allows(self, roles: &[Role]) -> bool {
        let has = |r: Role| roles.contains(&r);
        match self {
            Area::Home | Area::Forms | Area::Dashboards => true,
            Area::DataSources => has(Role::Administrator) || has(Role::ManageDataSources),
            Area::Users | Area::Groups => has(Role::Administrator),
        }
    }
}

/// Whether `next` is a path on this site that is safe to send a person to after sign-in: an absolute
/// path, not a scheme-relative `//host` or a backslash trick that browsers treat as another origin.
pub fn is_same_site_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn data_sources_are_for_administrators_and_data_source_managers_only() {
        assert!(Area::DataSources.allows(&[Role::Administrator]));
        assert!(Area::DataSources.allows(&[Role::ManageDataSources]));
        assert!(!Area::DataSources.allows(&[Role::User]));
        assert!(!Area::DataSources.allows(&[Role::DesignBusinessProcess]));
        assert!(!Area::DataSources.allows(&[]));
    }

    #[test]
    fn users_and_groups_are_for_administrators_only() {
        for area in [Area::Users, Area::Groups] {
            assert!(area.allows(&[Role::Administrator]));
            assert!(!area.allows(&[
                Role::ManageDataSources,
                Role::DesignBusinessProcess,
                Role::User
            ]));
        }
    }

    #[test]
    fn everyone_signed_in_may_use_home_forms_and_dashboards() {
        for area in [Area::Home, Area::Forms, Area::Dashboards] {
            assert!(area.allows(&[]));
        }
    }

    #[test]
    fn pages_belong_to_the_area_whose_path_contains_them() {
        assert_eq!(Area::for_path("/"), Some(Area::Home));
        assert_eq!(
            Area::for_path("/admin/data-sources"),
            Some(Area::DataSources)
        );
        assert_eq!(
            Area::for_path("/admin/data-sources/7"),
            Some(Area::DataSources)
        );
        assert_eq!(Area::for_path("/admin/data-sourcesX"), None);
        assert_eq!(Area::for_path("/admin/users"), Some(Area::Users));
        assert_eq!(Area::for_path("/sign-in"), None);
    }

    #[test]
    fn only_same_site_paths_are_honoured_as_return_paths() {
        assert!(is_same_site_path("/"));
        assert!(is_same_site_path("/admin/data-sources?q=x"));
        for hostile in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/foo\\bar",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert!(!is_same_site_path(hostile), "{hostile:?} must be refused");
        }
    }
}

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
