//! `GET /oauth/dropbox/callback`: where Dropbox sends the browser after Authorize. A plain axum
//! route (not a server function) because Dropbox calls it with a redirect. A reused, expired or
//! foreign `state` gets a page that explains it, and changes nothing.
use app::api::context::{RequestUser, ServerContext};
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::connector::{Authorization, CallbackOutcome, ConnectorError};
use domain::policy::{Action, decide};
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

pub async fn dropbox_callback(
    State(ctx): State<ServerContext>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    Query(params): Query<CallbackParams>,
) -> Response {
    // The page guard has already sent anonymous visitors to sign-in (with this URL to come back to).
    let Some(user) = user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    // The state is bound to the user who pressed Authorize on a data source they administered; this
    // asks again in case their access was withdrawn since.
    if !decide(Some(&user), Action::EnterArea(Area::DataSources), None).is_allowed() {
        tracing::warn!(
            user_id = user.id,
            "OAuth callback refused: the user may not manage data sources"
        );
        return explain(
            StatusCode::FORBIDDEN,
            "You do not have permission to connect data sources.",
        );
    }
    let Some(state) = params.state.filter(|s| !s.is_empty()) else {
        return explain(
            StatusCode::BAD_REQUEST,
            "This address is missing the authorization state. Start again with Authorize.",
        );
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
    match ctx
        .connector
        .complete_authorization(&state, outcome, &user)
        .await
    {
        Ok(Authorization::Connected {
            data_source_id,
            test,
        }) => {
            let result = if test.ok { "connected" } else { "test_failed" };
            Redirect::to(&format!(
                "/admin/data-sources/{data_source_id}?authorization={result}"
            ))
            .into_response()
        }
        Ok(Authorization::Cancelled { data_source_id }) => Redirect::to(&format!(
            "/admin/data-sources/{data_source_id}?authorization=cancelled"
        ))
        .into_response(),
        Err(ConnectorError::State(e)) => {
            tracing::warn!(user_id = user.id, "OAuth callback refused: {e}");
            explain(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(e) => {
            tracing::error!(user_id = user.id, "OAuth callback failed: {e:?}");
            explain(
                StatusCode::BAD_GATEWAY,
                &format!("Dropbox could not complete the authorization. {e}"),
            )
        }
    }
}

/// A small page with the reason and a way back, in Wharf's own style.
fn explain(status: StatusCode, message: &str) -> Response {
    let message = html_escape(message);
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Authorization not completed · Wharf</title><link rel=\"stylesheet\" href=\"/pkg/wharf.css\"></head>\
         <body><div class=\"auth-page\"><div class=\"auth-card\"><h1>Authorization not completed</h1>\
         <p data-testid=\"oauth-error\">{message}</p><p>Nothing was changed.</p>\
         <a class=\"button primary\" href=\"/admin/data-sources\">Back to data sources</a></div></div></body></html>"
    );
    (status, Html(page)).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
