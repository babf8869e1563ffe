//! Administration > Users: the list (search, paging), Add user, and a user's edit page (profile, roles,
//! Disabled, Reset password, Delete).
use crate::api::users::{
    CreateUser, DeleteUser, SetUserPassword, UpdateUser, get_user, list_users,
};
use crate::components::admin::{FormError, RolePicker, UserStatusBadge, field_error, form_error};
use crate::components::confirm::DeletePanel;
use crate::components::errors::{LabeledField, load_failed};
use crate::components::list_page::SearchableList;
use crate::components::shell::AreaGuard;
use crate::components::toast::use_toasts;
use crate::dto::UserRow;
use crate::error::AppError;
use crate::routes::{require_id, use_id_param};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use wharf_types::{Area, Role};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Users><UsersList/></AreaGuard> }
}

#[component]
fn UsersList() -> impl IntoView {
    view! {
        <Title text="Users"/>
        <section class="page">
            <SearchableList
                title="Users"
                search_label="Search users"
                placeholder="Search by user name, name or email"
                pager_label="Pages of users"
                no_match="No user matches your search."
                load=|search, page| list_users(search, Some(page))
                actions=Callback::new(|_| view! {
                    <A href="/admin/users/new" attr:class="button primary">"+ Add user"</A>
                }.into_any())
                rows=|rows| view! { <UsersTable rows/> }.into_any()
            />
        </section>
    }
}

#[component]
fn UsersTable(rows: Vec<UserRow>) -> impl IntoView {
    view! {
        <table class="table stack" data-testid="users-table">
            <thead>
                <tr>
                    <th scope="col">"User name"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Roles"</th>
                    <th scope="col">"Groups"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|u| {
                    let name = u.username.clone();
                    view! {
                    <tr data-testid=format!("user-row-{}", u.username)>
                        <td class="cell-title"><A href=format!("/admin/users/{}", u.id)>{name}</A></td>
                        <td data-label="Name">{u.display_name}</td>
                        <td data-label="Email">{u.email.unwrap_or_default()}</td>
                        <td data-label="Roles">{role_labels(&u.roles)}</td>
                        <td data-label="Groups">{u.groups.join(", ")}</td>
                        <td data-label="Status"><UserStatusBadge disabled=u.disabled must_change_password=u.must_change_password/></td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn role_labels(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Administration > Users > Add user.
#[component]
pub fn NewUserPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Users><NewUserForm/></AreaGuard> }
}

#[component]
fn NewUserForm() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm_password = RwSignal::new(String::new());
    let roles = RwSignal::new(vec![Role::User]);
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            toasts.success(format!(
                "User {} added. They choose their own password at first sign-in.",
                username.get_untracked().trim()
            ));
            navigate("/admin/users", Default::default());
        }
    });
    let answer = create.value();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUser {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            confirm_password: confirm_password.get_untracked(),
            roles: roles.get_untracked(),
        });
    };
    view! {
        <Title text="Add user"/>
        <section class="page narrow">
            <h1>"Add user"</h1>
            <form on:submit=on_submit data-testid="new-user-form">
                <LabeledField id="username" label="User name" hint="What they type to sign in. Not case-sensitive; cannot be changed later." error=field_error(answer, "username")>
                    <input id="username" type="text" autocomplete="off" maxlength="64" required bind:value=username/>
                </LabeledField>
                <ProfileFields display_name email answer/>
                <LabeledField id="password" label="Initial password" hint="At least 10 characters. They replace it with their own at first sign-in." error=field_error(answer, "password")>
                    <input id="password" type="password" autocomplete="new-password" minlength="10" required bind:value=password/>
                </LabeledField>
                <LabeledField id="confirm_password" label="Repeat the password" error=field_error(answer, "confirm_password")>
                    <input id="confirm_password" type="password" autocomplete="new-password" required bind:value=confirm_password/>
                </LabeledField>
                <RolePicker selected=roles error=field_error(answer, "roles")/>
                <FormError message=form_error(answer)/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>"Add user"</button>
                    <A href="/admin/users" attr:class="button">"Cancel"</A>
                </div>
            </form>
        </section>
    }
}

/// Name and email, as Add user and the edit page both ask for them.
#[component]
fn ProfileFields<T: Send + Sync + 'static>(
    display_name: RwSignal<String>,
    email: RwSignal<String>,
    answer: MappedSignal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    view! {
        <LabeledField id="display_name" label="Name" error=field_error(answer, "display_name")>
            <input id="display_name" type="text" maxlength="100" required bind:value=display_name/>
        </LabeledField>
        <LabeledField id="email" label="Email" error=field_error(answer, "email")>
            <input id="email" type="email" maxlength="254" bind:value=email placeholder="optional"/>
        </LabeledField>
    }
}

/// Administration > Users > one user.
#[component]
pub fn UserDetailPage() -> impl IntoView {
    let id = use_id_param();
    // bumped after each save, so the page shows what is stored
    let version = RwSignal::new(0u32);
    let user = Resource::new(
        move || (id.get(), version.get()),
        |(id, _)| require_id(id, "There is no such user.", get_user),
    );
    view! {
        <AreaGuard area=Area::Users>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(u) => view! { <UserEditor user=u version/> }.into_any(),
                        Err(e) => load_failed("User", e),
                    }
                })}
            </Transition>
        </AreaGuard>
    }
}

#[component]
fn UserEditor(user: UserRow, version: RwSignal<u32>) -> impl IntoView {
    let id = user.id;
    let update = ServerAction::<UpdateUser>::new();
    let toasts = use_toasts();
    let display_name = RwSignal::new(user.display_name.clone());
    let email = RwSignal::new(user.email.clone().unwrap_or_default());
    let roles = RwSignal::new(user.roles.clone());
    let disabled = RwSignal::new(user.disabled);
    let answer = update.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = update.value().get() {
            toasts.success("Changes saved.");
            version.update(|v| *v += 1);
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateUser {
            id,
            display_name: display_name.get_untracked(),
            email: email.get_untracked(),
            roles: roles.get_untracked(),
            disabled: disabled.get_untracked(),
        });
    };
    let title = user.display_name.clone();
    view! {
        <Title text=title.clone()/>
        <section class="page narrow">
            <div class="page-header">
                <h1>{title}</h1>
                <UserStatusBadge disabled=user.disabled must_change_password=user.must_change_password/>
            </div>
            <p class="muted">"User name: " <strong data-testid="username">{user.username.clone()}</strong>
                {(!user.groups.is_empty()).then(|| format!(" · Groups: {}", user.groups.join(", ")))}
            </p>
            <form on:submit=on_submit data-testid="edit-user-form">
                <ProfileFields display_name email answer/>
                <RolePicker selected=roles error=field_error(answer, "roles")/>
                <div class="field">
                    <label class="check switch" for="disabled">
                        <input id="disabled" type="checkbox" role="switch" bind:checked=disabled/>
                        "Disabled"
                    </label>
                    <p class="hint">"A disabled user cannot sign in, and their open sessions end at once."</p>
                </div>
                <FormError message=form_error(answer)/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || update.pending().get()>"Save"</button>
                    <A href="/admin/users" attr:class="button">"Close"</A>
                </div>
            </form>
            <ResetPassword id username=user.username.clone()/>
            <DeleteUserPanel id username=user.username/>
        </section>
    }
}

#[component]
fn ResetPassword(id: i32, username: String) -> impl IntoView {
    let reset = ServerAction::<SetUserPassword>::new();
    let toasts = use_toasts();
    let password = RwSignal::new(String::new());
    let confirm_password = RwSignal::new(String::new());
    let answer = reset.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            toasts.success(format!(
                "Password set. {username} must choose their own at next sign-in."
            ));
            password.set(String::new());
            confirm_password.set(String::new());
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        reset.dispatch(SetUserPassword {
            id,
            password: password.get_untracked(),
            confirm_password: confirm_password.get_untracked(),
        });
    };
    view! {
        <section class="panel" aria-labelledby="reset-title">
            <h2 id="reset-title">"Reset password"</h2>
            <p class="muted">"Set a password to pass on; they replace it with their own at their next sign-in."</p>
            <form on:submit=on_submit data-testid="reset-password-form">
                <LabeledField id="reset_password" label="New password" error=field_error(answer, "password")>
                    <input id="reset_password" type="password" autocomplete="new-password" minlength="10" required bind:value=password/>
                </LabeledField>
                <LabeledField id="reset_confirm_password" label="Repeat the new password" error=field_error(answer, "confirm_password")>
                    <input id="reset_confirm_password" type="password" autocomplete="new-password" required bind:value=confirm_password/>
                </LabeledField>
                <FormError message=form_error(answer)/>
                <button type="submit" class="button" disabled=move || reset.pending().get()>"Set password"</button>
            </form>
        </section>
    }
}

#[component]
fn DeleteUserPanel(id: i32, username: String) -> impl IntoView {
    let delete = ServerAction::<DeleteUser>::new();
    view! {
        <DeletePanel
            title="Delete user"
            explanation="Removes the user, their roles and group memberships. To keep their history, disable them instead."
            question=format!("Delete {username}? This cannot be undone.")
            done=format!("User {username} deleted.")
            then_go="/admin/users"
            answer=delete.value()
            pending=delete.pending()
            on_confirm=Callback::new(move |()| { delete.dispatch(DeleteUser { id }); })
        />
    }
}
