//! A data source's files as the people who may use it see them: a folder browser. The server decides
//! what is listed (Connection users, the root folder, the File pattern); this page only shows it.
use crate::api::files::{CreateFolder, DeleteEntry, browse_folder};
use crate::components::confirm::ConfirmDialog;
use crate::components::errors::load_failed;
use crate::components::icons::{Icon, file_icon};
use crate::components::paged_list::PagedList;
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::dto::{FileEntry, FolderPageView};
use crate::routes::{require_id, use_id_param};
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use wharf_types::forms::human_size;

/// `/data-sources/:id/files?folder=…`: a data source's files, one folder at a time, page by page.
#[component]
pub fn DataSourceFilesPage() -> impl IntoView {
    let query = use_query_map();
    let id = use_id_param();
    let folder = move || query.read().get("folder").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let first = Resource::new(
        move || (id.get(), folder(), version.get()),
        |(id, folder, _)| {
            require_id(id, "There is no such data source.", move |id| {
                browse_folder(id, folder, None)
            })
        },
    );
    view! {
        <section class="page browse">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match (first.await, id.get()) {
                        (Ok(page), Some(id)) => view! { <Folder id page version/> }.into_any(),
                        (Err(e), _) => load_failed("Data source", e),
                        (Ok(_), None) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Folder(id: i32, page: FolderPageView, version: RwSignal<u32>) -> impl IntoView {
    let name = page
        .data_source_name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    let folder = page.folder.clone();
    let writable = page.writable;
    // The first page came with the server's render; later ones come on Dropbox's cursor.
    let list = PagedList::starting_with(page.entries, page.next);
    let shown = Memo::new(move |_| {
        let mut all = list.rows.get();
        folders_first_by_name(&mut all);
        all
    });
    let load_more = {
        let folder = folder.clone();
        move |_| {
            let folder = folder.clone();
            list.load_more(
                move |cursor| browse_folder(id, folder, Some(cursor)),
                |more: FolderPageView| (more.entries, more.next),
            )
        }
    };
    view! {
        <Title text=name.clone()/>
        <h1>{name.clone()}</h1>
        <Breadcrumbs id root=name folder=folder.clone()/>
        {writable.then(|| view! { <NewFolder id parent=folder.clone() version/> })}
        <table class="table stack files" data-testid="file-list">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Size"</th><th scope="col">"Modified"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
            <tbody>
                <For each=move || shown.get() key=|e| e.id.clone() let(entry)>
                    <EntryRow id entry writable version/>
                </For>
            </tbody>
        </table>
        <Show when=move || list.is_empty_and_done()>
            <p class="muted">"This folder is empty."</p>
        </Show>
        <Show when=move || list.has_more()>
            <button class="button" data-testid="load-more" on:click=load_more.clone() disabled=move || list.loading.get()>
                "Load more"
            </button>
        </Show>
        <Show when=move || list.error.with(Option::is_some)>
            <p class="form-error" role="alert">{move || list.error.get()}</p>
        </Show>
    }
    .into_any()
}

#[component]
fn Breadcrumbs(id: i32, root: String, folder: String) -> impl IntoView {
    let mut crumbs = vec![(root, String::new())];
    let mut path = String::new();
    for part in folder.split('/').filter(|p| !p.is_empty()) {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        crumbs.push((part.to_owned(), path.clone()));
    }
    view! {
        <nav class="breadcrumbs" aria-label="Folder">
            {crumbs.into_iter().map(|(label, path)| view! {
                <A href=urls::data_source_files(id, &path)>{label}</A>
                <span class="crumb-sep" aria-hidden="true">"/"</span>
            }).collect_view()}
        </nav>
    }
}

/// As file browsers show a folder: folders first, then by name ignoring case (Dropbox lists in an
/// order of its own).
fn folders_first_by_name(entries: &mut [FileEntry]) {
    entries.sort_by(|a, b| {
        b.is_folder
            .cmp(&a.is_folder)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
}

#[component]
fn EntryRow(id: i32, entry: FileEntry, writable: bool, version: RwSignal<u32>) -> impl IntoView {
    let delete = ServerAction::<DeleteEntry>::new();
    let confirm = RwSignal::new(false);
    let toasts = use_toasts();
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            toasts.success("Deleted");
            version.update(|v| *v += 1);
        }
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });
    let path = entry.path.clone();
    let icon = view! { <Icon name=file_icon(&entry.name, entry.is_folder)/> };
    let name = entry.name.clone();
    let link = if entry.is_folder {
        view! { <A href=urls::data_source_files(id, &entry.path) attr:class="entry-link">{icon}<span class="entry-name">{name}</span></A> }.into_any()
    } else {
        view! { <a class="entry-link" href=crate::urls::file_download(id, &entry.path) download>{icon}<span class="entry-name">{entry.name.clone()}</span></a> }.into_any()
    };
    view! {
        <tr>
            <td class="cell-title">{link}</td>
            <td data-label="Size">{entry.size.map(human_size).unwrap_or_default()}</td>
            <td data-label="Modified">{entry.modified.clone().map(|at| view! { <Time at/> })}</td>
            <td class="actions">
                {writable.then(|| view! {
                    <button class="button subtle" on:click=move |_| confirm.set(true)>"Delete"</button>
                })}
                <ConfirmDialog open=confirm title="Delete?"
                    message=format!("Delete “{}” from Dropbox?", entry.name)
                    confirm_label="Delete"
                    on_confirm=Callback::new(move |()| {
                        delete.dispatch(DeleteEntry { id, path: path.clone() });
                    })/>
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn NewFolder(id: i32, parent: String, version: RwSignal<u32>) -> impl IntoView {
    let create = ServerAction::<CreateFolder>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            toasts.success(format!("Folder “{}” created", created.name));
            version.update(|v| *v += 1);
        }
    });
    view! {
        <ActionForm action=create attr:class="inline-form">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="parent" value=parent/>
            <input name="name" placeholder="New folder name" aria-label="New folder name" maxlength="255"/>
            <button type="submit" class="button">"Create folder"</button>
            <Show when=move || matches!(create.value().get(), Some(Err(_)))>
                <span class="form-error" role="alert">
                    {move || create.value().get().and_then(Result::err).map(|e| e.to_string())}
                </span>
            </Show>
        </ActionForm>
    }
}
