//! Data rules: what a form does by itself when it opens, when a field changes, when a Button is
//! clicked, before and after it is submitted. A rule is part of the form's definition (so draft,
//! publish and versions cover it) and is one of three kinds: Set form field, Find items (in a data
//! source) and Show message. This module is the rules' model and their pure parts — conditions and
//! templates — compiled for the browser (which previews) and the server (which decides), so both
//! evaluate with the same code.
use crate::forms::{FieldKind, FieldValue, FileChoice, FileParameter, SortDirection};
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    #[default]
    And,
    Or,
}

/// Groups of comparisons: each group combines its comparisons, and the groups are combined.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    pub combine: Combine,
    pub groups: Vec<ConditionGroup>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionGroup {
    pub combine: Combine,
    pub comparisons: Vec<Comparison>,
}

/// `field operator value`, e.g. `Amount ≥ 100`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub field: String,
    pub operator: Operator,
    pub value: Operand,
}

/// How a comparison compares. Text comparisons ignore case (as Dropbox names do); numbers compare
/// as numbers; dates as calendar days (a time's date in UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Before,
    After,
    On,
    /// The value is a number of days: from that many days ago up to today.
    WithinLastDays,
}

/// What kind of value a field or file parameter holds, which decides the operators it offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Number,
    Date,
}

impl ValueKind {
    pub fn of_field(kind: &FieldKind) -> ValueKind {
        match kind {
            FieldKind::Number => ValueKind::Number,
            FieldKind::Date => ValueKind::Date,
            _ => ValueKind::Text,
        }
    }

    pub fn of_parameter(p: FileParameter) -> ValueKind {
        match p {
            FileParameter::Size => ValueKind::Number,
            FileParameter::Modified | FileParameter::Created => ValueKind::Date,
            _ => ValueKind::Text,
        }
    }
}

impl Operator {
    pub const TEXT: [Operator; 7] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Contains,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];
    pub const NUMBER: [Operator; 8] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Less,
        Operator::LessOrEqual,
        Operator::Greater,
        Operator::GreaterOrEqual,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];
    pub const DATE: [Operator; 6] = [
        Operator::Before,
        Operator::After,
        Operator::On,
        Operator::WithinLastDays,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];

    /// The operators a value of `kind` offers, in the order the designer sees them.
    pub fn for_kind(kind: ValueKind) -> &'static [Operator] {
        match kind {
            ValueKind::Text => &Operator::TEXT,
            ValueKind::Number => &Operator::NUMBER,
            ValueKind::Date => &Operator::DATE,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "does not equal",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts with",
            Operator::EndsWith => "ends with",
            Operator::IsEmpty => "is empty",
            Operator::IsNotEmpty => "is not empty",
            Operator::Less => "<",
            Operator::LessOrEqual => "≤",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => "≥",
            Operator::Before => "is before",
            Operator::After => "is after",
            Operator::On => "is on",
            Operator::WithinLastDays => "is within the last (days)",
        }
    }

    /// A stable word for forms and URLs (`equals`, `within-last-days` …).
    pub fn key(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not-equals",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts-with",
            Operator::EndsWith => "ends-with",
            Operator::IsEmpty => "is-empty",
            Operator::IsNotEmpty => "is-not-empty",
            Operator::Less => "less",
            Operator::LessOrEqual => "less-or-equal",
            Operator::Greater => "greater",
            Operator::GreaterOrEqual => "greater-or-equal",
            Operator::Before => "before",
            Operator::After => "after",
            Operator::On => "on",
            Operator::WithinLastDays => "within-last-days",
        }
    }

    pub fn parse(key: &str) -> Option<Operator> {
        Operator::TEXT
            .iter()
            .chain(Operator::NUMBER.iter())
            .chain(Operator::DATE.iter())
            .copied()
            .find(|o| o.key() == key)
    }

    /// Whether the operator compares with a value (`is empty` does not).
    pub fn needs_value(self) -> bool {
        !matches!(self, Operator::IsEmpty | Operator::IsNotEmpty)
    }

    /// Whether `left operator right` holds. `left` is the field's or file's value; `right` the
    /// comparison's value, as text. A value that cannot be read as the kind compares false (a
    /// number operator on `abc`), except `NotEquals`, which then holds.
    pub fn holds(self, kind: ValueKind, left: &str, right: &str, today: Day) -> bool {
        let left = left.trim();
        let right = right.trim();
        match self {
            Operator::IsEmpty => return left.is_empty(),
            Operator::IsNotEmpty => return !left.is_empty(),
            _ => {}
        }
        match kind {
            ValueKind::Number => {
                let (Ok(l), Ok(r)) = (left.parse::<f64>(), right.parse::<f64>()) else {
                    return self == Operator::NotEquals;
                };
                match self {
                    Operator::Equals => l == r,
                    Operator::NotEquals => l != r,
                    Operator::Less => l < r,
                    Operator::LessOrEqual => l <= r,
                    Operator::Greater => l > r,
                    Operator::GreaterOrEqual => l >= r,
                    _ => text_holds(self, left, right),
                }
            }
            ValueKind::Date => {
                let Some(l) = Day::parse(left) else {
                    return self == Operator::NotEquals;
                };
                match self {
                    Operator::WithinLastDays => match right.parse::<u32>() {
                        Ok(n) => l.0 <= today.0 && today.0 - l.0 <= i64::from(n),
                        Err(_) => false,
                    },
                    _ => match Day::parse(right) {
                        Some(r) => match self {
                            Operator::Before | Operator::Less => l < r,
                            Operator::After | Operator::Greater => l > r,
                            Operator::On | Operator::Equals => l == r,
                            Operator::NotEquals => l != r,
                            Operator::LessOrEqual => l <= r,
                            Operator::GreaterOrEqual => l >= r,
                            _ => text_holds(self, left, right),
                        },
                        None => self == Operator::NotEquals,
                    },
                }
            }
            ValueKind::Text => text_holds(self, left, right),
        }
    }
}

fn text_holds(op: Operator, left: &str, right: &str) -> bool {
    let l = left.to_lowercase();
    let r = right.to_lowercase();
    match op {
        Operator::Equals | Operator::On => l == r,
        Operator::NotEquals => l != r,
        Operator::Contains => l.contains(&r),
        Operator::StartsWith => l.starts_with(&r),
        Operator::EndsWith => l.ends_with(&r),
        Operator::Less | Operator::Before => l < r,
        Operator::LessOrEqual => l <= r,
        Operator::Greater | Operator::After => l > r,
        Operator::GreaterOrEqual => l >= r,
        Operator::IsEmpty => l.is_empty(),
        Operator::IsNotEmpty => !l.is_empty(),
        Operator::WithinLastDays => false,
    }
}

/// A calendar day as a count of days since 1970-01-01, read from `YYYY-MM-DD` or the date part
/// of an RFC 3339 time (`2026-12-01T10:00:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        let date = text.get(..10)?;
        let rest = &text[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        let mut parts = date.split('-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let d: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || date.len() != 10 {
            return None;
        }
        Some(Day(days_from_civil(y, m, d)))
    }

    pub fn from_ymd(y: i64, m: i64, d: i64) -> Day {
        Day(days_from_civil(y, m, d))
    }

    /// `YYYY-MM-DD`.
    pub fn format(self) -> String {
        let (y, m, d) = civil_from_days(self.0);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms: exact for every proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Where a value comes from: typed text, another field's value, or a template such as
/// `Invoices/{Customer}/{InvoiceNo}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operand {
    Text(String),
    Field(String),
    Template(String),
}

impl Default for Operand {
    fn default() -> Self {
        Operand::Text(String::new())
    }
}

impl Operand {
    /// The operand's text in `ctx`.
    pub fn text(&self, ctx: &RuleContext<'_>) -> String {
        match self {
            Operand::Text(t) => t.clone(),
            Operand::Field(f) => ctx.field_text(f),
            Operand::Template(t) => render(t, ctx),
        }
    }

    /// The field names it reads.
    fn references(&self) -> Vec<String> {
        match self {
            Operand::Text(_) => Vec::new(),
            Operand::Field(f) => vec![f.clone()],
            Operand::Template(t) => template_references(t).unwrap_or_default(),
        }
    }
}

/// What templates and conditions read: the form's current values, today, now and the person.
#[derive(Clone, Debug)]
pub struct RuleContext<'a> {
    pub values: &'a BTreeMap<String, FieldValue>,
    pub today: Day,
    /// RFC 3339, UTC.
    pub now: String,
    pub user_name: String,
    pub user_email: String,
}

/// The names a template may use besides the form's fields.
pub const TEMPLATE_NAMES: [&str; 4] = ["@today", "@now", "@user.name", "@user.email"];

impl RuleContext<'_> {
    /// A field's value as text: numbers without a needless `.0`, lists joined with `, `, files by name.
    pub fn field_text(&self, name: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| value_text(v))
            .unwrap_or_default()
    }

    fn name_text(&self, name: &str) -> String {
        match name {
            "@today" => self.today.format(),
            "@now" => self.now.clone(),
            "@user.name" => self.user_name.clone(),
            "@user.email" => self.user_email.clone(),
            field => self.field_text(field),
        }
    }
}

/// A value as text, the way templates and comparisons read it.
pub fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Text(t) | FieldValue::Date(t) => t.clone(),
        FieldValue::Number(n) => number_text(*n),
        FieldValue::Options(o) => o.join(", "),
        FieldValue::Files(f) => f
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::UploadTokens(_) => String::new(),
        FieldValue::Uploads(u) => u
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::Table(rows) => rows.len().to_string(),
    }
}

/// `3` for 3.0, `2.5` for 2.5.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The template with every `{Name}` replaced by that field's text (or `@today`, `@now`,
/// `@user.name`, `@user.email`); `{{` and `}}` stand for braces. An unknown name becomes `""`
/// (the designer is told when the rule is saved).
pub fn render(template: &str, ctx: &RuleContext<'_>) -> String {
    let mut out = String::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(n) => out.push_str(&ctx.name_text(n)),
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

/// A template split into text and `{names}`. An unclosed `{` is kept as text.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix('{') {
            match tail.find('}') {
                Some(end) => {
                    out.push(Piece::Name(tail[..end].trim()));
                    rest = &tail[end + 1..];
                }
                None => {
                    out.push(Piece::Text(rest));
                    rest = "";
                }
            }
        } else {
            let end = rest
                .char_indices()
                .skip(1)
                .find(|(_, c)| *c == '{' || *c == '}')
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            out.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// The names a template reads, or what is wrong with it (an unclosed `{`).
pub fn template_references(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for p in pieces(template) {
        match p {
            Piece::Name(n) => names.push(n.to_owned()),
            Piece::Text(t) if t.starts_with('{') && t.len() > 1 => {
                return Err("A { in the template is never closed with }.".into());
            }
            Piece::Text(_) => {}
        }
    }
    Ok(names)
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.comparisons.is_empty())
    }

    /// Whether the conditions hold for the form's values; `kind_of` gives a field's value kind.
    pub fn hold(&self, ctx: &RuleContext<'_>, kind_of: &dyn Fn(&str) -> ValueKind) -> bool {
        let groups: Vec<&ConditionGroup> = self
            .groups
            .iter()
            .filter(|g| !g.comparisons.is_empty())
            .collect();
        if groups.is_empty() {
            return true;
        }
        let group_holds = |g: &ConditionGroup| {
            let one = |c: &Comparison| {
                c.operator.holds(
                    kind_of(&c.field),
                    &ctx.field_text(&c.field),
                    &c.value.text(ctx),
                    ctx.today,
                )
            };
            match g.combine {
                Combine::And => g.comparisons.iter().all(one),
                Combine::Or => g.comparisons.iter().any(one),
            }
        };
        match self.combine {
            Combine::And => groups.into_iter().all(group_holds),
            Combine::Or => groups.into_iter().any(group_holds),
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
}

impl RuleAction {
    pub fn label(&self) -> &'static str {
        match self {
            RuleAction::SetField(_) => "Set form field",
            RuleAction::FindItems(_) => "Find items",
            RuleAction::ShowMessage(_) => "Show message",
        }
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
        }
    }

    /// The data source the rule uses, if any.
    pub fn data_source_id(&self) -> Option<i32> {
        match self {
            RuleAction::FindItems(f) => Some(f.data_source_id),
            _ => None,
        }
    }
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

/// A problem with one rule (by position) of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleProblem {
    pub rule: usize,
    pub message: String,
}

/// What the rule checks need to know of the form's fields.
pub struct FieldFacts<'a> {
    pub name: &'a str,
    pub kind: &'a FieldKind,
}

/// Every problem of the rules of a form with `fields`, each with the sentence the designer sees.
pub fn rule_problems(rules: &[Rule], fields: &[FieldFacts<'_>]) -> Vec<RuleProblem> {
    let mut out = Vec::new();
    let field = |name: &str| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name));
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut add = |message: String| out.push(RuleProblem { rule: i, message });
        if i == MAX_RULES {
            add(format!("A form can have at most {MAX_RULES} rules."));
        }
        if rule.name.trim().is_empty() {
            add("Give the rule a name.".into());
        } else if rule.name.chars().count() > 200 {
            add("A rule's name can have at most 200 characters.".into());
        }
        if rule.id.is_empty() || rule.id.len() > 40 || !ids.insert(rule.id.clone()) {
            add("The rule has no id of its own; remove it and add it again.".into());
        }
        match &rule.trigger {
            Trigger::Change { field: f } => match field(f) {
                None => add(format!(
                    "The trigger names “{f}”, which is not a field of this form."
                )),
                Some(ff) if matches!(ff.kind, FieldKind::Button(_)) => {
                    add(format!("{f} is a button: use “When clicked” for it."))
                }
                Some(_) => {}
            },
            Trigger::Button { field: f } => match field(f) {
                Some(ff) if matches!(ff.kind, FieldKind::Button(_)) => {}
                _ => add(format!("“{f}” is not a Button field of this form.")),
            },
            _ => {}
        }
        let check_operand = |add: &mut dyn FnMut(String), what: &str, o: &Operand| {
            if let Operand::Template(t) = o {
                if t.chars().count() > MAX_TEMPLATE_CHARS {
                    add(format!(
                        "{what}: a template can have at most {MAX_TEMPLATE_CHARS} characters."
                    ));
                }
                if let Err(e) = template_references(t) {
                    add(format!("{what}: {e}"));
                }
            }
            for name in o.references() {
                if !TEMPLATE_NAMES.contains(&name.as_str()) && field(&name).is_none() {
                    add(format!(
                        "{what} uses “{name}”, which is not a field of this form."
                    ));
                }
            }
        };
        for c in rule.conditions.groups.iter().flat_map(|g| &g.comparisons) {
            match field(&c.field) {
                None => add(format!(
                    "A condition compares “{}”, which is not a field of this form.",
                    c.field
                )),
                Some(f) => {
                    let kind = ValueKind::of_field(f.kind);
                    if !Operator::for_kind(kind).contains(&c.operator) {
                        add(format!(
                            "“{}” cannot be used on {} (a {} field).",
                            c.operator.label(),
                            c.field,
                            f.kind.label()
                        ));
                    }
                }
            }
            check_comparison_value(&mut add, c.operator, &c.value);
            check_operand(&mut add, "A condition", &c.value);
        }
        let check_assignments = |add: &mut dyn FnMut(String), assignments: &[Assignment]| {
            for a in assignments {
                match field(&a.field) {
                    None => add(format!("“{}” is not a field of this form.", a.field)),
                    Some(f) if !settable(f.kind) => add(format!(
                        "{} is a {} field: rules can set Text, Number and Date fields.",
                        a.field,
                        f.kind.label()
                    )),
                    Some(_) => {}
                }
                check_operand(add, &format!("The value of {}", a.field), &a.value);
            }
        };
        match &rule.action {
            RuleAction::SetField(s) => {
                if s.assignments.is_empty() {
                    add("Choose a field to set.".into());
                }
                check_assignments(&mut add, &s.assignments);
            }
            RuleAction::ShowMessage(m) => {
                if m.text.trim().is_empty() {
                    add("Write the message to show.".into());
                }
                check_operand(&mut add, "The message", &Operand::Template(m.text.clone()));
            }
            RuleAction::FindItems(find) => {
                if find.data_source_id <= 0 {
                    add("Choose the data source to find items in.".into());
                }
                check_operand(
                    &mut add,
                    "The folder",
                    &Operand::Template(find.folder.clone()),
                );
                if find.folder.contains("..") || find.folder.contains('\\') {
                    add("The folder must not contain `..` or \\.".into());
                }
                if find.max_rows == 0 || find.max_rows > MAX_FIND_ROWS {
                    add(format!("Max rows must be from 1 to {MAX_FIND_ROWS}."));
                }
                for f in &find.filters {
                    let kind = ValueKind::of_parameter(f.parameter);
                    if !Operator::for_kind(kind).contains(&f.operator) {
                        add(format!(
                            "“{}” cannot be used on {}.",
                            f.operator.label(),
                            f.parameter.as_str()
                        ));
                    }
                    check_comparison_value(&mut add, f.operator, &f.value);
                    check_operand(&mut add, "A filter", &f.value);
                }
                if let Some(t) = &find.table {
                    match field(&t.field) {
                        Some(FieldFacts {
                            kind: FieldKind::Table(table),
                            ..
                        }) => {
                            if t.columns.is_empty() {
                                add("Map at least one column of the table.".into());
                            }
                            for c in &t.columns {
                                // A File column holds the file itself, whatever parameter.
                                if !table.columns.iter().any(|tc| tc.name == c.column) {
                                    add(format!(
                                        "The table {} has no column “{}”.",
                                        t.field, c.column
                                    ));
                                }
                            }
                        }
                        _ => add(format!("“{}” is not a Table field of this form.", t.field)),
                    }
                }
                for m in &find.first_match {
                    match field(&m.field) {
                        Some(f) if settable(f.kind) => {}
                        Some(f) => add(format!(
                            "{} is a {} field: results go into Text, Number and Date fields.",
                            m.field,
                            f.kind.label()
                        )),
                        None => add(format!("“{}” is not a field of this form.", m.field)),
                    }
                }
                check_assignments(&mut add, &find.on_success.assignments);
                check_assignments(&mut add, &find.on_error.assignments);
                for (what, text) in [
                    ("The success message", &find.on_success.message),
                    ("The error message", &find.on_error.message),
                    ("The no-match message", &find.no_match.message),
                ] {
                    check_operand(&mut add, what, &Operand::Template(text.clone()));
                }
            }
        }
    }
    out
}

/// Follows a field's rename in every rule: triggers, conditions, values, templates (`{Old}`
/// becomes `{New}`), fields set and the table filled. Done only when the rename is unambiguous —
/// exactly one field of `fields` is now named `new` and none is still named `old` (ignoring case) —
/// so a name typed half-way that meets another field's never takes that field's references.
pub fn rename_field(rules: &mut [Rule], fields: &[FieldFacts<'_>], old: &str, new: &str) {
    let named = |n: &str| {
        fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(n))
            .count()
    };
    if old.eq_ignore_ascii_case(new) || old.is_empty() || named(new) != 1 || named(old) != 0 {
        return;
    }
    let name = |n: &mut String| {
        if n.eq_ignore_ascii_case(old) {
            *n = new.to_owned();
        }
    };
    let template = |t: &mut String| *t = renamed_in_template(t, old, new);
    let operand = |o: &mut Operand| match o {
        Operand::Text(_) => {}
        Operand::Field(f) => name(f),
        Operand::Template(t) => template(t),
    };
    let assignments = |list: &mut Vec<Assignment>| {
        for a in list {
            name(&mut a.field);
            operand(&mut a.value);
        }
    };
    for rule in rules {
        match &mut rule.trigger {
            Trigger::Change { field } | Trigger::Button { field } => name(field),
            _ => {}
        }
        for c in rule
            .conditions
            .groups
            .iter_mut()
            .flat_map(|g| g.comparisons.iter_mut())
        {
            name(&mut c.field);
            operand(&mut c.value);
        }
        match &mut rule.action {
            RuleAction::SetField(s) => assignments(&mut s.assignments),
            RuleAction::ShowMessage(m) => template(&mut m.text),
            RuleAction::FindItems(f) => {
                template(&mut f.folder);
                for filter in &mut f.filters {
                    operand(&mut filter.value);
                }
                if let Some(t) = &mut f.table {
                    name(&mut t.field);
                }
                for m in &mut f.first_match {
                    name(&mut m.field);
                }
                for reaction in [&mut f.on_success, &mut f.on_error] {
                    assignments(&mut reaction.assignments);
                    template(&mut reaction.message);
                }
                template(&mut f.no_match.message);
            }
        }
    }
}

/// `template` with every `{old}` (ignoring case and blanks inside the braces) written `{new}`;
/// everything else — text, `{{`, `}}`, other names, an unclosed `{` — exactly as it was.
fn renamed_in_template(template: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            out.push_str(&rest[..2]);
            rest = &rest[2..];
        } else if let (true, Some(end)) = (rest.starts_with('{'), rest.find('}')) {
            let inner = &rest[1..end];
            if inner.trim().eq_ignore_ascii_case(old) {
                out.push('{');
                out.push_str(new);
                out.push('}');
            } else {
                out.push_str(&rest[..=end]);
            }
            rest = &rest[end + 1..];
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether rules may set a field of this kind.
pub fn settable(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::Text | FieldKind::Number | FieldKind::Date)
}

fn check_comparison_value(add: &mut dyn FnMut(String), op: Operator, value: &Operand) {
    if !op.needs_value() {
        return;
    }
    match value {
        Operand::Text(t) if t.trim().is_empty() => {
            add(format!("“{}” needs a value to compare with.", op.label()))
        }
        Operand::Text(t) if op == Operator::WithinLastDays && t.trim().parse::<u32>().is_err() => {
            add("“within the last” needs a whole number of days.".into())
        }
        Operand::Field(f) if f.is_empty() => add("Choose the field to compare with.".into()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(values: &BTreeMap<String, FieldValue>) -> RuleContext<'_> {
        RuleContext {
            values,
            today: Day::from_ymd(2026, 12, 6),
            now: "2026-12-06T10:00:00Z".into(),
            user_name: "Ada Admin".into(),
            user_email: "ada@example.com".into(),
        }
    }

    fn values() -> BTreeMap<String, FieldValue> {
        BTreeMap::from([
            ("Customer".into(), FieldValue::Text("Acme Ltd".into())),
            ("InvoiceNo".into(), FieldValue::Number(42.0)),
            ("Due".into(), FieldValue::Date("2026-12-01".into())),
        ])
    }

    #[test]
    fn templates_read_fields_and_the_person() {
        let v = values();
        let c = ctx(&v);
        assert_eq!(
            render("Invoices/{Customer}/{InvoiceNo}", &c),
            "Invoices/Acme Ltd/42"
        );
        assert_eq!(
            render("{customer} by {@user.name}", &c),
            "Acme Ltd by Ada Admin"
        );
        assert_eq!(
            render("{@today} {@user.email}", &c),
            "2026-12-06 ada@example.com"
        );
        assert_eq!(render("{{literal}} {Missing}!", &c), "{literal} !");
        assert_eq!(render("a { b", &c), "a { b");
        assert!(template_references("a {b").is_err());
        assert_eq!(
            template_references("{A}/{ B }").unwrap(),
            vec!["A".to_owned(), "B".to_owned()]
        );
    }

    #[test]
    fn text_operators_ignore_case() {
        let t = Day::from_ymd(2026, 1, 1);
        let k = ValueKind::Text;
        assert!(Operator::Equals.holds(k, "Acme", "acme", t));
        assert!(Operator::NotEquals.holds(k, "Acme", "Beta", t));
        assert!(Operator::Contains.holds(k, "Invoice 2026", "VOICE", t));
        assert!(Operator::StartsWith.holds(k, "Invoice", "inv", t));
        assert!(!Operator::StartsWith.holds(k, "Invoice", "voice", t));
        assert!(Operator::EndsWith.holds(k, "a.PDF", ".pdf", t));
        assert!(Operator::IsEmpty.holds(k, "  ", "", t));
        assert!(Operator::IsNotEmpty.holds(k, "x", "", t));
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let t = Day::from_ymd(2026, 1, 1);
        let k = ValueKind::Number;
        assert!(Operator::Greater.holds(k, "10", "9", t), "not as text");
        assert!(Operator::Equals.holds(k, "42", "42.0", t));
        assert!(Operator::LessOrEqual.holds(k, "9", "9", t));
        assert!(Operator::GreaterOrEqual.holds(k, "9.5", "9", t));
        assert!(!Operator::Less.holds(k, "abc", "9", t));
        assert!(Operator::NotEquals.holds(k, "abc", "9", t));
    }

    #[test]
    fn dates_compare_as_days() {
        let today = Day::from_ymd(2026, 12, 6);
        let k = ValueKind::Date;
        assert!(Operator::Before.holds(k, "2026-11-30", "2026-12-01", today));
        assert!(Operator::After.holds(k, "2026-12-02T00:00:01Z", "2026-12-01", today));
        assert!(Operator::On.holds(k, "2026-12-01T23:59:59Z", "2026-12-01", today));
        assert!(Operator::WithinLastDays.holds(k, "2026-11-30", "7", today));
        assert!(!Operator::WithinLastDays.holds(k, "2026-11-28", "7", today));
        assert!(
            !Operator::WithinLastDays.holds(k, "2026-12-07", "7", today),
            "future"
        );
        assert!(Operator::IsEmpty.holds(k, "", "", today));
        assert!(!Operator::Before.holds(k, "2026-02-30", "2027-01-01", today));
    }

    #[test]
    fn days_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 12, 31), (1969, 12, 31)] {
            let day = Day::from_ymd(y, m, d);
            assert_eq!(Day::parse(&day.format()), Some(day));
        }
        assert_eq!(Day::from_ymd(1970, 1, 2).0, 1);
        assert_eq!(Day::parse("2026-13-01"), None);
        assert_eq!(Day::parse("2026-1-01"), None);
        assert_eq!(Day::parse("2026-01-01X"), None);
    }

    fn cmp(field: &str, operator: Operator, value: &str) -> Comparison {
        Comparison {
            field: field.into(),
            operator,
            value: Operand::Text(value.into()),
        }
    }

    #[test]
    fn groups_combine_with_and_or() {
        let v = values();
        let c = ctx(&v);
        let kinds = |f: &str| match f {
            "InvoiceNo" => ValueKind::Number,
            "Due" => ValueKind::Date,
            _ => ValueKind::Text,
        };
        let group = |combine, comparisons| ConditionGroup {
            combine,
            comparisons,
        };
        let yes = cmp("Customer", Operator::StartsWith, "acme");
        let no = cmp("InvoiceNo", Operator::Greater, "100");
        let conditions = |combine, groups| Conditions { combine, groups };
        assert!(Conditions::default().hold(&c, &kinds));
        assert!(
            !conditions(
                Combine::And,
                vec![group(Combine::And, vec![yes.clone(), no.clone()])]
            )
            .hold(&c, &kinds)
        );
        assert!(
            conditions(
                Combine::And,
                vec![group(Combine::Or, vec![yes.clone(), no.clone()])]
            )
            .hold(&c, &kinds)
        );
        assert!(
            conditions(
                Combine::Or,
                vec![
                    group(Combine::And, vec![no.clone()]),
                    group(Combine::And, vec![yes.clone()])
                ]
            )
            .hold(&c, &kinds)
        );
        assert!(
            !conditions(
                Combine::And,
                vec![
                    group(Combine::And, vec![no]),
                    group(Combine::And, vec![yes])
                ]
            )
            .hold(&c, &kinds)
        );
        let field_operand = Comparison {
            field: "Customer".into(),
            operator: Operator::Equals,
            value: Operand::Template("{Customer}".into()),
        };
        assert!(
            conditions(Combine::And, vec![group(Combine::And, vec![field_operand])])
                .hold(&c, &kinds)
        );
    }

    #[test]
    fn rules_must_name_fields_that_exist_and_suit() {
        let kinds = [
            FieldKind::Text,
            FieldKind::Number,
            FieldKind::Button(ButtonField {
                label: "Find".into(),
            }),
            FieldKind::Table(TableField {
                columns: vec![TableColumn {
                    name: "name".into(),
                    title: "Name".into(),
                    kind: ColumnKind::Text,
                }],
                ..TableField::default()
            }),
        ];
        let names = ["Customer", "Amount", "find", "results"];
        let fields: Vec<FieldFacts> = names
            .iter()
            .zip(kinds.iter())
            .map(|(name, kind)| FieldFacts { name, kind })
            .collect();
        let mut find = FindItems::new(1);
        find.table = Some(TableMapping {
            field: "results".into(),
            columns: vec![ColumnMapping {
                column: "name".into(),
                parameter: FileParameter::Name,
            }],
            mode: TableMode::Override,
        });
        find.filters.push(ItemFilter {
            parameter: FileParameter::Name,
            operator: Operator::Contains,
            value: Operand::Field("Customer".into()),
        });
        let good = Rule {
            id: "r1".into(),
            name: "Find invoices".into(),
            trigger: Trigger::Button {
                field: "find".into(),
            },
            action: RuleAction::FindItems(find.clone()),
            ..Rule::default()
        };
        assert_eq!(rule_problems(std::slice::from_ref(&good), &fields), vec![]);

        let mut bad = good.clone();
        bad.id = "r2".into();
        bad.trigger = Trigger::Button {
            field: "Customer".into(),
        };
        bad.conditions.groups.push(ConditionGroup {
            combine: Combine::And,
            comparisons: vec![
                cmp("Amount", Operator::Contains, "1"),
                cmp("Nope", Operator::Equals, "1"),
            ],
        });
        let mut bad_find = find;
        bad_find.max_rows = 0;
        bad_find.folder = "a/../b".into();
        bad_find.filters[0].operator = Operator::Before;
        bad_find.table.as_mut().unwrap().columns[0].column = "missing".into();
        bad_find.first_match.push(ResultMapping {
            field: "results".into(),
            parameter: FileParameter::Name,
        });
        bad.action = RuleAction::FindItems(bad_find);
        let problems = rule_problems(&[good, bad], &fields);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(problems.iter().all(|p| p.rule == 1), "{messages:?}");
        assert_eq!(problems.len(), 8, "{messages:?}");
    }

    #[test]
    fn a_renamed_field_is_followed_by_every_rule() {
        assert_eq!(
            renamed_in_template(
                "Invoices/{customer}/{ Customer }-{{customer}}/{other}/{x",
                "Customer",
                "client"
            ),
            "Invoices/{client}/{client}-{{customer}}/{other}/{x"
        );
        let text = FieldKind::Text;
        let fields_after = |names: &[&'static str]| -> Vec<FieldFacts<'_>> {
            names
                .iter()
                .map(|n| FieldFacts {
                    name: n,
                    kind: &text,
                })
                .collect()
        };
        let mut find = FindItems::new(1);
        find.folder = "Invoices/{Customer}".into();
        find.filters.push(ItemFilter {
            parameter: FileParameter::Name,
            operator: Operator::Contains,
            value: Operand::Field("customer".into()),
        });
        find.first_match.push(ResultMapping {
            field: "Customer".into(),
            parameter: FileParameter::Name,
        });
        let mut rules = vec![Rule {
            trigger: Trigger::Change {
                field: "Customer".into(),
            },
            conditions: Conditions {
                combine: Combine::And,
                groups: vec![ConditionGroup {
                    combine: Combine::And,
                    comparisons: vec![cmp("Customer", Operator::IsNotEmpty, "")],
                }],
            },
            action: RuleAction::FindItems(find),
            ..Rule::default()
        }];
        // Half-way through typing, the name meets another field's: nothing moves.
        let before = rules.clone();
        rename_field(&mut rules, &fields_after(&["Cu", "Cu"]), "Customer", "Cu");
        assert_eq!(rules, before);
        rename_field(
            &mut rules,
            &fields_after(&["client", "Other"]),
            "Customer",
            "client",
        );
        let r = &rules[0];
        assert_eq!(
            r.trigger,
            Trigger::Change {
                field: "client".into()
            }
        );
        assert_eq!(r.conditions.groups[0].comparisons[0].field, "client");
        let RuleAction::FindItems(f) = &r.action else {
            panic!("still Find items")
        };
        assert_eq!(f.folder, "Invoices/{client}");
        assert_eq!(f.filters[0].value, Operand::Field("client".into()));
        assert_eq!(f.first_match[0].field, "client");
    }

    #[test]
    fn triggers_fire_on_their_event() {
        let b = Trigger::Button {
            field: "Find".into(),
        };
        assert!(b.fires_on(&TriggerEvent::Button {
            field: "find".into()
        }));
        assert!(!b.fires_on(&TriggerEvent::Change {
            field: "Find".into()
        }));
        assert!(Trigger::Load.fires_on(&TriggerEvent::Load));
        assert!(!Trigger::Load.fires_on(&TriggerEvent::BeforeSubmit));
    }
}
