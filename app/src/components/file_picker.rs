//! The File browser of a List field bound to a data source: breadcrumbs, folders, a name search on
//! the server, pages loaded as the list scrolls (never a whole folder at once), list and grid views
//! with thumbnails, sorting, multi-select with a counter, files that cannot be chosen greyed out with
//! the reason, and keyboard navigation. Every page comes from `pick_files`, which checks the person
//! may use the data source and stays inside the field's folder.
use crate::api::forms::pick_files;
use crate::components::icons::{Icon, IconName, file_icon};
use crate::components::paged_list::PagedList;
use crate::components::time::Time;
use crate::dto::{PickEntry, PickPage};
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wharf_types::forms::{FileChoice, SortDirection, human_size};

/// How the loaded entries are ordered: the field's own Sort by, or a column the person clicked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortColumn {
    Field,
    Name,
    Size,
    Modified,
}

/// What the person is looking at: a folder, or search results under the field's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Place {
    folder: String,
    query: Option<String>,
}

pub fn choice_of(page_ds: i32, p: &PickEntry) -> FileChoice {
    FileChoice {
        data_source_id: page_ds,
        id: p.entry.id.clone(),
        path: p.entry.path.clone(),
        rev: p.entry.rev.clone(),
        name: p.entry.name.clone(),
        size: p.entry.size,
        value: p.value.clone(),
    }
}

/// Keeps the entry the keyboard moved to in view.
fn scroll_into_view(element_id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(element_id))
    {
        el.scroll_into_view_with_bool(false);
    }
}

/// Folders first, as in every file browser; then `column` in `direction`.
fn sort_entries(entries: &mut [PickEntry], column: SortColumn, direction: SortDirection) {
    entries.sort_by(|a, b| {
        b.entry.is_folder.cmp(&a.entry.is_folder).then_with(|| {
            let order = match column {
                SortColumn::Field => a.sort_key.cmp(&b.sort_key),
                SortColumn::Name => a
                    .entry
                    .name
                    .to_lowercase()
                    .cmp(&b.entry.name.to_lowercase()),
                SortColumn::Size => a.entry.size.cmp(&b.entry.size),
                SortColumn::Modified => a.entry.modified.cmp(&b.entry.modified),
            };
            if direction == SortDirection::Descending {
                order.reverse()
            } else {
                order
            }
        })
    });
}

/// The field's own order (its Sort by and Direction): every list format shows entries this way.
pub fn sort_in_field_order(entries: &mut [PickEntry], direction: SortDirection) {
    sort_entries(entries, SortColumn::Field, direction);
}

/// "1 item", "200 loaded (1 page) · scroll for more …".
fn loaded_summary(count: usize, pages: u32, more: bool) -> String {
    let items = if count == 1 { "item" } else { "items" };
    if more {
        let pages = if pages == 1 {
            "1 page".to_owned()
        } else {
            format!("{pages} pages")
        };
        format!(
            "{count} {items} loaded ({pages}) · scroll for more; sorting applies to what is loaded"
        )
    } else {
        format!("{count} {items}")
    }
}

/// Whether the error means the data source must be authorized again by its administrator.
fn needs_reconnect(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("authorize") || m.contains("reconnect")
}

#[component]
pub fn FilePicker(
    form_id: i32,
    field: String,
    preview: bool,
    /// More than one file may be chosen.
    many: bool,
    /// The field's own sort direction.
    direction: SortDirection,
    chosen: RwSignal<Vec<FileChoice>>,
) -> impl IntoView {
    let place = RwSignal::new(Place {
        folder: String::new(),
        query: None,
    });
    let list = PagedList::<PickEntry>::new();
    let header = RwSignal::new(None::<PickPage>);
    let grid = RwSignal::new(false);
    let sort = RwSignal::new((SortColumn::Field, direction));
    // The entry the keyboard is on, by Dropbox id (stable while pages are added and re-sorted).
    let focus = RwSignal::new(None::<String>);
    let search_text = RwSignal::new(String::new());
    // Keeps the header of the place's latest page; the rows go to the loader.
    let accept = move |page: PickPage| {
        let rows = page.entries.clone();
        let next = page.next.clone();
        header.set(Some(page));
        (rows, next)
    };
    let field = StoredValue::new(field);
    let fetch = move |cursor: Option<String>| {
        let here = place.get_untracked();
        pick_files(
            form_id,
            field.get_value(),
            preview,
            here.folder,
            here.query,
            cursor,
        )
    };
    // A new place (folder or search) starts over; answers for the place left behind are dropped.
    let reload = move || {
        focus.set(None);
        list.reload(fetch(None), accept);
    };
    let load_more = move || list.load_more(|cursor| fetch(Some(cursor)), accept);
    Effect::new(move |_| {
        place.track();
        reload();
    });
    let entries = list.rows;
    let sorted = Memo::new(move |_| {
        let (column, dir) = sort.get();
        let mut all = entries.get();
        sort_entries(&mut all, column, dir);
        all
    });
    let toggle = move |p: &PickEntry| {
        if p.refusal.is_some() {
            return;
        }
        let Some(ds) = header.with_untracked(|h| h.as_ref().map(|h| h.data_source_id)) else {
            return;
        };
        let choice = choice_of(ds, p);
        chosen.update(|c| {
            if let Some(at) = c.iter().position(|f| f.id == choice.id) {
                c.remove(at);
            } else if many {
                c.push(choice);
            } else {
                *c = vec![choice];
            }
        });
    };
    let may_open = move |p: &PickEntry| {
        p.entry.is_folder && header.with(|h| h.as_ref().is_some_and(|h| h.may_enter_subfolders))
    };
    let open_folder = move |path: String| {
        search_text.set(String::new());
        place.set(Place {
            folder: path,
            query: None,
        });
    };
    let activate = move |p: &PickEntry| {
        if may_open(p) {
            open_folder(p.entry.path.clone());
        } else {
            toggle(p);
        }
    };
    let go_up = move || {
        let Some(h) = header.get_untracked() else {
            return;
        };
        let current = place.get_untracked().folder;
        let current = if current.is_empty() {
            h.folder.clone()
        } else {
            current
        };
        if current.eq_ignore_ascii_case(&h.field_folder) {
            return;
        }
        let parent = current
            .rsplit_once('/')
            .map(|(p, _)| p.to_owned())
            .unwrap_or_default();
        open_folder(parent);
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let (count, at) = sorted.with_untracked(|s| {
            let at =
                focus.with_untracked(|f| s.iter().position(|p| Some(&p.entry.id) == f.as_ref()));
            (s.len(), at)
        });
        let move_to = |n: usize| {
            let id = sorted.with_untracked(|s| s.get(n).map(|p| p.entry.id.clone()));
            if let Some(id) = id {
                focus.set(Some(id.clone()));
                scroll_into_view(&format!("pick-{id}"));
            }
        };
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                move_to(at.map_or(0, |a| (a + 1).min(count - 1)));
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                move_to(at.map_or(0, |a| a.saturating_sub(1)));
            }
            "Home" if count > 0 => move_to(0),
            "End" if count > 0 => move_to(count - 1),
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(p) = at.and_then(|a| sorted.with_untracked(|s| s.get(a).cloned())) {
                    if ev.key() == " " {
                        toggle(&p)
                    } else {
                        activate(&p)
                    }
                }
            }
            "Backspace" => {
                ev.prevent_default();
                go_up();
            }
            _ => {}
        }
    };
    let on_scroll = {
        move |ev: leptos::ev::Event| {
            use wasm_bindgen::JsCast;
            let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            // Within two rows of the end: fetch the next page on Dropbox's cursor.
            if el.scroll_top() + el.client_height() >= el.scroll_height() - 120 {
                load_more();
            }
        }
    };
    let search = move || {
        let q = search_text.get_untracked().trim().to_owned();
        let folder = place.get_untracked().folder;
        place.set(Place {
            folder,
            query: (!q.is_empty()).then_some(q),
        });
    };
    let set_sort = move |column: SortColumn| {
        sort.update(|(c, d)| {
            if *c == column {
                *d = if *d == SortDirection::Ascending {
                    SortDirection::Descending
                } else {
                    SortDirection::Ascending
                };
            } else {
                *c = column;
                *d = SortDirection::Ascending;
            }
        })
    };
    // One header button per column, lined up with the column it sorts; its state is announced.
    let sort_button = move |column: SortColumn, label: &'static str, class: &'static str| {
        let state = move || {
            let (c, d) = sort.get();
            match (c == column, d) {
                (false, _) => "none",
                (true, SortDirection::Ascending) => "ascending",
                (true, SortDirection::Descending) => "descending",
            }
        };
        view! {
            <span class=format!("picker-col {class}")>
                <button type="button" class="sort-button" on:click=move |_| set_sort(column)
                    aria-label=move || match state() {
                        "ascending" => format!("{label}, sorted ascending"),
                        "descending" => format!("{label}, sorted descending"),
                        _ => format!("Sort by {label}"),
                    }>
                    {label}
                    {move || match state() {
                        "ascending" => view! { <Icon name=IconName::ChevronUp class="sort-mark"/> }.into_any(),
                        "descending" => view! { <Icon name=IconName::ChevronDown class="sort-mark"/> }.into_any(),
                        _ => view! { <Icon name=IconName::ArrowUpDown class="sort-mark idle"/> }.into_any(),
                    }}
                </button>
            </span>
        }
    };
    view! {
        <div class="picker" data-testid="file-picker">
            <div class="picker-bar">
                <nav class="breadcrumbs" aria-label="Folder" data-testid="picker-breadcrumbs">
                    {move || header.get().map(|h| {
                        let base = h.field_folder.clone();
                        let current = h.folder.clone();
                        // The field's own folder is where this picker starts: name it, not the data source.
                        let root_label = base
                            .rsplit('/')
                            .find(|p| !p.is_empty())
                            .map_or_else(|| h.data_source_name.clone(), str::to_owned);
                        let mut crumbs = vec![(root_label, base.clone())];
                        let rest = current.get(base.len()..).unwrap_or("").trim_start_matches('/');
                        let mut path = base.clone();
                        for part in rest.split('/').filter(|p| !p.is_empty()) {
                            if !path.is_empty() { path.push('/'); }
                            path.push_str(part);
                            crumbs.push((part.to_owned(), path.clone()));
                        }
                        let last = crumbs.len() - 1;
                        crumbs.into_iter().enumerate().map(|(n, (label, path))| view! {
                            <button type="button" class="crumb" aria-current=(n == last).then_some("location")
                                on:click=move |_| open_folder(path.clone())>{label}</button>
                            {(n != last).then(|| view! { <span class="crumb-sep" aria-hidden="true">"/"</span> })}
                        }).collect_view()
                    })}
                </nav>
                <div class="picker-tools">
                    // Not a <form>: the picker sits inside the form being filled in, and a nested form
                    // would be dropped by the HTML parser (and break hydration).
                    <div class="picker-search" role="search">
                        <input type="search" aria-label="Search files by name" placeholder="Search by name"
                            maxlength="200" prop:value=move || search_text.get()
                            on:input=move |ev| search_text.set(event_target_value(&ev))
                            on:keydown=move |ev: KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); search(); }/>
                        <button type="button" class="button" on:click=move |_| search()>"Search"</button>
                    </div>
                    <div class="picker-view" role="group" aria-label="View">
                        <button type="button" class="button subtle" aria-pressed=move || (!grid.get()).to_string() on:click=move |_| grid.set(false)>"List"</button>
                        <button type="button" class="button subtle" aria-pressed=move || grid.get().to_string() on:click=move |_| grid.set(true)>"Grid"</button>
                    </div>
                </div>
            </div>
            <div class="picker-status">
                <span data-testid="picker-count" aria-live="polite">
                    {move || match chosen.with(Vec::len) { 0 => "Nothing selected".to_owned(), 1 => "1 selected".to_owned(), n => format!("{n} selected") }}
                </span>
                <Show when=move || chosen.with(|c| !c.is_empty())>
                    <button type="button" class="button subtle" on:click=move |_| chosen.set(Vec::new())>"Clear selection"</button>
                </Show>
                <Show when=move || place.with(|p| p.query.is_some())>
                    <span class="picker-query">{move || place.with(|p| p.query.clone().map(|q| format!("Results for “{q}”")))}</span>
                    <button type="button" class="button subtle" on:click=move |_| {
                        search_text.set(String::new());
                        place.update(|p| p.query = None);
                    }>"Clear search"</button>
                </Show>
                <Show when=move || sort.with(|(c, _)| *c != SortColumn::Field)>
                    <button type="button" class="button subtle" data-testid="picker-default-order"
                        on:click=move |_| sort.set((SortColumn::Field, direction))>"Default order"</button>
                </Show>
                <span class="muted" data-testid="picker-loaded">
                    {move || loaded_summary(entries.with(Vec::len), list.pages.get(), list.has_more())}
                </span>
            </div>
            <Show when=move || list.error.with(Option::is_some)>
                <div class="picker-error" role="alert" data-testid="picker-error">
                    <p>{move || list.error.get()}</p>
                    <Show when=move || list.error.with(|e| e.as_deref().is_some_and(needs_reconnect))>
                        <p class="hint" data-testid="reconnect-hint">"Reconnect: ask the data source's administrator to open it in Administration › Data sources and click Authorize."</p>
                    </Show>
                    <button type="button" class="button" on:click=move |_| reload()>"Try again"</button>
                </div>
            </Show>
            <div class="picker-scroll" class:grid=move || grid.get() on:scroll=on_scroll data-testid="picker-scroll">
                <div class="picker-head" role="group" aria-label="Sort files">
                    <span class="picker-col col-check" aria-hidden="true"></span>
                    <span class="picker-col col-icon" aria-hidden="true"></span>
                    {sort_button(SortColumn::Name, "Name", "col-name")}
                    {sort_button(SortColumn::Size, "Size", "col-size")}
                    {sort_button(SortColumn::Modified, "Modified", "col-modified")}
                </div>
                <div class="picker-list" class:grid=move || grid.get() tabindex="0" role="listbox"
                    aria-multiselectable=many.to_string() aria-label="Files"
                    aria-activedescendant=move || focus.get().map(|id| format!("pick-{id}"))
                    data-testid="picker-list" on:keydown=on_keydown>
                    <For each=move || sorted.get() key=|p| p.entry.id.clone() let(p)>
                        {
                            let id = p.entry.id.clone();
                            let selected = {
                                let id = id.clone();
                                move || chosen.with(|c| c.iter().any(|f| f.id == id))
                            };
                            let focused = {
                                let id = id.clone();
                                move || focus.with(|f| f.as_deref() == Some(id.as_str()))
                            };
                            let opens = may_open(&p);
                            // A folder that opens is never greyed out, even where folders cannot be chosen.
                            let refused = p.refusal.clone().filter(|_| !opens);
                            let thumb = p.has_thumbnail.then(|| {
                                let ds = header.with_untracked(|h| h.as_ref().map(|h| h.data_source_id)).unwrap_or(0);
                                let src = crate::urls::file_thumbnail(ds, &p.entry.path, p.entry.rev.as_deref());
                                view! { <img class="thumb" loading="lazy" alt="" src=src/> }
                            });
                            let icon = file_icon(&p.entry.name, p.entry.is_folder);
                            let clicked = p.clone();
                            let focus_id = id.clone();
                            // The whole name on hover (the display value may differ from it, and may wrap).
                            let tooltip = match &refused {
                                Some(r) => format!("{} — {r}", p.entry.name),
                                None => p.entry.name.clone(),
                            };
                            view! {
                                <div class="pick" id=format!("pick-{id}") role="option"
                                    aria-selected={let selected = selected.clone(); move || selected().to_string()}
                                    aria-disabled=refused.is_some().to_string()
                                    class:focused=focused
                                    class:refused=refused.is_some()
                                    class:chosen=selected.clone()
                                    class:folder=p.entry.is_folder
                                    title=tooltip
                                    data-name=p.entry.name.clone()
                                    on:click=move |_| { focus.set(Some(focus_id.clone())); activate(&clicked); }>
                                    // A drawn box, not an <input>: the option itself is what is chosen (aria-selected),
                                    // and a control inside an option would be a second, nested one.
                                    <span class="pick-check" aria-hidden="true">
                                        {(!opens).then(|| view! { <span class="pick-box"><Icon name=IconName::Check/></span> })}
                                    </span>
                                    {match thumb {
                                        Some(img) => img.into_any(),
                                        None => view! { <span class="pick-icon"><Icon name=icon/></span> }.into_any(),
                                    }}
                                    <span class="pick-name">{p.display.clone()}</span>
                                    <span class="pick-size">{p.entry.size.map(human_size).unwrap_or_default()}</span>
                                    <span class="pick-modified">{p.entry.modified.clone().map(|at| view! { <Time at/> })}</span>
                                    {refused.clone().map(|r| view! { <span class="pick-reason">{r}</span> })}
                                </div>
                            }
                        }
                    </For>
                </div>
                <Show when=move || list.is_empty_and_done()>
                    <p class="muted picker-empty" data-testid="picker-empty">
                        {move || match place.get().query {
                            Some(q) => format!("No files match “{q}”."),
                            None => "This folder is empty.".to_owned(),
                        }}
                    </p>
                </Show>
                <Show when=move || list.loading.get()>
                    <p class="muted picker-loading" data-testid="picker-loading">"Loading…"</p>
                </Show>
                <Show when=move || list.has_more() && !list.loading.get()>
                    <button type="button" class="button subtle picker-more" data-testid="picker-more"
                        on:click=move |_| load_more()>"Load more"</button>
                </Show>
            </div>
        </div>
    }
    .into_any()
}
