//! Pieces the Users and Groups pages share: a pager, a user's status badge, role checkboxes, and the
//! field / form messages of a server action's last answer.
use crate::error::AppError;
use leptos::prelude::*;
use wharf_types::Role;

/// "1–50 of 73" with Previous / Next, as a navigation landmark named by `label` ("Pages of users"):
/// several lists on one page each get their own name.
#[component]
pub fn Pager(
    label: &'static str,
    page: u64,
    page_size: u64,
    shown: usize,
    total: u64,
    on_page: RwSignal<u64>,
) -> impl IntoView {
    let first = page * page_size + 1;
    let last = first + shown as u64 - 1;
    // Computed outside `view!`: a `>` inside an attribute value would end the tag there.
    let is_first = page == 0;
    let is_last = last >= total;
    view! {
        <nav class="pager" aria-label=label>
            <span class="muted" data-testid="pager-range">{format!("{first}–{last} of {total}")}</span>
            <button type="button" class="button" disabled=is_first on:click=move |_| on_page.update(|p| *p = p.saturating_sub(1))>
                "Previous"
            </button>
            <button type="button" class="button" disabled=is_last on:click=move |_| on_page.update(|p| *p += 1)>"Next"</button>
        </nav>
    }
}

/// Active, Disabled, or Must change password.
#[component]
pub fn UserStatusBadge(disabled: bool, must_change_password: bool) -> impl IntoView {
    let (key, label) = if disabled {
        ("disabled", "Disabled")
    } else if must_change_password {
        ("must-change", "Must change password")
    } else {
        ("active", "Active")
    };
    view! { <span class=format!("badge badge-user-{key}") data-status=key>{label}</span> }
}

/// One checkbox per role; a user can hold several.
#[component]
pub fn RolePicker(
    selected: RwSignal<Vec<Role>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <fieldset class="field role-picker" aria-describedby="roles-error">
            <legend>"Roles"</legend>
            {Role::ALL
                .into_iter()
                .map(|role| {
                    let id = format!("role-{}", role.as_str());
                    view! {
                        <label class="check" for=id.clone()>
                            <input
                                type="checkbox"
                                id=id.clone()
                                prop:checked=move || selected.with(|r| r.contains(&role))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    selected.update(|roles| {
                                        roles.retain(|r| *r != role);
                                        if on {
                                            roles.push(role);
                                            roles.sort();
                                        }
                                    });
                                }
                            />
                            {role.label()}
                        </label>
                    }
                })
                .collect_view()}
            <crate::components::errors::FieldError message=error id="roles-error"/>
        </fieldset>
    }
}

/// The message for `field` in an action's last answer, if it was refused for that field.
pub fn field_error<T: Send + Sync + 'static>(
    answer: MappedSignal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        answer.with(|a| match a {
            Some(Err(e)) => e.for_field(field),
            _ => None,
        })
    })
}

/// The message of a refusal that belongs to no one field (last administrator, session ended …).
pub fn form_error<T: Send + Sync + 'static>(
    answer: MappedSignal<Option<Result<T, AppError>>>,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        answer.with(|a| match a {
            Some(Err(e)) => e.form_message(),
            _ => None,
        })
    })
}

/// Shows [`form_error`]'s message above a form's buttons.
#[component]
pub fn FormError(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="form-error" role="alert" data-testid=(!testid.is_empty()).then_some(testid)>{move || message.get()}</p>
        </Show>
    }
}
