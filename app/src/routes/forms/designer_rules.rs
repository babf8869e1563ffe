//! The designer's Rules panel: the form's rules in execution order (within a trigger), each with
//! its kind and trigger, an Enabled switch, Duplicate, Delete and Move up / down. Selecting one
//! opens its editor (`rule_editor`) in the Properties column.
use super::designer::Draft;
use crate::components::confirm::ConfirmDialog;
use crate::components::icons::{Icon, IconName};
use leptos::prelude::*;
use wharf_types::forms::DefinitionProblem;
use wharf_types::rules::Rule;

pub use super::rule_editor::RuleEditor;

/// The number after `r` of a fresh rule id: one more than the largest in the draft.
fn next_rule_number(rules: &[Rule]) -> u32 {
    rules
        .iter()
        .filter_map(|r| r.id.strip_prefix('r')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1
}

#[component]
pub fn RulesPanel(draft: Draft, problems: Memo<Vec<DefinitionProblem>>) -> impl IntoView {
    let count = Memo::new(move |_| draft.rules.with(Vec::len));
    let deleting = RwSignal::new(None::<usize>);
    let confirm_open = RwSignal::new(false);
    let name_of = move |i: usize| draft.rule(i, |r| r.name.clone()).unwrap_or_default();
    let swap = move |a: usize, b: usize| {
        draft.rules.update(|r| r.swap(a, b));
        draft.selected_rule.update(|s| {
            if *s == Some(a) {
                *s = Some(b);
            } else if *s == Some(b) {
                *s = Some(a);
            }
        });
        draft.dirty.set(true);
    };
    let insert = move |at: usize, rule: Rule| {
        draft
            .rules
            .update(|rules| rules.insert(at.min(rules.len()), rule));
        draft.dirty.set(true);
        draft.select_rule(Some(at));
    };
    let add = move |_| {
        let n = draft.rules.with_untracked(|r| next_rule_number(r));
        let rule = Rule {
            id: format!("r{n}"),
            name: format!("Rule {n}"),
            ..Rule::default()
        };
        insert(count.get_untracked(), rule);
    };
    let duplicate = move |i: usize| {
        let n = draft.rules.with_untracked(|r| next_rule_number(r));
        if let Some(mut copy) = draft.rule(i, Clone::clone) {
            copy.id = format!("r{n}");
            copy.name = format!("{} (copy)", copy.name);
            insert(i + 1, copy);
        }
    };
    let delete = Callback::new(move |()| {
        if let Some(i) = deleting.get_untracked() {
            draft.rules.update(|r| {
                if i < r.len() {
                    r.remove(i);
                }
            });
            draft.select_rule(None);
            draft.dirty.set(true);
        }
    });
    view! {
        <section class="designer-rules" aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules"</h2>
            <p class="hint">"Rules run in this order within a trigger."</p>
            <Show when=move || count.get() == 0>
                <p class="muted" data-testid="no-rules">"No rules yet. A rule sets fields, finds items in a data source or shows a message when the form opens, a field changes, a button is clicked or the form is submitted."</p>
            </Show>
            <ol class="field-list rule-list" data-testid="rule-list">
                {move || (0..count.get()).map(|i| {
                    let name = move || name_of(i);
                    let shown_name = move || { let n = name(); if n.trim().is_empty() { "(no name)".to_owned() } else { n } };
                    let meta = move || draft.rule(i, |r| format!("{} · {}", r.action.label(), r.trigger.label())).unwrap_or_default();
                    let enabled = move || draft.rule(i, |r| r.enabled).unwrap_or(false);
                    let has_problem = move || problems.with(|p| p.iter().any(|p| p.rule == Some(i)));
                    let last = i + 1 == count.get_untracked();
                    view! {
                        <li class="field-item rule-item" class:selected=move || draft.selected_rule.get() == Some(i)
                            class:has-problem=has_problem class:rule-off=move || !enabled()
                            data-rule=move || draft.rule(i, |r| r.id.clone()).unwrap_or_default()>
                            <button class="field-summary rule-summary" data-testid=format!("rule-{i}")
                                on:click=move |_| draft.select_rule(Some(i))
                                aria-label=move || format!("Edit rule {}", shown_name())>
                                <strong class="rule-name">{shown_name}</strong>
                                <span class="muted rule-meta">{meta}</span>
                            </button>
                            <label class="rule-switch">
                                <input type="checkbox" role="switch" data-testid=format!("rule-enabled-{i}") prop:checked=enabled
                                    on:change=move |ev| { let on = event_target_checked(&ev); draft.update_rule(i, |r| r.enabled = on) }/>
                                <span>"Enabled"</span>
                            </label>
                            <span class="field-actions">
                                <button class="button subtle" aria-label=move || format!("Move {} up", shown_name()) disabled={i == 0}
                                    on:click=move |_| swap(i, i - 1)><Icon name=IconName::ChevronUp/></button>
                                <button class="button subtle" aria-label=move || format!("Move {} down", shown_name()) disabled=last
                                    on:click=move |_| swap(i, i + 1)><Icon name=IconName::ChevronDown/></button>
                                <button class="button subtle" data-testid=format!("duplicate-rule-{i}")
                                    aria-label=move || format!("Duplicate {}", shown_name())
                                    on:click=move |_| duplicate(i)>"Duplicate"</button>
                                <button class="button subtle" data-testid=format!("delete-rule-{i}")
                                    aria-label=move || format!("Delete {}", shown_name())
                                    on:click=move |_| { deleting.set(Some(i)); confirm_open.set(true); }>"Delete"</button>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button class="button" data-testid="add-rule" on:click=add>"Add rule"</button>
            <ConfirmDialog open=confirm_open title="Delete rule?"
                message=Signal::derive(move || {
                    let name = deleting.get().map(name_of).unwrap_or_default();
                    format!("Delete the rule “{name}”? It is gone from the form once you save.")
                })
                confirm_label="Delete" on_confirm=delete/>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str) -> Rule {
        Rule {
            id: id.into(),
            ..Rule::default()
        }
    }

    #[test]
    fn a_new_rule_id_is_one_past_the_largest() {
        assert_eq!(next_rule_number(&[]), 1);
        assert_eq!(
            next_rule_number(&[rule("r1"), rule("r7"), rule("r3")]),
            8,
            "not the count, which would reuse r3"
        );
        assert_eq!(next_rule_number(&[rule("imported"), rule("r2")]), 3);
    }
}
