//! One module per page.
pub mod admin;
pub mod change_password;
pub mod data_source_files;
pub mod forms;
pub mod home;
pub mod lazy;
pub mod not_found;
pub mod sign_in;

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::future::Future;

/// The `:id` of the current route, when it is a number (`/admin/users/abc` has none).
pub fn use_id_param() -> Memo<Option<i32>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|id| id.parse().ok()))
}

/// Loads what a route's id names; an id that is not a number is as unknown as one that is not there,
/// and says so with `missing` ("There is no such form.").
pub async fn require_id<T, Fut>(
    id: Option<i32>,
    missing: &'static str,
    load: impl FnOnce(i32) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    match id {
        Some(id) => load(id).await,
        None => Err(AppError::NotFound(missing.into())),
    }
}
