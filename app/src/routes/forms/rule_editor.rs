//! The editor of one rule in the designer's Properties column: name, kind, trigger, conditions and
//! the kind's own settings (Set form field, Show message; Find items is in `rule_find`, Create,
//! Update and Delete item in `rule_write`). Every change goes through the `Draft`, so Save /
//! Publish carry it and the problems shown as you type come from the same checks the server runs.
use super::designer::Draft;
use super::rule_find::FindItemsEditor;
use super::rule_write::{CreateItemEditor, DeleteItemEditor, UpdateItemEditor, new_write_action};
use leptos::prelude::*;
use wharf_types::forms::{DefinitionProblem, FieldKind};
use wharf_types::rules::{
    Assignment, Combine, Comparison, ConditionGroup, Conditions, FindItems, MessageLevel, Operand,
    Operator, Rule, RuleAction, SetField, ShowMessage, Trigger, ValueKind, settable,
};

/// `(value, label)` pairs of a select.
pub(super) type Options = Vec<(String, String)>;

/// A labelled select. The option whose value equals `current` is selected; when none does, a
/// "Choose…" option stands first so the select never shows a choice the draft does not hold.
#[component]
pub(super) fn Choice(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] testid: Option<String>,
    #[prop(into)] options: Signal<Options>,
    #[prop(into)] current: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let missing = move || current.with(|c| options.with(|o| !o.iter().any(|(v, _)| v == c)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            // Options are selected by property: the select is built before its options exist.
            <select id=id data-testid=testid on:change=move |ev| on_pick.run(event_target_value(&ev))>
                {move || missing().then(|| view! { <option value="" prop:selected=true>"Choose…"</option> })}
                {move || options.get().into_iter().map(|(value, text)| {
                    let v = value.clone();
                    view! { <option value=value prop:selected=move || current.with(|c| *c == v)>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// Options of the same text as value.
pub(super) fn plain_options<'a>(names: impl IntoIterator<Item = &'a str>) -> Options {
    names
        .into_iter()
        .map(|n| (n.to_owned(), n.to_owned()))
        .collect()
}

fn operand_key(o: &Operand) -> &'static str {
    match o {
        Operand::Text(_) => "text",
        Operand::Field(_) => "field",
        Operand::Template(_) => "template",
    }
}

fn operand_text(o: &Operand) -> String {
    match o {
        Operand::Text(t) | Operand::Field(t) | Operand::Template(t) => t.clone(),
    }
}

/// Where a value comes from (Text / Field / Template) and the value itself.
#[component]
pub(super) fn OperandInput(
    /// The value control's id (the source select's is `{id}-source`).
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    value: Signal<Operand>,
    set: Callback<Operand>,
    /// The fields a Field value may name.
    fields: Signal<Options>,
) -> impl IntoView {
    let source = Memo::new(move |_| value.with(operand_key));
    let text = Signal::derive(move || value.with(operand_text));
    let id = StoredValue::new(id);
    let label = StoredValue::new(label);
    let sources = Signal::derive(|| {
        vec![
            ("text".to_owned(), "Text".to_owned()),
            ("field".to_owned(), "Field".to_owned()),
            ("template".to_owned(), "Template".to_owned()),
        ]
    });
    let pick_source = Callback::new(move |key: String| {
        let t = text.get_untracked();
        set.run(match key.as_str() {
            "field" => Operand::Field(String::new()),
            "template" => Operand::Template(t),
            _ => Operand::Text(t),
        })
    });
    view! {
        <div class="operand">
            <Choice id=format!("{}-source", id.get_value()) label=format!("{} from", label.get_value())
                testid=format!("{}-source", id.get_value()) options=sources current=Signal::derive(move || source.get().to_owned()) on_pick=pick_source/>
            {move || match source.get() {
                "field" => view! {
                    <Choice id=id.get_value() label=label.get_value() testid=id.get_value() options=fields current=text
                        on_pick=Callback::new(move |f| set.run(Operand::Field(f)))/>
                }.into_any(),
                key => {
                    let template = key == "template";
                    view! {
                        <div class="field">
                            <label for=id.get_value()>{label.get_value()}</label>
                            <input id=id.get_value() data-testid=id.get_value() prop:value=text
                                placeholder=if template { "e.g. Invoices/{Customer}" } else { "" }
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    set.run(if template { Operand::Template(v) } else { Operand::Text(v) });
                                }/>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// What a template may use.
#[component]
pub(super) fn TemplateHelp() -> impl IntoView {
    view! {
        <p class="hint template-help">
            "Templates: " <code>"{FieldName}"</code> " is a field's value; " <code>"{@today}"</code> ", "
            <code>"{@now}"</code> ", " <code>"{@user.name}"</code> " and " <code>"{@user.email}"</code>
            " are the date, the time and the person filling in. Example: " <code>"Invoices/{Customer}/{InvoiceNo}"</code> "."
        </p>
    }
}

/// The form's fields as the editors need them: name and kind.
pub(super) fn field_kinds(draft: Draft) -> Memo<Vec<(String, FieldKind)>> {
    Memo::new(move |_| {
        draft.fields.with(|fields| {
            fields
                .iter()
                .map(|f| (f.name.clone(), f.kind.clone()))
                .collect()
        })
    })
}

/// The names of the fields whose kind passes `keep`, as options.
pub(super) fn field_options(
    fields: Memo<Vec<(String, FieldKind)>>,
    keep: fn(&FieldKind) -> bool,
) -> Signal<Options> {
    Signal::derive(move || {
        fields.with(|f| {
            f.iter()
                .filter(|(_, k)| keep(k))
                .map(|(n, _)| (n.clone(), n.clone()))
                .collect()
        })
    })
}

fn is_value_field(k: &FieldKind) -> bool {
    !matches!(k, FieldKind::Button(_))
}

/// Where a list of assignments lives in a rule (Set form field, On success, On error).
#[derive(Clone, Copy)]
pub(super) struct AssignmentsAt {
    pub(super) get: fn(&Rule) -> Option<&Vec<Assignment>>,
    pub(super) get_mut: fn(&mut Rule) -> Option<&mut Vec<Assignment>>,
}

/// Fields set to values: each a settable field, where its value comes from and the value.
#[component]
pub(super) fn AssignmentsEditor(
    draft: Draft,
    i: usize,
    at: AssignmentsAt,
    /// Prefix of ids and test ids (`set`, `success`, `error`).
    prefix: &'static str,
    #[prop(into)] add_label: String,
) -> impl IntoView {
    let fields = field_kinds(draft);
    let settable_fields = field_options(fields, settable);
    let value_fields = field_options(fields, is_value_field);
    let count = Memo::new(move |_| {
        draft
            .rule(i, |r| (at.get)(r).map_or(0, Vec::len))
            .unwrap_or(0)
    });
    let read = move |k: usize| {
        draft
            .rule(i, |r| (at.get)(r).and_then(|a| a.get(k)).cloned())
            .flatten()
            .unwrap_or_default()
    };
    let change = move |k: usize, edit: Box<dyn FnOnce(&mut Assignment)>| {
        draft.update_rule(i, |r| {
            if let Some(a) = (at.get_mut)(r).and_then(|a| a.get_mut(k)) {
                edit(a);
            }
        })
    };
    view! {
        <ol class="assignments" data-testid=format!("{prefix}-assignments")>
            {move || (0..count.get()).map(|k| view! {
                <li class="rule-row">
                    <Choice id=format!("{prefix}-{k}-field") label="Field to set" testid=format!("{prefix}-{k}-field")
                        options=settable_fields current=Signal::derive(move || read(k).field)
                        on_pick=Callback::new(move |f: String| change(k, Box::new(move |a| a.field = f)))/>
                    <OperandInput id=format!("{prefix}-{k}-value") label="Value" fields=value_fields
                        value=Signal::derive(move || read(k).value)
                        set=Callback::new(move |v: Operand| change(k, Box::new(move |a| a.value = v)))/>
                    <button type="button" class="button subtle" aria-label=format!("Remove field to set {}", k + 1)
                        on:click=move |_| draft.update_rule(i, |r| { if let Some(a) = (at.get_mut)(r) && k < a.len() { a.remove(k); } })>
                        "Remove"
                    </button>
                </li>
            }).collect_view()}
        </ol>
        <button type="button" class="button" data-testid=format!("{prefix}-add")
            on:click=move |_| {
                let first = settable_fields.with_untracked(|f| f.first().map(|(n, _)| n.clone())).unwrap_or_default();
                draft.update_rule(i, |r| {
                    if let Some(a) = (at.get_mut)(r) {
                        a.push(Assignment { field: first, value: Operand::Text(String::new()) });
                    }
                });
            }>
            {add_label}
        </button>
    }
}

fn set_field_assignments(r: &Rule) -> Option<&Vec<Assignment>> {
    match &r.action {
        RuleAction::SetField(s) => Some(&s.assignments),
        _ => None,
    }
}

fn set_field_assignments_mut(r: &mut Rule) -> Option<&mut Vec<Assignment>> {
    match &mut r.action {
        RuleAction::SetField(s) => Some(&mut s.assignments),
        _ => None,
    }
}

fn kind_key(action: &RuleAction) -> &'static str {
    match action {
        RuleAction::SetField(_) => "set",
        RuleAction::FindItems(_) => "find",
        RuleAction::ShowMessage(_) => "message",
        RuleAction::CreateItem(_) => "create",
        RuleAction::UpdateItem(_) => "update",
        RuleAction::DeleteItem(_) => "delete",
    }
}

/// The trigger select's value (`Trigger::key`).
fn trigger_of(key: &str, fields: &[(String, FieldKind)]) -> Trigger {
    let first = |button: bool| {
        fields
            .iter()
            .find(|(_, k)| matches!(k, FieldKind::Button(_)) == button)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    };
    match key {
        "change" => Trigger::Change {
            field: first(false),
        },
        "button" => Trigger::Button { field: first(true) },
        "before-submit" => Trigger::BeforeSubmit,
        "after-submit" => Trigger::AfterSubmit,
        _ => Trigger::Load,
    }
}

#[component]
pub fn RuleEditor(draft: Draft, i: usize, problems: Memo<Vec<DefinitionProblem>>) -> impl IntoView {
    let fields = field_kinds(draft);
    let kind = Memo::new(move |_| draft.rule(i, |r| kind_key(&r.action)).unwrap_or("set"));
    let trigger_key = Memo::new(move |_| draft.rule(i, |r| r.trigger.key()).unwrap_or("load"));
    let trigger_field = Signal::derive(move || {
        draft
            .rule(i, |r| match &r.trigger {
                Trigger::Change { field } | Trigger::Button { field } => field.clone(),
                _ => String::new(),
            })
            .unwrap_or_default()
    });
    let messages = move || {
        problems.with(|p| {
            p.iter()
                .filter(|p| p.rule == Some(i))
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        })
    };
    let kinds = Signal::derive(|| {
        vec![
            ("set".to_owned(), "Set form field".to_owned()),
            ("find".to_owned(), "Find items".to_owned()),
            ("message".to_owned(), "Show message".to_owned()),
            ("create".to_owned(), "Create item".to_owned()),
            ("update".to_owned(), "Update item".to_owned()),
            ("delete".to_owned(), "Delete item".to_owned()),
        ]
    });
    let triggers = Signal::derive(|| {
        vec![
            ("load".to_owned(), "When the form opens".to_owned()),
            ("change".to_owned(), "When a field changes".to_owned()),
            ("button".to_owned(), "When a button is clicked".to_owned()),
            ("before-submit".to_owned(), "Before submit".to_owned()),
            ("after-submit".to_owned(), "After submit".to_owned()),
        ]
    });
    let trigger_fields = Signal::derive(move || {
        let button = trigger_key.get() == "button";
        fields.with(|f| {
            f.iter()
                .filter(|(_, k)| matches!(k, FieldKind::Button(_)) == button)
                .map(|(n, _)| (n.clone(), n.clone()))
                .collect::<Options>()
        })
    });
    view! {
        <h2>"Rule"</h2>
        <div class="problems" role="alert" data-testid="rule-problems">
            {move || messages().into_iter().map(|m| view! { <p class="form-error">{m}</p> }).collect_view()}
        </div>
        <div class="field">
            <label for="rule-name">"Name"</label>
            <input id="rule-name" data-testid="rule-name" maxlength="200"
                prop:value=move || draft.rule(i, |r| r.name.clone()).unwrap_or_default()
                on:input=move |ev| { let v = event_target_value(&ev); draft.update_rule(i, |r| r.name = v) }/>
        </div>
        <Choice id="rule-kind" label="Kind" testid="rule-kind" options=kinds current=Signal::derive(move || kind.get().to_owned())
            on_pick=Callback::new(move |k: String| draft.update_rule(i, |r| {
                // Another kind starts from scratch: the old settings mean nothing to it.
                r.action = match k.as_str() {
                    "find" => RuleAction::FindItems(FindItems::new(0)),
                    "message" => RuleAction::ShowMessage(ShowMessage::default()),
                    other => fields
                        .with_untracked(|f| new_write_action(other, f))
                        .unwrap_or_else(|| RuleAction::SetField(SetField::default())),
                };
            }))/>
        <Choice id="rule-trigger" label="Trigger" testid="rule-trigger" options=triggers current=Signal::derive(move || trigger_key.get().to_owned())
            on_pick=Callback::new(move |k: String| {
                let t = fields.with_untracked(|f| trigger_of(&k, f));
                draft.update_rule(i, |r| r.trigger = t);
            })/>
        {move || {
            let (label, empty) = match trigger_key.get() {
                "button" => ("Button", "Add a Button field first."),
                "change" => ("Field", "Add a field first."),
                _ => return ().into_any(),
            };
            view! {
                <Choice id="rule-trigger-field" testid="rule-trigger-field" label=label
                    options=trigger_fields current=trigger_field
                    on_pick=Callback::new(move |f: String| draft.update_rule(i, |r| match &mut r.trigger {
                        Trigger::Change { field } | Trigger::Button { field } => *field = f,
                        _ => {}
                    }))/>
                <Show when=move || trigger_fields.with(Vec::is_empty)>
                    <p class="hint">{empty}</p>
                </Show>
            }.into_any()
        }}
        <Show when=move || trigger_key.get() == "change">
            <p class="hint">"Runs when the person stops typing for a moment, not on every keystroke."</p>
        </Show>
        <ConditionsEditor draft i/>
        {move || match kind.get() {
            "find" => view! { <FindItemsEditor draft i/> }.into_any(),
            "message" => view! { <MessageEditor draft i/> }.into_any(),
            "create" => view! { <CreateItemEditor draft i/> }.into_any(),
            "update" => view! { <UpdateItemEditor draft i/> }.into_any(),
            "delete" => view! { <DeleteItemEditor draft i/> }.into_any(),
            _ => view! {
                <fieldset class="rule-section">
                    <legend>"Set form field"</legend>
                    <AssignmentsEditor draft i prefix="set" add_label="Add field to set"
                        at=AssignmentsAt { get: set_field_assignments, get_mut: set_field_assignments_mut }/>
                    <TemplateHelp/>
                </fieldset>
            }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn MessageEditor(draft: Draft, i: usize) -> impl IntoView {
    let message = move || {
        draft
            .rule(i, |r| match &r.action {
                RuleAction::ShowMessage(m) => Some(m.clone()),
                _ => None,
            })
            .flatten()
            .unwrap_or_default()
    };
    let change = move |edit: Box<dyn FnOnce(&mut ShowMessage)>| {
        draft.update_rule(i, |r| {
            if let RuleAction::ShowMessage(m) = &mut r.action {
                edit(m)
            }
        })
    };
    let levels = Signal::derive(|| {
        vec![
            ("info".to_owned(), "Information".to_owned()),
            ("error".to_owned(), "Error".to_owned()),
        ]
    });
    view! {
        <fieldset class="rule-section">
            <legend>"Show message"</legend>
            <div class="field">
                <label for="rule-message">"Message"</label>
                <textarea id="rule-message" data-testid="rule-message" rows="3" maxlength="2000"
                    prop:value=move || message().text
                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |m| m.text = v)) }></textarea>
            </div>
            <TemplateHelp/>
            <Choice id="rule-level" label="Level" testid="rule-level" options=levels
                current=Signal::derive(move || if message().level == MessageLevel::Error { "error".to_owned() } else { "info".to_owned() })
                on_pick=Callback::new(move |l: String| {
                    let level = if l == "error" { MessageLevel::Error } else { MessageLevel::Info };
                    change(Box::new(move |m| m.level = level));
                })/>
            <p class="hint">"Before submit, an error refuses the submission."</p>
        </fieldset>
    }
}

fn combine_key(c: Combine) -> String {
    match c {
        Combine::And => "and".into(),
        Combine::Or => "or".into(),
    }
}

fn combine_of(key: &str) -> Combine {
    if key == "or" {
        Combine::Or
    } else {
        Combine::And
    }
}

/// "Customer starts with “acme” and (Amount ≥ 100 or Due is empty)": what the conditions say.
fn conditions_sentence(c: &Conditions) -> String {
    let word = |c: Combine| if c == Combine::And { " and " } else { " or " };
    let groups: Vec<String> = c
        .groups
        .iter()
        .filter(|g| !g.comparisons.is_empty())
        .map(|g| {
            let parts: Vec<String> = g
                .comparisons
                .iter()
                .map(|cmp| {
                    let field = if cmp.field.is_empty() {
                        "(a field)"
                    } else {
                        &cmp.field
                    };
                    let value = match (&cmp.value, cmp.operator.needs_value()) {
                        (_, false) => String::new(),
                        (Operand::Field(f), true) => format!(" the value of {f}"),
                        (Operand::Text(t) | Operand::Template(t), true) => format!(" “{t}”"),
                    };
                    format!("{field} {}{value}", cmp.operator.label())
                })
                .collect();
            parts.join(word(g.combine))
        })
        .collect();
    match groups.len() {
        0 => "Always runs.".into(),
        1 => format!("Runs when {}.", groups[0]),
        _ => format!(
            "Runs when {}.",
            groups
                .iter()
                .map(|g| format!("({g})"))
                .collect::<Vec<_>>()
                .join(word(c.combine))
        ),
    }
}

fn update_conditions(draft: Draft, i: usize, change: impl FnOnce(&mut Conditions)) {
    draft.update_rule(i, |r| change(&mut r.conditions));
}

/// A comparison on the first field that holds a value.
fn new_comparison(fields: &[(String, FieldKind)]) -> Comparison {
    let (field, kind) = fields
        .iter()
        .find(|(_, k)| is_value_field(k))
        .map(|(n, k)| (n.clone(), ValueKind::of_field(k)))
        .unwrap_or((String::new(), ValueKind::Text));
    Comparison {
        field,
        operator: Operator::for_kind(kind)[0],
        value: Operand::Text(String::new()),
    }
}

#[component]
fn ConditionsEditor(draft: Draft, i: usize) -> impl IntoView {
    let fields = field_kinds(draft);
    let groups = Memo::new(move |_| draft.rule(i, |r| r.conditions.groups.len()).unwrap_or(0));
    let combine = Signal::derive(move || {
        draft
            .rule(i, |r| combine_key(r.conditions.combine))
            .unwrap_or_default()
    });
    let sentence = move || {
        draft
            .rule(i, |r| conditions_sentence(&r.conditions))
            .unwrap_or_default()
    };
    let combines = |all: &str, any: &str| {
        let (all, any) = (all.to_owned(), any.to_owned());
        Signal::derive(move || {
            vec![
                ("and".to_owned(), all.clone()),
                ("or".to_owned(), any.clone()),
            ]
        })
    };
    view! {
        <fieldset class="rule-section" data-testid="rule-conditions">
            <legend>"Conditions"</legend>
            <p class="hint">"Run only if these hold. No conditions: the rule always runs."</p>
            <Show when=move || { groups.get() > 1 }>
                <Choice id="cond-combine" label="Groups" testid="cond-combine" options=combines("All groups hold (And)", "Any group holds (Or)")
                    current=combine on_pick=Callback::new(move |k: String| update_conditions(draft, i, |c| c.combine = combine_of(&k)))/>
            </Show>
            {move || (0..groups.get()).map(|g| view! { <GroupEditor draft i g fields/> }).collect_view()}
            <button type="button" class="button" data-testid="add-condition-group"
                on:click=move |_| {
                    let c = fields.with_untracked(|f| new_comparison(f));
                    update_conditions(draft, i, |cs| cs.groups.push(ConditionGroup { combine: Combine::And, comparisons: vec![c] }));
                }>"Add condition group"</button>
            <p class="condition-preview" data-testid="condition-preview">{sentence}</p>
        </fieldset>
    }
}

#[component]
fn GroupEditor(
    draft: Draft,
    i: usize,
    g: usize,
    fields: Memo<Vec<(String, FieldKind)>>,
) -> impl IntoView {
    let count = Memo::new(move |_| {
        draft
            .rule(i, |r| {
                r.conditions
                    .groups
                    .get(g)
                    .map_or(0, |g| g.comparisons.len())
            })
            .unwrap_or(0)
    });
    let combine = Signal::derive(move || {
        draft
            .rule(i, |r| {
                r.conditions.groups.get(g).map(|g| combine_key(g.combine))
            })
            .flatten()
            .unwrap_or_default()
    });
    let group = move |change: Box<dyn FnOnce(&mut ConditionGroup)>| {
        update_conditions(draft, i, |c| {
            if let Some(group) = c.groups.get_mut(g) {
                change(group)
            }
        })
    };
    let combines = Signal::derive(|| {
        vec![
            ("and".to_owned(), "All hold (And)".to_owned()),
            ("or".to_owned(), "Any holds (Or)".to_owned()),
        ]
    });
    view! {
        <div class="condition-group" role="group" aria-label=format!("Condition group {}", g + 1) data-testid=format!("condition-group-{g}")>
            <Show when=move || { count.get() > 1 }>
                <Choice id=format!("cond-{g}-combine") label="Comparisons" options=combines current=combine
                    on_pick=Callback::new(move |k: String| group(Box::new(move |grp| grp.combine = combine_of(&k))))/>
            </Show>
            {move || (0..count.get()).map(|c| view! { <ComparisonEditor draft i g c fields/> }).collect_view()}
            <div class="row-actions">
                <button type="button" class="button" data-testid=format!("add-comparison-{g}")
                    on:click=move |_| {
                        let c = fields.with_untracked(|f| new_comparison(f));
                        group(Box::new(move |grp| grp.comparisons.push(c)));
                    }>"Add comparison"</button>
                <button type="button" class="button subtle" aria-label=format!("Remove condition group {}", g + 1)
                    on:click=move |_| update_conditions(draft, i, |c| { if g < c.groups.len() { c.groups.remove(g); } })>"Remove group"</button>
            </div>
        </div>
    }
}

#[component]
fn ComparisonEditor(
    draft: Draft,
    i: usize,
    g: usize,
    c: usize,
    fields: Memo<Vec<(String, FieldKind)>>,
) -> impl IntoView {
    let read = move || {
        draft
            .rule(i, |r| {
                r.conditions
                    .groups
                    .get(g)
                    .and_then(|g| g.comparisons.get(c))
                    .cloned()
            })
            .flatten()
    };
    let change = move |edit: Box<dyn FnOnce(&mut Comparison)>| {
        update_conditions(draft, i, |cs| {
            if let Some(cmp) = cs.groups.get_mut(g).and_then(|g| g.comparisons.get_mut(c)) {
                edit(cmp)
            }
        })
    };
    let kind_of = move |name: &str| {
        fields.with_untracked(|f| {
            f.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(ValueKind::Text, |(_, k)| ValueKind::of_field(k))
        })
    };
    let field = Memo::new(move |_| read().map(|c| c.field).unwrap_or_default());
    let operators = Signal::derive(move || {
        fields.track();
        Operator::for_kind(kind_of(&field.get()))
            .iter()
            .map(|o| (o.key().to_owned(), o.label().to_owned()))
            .collect::<Options>()
    });
    let needs_value = Memo::new(move |_| read().is_none_or(|c| c.operator.needs_value()));
    let value_fields = field_options(fields, is_value_field);
    let id = format!("cond-{g}-{c}");
    view! {
        <div class="rule-row comparison" data-testid=format!("comparison-{g}-{c}")>
            <Choice id=format!("{id}-field") testid=format!("{id}-field") label="Field" options=field_options(fields, is_value_field)
                current=field
                on_pick=Callback::new(move |name: String| {
                    let ops = Operator::for_kind(kind_of(&name));
                    change(Box::new(move |cmp| {
                        cmp.field = name;
                        // An operator the new field's kind does not offer becomes its first.
                        if !ops.contains(&cmp.operator) {
                            cmp.operator = ops[0];
                        }
                    }))
                })/>
            <Choice id=format!("{id}-operator") testid=format!("{id}-operator") label="Operator" options=operators
                current=Signal::derive(move || read().map(|c| c.operator.key().to_owned()).unwrap_or_default())
                on_pick=Callback::new(move |k: String| {
                    if let Some(op) = Operator::parse(&k) {
                        change(Box::new(move |cmp| cmp.operator = op))
                    }
                })/>
            <Show when=move || needs_value.get()>
                <OperandInput id=format!("{id}-value") label="Value" fields=value_fields
                    value=Signal::derive(move || read().map(|c| c.value).unwrap_or_default())
                    set=Callback::new(move |v: Operand| change(Box::new(move |cmp| cmp.value = v)))/>
            </Show>
            <button type="button" class="button subtle" aria-label=format!("Remove comparison {} of group {}", c + 1, g + 1)
                on:click=move |_| update_conditions(draft, i, |cs| {
                    if let Some(grp) = cs.groups.get_mut(g) && c < grp.comparisons.len() {
                        grp.comparisons.remove(c);
                    }
                })>"Remove"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: &str, operator: Operator, value: Operand) -> Comparison {
        Comparison {
            field: field.into(),
            operator,
            value,
        }
    }

    #[test]
    fn the_preview_says_what_the_conditions_say() {
        assert_eq!(conditions_sentence(&Conditions::default()), "Always runs.");
        let one = Conditions {
            combine: Combine::Or,
            groups: vec![
                ConditionGroup {
                    combine: Combine::And,
                    comparisons: vec![
                        cmp(
                            "Customer",
                            Operator::StartsWith,
                            Operand::Text("acme".into()),
                        ),
                        cmp("Due", Operator::IsEmpty, Operand::Text("ignored".into())),
                    ],
                },
                ConditionGroup {
                    combine: Combine::And,
                    comparisons: vec![cmp(
                        "Amount",
                        Operator::GreaterOrEqual,
                        Operand::Field("Limit".into()),
                    )],
                },
                ConditionGroup::default(),
            ],
        };
        assert_eq!(
            conditions_sentence(&one),
            "Runs when (Customer starts with “acme” and Due is empty) or (Amount ≥ the value of Limit)."
        );
    }

    #[test]
    fn a_trigger_names_a_field_of_its_kind() {
        let fields = vec![
            ("go".to_owned(), FieldKind::Button(Default::default())),
            ("customer".to_owned(), FieldKind::Text),
        ];
        assert_eq!(
            trigger_of("change", &fields),
            Trigger::Change {
                field: "customer".into()
            }
        );
        assert_eq!(
            trigger_of("button", &fields),
            Trigger::Button { field: "go".into() }
        );
        assert_eq!(trigger_of("before-submit", &fields), Trigger::BeforeSubmit);
    }
}
