//! The Security dialog of a data source: Connection administrators, Connection users (users, groups
//! and roles, picked with a search) and the read-only switch. OK saves, Close discards.
use crate::api::security::{SaveDataSourceSecurity, get_data_source_security, search_grantees};
use crate::components::confirm::Modal;
use crate::components::icons::{Icon, IconName};
use crate::components::toast::use_toasts;
use crate::dto::{GranteeView, SecurityView};
use leptos::prelude::*;
use wharf_types::Grantee;

#[component]
pub fn SecurityDialog(
    id: i32,
    open: RwSignal<bool>,
    /// Called after a successful save (the page shows the new audit line).
    on_saved: Callback<()>,
) -> impl IntoView {
    view! {
        <Modal open title="Security" title_id="security-title" wide=true testid="security-dialog">
            <SecurityEditor id open on_saved/>
        </Modal>
    }
}

#[component]
fn SecurityEditor(id: i32, open: RwSignal<bool>, on_saved: Callback<()>) -> impl IntoView {
    // Read fresh each time the dialog opens: Close must discard what was not saved.
    let current = LocalResource::new(move || get_data_source_security(id));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(view) => view! { <SecurityForm id view open on_saved/> }.into_any(),
                    Err(e) => view! {
                        <p class="form-error" role="alert">{e.to_string()}</p>
                        <div class="modal-actions">
                            <button class="button" on:click=move |_| open.set(false)>"Close"</button>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SecurityForm(
    id: i32,
    view: SecurityView,
    open: RwSignal<bool>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let administrators = RwSignal::new(view.administrators);
    let users = RwSignal::new(view.users);
    let read_only = RwSignal::new(view.read_only);
    let save = ServerAction::<SaveDataSourceSecurity>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            toasts.success("Security saved");
            open.set(false);
            on_saved.run(());
        }
    });
    let on_ok = move |_| {
        save.dispatch(SaveDataSourceSecurity {
            id,
            administrators: administrators
                .get_untracked()
                .into_iter()
                .map(|g| g.grantee)
                .collect(),
            users: users
                .get_untracked()
                .into_iter()
                .map(|g| g.grantee)
                .collect(),
            read_only: read_only.get_untracked(),
        });
    };
    let admins_blank = if view.admins_restricted {
        "Nobody is listed any more: only Administrators may edit this data source."
    } else {
        "Blank: any Administrator and any holder of Manage data sources may edit it."
    };
    let users_blank = if view.users_restricted {
        "Nobody is listed any more: only its administrators may use this data source."
    } else {
        "Blank: any signed-in user may use it."
    };
    view! {
        <GranteeList
            heading="Connection administrators"
            explanation="Users and groups who may edit this data source."
            blank=admins_blank
            list=administrators
            testid="administrators"
        />
        <GranteeList
            heading="Connection users"
            explanation="Users and groups who may use it: forms, List fields, rules, dashboards and the file picker."
            blank=users_blank
            list=users
            testid="users"
        />
        <label class="switch">
            <input type="checkbox" data-testid="read-only"
                prop:checked=move || read_only.get()
                on:change=move |ev| read_only.set(event_target_checked(&ev))/>
            " Read-only: refuse creating, changing and deleting files, from every caller"
        </label>
        <Show when=move || matches!(save.value().get(), Some(Err(_)))>
            <p class="form-error" role="alert">
                {move || save.value().get().and_then(Result::err).map(|e| e.to_string())}
            </p>
        </Show>
        <div class="modal-actions">
            <button class="button" on:click=move |_| open.set(false)>"Close"</button>
            <button class="button primary" data-testid="security-ok" on:click=on_ok
                disabled=move || save.pending().get()>"OK"</button>
        </div>
    }
}

/// One list: its entries as removable chips, and a search to add users, groups and roles.
#[component]
fn GranteeList(
    heading: &'static str,
    explanation: &'static str,
    blank: &'static str,
    list: RwSignal<Vec<GranteeView>>,
    testid: &'static str,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let matches = LocalResource::new(move || {
        let q = query.get();
        async move {
            if q.trim().is_empty() {
                Ok(Vec::new())
            } else {
                search_grantees(q).await
            }
        }
    });
    let add = move |g: GranteeView| {
        list.update(|l| {
            if !l.iter().any(|x| x.grantee == g.grantee) {
                l.push(g);
            }
        });
        query.set(String::new());
    };
    view! {
        <fieldset class="grantees" data-testid=format!("grantees-{testid}")>
            <legend>{heading}</legend>
            <p class="muted">{explanation}</p>
            <ul class="chips">
                <For each=move || list.get() key=|g| g.grantee.clone() let(g)>
                    {
                        let grantee = g.grantee.clone();
                        view! {
                            <li class="chip" title=g.detail.clone()>
                                <span class="chip-kind">{kind_icon(&g.grantee)}</span>
                                {g.label.clone()}
                                <button class="chip-remove" aria-label=format!("Remove {}", g.label)
                                    on:click=move |_| list.update(|l| l.retain(|x| x.grantee != grantee))>"×"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || list.with(|l| l.is_empty())>
                <p class="muted blank-note">{blank}</p>
            </Show>
            <input type="search" placeholder="Add a user, group or role…" aria-label=format!("Add to {heading}")
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let found = matches.await.unwrap_or_default();
                    (!found.is_empty()).then(|| view! {
                        <ul class="picker-results" role="listbox">
                            {found.into_iter().map(|g| {
                                let pick = g.clone();
                                view! {
                                    <li>
                                        <button class="picker-option" role="option" on:click=move |_| add(pick.clone())>
                                            <span class="chip-kind">{kind_icon(&g.grantee)}</span>
                                            <span>{g.label.clone()}</span>
                                            <span class="muted">{g.detail.clone()}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
        </fieldset>
    }
}

/// The kind's icon, and its name for screen readers.
fn kind_icon(g: &Grantee) -> impl IntoView + use<> {
    let (name, kind) = match g {
        Grantee::User(_) => (IconName::User, "User"),
        Grantee::Group(_) => (IconName::Users, "Group"),
        Grantee::Role(_) => (IconName::Shield, "Role"),
    };
    view! { <Icon name/><span class="visually-hidden">{kind}</span> }
}
