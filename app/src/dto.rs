//! What crosses the wire between the server and the browser: never an entity model, never a secret.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use wharf_types::Page;
use wharf_types::forms::{FieldValue, FormDefinition};
use wharf_types::{Area, DataSourceStatus, DropboxSettings, Role};

/// The signed-in user as the browser sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
    /// The areas the server's policy lets this user open (the navigation shows these).
    pub areas: Vec<Area>,
    /// Whether the policy lets this user add data sources (connection administrators without the
    /// role may edit theirs, but not add new ones).
    pub may_create_data_sources: bool,
    /// Whether the policy lets this user design forms and read their submissions.
    pub may_design_forms: bool,
}

impl CurrentUser {
    pub fn may_enter(&self, area: Area) -> bool {
        self.areas.contains(&area)
    }
}

/// One row of Administration > Data sources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceRow {
    pub id: i32,
    pub kind: String,
    pub display_name: Option<String>,
    pub status: DataSourceStatus,
    /// RFC 3339, UTC.
    pub modified_at: String,
    pub modified_by: Option<String>,
}

/// One page of Administration > Data sources.
pub type DataSourceList = Page<DataSourceRow>;

/// One line of a data source's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub actor_name: String,
    pub action: String,
    pub detail: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// A data source as its connector page shows it (never a token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceView {
    pub row: DataSourceRow,
    pub settings: DropboxSettings,
    pub status_message: Option<String>,
    pub last_test_at: Option<String>,
    pub audit: Vec<AuditLine>,
    /// The connected account, once authorized.
    pub connection: Option<ConnectionView>,
    /// "Sandbox Dropbox" or "Dropbox".
    pub provider: String,
}

/// Who a data source is connected as, and how the grant stands — never a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub account_name: String,
    pub account_email: String,
    /// Dropbox's plan: Basic, Plus/Professional or Business.
    pub account_type: String,
    pub team_space: bool,
    pub used_bytes: Option<i64>,
    pub allocated_bytes: Option<i64>,
    pub token_expires_at: Option<String>,
    pub last_refresh_at: Option<String>,
    pub authorized_at: String,
}

/// The outcome of Test connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    pub ok: bool,
    pub message: String,
}

/// The outcome of deleting a data source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteResult {
    /// Set when the grant could not be revoked at Dropbox (the data source is deleted anyway).
    pub warning: Option<String>,
}

// ---- Administration > Users and Groups ----

/// One user as Administration > Users lists and edits them (never a password hash).
pub type UserRow = wharf_types::UserSummary;

/// One page of Administration > Users.
pub type UserList = Page<UserRow>;

/// One row of Administration > Groups.
pub type GroupRow = wharf_types::GroupSummary;

/// One page of Administration > Groups.
pub type GroupList = Page<GroupRow>;

/// A user as a group's member list and member picker show them.
pub type MemberView = wharf_types::Member;

/// A group as its edit page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    pub members: Vec<MemberView>,
}

// ---- Security of a data source -------------------------------------------------------------

/// One entry of a Security list, as the dialog shows it.
pub type GranteeView = wharf_types::NamedGrantee;

/// The Security dialog's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityView {
    pub data_source_name: Option<String>,
    pub administrators: Vec<GranteeView>,
    /// Saved non-empty once: an empty list now means "Administrators only", not the default.
    pub admins_restricted: bool,
    pub users: Vec<GranteeView>,
    pub users_restricted: bool,
    pub read_only: bool,
}

// ---- Using a data source's files -----------------------------------------------------------

/// A data source a user may use (from forms, the file browser …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsableDataSource {
    pub id: i32,
    pub display_name: Option<String>,
    pub kind: String,
    pub status: DataSourceStatus,
}

/// One page of the data sources a user may use.
pub type UsableDataSourceList = Page<UsableDataSource>;

/// A file or folder, with its path relative to the data source's root.
pub use wharf_types::FileEntry;

/// One page of a folder of a data source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderPageView {
    pub data_source_name: Option<String>,
    /// Relative to the data source's root; `""` is the root.
    pub folder: String,
    pub entries: Vec<FileEntry>,
    /// Pass back to get the next page; `None` at the end.
    pub next: Option<String>,
    /// Whether this user may create and delete here (not read-only, and allowed to).
    pub writable: bool,
}

/// One row of the Forms list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRow {
    pub id: i32,
    pub title: String,
    /// 0 until first published.
    pub version: i32,
    /// RFC 3339, UTC.
    pub published_at: Option<String>,
    pub unpublished_changes: bool,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// One page of the Forms list.
pub type FormList = Page<FormRow>;

/// A form as its designer edits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormView {
    pub row: FormRow,
    pub draft: FormDefinition,
    /// Names of the data sources the draft's List fields use, by id.
    pub data_source_names: BTreeMap<i32, String>,
}

/// A form as a person fills it in (the published version, or a designer's preview of the draft).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillableForm {
    pub id: i32,
    pub title: String,
    pub version: i32,
    pub preview: bool,
    pub definition: FormDefinition,
    /// For List fields bound to a data source this person may not use: why (by field name).
    pub refusals: BTreeMap<String, String>,
    /// The person filling in, for previewing rule conditions that read `{@user.name}` /
    /// `{@user.email}` (their own name and e-mail; the server decides again).
    pub user_name: String,
    pub user_email: String,
}

/// What submitting answers: the submission's id and what its rules said. When the form saves files
/// to data sources or has After submit rules, those run as a job after the submission is stored:
/// `writes` is then its first state, followed with `submission_writes` until it is final.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub id: i32,
    pub messages: Vec<wharf_types::rules::RuleMessage>,
    #[serde(default)]
    pub writes: Option<wharf_types::rules::WritesProgress>,
}

/// One recorded run of a rule (the run log).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRunRow {
    pub id: i64,
    pub form_id: i32,
    pub form_title: String,
    pub form_version: i32,
    /// A designer's run of the saved draft (Preview) rather than of a published version.
    pub preview: bool,
    pub rule_id: String,
    pub rule_name: String,
    /// `load`, `change`, `button`, `before-submit`, `after-submit`.
    pub trigger: String,
    /// Who filled in the form (display name), if they still exist.
    pub user: Option<String>,
    pub data_source_id: Option<i32>,
    pub data_source_name: Option<String>,
    /// What the rule ran with: resolved folder, filter values, fields read (never file contents).
    pub inputs: String,
    pub outcome: wharf_types::rules::RunOutcome,
    /// The sentence of a refusal, error or no match (blank when ok).
    pub message: String,
    pub duration_ms: i64,
    /// RFC 3339, UTC.
    pub at: String,
}

pub type RuleRunList = Page<RuleRunRow>;

/// One entry of a List field's files, as the picker shows it.
pub type PickEntry = wharf_types::Pick;

/// One page of a List field's folder or search results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickPage {
    pub data_source_id: i32,
    pub data_source_name: String,
    /// The folder listed, relative to the data source's root (`""` is the root).
    pub folder: String,
    /// The field's own folder: the picker does not go above it.
    pub field_folder: String,
    pub may_enter_subfolders: bool,
    pub entries: Vec<PickEntry>,
    /// Pass back to get the next page; `None` at the end.
    pub next: Option<String>,
}

/// One submission of a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmissionView {
    pub id: i32,
    pub form_version: i32,
    pub submitted_by: Option<String>,
    /// RFC 3339, UTC.
    pub submitted_at: String,
    pub values: BTreeMap<String, FieldValue>,
    /// Its job's writes (files saved, After submit rules), when it has any.
    #[serde(default)]
    pub writes: Option<wharf_types::rules::WritesProgress>,
}

/// A page of a form's submissions, with the form's current fields for the column titles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmissionList {
    pub form_title: String,
    /// (name, title) of the published fields that hold values (not buttons), in order.
    pub columns: Vec<(String, String)>,
    /// For each Table field, (name, title) of its columns in the designer's order.
    #[serde(default)]
    pub table_columns: BTreeMap<String, Vec<(String, String)>>,
    /// The submissions themselves, on the wire beside the title (the shape of every page).
    #[serde(flatten)]
    pub submissions: Page<SubmissionView>,
}
