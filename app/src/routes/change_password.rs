use crate::api::auth::ChangePassword;
use crate::components::admin::{FormError, field_error, form_error};
use crate::components::errors::LabeledField;
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
    let answer = action.value();

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
                <LabeledField id="current_password" label="Current password" error=field_error(answer, "current_password")>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                </LabeledField>
                <LabeledField id="new_password" label="New password" hint="At least 10 characters." error=field_error(answer, "new_password")>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="10"/>
                </LabeledField>
                <LabeledField id="confirm_password" label="Repeat the new password" error=field_error(answer, "confirm_password")>
                    <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required/>
                </LabeledField>
                <FormError message=form_error(answer)/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
        </section>
    }
}
