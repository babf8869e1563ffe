use crate::api::data_sources::list_data_sources;
use crate::components::shell::AreaGuard;
use crate::dto::DataSourceRow;
use leptos::prelude::*;
use leptos_meta::Title;
use wharf_types::Area;

#[component]
pub fn DataSourcesPage() -> impl IntoView {
    view! { <AreaGuard area=Area::DataSources><DataSourcesPageContent/></AreaGuard> }
}

#[component]
fn DataSourcesPageContent() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let rows = Resource::new(move || search.get(), list_data_sources);

    view! {
        <Title text="Data sources"/>
        <section class="page">
            <div class="page-header">
                <h1>"Data sources"</h1>
                <input
                    type="search"
                    class="search"
                    placeholder="Search by name or type"
                    aria-label="Search data sources"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    rows.await.map(|rows| {
                        if rows.is_empty() && search.get_untracked().trim().is_empty() {
                            view! {
                                <div class="empty-state" data-testid="data-sources-empty">
                                    <p>"No data sources yet."</p>
                                    <p class="muted">
                                        "Connect Dropbox here to let forms and processes use its files."
                                    </p>
                                </div>
                            }
                                .into_any()
                        } else if rows.is_empty() {
                            view! { <p class="muted">"No data source matches your search."</p> }.into_any()
                        } else {
                            view! { <DataSourcesTable rows/> }.into_any()
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DataSourcesTable(rows: Vec<DataSourceRow>) -> impl IntoView {
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Modified"</th>
                    <th scope="col">"Modified by"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|r| {
                        view! {
                            <tr>
                                <td>{r.display_name}</td>
                                <td>{r.kind}</td>
                                <td><time datetime=r.modified_at.clone()>{r.modified_at.clone()}</time></td>
                                <td>{r.modified_by.unwrap_or_else(|| "—".to_owned())}</td>
                                <td><span class=format!("badge badge-{}", r.status)>{r.status.replace('_', " ")}</span></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
