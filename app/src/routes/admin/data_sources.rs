//! Administration > Data sources: the list, search, paging and delete.
use crate::api::data_sources::{DeleteDataSource, list_data_sources};
use crate::components::confirm::ConfirmDialog;
use crate::components::data_source_bits::{KindLabel, StatusBadge};
use crate::components::icons::{Icon, IconName};
use crate::components::list_page::{ListState, SearchableList};
use crate::components::shell::{AreaGuard, CurrentUserResource};
use crate::components::time::Time;
use crate::components::toast::{ToastKind, use_toasts};
use crate::dto::DataSourceRow;
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
    let delete = ServerAction::<DeleteDataSource>::new();
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

    // "+ Add new" is hidden while the list is empty: the empty state offers it instead, once.
    let add_new = Callback::new(move |state: ListState| {
        (may_create() && !state.empty)
            .then(|| view! { <A href="/admin/data-sources/new" attr:class="button primary">"+ Add new"</A> })
            .into_any()
    });
    view! {
        <Title text="Data sources"/>
        <section class="page">
            <SearchableList
                title="Data sources"
                search_label="Search data sources"
                placeholder="Search by name or type"
                pager_label="Pages of data sources"
                no_match="No data source matches your search."
                empty=move || view! {
                    <div class="empty-state" data-testid="data-sources-empty">
                        <p>"No data sources yet."</p>
                        <p class="muted">"Connect Dropbox to let forms and processes use its files."</p>
                        <Show when=may_create>
                            <A href="/admin/data-sources/new" attr:class="button primary">"+ Add new"</A>
                        </Show>
                    </div>
                }
                load=|search, page| list_data_sources(search, Some(page))
                reload=delete.version()
                actions=add_new
                rows=move |rows| view! { <DataSourcesTable rows ask_delete/> }.into_any()
            />
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
    rows: Vec<DataSourceRow>,
    ask_delete: Callback<DataSourceRow>,
) -> impl IntoView {
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
                {rows
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
    }
}
