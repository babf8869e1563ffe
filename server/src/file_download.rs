//! `GET /data-sources/{id}/files/download?path=…`: streams one file of a data source through Wharf
//! (never buffering it), for the people the data source's Security lets use it. The path is relative
//! to the data source's root and cannot leave it; the content is checked against Dropbox's content
//! hash as it streams, and a mismatch ends the response with an error instead of corrupt data.
use app::api::context::{RequestUser, ServerContext, authorize_on_data_source};
use app::error::AppError;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use domain::policy::Action;
use dropbox::DownloadRange;
use futures::StreamExt;
use serde::Deserialize;

pub const PATH: &str = app::urls::FILE_DOWNLOAD_ROUTE;

#[derive(Debug, Deserialize)]
pub struct DownloadParams {
    path: String,
}

pub async fn download(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Path(id): Path<i32>,
    Query(params): Query<DownloadParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let user = authorize_on_data_source(&ctx.db, user, Action::UseDataSource, id).await?;
    let range = requested_range(&headers)?;
    let download = ctx.connector.open_file(id, &params.path, range).await?;
    tracing::info!(
        user_id = user.id,
        data_source_id = id,
        size = download.metadata.size,
        "file download"
    );
    let name = download.metadata.name.clone();
    let total = download.metadata.size;
    let mut response =
        Response::new(Body::from_stream(download.stream.map(|chunk| {
            chunk.map_err(|e| std::io::Error::other(e.user_message()))
        })));
    attachment_headers(response.headers_mut(), &name);
    match range {
        Some(DownloadRange { start, end }) => {
            partial_content(&mut response, DownloadRange { start, end }, total);
            if let Some(len) = download.content_length {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, len.into());
            }
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, total.into());
        }
    }
    Ok(response)
}

/// The one byte range a request asks for (`None`: the whole file); several ranges, a suffix range
/// or no range at all in a `Range` header are refused with 416. Shared with `GET /uploads/{id}`.
pub(crate) fn requested_range(headers: &HeaderMap) -> Result<Option<DownloadRange>, AppError> {
    match headers.get(header::RANGE).map(parse_range) {
        None => Ok(None),
        Some(Some(range)) => Ok(Some(range)),
        Some(None) => Err(AppError::RangeNotSatisfiable(
            "Only a single byte range (bytes=start-end) is supported.".to_owned(),
        )),
    }
}

/// The last byte `range` covers of a file of `total` bytes (an open or too long range stops at the
/// file's end).
pub(crate) fn last_byte(range: DownloadRange, total: u64) -> u64 {
    range.end.unwrap_or(u64::MAX).min(total.saturating_sub(1))
}

/// Makes `response` a 206 for `range` of a file of `total` bytes.
pub(crate) fn partial_content(response: &mut Response, range: DownloadRange, total: u64) {
    *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    let (start, end) = (range.start, last_byte(range, total));
    if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
}

/// `bytes=a-b` or `bytes=a-`; `None` for anything else (several ranges, suffix ranges).
fn parse_range(value: &HeaderValue) -> Option<DownloadRange> {
    let spec = value.to_str().ok()?.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some(DownloadRange { start, end })
}

/// The headers of a file handed to the browser to save, never to show: octet-stream, no sniffing,
/// not cached, and the name in a Content-Disposition. Shared with `GET /uploads/{id}`.
pub(crate) fn attachment_headers(h: &mut HeaderMap, name: &str) {
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_single_and_ordered() {
        let r = |s: &str| parse_range(&HeaderValue::from_str(s).unwrap());
        assert_eq!(
            r("bytes=0-99"),
            Some(DownloadRange {
                start: 0,
                end: Some(99)
            })
        );
        assert_eq!(
            r("bytes=100-"),
            Some(DownloadRange {
                start: 100,
                end: None
            })
        );
        assert_eq!(r("bytes=9-3"), None);
        assert_eq!(r("bytes=0-1,5-6"), None);
        assert_eq!(r("bytes=-500"), None);
        assert_eq!(r("items=0-1"), None);
    }

    #[test]
    fn file_names_survive_in_the_content_disposition() {
        assert_eq!(
            content_disposition("Rechnung März \"final\".pdf"),
            "attachment; filename=\"Rechnung M_rz _final_.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz%20%22final%22%2Epdf"
        );
    }
}
