//! Wharf's user interface. Compiled twice: with `ssr` for the server (rendering and server functions)
//! and with `hydrate` for the browser.
// The Table field's view nests deeply enough that a plain `cargo build` (not cargo-leptos) overflows
// the default query depth of 128.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod dto;
pub mod error;
pub mod routes;
pub mod urls;

use components::shell::Shell;
use components::toast::{ToastHost, provide_toasts};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::Lazy;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};
use routes::{lazy::*, not_found::NotFoundPage};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                // `wharf.<hash>.css` (cargo-leptos `hash-files`): named after its content, cached for good.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toasts();
    // True while the router opens a page: its code (the first time one of its group is opened) and
    // what it loads before showing.
    let (opening, set_opening) = signal(false);

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Wharf".to_owned() } else { format!("{text} · Wharf") }/>
        <Router set_is_routing=set_opening>
            // "false" until the browser has taken the page over (`hydrate`), for the browser tests
            <div id="app" data-hydrated="false">
                <div class="route-progress" role="progressbar" aria-label="Opening the page" hidden=move || !opening.get()></div>
                // Pages that load one thing by id render whole before answering (SsrMode::Async), so
                // an unknown id can answer 404 rather than 200 with an error in the page.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()}/>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view={Lazy::<HomeRoute>::new()}/>
                        <Route path=path!("/change-password") view={Lazy::<ChangePasswordRoute>::new()}/>
                        <Route path=path!("/forms") view={Lazy::<FormsRoute>::new()}/>
                        <Route path=path!("/forms/:id/edit") view={Lazy::<FormDesignerRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/fill") view={Lazy::<FillFormRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/submissions") view={Lazy::<SubmissionsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/runs") view={Lazy::<RunLogRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/dashboards") view={Lazy::<DashboardsRoute>::new()}/>
                        <Route path=path!("/admin/data-sources") view={Lazy::<DataSourcesRoute>::new()}/>
                        <Route path=path!("/admin/data-sources/new") view={Lazy::<NewDataSourceRoute>::new()}/>
                        <Route path=path!("/admin/data-sources/new/dropbox") view={Lazy::<NewDropboxRoute>::new()}/>
                        <Route path=path!("/admin/data-sources/:id") view={Lazy::<DataSourceDetailRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/data-sources/:id/files") view={Lazy::<DataSourceFilesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view={Lazy::<UsersRoute>::new()}/>
                        <Route path=path!("/admin/users/new") view={Lazy::<NewUserRoute>::new()}/>
                        <Route path=path!("/admin/users/:id") view={Lazy::<UserDetailRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/groups") view={Lazy::<GroupsRoute>::new()}/>
                        <Route path=path!("/admin/groups/new") view={Lazy::<NewGroupRoute>::new()}/>
                        <Route path=path!("/admin/groups/:id") view={Lazy::<GroupDetailRoute>::new()} ssr=SsrMode::Async/>
                    </ParentRoute>
                </Routes>
                <ToastHost/>
            </div>
        </Router>
    }
}

/// Takes the server-rendered page over in the browser, once the wasm chunks of the page in view are
/// in (every page is a lazy route), then marks `#app` `data-hydrated="true"`: browser tests wait for
/// it before clicking. (An Effect in `App` would run while a page's chunk is still loading, and say
/// so too early.)
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    wasm_bindgen_futures::spawn_local(async {
        let app = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), App).await;
        app.forget();
        if let Some(root) = document().get_element_by_id("app") {
            _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
