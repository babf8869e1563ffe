//! Who people are to Wharf: their roles, the areas those roles open, and the summaries of users and
//! groups that the server and the browser share.
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

/// One user as Administration > Users lists and edits them: never a password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    /// The names of the user's groups, sorted.
    pub groups: Vec<String>,
}

/// One row of Administration > Groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    pub member_count: u64,
}

/// A user as a group's member list and the member picker show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
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
