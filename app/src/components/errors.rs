//! How failures look: a sentence, never a panic or a debug dump.
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found": for an address nothing answers and for an id nothing has (a deleted data
/// source, a mistyped user id …), everywhere the same, and with the 404 status when the server
/// renders it (pages that load by id render whole before answering, so the status can follow).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <div class="not-found" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have been deleted or moved, or the link may be mistyped."</p>
            <a class="button primary" href="/">"Go to the home page"</a>
        </div>
    }
}

/// What a page shows when the thing it loads by id could not be loaded: the not-found page when
/// there is no such thing, otherwise the page's title and the sentence saying why.
pub fn load_failed(title: &'static str, error: AppError) -> AnyView {
    match error {
        AppError::NotFound(_) => view! { <NotFound/> }.into_any(),
        other => view! {
            <Title text=title/>
            <h1>{title}</h1>
            <p class="form-error" role="alert" data-testid="page-error">{other.to_string()}</p>
        }
        .into_any(),
    }
}

/// The fallback of every `ErrorBoundary`: the first error's sentence, plus a way out for the errors a
/// person can do something about.
pub fn error_panel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = {
        let errors = errors.clone();
        move || {
            errors
                .get()
                .into_iter()
                .next()
                .map(|(_, e)| e.to_string())
                .unwrap_or_else(|| AppError::Internal { reference: None }.to_string())
        }
    };
    let needs_sign_in = move || {
        errors.get().into_iter().any(|(_, e)| {
            e.downcast_ref::<AppError>()
                .is_some_and(|e| matches!(e, AppError::Unauthenticated))
        })
    };
    view! {
        <div class="error-panel" role="alert">
            <p>{message}</p>
            <Show when=needs_sign_in>
                <a class="button" href="/sign-in" rel="external">"Sign in"</a>
            </Show>
        </div>
    }
}

/// A field's validation message, shown under the field it belongs to.
#[component]
pub fn FieldError(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(into)] id: String,
) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="field-error" id=id.clone() role="alert">{move || message.get()}</p>
        </Show>
    }
}

/// One labelled form field: the label, the control (the children), an optional hint, and the
/// field's message under it (`{id}-error`, with `-` for `_`).
#[component]
pub fn LabeledField(
    /// The control's id, which the label points at.
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {children()}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <FieldError message=error id=format!("{}-error", id.replace('_', "-"))/>
        </div>
    }
}
