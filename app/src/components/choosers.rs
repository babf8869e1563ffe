//! Dialogs that choose something a form or rule refers to: a data source the designer may use, and a
//! folder of it. They know nothing of forms: the caller decides what a choice changes.
use crate::api::files::{browse_folder, list_usable_data_sources};
use crate::components::confirm::Modal;
use crate::components::data_source_bits::{KindIcon, StatusBadge};
use crate::components::icons::{Icon, IconName};
use crate::components::paged_list::{Chunk, PagedList};
use crate::dto::{FileEntry, FolderPageView};
use crate::error::AppError;
use leptos::prelude::*;
use wharf_types::DataSourceStatus;

/// "Select data source": the data sources this person may use; only ready ones can be chosen (one that
/// is not connected yet would give people something that cannot list anything).
#[component]
pub fn DataSourceChooser(
    open: RwSignal<bool>,
    /// The chosen data source's id and display name.
    on_choose: Callback<(i32, String)>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let found = Resource::new(
        move || search.get(),
        |s| list_usable_data_sources(s, None, Some(false)),
    );
    view! {
        <Modal open title="Select data source" title_id="choose-ds-title" testid="select-datasource">
            <p class="muted">"Only the data sources you may use are listed."</p>
            <input type="search" aria-label="Search data sources" placeholder="Search" autofocus
                on:input=move |ev| search.set(event_target_value(&ev))/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    found.await.map(|list| {
                        if list.rows.is_empty() {
                            return view! { <p class="muted">"No data source you may use matches."</p> }.into_any();
                        }
                        let more = list.total > list.rows.len() as u64;
                        let shown = list.rows.len();
                        view! {
                            <ul class="choices">
                                {list.rows.into_iter().map(|r| {
                                    let name = r.display_name.clone().unwrap_or_else(|| "(unnamed)".into());
                                    let label = name.clone();
                                    let ready = r.status == DataSourceStatus::Ready;
                                    view! {
                                        <li><button type="button" class="button subtle choice" disabled=!ready
                                            title=if ready { "" } else { "Not ready: an administrator must connect and test it first" }
                                            on:click=move |_| { open.set(false); on_choose.run((r.id, name.clone())); }>
                                            <KindIcon kind=r.kind.clone()/>
                                            <span class="choice-label">{label}</span>
                                            <StatusBadge status=r.status/>
                                        </button></li>
                                    }
                                }).collect_view()}
                            </ul>
                            {more.then(|| view! { <p class="hint">{format!("Only the first {shown} are listed: type to narrow the search.")}</p> })}
                        }.into_any()
                    })
                })}
            </Transition>
            <div class="modal-actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Modal>
    }
}

/// How many pages of files only the chooser reads through at a time before it shows what it has: "More
/// folders" then means more folders, even in a folder of thousands of files.
const PAGES_PER_LOOK: usize = 10;

/// Chooses a folder of a data source by browsing its folders, starting at `start` (relative to the data
/// source's root, `""` is the root). The choice is `/a/b`, or `""` for the root.
#[component]
pub fn FolderChooser(
    data_source_id: i32,
    #[prop(into)] start: String,
    open: RwSignal<bool>,
    on_choose: Callback<String>,
) -> impl IntoView {
    let folder = RwSignal::new(start.trim_matches('/').to_owned());
    let list = PagedList::<FileEntry>::new();
    let fetch =
        move |cursor: Option<String>| folders_from(data_source_id, folder.get_untracked(), cursor);
    let keep = |chunk: Chunk<FileEntry>| chunk;
    Effect::new(move |_| {
        folder.track();
        list.reload(fetch(None), keep);
    });
    let use_folder = move |_| {
        let chosen = folder.get_untracked();
        open.set(false);
        on_choose.run(if chosen.is_empty() {
            String::new()
        } else {
            format!("/{chosen}")
        });
    };
    view! {
        <Modal open title="Choose a folder" title_id="choose-folder-title" testid="choose-folder">
            <p>
                <button type="button" class="button subtle" on:click=move |_| folder.set(String::new())>"Root"</button>
                {move || {
                    let mut acc = String::new();
                    let current = folder.get();
                    current.split('/').filter(|p| !p.is_empty()).map(|part| {
                        if !acc.is_empty() { acc.push('/'); }
                        acc.push_str(part);
                        let target = acc.clone();
                        view! { " / " <button type="button" class="button subtle" on:click=move |_| folder.set(target.clone())>{part.to_owned()}</button> }
                    }).collect_view()
                }}
            </p>
            <ul class="choices" data-testid="folder-choices">
                <For each=move || list.rows.get() key=|e| e.id.clone() let(e)>
                    {
                        let path = e.path.clone();
                        view! { <li><button type="button" class="button subtle" on:click=move |_| folder.set(path.clone())><Icon name=IconName::Folder/>{e.name.clone()}</button></li> }
                    }
                </For>
            </ul>
            <Show when=move || list.loading.get()>
                <p class="muted">"Loading…"</p>
            </Show>
            <Show when=move || !list.loading.get() && list.has_more()>
                <button type="button" class="button subtle"
                    on:click=move |_| list.load_more(|cursor| fetch(Some(cursor)), keep)>"More folders"</button>
            </Show>
            <Show when=move || list.is_empty_and_done()>
                <p class="muted">"No sub-folders here."</p>
            </Show>
            <Show when=move || list.error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || list.error.get()}</p>
            </Show>
            <div class="modal-actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="button" class="button primary" on:click=use_folder>"Use this folder"</button>
            </div>
        </Modal>
    }
}

/// The sub-folders of `folder` from the page at `cursor` on, reading past pages that hold files only.
async fn folders_from(
    data_source_id: i32,
    folder: String,
    mut cursor: Option<String>,
) -> Result<Chunk<FileEntry>, AppError> {
    let mut found = Vec::new();
    for _ in 0..PAGES_PER_LOOK {
        let page: FolderPageView = browse_folder(data_source_id, folder.clone(), cursor).await?;
        found.extend(page.entries.into_iter().filter(|e| e.is_folder));
        cursor = page.next;
        if !found.is_empty() || cursor.is_none() {
            break;
        }
    }
    Ok((found, cursor))
}
