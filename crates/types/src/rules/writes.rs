//! The rule kinds that change a data source — Create item, Update item, Delete item — and what a
//! person sees of the writes a submission started (its After submit rules run as a job).
use super::{Reaction, ResultMapping, RuleMessage};
use serde::{Deserialize, Serialize};

/// What a write does when the name it writes to is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnConflict {
    /// The rule fails with a message (its On error applies).
    #[default]
    Fail,
    /// Dropbox adds a number: `Invoice (1).pdf`.
    Autorename,
    /// The existing file is replaced (files only; a folder is never replaced).
    Overwrite,
}

impl OnConflict {
    pub const ALL: [OnConflict; 3] = [
        OnConflict::Fail,
        OnConflict::Autorename,
        OnConflict::Overwrite,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OnConflict::Fail => "Fail with a message",
            OnConflict::Autorename => "Add a number",
            OnConflict::Overwrite => "Overwrite",
        }
    }
}

/// Which existing item an Update or Delete rule acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemRef {
    /// The file(s) chosen in a List field bound to a data source: each carries its id, path and
    /// the rev the person saw.
    Chosen { field: String },
    /// A path template, relative to the data source's root (`Invoices/{Customer}/{File}`).
    Path { path: String },
    /// A template giving a Dropbox id (`id:…`), e.g. a field an earlier rule filled.
    Id { id: String },
}

impl Default for ItemRef {
    fn default() -> Self {
        ItemRef::Chosen {
            field: String::new(),
        }
    }
}

/// What a created (or replaced) file holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemContent {
    /// An empty folder (Create item only).
    Folder,
    /// Each file of a File upload field (one item per file; Update uses the first).
    Uploads { field: String },
    /// A copy of each file chosen in a List field bound to a data source.
    Copy { field: String },
    /// Text rendered from a template of the form's values.
    Text { template: String },
    /// The named fields as CSV (RFC 4180): a header row of the fields' titles and a row of their
    /// values — or, when the only field named is a Table, a header of its column titles and a row
    /// per table row.
    Csv { fields: Vec<String> },
    /// The named fields (every field that holds a value when none is named) as one JSON object,
    /// by field name.
    Json { fields: Vec<String> },
}

impl ItemContent {
    pub fn label(&self) -> &'static str {
        match self {
            ItemContent::Folder => "A folder",
            ItemContent::Uploads { .. } => "The files of a File upload field",
            ItemContent::Copy { .. } => "A copy of the file(s) chosen in a List field",
            ItemContent::Text { .. } => "Text from a template",
            ItemContent::Csv { .. } => "CSV of form fields",
            ItemContent::Json { .. } => "JSON of form fields",
        }
    }

    /// The field whose files it writes, if any.
    pub fn source_field(&self) -> Option<&str> {
        match self {
            ItemContent::Uploads { field } | ItemContent::Copy { field } => Some(field),
            _ => None,
        }
    }
}

/// Creates a file or a folder in a data source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateItem {
    pub data_source_id: i32,
    /// A template, relative to the data source's root; created (with its parents) when missing.
    pub folder: String,
    /// A template. Blank keeps the original names of uploaded or copied files; a folder, text,
    /// CSV or JSON needs one. A name without an extension gets the original file's (`.csv`, `.json`
    /// for those formats).
    pub name: String,
    pub content: ItemContent,
    pub on_conflict: OnConflict,
    /// The created item's parameters into fields (the first item's, when it creates several).
    pub result: Vec<ResultMapping>,
    pub on_success: Reaction,
    pub on_error: Reaction,
}

impl CreateItem {
    pub fn new(data_source_id: i32) -> Self {
        CreateItem {
            data_source_id,
            folder: String::new(),
            name: String::new(),
            content: ItemContent::Uploads {
                field: String::new(),
            },
            on_conflict: OnConflict::Autorename,
            result: Vec::new(),
            on_success: Reaction::default(),
            on_error: Reaction::default(),
        }
    }
}

/// Renames, moves and/or replaces the content of an existing file or folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateItem {
    pub data_source_id: i32,
    pub target: ItemRef,
    /// A template for the new name; blank keeps the name.
    pub rename: String,
    /// A template for the folder to move it to (relative to the root); blank keeps it where it is.
    pub move_to: String,
    /// New content (not `Folder`); `None` keeps the content.
    pub content: Option<ItemContent>,
    /// A template that renders blank (its fields are empty) leaves that part of the item as it is,
    /// instead of failing (a blank name or folder) or writing an empty file.
    pub ignore_blank: bool,
    /// Refuse when the file changed since the person chose it (needs a `Chosen` target): "the file
    /// was changed by someone else since it was chosen".
    pub check_rev: bool,
    /// When the new name or folder is taken: Fail or Autorename (a move never overwrites).
    pub on_conflict: OnConflict,
    pub result: Vec<ResultMapping>,
    pub on_success: Reaction,
    pub on_error: Reaction,
}

impl UpdateItem {
    pub fn new(data_source_id: i32) -> Self {
        UpdateItem {
            data_source_id,
            target: ItemRef::default(),
            rename: String::new(),
            move_to: String::new(),
            content: None,
            ignore_blank: true,
            check_rev: true,
            on_conflict: OnConflict::Fail,
            result: Vec::new(),
            on_success: Reaction::default(),
            on_error: Reaction::default(),
        }
    }
}

/// Deletes a file or a folder (with everything in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteItem {
    pub data_source_id: i32,
    pub target: ItemRef,
    /// Refuse when the file changed since the person chose it (needs a `Chosen` target).
    pub check_rev: bool,
    pub on_success: Reaction,
    pub on_error: Reaction,
}

impl DeleteItem {
    pub fn new(data_source_id: i32) -> Self {
        DeleteItem {
            data_source_id,
            target: ItemRef::default(),
            check_rev: true,
            on_success: Reaction::default(),
            on_error: Reaction::default(),
        }
    }
}

/// Where the writes a submission started stand (its files saved to data sources and its After
/// submit rules, run as a job after the submission is stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WritesState {
    /// Stored, waiting for a worker (or for the next attempt after a failure that may pass).
    Queued,
    Writing,
    Done,
    /// Failed for good (or after every retry): a designer can retry once the cause is fixed.
    NeedsAttention,
}

impl WritesState {
    pub fn label(self) -> &'static str {
        match self {
            WritesState::Queued => "Queued",
            WritesState::Writing => "Writing",
            WritesState::Done => "Done",
            WritesState::NeedsAttention => "Needs attention",
        }
    }

    /// Whether nothing more will happen without a person retrying.
    pub fn is_final(self) -> bool {
        matches!(self, WritesState::Done | WritesState::NeedsAttention)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    Running,
    Done,
    Failed,
}

/// One write of the job: a file saved, an item created, updated or deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteStep {
    /// What it does, for people: `Save Invoice.pdf to /Invoices/ACME`, `Archive: move …`.
    pub label: String,
    pub state: StepState,
    /// The error's sentence when it failed.
    pub message: String,
}

/// What a submission's writes did so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WritesProgress {
    pub state: WritesState,
    /// Writes finished and writes planned ("writing 2 of 5"); the plan is known when the job starts
    /// (files to save plus enabled write rules), so `total` may grow or shrink by conditions.
    pub done: u32,
    pub total: u32,
    pub steps: Vec<WriteStep>,
    /// What the After submit rules said (Show message, reactions), once they ran.
    pub messages: Vec<RuleMessage>,
    /// Why it needs attention (or why the last attempt failed, while a retry is queued).
    pub error: Option<String>,
    pub attempts: u32,
    /// RFC 3339: when the next attempt runs, while one is queued after a failure.
    pub next_attempt: Option<String>,
}

impl WritesProgress {
    pub fn queued() -> Self {
        WritesProgress {
            state: WritesState::Queued,
            done: 0,
            total: 0,
            steps: Vec::new(),
            messages: Vec::new(),
            error: None,
            attempts: 0,
            next_attempt: None,
        }
    }
}
