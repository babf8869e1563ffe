//! The HTTP surface: one router for every Dropbox host (api, content, notify, www), the observing
//! middleware (faults + request log), and the dispatch of `/2/<route>` calls by style (RPC, upload,
//! download, no-auth; see `routes`).

mod batch;
pub mod call;
mod control;
mod download;
mod files;
mod html;
mod list_folder;
mod oauth;
pub mod routes;
mod sessions;
mod sharing;
mod thumbnail;
mod upload;
mod users;

use crate::state::Sandbox;
use crate::state::jobs::JobKind;
use crate::state::observe::{FaultKind, LoggedRequest, normalize_route};
use crate::wire::{ApiError, json_response, rate_limited, tag, text};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use call::{Args, LogSlot, authenticate, bearer};
use futures_util::StreamExt;
use routes::{Route, Style};
use serde_json::Value;
use std::sync::Arc;

pub fn router(sb: Arc<Sandbox>) -> Router {
    let mut r = Router::new()
        .route(
            "/oauth2/authorize",
            get(oauth::authorize_page).post(oauth::authorize_decision),
        )
        .route("/oauth2/token", post(oauth::token))
        // The paths Dropbox served before `/oauth2/…`, still answered (and still used by some SDKs).
        .route(
            "/1/oauth2/authorize",
            get(oauth::authorize_page).post(oauth::authorize_decision),
        )
        .route("/1/oauth2/token", post(oauth::token))
        .route("/2/{*route}", post(dispatch))
        .route("/__tl/{id}", get(download::temporary_link))
        // Shared links, where dropbox.com serves them.
        .route("/scl/{kind}/{id}/{name}", get(sharing::serve_link));
    if sb.config.control_api {
        r = r.merge(control::routes());
    }
    r.layer(from_fn_with_state(sb.clone(), observe))
        .layer(DefaultBodyLimit::disable())
        .with_state(sb)
}

/// Applies scripted faults and records every request in the log.
async fn observe(State(sb): State<Arc<Sandbox>>, mut req: Request, next: Next) -> Response {
    let route = normalize_route(req.uri().path());
    let method = req.method().to_string();
    let slot = LogSlot::default();
    req.extensions_mut().insert(slot.clone());
    let control = route.starts_with("__sandbox");
    let fault = if control { None } else { sb.take_fault(&route) };
    let mut cut_after = None;
    let mut resp = match &fault {
        Some(FaultKind::RateLimit { retry_after }) => rate_limited(*retry_after),
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = text(
                code,
                format!("Sandbox scripted fault: HTTP {}", code.as_u16()),
            );
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, (*secs).into());
            }
            r
        }
        Some(FaultKind::RouteError { tag: t }) => ApiError::Route(tag(t)).into_response_for(&route),
        Some(FaultKind::Delay { millis }) => {
            tokio::time::sleep(std::time::Duration::from_millis(*millis)).await;
            next.run(req).await
        }
        Some(FaultKind::ResetMidBody { after_bytes }) => {
            cut_after = Some(*after_bytes);
            next.run(req).await
        }
        Some(FaultKind::ExpireToken) => {
            if let Some(t) = bearer(req.headers()) {
                sb.expire_token(&t);
            }
            next.run(req).await
        }
        Some(FaultKind::RevokeToken) => {
            if let Some(t) = bearer(req.headers()) {
                sb.revoke_token(&t);
            }
            next.run(req).await
        }
        None => next.run(req).await,
    };
    if !control {
        let (token_id, account_id) = slot.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        crate::state::lock(&sb.log).push(LoggedRequest {
            method,
            route,
            status: resp.status().as_u16(),
            token_id,
            account_id,
            fault,
        });
    }
    if let Ok(id) = axum::http::HeaderValue::from_str(&crate::util::random_alnum(32).to_lowercase())
    {
        resp.headers_mut().insert("x-dropbox-request-id", id);
    }
    match cut_after {
        Some(n) => cut_body(resp, n),
        None => resp,
    }
}

/// Passes `n` bytes of the body through, then fails the stream so the connection is cut.
fn cut_body(resp: Response, n: u64) -> Response {
    let (parts, body) = resp.into_parts();
    let stream = futures_util::stream::unfold(
        (body.into_data_stream(), n, false),
        |(mut s, left, done)| async move {
            if done {
                return None;
            }
            if left == 0 {
                let err = std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sandbox fault: reset mid-body",
                );
                return Some((Err(err), (s, 0, true)));
            }
            match s.next().await {
                None => None,
                Some(Err(e)) => Some((Err(std::io::Error::other(e)), (s, 0, true))),
                Some(Ok(b)) => {
                    let take = (b.len() as u64).min(left) as usize;
                    let chunk: Bytes = b.slice(..take);
                    Some((Ok(chunk), (s, left - take as u64, false)))
                }
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The content host (uploads, downloads) answers an expired token with a 401 whose tag is `other`, not
/// `expired_access_token` as the API host does; a client has to treat any 401 as "refresh and retry".
fn content_host_auth(e: ApiError) -> ApiError {
    match e {
        ApiError::Auth("expired_access_token") => ApiError::Auth("other"),
        e => e,
    }
}

async fn dispatch(
    State(sb): State<Arc<Sandbox>>,
    Path(route): Path<String>,
    RawQuery(query): RawQuery,
    Extension(slot): Extension<LogSlot>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match call(&sb, &route, query.as_deref(), &slot, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response_for(&route),
    }
}

async fn call(
    sb: &Arc<Sandbox>,
    route: &str,
    query: Option<&str>,
    slot: &LogSlot,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(Route { style, scope }) = routes::lookup(route) else {
        return Err(ApiError::Status(
            StatusCode::NOT_FOUND,
            format!("Unknown API function: \"{route}\""),
        ));
    };
    let ok = |v: Value| json_response(StatusCode::OK, &v);
    // A user call: the token, then the scope its route needs (both 401s), before the argument is read.
    let caller = || {
        let c = authenticate(sb, headers, query, slot)?;
        c.require(scope)?;
        Ok::<_, ApiError>(c)
    };
    match style {
        Style::App => {
            users::app_auth(sb, headers)?;
            let a = Args::from_rpc(headers, body, false).await?;
            users::check_user(&a).map(ok)
        }
        Style::NoAuth => {
            let a = Args::from_rpc(headers, body, false).await?;
            list_folder::longpoll(sb, &a).await.map(ok)
        }
        Style::Rpc { void } => {
            let c = caller()?;
            let a = Args::from_rpc(headers, body, void).await?;
            let v = match route {
                "users/get_current_account" => users::current_account(&c),
                "users/get_space_usage" => users::space_usage(sb, &c),
                "auth/token/revoke" => users::revoke(sb, &c),
                "check/user" => users::check_user(&a),
                "files/get_metadata" => files::get_metadata(sb, &c, &a),
                "files/list_folder" => list_folder::list_folder(sb, &c, &a),
                "files/list_folder/continue" => list_folder::continue_(sb, &c, &a),
                "files/list_folder/get_latest_cursor" => list_folder::latest_cursor(sb, &c, &a),
                "files/create_folder_v2" => files::create_folder(sb, &c, &a),
                "files/delete_v2" => files::delete(sb, &c, &a),
                "files/move_v2" => files::relocate(sb, &c, &a, false),
                "files/copy_v2" => files::relocate(sb, &c, &a, true),
                "files/search_v2" => files::search(sb, &c, &a),
                "files/search/continue_v2" => files::search_continue(sb, &c, &a),
                "files/get_temporary_link" => download::get_temporary_link(sb, &c, &a),
                "files/list_revisions" => files::list_revisions(sb, &c, &a),
                "files/restore" => files::restore(sb, &c, &a),
                "files/delete_batch" => batch::delete_batch(sb, &c, &a),
                "files/delete_batch/check" => batch::check(sb, &c, &a, JobKind::Delete),
                "files/copy_batch_v2" => batch::relocate_batch(sb, &c, &a, true),
                "files/copy_batch/check_v2" => batch::check(sb, &c, &a, JobKind::Copy),
                "files/move_batch_v2" => batch::relocate_batch(sb, &c, &a, false),
                "files/move_batch/check_v2" => batch::check(sb, &c, &a, JobKind::Move),
                "files/upload_session/finish_batch" => batch::finish_batch(sb, &c, &a),
                "files/upload_session/finish_batch_v2" => batch::finish_batch_v2(sb, &c, &a).await,
                "files/upload_session/finish_batch/check" => {
                    batch::check(sb, &c, &a, JobKind::FinishUpload)
                }
                "sharing/create_shared_link_with_settings" => {
                    sharing::create_shared_link_with_settings(sb, &c, &a)
                }
                "sharing/list_shared_links" => sharing::list_shared_links(sb, &c, &a),
                "sharing/get_shared_link_metadata" => sharing::get_shared_link_metadata(sb, &c, &a),
                "sharing/revoke_shared_link" => sharing::revoke_shared_link(sb, &c, &a),
                _ => Err(ApiError::internal("route table mismatch")),
            }?;
            Ok(ok(v))
        }
        Style::Upload => {
            let c = caller().map_err(content_host_auth)?;
            upload::check_content_type(headers)?;
            let a = Args::from_header(headers, query, false)?;
            let v = match route {
                "files/upload" => upload::upload(sb, &c, &a, body).await,
                "files/upload_session/start" => sessions::session_start(sb, &c, &a, body).await,
                "files/upload_session/append_v2" => {
                    sessions::session_append(sb, &c, &a, body).await
                }
                "files/upload_session/finish" => sessions::session_finish(sb, &c, &a, body).await,
                _ => Err(ApiError::internal("route table mismatch")),
            }?;
            Ok(ok(v))
        }
        Style::Download => {
            let c = caller().map_err(content_host_auth)?;
            let a = Args::from_header(headers, query, false)?;
            match route {
                "files/download" => download::download(sb, &c, &a, headers).await,
                "files/get_thumbnail_v2" => thumbnail::get_thumbnail(sb, &c, &a).await,
                "sharing/get_shared_link_file" => {
                    sharing::get_shared_link_file(sb, &c, &a, headers).await
                }
                _ => Err(ApiError::internal("route table mismatch")),
            }
        }
    }
}
