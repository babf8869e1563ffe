//! A form's definition (its fields) and what a submission holds, with the checks a definition must
//! pass. Plain data shared by the designer in the browser and the server, which checks again.
use crate::rules::{ButtonField, FieldFacts, Rule, TableField, TableRow, rule_problems};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The fields of a form, in the order they are shown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub fields: Vec<FieldDefinition>,
    /// The form's data rules, in execution order within each trigger (forms stored before rules
    /// existed have none).
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDefinition {
    /// The label shown to the person filling the form.
    pub title: String,
    /// The identifier processes and rules use: unique in the form, letters, digits and `_`.
    pub name: String,
    pub help: String,
    pub required: bool,
    /// A disabled field is shown but cannot be changed (it keeps no value).
    pub enabled: bool,
    pub visible: bool,
    pub kind: FieldKind,
}

impl FieldDefinition {
    /// A field as the designer adds it: optional, enabled, visible and without help.
    pub fn new(title: impl Into<String>, name: impl Into<String>, kind: FieldKind) -> Self {
        FieldDefinition {
            title: title.into(),
            name: name.into(),
            help: String::new(),
            required: false,
            enabled: true,
            visible: true,
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    Number,
    Date,
    List(ListField),
    /// Files people upload; kept by Wharf or saved into a data source folder on submit.
    FileUpload(UploadField),
    /// A button that runs the rules whose trigger names it; it holds no value.
    Button(ButtonField),
    /// Rows of typed columns, filled by people (when editable) or by Find items.
    Table(TableField),
}

impl FieldKind {
    pub fn label(&self) -> &'static str {
        match self {
            FieldKind::Text => "Text",
            FieldKind::Number => "Number",
            FieldKind::Date => "Date",
            FieldKind::List(_) => "List",
            FieldKind::FileUpload(_) => "File upload",
            FieldKind::Button(_) => "Button",
            FieldKind::Table(_) => "Table",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListField {
    pub source: ListSource,
    pub format: ListFormat,
}

impl Default for ListField {
    fn default() -> Self {
        ListField {
            source: ListSource::Manual {
                options: Vec::new(),
            },
            format: ListFormat::DropDown {
                filter: FilterMode::StartsWith,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ListSource {
    /// Options typed by the designer, one per line.
    Manual { options: Vec<String> },
    /// Files (and optionally folders) of a Dropbox data source.
    DataSource(DataSourceList),
}

/// A List field's files: which folder of which data source, which of them may be chosen, and which
/// file parameter is shown, stored and sorted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSourceList {
    pub data_source_id: i32,
    pub display_field: FileParameter,
    pub value_field: FileParameter,
    pub sort_by: FileParameter,
    pub direction: SortDirection,
    /// Relative to the data source's root folder; `""` is the root.
    pub folder: String,
    /// Lower-case extensions without the dot (`pdf`); empty allows every file.
    pub extensions: Vec<String>,
    /// Whether the person may go into sub-folders (and search looks in them).
    pub include_subfolders: bool,
    /// Whether folders are listed as entries that can be chosen.
    pub show_folders: bool,
    /// Files larger than this (bytes) are shown greyed out and cannot be chosen.
    pub max_size: Option<u64>,
}

impl DataSourceList {
    pub fn new(data_source_id: i32) -> Self {
        DataSourceList {
            data_source_id,
            display_field: FileParameter::Name,
            value_field: FileParameter::Path,
            sort_by: FileParameter::Name,
            direction: SortDirection::Ascending,
            folder: String::new(),
            extensions: Vec::new(),
            include_subfolders: true,
            show_folders: false,
            max_size: None,
        }
    }

    /// Why a file cannot be chosen in this field, or `None` when it can. Folders are judged by
    /// `show_folders` alone.
    pub fn refusal(&self, name: &str, is_folder: bool, size: Option<u64>) -> Option<String> {
        if is_folder {
            return (!self.show_folders).then(|| "Folders cannot be chosen here.".to_owned());
        }
        if !self.extensions.is_empty() {
            let ext = extension(name).to_lowercase();
            if !self.extensions.contains(&ext) {
                return Some(format!(
                    "Only {} files can be chosen here.",
                    self.extensions
                        .iter()
                        .map(|e| format!(".{e}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        match (self.max_size, size) {
            (Some(max), Some(size)) if size > max => {
                Some(format!("Larger than the {} allowed here.", human_size(max)))
            }
            _ => None,
        }
    }
}

/// A file's parameters a List field can show, store or sort on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileParameter {
    Name,
    NameNoExtension,
    Path,
    Extension,
    Modified,
    /// The time of the file's earliest revision Dropbox still lists.
    Created,
    ParentFolderName,
    ParentFolderPath,
    Id,
    Size,
    Rev,
    ContentHash,
}

impl FileParameter {
    pub const ALL: [FileParameter; 12] = [
        FileParameter::Name,
        FileParameter::NameNoExtension,
        FileParameter::Path,
        FileParameter::Extension,
        FileParameter::Modified,
        FileParameter::Created,
        FileParameter::ParentFolderName,
        FileParameter::ParentFolderPath,
        FileParameter::Id,
        FileParameter::Size,
        FileParameter::Rev,
        FileParameter::ContentHash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileParameter::Name => "Name",
            FileParameter::NameNoExtension => "NameNoExtension",
            FileParameter::Path => "Path",
            FileParameter::Extension => "Extension",
            FileParameter::Modified => "Modified",
            FileParameter::Created => "Created",
            FileParameter::ParentFolderName => "ParentFolderName",
            FileParameter::ParentFolderPath => "ParentFolderPath",
            FileParameter::Id => "Id",
            FileParameter::Size => "Size",
            FileParameter::Rev => "Rev",
            FileParameter::ContentHash => "ContentHash",
        }
    }

    pub fn parse(s: &str) -> Option<FileParameter> {
        FileParameter::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The parameter's value for a file, as text. Sizes are bytes; times RFC 3339 (UTC).
    pub fn value_of(self, file: &FileFacts<'_>) -> String {
        // Paths are shown from the data source's root, always with a leading slash.
        let path = format!("/{}", file.path.trim_start_matches('/'));
        let (parent_path, _) = split_parent(&path);
        match self {
            FileParameter::Name => file.name.to_owned(),
            FileParameter::NameNoExtension => stem(file.name).to_owned(),
            FileParameter::Path => path.clone(),
            FileParameter::Extension => extension(file.name).to_owned(),
            FileParameter::Modified => file.modified.unwrap_or_default().to_owned(),
            FileParameter::Created => file.created.unwrap_or_default().to_owned(),
            FileParameter::ParentFolderName => parent_path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            FileParameter::ParentFolderPath => parent_path.to_owned(),
            FileParameter::Id => file.id.to_owned(),
            FileParameter::Size => file.size.map(|s| s.to_string()).unwrap_or_default(),
            FileParameter::Rev => file.rev.unwrap_or_default().to_owned(),
            FileParameter::ContentHash => file.content_hash.unwrap_or_default().to_owned(),
        }
    }

    /// A key that sorts as the parameter should: sizes by number, times by time, text ignoring case.
    pub fn sort_key_of(self, file: &FileFacts<'_>) -> String {
        match self {
            FileParameter::Size => format!("{:020}", file.size.unwrap_or(0)),
            // RFC 3339 UTC times sort as text already.
            FileParameter::Modified | FileParameter::Created => self.value_of(file),
            _ => self.value_of(file).to_lowercase(),
        }
    }
}

/// What a file parameter is computed from. `path` is relative to the data source's root (`a/b.pdf`;
/// a leading slash is allowed).
#[derive(Clone, Copy, Debug, Default)]
pub struct FileFacts<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub id: &'a str,
    pub size: Option<u64>,
    pub modified: Option<&'a str>,
    pub created: Option<&'a str>,
    pub rev: Option<&'a str>,
    pub content_hash: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortDirection {
    #[default]
    Ascending,
    Descending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListFormat {
    DropDown {
        filter: FilterMode,
    },
    RadioList,
    MultiSelect,
    CheckboxList,
    /// The file browser: folders, search, paging, thumbnails, multi-select.
    FileBrowser,
}

impl ListFormat {
    pub fn label(self) -> &'static str {
        match self {
            ListFormat::DropDown { .. } => "Drop-down list",
            ListFormat::RadioList => "Radio list",
            ListFormat::MultiSelect => "Multi-select",
            ListFormat::CheckboxList => "Checkbox list",
            ListFormat::FileBrowser => "File browser",
        }
    }

    /// Whether the person may choose more than one entry.
    pub fn allows_many(self) -> bool {
        matches!(
            self,
            ListFormat::MultiSelect | ListFormat::CheckboxList | ListFormat::FileBrowser
        )
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterMode {
    #[default]
    StartsWith,
    Contains,
}

/// A file chosen in a List field: enough to find exactly that version again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChoice {
    /// The data source the file was chosen from (a later version of the form may use another).
    pub data_source_id: i32,
    pub id: String,
    /// Relative to the data source's root.
    pub path: String,
    pub rev: Option<String>,
    pub name: String,
    pub size: Option<u64>,
    /// The field's Value field of this file, as stored for processes.
    pub value: String,
}

/// A File upload field's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadField {
    #[serde(default)]
    pub save_to: SaveLocation,
}

/// Where a File upload field's files end up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveLocation {
    /// Kept by Wharf (downloaded from the submission).
    #[default]
    Wharf,
    /// Saved into a data source folder when the form is submitted (a job after the submission is
    /// stored; the submission shows each file's outcome).
    DataSource(SaveToDataSource),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveToDataSource {
    pub data_source_id: i32,
    /// A template, relative to the data source's root (`Invoices/{Customer}`); created when missing.
    pub folder: String,
    pub name: UploadName,
    pub on_conflict: crate::rules::OnConflict,
}

impl SaveToDataSource {
    pub fn new(data_source_id: i32) -> Self {
        SaveToDataSource {
            data_source_id,
            folder: String::new(),
            name: UploadName::Original,
            on_conflict: crate::rules::OnConflict::Autorename,
        }
    }
}

/// The name a saved file gets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadName {
    /// The name the person's file had (as Wharf cleaned it).
    #[default]
    Original,
    /// A template of the form's values; the original extension is added when it has none.
    Template(String),
}

/// A file a person uploaded into a File upload field, as a submission keeps it. The bytes stay in
/// Wharf (`GET /uploads/{id}` streams them); `id` is the upload's row, `size` in bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub id: i32,
    pub name: String,
    pub size: u64,
    /// Where the file was saved, when its field saves to a data source and the save is done (Wharf
    /// keeps its copy too: `GET /uploads/{id}` still serves it).
    #[serde(default)]
    pub saved: Option<FileChoice>,
}

/// What `POST /forms/{id}/uploads/{field}` answers: the token the submission hands back to claim
/// the file, and the file's name (as Wharf cleaned it) and size in bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReceipt {
    pub token: String,
    pub name: String,
    pub size: u64,
}

/// The value a person gave a field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`.
    Date(String),
    /// Chosen options of a manual List.
    Options(Vec<String>),
    /// Chosen files of a data-source List.
    Files(Vec<FileChoice>),
    /// A File upload field as the browser sends it: the tokens of the receipts its uploads got.
    UploadTokens(Vec<String>),
    /// A File upload field as a submission keeps it (tokens exchanged on submit).
    Uploads(Vec<UploadedFile>),
    /// A Table field's rows.
    Table(Vec<TableRow>),
}

/// A problem with one field of a definition (by position) or with the form as a whole (`None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionProblem {
    pub field: Option<usize>,
    /// A problem of a rule (by position) rather than of a field.
    #[serde(default)]
    pub rule: Option<usize>,
    pub message: String,
}

pub const MAX_FIELDS: usize = 100;
pub const MAX_OPTIONS: usize = 500;

/// Whether `name` can name a field: a letter first, then letters, digits or `_`, at most 64.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

/// A field name derived from a title: `Invoice file` → `invoice_file`.
pub fn identifier_from(title: &str) -> String {
    let mut out = String::new();
    for c in title.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out.chars().take(64).collect(),
        Some(_) => format!("f_{out}").chars().take(64).collect(),
        None => "field".to_owned(),
    }
}

impl FormDefinition {
    /// Every problem of the definition, each with the sentence the designer sees. Checked in the
    /// designer as they type and again by the server before anything is stored.
    pub fn problems(&self) -> Vec<DefinitionProblem> {
        let mut problems = Vec::new();
        let mut add = |field: Option<usize>, message: String| {
            problems.push(DefinitionProblem {
                field,
                rule: None,
                message,
            })
        };
        if self.fields.len() > MAX_FIELDS {
            add(
                None,
                format!("A form can have at most {MAX_FIELDS} fields."),
            );
        }
        let mut names = HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = Some(i);
            if f.title.trim().is_empty() {
                add(at, "Give the field a title.".into());
            } else if f.title.chars().count() > 200 {
                add(at, "A title can have at most 200 characters.".into());
            }
            if !is_identifier(&f.name) {
                add(
                    at,
                    format!(
                        "“{}” cannot be a field name: start with a letter, then use letters, digits or _ (at most 64).",
                        f.name
                    ),
                );
            } else if !names.insert(f.name.to_lowercase()) {
                add(at, format!("Another field is already named “{}”.", f.name));
            }
            if f.help.chars().count() > 1000 {
                add(at, "Help text can have at most 1000 characters.".into());
            }
            if f.required && !f.enabled {
                add(
                    at,
                    "A disabled field cannot be required: nobody could fill it.".into(),
                );
            }
            if f.required && !f.visible {
                add(
                    at,
                    "A hidden field cannot be required: nobody could fill it.".into(),
                );
            }
            match &f.kind {
                FieldKind::List(list) => list_problems(list, &mut |m| add(at, m)),
                FieldKind::Table(table) => table_problems(table, &mut |m| add(at, m)),
                FieldKind::Button(b) if b.label.trim().is_empty() => {
                    add(at, "Give the button a label.".into())
                }
                FieldKind::Button(_) if f.required => add(
                    at,
                    "A button holds no value, so it cannot be required.".into(),
                ),
                FieldKind::FileUpload(UploadField {
                    save_to: SaveLocation::DataSource(save),
                }) => save_problems(save, &self.fields, &mut |m| add(at, m)),
                _ => {}
            }
        }
        let facts: Vec<FieldFacts> = self
            .fields
            .iter()
            .map(|f| FieldFacts {
                name: &f.name,
                kind: &f.kind,
            })
            .collect();
        problems.extend(rule_problems(&self.rules, &facts).into_iter().map(|p| {
            DefinitionProblem {
                field: None,
                rule: Some(p.rule),
                message: p.message,
            }
        }));
        problems
    }
}

pub const MAX_TABLE_COLUMNS: usize = 20;

fn save_problems(save: &SaveToDataSource, fields: &[FieldDefinition], add: &mut dyn FnMut(String)) {
    if save.data_source_id <= 0 {
        add("Choose the data source to save the files in.".into());
    }
    let mut template = |what: &str, text: &str| match crate::rules::template_references(text) {
        Err(e) => add(format!("{what}: {e}")),
        Ok(names) => {
            for name in names {
                if !crate::rules::TEMPLATE_NAMES.contains(&name.as_str())
                    && !fields.iter().any(|f| f.name.eq_ignore_ascii_case(&name))
                {
                    add(format!(
                        "{what} uses “{name}”, which is not a field of this form."
                    ));
                }
            }
        }
    };
    template("The folder", &save.folder);
    if let UploadName::Template(name) = &save.name {
        template("The file name", name);
        if name.trim().is_empty() {
            add("Write the file name template, or keep the original names.".into());
        }
        if name.contains(['/', '\\']) {
            add("A file name cannot contain / or \\.".into());
        }
    }
    if save.folder.contains("..") || save.folder.contains('\\') {
        add("The folder must not contain `..` or \\.".into());
    }
}

fn table_problems(table: &TableField, add: &mut dyn FnMut(String)) {
    if table.columns.is_empty() {
        add("Add at least one column.".into());
    }
    if table.columns.len() > MAX_TABLE_COLUMNS {
        add(format!(
            "A table can have at most {MAX_TABLE_COLUMNS} columns."
        ));
    }
    if !(1..=200).contains(&table.page_size) {
        add("Rows per page must be from 1 to 200.".into());
    }
    let mut names = HashSet::new();
    for c in &table.columns {
        if c.title.trim().is_empty() {
            add("Give every column a title.".into());
            break;
        }
        if !is_identifier(&c.name) {
            add(format!(
                "“{}” cannot be a column name: start with a letter, then use letters, digits or _.",
                c.name
            ));
            break;
        }
        if !names.insert(c.name.to_lowercase()) {
            add(format!("Two columns are named “{}”.", c.name));
            break;
        }
    }
}

fn list_problems(list: &ListField, add: &mut dyn FnMut(String)) {
    match &list.source {
        ListSource::Manual { options } => {
            if options.is_empty() {
                add("Enter at least one option, one per line.".into());
            }
            if options.len() > MAX_OPTIONS {
                add(format!("A list can have at most {MAX_OPTIONS} options."));
            }
            let mut seen = HashSet::new();
            for o in options {
                if o.trim().is_empty() || o.chars().any(char::is_control) {
                    add("Options cannot be blank or contain control characters.".into());
                    break;
                }
                if !seen.insert(o.as_str()) {
                    add(format!("The option “{o}” is listed twice."));
                    break;
                }
            }
            if list.format == ListFormat::FileBrowser {
                add("The File browser format needs a data source as the list source.".into());
            }
        }
        ListSource::DataSource(ds) => {
            if let Err(e) = crate::normalize_folder_path(&ds.folder) {
                add(e);
            }
            for e in &ds.extensions {
                if e.is_empty()
                    || e.len() > 20
                    || !e.chars().all(|c| c.is_ascii_alphanumeric())
                    || e.chars().any(|c| c.is_ascii_uppercase())
                {
                    add(format!(
                        "“{e}” is not a file extension: use letters and digits, like pdf."
                    ));
                    break;
                }
            }
            if ds.max_size == Some(0) {
                add("A maximum size must be more than 0 bytes.".into());
            }
        }
    }
}

/// Extensions as a designer types them (`.PDF, docx; png`) made canonical (`pdf`, `docx`, `png`).
pub fn parse_extensions(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in input.split([',', ';', ' ']) {
        let e = e.trim().trim_start_matches("*.").trim_start_matches('.');
        if !e.is_empty() && !out.iter().any(|o| o == &e.to_lowercase()) {
            out.push(e.to_lowercase());
        }
    }
    out
}

/// The extension of a file name without the dot (`report.final.PDF` → `PDF`); `""` when none.
pub fn extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext,
        _ => "",
    }
}

fn stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

/// `/a/b/c.pdf` → (`/a/b`, `c.pdf`); a file at the root has parent `""`.
fn split_parent(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// `1536` → `1.5 KB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind) -> FieldDefinition {
        FieldDefinition::new(name.to_uppercase(), name, kind)
    }

    #[test]
    fn field_names_must_be_identifiers_and_unique_ignoring_case() {
        let form = FormDefinition {
            fields: vec![
                field("invoice", FieldKind::Text),
                field("Invoice", FieldKind::Number),
                field("2nd", FieldKind::Date),
                field("a-b", FieldKind::Date),
            ],
            ..Default::default()
        };
        let problems = form.problems();
        let at: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(at, vec![Some(1), Some(2), Some(3)], "{problems:?}");
        assert!(problems[0].message.contains("already named"));
    }

    #[test]
    fn a_required_field_must_be_reachable() {
        let mut f = field("x", FieldKind::Text);
        f.required = true;
        f.visible = false;
        let problems = FormDefinition {
            fields: vec![f],
            ..Default::default()
        }
        .problems();
        assert!(problems[0].message.contains("hidden"));
    }

    #[test]
    fn a_file_browser_needs_a_data_source() {
        let list = ListField {
            source: ListSource::Manual {
                options: vec!["a".into()],
            },
            format: ListFormat::FileBrowser,
        };
        let problems = FormDefinition {
            fields: vec![field("pick", FieldKind::List(list))],
            ..Default::default()
        }
        .problems();
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn hostile_folders_and_odd_extensions_are_refused() {
        let mut ds = DataSourceList::new(1);
        ds.folder = "/a/../b".into();
        ds.extensions = vec!["p.df".into()];
        let list = ListField {
            source: ListSource::DataSource(ds),
            format: ListFormat::FileBrowser,
        };
        let problems = FormDefinition {
            fields: vec![field("pick", FieldKind::List(list))],
            ..Default::default()
        }
        .problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn identifiers_come_from_titles() {
        assert_eq!(identifier_from("Invoice file"), "invoice_file");
        assert_eq!(identifier_from("  2026 budget! "), "f_2026_budget");
        assert_eq!(identifier_from("¿?"), "field");
        assert!(is_identifier(&identifier_from(&"Long title ".repeat(20))));
    }

    #[test]
    fn parameters_of_a_file() {
        let f = FileFacts {
            name: "report.final.PDF",
            path: "/Invoices/2026/report.final.PDF",
            id: "id:abc",
            size: Some(1536),
            modified: Some("2026-01-02T03:04:05Z"),
            created: Some("2025-01-02T03:04:05Z"),
            rev: Some("015f"),
            content_hash: Some("ab"),
        };
        let v = |p: FileParameter| p.value_of(&f);
        assert_eq!(v(FileParameter::NameNoExtension), "report.final");
        assert_eq!(v(FileParameter::Extension), "PDF");
        assert_eq!(v(FileParameter::ParentFolderName), "2026");
        assert_eq!(v(FileParameter::ParentFolderPath), "/Invoices/2026");
        assert_eq!(v(FileParameter::Size), "1536");
        assert_eq!(v(FileParameter::Created), "2025-01-02T03:04:05Z");
        let small = FileFacts {
            size: Some(99),
            ..f
        };
        assert!(FileParameter::Size.sort_key_of(&small) < FileParameter::Size.sort_key_of(&f));
        let at_root = FileFacts { path: "a.pdf", ..f };
        assert_eq!(FileParameter::ParentFolderName.value_of(&at_root), "");
    }

    #[test]
    fn refusals_name_the_reason() {
        let mut ds = DataSourceList::new(1);
        ds.extensions = parse_extensions(".PDF, docx");
        ds.max_size = Some(1024);
        assert_eq!(ds.extensions, vec!["pdf", "docx"]);
        assert_eq!(ds.refusal("a.pdf", false, Some(10)), None);
        assert_eq!(ds.refusal("A.PDF", false, Some(10)), None);
        assert!(
            ds.refusal("setup.exe", false, Some(10))
                .unwrap()
                .contains(".pdf, .docx")
        );
        assert!(
            ds.refusal("big.pdf", false, Some(4096))
                .unwrap()
                .contains("1.0 KB")
        );
        assert!(ds.refusal("sub", true, None).is_some());
        ds.show_folders = true;
        assert_eq!(ds.refusal("sub", true, None), None);
    }
}
