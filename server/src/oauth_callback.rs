//! `GET /oauth/dropbox/callback`: where Dropbox sends the browser after Authorize. A plain axum
//! route (not a server function) because Dropbox calls it with a redirect. A reused, expired or
//! foreign `state` gets a page that explains it, and changes nothing.
use app::api::context::{RequestUser, ServerContext, authorize};
use app::error::AppError;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::connector::{Authorization, CallbackOutcome, ConnectorError};
use domain::policy::Action;
use serde::Deserialize;
use wharf_types::Area;

pub const PATH: &str = "/oauth/dropbox/callback";

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Always a page: Dropbox sends a browser here. A refusal has its `AppError`'s status.
pub async fn dropbox_callback(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Query(params): Query<CallbackParams>,
    headers: HeaderMap,
) -> Response {
    match complete(&ctx, user, params).await {
        Ok(back) => back.into_response(),
        // The page is written here, so the reference of an internal failure is filled in here.
        Err(AppError::Internal { reference: None }) => explain(&AppError::Internal {
            reference: Some(crate::failures::request_id(&headers)),
        }),
        Err(refused) => explain(&refused),
    }
}

async fn complete(
    ctx: &ServerContext,
    user: Option<domain::AuthenticatedUser>,
    params: CallbackParams,
) -> Result<Redirect, AppError> {
    // The page guard has already sent anonymous visitors to sign-in (with this URL to come back
    // to). The state is bound to the user who pressed Authorize on a data source they
    // administered; this asks again in case their access was withdrawn since.
    let user = authorize(user, Action::EnterArea(Area::DataSources), None)?;
    let Some(state) = params.state.filter(|s| !s.is_empty()) else {
        return Err(AppError::invalid(
            "This address is missing the authorization state. Start again with Authorize.",
        ));
    };
    let outcome = match (params.code, params.error) {
        (Some(code), None) if !code.is_empty() => CallbackOutcome::Code(code),
        (_, error) => CallbackOutcome::Refused(
            params
                .error_description
                .or(error)
                .unwrap_or_else(|| "no code in the answer".into()),
        ),
    };
    let authorization = ctx
        .connector
        .complete_authorization(&state, outcome, &user)
        .await
        .map_err(|e| match e {
            ConnectorError::Dropbox(_) => {
                tracing::error!(user_id = user.id, "OAuth callback failed: {e:?}");
                AppError::Upstream(format!("Dropbox could not complete the authorization. {e}"))
            }
            other => {
                tracing::warn!(user_id = user.id, "OAuth callback refused: {other}");
                other.into()
            }
        })?;
    Ok(match authorization {
        Authorization::Connected {
            data_source_id,
            test,
        } => {
            let result = if test.ok { "connected" } else { "test_failed" };
            Redirect::to(&format!(
                "/admin/data-sources/{data_source_id}?authorization={result}"
            ))
        }
        Authorization::Cancelled { data_source_id } => Redirect::to(&format!(
            "/admin/data-sources/{data_source_id}?authorization=cancelled"
        )),
    })
}

/// A small page with the reason and a way back, in Wharf's own style.
fn explain(refused: &AppError) -> Response {
    let status =
        StatusCode::from_u16(refused.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = html_escape(&refused.to_string());
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Authorization not completed · Wharf</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><div class=\"auth-page\"><div class=\"auth-card\"><h1>Authorization not completed</h1>\
         <p data-testid=\"oauth-error\">{message}</p><p>Nothing was changed.</p>\
         <a class=\"button primary\" href=\"/admin/data-sources\">Back to data sources</a></div></div></body></html>",
        css = crate::static_files::stylesheet_href()
    );
    (status, Html(page)).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
