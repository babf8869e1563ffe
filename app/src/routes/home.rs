use crate::api::files::list_usable_data_sources;
use crate::components::data_source_bits::{KindIcon, StatusBadge};
use crate::components::list_page::{Level, SearchableList};
use crate::components::shell::CurrentUserResource;
use crate::dto::UsableDataSource;
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::Area;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>();
    view! {
        <Title text="Home"/>
        <section class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    user.await.map(|u| u.map(|u| {
                        let cards: Vec<_> = Area::ALL
                            .into_iter()
                            .filter(|a| *a != Area::Home && u.may_enter(*a))
                            .map(|a| view! {
                                <li><A href=a.path() attr:class="card-link">{a.label()}</A></li>
                            })
                            .collect();
                        view! {
                            <h1>"Welcome, " {u.display_name.clone()}</h1>
                            <p class="muted">"Where would you like to go?"</p>
                            <ul class="cards">{cards}</ul>
                            <UsableDataSources/>
                        }
                    }))
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    view! {
        <Title text="Dashboards"/>
        <section class="page">
            <h1>"Dashboards"</h1>
            <div class="empty-state">
                <p>"There are no dashboards yet."</p>
            </div>
        </section>
    }
}

/// Home's list of the data sources this user may use and that are ready, searchable and paged.
#[component]
pub fn UsableDataSources() -> impl IntoView {
    view! {
        <SearchableList
            title="Data sources you can use"
            level=Level::Section
            search_label="Search the data sources you can use"
            placeholder="Search data sources"
            pager_label="Pages of data sources you can use"
            no_match="No data source you can use matches your search."
            empty=|| view! { <p class="muted" data-testid="no-usable">"No data source is shared with you yet."</p> }
            load=|search, page| list_usable_data_sources(search, Some(page), Some(true))
            rows={|rows: Vec<UsableDataSource>| view! {
                <ul class="cards" data-testid="usable-data-sources">
                    {rows.into_iter().map(|r| {
                        let name = r.display_name.unwrap_or_else(|| "(unnamed)".into());
                        view! {
                            <li>
                                <A href=urls::data_source_files(r.id, "") attr:class="card-link data-source-card">
                                    <span class="card-title"><KindIcon kind=r.kind/>{name}</span>
                                    <StatusBadge status=r.status/>
                                </A>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()}
        />
    }
}
