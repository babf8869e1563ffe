//! Files people upload into a form's File upload fields.
//!
//! `POST /forms/{id}/uploads/{field}?name=<file name>` takes the raw file as the body (its type in
//! `Content-Type`) from anyone allowed into Forms, streams it to disk through
//! [`domain::uploads::store`] and answers `{"token","name","size"}` as JSON; the submission hands
//! the token back. `GET /uploads/{id}` streams a stored file back, to the designers of forms and to
//! the person who uploaded it. Refusals are `AppError`s, as from any other entry point.
use crate::file_download::{attachment_headers, last_byte, partial_content, requested_range};
use app::api::context::{RequestUser, ServerContext, authorize};
use app::error::AppError;
use axum::Extension;
use axum::Json;
use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::policy::{Action, Decision, Denial, decide, log_denial};
use domain::uploads::{MAX_UPLOAD_BYTES, UploadError};
use futures::Stream;
use serde::Deserialize;
use std::io::SeekFrom;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use wharf_types::Area;

pub const UPLOAD_PATH: &str = app::urls::UPLOAD_ROUTE;
pub const DOWNLOAD_PATH: &str = app::urls::UPLOADED_FILE_ROUTE;

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
) -> Result<Response, AppError> {
    let mut stream = body.into_data_stream();
    let received = receive(
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
    received
}

async fn receive(
    ctx: &ServerContext,
    user: Option<domain::AuthenticatedUser>,
    form_id: i32,
    field: &str,
    name: &str,
    headers: &HeaderMap,
    stream: &mut BodyDataStream,
) -> Result<Response, AppError> {
    let person = authorize(user, Action::EnterArea(Area::Forms), None)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_UPLOAD_BYTES) {
        return Err(UploadError::TooLarge {
            max: MAX_UPLOAD_BYTES,
        }
        .into());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // A field saving to a data source sends the file on to Dropbox as it arrives.
    let ahead = domain::uploads::send_ahead(&ctx.db, &ctx.connector, &person, form_id, field).await;
    let receipt = domain::uploads::store(
        &ctx.db,
        &ctx.data_dir,
        &person,
        form_id,
        field,
        name,
        content_type,
        stream,
        ahead,
    )
    .await?;
    Ok(Json(receipt).into_response())
}

pub async fn download(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Path(id): Path<i32>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // Designers may read every upload; anyone else only their own.
    let designer = match decide(user.as_ref(), Action::DesignForms, None) {
        Decision::Allow => true,
        Decision::Deny(Denial::MayNotDesignForms) => false,
        Decision::Deny(denial) => {
            log_denial(user.as_ref(), Action::DesignForms, None, &denial);
            return Err(AppError::from(&denial));
        }
    };
    let user = user.ok_or(AppError::Unauthenticated)?;
    let (row, mut file) = domain::uploads::open(&ctx.db, &ctx.data_dir, id).await?;
    if !designer && row.uploaded_by != Some(user.id) {
        tracing::warn!(
            user_id = user.id,
            upload_id = id,
            "refused: download of someone else's upload"
        );
        return Err(AppError::Forbidden(
            "Only the person who uploaded this file and the designers of forms may download it."
                .to_owned(),
        ));
    }
    tracing::info!(
        user_id = user.id,
        upload_id = id,
        size = row.size,
        "upload download"
    );
    let size = u64::try_from(row.size).unwrap_or(0);
    let range = requested_range(&headers)?;
    let (start, len) = match range {
        None => (0, size),
        Some(r) if r.start >= size => return Ok(range_beyond_end(size)),
        Some(r) => (r.start, last_byte(r, size) + 1 - r.start),
    };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(UploadError::Storage)?;
    let mut response = Response::new(Body::from_stream(file_stream(file.take(len))));
    attachment_headers(response.headers_mut(), &row.file_name);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, len.into());
    if let Some(range) = range {
        partial_content(&mut response, range, size);
    }
    Ok(response)
}

/// The 416 for a range that starts at or past the end of a file of `size` bytes, with the
/// `Content-Range` such a refusal must carry.
fn range_beyond_end(size: u64) -> Response {
    let mut refused = AppError::RangeNotSatisfiable(
        "The requested range starts beyond the end of the file.".to_owned(),
    )
    .into_response();
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
