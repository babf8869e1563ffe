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
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};
use routes::{
    admin::{
        data_source_detail::{DataSourceDetailPage, NewDropboxPage},
        data_source_new::NewDataSourcePage,
        data_sources::DataSourcesPage,
        groups::{GroupDetailPage, GroupsPage, NewGroupPage},
        users::{NewUserPage, UserDetailPage, UsersPage},
    },
    change_password::ChangePasswordPage,
    data_source_files::DataSourceFilesPage,
    forms::{
        designer::FormDesignerPage, fill::FillFormPage, list::FormsPage,
        submissions::SubmissionsPage,
    },
    home::{DashboardsPage, HomePage},
    not_found::NotFoundPage,
    sign_in::SignInPage,
};

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
    // "false" in the server's HTML; an Effect (which runs only in the browser) flips it once the wasm
    // has hydrated, so browser tests know when clicks will be handled.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Wharf".to_owned() } else { format!("{text} · Wharf") }/>
        <Router>
            <div id="app" data-hydrated=move || hydrated.get().to_string()>
                // Pages that load one thing by id render whole before answering (SsrMode::Async), so
                // an unknown id can answer 404 rather than 200 with an error in the page.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/sign-in") view=SignInPage/>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=HomePage/>
                        <Route path=path!("/change-password") view=ChangePasswordPage/>
                        <Route path=path!("/forms") view=FormsPage/>
                        <Route path=path!("/forms/:id/edit") view=FormDesignerPage ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/fill") view=FillFormPage ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/submissions") view=SubmissionsPage ssr=SsrMode::Async/>
                        <Route path=path!("/forms/:id/runs") view=crate::routes::forms::runs::RunLogPage ssr=SsrMode::Async/>
                        <Route path=path!("/dashboards") view=DashboardsPage/>
                        <Route path=path!("/admin/data-sources") view=DataSourcesPage/>
                        <Route path=path!("/admin/data-sources/new") view=NewDataSourcePage/>
                        <Route path=path!("/admin/data-sources/new/dropbox") view=NewDropboxPage/>
                        <Route path=path!("/admin/data-sources/:id") view=DataSourceDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/data-sources/:id/files") view=DataSourceFilesPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view=UsersPage/>
                        <Route path=path!("/admin/users/new") view=NewUserPage/>
                        <Route path=path!("/admin/users/:id") view=UserDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/groups") view=GroupsPage/>
                        <Route path=path!("/admin/groups/new") view=NewGroupPage/>
                        <Route path=path!("/admin/groups/:id") view=GroupDetailPage ssr=SsrMode::Async/>
                    </ParentRoute>
                </Routes>
                <ToastHost/>
            </div>
        </Router>
    }
}
