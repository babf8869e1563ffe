use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <div class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
                <a class="button primary" href="/">"Go to the home page"</a>
            </div>
        </div>
    }
}
