use crate::components::shell::CurrentUserResource;
use crate::routes::browse::UsableDataSources;
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
