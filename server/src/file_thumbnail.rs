//! `GET /data-sources/{id}/files/thumbnail?path=…&rev=…`: a small JPEG of a picture in a data
//! source, for the file picker. Fetched through Wharf (the browser never holds a Dropbox link) with
//! the download route's authorization and confinement, and cached in memory by the connector per
//! revision.
use app::api::context::{RequestUser, ServerContext, authorize_on_data_source};
use app::error::AppError;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::connector::{THUMBNAIL_SIZE, Thumbnail};
use domain::policy::Action;
use serde::Deserialize;

pub const PATH: &str = app::urls::FILE_THUMBNAIL_ROUTE;

#[derive(Debug, Deserialize)]
pub struct ThumbnailParams {
    path: String,
    /// The revision the listing showed; with it the answer never changes and may be kept for good.
    rev: Option<String>,
}

pub async fn thumbnail(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Path(id): Path<i32>,
    Query(params): Query<ThumbnailParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    authorize_on_data_source(&ctx.db, user, Action::UseDataSource, id).await?;
    let rev = params.rev.as_deref().filter(|r| !r.is_empty());
    let thumb = ctx.connector.thumbnail(id, &params.path, rev).await?;
    // `immutable` only when the revision asked for is the one drawn: a changed file answers the
    // new picture, which must not stick under the old revision's URL.
    let immutable = rev == Some(thumb.rev.as_str());
    Ok(respond(thumb, immutable, &headers))
}

fn respond(thumb: Thumbnail, immutable: bool, request: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}-{THUMBNAIL_SIZE}\"", thumb.rev)).ok();
    let cache_control = if immutable {
        "private, max-age=86400, immutable"
    } else {
        "private, max-age=86400"
    };
    let unchanged = etag.as_ref().is_some_and(|etag| {
        request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|seen| seen == etag)
    });
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = thumb.jpeg.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
        r
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(etag) = etag {
        h.insert(header::ETAG, etag);
    }
    response
}
