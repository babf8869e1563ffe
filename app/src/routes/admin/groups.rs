use crate::components::shell::AreaGuard;
use leptos::prelude::*;
use leptos_meta::Title;
use wharf_types::Area;

#[component]
pub fn GroupsPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Groups><GroupsPageContent/></AreaGuard> }
}

#[component]
fn GroupsPageContent() -> impl IntoView {
    view! {
        <Title text="Groups"/>
        <section class="page">
            <h1>"Groups"</h1>
            <div class="empty-state">
                <p>"Groups are not available yet."</p>
                <p class="muted">"Soon you will gather users into groups and grant data sources to them."</p>
            </div>
        </section>
    }
}
