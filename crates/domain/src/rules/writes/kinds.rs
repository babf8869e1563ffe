//! The three write kinds as the runner runs them: Create item, Update item, Delete item — each
//! resolving what to write from its templates and the form's values, then writing through
//! [`Writes`] (the ledger-aware executor of the parent module).
use super::*;

/// Rendered content of a Text, CSV or JSON kind, and the extension a name without one gets.
fn rendered(
    form: RuleForm<'_>,
    ctx: &RuleContext<'_>,
    content: &ItemContent,
) -> Option<Result<(String, &'static str), String>> {
    match content {
        ItemContent::Text { template } => Some(Ok((render(template, ctx), ".txt"))),
        ItemContent::Csv { fields } => Some(csv(form.definition, fields, ctx).map(|t| (t, ".csv"))),
        ItemContent::Json { fields } => {
            Some(json_object(form.definition, fields, ctx).map(|t| (t, ".json")))
        }
        _ => None,
    }
}

fn templates_of(content: Option<&ItemContent>) -> Vec<Operand> {
    match content {
        Some(ItemContent::Text { template }) => vec![Operand::Template(template.clone())],
        _ => Vec::new(),
    }
}

/// Create item.
pub(in crate::rules) async fn create_item<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    rule: &Rule,
    create: &CreateItem,
    ctx: &RuleContext<'_>,
) -> Result<RuleResult, RulesError> {
    let folder = render(&create.folder, ctx);
    let name = render(&create.name, ctx);
    let mut operands = vec![
        Operand::Template(create.folder.clone()),
        Operand::Template(create.name.clone()),
    ];
    operands.extend(templates_of(Some(&create.content)));
    let mut log = WriteLog::default();
    let end = match writer_for(env, person, create.data_source_id).await? {
        Err(end) => end,
        Ok(writer) => {
            let mut writes = Writes::new(env, writer, create.data_source_id, rule);
            let end = create_writes(&mut writes, person, form, create, ctx, &folder, &name).await?;
            log = writes.log;
            end
        }
    };
    let inputs = serde_json::json!({
        "folder": folder,
        "name": name,
        "content": create.content.label(),
        "on_conflict": create.on_conflict.label(),
        "paths": log.paths,
        "bytes_written": log.bytes_written,
        "fields": fields_read(ctx, &operands),
    });
    Ok(ended(
        form,
        rule,
        &create.result,
        &create.on_success,
        &create.on_error,
        end,
        ctx,
        inputs,
    ))
}

async fn create_writes<C: ConnectionTrait>(
    writes: &mut Writes<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    create: &CreateItem,
    ctx: &RuleContext<'_>,
    folder: &str,
    name: &str,
) -> Result<WriteEnd, RulesError> {
    let name = match checked_name(name) {
        Ok(n) => n,
        Err(sentence) => return Ok(WriteEnd::Refused(sentence)),
    };
    let needs_name = || {
        WriteEnd::Failed(format!(
            "The name of the item to create is blank ({} needs one).",
            create.content.label().to_lowercase()
        ))
    };
    match &create.content {
        ItemContent::Folder => {
            if name.is_empty() {
                return Ok(needs_name());
            }
            let path = content::join(folder, &name);
            let done = step!(
                writes
                    .rule_write(
                        format!("create folder /{path}"),
                        Op::Folder {
                            path: path.clone(),
                            on_conflict: create.on_conflict,
                        },
                    )
                    .await
            );
            Ok(WriteEnd::Done(done.entry))
        }
        ItemContent::Uploads { .. } | ItemContent::Copy { .. } => {
            let files = match sources(writes.env, person, form, ctx, &create.content).await? {
                Ok(files) => files,
                Err(end) => return Ok(end),
            };
            // One item per file: none uploaded or chosen, none created (a condition can make
            // that an error when the designer wants one).
            let mut first = None;
            for (original, content) in files {
                let file_name = if name.is_empty() {
                    original.clone()
                } else {
                    content::with_extension(&name, content::extension_of(&original))
                };
                let path = content::join(folder, &file_name);
                let done = step!(
                    writes
                        .rule_write(
                            format!("write /{path}"),
                            Op::File {
                                path,
                                content,
                                mode: FileMode::of(create.on_conflict),
                            },
                        )
                        .await
                );
                first = first.or(done.entry);
            }
            Ok(WriteEnd::Done(first))
        }
        other => {
            let Some(rendered) = rendered(form, ctx, other) else {
                return Ok(WriteEnd::Failed(
                    "This content cannot be written.".to_owned(),
                ));
            };
            let (text, extension) = match rendered {
                Ok(r) => r,
                Err(sentence) => return Ok(WriteEnd::Failed(sentence)),
            };
            if name.is_empty() {
                return Ok(needs_name());
            }
            let path = content::join(folder, &content::with_extension(&name, extension));
            let done = step!(
                writes
                    .rule_write(
                        format!("write /{path}"),
                        Op::File {
                            path,
                            content: Content::Bytes(Bytes::from(text)),
                            mode: FileMode::of(create.on_conflict),
                        },
                    )
                    .await
            );
            Ok(WriteEnd::Done(done.entry))
        }
    }
}

/// An item an Update or Delete rule acts on, found in the data source.
struct Target {
    entry: Entry,
    /// The rev the person saw, for a chosen file.
    chosen_rev: Option<String>,
}

/// The items `target` names, looked up now; a blank or missing one ends the rule. A chosen file is
/// looked up by its id (it is the same file wherever it went). In a job, an item an earlier attempt
/// deleted is `Err(where it was)`, and one it moved is found where it went.
async fn targets<C: ConnectionTrait>(
    writes: &Writes<'_, C>,
    form: RuleForm<'_>,
    ctx: &RuleContext<'_>,
    target: &ItemRef,
) -> Result<Result<Vec<Result<Target, String>>, WriteEnd>, RulesError> {
    let ds = writes.data_source_id;
    let mut wanted: Vec<(String, Option<&str>, Option<String>)> = Vec::new();
    match target {
        ItemRef::Chosen { field } => {
            let (_, title) = value_and_title(form, ctx, field);
            let chosen = match chosen_files(form, ctx, field) {
                Ok(chosen) if chosen.is_empty() => {
                    return Ok(Err(WriteEnd::Failed(format!(
                        "Nothing is chosen in “{title}”."
                    ))));
                }
                Ok(chosen) => chosen,
                Err(sentence) => return Ok(Err(WriteEnd::Refused(sentence))),
            };
            for c in &chosen {
                if c.data_source_id != ds {
                    return Ok(Err(WriteEnd::Refused(format!(
                        "The file chosen in “{title}” belongs to another data source than this rule's."
                    ))));
                }
                if c.id.starts_with("id:") {
                    wanted.push((c.id.clone(), Some("id"), c.rev.clone()));
                } else {
                    wanted.push((c.path.clone(), None, c.rev.clone()));
                }
            }
        }
        ItemRef::Path { path } => {
            let path = render(path, ctx);
            if path.trim().trim_matches('/').is_empty() {
                return Ok(Err(WriteEnd::Failed(
                    "The path of the item renders blank.".to_owned(),
                )));
            }
            wanted.push((path, None, None));
        }
        ItemRef::Id { id } => {
            let id = render(id, ctx);
            if id.trim().is_empty() {
                return Ok(Err(WriteEnd::Failed(
                    "The id of the item renders blank.".to_owned(),
                )));
            }
            wanted.push((id.trim().to_owned(), Some("id"), None));
        }
    }
    let mut found = Vec::new();
    for (at, by_id, chosen_rev) in wanted {
        let locator = if by_id.is_some() {
            Locator::Id(&at)
        } else {
            Locator::Path(&at)
        };
        let looked = match writes.writer.lookup(ds, locator).await {
            Ok(None) => match writes.recorded(&at).await? {
                Some(Recorded::Deleted) => {
                    found.push(Err(at));
                    continue;
                }
                // Its rev changed with our own write: nothing to compare any more.
                Some(Recorded::Moved(id)) => writes
                    .writer
                    .lookup(ds, Locator::Id(&id))
                    .await
                    .map(|e| e.map(|entry| (entry, None))),
                None => Ok(None),
            },
            other => other.map(|e| e.map(|entry| (entry, chosen_rev))),
        };
        match looked {
            Ok(Some((entry, chosen_rev))) => found.push(Ok(Target { entry, chosen_rev })),
            Ok(None) => return Ok(Err(WriteEnd::of(WriteError::Missing(at))?)),
            Err(e) => return ended_by(writes, e).map(Err),
        }
    }
    Ok(Ok(found))
}

/// How a rule ends on a failed look-up: in a job, a transient failure is tried again later.
fn ended_by<C: ConnectionTrait>(
    writes: &Writes<'_, C>,
    e: WriteError,
) -> Result<WriteEnd, RulesError> {
    if let (Some(_), Some(retry)) = (writes.env.ledger, e.retry_later()) {
        return Err(RulesError::RetryLater(retry));
    }
    WriteEnd::of(e)
}

/// Whether a chosen file changed since the person chose it.
fn changed(check_rev: bool, t: &Target) -> bool {
    check_rev && !t.entry.is_folder && t.chosen_rev.is_some() && t.entry.rev != t.chosen_rev
}

/// A template's rendering, `None` meaning "leave as it is": blank template, or blank rendering
/// with Ignore blank. Blank rendering without it is `Some("")`.
pub(super) fn part(template: &str, ignore_blank: bool, ctx: &RuleContext<'_>) -> Option<String> {
    if template.trim().is_empty() {
        return None;
    }
    let text = render(template, ctx);
    (!(text.trim().is_empty() && ignore_blank)).then_some(text)
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// Update item.
pub(in crate::rules) async fn update_item<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    rule: &Rule,
    update: &UpdateItem,
    ctx: &RuleContext<'_>,
) -> Result<RuleResult, RulesError> {
    let mut operands = vec![
        Operand::Template(update.rename.clone()),
        Operand::Template(update.move_to.clone()),
    ];
    operands.extend(templates_of(update.content.as_ref()));
    let mut log = WriteLog::default();
    let end = match writer_for(env, person, update.data_source_id).await? {
        Err(end) => end,
        Ok(writer) => {
            let mut writes = Writes::new(env, writer, update.data_source_id, rule);
            let end = update_writes(&mut writes, person, form, update, ctx).await?;
            log = writes.log;
            end
        }
    };
    let inputs = serde_json::json!({
        "rename": render(&update.rename, ctx),
        "move_to": render(&update.move_to, ctx),
        "content": update.content.as_ref().map(ItemContent::label),
        "on_conflict": update.on_conflict.label(),
        "paths": log.paths,
        "bytes_written": log.bytes_written,
        "fields": fields_read(ctx, &operands),
    });
    Ok(ended(
        form,
        rule,
        &update.result,
        &update.on_success,
        &update.on_error,
        end,
        ctx,
        inputs,
    ))
}

async fn update_writes<C: ConnectionTrait>(
    writes: &mut Writes<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    update: &UpdateItem,
    ctx: &RuleContext<'_>,
) -> Result<WriteEnd, RulesError> {
    let ds = writes.data_source_id;
    let found = match targets(writes, form, ctx, &update.target).await? {
        Ok(found) => found,
        Err(end) => return Ok(end),
    };
    let found: Vec<Target> = found.into_iter().flatten().collect();
    if found.iter().any(|t| changed(update.check_rev, t)) {
        return Ok(WriteEnd::Failed(WriteError::Changed.to_string()));
    }
    // The new content, once for every target.
    let content = match &update.content {
        None => None,
        Some(ItemContent::Folder) => {
            return Ok(WriteEnd::Failed(
                "A folder is not content: choose what the file should hold.".to_owned(),
            ));
        }
        Some(c @ (ItemContent::Uploads { .. } | ItemContent::Copy { .. })) => {
            match sources(writes.env, person, form, ctx, c).await? {
                Err(end) => return Ok(end),
                Ok(files) => match files.into_iter().next() {
                    Some((_, content)) => Some(content),
                    None if update.ignore_blank => None,
                    None => {
                        let (_, title) =
                            value_and_title(form, ctx, c.source_field().unwrap_or_default());
                        return Ok(WriteEnd::Failed(format!(
                            "“{title}” holds no file to write."
                        )));
                    }
                },
            }
        }
        Some(other) => match rendered(form, ctx, other) {
            Some(Ok((text, _))) if text.trim().is_empty() && update.ignore_blank => None,
            Some(Ok((text, _))) => Some(Content::Bytes(Bytes::from(text))),
            Some(Err(sentence)) => return Ok(WriteEnd::Failed(sentence)),
            None => None,
        },
    };
    let rename = part(&update.rename, update.ignore_blank, ctx);
    let move_to = part(&update.move_to, update.ignore_blank, ctx);
    if rename.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Ok(WriteEnd::Failed("The new name renders blank.".to_owned()));
    }
    if move_to.as_deref().is_some_and(|f| f.trim().is_empty()) {
        return Ok(WriteEnd::Failed(
            "The folder to move to renders blank.".to_owned(),
        ));
    }
    let rename = match rename.as_deref().map(checked_name).transpose() {
        Ok(r) => r,
        Err(sentence) => return Ok(WriteEnd::Refused(sentence)),
    };
    // Everything that can be known before writing is checked before the first write: a folder
    // given content or a new name already taken must not leave an earlier file (or this one's
    // content) changed and the rest not.
    let autorename = update.on_conflict == OnConflict::Autorename;
    let mut planned: Vec<(Target, String)> = Vec::with_capacity(found.len());
    for t in found {
        if content.is_some() && t.entry.is_folder {
            return Ok(WriteEnd::Failed(format!(
                "“/{}” is a folder: only a file's content can be replaced.",
                t.entry.path
            )));
        }
        let name = rename.clone().unwrap_or_else(|| t.entry.name.clone());
        let folder = move_to.as_deref().map_or_else(
            || parent_of(&t.entry.path).to_owned(),
            |f| f.trim().trim_matches('/').to_owned(),
        );
        let to = content::join(&folder, &name);
        if !autorename && !same_path(&to, &t.entry.path) {
            if planned.iter().any(|(_, other)| same_path(other, &to)) {
                return Ok(WriteEnd::Failed(format!(
                    "More than one chosen file would become “{to}”: give each its own name, \
                     or choose Add a number when the name exists."
                )));
            }
            match writes.writer.lookup(ds, Locator::Path(&to)).await {
                Ok(Some(e)) if e.id != t.entry.id => return WriteEnd::of(WriteError::Taken(to)),
                Ok(_) => {}
                Err(e) => return ended_by(writes, e),
            }
        }
        planned.push((t, to));
    }
    let mut first = None;
    for (t, to) in planned {
        let mut entry = t.entry;
        if let Some(content) = &content {
            // The rev the person saw (or, unchecked, the one just looked up) guards the write.
            let mode = match (&t.chosen_rev, &entry.rev) {
                (Some(rev), _) if update.check_rev => FileMode::Update(rev.clone()),
                _ => FileMode::Overwrite,
            };
            let done = step!(
                writes
                    .rule_write(
                        format!("replace the content of /{}", entry.path),
                        Op::File {
                            path: entry.path.clone(),
                            content: content.clone(),
                            mode,
                        },
                    )
                    .await
            );
            entry = done.entry.unwrap_or(entry);
        }
        // Also when an earlier attempt began this move (it may have landed where `to` says): the
        // ledger settles it from where the item was then.
        let begun = writes.began_moving(&entry.id).await?;
        if to != entry.path || begun.is_some() {
            let from = begun.unwrap_or_else(|| entry.path.clone());
            let done = step!(
                writes
                    .rule_write(
                        format!("move /{from} to /{to}"),
                        Op::Relocate {
                            from,
                            to,
                            id: entry.id.clone(),
                            autorename,
                        },
                    )
                    .await
            );
            entry = done.entry.unwrap_or(entry);
        }
        first = first.or(Some(entry));
    }
    Ok(WriteEnd::Done(first))
}

/// Delete item.
pub(in crate::rules) async fn delete_item<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    rule: &Rule,
    delete: &DeleteItem,
    ctx: &RuleContext<'_>,
) -> Result<RuleResult, RulesError> {
    let mut log = WriteLog::default();
    let end = match writer_for(env, person, delete.data_source_id).await? {
        Err(end) => end,
        Ok(writer) => {
            let mut writes = Writes::new(env, writer, delete.data_source_id, rule);
            let end = delete_writes(&mut writes, form, delete, ctx).await?;
            log = writes.log;
            end
        }
    };
    let operands: Vec<Operand> = match &delete.target {
        ItemRef::Path { path } => vec![Operand::Template(path.clone())],
        ItemRef::Id { id } => vec![Operand::Template(id.clone())],
        ItemRef::Chosen { field } => vec![Operand::Field(field.clone())],
    };
    let inputs = serde_json::json!({
        "paths": log.paths,
        "entries_deleted": log.entries_deleted,
        "fields": fields_read(ctx, &operands),
    });
    Ok(ended(
        form,
        rule,
        &[],
        &delete.on_success,
        &delete.on_error,
        end,
        ctx,
        inputs,
    ))
}

async fn delete_writes<C: ConnectionTrait>(
    writes: &mut Writes<'_, C>,
    form: RuleForm<'_>,
    delete: &DeleteItem,
    ctx: &RuleContext<'_>,
) -> Result<WriteEnd, RulesError> {
    let found = match targets(writes, form, ctx, &delete.target).await? {
        Ok(found) => found,
        Err(end) => return Ok(end),
    };
    if found.iter().flatten().any(|t| changed(delete.check_rev, t)) {
        return Ok(WriteEnd::Failed(WriteError::Changed.to_string()));
    }
    for t in found {
        let t = match t {
            Ok(t) => t,
            Err(path) => {
                // Deleted by an earlier attempt: the ledger finishes its key without a call.
                step!(
                    writes
                        .rule_write(format!("delete /{path}"), Op::Delete { path, rev: None })
                        .await
                );
                continue;
            }
        };
        let rev = (delete.check_rev && !t.entry.is_folder)
            .then(|| t.chosen_rev.clone())
            .flatten();
        step!(
            writes
                .rule_write(
                    format!("delete /{}", t.entry.path),
                    Op::Delete {
                        path: t.entry.path.clone(),
                        rev,
                    },
                )
                .await
        );
    }
    Ok(WriteEnd::Done(None))
}
