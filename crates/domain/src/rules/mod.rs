//! Data rules as the server runs them, with the rights of the person filling in the form: the rules
//! of one version of a form that fire on an event run in the designer's order, each on the values
//! as the rules before it left them. A rule's changes count only when it completes; when it fails
//! only its On error reaction applies, so the form is never left half-updated. Every run that passed
//! its conditions is recorded ([`runs`]). Find items reaches the data source through [`ItemSource`]
//! (implemented by the Dropbox connector), so this module never names Dropbox.
mod find;
mod runs;
mod writes;

pub use find::{Found, Item, ResolvedFilter, Scan, name_query, needs_created, scan};
pub use runs::{RunFilter, RunRow, data_source_runs, form_runs};
#[cfg(any(test, feature = "testing"))]
pub use writes::MemoryLedger;
pub use writes::{
    Content, Deleted, FileMode, ItemWriter, LedgerEntry, Locator, MAX_COUNTED_ENTRIES, RetryLater,
    WriteError, WriteLedger, extension_of, is_autorenamed, save_uploads,
};

use crate::AuthenticatedUser;
use crate::connector::{Entry, FilesError};
use crate::form_store::{self, JsonError, StoreError, Version};
use crate::forms::facts;
use crate::policy::{self, Action, Decision};
use crate::vault::Vault;
use futures::stream::BoxStream;
use runs::RunRecord;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use time::OffsetDateTime;
use wharf_types::forms::{FieldDefinition, FieldKind, FieldValue, FileChoice, FormDefinition};
use wharf_types::rules::{
    Assignment, Cell, ColumnKind, Day, FindItems, MAX_FIND_ROWS, MessageLevel, Operand, Reaction,
    Rule, RuleAction, RuleContext, RuleMessage, RuleOutcome, RunOutcome, TableField, TableMapping,
    TableMode, TablePage, TableRow, TriggerEvent, render, template_references,
};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("There is no such form; it may have been deleted.")]
    FormNotFound,
    #[error("This form is not published yet.")]
    NotPublished,
    /// Before / After submit rules run only when the form is submitted.
    #[error("Only submitting the form runs its Before submit and After submit rules.")]
    SubmitOnly,
    /// A `more` token that is forged, of another person, form or field, or whose rule changed.
    #[error("This table can no longer be paged. Run its rule again.")]
    StaleToken,
    /// The person may not use the data source (or a path) a table's next page needs.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Files(FilesError),
    /// In a job: a write failed in a way a later attempt may get past; the run stopped there.
    #[error("{}", .0.message)]
    RetryLater(RetryLater),
    #[error(transparent)]
    Stored(#[from] JsonError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl From<StoreError> for RulesError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => RulesError::FormNotFound,
            StoreError::NotPublished => RulesError::NotPublished,
            StoreError::Json(e) => RulesError::Stored(e),
            StoreError::Database(e) => RulesError::Database(e),
        }
    }
}

impl From<FilesError> for RulesError {
    fn from(e: FilesError) -> Self {
        match e {
            FilesError::Database(e) => RulesError::Database(e),
            other => RulesError::Files(other),
        }
    }
}

/// What Find items asks of a data source: its files under `folder` (relative to the root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemQuery {
    pub data_source_id: i32,
    pub folder: String,
    pub include_subfolders: bool,
    /// A name search that narrows what is read (see [`name_query`]); `None` lists the folder.
    pub name_query: Option<String>,
}

/// The files of a query, a page at a time.
pub struct ItemStream {
    /// The folder, relative to the root, as the data source resolved (and confined) it.
    pub folder: String,
    /// Files only, each inside the root, of the File pattern and of the folder (and below it when
    /// sub-folders are included and the data source's Search in allows them).
    pub pages: BoxStream<'static, Result<Vec<Entry>, FilesError>>,
}

/// Where Find items finds files. Resolving the folder must confine it to the data source's root
/// (refusing `..` and the like) — the runner relies on it.
#[async_trait::async_trait]
pub trait ItemSource: Send + Sync {
    async fn items(&self, query: &ItemQuery) -> Result<ItemStream, FilesError>;
    /// Created times by file id of `(path, id)` files (see `DropboxConnector::created_times`).
    async fn created_times(
        &self,
        data_source_id: i32,
        files: &[(String, String)],
    ) -> Result<HashMap<String, String>, FilesError>;
}

/// What rules need of the server: the database (policy, run log), the files, the vault (table
/// paging tokens), where writes go and — in a job — the ledger of its writes.
pub struct RuleEnv<'a, C: ConnectionTrait> {
    pub db: &'a C,
    pub items: &'a dyn ItemSource,
    pub vault: &'a Vault,
    /// `None` where no rule can write (Before submit): a write rule then fails with a sentence.
    pub writer: Option<&'a dyn ItemWriter>,
    /// Only in a job (After submit): writes are recorded under idempotency keys.
    pub ledger: Option<&'a dyn WriteLedger>,
}

// By hand: a derive would ask `C: Copy`, and only references are copied.
impl<C: ConnectionTrait> Clone for RuleEnv<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: ConnectionTrait> Copy for RuleEnv<'_, C> {}

/// One version of a form, as its rules run.
#[derive(Clone, Copy, Debug)]
pub struct RuleForm<'a> {
    pub id: i32,
    /// The published version, or (for the draft) the version last published.
    pub version: i32,
    /// The saved draft (a designer's Preview) rather than the published version.
    pub draft: bool,
    pub definition: &'a FormDefinition,
}

/// The definition rules of form `id` run from: the draft for a designer's preview, else the
/// published one.
pub async fn load_form(
    db: &impl ConnectionTrait,
    id: i32,
    draft: bool,
) -> Result<(i32, FormDefinition), RulesError> {
    let version = if draft {
        Version::Draft
    } else {
        Version::Published
    };
    let form = form_store::load(db, id, version).await?;
    Ok((form.version, form.definition))
}

/// Runs the rules of `form` that fire on `event`, in order, on `values`, for `person`.
pub async fn run<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    event: &TriggerEvent,
    values: BTreeMap<String, FieldValue>,
) -> Result<RuleOutcome, RulesError> {
    let mut values = values;
    let mut outcome = RuleOutcome::default();
    let (today, now) = today_and_now();
    for rule in form
        .definition
        .rules
        .iter()
        .filter(|r| r.enabled && r.trigger.fires_on(event))
    {
        let ctx = RuleContext {
            values: &values,
            today,
            now: now.clone(),
            user_name: person.display_name.clone(),
            user_email: person.email.clone().unwrap_or_default(),
        };
        let kind_of = |name: &str| {
            field_named(form.definition, name)
                .map(|f| wharf_types::rules::ValueKind::of_field(&f.kind))
                .unwrap_or(wharf_types::rules::ValueKind::Text)
        };
        if !rule.conditions.hold(&ctx, &kind_of) {
            continue;
        }
        let started = Instant::now();
        let result = match &rule.action {
            RuleAction::SetField(set) => set_fields(form.definition, rule, &set.assignments, &ctx),
            RuleAction::ShowMessage(show) => RuleResult::ok(
                Effect::message(rule, show.level, render(&show.text, &ctx)),
                serde_json::json!({ "fields": fields_read(&ctx, &[Operand::Template(show.text.clone())]) }),
            ),
            RuleAction::FindItems(find) => {
                find_items(env, person, form, rule, find, &ctx, today).await?
            }
            RuleAction::CreateItem(create) => {
                writes::create_item(env, person, form, rule, create, &ctx).await?
            }
            RuleAction::UpdateItem(update) => {
                writes::update_item(env, person, form, rule, update, &ctx).await?
            }
            RuleAction::DeleteItem(delete) => {
                writes::delete_item(env, person, form, rule, delete, &ctx).await?
            }
        };
        drop(ctx);
        runs::record(
            env.db,
            RunRecord {
                form_id: form.id,
                form_version: form.version,
                preview: form.draft,
                rule,
                trigger: rule.trigger.key(),
                user_id: person.id,
                data_source_id: rule.action.data_source_id(),
                inputs: &result.inputs,
                outcome: result.outcome,
                message: &result.message,
                duration: started.elapsed(),
            },
        )
        .await?;
        result.effect.apply(&mut outcome, &mut values, event);
    }
    Ok(outcome)
}

/// Today (UTC) and now as RFC 3339.
fn today_and_now() -> (Day, String) {
    let now = OffsetDateTime::now_utc();
    let today = Day::from_ymd(
        i64::from(now.year()),
        i64::from(u8::from(now.month())),
        i64::from(now.day()),
    );
    let text = format!(
        "{}T{:02}:{:02}:{:02}Z",
        today.format(),
        now.hour(),
        now.minute(),
        now.second()
    );
    (today, text)
}

fn field_named<'d>(definition: &'d FormDefinition, name: &str) -> Option<&'d FieldDefinition> {
    definition
        .fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
}

/// What a rule changes in the form when it is applied.
#[derive(Default)]
struct Effect {
    changes: BTreeMap<String, FieldValue>,
    tables: BTreeMap<String, TablePage>,
    messages: Vec<RuleMessage>,
}

impl Effect {
    fn message(rule: &Rule, level: MessageLevel, text: String) -> Effect {
        let mut e = Effect::default();
        e.say(rule, level, text);
        e
    }

    fn say(&mut self, rule: &Rule, level: MessageLevel, text: String) {
        if !text.trim().is_empty() {
            self.messages.push(RuleMessage {
                rule: rule.name.clone(),
                level,
                text,
            });
        }
    }

    /// Into the answer, and into the values the next rules see.
    fn apply(
        self,
        outcome: &mut RuleOutcome,
        values: &mut BTreeMap<String, FieldValue>,
        event: &TriggerEvent,
    ) {
        for (field, value) in self.changes {
            values.insert(field.clone(), value.clone());
            outcome.changes.insert(field, value);
        }
        for (field, page) in self.tables {
            let rows = page.rows.clone();
            match (page.mode, values.get_mut(&field)) {
                (TableMode::Append, Some(FieldValue::Table(existing))) => existing.extend(rows),
                _ => {
                    values.insert(field.clone(), FieldValue::Table(rows));
                }
            }
            // A later rule filling the same table in Append mode adds to the page already answered.
            match (page.mode, outcome.tables.get_mut(&field)) {
                (TableMode::Append, Some(earlier)) => {
                    earlier.rows.extend(page.rows);
                    earlier.more = page.more;
                }
                _ => {
                    outcome.tables.insert(field, page);
                }
            }
        }
        for m in self.messages {
            if m.level == MessageLevel::Error
                && *event == TriggerEvent::BeforeSubmit
                && outcome.refusal.is_none()
            {
                outcome.refusal = Some(m.text.clone());
            }
            outcome.messages.push(m);
        }
    }
}

/// How one rule run ended: what to apply, and what the run log records.
struct RuleResult {
    effect: Effect,
    outcome: RunOutcome,
    message: String,
    inputs: serde_json::Value,
}

impl RuleResult {
    fn ok(effect: Effect, inputs: serde_json::Value) -> Self {
        RuleResult {
            effect,
            outcome: RunOutcome::Ok,
            message: String::new(),
            inputs,
        }
    }
}

/// The text of every field the operands read, for the run log.
fn fields_read(ctx: &RuleContext<'_>, operands: &[Operand]) -> BTreeMap<String, String> {
    operands
        .iter()
        .flat_map(|o| match o {
            Operand::Text(_) => Vec::new(),
            Operand::Field(f) => vec![f.clone()],
            Operand::Template(t) => template_references(t).unwrap_or_default(),
        })
        .filter(|name| !name.starts_with('@'))
        .map(|name| {
            let text: String = ctx.field_text(&name).chars().take(200).collect();
            (name, text)
        })
        .collect()
}

/// `text` as a value of `field`: a number, a date (`YYYY-MM-DD`) or text. Blank clears the field
/// (`FieldValue::Text("")`, whatever its kind).
fn converted(field: &FieldDefinition, text: String) -> Result<FieldValue, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(FieldValue::Text(String::new()));
    }
    match &field.kind {
        FieldKind::Text => Ok(FieldValue::Text(text)),
        FieldKind::Number => match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(FieldValue::Number(n)),
            _ => Err(format!(
                "{} needs a number, and “{trimmed}” is not one.",
                field.title
            )),
        },
        FieldKind::Date => match Day::parse(trimmed) {
            Some(day) => Ok(FieldValue::Date(day.format())),
            None => Err(format!(
                "{} needs a date (YYYY-MM-DD), and “{trimmed}” is not one.",
                field.title
            )),
        },
        other => Err(format!(
            "{} is a {} field: rules can set Text, Number and Date fields.",
            field.title,
            other.label()
        )),
    }
}

/// Every assignment's value, converted to its field's kind; the first that cannot be is the error.
fn assigned(
    definition: &FormDefinition,
    assignments: &[Assignment],
    ctx: &RuleContext<'_>,
) -> Result<BTreeMap<String, FieldValue>, String> {
    let mut changes = BTreeMap::new();
    for a in assignments {
        let field = field_named(definition, &a.field)
            .ok_or_else(|| format!("“{}” is not a field of this form.", a.field))?;
        changes.insert(field.name.clone(), converted(field, a.value.text(ctx))?);
    }
    Ok(changes)
}

fn set_fields(
    definition: &FormDefinition,
    rule: &Rule,
    assignments: &[Assignment],
    ctx: &RuleContext<'_>,
) -> RuleResult {
    let operands: Vec<Operand> = assignments.iter().map(|a| a.value.clone()).collect();
    let inputs = serde_json::json!({ "fields": fields_read(ctx, &operands) });
    match assigned(definition, assignments, ctx) {
        Ok(changes) => RuleResult::ok(
            Effect {
                changes,
                ..Effect::default()
            },
            inputs,
        ),
        Err(sentence) => RuleResult {
            effect: Effect::message(rule, MessageLevel::Error, sentence.clone()),
            outcome: RunOutcome::Error,
            message: sentence,
            inputs,
        },
    }
}

/// The On error reaction: its assignments (those that convert) and its message, or the error's own
/// sentence when the designer left it blank.
fn on_error(
    definition: &FormDefinition,
    rule: &Rule,
    reaction: &Reaction,
    ctx: &RuleContext<'_>,
    sentence: &str,
) -> Effect {
    let mut effect = Effect::default();
    for a in &reaction.assignments {
        match assigned(definition, std::slice::from_ref(a), ctx) {
            Ok(changes) => effect.changes.extend(changes),
            Err(e) => tracing::debug!(rule = rule.id, "an On error assignment was skipped: {e}"),
        }
    }
    let text = render(&reaction.message, ctx);
    let text = if text.trim().is_empty() {
        sentence.to_owned()
    } else {
        text
    };
    effect.say(rule, MessageLevel::Error, text);
    effect
}

/// What the next page of a table needs, sealed into `TablePage::more`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PageToken {
    form_id: i32,
    draft: bool,
    rule_id: String,
    person_id: i32,
    field: String,
    data_source_id: i32,
    folder: String,
    include_subfolders: bool,
    query: Option<String>,
    filters: Vec<ResolvedFilter>,
    /// Rows already handed out.
    offset: u32,
}

/// What a token is sealed to: one form (draft or published), one table field, one person.
fn token_context(form_id: i32, draft: bool, field: &str, person_id: i32) -> String {
    serde_json::json!([
        "rule-table",
        form_id,
        draft,
        field.to_lowercase(),
        person_id
    ])
    .to_string()
}

/// A Find items rule's table: its field definition and page size.
fn table_of<'d>(
    definition: &'d FormDefinition,
    mapping: &TableMapping,
) -> Result<(&'d FieldDefinition, &'d TableField), String> {
    match field_named(definition, &mapping.field) {
        Some(f) => match &f.kind {
            FieldKind::Table(t) => Ok((f, t)),
            _ => Err(format!(
                "“{}” is not a Table field of this form.",
                mapping.field
            )),
        },
        None => Err(format!(
            "“{}” is not a Table field of this form.",
            mapping.field
        )),
    }
}

/// One found file as a table row: each mapped column by its kind.
fn row_of(
    table: &TableField,
    mapping: &TableMapping,
    data_source_id: i32,
    item: &Item,
) -> TableRow {
    let f = facts(&item.entry, item.created.as_deref());
    let mut row = TableRow::new();
    for m in &mapping.columns {
        let Some(column) = table.columns.iter().find(|c| c.name == m.column) else {
            continue;
        };
        let value = m.parameter.value_of(&f);
        let cell = match column.kind {
            ColumnKind::File => Cell::File(FileChoice {
                data_source_id,
                id: item.entry.id.clone(),
                path: item.entry.path.clone(),
                rev: item.entry.rev.clone(),
                name: item.entry.name.clone(),
                size: item.entry.size,
                value: item.entry.path.clone(),
            }),
            ColumnKind::Number => match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Cell::Number(n),
                _ => Cell::Text(value),
            },
            ColumnKind::Date => Cell::Date(value),
            ColumnKind::Text => Cell::Text(value),
        };
        row.insert(column.name.clone(), cell);
    }
    row
}

/// How a Find items ended before its reactions.
enum FindEnd {
    Found(Effect),
    NoMatch,
    Refused(String),
    Failed(String),
}

async fn find_items<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    rule: &Rule,
    find: &FindItems,
    ctx: &RuleContext<'_>,
    today: Day,
) -> Result<RuleResult, RulesError> {
    let definition = form.definition;
    let folder = render(&find.folder, ctx);
    let filters: Vec<ResolvedFilter> = find
        .filters
        .iter()
        .map(|f| ResolvedFilter::new(f, f.value.text(ctx)))
        .collect();
    let query = name_query(&filters);
    let mut operands: Vec<Operand> = find.filters.iter().map(|f| f.value.clone()).collect();
    operands.push(Operand::Template(find.folder.clone()));
    let inputs = serde_json::json!({
        "folder": folder,
        "include_subfolders": find.include_subfolders,
        "query": query,
        "filters": filters.iter().map(|f| &f.value).collect::<Vec<_>>(),
        "fields": fields_read(ctx, &operands),
    });

    let end = match authorized(env.db, person, find.data_source_id).await? {
        Err(sentence) => FindEnd::Refused(sentence),
        Ok(()) => {
            let table = find
                .table
                .as_ref()
                .map(|m| table_of(definition, m).map(|(_, t)| (m, t)))
                .transpose();
            match table {
                Err(sentence) => FindEnd::Failed(sentence),
                Ok(table) => {
                    let page_size = table.map_or(1, |(_, t)| t.page_size.clamp(1, MAX_FIND_ROWS));
                    let max_rows = find.max_rows.clamp(1, MAX_FIND_ROWS);
                    let wanted = (page_size + 1).min(max_rows) as usize;
                    let shown: Vec<_> = table
                        .iter()
                        .flat_map(|(m, _)| m.columns.iter().map(|c| c.parameter))
                        .chain(find.first_match.iter().map(|m| m.parameter))
                        .collect();
                    let scanned = scan(
                        env.items,
                        Scan {
                            query: ItemQuery {
                                data_source_id: find.data_source_id,
                                folder: folder.clone(),
                                include_subfolders: find.include_subfolders,
                                name_query: query.clone(),
                            },
                            filters: &filters,
                            sort: find.sort,
                            created: needs_created(&filters, find.sort, &shown),
                            today,
                            wanted,
                        },
                    )
                    .await;
                    match scanned {
                        Err(FilesError::Database(e)) => return Err(e.into()),
                        Err(e @ FilesError::Path(_)) => FindEnd::Refused(e.to_string()),
                        Err(e) => FindEnd::Failed(e.to_string()),
                        Ok(found) if found.items.is_empty() => FindEnd::NoMatch,
                        Ok(found) => {
                            let mut effect = Effect::default();
                            if let Some((mapping, t)) = table {
                                let shown = found.items.len().min(page_size as usize);
                                let more = (found.items.len() > shown).then(|| {
                                    let token = PageToken {
                                        form_id: form.id,
                                        draft: form.draft,
                                        rule_id: rule.id.clone(),
                                        person_id: person.id,
                                        field: mapping.field.clone(),
                                        data_source_id: find.data_source_id,
                                        folder: found.folder.clone(),
                                        include_subfolders: find.include_subfolders,
                                        query: query.clone(),
                                        filters: filters.clone(),
                                        offset: shown as u32,
                                    };
                                    seal(env.vault, &token)
                                });
                                let field = table_of(definition, mapping)
                                    .map(|(f, _)| f.name.clone())
                                    .unwrap_or_else(|_| mapping.field.clone());
                                effect.tables.insert(
                                    field,
                                    TablePage {
                                        rows: found.items[..shown]
                                            .iter()
                                            .map(|i| row_of(t, mapping, find.data_source_id, i))
                                            .collect(),
                                        mode: mapping.mode,
                                        more,
                                    },
                                );
                            }
                            let first = &found.items[0];
                            let f = facts(&first.entry, first.created.as_deref());
                            let mut failed = None;
                            for m in &find.first_match {
                                let converted = field_named(definition, &m.field)
                                    .ok_or_else(|| {
                                        format!("“{}” is not a field of this form.", m.field)
                                    })
                                    .and_then(|field| {
                                        converted(field, m.parameter.value_of(&f))
                                            .map(|v| (field.name.clone(), v))
                                    });
                                match converted {
                                    Ok((name, v)) => {
                                        effect.changes.insert(name, v);
                                    }
                                    Err(e) => {
                                        failed = Some(e);
                                        break;
                                    }
                                }
                            }
                            match failed {
                                Some(sentence) => FindEnd::Failed(sentence),
                                None => FindEnd::Found(effect),
                            }
                        }
                    }
                }
            }
        }
    };

    Ok(match end {
        FindEnd::Found(mut effect) => match assigned(definition, &find.on_success.assignments, ctx)
        {
            Ok(changes) => {
                effect.changes.extend(changes);
                effect.say(
                    rule,
                    MessageLevel::Info,
                    render(&find.on_success.message, ctx),
                );
                RuleResult::ok(effect, inputs)
            }
            Err(sentence) => RuleResult {
                effect: on_error(definition, rule, &find.on_error, ctx, &sentence),
                outcome: RunOutcome::Error,
                message: sentence,
                inputs,
            },
        },
        FindEnd::NoMatch => {
            let said = render(&find.no_match.message, ctx);
            let mut effect = if find.no_match.is_error {
                let sentence = if said.trim().is_empty() {
                    "Nothing was found.".to_owned()
                } else {
                    said.clone()
                };
                let mut e = on_error(definition, rule, &find.on_error, ctx, &sentence);
                if !said.trim().is_empty() && !find.on_error.message.trim().is_empty() {
                    e.say(rule, MessageLevel::Error, said.clone());
                }
                e
            } else {
                Effect::message(rule, MessageLevel::Info, said.clone())
            };
            if find.no_match.clear {
                if let Some(mapping) = &find.table
                    && let Ok((field, _)) = table_of(definition, mapping)
                {
                    effect.tables.insert(
                        field.name.clone(),
                        TablePage {
                            rows: Vec::new(),
                            mode: TableMode::Override,
                            more: None,
                        },
                    );
                }
                for m in &find.first_match {
                    if let Some(field) = field_named(definition, &m.field) {
                        effect
                            .changes
                            .entry(field.name.clone())
                            .or_insert(FieldValue::Text(String::new()));
                    }
                }
            }
            RuleResult {
                effect,
                outcome: RunOutcome::NoMatch,
                message: if said.trim().is_empty() {
                    "Nothing was found.".to_owned()
                } else {
                    said
                },
                inputs,
            }
        }
        FindEnd::Refused(sentence) => RuleResult {
            effect: on_error(definition, rule, &find.on_error, ctx, &sentence),
            outcome: RunOutcome::Refused,
            message: sentence,
            inputs,
        },
        FindEnd::Failed(sentence) => RuleResult {
            effect: on_error(definition, rule, &find.on_error, ctx, &sentence),
            outcome: RunOutcome::Error,
            message: sentence,
            inputs,
        },
    })
}

/// Whether `person` may use data source `id` now (`Err(sentence)` when not, logged). A data source
/// that no longer exists is refused the same way, naming nothing.
async fn authorized(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    id: i32,
) -> Result<Result<(), String>, DbErr> {
    allowed(db, person, id, Action::UseDataSource).await
}

/// Whether `person` may do `action` on data source `id` now, as [`authorized`] for using it.
async fn allowed(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    id: i32,
    action: Action,
) -> Result<Result<(), String>, DbErr> {
    let Some(security) = policy::load_security(db, id).await? else {
        return Ok(Err(
            "The data source of this rule no longer exists. Ask the form's designer.".to_owned(),
        ));
    };
    match policy::decide(Some(person), action, Some(&security)) {
        Decision::Allow => Ok(Ok(())),
        Decision::Deny(denial) => {
            policy::log_denial(Some(person), action, Some(id), &denial);
            Ok(Err(denial.sentence()))
        }
    }
}

fn seal(vault: &Vault, token: &PageToken) -> String {
    let context = token_context(token.form_id, token.draft, &token.field, token.person_id);
    // A token is plain data; serializing it cannot fail.
    let json = serde_json::to_string(token).unwrap_or_default();
    vault.seal(&json, &context)
}

/// The next page of table `field` of form `form_id` (`draft` for a designer's preview), from the
/// `more` of the page before. The token must have been sealed for this form, field and person; the
/// person must still be allowed to use the data source, and the rule must still fill that table.
pub async fn next_table_page<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form_id: i32,
    draft: bool,
    field: &str,
    more: &str,
) -> Result<TablePage, RulesError> {
    let context = token_context(form_id, draft, field, person.id);
    let token: PageToken = env
        .vault
        .open_sealed(more, &context)
        .ok()
        .and_then(|json| serde_json::from_str(&json).ok())
        .ok_or(RulesError::StaleToken)?;
    let (_, definition) = load_form(env.db, form_id, draft).await?;
    let find = definition
        .rules
        .iter()
        .find(|r| r.id == token.rule_id)
        .and_then(|r| match &r.action {
            RuleAction::FindItems(f) => Some(f),
            _ => None,
        })
        .filter(|f| {
            f.data_source_id == token.data_source_id
                && f.filters.len() == token.filters.len()
                && f.table
                    .as_ref()
                    .is_some_and(|t| t.field.eq_ignore_ascii_case(&token.field))
        })
        .ok_or(RulesError::StaleToken)?;
    let mapping = find.table.as_ref().ok_or(RulesError::StaleToken)?;
    let (_, table) = table_of(&definition, mapping).map_err(|_| RulesError::StaleToken)?;
    if let Err(sentence) = authorized(env.db, person, token.data_source_id).await? {
        return Err(RulesError::Refused(sentence));
    }
    // The values the first page was found with; the operators and sort are the rule's own.
    let filters: Vec<ResolvedFilter> = find
        .filters
        .iter()
        .zip(&token.filters)
        .map(|(f, resolved)| ResolvedFilter::new(f, resolved.value.clone()))
        .collect();
    let page_size = table.page_size.clamp(1, MAX_FIND_ROWS);
    let max_rows = find.max_rows.clamp(1, MAX_FIND_ROWS);
    let offset = token.offset.min(max_rows);
    let wanted = (offset + page_size + 1).min(max_rows) as usize;
    let shown_parameters: Vec<_> = mapping.columns.iter().map(|c| c.parameter).collect();
    let (today, _) = today_and_now();
    let found = scan(
        env.items,
        Scan {
            query: ItemQuery {
                data_source_id: token.data_source_id,
                folder: token.folder.clone(),
                include_subfolders: token.include_subfolders,
                name_query: token.query.clone(),
            },
            filters: &filters,
            sort: find.sort,
            created: needs_created(&filters, find.sort, &shown_parameters),
            today,
            wanted,
        },
    )
    .await
    .map_err(|e| match e {
        FilesError::Path(p) => RulesError::Refused(p.to_string()),
        other => RulesError::from(other),
    })?;
    let start = (offset as usize).min(found.items.len());
    let end = (start + page_size as usize).min(found.items.len());
    let more = (found.items.len() > end).then(|| {
        seal(
            env.vault,
            &PageToken {
                offset: end as u32,
                ..token.clone()
            },
        )
    });
    Ok(TablePage {
        rows: found.items[start..end]
            .iter()
            .map(|i| row_of(table, mapping, token.data_source_id, i))
            .collect(),
        mode: TableMode::Append,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> FieldDefinition {
        FieldDefinition::new("Amount", "amount", kind)
    }

    #[test]
    fn values_are_converted_to_the_field_kind() {
        assert_eq!(
            converted(&field(FieldKind::Number), " 42.5 ".into()),
            Ok(FieldValue::Number(42.5))
        );
        assert!(converted(&field(FieldKind::Number), "abc".into()).is_err());
        assert_eq!(
            converted(&field(FieldKind::Date), "2026-12-01T10:00:00Z".into()),
            Ok(FieldValue::Date("2026-12-01".into()))
        );
        assert!(converted(&field(FieldKind::Date), "12/01/2026".into()).is_err());
        assert_eq!(
            converted(&field(FieldKind::Number), "  ".into()),
            Ok(FieldValue::Text(String::new())),
            "blank clears"
        );
        assert!(
            converted(
                &field(FieldKind::FileUpload(Default::default())),
                "x".into()
            )
            .is_err()
        );
    }

    #[test]
    fn tokens_are_bound_to_form_field_and_person() {
        let base = token_context(1, false, "Results", 7);
        assert_eq!(base, token_context(1, false, "results", 7));
        assert_ne!(base, token_context(2, false, "Results", 7));
        assert_ne!(base, token_context(1, true, "Results", 7));
        assert_ne!(base, token_context(1, false, "Other", 7));
        assert_ne!(base, token_context(1, false, "Results", 8));
    }
}
