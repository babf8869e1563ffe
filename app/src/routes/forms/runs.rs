//! `/forms/:id/runs`: the run log of a form's rules for its designers, newest first, filtered by
//! outcome and by rule; and the same rows per data source on the connector page's health panel.
use crate::api::forms::get_form;
use crate::api::rules::{list_data_source_rule_runs, list_rule_runs};
use crate::components::admin::Pager;
use crate::components::errors::load_failed;
use crate::components::time::Time;
use crate::dto::{RuleRunList, RuleRunRow};
use crate::error::AppError;
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::rules::RunOutcome;

#[component]
pub fn RunLogPage() -> impl IntoView {
    let id = use_id_param();
    let outcome = RwSignal::new(String::new());
    let rule = RwSignal::new(String::new());
    let page = RwSignal::new(0u64);
    // Both at the page's top: resources made inside a resolved Suspend do not hydrate.
    let form = Resource::new(
        move || id.get(),
        |id| require_id(id, "There is no such form.", get_form),
    );
    let runs = Resource::new(
        move || (id.get(), outcome.get(), rule.get(), page.get()),
        |(id, outcome, rule, page)| {
            require_id(id, "There is no such form.", move |id| {
                list_rule_runs(id, outcome, rule, Some(page))
            })
        },
    );
    let filtered = move || !outcome.with(String::is_empty) || !rule.with(String::is_empty);
    view! {
        <section class="page run-log">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match form.await {
                        Ok(f) => {
                            let rules = f.draft.rules.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
                            view! { <RunLogHead form_id=f.row.id title=f.row.title rules outcome rule page/> }.into_any()
                        }
                        Err(e) => load_failed("Run log", e),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let answer = runs.await;
                    // An unknown form is said once, by the heading's loader.
                    if matches!(answer, Err(AppError::NotFound(_))) {
                        return ().into_any();
                    }
                    let empty = if filtered() {
                        "No run matches these filters."
                    } else {
                        "No rule of this form has run yet. Runs appear here when people open, fill in and submit the form."
                    };
                    view! { <RunRows answer page empty show_form=false label="Pages of runs"/> }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RunLogHead(
    form_id: i32,
    title: String,
    rules: Vec<(String, String)>,
    outcome: RwSignal<String>,
    rule: RwSignal<String>,
    page: RwSignal<u64>,
) -> impl IntoView {
    let heading = format!("Run log · {title}");
    view! {
        <Title text=heading.clone()/>
        <div class="page-header">
            <h1>{heading}</h1>
            <div class="toolbar">
                <A href=format!("/forms/{form_id}/edit") attr:class="button">"Back to the form"</A>
            </div>
        </div>
        <div class="filters run-filters" role="group" aria-label="Filter runs">
            <div class="field">
                <label for="run-outcome">"Outcome"</label>
                <select id="run-outcome" data-testid="run-outcome"
                    on:change=move |ev| { outcome.set(event_target_value(&ev)); page.set(0); }>
                    <option value="" selected=outcome.get_untracked().is_empty()>"All outcomes"</option>
                    {RunOutcome::ALL.into_iter().map(|o| view! { <option value=o.key() selected=outcome.get_untracked() == o.key()>{o.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="run-rule">"Rule"</label>
                <select id="run-rule" data-testid="run-rule"
                    on:change=move |ev| { rule.set(event_target_value(&ev)); page.set(0); }>
                    <option value="" selected=rule.get_untracked().is_empty()>"All rules"</option>
                    {rules.into_iter().map(|(id, name)| {
                        let selected = rule.get_untracked() == id;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
        </div>
    }
}

/// "Recent rule runs" on a data source's health panel: the runs of rules that used it.
#[component]
pub fn DataSourceRuleRuns(data_source_id: i32) -> impl IntoView {
    // Read once the page is in the browser: the panel sits inside the page's own Suspend, and a
    // resource made there would not hydrate.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <h3>"Recent rule runs"</h3>
        <Show when=move || mounted.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <DataSourceRuns data_source_id/>
        </Show>
    }
}

#[component]
fn DataSourceRuns(data_source_id: i32) -> impl IntoView {
    let page = RwSignal::new(0u64);
    let runs = Resource::new(
        move || page.get(),
        move |page| list_data_source_rule_runs(data_source_id, Some(page)),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                view! {
                    <RunRows answer=runs.await page show_form=true label="Pages of rule runs"
                        empty="No form rule has used this data source yet."/>
                }
            })}
        </Transition>
    }
}

/// `12 ms`, `1.4 s`.
fn duration_text(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[component]
fn RunRows(
    answer: Result<RuleRunList, AppError>,
    page: RwSignal<u64>,
    empty: &'static str,
    /// On a data source's page the form is named (and the data source is not); on a form's own
    /// log the other way round.
    show_form: bool,
    label: &'static str,
) -> impl IntoView {
    let list = match answer {
        Ok(list) => list,
        Err(e) => {
            return view! { <p class="form-error" role="alert" data-testid="runs-error">{e.to_string()}</p> }
                .into_any();
        }
    };
    if list.rows.is_empty() {
        return view! { <p class="muted" data-testid="no-runs">{empty}</p> }.into_any();
    }
    let shown = list.rows.len();
    view! {
        <div class="rule-runs-wrap" role="region" aria-label="Rule runs" tabindex="0">
        <table class="table stack rule-runs" data-testid="rule-runs">
            <thead><tr>
                <th scope="col">"When"</th>
                {show_form.then(|| view! { <th scope="col">"Form"</th> })}
                <th scope="col">"Rule"</th><th scope="col">"Trigger"</th><th scope="col">"Who"</th>
                {(!show_form).then(|| view! { <th scope="col">"Data source"</th> })}
                <th scope="col">"Outcome"</th><th scope="col">"Message"</th>
                <th scope="col">"Duration"</th>
            </tr></thead>
            <tbody>
                {list.rows.into_iter().map(|r| view! { <RunRow r show_form/> }).collect_view()}
            </tbody>
        </table>
        </div>
        <Pager label page=list.page page_size=list.page_size shown total=list.total on_page=page/>
    }
    .into_any()
}

#[component]
fn RunRow(r: RuleRunRow, show_form: bool) -> impl IntoView {
    let version = if r.preview {
        "preview of the draft".to_owned()
    } else {
        format!("v{}", r.form_version)
    };
    let form = show_form.then(|| {
        view! {
            <td data-label="Form">{r.form_title.clone()} <span class="muted">{format!(" · {version}")}</span></td>
        }
    });
    let rule_note = (!show_form).then(|| format!(" · {version}"));
    view! {
        <tr data-run=r.id data-outcome=r.outcome.key()>
            <td class="cell-title" data-label="When"><Time at=r.at.clone()/></td>
            {form}
            <td data-label="Rule">{r.rule_name.clone()} <span class="muted">{rule_note}</span></td>
            <td data-label="Trigger">{trigger_label(&r.trigger)}</td>
            <td data-label="Who">{r.user.clone().unwrap_or_else(|| "—".into())}</td>
            {(!show_form).then(|| view! {
                <td data-label="Data source">{r.data_source_name.clone().unwrap_or_else(|| "—".into())}</td>
            })}
            <td data-label="Outcome">
                <span class=format!("badge badge-run-{}", r.outcome.key()) data-testid="run-outcome-badge">{r.outcome.label()}</span>
            </td>
            <td data-label="Message" class="run-message">{r.message.clone()}</td>
            <td data-label="Duration">{duration_text(r.duration_ms)}</td>
        </tr>
    }
}

/// The run's trigger (`Trigger::key`) in words.
fn trigger_label(key: &str) -> String {
    let label = match key {
        "load" => "Form opened",
        "change" => "Field changed",
        "button" => "Button clicked",
        "before-submit" => "Before submit",
        "after-submit" => "After submit",
        other => other,
    };
    label.to_owned()
}
