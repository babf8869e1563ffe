//! The pages as lazily loaded routes, in groups. Built with `cargo leptos … --split`, each group's
//! code is wasm of its own, fetched when one of its pages is first shown (the server names the chunks
//! of the page it renders as preloads), so a first view downloads the shell and that page's group,
//! not every page of Wharf. The browser hydrates once they are in (`crate::hydrate`).
//!
//! Groups, not a module per page: what split modules share goes into chunks of its own, one per
//! combination of modules sharing it, and twenty modules made ≈ 350 chunks, ≈ 190 of them for the
//! fill page alone — 190 requests on a first visit. Six groups of pages people use together make
//! ≈ 50 chunks, 18–30 a page (shared ones are fetched once: every chunk is cached for good).
use super::{
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
        designer::FormDesignerPage, fill::FillFormPage, list::FormsPage, runs::RunLogPage,
        submissions::SubmissionsPage,
    },
    home::{DashboardsPage, HomePage},
    sign_in::SignInPage,
};
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// `group { Route => Page as show_page, … }`: per page a route type whose view is the page, and a
/// function `show_page::show_page` that renders it, split off into the wasm module `group`
/// (`wasm_split`, as Leptos' own `#[lazy]` does, but with one module for all pages of a group). The
/// router preloads a page before it hydrates or shows it (`show_page::load`, the loader of that very
/// function: the view is then ready at once, as hydration needs); on the server the group's name
/// makes the page preload its chunks. The pages load their own data (resources in their bodies), so
/// a route has none of its own.
macro_rules! page_groups {
    ($( $group:ident { $($route:ident => $page:ident as $show:ident),+ $(,)? } )+) => {$($(
        pub struct $route;

        mod $show {
            use super::*;

            #[::leptos::wasm_split::wasm_split($group, wasm_split_path = ::leptos::wasm_split, preload(load))]
            pub fn $show(_route: $route) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(route: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                ::leptos::prefetch_lazy_fn_on_server(stringify!($group));
                $show::$show(route).await
            }

            async fn preload() {
                $show::load().await;
            }
        }
    )+)+};
}

page_groups! {
    // Signing in and changing one's password: what someone sees before anything else.
    account_pages {
        SignInRoute => SignInPage as show_sign_in,
        ChangePasswordRoute => ChangePasswordPage as show_change_password,
    }
    // What everyone may open: Home, Dashboards, a data source's files.
    home_pages {
        HomeRoute => HomePage as show_home,
        DashboardsRoute => DashboardsPage as show_dashboards,
        DataSourceFilesRoute => DataSourceFilesPage as show_data_source_files,
    }
    // Administration: data sources, users, groups.
    admin_pages {
        DataSourcesRoute => DataSourcesPage as show_data_sources,
        NewDataSourceRoute => NewDataSourcePage as show_new_data_source,
        NewDropboxRoute => NewDropboxPage as show_new_dropbox,
        DataSourceDetailRoute => DataSourceDetailPage as show_data_source_detail,
        UsersRoute => UsersPage as show_users,
        NewUserRoute => NewUserPage as show_new_user,
        UserDetailRoute => UserDetailPage as show_user_detail,
        GroupsRoute => GroupsPage as show_groups,
        NewGroupRoute => NewGroupPage as show_new_group,
        GroupDetailRoute => GroupDetailPage as show_group_detail,
    }
    // The forms list and what a form has collected.
    form_pages {
        FormsRoute => FormsPage as show_forms,
        SubmissionsRoute => SubmissionsPage as show_submissions,
        RunLogRoute => RunLogPage as show_run_log,
    }
    // The form designer, rules included: the largest page, for designers only.
    designer_page {
        FormDesignerRoute => FormDesignerPage as show_form_designer,
    }
    // Filling in a form: the page most people see most.
    fill_page {
        FillFormRoute => FillFormPage as show_fill_form,
    }
}
