//! How failures look: a sentence, never a panic or a debug dump.
use crate::error::AppError;
use leptos::prelude::*;

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
