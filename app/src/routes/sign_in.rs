use crate::api::auth::SignIn;
use crate::components::errors::FieldError;
use crate::components::icons::{Icon, IconName};
use crate::components::reload_at;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    Effect::new(move |_| {
        if let Some(Ok(destination)) = action.value().get() {
            reload_at(&destination);
        }
    });
    let error = move || action.value().get().and_then(Result::err);
    let field_error =
        move |field: &'static str| Signal::derive(move || error().and_then(|e| e.for_field(field)));
    let form_error = move || error().and_then(|e| e.form_message());

    view! {
        <Title text="Sign in"/>
        <div class="auth-page">
            <div class="auth-card">
                <div class="brand brand-large">
                    <Icon name=IconName::Brand class="brand-mark"/>
                    "Wharf"
                </div>
                <h1>"Sign in"</h1>
                <ActionForm action=action>
                    <input type="hidden" name="next" prop:value=next/>
                    <div class="field">
                        <label for="username">"User name"</label>
                        <input id="username" name="username" autocomplete="username" required autofocus/>
                        <FieldError message=field_error("username") id="username-error"/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                        <FieldError message=field_error("password") id="password-error"/>
                    </div>
                    <Show when=move || form_error().is_some()>
                        <p class="form-error" role="alert" data-testid="sign-in-error">
                            {move || form_error().map(|e| e.to_string())}
                        </p>
                    </Show>
                    <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}
