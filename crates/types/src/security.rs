//! A data source's Security lists: who an entry names.
use crate::identity::Role;
use serde::{Deserialize, Serialize};

/// Who an entry of a data source's Security lists names: one user, a group's members, or every
/// holder of a role.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grantee {
    User(i32),
    Group(i32),
    Role(Role),
}

/// One entry of a Security list with what the dialog shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedGrantee {
    pub grantee: Grantee,
    /// The user's or group's name, or the role's label.
    pub label: String,
    /// A second line: the user name (and "disabled"), the member count, or "Role".
    pub detail: String,
}
