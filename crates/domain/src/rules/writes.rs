//! Create item, Update item and Delete item as the runner runs them, and saving File upload fields
//! into data sources. Writes reach a data source only through [`ItemWriter`] (implemented by the
//! Dropbox connector in `connector/writes.rs`), so this module never names Dropbox. In a job every
//! write is first recorded in a [`WriteLedger`] under its idempotency key, so an attempt after a
//! crash or a retry finds what an earlier attempt did (or checks Dropbox by content_hash / rev)
//! instead of writing a second copy.
mod content;

use super::{
    Effect, RuleEnv, RuleForm, RuleResult, RulesError, allowed, assigned, converted, field_named,
    fields_read, on_error,
};
use crate::AuthenticatedUser;
use crate::connector::{Entry, FilesError};
use crate::forms::{facts, in_field_folder};
use crate::policy::Action;
use crate::uploads::{self, Staged, UploadError};
use bytes::Bytes;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use wharf_types::forms::{
    FieldKind, FieldValue, FileChoice, ListSource, SaveLocation, UploadName, UploadedFile,
};
use wharf_types::rules::{
    CreateItem, DeleteItem, ItemContent, ItemRef, MessageLevel, OnConflict, Operand, Reaction,
    ResultMapping, Rule, RuleContext, RunOutcome, UpdateItem, render,
};

pub use content::{csv, extension_of, is_autorenamed, json_object};
pub(super) use kinds::{create_item, delete_item, update_item};
pub use save::save_uploads;

/// What a written file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Bytes the rule rendered (text, CSV, JSON).
    Bytes(Bytes),
    /// A file a person uploaded into the form, still in Wharf's store.
    Upload(Staged),
    /// A file of a data source (chosen in a List field): a copy of it.
    Copy(FileChoice),
}

/// How a file is written when its name is taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileMode {
    /// Fails with [`WriteError::Taken`].
    Add,
    /// Written as `name (1).ext`, the first free number (Dropbox's autorename picks it).
    Autorename,
    Overwrite,
    /// Replaces the content only while `rev` is still the file's revision
    /// ([`WriteError::Changed`] otherwise).
    Update(String),
}

impl FileMode {
    fn of(on_conflict: OnConflict) -> Self {
        match on_conflict {
            OnConflict::Fail => FileMode::Add,
            OnConflict::Autorename => FileMode::Autorename,
            OnConflict::Overwrite => FileMode::Overwrite,
        }
    }
}

/// Which item to look up: a path relative to the data source's root, or a Dropbox id (`id:…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locator<'a> {
    Path(&'a str),
    Id(&'a str),
}

/// What a delete removed: the item, and how many entries went with it (1 for a file; a folder
/// and everything in it, counted up to [`MAX_COUNTED_ENTRIES`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    pub entry: Entry,
    pub entries: u64,
}

/// Entries counted before a folder is deleted (for the run log); a bigger folder reports this many.
pub const MAX_COUNTED_ENTRIES: u64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The name is taken (On conflict: Fail), named relative to the root.
    #[error("“{0}” already exists in the data source.")]
    Taken(String),
    #[error("The file was changed by someone else since it was chosen.")]
    Changed,
    #[error("“{0}” was not found in the data source. It may have been moved or deleted.")]
    Missing(String),
    #[error("{0}")]
    Upload(#[from] UploadError),
    #[error("{0}")]
    Files(#[from] FilesError),
}

impl From<crate::confine::PathRefused> for WriteError {
    fn from(e: crate::confine::PathRefused) -> Self {
        WriteError::Files(FilesError::Path(e))
    }
}

impl From<dropbox::DropboxError> for WriteError {
    fn from(e: dropbox::DropboxError) -> Self {
        WriteError::Files(FilesError::Dropbox(e))
    }
}

impl WriteError {
    /// A failure a later attempt may get past (Dropbox busy, rate limited, unreachable).
    fn retry_later(&self) -> Option<RetryLater> {
        match self {
            WriteError::Files(FilesError::Dropbox(e)) if e.is_transient() => Some(RetryLater {
                message: e.user_message(),
                retry_after: match e {
                    dropbox::DropboxError::RateLimited { retry_after } => Some(*retry_after),
                    _ => None,
                },
            }),
            _ => None,
        }
    }

    /// A path outside the root or a file the data source leaves out: the run log says Refused.
    fn is_refusal(&self) -> bool {
        matches!(
            self,
            WriteError::Files(FilesError::Path(_) | FilesError::FileTypeNotAllowed(_))
        )
    }

    /// Errors of Wharf's own database stop the run; the rest are the rule's failure.
    fn into_rules(self) -> Result<String, RulesError> {
        match self {
            WriteError::Files(FilesError::Database(e))
            | WriteError::Upload(UploadError::Database(e)) => Err(RulesError::Database(e)),
            other => Ok(other.to_string()),
        }
    }
}

/// Where rule writes go. Every method authorizes nothing (the runner asks the policy first) but
/// confines paths to the data source's root and applies its File pattern. Paths are relative to
/// the root; missing parent folders are created.
#[async_trait::async_trait]
pub trait ItemWriter: Send + Sync {
    /// Creates folder `path`. Taken: Fail → [`WriteError::Taken`]; Autorename → `name (1)`;
    /// Overwrite → the existing folder (a folder is never replaced).
    async fn create_folder(
        &self,
        data_source_id: i32,
        path: &str,
        on_conflict: OnConflict,
    ) -> Result<Entry, WriteError>;
    /// Writes `content` as file `path`, streaming it (never all in memory).
    async fn write_file(
        &self,
        data_source_id: i32,
        path: &str,
        content: &Content,
        mode: &FileMode,
    ) -> Result<Entry, WriteError>;
    /// Moves or renames `from` to `to` (a taken `to` fails, or gets a number with `autorename`).
    async fn relocate(
        &self,
        data_source_id: i32,
        from: &str,
        to: &str,
        autorename: bool,
    ) -> Result<Entry, WriteError>;
    /// Deletes a file or a folder with everything in it; with `rev`, a file only while that is
    /// still its revision ([`WriteError::Changed`] otherwise).
    async fn delete(
        &self,
        data_source_id: i32,
        path: &str,
        rev: Option<&str>,
    ) -> Result<Deleted, WriteError>;
    /// The item, or `None` when there is none.
    async fn lookup(
        &self,
        data_source_id: i32,
        at: Locator<'_>,
    ) -> Result<Option<Entry>, WriteError>;
    /// The Dropbox content_hash `content` will have once written.
    async fn content_hash(&self, content: &Content) -> Result<String, WriteError>;
    /// The file an earlier attempt wrote as `path` with content `hash`: at `path` itself or, with
    /// `siblings` (autorename), as a `name (n).ext` beside it.
    async fn find_written(
        &self,
        data_source_id: i32,
        path: &str,
        hash: &str,
        siblings: bool,
    ) -> Result<Option<Entry>, WriteError>;
}

/// What an earlier attempt of the same job recorded under a key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LedgerEntry {
    /// Begun, never finished: the write may or may not have reached the data source.
    Started { intent: serde_json::Value },
    /// Finished: what it produced (the item's metadata).
    Done { result: serde_json::Value },
    /// Failed for good on an earlier attempt (a retry writes again).
    Failed { message: String },
}

/// A job's record of its writes: the idempotency keys, and the steps a person sees.
#[async_trait::async_trait]
pub trait WriteLedger: Send + Sync {
    async fn recall(&self, key: &str) -> Result<Option<LedgerEntry>, sea_orm::DbErr>;
    /// Before the write: a label for people and what it is about to write (enough to recognise it
    /// in the data source afterwards).
    async fn begin(
        &self,
        key: &str,
        label: &str,
        intent: &serde_json::Value,
    ) -> Result<(), sea_orm::DbErr>;
    async fn finish(&self, key: &str, result: &serde_json::Value) -> Result<(), sea_orm::DbErr>;
    async fn fail(&self, key: &str, message: &str) -> Result<(), sea_orm::DbErr>;
}

/// A write that failed in a way a later attempt may get past (rate limits, Dropbox unavailable):
/// in a job the run stops and the job is tried again after `retry_after` (or its own backoff).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryLater {
    pub message: String,
    pub retry_after: Option<Duration>,
}

/// One write, as planned: enough to do it, and to recognise it in the data source afterwards.
#[derive(Clone, Debug)]
enum Op {
    Folder {
        path: String,
        on_conflict: OnConflict,
    },
    File {
        path: String,
        content: Content,
        mode: FileMode,
    },
    Relocate {
        from: String,
        to: String,
        id: String,
        autorename: bool,
    },
    Delete {
        path: String,
        rev: Option<String>,
    },
}

impl Op {
    /// What the ledger keeps before the write: never file contents.
    fn intent(&self) -> serde_json::Value {
        match self {
            Op::Folder { path, on_conflict } => {
                serde_json::json!({ "op": "folder", "path": path, "on_conflict": on_conflict })
            }
            Op::File {
                path,
                content,
                mode,
            } => serde_json::json!({
                "op": "file", "path": path, "mode": mode,
                "content": match content {
                    Content::Bytes(b) => serde_json::json!({ "bytes": b.len() }),
                    Content::Upload(s) => serde_json::json!({ "upload": s.id }),
                    Content::Copy(c) => serde_json::json!({ "copy": c.path, "data_source_id": c.data_source_id }),
                },
            }),
            Op::Relocate { from, to, id, .. } => {
                serde_json::json!({ "op": "move", "from": from, "to": to, "id": id })
            }
            Op::Delete { path, rev } => {
                serde_json::json!({ "op": "delete", "path": path, "rev": rev })
            }
        }
    }
}

/// How far [`Writes::recorded`] looks through a rule's keys.
const MAX_RULE_KEYS: usize = 1000;

/// What a write produced (kept in the ledger as its result).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Done {
    entry: Option<Entry>,
    /// Entries a delete removed.
    #[serde(default)]
    entries: u64,
    /// Where a moved or deleted item was: a later attempt that no longer finds it there knows why.
    #[serde(default)]
    from: Option<String>,
}

/// What an earlier attempt of the same job did to an item no longer found where the rule says.
#[derive(Debug, PartialEq, Eq)]
enum Recorded {
    Deleted,
    /// Moved (or renamed): the item's id.
    Moved(String),
}

/// Paths as the ledger compares them: relative, without case.
fn same_path(a: &str, b: &str) -> bool {
    a.trim().trim_matches('/').to_lowercase() == b.trim().trim_matches('/').to_lowercase()
}

/// What a ledger entry says happened to the item at (or with id) `at`, if it was moved or deleted.
fn recorded_for(entry: &LedgerEntry, at: &str) -> Option<Recorded> {
    match entry {
        LedgerEntry::Started { intent } => {
            let text = |k: &str| intent.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            let names_it =
                same_path(text("path"), at) || same_path(text("from"), at) || text("id") == at;
            match text("op") {
                "delete" if names_it => Some(Recorded::Deleted),
                "move" if names_it => Some(Recorded::Moved(text("id").to_owned())),
                _ => None,
            }
        }
        LedgerEntry::Done { result } => {
            let done: Done = serde_json::from_value(result.clone()).ok()?;
            let entry = done.entry?;
            let names_it = done.from.as_deref().is_some_and(|f| same_path(f, at)) || entry.id == at;
            match (names_it, done.entries) {
                (false, _) => None,
                // Only deletes count entries.
                (true, 0) => Some(Recorded::Moved(entry.id)),
                (true, _) => Some(Recorded::Deleted),
            }
        }
        LedgerEntry::Failed { .. } => None,
    }
}

/// What the ledger decided before a write.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Finished on an earlier attempt: reuse its result, call nothing.
    Reuse(Done),
    /// Begun on an earlier attempt: look in the data source for what it wrote first.
    Check,
    Write,
}

fn decide(recalled: Option<LedgerEntry>) -> Decision {
    match recalled {
        Some(LedgerEntry::Done { result }) => match serde_json::from_value(result) {
            Ok(done) => Decision::Reuse(done),
            // A result this version cannot read: look rather than write twice.
            Err(_) => Decision::Check,
        },
        Some(LedgerEntry::Started { .. }) => Decision::Check,
        Some(LedgerEntry::Failed { .. }) | None => Decision::Write,
    }
}

/// What the run log keeps of a rule's writes.
#[derive(Debug, Default, Serialize)]
struct WriteLog {
    paths: Vec<String>,
    bytes_written: u64,
    entries_deleted: u64,
}

/// The writes of one rule run: the writer, the ledger keys (`{rule id}:{n}`) and the log.
struct Writes<'a, C: ConnectionTrait> {
    env: RuleEnv<'a, C>,
    writer: &'a dyn ItemWriter,
    data_source_id: i32,
    key_prefix: String,
    label_prefix: String,
    n: usize,
    log: WriteLog,
}

/// How a write ended for the rule: done, or its sentence. A failure a later attempt may get past
/// stops the whole run in a job (`Err(RulesError::RetryLater)`).
type Step<T> = Result<Result<T, WriteError>, RulesError>;

impl<'a, C: ConnectionTrait> Writes<'a, C> {
    fn new(
        env: RuleEnv<'a, C>,
        writer: &'a dyn ItemWriter,
        data_source_id: i32,
        rule: &Rule,
    ) -> Self {
        Writes {
            env,
            writer,
            data_source_id,
            key_prefix: rule.id.clone(),
            label_prefix: rule.name.clone(),
            n: 0,
            log: WriteLog::default(),
        }
    }

    /// A write under the next key of the rule.
    async fn rule_write(&mut self, label: String, op: Op) -> Step<Done> {
        let key = format!("{}:{}", self.key_prefix, self.n);
        self.n += 1;
        let label = format!("{}: {label}", self.label_prefix);
        self.write(&key, &label, op).await
    }

    /// Does `op` once across attempts of a job: a finished write is reused, a begun one is looked
    /// for in the data source before it is written again.
    async fn write(&mut self, key: &str, label: &str, op: Op) -> Step<Done> {
        let ledger = self.env.ledger;
        if let Some(ledger) = ledger {
            match decide(ledger.recall(key).await?) {
                Decision::Reuse(done) => return Ok(Ok(self.logged(&op, done))),
                Decision::Check => match self.written(&op).await {
                    Ok(Some(done)) => {
                        ledger.finish(key, &to_json(&done)).await?;
                        return Ok(Ok(self.logged(&op, done)));
                    }
                    Ok(None) => {}
                    Err(e) => return self.failed(key, e).await,
                },
                Decision::Write => {}
            }
            ledger.begin(key, label, &op.intent()).await?;
        }
        match self.perform(&op).await {
            Ok(done) => {
                if let Some(ledger) = ledger {
                    ledger.finish(key, &to_json(&done)).await?;
                }
                if let (Op::File { .. }, Some(e)) = (&op, &done.entry) {
                    self.log.bytes_written += e.size.unwrap_or(0);
                }
                Ok(Ok(self.logged(&op, done)))
            }
            Err(e) => self.failed(key, e).await,
        }
    }

    fn logged(&mut self, op: &Op, done: Done) -> Done {
        if let Some(e) = &done.entry {
            self.log.paths.push(format!("/{}", e.path));
        } else if let Op::Delete { path, .. } = op {
            self.log.paths.push(format!("/{path}"));
        }
        self.log.entries_deleted += done.entries;
        done
    }

    async fn failed<T>(&self, key: &str, e: WriteError) -> Step<T> {
        if let Some(ledger) = self.env.ledger {
            if let Some(retry) = e.retry_later() {
                return Err(RulesError::RetryLater(retry));
            }
            ledger.fail(key, &e.to_string()).await?;
        }
        Ok(Err(e))
    }

    /// In a job: where item `id` was when an earlier attempt began moving it as the rule's next
    /// write without finishing (the move may have landed).
    async fn began_moving(&self, id: &str) -> Result<Option<String>, RulesError> {
        let Some(ledger) = self.env.ledger else {
            return Ok(None);
        };
        let key = format!("{}:{}", self.key_prefix, self.n);
        Ok(match ledger.recall(&key).await? {
            Some(LedgerEntry::Started { intent })
                if intent["op"] == "move" && intent["id"] == id =>
            {
                intent["from"].as_str().map(str::to_owned)
            }
            _ => None,
        })
    }

    /// In a job: what an earlier attempt recorded doing to the item at `at` (a path or an id),
    /// looking through this rule's keys.
    async fn recorded(&self, at: &str) -> Result<Option<Recorded>, RulesError> {
        let Some(ledger) = self.env.ledger else {
            return Ok(None);
        };
        for n in 0..MAX_RULE_KEYS {
            match ledger.recall(&format!("{}:{n}", self.key_prefix)).await? {
                None => break,
                Some(entry) => {
                    if let Some(found) = recorded_for(&entry, at) {
                        return Ok(Some(found));
                    }
                }
            }
        }
        Ok(None)
    }

    async fn perform(&self, op: &Op) -> Result<Done, WriteError> {
        let (w, ds) = (self.writer, self.data_source_id);
        Ok(match op {
            Op::Folder { path, on_conflict } => Done {
                entry: Some(w.create_folder(ds, path, *on_conflict).await?),
                ..Done::default()
            },
            Op::File {
                path,
                content,
                mode,
            } => Done {
                entry: Some(w.write_file(ds, path, content, mode).await?),
                ..Done::default()
            },
            Op::Relocate {
                from,
                to,
                autorename,
                ..
            } => Done {
                entry: Some(w.relocate(ds, from, to, *autorename).await?),
                entries: 0,
                from: Some(from.clone()),
            },
            Op::Delete { path, rev } => {
                let deleted = w.delete(ds, path, rev.as_deref()).await?;
                Done {
                    entry: Some(deleted.entry),
                    entries: deleted.entries,
                    from: Some(path.clone()),
                }
            }
        })
    }

    /// What an earlier, unfinished attempt of `op` left in the data source, if it got through.
    async fn written(&self, op: &Op) -> Result<Option<Done>, WriteError> {
        let (w, ds) = (self.writer, self.data_source_id);
        let found = match op {
            Op::Folder { path, .. } => w
                .lookup(ds, Locator::Path(path))
                .await?
                .filter(|e| e.is_folder),
            Op::File {
                path,
                content,
                mode,
            } => {
                let hash = w.content_hash(content).await?;
                w.find_written(ds, path, &hash, *mode == FileMode::Autorename)
                    .await?
            }
            Op::Relocate { from, id, .. } => w
                .lookup(ds, Locator::Id(id))
                .await?
                .filter(|e| !e.path.eq_ignore_ascii_case(from)),
            Op::Delete { path, .. } => {
                return Ok(match w.lookup(ds, Locator::Path(path)).await? {
                    None => Some(Done {
                        from: Some(path.clone()),
                        ..Done::default()
                    }),
                    Some(_) => None,
                });
            }
        };
        let from = match op {
            Op::Relocate { from, .. } => Some(from.clone()),
            _ => None,
        };
        Ok(found.map(|entry| Done {
            entry: Some(entry),
            entries: 0,
            from,
        }))
    }
}

fn to_json(done: &Done) -> serde_json::Value {
    // Plain data; serializing cannot fail.
    serde_json::to_value(done).unwrap_or_default()
}

/// How a write rule ended before its reactions.
enum WriteEnd {
    /// The item the result mappings read (the first written), if any.
    Done(Option<Entry>),
    Refused(String),
    Failed(String),
}

impl WriteEnd {
    fn of(e: WriteError) -> Result<WriteEnd, RulesError> {
        let refused = e.is_refusal();
        let sentence = e.into_rules()?;
        Ok(if refused {
            WriteEnd::Refused(sentence)
        } else {
            WriteEnd::Failed(sentence)
        })
    }
}

/// Unwraps a step inside a function answering `Result<WriteEnd, RulesError>`.
macro_rules! step {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(e) => return WriteEnd::of(e),
        }
    };
}

// After `step!`: macros are in scope only for the modules declared below them.
mod kinds;
mod save;

/// The writer, when the person may write to the data source now; else how the rule ends.
async fn writer_for<'a, C: ConnectionTrait>(
    env: RuleEnv<'a, C>,
    person: &AuthenticatedUser,
    data_source_id: i32,
) -> Result<Result<&'a dyn ItemWriter, WriteEnd>, RulesError> {
    let Some(writer) = env.writer else {
        return Ok(Err(WriteEnd::Failed(
            "This rule writes to a data source, which rules cannot do at this point. Ask the form's designer to run it on a button, a change or after submit."
                .to_owned(),
        )));
    };
    Ok(
        match allowed(env.db, person, data_source_id, Action::WriteFiles).await? {
            Ok(()) => Ok(writer),
            Err(sentence) => Err(WriteEnd::Refused(sentence)),
        },
    )
}

/// The reactions: result mappings from the item and On success, or On error with the sentence.
#[allow(clippy::too_many_arguments)]
fn ended(
    form: RuleForm<'_>,
    rule: &Rule,
    result: &[ResultMapping],
    on_success: &Reaction,
    on_error_reaction: &Reaction,
    end: WriteEnd,
    ctx: &RuleContext<'_>,
    inputs: serde_json::Value,
) -> RuleResult {
    let definition = form.definition;
    let (outcome, sentence) = match end {
        WriteEnd::Done(entry) => {
            let mut effect = Effect::default();
            let mut failed = None;
            if let Some(entry) = &entry {
                let f = facts(entry, None);
                for m in result {
                    let value = field_named(definition, &m.field)
                        .ok_or_else(|| format!("“{}” is not a field of this form.", m.field))
                        .and_then(|field| {
                            converted(field, m.parameter.value_of(&f))
                                .map(|v| (field.name.clone(), v))
                        });
                    match value {
                        Ok((name, v)) => {
                            effect.changes.insert(name, v);
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
            }
            let reacted =
                failed.map_or_else(|| assigned(definition, &on_success.assignments, ctx), Err);
            match reacted {
                Ok(changes) => {
                    effect.changes.extend(changes);
                    effect.say(rule, MessageLevel::Info, render(&on_success.message, ctx));
                    return RuleResult::ok(effect, inputs);
                }
                Err(sentence) => (RunOutcome::Error, sentence),
            }
        }
        WriteEnd::Refused(sentence) => (RunOutcome::Refused, sentence),
        WriteEnd::Failed(sentence) => (RunOutcome::Error, sentence),
    };
    RuleResult {
        effect: on_error(definition, rule, on_error_reaction, ctx, &sentence),
        outcome,
        message: sentence,
        inputs,
    }
}

/// The form's value of `field` (names ignore case), with the field's title for sentences.
fn value_and_title<'v>(
    form: RuleForm<'_>,
    ctx: &'v RuleContext<'_>,
    field: &str,
) -> (Option<&'v FieldValue>, String) {
    let title =
        field_named(form.definition, field).map_or_else(|| field.to_owned(), |f| f.title.clone());
    let value = ctx
        .values
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .map(|(_, v)| v);
    (value, title)
}

/// The files chosen in List field `field`, each of the field's data source and inside its folder:
/// a browser cannot name a file the field does not offer. `Err` is the refusal.
fn chosen_files(
    form: RuleForm<'_>,
    ctx: &RuleContext<'_>,
    field: &str,
) -> Result<Vec<FileChoice>, String> {
    let (value, title) = value_and_title(form, ctx, field);
    let chosen = match value {
        Some(FieldValue::Files(files)) => files.clone(),
        _ => return Ok(Vec::new()),
    };
    let list = field_named(form.definition, field).and_then(|f| match &f.kind {
        FieldKind::List(l) => match &l.source {
            ListSource::DataSource(list) => Some(list),
            _ => None,
        },
        _ => None,
    });
    let Some(list) = list else {
        return Err(format!(
            "“{title}” is not a List field of files of a data source."
        ));
    };
    if chosen
        .iter()
        .any(|c| c.data_source_id != list.data_source_id || !in_field_folder(list, &c.path))
    {
        return Err(format!(
            "A file chosen in “{title}” is not one of the files it offers."
        ));
    }
    Ok(chosen)
}

/// A name rendered from a template: one path segment, or the sentence refusing it.
fn checked_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.contains('/') || name.contains('\\') {
        return Err(format!(
            "The name “{name}” contains a slash: a name cannot reach into other folders."
        ));
    }
    if name == "." || name == ".." {
        return Err(crate::confine::PathRefused::Traversal.to_string());
    }
    Ok(name.to_owned())
}

/// The files a content of uploads or copies writes, each with its original name.
async fn sources<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    ctx: &RuleContext<'_>,
    content: &ItemContent,
) -> Result<Result<Vec<(String, Content)>, WriteEnd>, RulesError> {
    match content {
        ItemContent::Uploads { field } => {
            let (value, title) = value_and_title(form, ctx, field);
            let Some(value) = value else {
                return Ok(Ok(Vec::new()));
            };
            let name = field_named(form.definition, field).map_or(field.as_str(), |f| &f.name);
            match uploads::usable(env.db, person, form.id, name, value).await {
                Ok(staged) => Ok(Ok(staged
                    .into_iter()
                    .map(|s| (s.name.clone(), Content::Upload(s)))
                    .collect())),
                Err(UploadError::Database(e)) => Err(RulesError::Database(e)),
                Err(e) => Ok(Err(WriteEnd::Failed(format!("{title}: {e}")))),
            }
        }
        ItemContent::Copy { field } => {
            let chosen = match chosen_files(form, ctx, field) {
                Ok(chosen) => chosen,
                Err(sentence) => return Ok(Err(WriteEnd::Refused(sentence))),
            };
            for c in &chosen {
                // A copy reads the chosen file: the person must still be allowed its data source.
                if let Err(sentence) =
                    allowed(env.db, person, c.data_source_id, Action::UseDataSource).await?
                {
                    return Ok(Err(WriteEnd::Refused(sentence)));
                }
            }
            Ok(Ok(chosen
                .into_iter()
                .map(|c| (c.name.clone(), Content::Copy(c)))
                .collect()))
        }
        _ => Ok(Ok(Vec::new())),
    }
}

/// A job's ledger in memory, for tests that run rules as a job would.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, Default)]
pub struct MemoryLedger(std::sync::Mutex<BTreeMap<String, LedgerEntry>>);

#[cfg(any(test, feature = "testing"))]
impl MemoryLedger {
    /// What is recorded under `key` now.
    pub fn entry(&self, key: &str) -> Option<LedgerEntry> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &str, entry: LedgerEntry) {
        if let Ok(mut entries) = self.0.lock() {
            entries.insert(key.to_owned(), entry);
        }
    }
}

#[cfg(any(test, feature = "testing"))]
#[async_trait::async_trait]
impl WriteLedger for MemoryLedger {
    async fn recall(&self, key: &str) -> Result<Option<LedgerEntry>, sea_orm::DbErr> {
        Ok(self.entry(key))
    }
    async fn begin(
        &self,
        key: &str,
        _label: &str,
        intent: &serde_json::Value,
    ) -> Result<(), sea_orm::DbErr> {
        self.put(
            key,
            LedgerEntry::Started {
                intent: intent.clone(),
            },
        );
        Ok(())
    }
    async fn finish(&self, key: &str, result: &serde_json::Value) -> Result<(), sea_orm::DbErr> {
        self.put(
            key,
            LedgerEntry::Done {
                result: result.clone(),
            },
        );
        Ok(())
    }
    async fn fail(&self, key: &str, message: &str) -> Result<(), sea_orm::DbErr> {
        self.put(
            key,
            LedgerEntry::Failed {
                message: message.to_owned(),
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::kinds::part;
    use super::*;

    #[test]
    fn the_ledger_decides_between_reusing_checking_and_writing() {
        let done = Done {
            entry: None,
            entries: 3,
            from: None,
        };
        assert_eq!(
            decide(Some(LedgerEntry::Done {
                result: to_json(&done)
            })),
            Decision::Reuse(done)
        );
        assert_eq!(
            decide(Some(LedgerEntry::Done {
                result: serde_json::json!("garbled")
            })),
            Decision::Check,
            "an unreadable result is looked for, never written twice"
        );
        assert_eq!(
            decide(Some(LedgerEntry::Started {
                intent: serde_json::json!({})
            })),
            Decision::Check
        );
        assert_eq!(
            decide(Some(LedgerEntry::Failed {
                message: "x".into()
            })),
            Decision::Write
        );
        assert_eq!(decide(None), Decision::Write);
    }

    fn entry(path: &str, id: &str) -> Entry {
        Entry {
            name: path.rsplit('/').next().unwrap_or_default().into(),
            path: path.into(),
            is_folder: false,
            id: id.into(),
            size: Some(1),
            modified: None,
            rev: Some("1".into()),
            content_hash: None,
        }
    }

    #[test]
    fn an_item_gone_from_where_the_rule_says_is_recognised_as_moved_or_deleted_by_an_earlier_attempt()
     {
        let move_intent = Op::Relocate {
            from: "In/a.pdf".into(),
            to: "Done/a.pdf".into(),
            id: "id:a".into(),
            autorename: false,
        }
        .intent();
        let started = LedgerEntry::Started {
            intent: move_intent,
        };
        assert_eq!(
            recorded_for(&started, "/in/A.pdf"),
            Some(Recorded::Moved("id:a".into()))
        );
        assert_eq!(recorded_for(&started, "In/b.pdf"), None);
        let moved = LedgerEntry::Done {
            result: to_json(&Done {
                entry: Some(entry("Done/a.pdf", "id:a")),
                entries: 0,
                from: Some("In/a.pdf".into()),
            }),
        };
        assert_eq!(
            recorded_for(&moved, "In/a.pdf"),
            Some(Recorded::Moved("id:a".into()))
        );
        let deleted = LedgerEntry::Done {
            result: to_json(&Done {
                entry: Some(entry("Old/x.txt", "id:x")),
                entries: 1,
                from: Some("Old/x.txt".into()),
            }),
        };
        assert_eq!(recorded_for(&deleted, "id:x"), Some(Recorded::Deleted));
        let delete_begun = LedgerEntry::Started {
            intent: Op::Delete {
                path: "Old/y.txt".into(),
                rev: None,
            }
            .intent(),
        };
        assert_eq!(
            recorded_for(&delete_begun, "Old/y.txt"),
            Some(Recorded::Deleted)
        );
        let failed = LedgerEntry::Failed {
            message: "x".into(),
        };
        assert_eq!(recorded_for(&failed, "Old/y.txt"), None);
    }

    #[test]
    fn transient_failures_retry_later_with_dropboxs_wait() {
        let limited = WriteError::from(dropbox::DropboxError::RateLimited {
            retry_after: Duration::from_secs(7),
        });
        assert_eq!(
            limited.retry_later().and_then(|r| r.retry_after),
            Some(Duration::from_secs(7))
        );
        let down = WriteError::from(dropbox::DropboxError::Transient {
            attempts: 3,
            detail: "503".into(),
        });
        assert!(down.retry_later().is_some_and(|r| r.retry_after.is_none()));
        assert!(WriteError::Changed.retry_later().is_none());
        assert!(WriteError::Taken("a".into()).retry_later().is_none());
    }

    #[test]
    fn blank_parts_are_kept_only_with_ignore_blank() {
        let values = BTreeMap::from([("Customer".to_owned(), FieldValue::Text(String::new()))]);
        let ctx = RuleContext {
            values: &values,
            today: wharf_types::rules::Day::from_ymd(2026, 12, 6),
            now: String::new(),
            user_name: String::new(),
            user_email: String::new(),
        };
        assert_eq!(part("", false, &ctx), None, "no template: unchanged");
        assert_eq!(part("{Customer}", true, &ctx), None);
        assert_eq!(part("{Customer}", false, &ctx), Some(String::new()));
        assert_eq!(part("x{Customer}", true, &ctx), Some("x".into()));
    }

    #[test]
    fn names_cannot_reach_into_other_folders() {
        assert!(checked_name("a/b.pdf").is_err());
        assert!(checked_name("..").is_err());
        assert_eq!(
            checked_name(" Invoice.pdf ").ok().as_deref(),
            Some("Invoice.pdf")
        );
    }
}
