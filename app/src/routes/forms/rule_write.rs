//! The rule kinds that change a data source, in the rule editor: Create item (data source, folder,
//! what it holds, its name, what a taken name does), Update item (which item, new name, new folder,
//! new content, the rev check) and Delete item (which item, the rev check). Data source, folder,
//! result mappings and reactions are the pieces Find items uses (`rule_find`).
use super::designer::Draft;
use super::rule_editor::{Choice, Options, TemplateHelp, field_kinds, field_options};
use super::rule_find::{DataSourceField, FolderField, ReactionsEditor, ResultsEditor};
use leptos::prelude::*;
use wharf_types::forms::{FieldKind, ListSource};
use wharf_types::rules::{
    CreateItem, DeleteItem, ItemContent, ItemRef, OnConflict, Rule, RuleAction, UpdateItem,
};

fn data_source_of(r: &Rule) -> i32 {
    r.action.data_source_id().unwrap_or(0)
}

fn set_data_source(r: &mut Rule, id: i32) {
    match &mut r.action {
        RuleAction::CreateItem(c) => c.data_source_id = id,
        RuleAction::UpdateItem(u) => u.data_source_id = id,
        RuleAction::DeleteItem(d) => d.data_source_id = id,
        _ => {}
    }
}

fn create_of(r: &Rule) -> Option<&CreateItem> {
    match &r.action {
        RuleAction::CreateItem(c) => Some(c),
        _ => None,
    }
}

fn update_of(r: &Rule) -> Option<&UpdateItem> {
    match &r.action {
        RuleAction::UpdateItem(u) => Some(u),
        _ => None,
    }
}

/// Which item Update or Delete acts on, and whether it checks the rev.
fn target_of(r: &Rule) -> Option<(&ItemRef, bool)> {
    match &r.action {
        RuleAction::UpdateItem(u) => Some((&u.target, u.check_rev)),
        RuleAction::DeleteItem(d) => Some((&d.target, d.check_rev)),
        _ => None,
    }
}

fn target_of_mut(r: &mut Rule) -> Option<(&mut ItemRef, &mut bool)> {
    match &mut r.action {
        RuleAction::UpdateItem(u) => Some((&mut u.target, &mut u.check_rev)),
        RuleAction::DeleteItem(d) => Some((&mut d.target, &mut d.check_rev)),
        _ => None,
    }
}

/// Points Update or Delete at `target`; a target other than a chosen file checks no rev (only a
/// chosen file carries the rev the person saw).
fn retarget(r: &mut Rule, target: ItemRef) {
    if let Some((t, check_rev)) = target_of_mut(r) {
        if !matches!(target, ItemRef::Chosen { .. }) {
            *check_rev = false;
        }
        *t = target;
    }
}

/// What Create writes, or what Update puts in place of the content (`None`: keeps it).
fn content_of(r: &Rule) -> Option<ItemContent> {
    match &r.action {
        RuleAction::CreateItem(c) => Some(c.content.clone()),
        RuleAction::UpdateItem(u) => u.content.clone(),
        _ => None,
    }
}

fn set_content(r: &mut Rule, content: Option<ItemContent>) {
    match (&mut r.action, content) {
        (RuleAction::CreateItem(c), Some(content)) => c.content = content,
        (RuleAction::UpdateItem(u), content) => u.content = content,
        _ => {}
    }
}

fn rule_conflict(r: &Rule) -> OnConflict {
    match &r.action {
        RuleAction::CreateItem(c) => c.on_conflict,
        RuleAction::UpdateItem(u) => u.on_conflict,
        _ => OnConflict::Fail,
    }
}

/// On conflict as a select's value, and back.
pub(super) fn conflict_key(c: OnConflict) -> &'static str {
    match c {
        OnConflict::Fail => "fail",
        OnConflict::Autorename => "autorename",
        OnConflict::Overwrite => "overwrite",
    }
}

pub(super) fn conflict_of(key: &str) -> Option<OnConflict> {
    OnConflict::ALL
        .into_iter()
        .find(|c| conflict_key(*c) == key)
}

/// The modes of `choices` as a select's options.
pub(super) fn conflict_options(choices: &'static [OnConflict]) -> Signal<Options> {
    Signal::derive(move || {
        choices
            .iter()
            .map(|c| (conflict_key(*c).to_owned(), c.label().to_owned()))
            .collect()
    })
}

fn content_key(c: Option<&ItemContent>) -> &'static str {
    match c {
        None => "none",
        Some(ItemContent::Folder) => "folder",
        Some(ItemContent::Uploads { .. }) => "uploads",
        Some(ItemContent::Copy { .. }) => "copy",
        Some(ItemContent::Text { .. }) => "text",
        Some(ItemContent::Csv { .. }) => "csv",
        Some(ItemContent::Json { .. }) => "json",
    }
}

fn is_upload(k: &FieldKind) -> bool {
    matches!(k, FieldKind::FileUpload(_))
}

/// A List field of a data source's files: what Copy, Chosen targets and the rev check need.
fn is_file_list(k: &FieldKind) -> bool {
    matches!(k, FieldKind::List(l) if matches!(l.source, ListSource::DataSource(_)))
}

fn holds_value(k: &FieldKind) -> bool {
    !matches!(k, FieldKind::Button(_))
}

/// The name of the first field `keep` accepts, or blank.
fn first_field(fields: &[(String, FieldKind)], keep: fn(&FieldKind) -> bool) -> String {
    fields
        .iter()
        .find(|(_, k)| keep(k))
        .map(|(n, _)| n.clone())
        .unwrap_or_default()
}

/// The content `key` stands for, starting from the first field that fits it.
fn new_content(key: &str, fields: &[(String, FieldKind)]) -> Option<ItemContent> {
    Some(match key {
        "folder" => ItemContent::Folder,
        "uploads" => ItemContent::Uploads {
            field: first_field(fields, is_upload),
        },
        "copy" => ItemContent::Copy {
            field: first_field(fields, is_file_list),
        },
        "text" => ItemContent::Text {
            template: String::new(),
        },
        "csv" => ItemContent::Csv { fields: Vec::new() },
        "json" => ItemContent::Json { fields: Vec::new() },
        _ => return None,
    })
}

/// The rule's data source, chosen in the chooser.
#[component]
fn WriteDataSource(draft: Draft, i: usize) -> impl IntoView {
    view! {
        <DataSourceField draft prefix="write"
            data_source_id=Signal::derive(move || draft.rule(i, data_source_of).unwrap_or(0))
            on_choose=Callback::new(move |id: i32| draft.update_rule(i, |r| set_data_source(r, id)))/>
    }
}

/// On conflict: `choices` are the modes this kind offers.
#[component]
fn ConflictChoice(draft: Draft, i: usize, choices: &'static [OnConflict]) -> impl IntoView {
    view! {
        <Choice id="write-conflict" testid="write-conflict" label="When the name is taken" options=conflict_options(choices)
            current=Signal::derive(move || draft.rule(i, |r| conflict_key(rule_conflict(r)).to_owned()).unwrap_or_default())
            on_pick=Callback::new(move |key: String| {
                let Some(mode) = conflict_of(&key) else { return };
                draft.update_rule(i, |r| match &mut r.action {
                    RuleAction::CreateItem(c) => c.on_conflict = mode,
                    RuleAction::UpdateItem(u) => u.on_conflict = mode,
                    _ => {}
                })
            })/>
    }
}

/// What the item holds: its kind and that kind's inputs (a field, a template or fields). Create
/// offers a folder; Update offers keeping the content instead.
#[component]
fn ContentEditor(draft: Draft, i: usize, create: bool) -> impl IntoView {
    let fields = field_kinds(draft);
    let content = Memo::new(move |_| draft.rule(i, content_of).flatten());
    let key = Memo::new(move |_| content.with(|c| content_key(c.as_ref())));
    let kinds = Signal::derive(move || {
        let mut o: Options = Vec::new();
        if create {
            o.push(("folder".into(), ItemContent::Folder.label().into()));
        } else {
            o.push(("none".into(), "Keep the content".into()));
        }
        for k in ["uploads", "copy", "text", "csv", "json"] {
            if let Some(c) = new_content(k, &[]) {
                o.push((k.into(), c.label().into()));
            }
        }
        o
    });
    let set = move |c: Option<ItemContent>| draft.update_rule(i, |r| set_content(r, c));
    let source_field = move || {
        content.with(|c| {
            c.as_ref()
                .and_then(|c| c.source_field().map(str::to_owned))
                .unwrap_or_default()
        })
    };
    let template = move || match content.get() {
        Some(ItemContent::Text { template }) => template,
        _ => String::new(),
    };
    let chosen_fields = move || match content.get() {
        Some(ItemContent::Csv { fields } | ItemContent::Json { fields }) => fields,
        _ => Vec::new(),
    };
    let toggle = move |name: String, on: bool| {
        draft.update_rule(i, |r| {
            let list = match &mut r.action {
                RuleAction::CreateItem(CreateItem { content, .. }) => Some(content),
                RuleAction::UpdateItem(UpdateItem { content, .. }) => content.as_mut(),
                _ => None,
            };
            if let Some(ItemContent::Csv { fields } | ItemContent::Json { fields }) = list {
                fields.retain(|f| !f.eq_ignore_ascii_case(&name));
                if on {
                    fields.push(name);
                }
            }
        })
    };
    let uploads = field_options(fields, is_upload);
    let lists = field_options(fields, is_file_list);
    let value_fields = field_options(fields, holds_value);
    view! {
        <Choice id="write-content" testid="write-content" label=if create { "Content" } else { "Replace the content with" }
            options=kinds current=Signal::derive(move || key.get().to_owned())
            on_pick=Callback::new(move |k: String| set(fields.with_untracked(|f| new_content(&k, f))))/>
        {move || match key.get() {
            "uploads" => view! {
                <Choice id="write-content-field" testid="write-content-field" label="File upload field" options=uploads
                    current=Signal::derive(source_field)
                    on_pick=Callback::new(move |field: String| set(Some(ItemContent::Uploads { field })))/>
                <Show when=move || uploads.with(Vec::is_empty)>
                    <p class="hint">"Add a File upload field first."</p>
                </Show>
            }.into_any(),
            "copy" => view! {
                <Choice id="write-content-field" testid="write-content-field" label="List field" options=lists
                    current=Signal::derive(source_field)
                    on_pick=Callback::new(move |field: String| set(Some(ItemContent::Copy { field })))/>
                <Show when=move || lists.with(Vec::is_empty)>
                    <p class="hint">"Add a List field of a data source's files first."</p>
                </Show>
            }.into_any(),
            "text" => view! {
                <div class="field">
                    <label for="write-text">"Text"</label>
                    <textarea id="write-text" data-testid="write-text" rows="4" maxlength="2000" prop:value=template
                        on:input=move |ev| set(Some(ItemContent::Text { template: event_target_value(&ev) }))></textarea>
                </div>
            }.into_any(),
            k @ ("csv" | "json") => view! {
                <fieldset class="rule-subsection" data-testid="write-content-fields">
                    <legend>"Fields"</legend>
                    <div class="checks">
                        {move || value_fields.get().into_iter().map(|(name, _)| {
                            let checked = { let name = name.clone(); move || chosen_fields().iter().any(|f| f.eq_ignore_ascii_case(&name)) };
                            let n = name.clone();
                            view! {
                                <label class="check"><input type="checkbox" prop:checked=checked
                                    on:change=move |ev| toggle(n.clone(), event_target_checked(&ev))/>{name}</label>
                            }
                        }).collect_view()}
                    </div>
                    <p class="hint">{if k == "csv" {
                        "A header row of the fields' titles and a row of their values; a Table field alone gives a row per table row."
                    } else {
                        "One JSON object by field name; none chosen: every field that holds a value."
                    }}</p>
                </fieldset>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
}

/// Which item Update or Delete acts on (a chosen file, a path, an id) and the rev check.
#[component]
fn TargetEditor(draft: Draft, i: usize) -> impl IntoView {
    let fields = field_kinds(draft);
    let target = Memo::new(move |_| {
        draft
            .rule(i, |r| target_of(r).map(|(t, _)| t.clone()))
            .flatten()
            .unwrap_or_default()
    });
    let check_rev = Memo::new(move |_| {
        draft
            .rule(i, |r| target_of(r).is_some_and(|(_, c)| c))
            .unwrap_or(false)
    });
    let key = Memo::new(move |_| match target.get() {
        ItemRef::Chosen { .. } => "chosen",
        ItemRef::Path { .. } => "path",
        ItemRef::Id { .. } => "id",
    });
    let text = move || match target.get() {
        ItemRef::Chosen { field } => field,
        ItemRef::Path { path } => path,
        ItemRef::Id { id } => id,
    };
    let set = move |t: ItemRef| draft.update_rule(i, |r| retarget(r, t));
    let kinds = Signal::derive(|| {
        vec![
            (
                "chosen".to_owned(),
                "The file chosen in a List field".to_owned(),
            ),
            ("path".to_owned(), "A path (template)".to_owned()),
            ("id".to_owned(), "A Dropbox id (template)".to_owned()),
        ]
    });
    let lists = field_options(fields, is_file_list);
    view! {
        <Choice id="write-target" testid="write-target" label="The item" options=kinds
            current=Signal::derive(move || key.get().to_owned())
            on_pick=Callback::new(move |k: String| set(match k.as_str() {
                "path" => ItemRef::Path { path: String::new() },
                "id" => ItemRef::Id { id: String::new() },
                _ => ItemRef::Chosen { field: fields.with_untracked(|f| first_field(f, is_file_list)) },
            }))/>
        {move || match key.get() {
            "chosen" => view! {
                <Choice id="write-target-field" testid="write-target-field" label="List field" options=lists
                    current=Signal::derive(text)
                    on_pick=Callback::new(move |field: String| set(ItemRef::Chosen { field }))/>
                <Show when=move || lists.with(Vec::is_empty)>
                    <p class="hint">"Add a List field of a data source's files first."</p>
                </Show>
            }.into_any(),
            k => {
                let path = k == "path";
                view! {
                    <div class="field">
                        <label for="write-target-value">{if path { "Path" } else { "Id" }}</label>
                        <input id="write-target-value" data-testid="write-target-value" prop:value=text
                            placeholder=if path { "e.g. Invoices/{Customer}/{InvoiceNo}.pdf" } else { "e.g. {FileId}" }
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                set(if path { ItemRef::Path { path: v } } else { ItemRef::Id { id: v } })
                            }/>
                    </div>
                }.into_any()
            }
        }}
        <div class="checks">
            <label class="check"><input type="checkbox" id="write-check-rev" data-testid="write-check-rev"
                prop:checked=move || check_rev.get() disabled=move || key.get() != "chosen"
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    draft.update_rule(i, |r| if let Some((_, c)) = target_of_mut(r) { *c = on });
                }/>"Refuse if the file changed since it was chosen"</label>
        </div>
        <p class="hint">"Only a file chosen in a List field carries the version the person saw; the rule then fails with “the file was changed by someone else since it was chosen” instead of acting on the newer file."</p>
    }
}

#[component]
pub(super) fn CreateItemEditor(draft: Draft, i: usize) -> impl IntoView {
    let fields = field_kinds(draft);
    let create = move || draft.rule(i, |r| create_of(r).cloned()).flatten();
    let change = move |edit: Box<dyn FnOnce(&mut CreateItem)>| {
        draft.update_rule(i, |r| {
            if let RuleAction::CreateItem(c) = &mut r.action {
                edit(c)
            }
        })
    };
    let data_source_id = Signal::derive(move || draft.rule(i, data_source_of).unwrap_or(0));
    view! {
        <fieldset class="rule-section">
            <legend>"Create item"</legend>
            <WriteDataSource draft i/>
            <FolderField id="write-folder" label="Folder" placeholder="/ (the data source's root)"
                hint="Inside the data source's root folder, created when missing; a template may name fields, e.g. Invoices/{Customer}."
                data_source_id folder=Signal::derive(move || create().map(|c| c.folder).unwrap_or_default())
                on_change=Callback::new(move |v: String| change(Box::new(move |c| c.folder = v)))/>
            <ContentEditor draft i create=true/>
            <div class="field">
                <label for="write-name">"Name"</label>
                <input id="write-name" data-testid="write-name" placeholder="e.g. {Customer} {@today}.pdf"
                    prop:value=move || create().map(|c| c.name).unwrap_or_default()
                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |c| c.name = v)) }/>
                <p class="hint">"A template. Blank keeps the original names of uploaded or copied files; a name without an extension gets the original file's (.csv and .json for those formats)."</p>
            </div>
            <ConflictChoice draft i choices=&OnConflict::ALL/>
            <h3 class="rule-subhead">"Results"</h3>
            <p class="hint">"The created item's parameters into fields (the first item's, when it creates several)."</p>
            <ResultsEditor draft i fields of="item"/>
            <ReactionsEditor draft i/>
            <TemplateHelp/>
        </fieldset>
    }
    .into_any()
}

#[component]
pub(super) fn UpdateItemEditor(draft: Draft, i: usize) -> impl IntoView {
    let fields = field_kinds(draft);
    let update = move || draft.rule(i, |r| update_of(r).cloned()).flatten();
    let change = move |edit: Box<dyn FnOnce(&mut UpdateItem)>| {
        draft.update_rule(i, |r| {
            if let RuleAction::UpdateItem(u) = &mut r.action {
                edit(u)
            }
        })
    };
    let data_source_id = Signal::derive(move || draft.rule(i, data_source_of).unwrap_or(0));
    view! {
        <fieldset class="rule-section">
            <legend>"Update item"</legend>
            <WriteDataSource draft i/>
            <TargetEditor draft i/>
            <div class="field">
                <label for="write-rename">"New name"</label>
                <input id="write-rename" data-testid="write-rename" placeholder="blank: keeps the name"
                    prop:value=move || update().map(|u| u.rename).unwrap_or_default()
                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |u| u.rename = v)) }/>
            </div>
            <FolderField id="write-move-to" label="Move to folder" placeholder="blank: stays where it is"
                hint="Inside the data source's root folder; a template may name fields, e.g. Archive/{@today}."
                data_source_id folder=Signal::derive(move || update().map(|u| u.move_to).unwrap_or_default())
                on_change=Callback::new(move |v: String| change(Box::new(move |u| u.move_to = v)))/>
            <ContentEditor draft i create=false/>
            <div class="checks">
                <label class="check"><input type="checkbox" id="write-ignore-blank" data-testid="write-ignore-blank"
                    prop:checked=move || update().is_some_and(|u| u.ignore_blank)
                    on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |u| u.ignore_blank = on)) }/>"Ignore mapping for blank fields"</label>
            </div>
            <p class="hint">"On: a name, folder or content whose fields are blank leaves that part as it is, instead of failing or writing an empty file."</p>
            <ConflictChoice draft i choices=&[OnConflict::Fail, OnConflict::Autorename]/>
            <p class="hint">"Renaming or moving never replaces another item."</p>
            <h3 class="rule-subhead">"Results"</h3>
            <ResultsEditor draft i fields of="item"/>
            <ReactionsEditor draft i/>
            <TemplateHelp/>
        </fieldset>
    }
    .into_any()
}

#[component]
pub(super) fn DeleteItemEditor(draft: Draft, i: usize) -> impl IntoView {
    view! {
        <fieldset class="rule-section">
            <legend>"Delete item"</legend>
            <WriteDataSource draft i/>
            <TargetEditor draft i/>
            <p class="hint" data-testid="delete-folder-help">"Deleting a folder removes everything in it. The run log tells how many entries were removed."</p>
            <ReactionsEditor draft i/>
            <TemplateHelp/>
        </fieldset>
    }
    .into_any()
}

/// A new action of kind `key` (`create`, `update`, `delete`), or `None` for another kind: it writes
/// the first File upload field's files, or acts on the file chosen in the first List of files.
pub(super) fn new_write_action(key: &str, fields: &[(String, FieldKind)]) -> Option<RuleAction> {
    let first_list = || ItemRef::Chosen {
        field: first_field(fields, is_file_list),
    };
    Some(match key {
        "create" => RuleAction::CreateItem(CreateItem {
            content: ItemContent::Uploads {
                field: first_field(fields, is_upload),
            },
            ..CreateItem::new(0)
        }),
        "update" => RuleAction::UpdateItem(UpdateItem {
            target: first_list(),
            ..UpdateItem::new(0)
        }),
        "delete" => RuleAction::DeleteItem(DeleteItem {
            target: first_list(),
            ..DeleteItem::new(0)
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::forms::{DataSourceList, ListField, UploadField};

    #[test]
    fn a_new_content_starts_from_the_first_field_that_fits() {
        let fields = vec![
            ("customer".to_owned(), FieldKind::Text),
            (
                "picked".to_owned(),
                FieldKind::List(ListField {
                    source: ListSource::DataSource(DataSourceList::new(1)),
                    ..ListField::default()
                }),
            ),
            (
                "files".to_owned(),
                FieldKind::FileUpload(UploadField::default()),
            ),
        ];
        assert_eq!(
            new_content("uploads", &fields),
            Some(ItemContent::Uploads {
                field: "files".into()
            })
        );
        assert_eq!(
            new_content("copy", &fields),
            Some(ItemContent::Copy {
                field: "picked".into()
            })
        );
        assert_eq!(new_content("none", &fields), None);
        assert!(matches!(
            new_write_action("update", &fields),
            Some(RuleAction::UpdateItem(UpdateItem { target: ItemRef::Chosen { field }, .. })) if field == "picked"
        ));
        assert!(matches!(
            new_write_action("create", &fields),
            Some(RuleAction::CreateItem(CreateItem { content: ItemContent::Uploads { field }, .. })) if field == "files"
        ));
        assert_eq!(new_write_action("find", &fields), None);
        for key in ["folder", "uploads", "copy", "text", "csv", "json"] {
            assert_eq!(content_key(new_content(key, &fields).as_ref()), key);
        }
    }

    #[test]
    fn a_target_other_than_a_chosen_file_checks_no_rev() {
        let mut rule = Rule {
            action: new_write_action("delete", &[]).expect("a write kind"),
            ..Rule::default()
        };
        assert_eq!(
            target_of(&rule).map(|(_, check)| check),
            Some(true),
            "a new Delete checks the rev of a chosen file"
        );
        retarget(
            &mut rule,
            ItemRef::Path {
                path: "a.pdf".into(),
            },
        );
        assert_eq!(
            target_of(&rule),
            Some((
                &ItemRef::Path {
                    path: "a.pdf".into()
                },
                false
            ))
        );
    }
}
