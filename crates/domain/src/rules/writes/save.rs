//! Saving File upload fields into data sources, after a submission is stored (run by its job).
use super::*;

/// Saves the files of `form`'s File upload fields whose Save location is a data source (in the
/// values as a submission stores them: `FieldValue::Uploads`), each under its ledger key
/// `save:{field}:{upload id}`, and records where each went (`UploadedFile::saved`) in `values`.
/// The person needs `WriteFiles` on the data source. The staged bytes stay in Wharf (the
/// submission's download link keeps working). A refusal or a failed save is an `Err` with the
/// sentence (`RulesError::Refused`); one a later attempt may pass is `RetryLater` in a job.
pub async fn save_uploads<C: ConnectionTrait>(
    env: RuleEnv<'_, C>,
    person: &AuthenticatedUser,
    form: RuleForm<'_>,
    values: &mut BTreeMap<String, FieldValue>,
) -> Result<(), RulesError> {
    let (today, now) = crate::rules::today_and_now();
    for field in &form.definition.fields {
        let FieldKind::FileUpload(upload) = &field.kind else {
            continue;
        };
        let SaveLocation::DataSource(save) = &upload.save_to else {
            continue;
        };
        let files = match values.get(&field.name) {
            Some(FieldValue::Uploads(files)) => files.clone(),
            _ => continue,
        };
        if files.iter().all(|f| f.saved.is_some()) {
            continue;
        }
        let writer = match writer_for(env, person, save.data_source_id).await? {
            Ok(writer) => writer,
            Err(WriteEnd::Refused(s) | WriteEnd::Failed(s)) => return Err(RulesError::Refused(s)),
            Err(WriteEnd::Done(_)) => continue,
        };
        let snapshot = values.clone();
        let ctx = RuleContext {
            values: &snapshot,
            today,
            now: now.clone(),
            user_name: person.display_name.clone(),
            user_email: person.email.clone().unwrap_or_default(),
        };
        let folder = render(&save.folder, &ctx);
        let mut writes = Writes {
            env,
            writer,
            data_source_id: save.data_source_id,
            key_prefix: String::new(),
            label_prefix: String::new(),
            n: 0,
            log: WriteLog::default(),
        };
        let mut saved_files: Vec<UploadedFile> = Vec::with_capacity(files.len());
        for file in files {
            if file.saved.is_some() {
                saved_files.push(file);
                continue;
            }
            let staged = uploads::usable(
                env.db,
                person,
                form.id,
                &field.name,
                &FieldValue::Uploads(vec![file.clone()]),
            )
            .await
            .map_err(|e| match e {
                UploadError::Database(e) => RulesError::Database(e),
                other => RulesError::Refused(format!("{}: {other}", field.title)),
            })?;
            let Some(staged) = staged.into_iter().next() else {
                continue;
            };
            let name = match &save.name {
                UploadName::Original => file.name.clone(),
                UploadName::Template(t) => {
                    let rendered = render(t, &ctx);
                    if rendered.trim().is_empty() {
                        file.name.clone()
                    } else {
                        content::with_extension(rendered.trim(), content::extension_of(&file.name))
                    }
                }
            };
            let name = checked_name(&name).map_err(RulesError::Refused)?;
            let path = content::join(&folder, &name);
            let key = format!("save:{}:{}", field.name, file.id);
            let label = format!("Save {} to /{}", file.name, folder.trim().trim_matches('/'));
            let done = writes
                .write(
                    &key,
                    &label,
                    Op::File {
                        path,
                        content: Content::Upload(staged),
                        mode: FileMode::of(save.on_conflict),
                    },
                )
                .await?;
            let entry = match done {
                Ok(Done { entry: Some(e), .. }) => e,
                Ok(Done { entry: None, .. }) => continue,
                Err(e) => return Err(RulesError::Refused(e.into_rules()?)),
            };
            saved_files.push(UploadedFile {
                saved: Some(FileChoice {
                    data_source_id: save.data_source_id,
                    id: entry.id.clone(),
                    value: format!("/{}", entry.path),
                    path: entry.path.clone(),
                    rev: entry.rev.clone(),
                    name: entry.name.clone(),
                    size: entry.size,
                }),
                ..file
            });
        }
        values.insert(field.name.clone(), FieldValue::Uploads(saved_files));
    }
    Ok(())
}
