use crate::api::users::list_users;
use crate::components::shell::AreaGuard;
use leptos::prelude::*;
use leptos_meta::Title;
use wharf_types::Area;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <AreaGuard area=Area::Users><UsersPageContent/></AreaGuard> }
}

#[component]
fn UsersPageContent() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users(String::new(), None));
    view! {
        <Title text="Users"/>
        <section class="page">
            <h1>"Users"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    users.await.map(|list| view! {
                        <table class="table">
                            <thead>
                                <tr>
                                    <th scope="col">"User name"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Roles"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.rows.into_iter().map(|u| view! {
                                    <tr>
                                        <td>{u.username}</td>
                                        <td>{u.display_name}</td>
                                        <td>{u.email.unwrap_or_default()}</td>
                                        <td>{u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Transition>
        </section>
    }
}
