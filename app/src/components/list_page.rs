//! The one searchable, paged list: a heading, a search box and the caller's actions, the rows (the
//! caller draws them: a table, cards), an empty state, "no match", and the pager. Used by the four
//! administration lists, both lists of Forms and Home; a new list is this component and a server
//! function answering `Page<T>`.
use crate::components::admin::Pager;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use std::future::Future;
use wharf_types::Page;

/// The heading of the list: a page's own (`h1`, the admin lists) or a section of a page (`h2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    Page,
    Section,
}

/// What the actions of the toolbar may depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListState {
    /// No row at all, and no search typed: the empty state is shown (and offers its own action).
    pub empty: bool,
}

#[component]
pub fn SearchableList<T, Load, Fut, Rows>(
    title: &'static str,
    #[prop(optional)] level: Level,
    /// Names the search box for screen readers ("Search users").
    search_label: &'static str,
    placeholder: &'static str,
    /// Names the pager landmark ("Pages of users"): several lists on one page each get their own.
    pager_label: &'static str,
    /// Said when the search matches nothing.
    no_match: &'static str,
    /// Shown when there is no row at all and no search; `no_match`'s sentence when not given.
    #[prop(optional, into)]
    empty: Option<ViewFn>,
    /// Fetches one page for a search text and a page number (from 0).
    load: Load,
    /// Read again whenever this changes (after a delete, for instance).
    #[prop(optional, into)]
    reload: Option<Signal<usize>>,
    /// Buttons after the search box ("+ Add user").
    #[prop(optional)]
    actions: Option<Callback<ListState, AnyView>>,
    /// Draws the rows of one page.
    rows: Rows,
    /// Shown between the heading and the list (a panel the actions open).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    Load: Fn(String, u64) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
    Rows: Fn(Vec<T>) -> AnyView + Send + Sync + 'static,
{
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(0u64);
    let list = Resource::new(
        move || (search.get(), page.get(), reload.map(|r| r.get())),
        move |(search, page, _)| load(search, page),
    );
    let unsearched = move || search.with_untracked(|s| s.trim().is_empty());
    let state = move |list: &Page<T>| ListState {
        empty: list.total == 0 && unsearched(),
    };
    let heading = match level {
        Level::Page => view! { <h1>{title}</h1> }.into_any(),
        Level::Section => view! { <h2>{title}</h2> }.into_any(),
    };
    let header_class = match level {
        Level::Page => "page-header",
        Level::Section => "section-head",
    };
    let empty = StoredValue::new(empty);
    let rows = StoredValue::new(rows);
    view! {
        <div class=header_class>
            {heading}
            <div class="toolbar">
                <input
                    type="search"
                    class="search"
                    placeholder=placeholder
                    aria-label=search_label
                    prop:value=move || search.get()
                    on:input=move |ev| {
                        search.set(event_target_value(&ev));
                        page.set(0);
                    }
                />
                {actions.map(|actions| view! {
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            list.await.ok().map(|l| actions.run(state(&l)))
                        })}
                    </Transition>
                })}
            </div>
        </div>
        {children.map(|c| c())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                list.await.map(|l| {
                    if l.total == 0 || l.rows.is_empty() {
                        let no_rows = match empty.get_value() {
                            Some(empty) if state(&l).empty => empty.run(),
                            _ => view! { <p class="muted" data-testid="no-match">{no_match}</p> }.into_any(),
                        };
                        return no_rows;
                    }
                    let shown = l.rows.len();
                    view! {
                        {rows.with_value(|draw| draw(l.rows))}
                        <Pager label=pager_label page=l.page page_size=l.page_size shown total=l.total on_page=page/>
                    }
                    .into_any()
                })
            })}
        </Transition>
    }
}
