//! Files people upload into a form's File upload fields.
//!
//! `POST /forms/{id}/uploads/{field}?name=<file name>` takes the raw file as the body (its type in
//! `Content-Type`) from anyone allowed into Forms, streams it to disk through
//! [`domain::uploads::store`] and answers `{"token","name","size"}` as JSON; the submission hands
//! the token back. `GET /uploads/{id}` streams a stored file back, to the designers of forms and to
//! the person who uploaded it. Refusals are text sentences with 401/403/404/413/422.
use crate::file_access::{authorize, plain, refusal};
use crate::file_download::{attachment_headers, last_byte, partial_content, requested_range};
use app::api::context::{RequestUser, ServerContext};
use axum::Extension;
use axum::Json;
use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::policy::{Action, Decision, Denial, decide, log_denial};
use domain::uploads::{MAX_UPLOAD_BYTES, UploadError};
use futures::Stream;
use serde::Deserialize;
use std::io::SeekFrom;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use wharf_types::Area;

pub const UPLOAD_PATH: &str = "/forms/{id}/uploads/{field}";
pub const DOWNLOAD_PATH: &str = "/uploads/{id}";

#[derive(Debug, Deserialize)]
pub struct UploadParams {
    /// The file's name; missing counts as empty (refused with 422).
    #[serde(default)]
    name: String,
}

pub async fn upload(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Path((form_id, field)): Path<(i32, String)>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut stream = body.into_data_stream();
    let response = receive(
        &ctx,
        user,
        form_id,
        &field,
        &params.name,
        &headers,
        &mut stream,
    )
    .await;
    // Whatever was not read yet (a refusal before or during the body) is drained, within limits.
    crate::failures::discard(&mut stream).await;
    response
}

async fn receive(
    ctx: &ServerContext,
    user: Option<domain::AuthenticatedUser>,
    form_id: i32,
    field: &str,
    name: &str,
    headers: &HeaderMap,
    stream: &mut BodyDataStream,
) -> Response {
    let person = match authorize(user, Action::EnterArea(Area::Forms)) {
        Ok(person) => person,
        Err(denial) => return refusal(&denial),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_UPLOAD_BYTES) {
        return error_response(&UploadError::TooLarge {
            max: MAX_UPLOAD_BYTES,
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match domain::uploads::store(
        &ctx.db,
        &ctx.data_dir,
        &person,
        form_id,
        field,
        name,
        content_type,
        stream,
    )
    .await
    {
        Ok(receipt) => Json(receipt).into_response(),
        Err(e) => error_response(&e),
    }
}

pub async fn download(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Path(id): Path<i32>,
    headers: HeaderMap,
) -> Response {
    // Designers may read every upload; anyone else only their own.
    let designer = match decide(user.as_ref(), Action::DesignForms, None) {
        Decision::Allow => true,
        Decision::Deny(Denial::MayNotDesignForms) => false,
        Decision::Deny(denial) => {
            log_denial(user.as_ref(), Action::DesignForms, None, &denial);
            return refusal(&denial);
        }
    };
    let Some(user) = user else {
        return refusal(&Denial::NotSignedIn);
    };
    let (row, mut file) = match domain::uploads::open(&ctx.db, &ctx.data_dir, id).await {
        Ok(opened) => opened,
        Err(e) => return error_response(&e),
    };
    if !designer && row.uploaded_by != Some(user.id) {
        tracing::warn!(
            user_id = user.id,
            upload_id = id,
            "refused: download of someone else's upload"
        );
        return plain(
            StatusCode::FORBIDDEN,
            "Only the person who uploaded this file and the designers of forms may download it.",
        );
    }
    tracing::info!(
        user_id = user.id,
        upload_id = id,
        size = row.size,
        "upload download"
    );
    let size = u64::try_from(row.size).unwrap_or(0);
    let range = match requested_range(&headers) {
        Ok(range) => range,
        Err(refused) => return refused.into_response(),
    };
    let (start, len) = match range {
        None => (0, size),
        Some(r) if r.start >= size => return range_beyond_end(size),
        Some(r) => (r.start, last_byte(r, size) + 1 - r.start),
    };
    if let Err(e) = file.seek(SeekFrom::Start(start)).await {
        return error_response(&UploadError::Storage(e));
    }
    let mut response = Response::new(Body::from_stream(file_stream(file.take(len))));
    attachment_headers(response.headers_mut(), &row.file_name);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, len.into());
    if let Some(range) = range {
        partial_content(&mut response, range, size);
    }
    response
}

/// 416 for a range that starts at or past the end of a file of `size` bytes.
fn range_beyond_end(size: u64) -> Response {
    let mut refused = plain(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "The requested range starts beyond the end of the file.",
    );
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        refused.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    refused
}

/// The file in 64 KiB chunks, read as the client takes them.
fn file_stream(file: impl AsyncRead + Unpin + Send) -> impl Stream<Item = std::io::Result<Bytes>> {
    futures::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), file)))
    })
}

/// An upload error as the browser gets it: its sentence, with the status that says what to do.
fn error_response(e: &UploadError) -> Response {
    let status = match e {
        UploadError::FormNotFound
        | UploadError::FormNotPublished
        | UploadError::NotFound
        | UploadError::Missing => StatusCode::NOT_FOUND,
        UploadError::NoSuchField
        | UploadError::BadName(_)
        | UploadError::UnknownToken
        | UploadError::AlreadyAttached
        | UploadError::TooManyFiles => StatusCode::UNPROCESSABLE_ENTITY,
        UploadError::TooLarge { .. } | UploadError::TooManyPending { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        UploadError::Interrupted => StatusCode::BAD_REQUEST,
        UploadError::Storage(_) | UploadError::Database(_) | UploadError::Stored(_) => {
            // The cause is for the log, not the browser.
            return crate::failures::internal_error(format_args!("upload failed: {e:?}"));
        }
    };
    plain(status, &e.to_string())
}
