//! What crosses the wire between the server and the browser: never an entity model, never a secret.
use serde::{Deserialize, Serialize};
use wharf_types::{Area, Role};

/// The signed-in user as the browser sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
}

impl CurrentUser {
    pub fn may_enter(&self, area: Area) -> bool {
        area.allows(&self.roles)
    }
}

/// One row of Administration > Data sources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceRow {
    pub id: i32,
    pub kind: String,
    pub display_name: String,
    pub status: String,
    /// RFC 3339, UTC.
    pub modified_at: String,
    pub modified_by: Option<String>,
}

/// One row of Administration > Users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
}
