use crate::api::auth::SignIn;
use crate::components::admin::{FormError, field_error, form_error};
use crate::components::errors::LabeledField;
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
    let answer = action.value();

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
                    <LabeledField id="username" label="User name" error=field_error(answer, "username")>
                        <input id="username" name="username" autocomplete="username" required autofocus/>
                    </LabeledField>
                    <LabeledField id="password" label="Password" error=field_error(answer, "password")>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </LabeledField>
                    <FormError message=form_error(answer) testid="sign-in-error"/>
                    <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}
