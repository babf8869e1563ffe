use crate::api::auth::ChangePassword;
use crate::components::errors::FieldError;
use crate::components::notice::{Notice, NoticeKind};
use crate::components::shell::{CurrentUserResource, IdentityVersion};
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let toasts = use_toasts();
    let version = expect_context::<IdentityVersion>();
    let user = expect_context::<CurrentUserResource>();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            toasts.success("Your password has been changed.");
            version.0.update(|v| *v += 1);
            navigate("/", Default::default());
        }
    });
    let error = move || action.value().get().and_then(Result::err);
    let field_error =
        move |field: &'static str| Signal::derive(move || error().and_then(|e| e.for_field(field)));
    let form_error = move || error().and_then(|e| e.form_message());

    view! {
        <Title text="Change password"/>
        <section class="page narrow">
            <h1>"Change password"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let forced = user.await.ok().flatten().is_some_and(|u| u.must_change_password);
                    forced.then(|| view! {
                        <Notice kind=NoticeKind::Info testid="forced-change">
                            "This is your first sign-in with a password someone else has seen. Choose your own to continue."
                        </Notice>
                    })
                })}
            </Transition>
            <ActionForm action=action>
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                    <FieldError message=field_error("current_password") id="current-password-error"/>
                </div>
                <div class="field">
                    <label for="new_password">"New password"</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="10"/>
                    <p class="hint">"At least 10 characters."</p>
                    <FieldError message=field_error("new_password") id="new-password-error"/>
                </div>
                <div class="field">
                    <label for="confirm_password">"Repeat the new password"</label>
                    <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required/>
                    <FieldError message=field_error("confirm_password") id="confirm-password-error"/>
                </div>
                <Show when=move || form_error().is_some()>
                    <p class="form-error" role="alert">{move || form_error().map(|e| e.to_string())}</p>
                </Show>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
        </section>
    }
}
