use crate::components::errors::NotFound;
use leptos::prelude::*;

/// An address no route answers (outside the signed-in frame: it may be anyone's typo).
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="auth-page">
            <div class="auth-card">
                <NotFound/>
            </div>
        </div>
    }
}
