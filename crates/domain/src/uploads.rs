//! Files people upload into a published form's File upload fields.
//!
//! An upload arrives before the form is submitted: [`store`] streams it to `<data_dir>/uploads/`
//! (never holding the whole file in memory), hashing as it goes, and answers a random token. The
//! submission hands the tokens back and [`attach`] claims the files for it inside the submission's
//! transaction. Uploads nobody claimed are removed after [`UNATTACHED_LIFETIME`] by [`cleanup`],
//! which the server runs at start-up and every hour. [`open`] gives the download route the file;
//! [`usable`] and [`content`] give rules the files they write into data sources (streamed, the
//! bytes staying here).
use crate::AuthenticatedUser;
use crate::form_store::{self, JsonError, MAX_FILES_PER_FIELD, StoreError};
use bytes::Bytes;
use entity::form_upload;
use futures::{Stream, StreamExt};
use rand::RngCore;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;
use wharf_types::forms::{FieldKind, human_size};

pub use wharf_types::forms::{UploadReceipt, UploadedFile};

mod checksum;
mod staging;
pub use checksum::Checksum;
use staging::StagingWriter;

/// The largest file one upload may hold (2 GiB: scans and videos sent to a data source).
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// How long an upload may wait for a submission to claim it before [`cleanup`] removes it.
pub const UNATTACHED_LIFETIME: time::Duration = time::Duration::hours(24);
/// What one person's uploads that no submission has claimed yet may add up to (4 GiB, two of the
/// largest files). They wait a day for [`cleanup`], so without a bound one person could fill the
/// disk with files never sent.
pub const MAX_PENDING_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// How many such uploads one person may have (tiny files would otherwise pile up rows).
pub const MAX_PENDING_FILES: u64 = 500;

/// The bounds [`store_limited`] enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimits {
    /// Bytes in one file.
    pub file_bytes: u64,
    /// Bytes in one person's unclaimed uploads, the new one included.
    pub pending_bytes: u64,
    /// One person's unclaimed uploads, the new one included.
    pub pending_files: u64,
}

impl UploadLimits {
    pub const DEFAULT: Self = Self {
        file_bytes: MAX_UPLOAD_BYTES,
        pending_bytes: MAX_PENDING_BYTES,
        pending_files: MAX_PENDING_FILES,
    };

    /// The refusal of an upload that would leave more unclaimed than these limits allow.
    fn too_many_pending(&self) -> UploadError {
        UploadError::TooManyPending {
            bytes: self.pending_bytes,
            files: self.pending_files,
        }
    }
}
/// The folder under the data directory that holds the uploaded files.
pub const UPLOADS_DIR: &str = "uploads";
/// Files still being received are named `.partial-<random>` until they are complete.
const PARTIAL_PREFIX: &str = ".partial-";
const CONTENT_TYPE_FALLBACK: &str = "application/octet-stream";

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("There is no such form; it may have been deleted.")]
    FormNotFound,
    #[error("This form is not published yet, so nothing can be uploaded to it.")]
    FormNotPublished,
    /// The field does not exist in the published version, is not a File upload field, or is
    /// hidden or disabled.
    #[error(
        "This form has no file upload field by that name that can be filled in. Reload the form and try again."
    )]
    NoSuchField,
    /// What is wrong with the file's name, as a sentence.
    #[error("{0}")]
    BadName(&'static str),
    #[error("The file is larger than the {} allowed. Choose a smaller file.", human_size(*.max))]
    TooLarge { max: u64 },
    #[error("The upload stopped before the whole file arrived. Try again.")]
    Interrupted,
    /// The person's unclaimed uploads would exceed [`UploadLimits::pending_bytes`] or
    /// [`UploadLimits::pending_files`].
    #[error(
        "Files uploaded but not yet sent with a form may add up to at most {} and {files} files per person. Submit the form first; files never sent are removed after a day.",
        human_size(*.bytes)
    )]
    TooManyPending { bytes: u64, files: u64 },
    /// The token is unknown, expired, or was uploaded by someone else or for another form or field.
    #[error(
        "An uploaded file was not found: it may have been uploaded by someone else, into another field, or too long ago. Upload it again."
    )]
    UnknownToken,
    #[error(
        "An uploaded file is already part of a submission. Upload it again to send it once more."
    )]
    AlreadyAttached,
    #[error("A field can hold at most {MAX_FILES_PER_FIELD} uploaded files.")]
    TooManyFiles,
    #[error("This uploaded file no longer exists.")]
    NotFound,
    /// The row is there but its content is not (or not whole) in `<data_dir>/uploads/`.
    #[error(
        "The content of this uploaded file is missing from Wharf's storage. Tell an administrator."
    )]
    Missing,
    #[error(
        "Wharf could not store or read the file. Try again, or tell an administrator if it keeps happening."
    )]
    Storage(#[source] std::io::Error),
    /// Wharf's disk cannot hold the file (found when its declared length is reserved, before it is
    /// sent, or when a write finds the disk full).
    #[error("Wharf's disk has no room left for this file. Tell an administrator.")]
    NoRoom,
    /// The form's stored definition could not be read.
    #[error(transparent)]
    Stored(JsonError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A staging write that failed; a full disk (or quota) is said as such.
fn staging_failed(e: std::io::Error) -> UploadError {
    if staging::means_no_room(&e) {
        UploadError::NoRoom
    } else {
        UploadError::Storage(e)
    }
}

/// A hashing thread that stopped: the file cannot be checked later, so it is not kept.
fn hashing_failed(e: dropbox::DropboxError) -> UploadError {
    UploadError::Storage(std::io::Error::other(e.to_string()))
}

/// What [`cleanup`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Unclaimed uploads (row and file).
    pub uploads: u64,
    /// Files no row names (left by a crash, or by a deleted form or submission).
    pub orphan_files: u64,
}

/// A Dropbox upload session a file is sent into while it arrives, when its field saves to a data
/// source (see [`send_ahead`]): the job then only commits it, instead of sending the file again.
pub struct SendAhead {
    pub data_source_id: i32,
    pub session: dropbox::SessionUpload,
}

/// A file's upload session once the file was whole, as the upload row keeps it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentAhead {
    pub data_source_id: i32,
    pub pending: dropbox::PendingUpload,
}

/// Where a file for field `field` of published form `form_id` will be saved, opened as an upload
/// session now — when the field saves to a data source, `person` may write there and it is
/// connected. `None` otherwise, or when anything stands in the way: the job then sends the staged
/// file itself, so nothing depends on this (it only saves the second transfer).
pub async fn send_ahead(
    db: &impl ConnectionTrait,
    connector: &crate::connector::DropboxConnector,
    person: &AuthenticatedUser,
    form_id: i32,
    field: &str,
) -> Option<SendAhead> {
    use wharf_types::forms::{SaveLocation, UploadField};
    let form = form_store::published(db, form_id).await.ok()?;
    let data_source_id = form.definition.fields.iter().find_map(|f| match &f.kind {
        FieldKind::FileUpload(UploadField {
            save_to: SaveLocation::DataSource(save),
        }) if f.name == field => Some(save.data_source_id),
        _ => None,
    })?;
    let security = crate::policy::load_security(db, data_source_id)
        .await
        .ok()??;
    let action = crate::policy::Action::WriteFiles;
    if !crate::policy::decide(Some(person), action, Some(&security)).is_allowed() {
        return None; // refused for real when the job runs, with the sentence
    }
    match connector.session_upload(data_source_id).await {
        Ok(session) => Some(SendAhead {
            data_source_id,
            session,
        }),
        Err(e) => {
            tracing::debug!(data_source_id, "upload not sent ahead: {e}");
            None
        }
    }
}

/// `<data_dir>/uploads`.
pub fn uploads_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(UPLOADS_DIR)
}

/// Receives a file for File upload field `field` of published form `form_id` from `person`, within
/// [`UploadLimits::DEFAULT`]. See [`store_limited`].
#[allow(clippy::too_many_arguments)]
pub async fn store<E: std::fmt::Display>(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    person: &AuthenticatedUser,
    form_id: i32,
    field: &str,
    file_name: &str,
    content_type: Option<&str>,
    body: impl Stream<Item = Result<Bytes, E>>,
    ahead: Option<SendAhead>,
) -> Result<UploadReceipt, UploadError> {
    store_limited(
        db,
        data_dir,
        person,
        form_id,
        field,
        file_name,
        content_type,
        body,
        UploadLimits::DEFAULT,
        ahead,
    )
    .await
}

/// [`store`] within `limits`. The form must be published and `field` a visible, enabled File upload
/// field of the published version. The body is written to a `.partial-` file while its checksum is
/// computed (by the upload session when it is sent ahead); past the file limit it stops with
/// [`UploadError::TooLarge`], past what the person's unclaimed uploads leave room for with
/// [`UploadError::TooManyPending`] (checked again just before recording, so uploads running side by
/// side overshoot by at most what they add between the two checks). Only a complete file is renamed into place and recorded. Whatever goes wrong — including
/// the caller dropping this future because the person went away — nothing is left behind.
#[allow(clippy::too_many_arguments)]
pub async fn store_limited<E: std::fmt::Display>(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    person: &AuthenticatedUser,
    form_id: i32,
    field: &str,
    file_name: &str,
    content_type: Option<&str>,
    body: impl Stream<Item = Result<Bytes, E>>,
    limits: UploadLimits,
    mut ahead: Option<SendAhead>,
) -> Result<UploadReceipt, UploadError> {
    check_field(db, form_id, field).await?;
    let name = clean_file_name(file_name)?;
    let room = pending_room(db, person, limits)
        .await?
        .ok_or_else(|| limits.too_many_pending())?;
    let content_type = clean_content_type(content_type);
    let dir = uploads_dir(data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(UploadError::Storage)?;
    let stored_name = random_hex(16);
    // Declared before the file so that it is dropped after it: the file is closed, then removed.
    let mut guard = RemoveOnDrop(Some(dir.join(format!("{PARTIAL_PREFIX}{stored_name}"))));
    let partial_path = guard.path().to_owned();
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial_path)
        .await
        .map_err(UploadError::Storage)?;
    // The declared length (a request's Content-Length), as far as the limits let it go anyway.
    let declared = body
        .size_hint()
        .1
        .map(|n| (n as u64).min(limits.file_bytes).min(room));
    let mut out = StagingWriter::new(file.into_std().await, declared);
    // One hash pass: an upload sent ahead is hashed by its session (Dropbox's content_hash, which
    // then also checks Wharf's copy); only one that is not is hashed here, beside the transfer.
    let mut hasher = ahead.is_none().then(dropbox::BackgroundHasher::new);
    let mut size: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!(user_id = person.id, form_id, "upload interrupted: {e}");
            UploadError::Interrupted
        })?;
        size += chunk.len() as u64;
        if size > limits.file_bytes {
            tracing::info!(
                user_id = person.id,
                form_id,
                "upload refused: over the limit"
            );
            return Err(UploadError::TooLarge {
                max: limits.file_bytes,
            });
        }
        if size > room {
            tracing::info!(
                user_id = person.id,
                form_id,
                "upload refused: too much uploaded and not yet submitted"
            );
            return Err(limits.too_many_pending());
        }
        out.write(chunk.clone()).await.map_err(staging_failed)?;
        if let Some(h) = hasher.as_mut() {
            h.update(chunk.clone()).await.map_err(hashing_failed)?;
        }
        if let Some(a) = ahead.as_mut()
            && let Err(e) = a.session.push(chunk).await
        {
            tracing::warn!(form_id, "upload no longer sent ahead to Dropbox: {e}");
            ahead = None;
        }
    }
    let file = out.finish().await.map_err(staging_failed)?;
    let sent = match ahead {
        Some(a) => match a.session.close().await {
            Ok(pending) => Some(SentAhead {
                data_source_id: a.data_source_id,
                pending,
            }),
            Err(e) => {
                tracing::warn!(form_id, "upload not sent ahead to Dropbox: {e}");
                None
            }
        },
        None => None,
    };
    let checksum = match (&sent, hasher) {
        (Some(sent), _) => Checksum::ContentHash(sent.pending.content_hash.clone()),
        (None, Some(h)) => Checksum::ContentHash(h.finish().await.map_err(hashing_failed)?),
        // The session that was to hash it failed part-way: read the bytes back once.
        (None, None) => Checksum::of_file(&partial_path)
            .await
            .map_err(UploadError::Storage)?,
    };
    let sent = sent.and_then(|s| serde_json::to_string(&s).ok());
    // Wharf's copy is made durable before the receipt — unless Dropbox holds the bytes already (the
    // session above): then it is only the fallback, re-checked against its checksum when read
    // ([`content`]), and waiting for the disk (≈ 7 s per GiB here) would only slow the person down.
    if sent.is_none() {
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(|e| UploadError::Storage(std::io::Error::other(e)))?
            .map_err(UploadError::Storage)?;
    }
    let final_path = dir.join(&stored_name);
    tokio::fs::rename(&partial_path, &final_path)
        .await
        .map_err(UploadError::Storage)?;
    guard.0 = Some(final_path);
    // Others of this person's uploads may have been recorded meanwhile.
    if pending_room(db, person, limits)
        .await?
        .is_none_or(|room| size > room)
    {
        return Err(limits.too_many_pending());
    }

    let token = random_hex(32);
    let row = form_upload::ActiveModel {
        token: Set(token.clone()),
        form_id: Set(form_id),
        field: Set(field.to_owned()),
        uploaded_by: Set(Some(person.id)),
        file_name: Set(name.clone()),
        size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        content_type: Set(content_type),
        checksum: Set(checksum.stored()),
        stored_name: Set(stored_name),
        created_at: Set(OffsetDateTime::now_utc()),
        submission_id: Set(None),
        dropbox_session: Set(sent),
        ..Default::default()
    }
    .insert(db)
    .await?;
    guard.keep();
    tracing::info!(
        user_id = person.id,
        form_id,
        upload_id = row.id,
        size,
        "file uploaded"
    );
    Ok(UploadReceipt { token, name, size })
}

/// How many more bytes `person` may upload before a submission claims them; `None` when not even
/// one more file fits.
async fn pending_room(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    limits: UploadLimits,
) -> Result<Option<u64>, UploadError> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back so both databases answer an i64.
    let (files, bytes): (i64, i64) = form_upload::Entity::find()
        .select_only()
        .expr(Func::count(Expr::col(form_upload::Column::Id)))
        .expr(Func::cast_as(
            Func::coalesce([
                Expr::from(Func::sum(Expr::col(form_upload::Column::Size))),
                Expr::val(0),
            ]),
            "BIGINT",
        ))
        .filter(form_upload::Column::UploadedBy.eq(person.id))
        .filter(form_upload::Column::SubmissionId.is_null())
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, 0));
    let (files, bytes) = (files.max(0) as u64, bytes.max(0) as u64);
    Ok(
        (files < limits.pending_files && bytes < limits.pending_bytes)
            .then(|| limits.pending_bytes - bytes),
    )
}

/// Claims the uploads named by `tokens` for submission `submission_id`; meant to run inside the
/// submission's transaction (the submission row must exist in it). Every token must name an upload
/// `person` made for this form and field that no submission has claimed yet; the same token twice
/// counts once. Answers the files in the order of `tokens`. On an error some rows may already be
/// claimed: roll the transaction back.
pub async fn attach(
    txn: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    form_id: i32,
    field: &str,
    tokens: &[String],
    submission_id: i32,
) -> Result<Vec<UploadedFile>, UploadError> {
    let mut unique: Vec<&str> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if !unique.contains(&t.as_str()) {
            unique.push(t);
        }
    }
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    if unique.len() > MAX_FILES_PER_FIELD {
        return Err(UploadError::TooManyFiles);
    }
    let rows = form_upload::Entity::find()
        .filter(form_upload::Column::Token.is_in(unique.iter().copied()))
        .all(txn)
        .await?;
    let mut files = Vec::with_capacity(unique.len());
    for token in &unique {
        let row = rows
            .iter()
            .find(|r| {
                r.token == *token
                    && r.uploaded_by == Some(person.id)
                    && r.form_id == form_id
                    && r.field == field
            })
            .ok_or(UploadError::UnknownToken)?;
        if row.submission_id.is_some() {
            return Err(UploadError::AlreadyAttached);
        }
        files.push(UploadedFile {
            saved: None,
            id: row.id,
            name: row.file_name.clone(),
            size: u64::try_from(row.size).unwrap_or(0),
        });
    }
    // `submission_id IS NULL` again in the update: of two submissions racing for one upload, the
    // second updates fewer rows than it read and fails.
    let claimed = form_upload::Entity::update_many()
        .col_expr(
            form_upload::Column::SubmissionId,
            Expr::value(submission_id),
        )
        .filter(form_upload::Column::Id.is_in(files.iter().map(|f| f.id)))
        .filter(form_upload::Column::SubmissionId.is_null())
        .exec(txn)
        .await?;
    if claimed.rows_affected != files.len() as u64 {
        return Err(UploadError::AlreadyAttached);
    }
    tracing::info!(
        user_id = person.id,
        form_id,
        submission_id,
        files = files.len(),
        "uploads attached"
    );
    Ok(files)
}

/// The upload `id` and its content, opened for reading. Who may read it is the caller's decision.
pub async fn open(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    id: i32,
) -> Result<(form_upload::Model, tokio::fs::File), UploadError> {
    let row = form_upload::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(UploadError::NotFound)?;
    if !is_stored_name(&row.stored_name) {
        tracing::error!(upload_id = id, "upload row names an impossible file");
        return Err(UploadError::Missing);
    }
    let path = uploads_dir(data_dir).join(&row.stored_name);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::error!(upload_id = id, "the content of an upload is missing");
            return Err(UploadError::Missing);
        }
        Err(e) => return Err(UploadError::Storage(e)),
    };
    let len = file.metadata().await.map_err(UploadError::Storage)?.len();
    if i64::try_from(len).ok() != Some(row.size) {
        tracing::error!(
            upload_id = id,
            stored = len,
            recorded = row.size,
            "the content of an upload has the wrong size"
        );
        return Err(UploadError::Missing);
    }
    Ok((row, file))
}

/// An upload a rule may write into a data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staged {
    pub id: i32,
    pub name: String,
    pub size: u64,
    /// The upload session it was sent into as it arrived, if any (commit it rather than send again).
    pub sent: Option<SentAhead>,
}

/// How many bytes [`content`] reads at a time.
const READ_CHUNK: usize = 1024 * 1024;

/// The uploads that `value` (of File upload field `field` of form `form_id`) names and that a rule
/// running for `person` may write, in order: while the form is filled in (`UploadTokens`) the
/// person's own uploads of this form and field that no submission has claimed; after submitting
/// (`Uploads`) the person's uploads of this form and field that a submission claimed. Anything else
/// is [`UploadError::UnknownToken`]; any other kind of value names no upload.
pub async fn usable(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    form_id: i32,
    field: &str,
    value: &wharf_types::forms::FieldValue,
) -> Result<Vec<Staged>, UploadError> {
    use wharf_types::forms::FieldValue;
    let (rows, claimed) = match value {
        FieldValue::UploadTokens(tokens) if !tokens.is_empty() => (
            form_upload::Entity::find()
                .filter(form_upload::Column::Token.is_in(tokens.iter().cloned()))
                .all(db)
                .await?,
            false,
        ),
        FieldValue::Uploads(files) if !files.is_empty() => (
            form_upload::Entity::find()
                .filter(form_upload::Column::Id.is_in(files.iter().map(|f| f.id)))
                .all(db)
                .await?,
            true,
        ),
        _ => return Ok(Vec::new()),
    };
    let mine = |r: &form_upload::Model| {
        r.uploaded_by == Some(person.id)
            && r.form_id == form_id
            && r.field == field
            && r.submission_id.is_some() == claimed
    };
    let pick = |r: &form_upload::Model| Staged {
        id: r.id,
        name: r.file_name.clone(),
        size: u64::try_from(r.size).unwrap_or(0),
        sent: r
            .dropbox_session
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
    };
    let mut staged = Vec::new();
    match value {
        FieldValue::UploadTokens(tokens) => {
            for token in tokens {
                let row = rows
                    .iter()
                    .find(|r| &r.token == token && mine(r))
                    .ok_or(UploadError::UnknownToken)?;
                if !staged.iter().any(|s: &Staged| s.id == row.id) {
                    staged.push(pick(row));
                }
            }
        }
        FieldValue::Uploads(files) => {
            for file in files {
                let row = rows
                    .iter()
                    .find(|r| r.id == file.id && mine(r))
                    .ok_or(UploadError::UnknownToken)?;
                staged.push(pick(row));
            }
        }
        _ => {}
    }
    Ok(staged)
}

/// The content of upload `id` as a stream of chunks, read from disk as it is consumed (never all
/// in memory), with its row. The bytes are checked against the checksum recorded when they arrived:
/// a damaged copy ends the stream with an error instead of being passed on.
pub async fn content(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    id: i32,
) -> Result<
    (
        form_upload::Model,
        impl Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
    ),
    UploadError,
> {
    use tokio::io::AsyncReadExt;
    let (row, file) = open(db, data_dir, id).await?;
    let expected = Checksum::parse(&row.checksum).ok_or_else(|| {
        tracing::error!(
            upload_id = id,
            "an upload's checksum has no known algorithm"
        );
        UploadError::Missing
    })?;
    let state = Some((file, expected.verifier()));
    let stream = futures::stream::unfold(state, move |state| {
        let expected = expected.clone();
        async move {
            let (mut file, mut hasher) = state?;
            let mut buf = vec![0u8; READ_CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => (!hasher.matches(&expected)).then(|| {
                    let damaged =
                        std::io::Error::other("Wharf's copy of the uploaded file is damaged");
                    (Err(damaged), None)
                }),
                Ok(n) => {
                    buf.truncate(n);
                    hasher.update(&buf);
                    Some((Ok(Bytes::from(buf)), Some((file, hasher))))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    Ok((row, Box::pin(stream)))
}

/// Removes uploads no submission claimed within [`UNATTACHED_LIFETIME`] (row and file), and files
/// in `<data_dir>/uploads/` that no row names and that are older than that: partial files a crash
/// left, and files whose form or submission was deleted (the rows go by cascade, the files here).
pub async fn cleanup(db: &impl ConnectionTrait, data_dir: &Path) -> Result<Cleaned, UploadError> {
    let cutoff = OffsetDateTime::now_utc() - UNATTACHED_LIFETIME;
    let dir = uploads_dir(data_dir);
    let mut cleaned = Cleaned::default();
    let stale = form_upload::Entity::find()
        .filter(form_upload::Column::SubmissionId.is_null())
        .filter(form_upload::Column::CreatedAt.lt(cutoff))
        .all(db)
        .await?;
    for row in stale {
        // Still unclaimed at the moment of deleting: a submission claiming it right now wins.
        let deleted = form_upload::Entity::delete_many()
            .filter(form_upload::Column::Id.eq(row.id))
            .filter(form_upload::Column::SubmissionId.is_null())
            .exec(db)
            .await?;
        if deleted.rows_affected == 1 {
            cleaned.uploads += 1;
            if is_stored_name(&row.stored_name) {
                remove_quietly(&dir.join(&row.stored_name)).await;
            }
        }
    }

    let old_files = old_files_in(
        &dir,
        std::time::SystemTime::now() - to_std(UNATTACHED_LIFETIME),
    )
    .await
    .map_err(UploadError::Storage)?;
    if !old_files.is_empty() {
        let mut known = HashSet::new();
        for names in old_files.chunks(500) {
            let found: Vec<String> = form_upload::Entity::find()
                .select_only()
                .column(form_upload::Column::StoredName)
                .filter(form_upload::Column::StoredName.is_in(names.iter().cloned()))
                .into_tuple()
                .all(db)
                .await?;
            known.extend(found);
        }
        for name in old_files.iter().filter(|n| !known.contains(*n)) {
            remove_quietly(&dir.join(name)).await;
            cleaned.orphan_files += 1;
        }
    }
    if cleaned != Cleaned::default() {
        tracing::info!(
            uploads = cleaned.uploads,
            orphan_files = cleaned.orphan_files,
            "removed unclaimed uploads"
        );
    }
    Ok(cleaned)
}

/// Names of the regular files in `dir` last modified before `cutoff` (none when `dir` is missing).
async fn old_files_in(dir: &Path, cutoff: std::time::SystemTime) -> std::io::Result<Vec<String>> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut old = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if meta.is_file() && meta.modified().is_ok_and(|m| m < cutoff) {
            old.push(name);
        }
    }
    Ok(old)
}

fn to_std(d: time::Duration) -> std::time::Duration {
    std::time::Duration::try_from(d).unwrap_or_default()
}

async fn remove_quietly(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
}

/// The form is published and `field` is a File upload field of that version that people can fill.
async fn check_field(
    db: &impl ConnectionTrait,
    form_id: i32,
    field: &str,
) -> Result<(), UploadError> {
    let form = form_store::published(db, form_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => UploadError::FormNotFound,
            StoreError::NotPublished => UploadError::FormNotPublished,
            StoreError::Json(e) => UploadError::Stored(e),
            StoreError::Database(e) => UploadError::Database(e),
        })?;
    form.definition
        .fields
        .iter()
        .any(|f| {
            f.name == field && f.visible && f.enabled && matches!(f.kind, FieldKind::FileUpload(_))
        })
        .then_some(())
        .ok_or(UploadError::NoSuchField)
}

/// The name as the person's computer knows it, made safe to keep and show: only the last part of a
/// path (some browsers and tools send `C:\…\name`), no control or text-direction characters (which
/// can disguise `exe` as `pdf`), NFC, trimmed, at most [`MAX_NAME_CHARS`] characters keeping the
/// extension. Refused when nothing is left.
pub fn clean_file_name(raw: &str) -> Result<String, UploadError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .nfc()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect();
    let name = kept.trim();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        return Err(UploadError::BadName(
            "The file needs a name. Rename it and upload it again.",
        ));
    }
    if name.chars().count() <= MAX_NAME_CHARS {
        return Ok(name.to_owned());
    }
    let ext = wharf_types::forms::extension(name);
    let ext_chars = ext.chars().count();
    let shortened = if !ext.is_empty() && ext_chars <= 20 {
        let stem: String = name.chars().take(MAX_NAME_CHARS - ext_chars - 1).collect();
        format!("{}.{ext}", stem.trim_end())
    } else {
        name.chars().take(MAX_NAME_CHARS).collect::<String>()
    };
    Ok(shortened.trim().to_owned())
}

fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A `type/subtype[; parameters]` the browser sent, lower-cased; anything else (or nothing) is
/// `application/octet-stream`. Only recorded: downloads are always served as octet-stream.
fn clean_content_type(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(t)
            if !t.is_empty()
                && t.len() <= 255
                && t.contains('/')
                && t.chars().all(|c| c.is_ascii_graphic() || c == ' ') =>
        {
            t.to_ascii_lowercase()
        }
        _ => CONTENT_TYPE_FALLBACK.to_owned(),
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// What [`store`] names files: lower-case hex only, so a row can never point outside the folder.
fn is_stored_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the file at its path when dropped, unless told to keep it.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn path(&self) -> &Path {
        self.0.as_deref().expect("a path until kept")
    }

    fn keep(&mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take()
            && let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("could not remove {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms;
    use crate::testing::{memory_db, user};
    use entity::form_submission;
    use sea_orm::{DatabaseConnection, IntoActiveModel, PaginatorTrait, QueryOrder};
    use wharf_types::Role;
    use wharf_types::forms::{FieldDefinition, FormDefinition};

    #[test]
    fn a_full_disk_is_said_as_such() {
        let full = std::io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error());
        assert!(matches!(staging_failed(full), UploadError::NoRoom));
        let other = std::io::Error::other("the disk went away");
        assert!(matches!(staging_failed(other), UploadError::Storage(_)));
    }

    struct Setup {
        db: DatabaseConnection,
        dir: tempfile::TempDir,
        designer: AuthenticatedUser,
        uma: AuthenticatedUser,
        form: i32,
    }

    fn field(name: &str, kind: FieldKind, visible: bool) -> FieldDefinition {
        FieldDefinition {
            visible,
            ..FieldDefinition::new(name.to_uppercase(), name, kind)
        }
    }

    /// A published form with File upload fields `attachment` and `other`, a hidden one `secret`
    /// and a Text field `note`.
    async fn setup() -> Setup {
        let db = memory_db().await;
        let designer = user(&db, "dora", &[Role::DesignBusinessProcess]).await;
        let uma = user(&db, "uma", &[Role::User]).await;
        let form = forms::create(&db, &designer, "Claims").await.unwrap();
        let draft = FormDefinition {
            fields: vec![
                field(
                    "attachment",
                    FieldKind::FileUpload(Default::default()),
                    true,
                ),
                field("other", FieldKind::FileUpload(Default::default()), true),
                field("secret", FieldKind::FileUpload(Default::default()), false),
                field("note", FieldKind::Text, true),
            ],
            rules: Vec::new(),
        };
        forms::save_draft(&db, &designer, form, "Claims", &draft)
            .await
            .unwrap();
        forms::publish(&db, &designer, form).await.unwrap();
        Setup {
            db,
            dir: tempfile::tempdir().unwrap(),
            designer,
            uma,
            form,
        }
    }

    fn body(chunks: &[&[u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + use<> {
        let chunks: Vec<_> = chunks
            .iter()
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures::stream::iter(chunks)
    }

    fn files_in(dir: &Path) -> Vec<String> {
        match std::fs::read_dir(uploads_dir(dir)) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    async fn upload(s: &Setup, who: &AuthenticatedUser, field: &str) -> UploadReceipt {
        store(
            &s.db,
            s.dir.path(),
            who,
            s.form,
            field,
            "a.txt",
            Some("text/plain"),
            body(&[b"hello"]),
            None,
        )
        .await
        .unwrap()
    }

    async fn submission(s: &Setup) -> i32 {
        form_submission::ActiveModel {
            form_id: Set(s.form),
            form_version: Set(1),
            submitted_by: Set(Some(s.uma.id)),
            submitted_at: Set(OffsetDateTime::now_utc()),
            values: Set("{}".into()),
            ..Default::default()
        }
        .insert(&s.db)
        .await
        .unwrap()
        .id
    }

    #[test]
    fn names_lose_paths_and_control_characters_and_keep_their_extension() {
        let ok = |raw: &str| clean_file_name(raw).unwrap();
        assert_eq!(ok("C:\\Users\\uma\\report.pdf"), "report.pdf");
        assert_eq!(ok("../../etc/passwd"), "passwd");
        assert_eq!(ok(" a\u{0}b\n.txt "), "ab.txt");
        assert_eq!(ok("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(ok("Ma\u{0308}rz.pdf"), "März.pdf");
        let long = format!("{}.pdf", "x".repeat(400));
        let cut = ok(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".pdf"));
        for bad in ["", "   ", "a/", "..", "dir\\.", "\u{7}"] {
            assert!(
                matches!(clean_file_name(bad), Err(UploadError::BadName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn content_types_are_recorded_only_when_they_look_like_one() {
        assert_eq!(clean_content_type(Some("Text/Plain")), "text/plain");
        assert_eq!(clean_content_type(None), CONTENT_TYPE_FALLBACK);
        assert_eq!(clean_content_type(Some("nonsense")), CONTENT_TYPE_FALLBACK);
        assert_eq!(clean_content_type(Some("a/b\r\nx")), CONTENT_TYPE_FALLBACK);
    }

    async fn upload_within(
        s: &Setup,
        who: &AuthenticatedUser,
        content: &[u8],
        limits: UploadLimits,
    ) -> Result<UploadReceipt, UploadError> {
        store_limited(
            &s.db,
            s.dir.path(),
            who,
            s.form,
            "attachment",
            "a.txt",
            None,
            body(&[content]),
            limits,
            None,
        )
        .await
    }

    /// Uma stores `name` in the field `attachment`, with no content type, within `limits`.
    async fn uma_stores<E: std::fmt::Display>(
        s: &Setup,
        name: &str,
        content: impl Stream<Item = Result<Bytes, E>>,
        limits: UploadLimits,
    ) -> Result<UploadReceipt, UploadError> {
        store_limited(
            &s.db,
            s.dir.path(),
            &s.uma,
            s.form,
            "attachment",
            name,
            None,
            content,
            limits,
            None,
        )
        .await
    }

    #[tokio::test]
    async fn unsubmitted_uploads_are_bounded_per_person_until_a_submission_claims_them() {
        let s = setup().await;
        let limits = UploadLimits {
            file_bytes: 100,
            pending_bytes: 12,
            pending_files: 3,
        };
        let first = upload_within(&s, &s.uma, b"hello", limits).await.unwrap();
        upload_within(&s, &s.uma, b"world", limits).await.unwrap();
        // 10 of 12 bytes are taken: 3 more do not fit, and leave nothing behind.
        let refused = upload_within(&s, &s.uma, b"abc", limits).await;
        assert!(
            matches!(
                refused,
                Err(UploadError::TooManyPending {
                    bytes: 12,
                    files: 3
                })
            ),
            "{refused:?}"
        );
        assert_eq!(files_in(s.dir.path()).len(), 2);
        assert!(refused.unwrap_err().to_string().contains("12 B"));
        // Someone else's room is their own.
        upload_within(&s, &s.designer, b"0123456789", limits)
            .await
            .unwrap();
        // A submission claiming a file frees its room.
        let sub = submission(&s).await;
        attach(&s.db, &s.uma, s.form, "attachment", &[first.token], sub)
            .await
            .unwrap();
        upload_within(&s, &s.uma, b"abc", limits).await.unwrap();
        upload_within(&s, &s.uma, b"x", limits).await.unwrap();
        // Three unclaimed files is the most, however small (9 of 12 bytes are taken).
        let by_count = upload_within(&s, &s.uma, b"y", limits).await;
        assert!(
            matches!(by_count, Err(UploadError::TooManyPending { .. })),
            "{by_count:?}"
        );
        assert_eq!(files_in(s.dir.path()).len(), 5);
    }

    #[tokio::test]
    async fn a_file_is_stored_whole_with_its_hash_and_size() {
        let s = setup().await;
        let receipt = uma_stores(
            &s,
            "notes.txt",
            body(&[b"hello ", b"world"]),
            UploadLimits::DEFAULT,
        )
        .await
        .unwrap();
        assert_eq!((receipt.name.as_str(), receipt.size), ("notes.txt", 11));
        assert!(receipt.token.len() >= 32);
        let row = form_upload::Entity::find()
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        // Not sent ahead, so hashed here; Dropbox's content_hash of "hello world" is the SHA-256
        // of its one block's SHA-256 (b94d27…).
        assert_eq!(
            row.checksum,
            "dropbox:bc62d4b80d9e36da29c16c5d4d9f11731f36052c72401a76c23c0fb5a9b74423"
        );
        assert_eq!(row.content_type, CONTENT_TYPE_FALLBACK);
        assert_eq!(files_in(s.dir.path()), vec![row.stored_name.clone()]);
        let (opened, _file) = open(&s.db, s.dir.path(), row.id).await.unwrap();
        assert_eq!(opened.id, row.id);
    }

    #[tokio::test]
    async fn content_is_read_back_checked_against_its_hash() {
        use futures::TryStreamExt;
        let s = setup().await;
        uma_stores(
            &s,
            "notes.txt",
            body(&[b"hello world"]),
            UploadLimits::DEFAULT,
        )
        .await
        .unwrap();
        let row = form_upload::Entity::find()
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        let (_, stream) = content(&s.db, s.dir.path(), row.id).await.unwrap();
        let read: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(read.concat(), b"hello world");
        // A copy damaged on disk (same size, other bytes) is not passed on as the file.
        let on_disk = uploads_dir(s.dir.path()).join(&row.stored_name);
        std::fs::write(&on_disk, b"hello w0rld").unwrap();
        let (_, stream) = content(&s.db, s.dir.path(), row.id).await.unwrap();
        let damaged: Result<Vec<Bytes>, _> = stream.try_collect().await;
        assert!(damaged.unwrap_err().to_string().contains("damaged"));

        // Files stored before checksums named their algorithm carry a plain SHA-256 (migrated to
        // `sha256:`): still checked, by that algorithm.
        use sha2::{Digest, Sha256};
        for (checksum, whole) in [
            (hex::encode(Sha256::digest(b"hello w0rld")), true),
            (hex::encode(Sha256::digest(b"hello world")), false),
        ] {
            let mut legacy: form_upload::ActiveModel = row.clone().into();
            legacy.checksum = Set(format!("sha256:{checksum}"));
            legacy.update(&s.db).await.unwrap();
            let (_, stream) = content(&s.db, s.dir.path(), row.id).await.unwrap();
            let read: Result<Vec<Bytes>, _> = stream.try_collect().await;
            assert_eq!(read.is_ok(), whole, "{checksum}");
        }
    }

    #[tokio::test]
    async fn too_much_or_a_broken_body_leaves_nothing_behind() {
        let s = setup().await;
        let too_big = uma_stores(
            &s,
            "big.bin",
            body(&[b"12345", b"67890", b"1"]),
            UploadLimits {
                file_bytes: 10,
                ..UploadLimits::DEFAULT
            },
        )
        .await;
        assert!(matches!(too_big, Err(UploadError::TooLarge { max: 10 })));
        let broken = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"12345")),
            Err(std::io::Error::other("reset")),
        ]);
        let interrupted = uma_stores(&s, "a.bin", broken, UploadLimits::DEFAULT).await;
        assert!(matches!(interrupted, Err(UploadError::Interrupted)));
        assert!(files_in(s.dir.path()).is_empty());
        assert_eq!(form_upload::Entity::find().count(&s.db).await.unwrap(), 0);
        // Exactly the limit is fine.
        uma_stores(
            &s,
            "ten.bin",
            body(&[b"12345", b"67890"]),
            UploadLimits {
                file_bytes: 10,
                ..UploadLimits::DEFAULT
            },
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn only_visible_enabled_file_upload_fields_of_published_forms_take_files() {
        let s = setup().await;
        let try_field = |form: i32, field: &'static str| {
            let s = &s;
            async move {
                store(
                    &s.db,
                    s.dir.path(),
                    &s.uma,
                    form,
                    field,
                    "a.txt",
                    None,
                    body(&[b"x"]),
                    None,
                )
                .await
            }
        };
        for field in ["note", "secret", "missing"] {
            assert!(
                matches!(
                    try_field(s.form, field).await,
                    Err(UploadError::NoSuchField)
                ),
                "{field}"
            );
        }
        assert!(matches!(
            try_field(s.form + 100, "attachment").await,
            Err(UploadError::FormNotFound)
        ));
        let draft_only = forms::create(&s.db, &s.designer, "Draft").await.unwrap();
        assert!(matches!(
            try_field(draft_only, "attachment").await,
            Err(UploadError::FormNotPublished)
        ));
        assert!(files_in(s.dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_token_is_claimed_once_by_its_uploader_for_its_field() {
        let s = setup().await;
        let mine = upload(&s, &s.uma, "attachment").await;
        let other_field = upload(&s, &s.uma, "other").await;
        let someone_elses = upload(&s, &s.designer, "attachment").await;
        let sub = submission(&s).await;
        for (who, field, token) in [
            (&s.uma, "attachment", &someone_elses.token),
            (&s.uma, "attachment", &other_field.token),
            (&s.designer, "attachment", &mine.token),
            (&s.uma, "attachment", &"f".repeat(64)),
        ] {
            let refused = attach(&s.db, who, s.form, field, std::slice::from_ref(token), sub).await;
            assert!(matches!(refused, Err(UploadError::UnknownToken)));
        }
        let files = attach(
            &s.db,
            &s.uma,
            s.form,
            "attachment",
            &[mine.token.clone(), mine.token.clone()],
            sub,
        )
        .await
        .unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].name.as_str(), files[0].size), ("a.txt", 5));
        let again = attach(&s.db, &s.uma, s.form, "attachment", &[mine.token], sub).await;
        assert!(matches!(again, Err(UploadError::AlreadyAttached)));
    }

    #[tokio::test]
    async fn cleanup_removes_old_unclaimed_uploads_and_orphan_files_only() {
        let s = setup().await;
        let old = upload(&s, &s.uma, "attachment").await;
        let claimed = upload(&s, &s.uma, "attachment").await;
        let fresh = upload(&s, &s.uma, "attachment").await;
        let sub = submission(&s).await;
        attach(
            &s.db,
            &s.uma,
            s.form,
            "attachment",
            std::slice::from_ref(&claimed.token),
            sub,
        )
        .await
        .unwrap();
        let long_ago = OffsetDateTime::now_utc() - UNATTACHED_LIFETIME - time::Duration::hours(1);
        for token in [&old.token, &claimed.token] {
            let row = form_upload::Entity::find()
                .filter(form_upload::Column::Token.eq(token.as_str()))
                .one(&s.db)
                .await
                .unwrap()
                .unwrap();
            let mut row = row.into_active_model();
            row.created_at = Set(long_ago);
            row.update(&s.db).await.unwrap();
        }
        let dir = uploads_dir(s.dir.path());
        let aged = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
        for name in [".partial-dead", "0123abcd"] {
            let f = std::fs::File::create(dir.join(name)).unwrap();
            f.set_modified(aged).unwrap();
        }
        std::fs::File::create(dir.join(".partial-live")).unwrap();
        let before = files_in(s.dir.path()).len();

        let cleaned = cleanup(&s.db, s.dir.path()).await.unwrap();
        assert_eq!(
            cleaned,
            Cleaned {
                uploads: 1,
                orphan_files: 2
            }
        );
        let left: Vec<String> = form_upload::Entity::find()
            .order_by_asc(form_upload::Column::Id)
            .all(&s.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.token)
            .collect();
        assert_eq!(left, vec![claimed.token, fresh.token]);
        assert_eq!(files_in(s.dir.path()).len(), before - 3);
        assert!(dir.join(".partial-live").exists());
    }
}
