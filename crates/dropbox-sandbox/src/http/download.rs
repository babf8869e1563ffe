//! `files/download` (with `Range`), `files/get_temporary_link` and the links it hands out. Content streams
//! from disk.

use super::call::{Args, Caller, lookup_err, resolve};
use crate::paths::{PathArg, PathKind};
use crate::state::tree::{Entry, FileRev, file_metadata};
use crate::state::{Sandbox, TempLink, lock};
use crate::util::{ascii_json, now_millis, random_alnum};
use crate::wire::{ApiError, route_err, tag, text};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// Finds the file a `ReadPath` argument names and the namespace it is in; errors are `LookupError`s
/// under `outer`.
pub fn find_file(
    sb: &Sandbox,
    c: &Caller,
    p: &PathArg,
    outer: &str,
) -> Result<(String, FileRev), ApiError> {
    if let PathArg::Rev(rev) = p {
        return sb
            .read()
            .tree
            .find_rev_in(&c.nsids, rev)
            .map(|(ns, f)| (ns.to_string(), f.clone()))
            .ok_or_else(|| route_err(outer, tag("not_found")));
    }
    let r = resolve(sb, c, p).map_err(|e| route_err(outer, lookup_err(&e)))?;
    if r.mount_point.is_some() {
        return Err(route_err(outer, tag("not_file")));
    }
    match sb.read().tree.get(&r.nsid, &r.key) {
        Some(Entry::File(f)) => Ok((r.nsid, f.clone())),
        Some(Entry::Folder { .. }) => Err(route_err(outer, tag("not_file"))),
        None => Err(route_err(outer, tag("not_found"))),
    }
}

/// `FileMetadata` of a file found by [`find_file`], as the caller sees it.
pub fn shown_file(sb: &Sandbox, c: &Caller, (nsid, f): &(String, FileRev)) -> Value {
    c.present(&sb.read().tree, nsid, file_metadata(f))
}

/// Parses a single-range `Range` header against `size`: `Ok(None)` for no range, `Err` if unsatisfiable.
pub fn parse_range(raw: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(raw) = raw else { return Ok(None) };
    let spec = raw.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 || size == 0 {
            return Err(());
        }
        (size - n.min(size), size - 1)
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end: u64 = if b.is_empty() {
            u64::MAX
        } else {
            b.parse().map_err(|_| ())?
        };
        if start >= size || end < start {
            return Err(());
        }
        (start, end.min(size - 1))
    };
    Ok(Some(range))
}

/// Streams a file's content, honouring `Range`; `api_result` adds `Dropbox-API-Result`.
pub async fn serve_file(
    sb: &Sandbox,
    f: &FileRev,
    headers: &HeaderMap,
    api_result: Option<&Value>,
    content_type: &str,
) -> Result<Response, ApiError> {
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = match parse_range(range_header, f.size) {
        Ok(r) => r,
        Err(()) => {
            let mut resp = text(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "Requested Range Not Satisfiable".into(),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", f.size)) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(resp);
        }
    };
    let mut file = tokio::fs::File::open(sb.blobs.blob_path(&f.blob))
        .await
        .map_err(ApiError::internal)?;
    let (start, len) = match range {
        Some((s, e)) => (s, e - s + 1),
        None => (0, f.size),
    };
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(ApiError::internal)?;
    }
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(len), 256 * 1024));
    let mut resp = Response::new(body);
    *resp.status_mut() = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", f.rev)) {
        h.insert(header::ETAG, v);
    }
    if let Some((s, e)) = range
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {s}-{e}/{}", f.size))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    if let Some(meta) = api_result {
        let v = HeaderValue::from_str(&ascii_json(meta)).map_err(ApiError::internal)?;
        h.insert("dropbox-api-result", v);
    }
    Ok(resp)
}

pub async fn download(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let mut p = a.path("path", PathKind::Read, |m| route_err("path", m))?;
    if let Some(rev) = a.opt_str("rev")? {
        p = PathArg::Rev(rev);
    }
    let found = find_file(sb, c, &p, "path")?;
    let meta = shown_file(sb, c, &found);
    serve_file(
        sb,
        &found.1,
        headers,
        Some(&meta),
        "application/octet-stream",
    )
    .await
}

pub fn get_temporary_link(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Read, |m| route_err("path", m))?;
    let found = find_file(sb, c, &p, "path")?;
    let meta = shown_file(sb, c, &found);
    let f = found.1;
    let id = random_alnum(32);
    let ttl = sb.config.temporary_link_ttl.as_millis() as i64;
    lock(&sb.links).insert(
        id.clone(),
        TempLink {
            file: f.clone(),
            expires_at_ms: now_millis() + ttl,
        },
    );
    let base = sb.public_base();
    Ok(json!({"metadata": meta, "link": format!("{base}/__tl/{id}")}))
}

/// The `Content-Type` a file is served with from a link.
pub fn mime_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// `GET /__tl/{id}`: serves a temporary link until it expires (then 410 Gone).
pub async fn temporary_link(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let link = lock(&sb.links).get(&id).cloned();
    match link {
        None => text(StatusCode::NOT_FOUND, "Not Found".into()),
        Some(l) if now_millis() >= l.expires_at_ms => {
            text(StatusCode::GONE, "This link has expired.".into())
        }
        Some(l) => {
            let ct = mime_of(&l.file.path_display);
            match serve_file(&sb, &l.file, &headers, None, ct).await {
                Ok(r) => r,
                Err(e) => e.into_response_for("temporary_link"),
            }
        }
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_follow_rfc_7233() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=-4"), 10), Ok(Some((6, 9))));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Err(()));
        assert_eq!(parse_range(Some("items=0-1"), 10), Err(()));
    }
}
