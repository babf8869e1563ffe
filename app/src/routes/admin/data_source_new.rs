//! + Add new: choose the type of data source to connect.
use crate::components::shell::AreaGuard;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::Area;

#[component]
pub fn NewDataSourcePage() -> impl IntoView {
    view! {
        <AreaGuard area=Area::DataSources>
            <Title text="Add a data source"/>
            <section class="page">
                <h1>"Add a data source"</h1>
                <p class="muted">"Choose what to connect."</p>
                <ul class="cards">
                    <li>
                        <A href="/admin/data-sources/new/dropbox" attr:class="card-link" attr:data-testid="choose-dropbox">
                            "Dropbox"
                            <span class="card-note">"Files and folders of a Dropbox account or team space"</span>
                        </A>
                    </li>
                    {["Google Drive", "SharePoint", "SQL database"]
                        .into_iter()
                        .map(|name| view! {
                            <li>
                                <div class="card-link disabled" aria-disabled="true">
                                    {name}
                                    <span class="card-note">"Coming soon"</span>
                                </div>
                            </li>
                        })
                        .collect_view()}
                </ul>
                <A href="/admin/data-sources" attr:class="button">"Cancel"</A>
            </section>
        </AreaGuard>
    }
}
