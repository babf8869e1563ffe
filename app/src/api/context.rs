//! What every server function needs on the server: the database, the caller, and a way to fail with
//! the right HTTP status. The authorization here is also what the plain routes ask.
use crate::dto::CurrentUser;
use crate::error::AppError;
use domain::AuthenticatedUser;
use domain::policy::{Action, DataSourceSecurity, Decision, log_denial};
use leptos::prelude::*;
use sea_orm::DatabaseConnection;
use std::path::PathBuf;
use wharf_types::Area;

/// Server state handed to every server function and server-rendered page.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub db: DatabaseConnection,
    pub data_dir: PathBuf,
    /// Encrypts tokens and OAuth verifiers at rest.
    pub vault: domain::vault::Vault,
    /// Connects data sources to Dropbox (or to the built-in Sandbox Dropbox).
    pub connector: domain::connector::DropboxConnector,
    /// "Sandbox Dropbox" or "Dropbox": how the UI names the provider.
    pub dropbox_label: &'static str,
}

/// The user behind the request, loaded once per request by the server's session middleware from the
/// session cookie (`None` when anonymous, or when the user was deleted or disabled since).
#[derive(Clone, Debug, Default)]
pub struct RequestUser(pub Option<AuthenticatedUser>);

/// The session key under which the signed-in user's id is kept.
pub const SESSION_USER_KEY: &str = "user_id";

impl From<AuthenticatedUser> for CurrentUser {
    fn from(u: AuthenticatedUser) -> Self {
        let areas = domain::policy::areas_for(&u);
        let may_create_data_sources =
            domain::policy::decide(Some(&u), Action::CreateDataSource, None).is_allowed();
        let may_design_forms =
            domain::policy::decide(Some(&u), Action::DesignForms, None).is_allowed();
        CurrentUser {
            may_design_forms,
            username: u.username,
            display_name: u.display_name,
            areas,
            may_create_data_sources,
            roles: u.roles,
            must_change_password: u.must_change_password,
        }
    }
}

/// The header carrying the id the server gives every request (set by the server's outermost layer,
/// named in its log lines and shown to the person when something fails).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, when there is one (server functions and rendered pages).
pub fn request_id() -> Option<String> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(REQUEST_ID_HEADER).cloned())
        .and_then(|v| v.to_str().ok().map(str::to_owned))
}

/// Logs the cause under the request's id and gives the browser only the generic sentence with that
/// id, so an administrator can find the cause from what the person quotes.
pub fn internal(cause: impl std::fmt::Display) -> AppError {
    let reference = request_id();
    tracing::error!(
        request_id = reference.as_deref().unwrap_or("-"),
        "internal error: {cause}"
    );
    AppError::Internal { reference }
}

pub fn server_context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| internal("ServerContext is not provided"))
}

pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(internal)
}

pub async fn request_user() -> Result<Option<AuthenticatedUser>, AppError> {
    let axum::Extension(RequestUser(user)) = leptos_axum::extract::<axum::Extension<RequestUser>>()
        .await
        .map_err(internal)?;
    Ok(user)
}

/// The address the request came from (the TCP peer; a reverse proxy in front of Wharf makes this the
/// proxy's address, which still throttles, only more coarsely).
pub async fn client_address() -> Option<String> {
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|axum::extract::ConnectInfo(addr)| addr.ip().to_string())
}

/// The signed-in user, who has no pending forced password change.
pub async fn require_user() -> Result<AuthenticatedUser, AppError> {
    match request_user().await? {
        None => Err(AppError::Unauthenticated),
        Some(u) if u.must_change_password => Err(AppError::PasswordChangeRequired),
        Some(u) => Ok(u),
    }
}

/// The signed-in user, if their roles let them into `area`.
pub async fn require_area(area: Area) -> Result<AuthenticatedUser, AppError> {
    let user = request_user().await?;
    authorize(user, Action::EnterArea(area), None)
}

/// The signed-in user, if the policy lets them do `action` to data source `data_source_id`
/// (404 when there is no such data source).
pub async fn require_on_data_source(
    action: Action,
    data_source_id: i32,
) -> Result<AuthenticatedUser, AppError> {
    Ok(require_on_data_source_with_security(action, data_source_id)
        .await?
        .0)
}

/// [`require_on_data_source`], answering the data source's Security too (read once) for asking
/// what else the person may do there.
pub async fn require_on_data_source_with_security(
    action: Action,
    data_source_id: i32,
) -> Result<(AuthenticatedUser, DataSourceSecurity), AppError> {
    let user = request_user().await?;
    authorize_with_security(&server_context()?.db, user, action, data_source_id).await
}

/// [`require_on_data_source`] for a caller already known: server functions and plain routes (a
/// download, a thumbnail) ask the same question the same way.
pub async fn authorize_on_data_source(
    db: &DatabaseConnection,
    user: Option<AuthenticatedUser>,
    action: Action,
    data_source_id: i32,
) -> Result<AuthenticatedUser, AppError> {
    Ok(authorize_with_security(db, user, action, data_source_id)
        .await?
        .0)
}

async fn authorize_with_security(
    db: &DatabaseConnection,
    user: Option<AuthenticatedUser>,
    action: Action,
    data_source_id: i32,
) -> Result<(AuthenticatedUser, DataSourceSecurity), AppError> {
    if user.is_none() {
        // Anonymous callers learn nothing, not even whether the data source exists.
        authorize(user, action, None)?;
        return Err(AppError::Unauthenticated);
    }
    if action == Action::AdministerDataSource {
        // Nor do people who administer no data source at all.
        authorize(user.clone(), Action::EnterArea(Area::DataSources), None)?;
    }
    let security = domain::policy::load_security(db, data_source_id)
        .await?
        .ok_or_else(|| AppError::NotFound("This data source no longer exists.".to_owned()))?;
    Ok((authorize(user, action, Some(&security))?, security))
}

/// Asks the policy; a refusal is logged and becomes 401 or 403 with the policy's sentence.
pub fn authorize(
    user: Option<AuthenticatedUser>,
    action: Action,
    security: Option<&DataSourceSecurity>,
) -> Result<AuthenticatedUser, AppError> {
    match (
        domain::policy::decide(user.as_ref(), action, security),
        user,
    ) {
        (Decision::Allow, Some(user)) => Ok(user),
        (Decision::Deny(denial), user) => {
            log_denial(
                user.as_ref(),
                action,
                security.map(|s| s.data_source_id),
                &denial,
            );
            Err(AppError::from(&denial))
        }
        (Decision::Allow, None) => Err(AppError::Unauthenticated),
    }
}

/// Gives a failed server function the HTTP status its error stands for (401, 403, 422 …).
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status_code())
    {
        response.set_status(status);
    }
    result
}
