//! Administration > Groups: the list (search, paging) and a group's page (name, description, members).
use crate::api::groups::{DeleteGroup, SaveGroup, find_group_candidates, get_group, list_groups};
use crate::components::admin::{FormError, field_error, form_error};
use crate::components::confirm::DeletePanel;
use crate::components::errors::{FieldError, LabeledField, load_failed};
use crate::components::list_page::SearchableList;
use crate::components::shell::AreaGuard;
use crate::components::toast::use_toasts;
use crate::dto::{GroupRow, GroupView, MemberView};
use crate::routes::{require_id, use_id_param};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use wharf_types::Area;

#[component]
pub fn GroupsPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Groups><GroupsList/></AreaGuard> }
}

#[component]
fn GroupsList() -> impl IntoView {
    view! {
        <Title text="Groups"/>
        <section class="page">
            <SearchableList
                title="Groups"
                search_label="Search groups"
                placeholder="Search by name or description"
                pager_label="Pages of groups"
                no_match="No group matches your search."
                empty=|| view! {
                    <div class="empty-state" data-testid="groups-empty">
                        <p>"No groups yet."</p>
                        <p class="muted">"Gather users into groups to grant them data sources as one."</p>
                    </div>
                }
                load=|search, page| list_groups(search, Some(page))
                actions=Callback::new(|_| view! {
                    <A href="/admin/groups/new" attr:class="button primary">"+ Add group"</A>
                }.into_any())
                rows=|rows| view! { <GroupsTable rows/> }.into_any()
            />
        </section>
    }
}

#[component]
fn GroupsTable(rows: Vec<GroupRow>) -> impl IntoView {
    view! {
        <table class="table stack" data-testid="groups-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Members"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|g| view! {
                    <tr>
                        <td class="cell-title"><A href=format!("/admin/groups/{}", g.id)>{g.name}</A></td>
                        <td data-label="Description">{g.description.unwrap_or_default()}</td>
                        <td data-label="Members" data-testid="member-count">{g.member_count}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn NewGroupPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Groups><GroupEditor existing=None/></AreaGuard> }
}

#[component]
pub fn GroupDetailPage() -> impl IntoView {
    let id = use_id_param();
    let group = Resource::new(
        move || id.get(),
        |id| require_id(id, "There is no such group.", get_group),
    );
    view! {
        <AreaGuard area=Area::Groups>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match group.await {
                        Ok(g) => view! { <GroupEditor existing=Some(g)/> }.into_any(),
                        Err(e) => load_failed("Group", e),
                    }
                })}
            </Transition>
        </AreaGuard>
    }
}

#[component]
fn GroupEditor(existing: Option<GroupView>) -> impl IntoView {
    let save = ServerAction::<SaveGroup>::new();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let id = existing.as_ref().map(|g| g.id);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|g| g.name.clone())
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        existing
            .as_ref()
            .and_then(|g| g.description.clone())
            .unwrap_or_default(),
    );
    let members = RwSignal::new(
        existing
            .as_ref()
            .map(|g| g.members.clone())
            .unwrap_or_default(),
    );
    let answer = save.value();
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            if let Some(Ok(_)) = save.value().get() {
                toasts.success("Group saved.");
                navigate("/admin/groups", Default::default());
            }
        });
    }
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveGroup {
            id,
            name: name.get_untracked(),
            description: description.get_untracked(),
            member_ids: members.with_untracked(|m| m.iter().map(|m| m.id).collect()),
        });
    };
    let title = existing
        .as_ref()
        .map_or_else(|| "New group".to_owned(), |g| g.name.clone());
    view! {
        <Title text=title.clone()/>
        <section class="page narrow">
            <h1>{title}</h1>
            <form on:submit=on_submit data-testid="group-form">
                <LabeledField id="name" label="Name" error=field_error(answer, "name")>
                    <input id="name" type="text" maxlength="100" required bind:value=name placeholder="e.g. Finance"/>
                </LabeledField>
                <div class="field">
                    <label for="description">"Description"</label>
                    <textarea id="description" maxlength="1000" rows="2" bind:value=description></textarea>
                    <FieldError message=field_error(answer, "description") id="description-error"/>
                </div>
                <MemberPicker members/>
                <FieldError message=field_error(answer, "members") id="members-error"/>
                <FormError message=form_error(answer)/>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save"</button>
                    <A href="/admin/groups" attr:class="button">"Close"</A>
                </div>
            </form>
            {id.map(|id| view! { <DeleteGroupPanel id name=name.get_untracked()/> })}
        </section>
    }
}

/// The members as removable chips, and a search over users to add more.
#[component]
fn MemberPicker(members: RwSignal<Vec<MemberView>>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let candidates = Resource::new(
        move || search.get(),
        |search| async move {
            if search.trim().is_empty() {
                Ok(Vec::new())
            } else {
                find_group_candidates(search).await
            }
        },
    );
    let add = move |m: MemberView| {
        members.update(|all| {
            if !all.iter().any(|x| x.id == m.id) {
                all.push(m);
                all.sort_by(|a, b| a.username.cmp(&b.username));
            }
        })
    };
    view! {
        <fieldset class="field members">
            <legend>"Members"</legend>
            <ul class="chips" data-testid="members">
                <For each=move || members.get() key=|m| m.id let:m>
                    <li class="chip">
                        <span>{m.display_name.clone()} " (" {m.username.clone()} ")"</span>
                        <button type="button" class="chip-remove" aria-label=format!("Remove {}", m.username)
                            on:click=move |_| members.update(|all| all.retain(|x| x.id != m.id))>"×"</button>
                    </li>
                </For>
            </ul>
            <Show when=move || members.with(Vec::is_empty)>
                <p class="muted">"No members yet."</p>
            </Show>
            <input
                type="search"
                aria-label="Find users to add"
                placeholder="Find users to add"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    candidates.await.map(|found| {
                        let found: Vec<MemberView> = found
                            .into_iter()
                            .filter(|c| members.with_untracked(|all| all.iter().all(|m| m.id != c.id)))
                            .collect();
                        view! {
                            <ul class="suggestions" data-testid="member-suggestions">
                                {found.into_iter().map(|c| {
                                    let label = format!("Add {}", c.username);
                                    let text = format!("{} ({})", c.display_name, c.username);
                                    view! {
                                        <li>
                                            <button type="button" class="button subtle" aria-label=label
                                                on:click=move |_| { add(c.clone()); search.set(String::new()); }>
                                                "+ " {text}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                    })
                })}
            </Transition>
        </fieldset>
    }
}

#[component]
fn DeleteGroupPanel(id: i32, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteGroup>::new();
    view! {
        <DeletePanel
            title="Delete group"
            explanation="Its members stay; data sources granted to the group are no longer granted to them through it."
            question=format!("Delete the group {name}? This cannot be undone.")
            done="Group deleted."
            then_go="/admin/groups"
            answer=delete.value()
            pending=delete.pending()
            on_confirm=Callback::new(move |()| { delete.dispatch(DeleteGroup { id }); })
        />
    }
}
