//! Data rules: what a form does by itself when it opens, when a field changes, when a Button is
//! clicked, before and after it is submitted. A rule is part of the form's definition (so draft,
//! publish and versions cover it) and is one of three kinds: Set form field, Find items (in a data
//! source) and Show message. This module is the rules' model and their pure parts — conditions and
//! templates — compiled for the browser (which previews) and the server (which decides), so both
//! evaluate with the same code.
mod conditions;
mod design;
mod templates;
#[cfg(test)]
mod tests;
mod writes;

pub use conditions::{Combine, Comparison, ConditionGroup, Conditions, Day, Operator, ValueKind};
pub use design::{FieldFacts, RuleProblem, rename_field, rule_problems, settable};
pub use templates::{
    Operand, RuleContext, TEMPLATE_NAMES, number_text, render, template_references, value_text,
};
pub use writes::{
    CreateItem, DeleteItem, ItemContent, ItemRef, OnConflict, StepState, UpdateItem, WriteStep,
    WritesProgress, WritesState,
};

use crate::forms::{FieldValue, FileChoice, FileParameter, SortDirection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_RULES: usize = 100;
/// The most rows one Find items may bring back (its Max rows).
pub const MAX_FIND_ROWS: u32 = 1000;
pub const MAX_TEMPLATE_CHARS: usize = 2000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable within the form (`r1`, `r2` …): the run log and table paging name the rule by it.
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    /// Run only if these hold; no groups means always.
    #[serde(default)]
    pub conditions: Conditions,
    pub action: RuleAction,
}

/// When a rule runs. Within a trigger, rules run in the order the designer gave them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// When the form opens.
    Load,
    /// When the named field changes (after the person stops typing for a moment).
    Change { field: String },
    /// When the named Button field is clicked.
    Button { field: String },
    /// On the server before the submission is stored; an error refuses the submission.
    BeforeSubmit,
    /// On the server after the submission is stored; what it sets is stored with it.
    AfterSubmit,
}

impl Trigger {
    pub fn label(&self) -> String {
        match self {
            Trigger::Load => "When the form opens".into(),
            Trigger::Change { field } => format!("When {field} changes"),
            Trigger::Button { field } => format!("When {field} is clicked"),
            Trigger::BeforeSubmit => "Before submit".into(),
            Trigger::AfterSubmit => "After submit".into(),
        }
    }

    /// A short word for logs and filters: `load`, `change`, `button`, `before-submit`, `after-submit`.
    pub fn key(&self) -> &'static str {
        match self {
            Trigger::Load => "load",
            Trigger::Change { .. } => "change",
            Trigger::Button { .. } => "button",
            Trigger::BeforeSubmit => "before-submit",
            Trigger::AfterSubmit => "after-submit",
        }
    }

    /// Whether a rule with this trigger runs for `event`.
    pub fn fires_on(&self, event: &TriggerEvent) -> bool {
        match (self, event) {
            (Trigger::Load, TriggerEvent::Load)
            | (Trigger::BeforeSubmit, TriggerEvent::BeforeSubmit)
            | (Trigger::AfterSubmit, TriggerEvent::AfterSubmit) => true,
            (Trigger::Change { field: a }, TriggerEvent::Change { field: b })
            | (Trigger::Button { field: a }, TriggerEvent::Button { field: b }) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }
}

/// What happened in the form. The browser sends the first three; the server raises the submit ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerEvent {
    Load,
    Change { field: String },
    Button { field: String },
    BeforeSubmit,
    AfterSubmit,
}

impl TriggerEvent {
    pub fn key(&self) -> &'static str {
        match self {
            TriggerEvent::Load => "load",
            TriggerEvent::Change { .. } => "change",
            TriggerEvent::Button { .. } => "button",
            TriggerEvent::BeforeSubmit => "before-submit",
            TriggerEvent::AfterSubmit => "after-submit",
        }
    }
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            id: "r1".into(),
            name: String::new(),
            enabled: true,
            trigger: Trigger::Load,
            conditions: Conditions::default(),
            action: RuleAction::SetField(SetField::default()),
        }
    }
}

// Find items is the large variant; a form holds at most 100 rules, so boxing it would only add
// indirection to every match in the designer and the engine.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RuleAction {
    SetField(SetField),
    FindItems(FindItems),
    ShowMessage(ShowMessage),
    CreateItem(CreateItem),
    UpdateItem(UpdateItem),
    DeleteItem(DeleteItem),
}

impl RuleAction {
    pub fn label(&self) -> &'static str {
        match self {
            RuleAction::SetField(_) => "Set form field",
            RuleAction::FindItems(_) => "Find items",
            RuleAction::ShowMessage(_) => "Show message",
            RuleAction::CreateItem(_) => "Create item",
            RuleAction::UpdateItem(_) => "Update item",
            RuleAction::DeleteItem(_) => "Delete item",
        }
    }

    /// Whether it changes a data source (Create, Update, Delete item).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            RuleAction::CreateItem(_) | RuleAction::UpdateItem(_) | RuleAction::DeleteItem(_)
        )
    }

    /// The fields this action may set (its assignments, result mappings and table).
    pub fn targets(&self) -> Vec<&str> {
        match self {
            RuleAction::SetField(s) => s.assignments.iter().map(|a| a.field.as_str()).collect(),
            RuleAction::ShowMessage(_) => Vec::new(),
            RuleAction::FindItems(f) => f
                .first_match
                .iter()
                .map(|m| m.field.as_str())
                .chain(f.on_success.assignments.iter().map(|a| a.field.as_str()))
                .chain(f.on_error.assignments.iter().map(|a| a.field.as_str()))
                .chain(f.table.iter().map(|t| t.field.as_str()))
                .collect(),
            RuleAction::CreateItem(c) => reacted(&c.result, &c.on_success, &c.on_error),
            RuleAction::UpdateItem(u) => reacted(&u.result, &u.on_success, &u.on_error),
            RuleAction::DeleteItem(d) => reacted(&[], &d.on_success, &d.on_error),
        }
    }

    /// The data source the rule uses, if any.
    pub fn data_source_id(&self) -> Option<i32> {
        match self {
            RuleAction::FindItems(f) => Some(f.data_source_id),
            RuleAction::CreateItem(c) => Some(c.data_source_id),
            RuleAction::UpdateItem(u) => Some(u.data_source_id),
            RuleAction::DeleteItem(d) => Some(d.data_source_id),
            RuleAction::SetField(_) | RuleAction::ShowMessage(_) => None,
        }
    }
}

/// The fields a write rule may set: its result mappings and its reactions' assignments.
fn reacted<'a>(
    result: &'a [ResultMapping],
    on_success: &'a Reaction,
    on_error: &'a Reaction,
) -> Vec<&'a str> {
    result
        .iter()
        .map(|m| m.field.as_str())
        .chain(on_success.assignments.iter().map(|a| a.field.as_str()))
        .chain(on_error.assignments.iter().map(|a| a.field.as_str()))
        .collect()
}

/// A field and the value it is given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub field: String,
    pub value: Operand,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetField {
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageLevel {
    #[default]
    Info,
    /// Before submit, an error refuses the submission.
    Error,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowMessage {
    /// A template.
    pub text: String,
    pub level: MessageLevel,
}

/// Files (and folders) of a data source, filtered, sorted and cut at Max rows, into a Table field
/// and/or the first match's parameters into single fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindItems {
    pub data_source_id: i32,
    /// A template, relative to the data source's root (`Invoices/{Customer}`); blank is the root.
    pub folder: String,
    pub include_subfolders: bool,
    /// Every filter must hold.
    pub filters: Vec<ItemFilter>,
    /// `None`: in the order Dropbox lists them (Find stops as soon as it has Max rows).
    pub sort: Option<ItemSort>,
    pub max_rows: u32,
    pub table: Option<TableMapping>,
    /// The first match's parameters into single fields.
    pub first_match: Vec<ResultMapping>,
    pub on_success: Reaction,
    pub on_error: Reaction,
    pub no_match: NoMatch,
}

impl FindItems {
    pub fn new(data_source_id: i32) -> Self {
        FindItems {
            data_source_id,
            folder: String::new(),
            include_subfolders: false,
            filters: Vec::new(),
            sort: Some(ItemSort {
                parameter: FileParameter::Name,
                direction: SortDirection::Ascending,
            }),
            max_rows: 100,
            table: None,
            first_match: Vec::new(),
            on_success: Reaction::default(),
            on_error: Reaction::default(),
            no_match: NoMatch::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFilter {
    pub parameter: FileParameter,
    pub operator: Operator,
    pub value: Operand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSort {
    pub parameter: FileParameter,
    pub direction: SortDirection,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableMode {
    /// The results replace the table's rows.
    #[default]
    Override,
    /// The results are added after the table's rows.
    Append,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMapping {
    /// The Table field.
    pub field: String,
    pub columns: Vec<ColumnMapping>,
    pub mode: TableMode,
}

/// A Table column filled from a file parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub column: String,
    pub parameter: FileParameter,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultMapping {
    pub field: String,
    pub parameter: FileParameter,
}

/// What happens after a rule: fields set and a message shown (a template; blank shows none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub assignments: Vec<Assignment>,
    pub message: String,
}

/// What Find items does when nothing matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoMatch {
    /// Empty the table (Override) and the first-match fields.
    pub clear: bool,
    /// Shown when blank is not; a template.
    pub message: String,
    /// Treat no match as an error: On error runs, and before submit the submission is refused.
    pub is_error: bool,
}

/// A Table field: columns of a kind, read-only or editable by the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableField {
    pub columns: Vec<TableColumn>,
    /// Whether the person may add, change and remove rows.
    pub editable: bool,
    /// Rows shown (and fetched from the server) at a time.
    pub page_size: u32,
}

impl Default for TableField {
    fn default() -> Self {
        TableField {
            columns: Vec::new(),
            editable: false,
            page_size: 20,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableColumn {
    /// Identifier, unique in the table.
    pub name: String,
    pub title: String,
    pub kind: ColumnKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    Text,
    Number,
    Date,
    /// A Dropbox file: its name, downloaded through Wharf.
    File,
}

impl ColumnKind {
    pub const ALL: [ColumnKind; 4] = [
        ColumnKind::Text,
        ColumnKind::Number,
        ColumnKind::Date,
        ColumnKind::File,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ColumnKind::Text => "Text",
            ColumnKind::Number => "Number",
            ColumnKind::Date => "Date",
            ColumnKind::File => "File",
        }
    }
}

/// One row of a Table field, by column name.
pub type TableRow = BTreeMap<String, Cell>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`, or an RFC 3339 time for a file's Modified / Created.
    Date(String),
    File(FileChoice),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Date(t) => t.clone(),
            Cell::Number(n) => number_text(*n),
            Cell::File(f) => f.name.clone(),
        }
    }
}

/// A Button field: clicking it runs the rules whose trigger names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonField {
    pub label: String,
}

/// What running a trigger's rules changes in the form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    /// New values, by field name (a blank value clears the field).
    pub changes: BTreeMap<String, FieldValue>,
    /// Table fields filled by Find items: their first page and how to get the next.
    pub tables: BTreeMap<String, TablePage>,
    pub messages: Vec<RuleMessage>,
    /// Before submit: why the submission is refused (the first error message).
    pub refusal: Option<String>,
}

/// Rows of a Table field from the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TablePage {
    pub rows: Vec<TableRow>,
    /// Override replaces the rows the table holds; Append adds to them. Later pages always append.
    pub mode: TableMode,
    /// Sealed: hands the server what it needs to find the next page; `None` when this was the last.
    pub more: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMessage {
    /// The rule's name.
    pub rule: String,
    pub level: MessageLevel,
    pub text: String,
}

/// How a recorded rule run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RunOutcome {
    Ok,
    NoMatch,
    /// The person may not use the rule's data source (or a path it names).
    Refused,
    Error,
}

impl RunOutcome {
    pub const ALL: [RunOutcome; 4] = [
        RunOutcome::Ok,
        RunOutcome::NoMatch,
        RunOutcome::Refused,
        RunOutcome::Error,
    ];

    /// As stored and filtered on: `ok`, `no-match`, `refused`, `error`.
    pub fn key(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::NoMatch => "no-match",
            RunOutcome::Refused => "refused",
            RunOutcome::Error => "error",
        }
    }

    pub fn parse(key: &str) -> Option<RunOutcome> {
        RunOutcome::ALL.into_iter().find(|o| o.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Ok => "OK",
            RunOutcome::NoMatch => "No match",
            RunOutcome::Refused => "Refused",
            RunOutcome::Error => "Error",
        }
    }
}
