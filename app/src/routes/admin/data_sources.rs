//! Administration > Data sources: the list, search, paging and delete.
use crate::api::data_sources::{DeleteDataSource, list_data_sources};
use crate::components::admin::Pager;
use crate::components::confirm::ConfirmDialog;
use crate::components::data_source_bits::{KindLabel, StatusBadge};
use crate::components::icons::{Icon, IconName};
use crate::components::shell::{AreaGuard, CurrentUserResource};
use crate::components::time::Time;
use crate::components::toast::{ToastKind, use_toasts};
use crate::dto::{DataSourceList, DataSourceRow};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::Area;

#[component]
pub fn DataSourcesPage() -> impl IntoView {
    view! { <AreaGuard area=Area::DataSources><DataSourcesList/></AreaGuard> }
}

#[component]
fn DataSourcesList() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(0u64);
    let delete = ServerAction::<DeleteDataSource>::new();
    let rows = Resource::new(
        move || (search.get(), page.get(), delete.version().get()),
        |(search, page, _)| list_data_sources(search, Some(page)),
    );
    let user = expect_context::<CurrentUserResource>();
    let may_create = move || {
        user.get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| u.may_create_data_sources)
    };
    let toasts = use_toasts();
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(result)) => match result.warning {
            Some(warning) => toasts.show(ToastKind::Info, warning),
            None => toasts.success("Data source deleted."),
        },
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });

    // the row the bin was clicked on, while its confirmation is open
    let pending: RwSignal<Option<DataSourceRow>> = RwSignal::new(None);
    let confirm_open = RwSignal::new(false);
    let ask_delete = Callback::new(move |row: DataSourceRow| {
        pending.set(Some(row));
        confirm_open.set(true);
    });
    let do_delete = Callback::new(move |()| {
        if let Some(row) = pending.get_untracked() {
            delete.dispatch(DeleteDataSource { id: row.id });
        }
    });
    let confirm_message = Signal::derive(move || {
        let name = pending
            .get()
            .and_then(|r| r.display_name)
            .unwrap_or_else(|| "this unnamed data source".into());
        format!(
            "Delete “{name}”? Forms and rules that use it will stop working. This cannot be undone."
        )
    });

    view! {
        <Title text="Data sources"/>
        <section class="page">
            <div class="page-header">
                <h1>"Data sources"</h1>
                <div class="toolbar">
                    <input
                        type="search"
                        class="search"
                        placeholder="Search by name or type"
                        aria-label="Search data sources"
                        prop:value=move || search.get()
                        on:input=move |ev| {
                            search.set(event_target_value(&ev));
                            page.set(0);
                        }
                    />
                    // Hidden while the list is empty: the empty state offers it instead, once.
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let empty = rows.await.is_ok_and(|l| l.total == 0)
                                && search.get_untracked().trim().is_empty();
                            (may_create() && !empty).then(|| view! {
                                <A href="/admin/data-sources/new" attr:class="button primary">"+ Add new"</A>
                            })
                        })}
                    </Transition>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    rows.await.map(|list| {
                        if list.total == 0 && search.get_untracked().trim().is_empty() {
                            view! {
                                <div class="empty-state" data-testid="data-sources-empty">
                                    <p>"No data sources yet."</p>
                                    <p class="muted">"Connect Dropbox to let forms and processes use its files."</p>
                                    <Show when=may_create>
                                        <A href="/admin/data-sources/new" attr:class="button primary">"+ Add new"</A>
                                    </Show>
                                </div>
                            }
                                .into_any()
                        } else if list.total == 0 {
                            view! { <p class="muted">"No data source matches your search."</p> }.into_any()
                        } else {
                            view! { <DataSourcesTable list page ask_delete/> }.into_any()
                        }
                    })
                })}
            </Transition>
            <ConfirmDialog
                open=confirm_open
                title="Delete data source"
                message=confirm_message
                on_confirm=do_delete
            />
        </section>
    }
}

#[component]
fn DataSourcesTable(
    list: DataSourceList,
    page: RwSignal<u64>,
    ask_delete: Callback<DataSourceRow>,
) -> impl IntoView {
    let shown = list.rows.len();
    view! {
        <table class="table stack" data-testid="data-sources-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Modified"</th>
                    <th scope="col">"Modified by"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .rows
                    .into_iter()
                    .map(|r| {
                        let name = r.display_name.clone().unwrap_or_else(|| "(unnamed)".to_owned());
                        let row = r.clone();
                        let delete_label = format!("Delete {name}");
                        view! {
                            <tr>
                                <td class="cell-title"><A href=format!("/admin/data-sources/{}", r.id)>{name.clone()}</A></td>
                                <td data-label="Type"><KindLabel kind=r.kind/></td>
                                <td data-label="Modified"><Time at=r.modified_at.clone()/></td>
                                <td data-label="Modified by">{r.modified_by.unwrap_or_else(|| "—".to_owned())}</td>
                                <td data-label="Status"><StatusBadge status=r.status/></td>
                                <td class="actions">
                                    <button
                                        class="icon-button"
                                        title="Delete"
                                        aria-label=delete_label
                                        on:click=move |_| ask_delete.run(row.clone())
                                    >
                                        <Icon name=IconName::Trash/>
                                    </button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <Pager label="Pages of data sources" page=list.page page_size=list.page_size shown total=list.total on_page=page/>
    }
}
