//! What the designer is told about rules (every problem, checked again by the server) and how rules
//! follow a renamed field.
use super::*;
use crate::forms::FieldKind;

/// A problem with one rule (by position) of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleProblem {
    pub rule: usize,
    pub message: String,
}

/// What the rule checks need to know of the form's fields.
pub struct FieldFacts<'a> {
    pub name: &'a str,
    pub kind: &'a FieldKind,
}

/// Every problem of the rules of a form with `fields`, each with the sentence the designer sees.
pub fn rule_problems(rules: &[Rule], fields: &[FieldFacts<'_>]) -> Vec<RuleProblem> {
    let mut out = Vec::new();
    let field = |name: &str| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name));
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut add = |message: String| out.push(RuleProblem { rule: i, message });
        if i == MAX_RULES {
            add(format!("A form can have at most {MAX_RULES} rules."));
        }
        if rule.name.trim().is_empty() {
            add("Give the rule a name.".into());
        } else if rule.name.chars().count() > 200 {
            add("A rule's name can have at most 200 characters.".into());
        }
        if rule.id.is_empty() || rule.id.len() > 40 || !ids.insert(rule.id.clone()) {
            add("The rule has no id of its own; remove it and add it again.".into());
        }
        match &rule.trigger {
            Trigger::Change { field: f } => match field(f) {
                None => add(format!(
                    "The trigger names “{f}”, which is not a field of this form."
                )),
                Some(ff) if matches!(ff.kind, FieldKind::Button(_)) => {
                    add(format!("{f} is a button: use “When clicked” for it."))
                }
                Some(_) => {}
            },
            Trigger::Button { field: f } => match field(f) {
                Some(ff) if matches!(ff.kind, FieldKind::Button(_)) => {}
                _ => add(format!("“{f}” is not a Button field of this form.")),
            },
            _ => {}
        }
        let check_operand = |add: &mut dyn FnMut(String), what: &str, o: &Operand| {
            if let Operand::Template(t) = o {
                if t.chars().count() > MAX_TEMPLATE_CHARS {
                    add(format!(
                        "{what}: a template can have at most {MAX_TEMPLATE_CHARS} characters."
                    ));
                }
                if let Err(e) = template_references(t) {
                    add(format!("{what}: {e}"));
                }
            }
            for name in o.references() {
                if !TEMPLATE_NAMES.contains(&name.as_str()) && field(&name).is_none() {
                    add(format!(
                        "{what} uses “{name}”, which is not a field of this form."
                    ));
                }
            }
        };
        for c in rule.conditions.groups.iter().flat_map(|g| &g.comparisons) {
            match field(&c.field) {
                None => add(format!(
                    "A condition compares “{}”, which is not a field of this form.",
                    c.field
                )),
                Some(f) => {
                    let kind = ValueKind::of_field(f.kind);
                    if !Operator::for_kind(kind).contains(&c.operator) {
                        add(format!(
                            "“{}” cannot be used on {} (a {} field).",
                            c.operator.label(),
                            c.field,
                            f.kind.label()
                        ));
                    }
                }
            }
            check_comparison_value(&mut add, c.operator, &c.value);
            check_operand(&mut add, "A condition", &c.value);
        }
        let check_assignments = |add: &mut dyn FnMut(String), assignments: &[Assignment]| {
            for a in assignments {
                match field(&a.field) {
                    None => add(format!("“{}” is not a field of this form.", a.field)),
                    Some(f) if !settable(f.kind) => add(format!(
                        "{} is a {} field: rules can set Text, Number and Date fields.",
                        a.field,
                        f.kind.label()
                    )),
                    Some(_) => {}
                }
                check_operand(add, &format!("The value of {}", a.field), &a.value);
            }
        };
        match &rule.action {
            RuleAction::SetField(s) => {
                if s.assignments.is_empty() {
                    add("Choose a field to set.".into());
                }
                check_assignments(&mut add, &s.assignments);
            }
            RuleAction::ShowMessage(m) => {
                if m.text.trim().is_empty() {
                    add("Write the message to show.".into());
                }
                check_operand(&mut add, "The message", &Operand::Template(m.text.clone()));
            }
            RuleAction::FindItems(find) => {
                if find.data_source_id <= 0 {
                    add("Choose the data source to find items in.".into());
                }
                check_operand(
                    &mut add,
                    "The folder",
                    &Operand::Template(find.folder.clone()),
                );
                if find.folder.contains("..") || find.folder.contains('\\') {
                    add("The folder must not contain `..` or \\.".into());
                }
                if find.max_rows == 0 || find.max_rows > MAX_FIND_ROWS {
                    add(format!("Max rows must be from 1 to {MAX_FIND_ROWS}."));
                }
                for f in &find.filters {
                    let kind = ValueKind::of_parameter(f.parameter);
                    if !Operator::for_kind(kind).contains(&f.operator) {
                        add(format!(
                            "“{}” cannot be used on {}.",
                            f.operator.label(),
                            f.parameter.as_str()
                        ));
                    }
                    check_comparison_value(&mut add, f.operator, &f.value);
                    check_operand(&mut add, "A filter", &f.value);
                }
                if let Some(t) = &find.table {
                    match field(&t.field) {
                        Some(FieldFacts {
                            kind: FieldKind::Table(table),
                            ..
                        }) => {
                            if t.columns.is_empty() {
                                add("Map at least one column of the table.".into());
                            }
                            for c in &t.columns {
                                // A File column holds the file itself, whatever parameter.
                                if !table.columns.iter().any(|tc| tc.name == c.column) {
                                    add(format!(
                                        "The table {} has no column “{}”.",
                                        t.field, c.column
                                    ));
                                }
                            }
                        }
                        _ => add(format!("“{}” is not a Table field of this form.", t.field)),
                    }
                }
                for m in &find.first_match {
                    match field(&m.field) {
                        Some(f) if settable(f.kind) => {}
                        Some(f) => add(format!(
                            "{} is a {} field: results go into Text, Number and Date fields.",
                            m.field,
                            f.kind.label()
                        )),
                        None => add(format!("“{}” is not a field of this form.", m.field)),
                    }
                }
                check_assignments(&mut add, &find.on_success.assignments);
                check_assignments(&mut add, &find.on_error.assignments);
                for (what, text) in [
                    ("The success message", &find.on_success.message),
                    ("The error message", &find.on_error.message),
                    ("The no-match message", &find.no_match.message),
                ] {
                    check_operand(&mut add, what, &Operand::Template(text.clone()));
                }
            }
            RuleAction::CreateItem(_) | RuleAction::UpdateItem(_) | RuleAction::DeleteItem(_) => {
                let template = |add: &mut dyn FnMut(String), what: &str, text: &str| {
                    check_operand(add, what, &Operand::Template(text.to_owned()))
                };
                write_problems(rule, &field, &mut add, &template);
                let (result, on_success, on_error) = match &rule.action {
                    RuleAction::CreateItem(c) => (&c.result[..], &c.on_success, &c.on_error),
                    RuleAction::UpdateItem(u) => (&u.result[..], &u.on_success, &u.on_error),
                    RuleAction::DeleteItem(d) => (&[][..], &d.on_success, &d.on_error),
                    _ => unreachable!("matched above"),
                };
                for m in result {
                    match field(&m.field) {
                        Some(f) if settable(f.kind) => {}
                        Some(f) => add(format!(
                            "{} is a {} field: results go into Text, Number and Date fields.",
                            m.field,
                            f.kind.label()
                        )),
                        None => add(format!("“{}” is not a field of this form.", m.field)),
                    }
                }
                check_assignments(&mut add, &on_success.assignments);
                check_assignments(&mut add, &on_error.assignments);
                template(&mut add, "The success message", &on_success.message);
                template(&mut add, "The error message", &on_error.message);
            }
        }
    }
    out
}

/// Checks a template (what it is, its text), reporting through the first argument.
type TemplateCheck<'a> = dyn Fn(&mut dyn FnMut(String), &str, &str) + 'a;

/// The checks of Create, Update and Delete item beyond what every rule shares.
fn write_problems<'f>(
    rule: &Rule,
    field: &dyn Fn(&str) -> Option<&'f FieldFacts<'f>>,
    add: &mut dyn FnMut(String),
    template: &TemplateCheck<'_>,
) {
    match rule.trigger {
        Trigger::Load => add(
            "A rule that writes to a data source cannot run when the form opens: use a button, a change or After submit."
                .into(),
        ),
        Trigger::BeforeSubmit => add(
            "A rule that writes to a data source cannot run before submit (a later refusal would leave the write done): use After submit."
                .into(),
        ),
        _ => {}
    }
    let data_source_id = rule.action.data_source_id().unwrap_or(0);
    if data_source_id <= 0 {
        add("Choose the data source to write to.".into());
    }
    let path = |add: &mut dyn FnMut(String), what: &str, text: &str| {
        template(add, what, text);
        if text.contains("..") || text.contains('\\') {
            add(format!("{what} must not contain `..` or \\."));
        }
    };
    let content_problems = |add: &mut dyn FnMut(String), content: &ItemContent| match content {
        ItemContent::Folder | ItemContent::Text { .. } => {
            if let ItemContent::Text { template: t } = content {
                template(add, "The content", t);
            }
        }
        ItemContent::Uploads { field: f } => match field(f) {
            Some(FieldFacts {
                kind: FieldKind::FileUpload(_),
                ..
            }) => {}
            _ => add(format!("“{f}” is not a File upload field of this form.")),
        },
        ItemContent::Copy { field: f } => match field(f) {
            Some(FieldFacts {
                kind: FieldKind::List(l),
                ..
            }) if matches!(l.source, crate::forms::ListSource::DataSource(_)) => {}
            _ => add(format!(
                "“{f}” is not a List field of files of a data source."
            )),
        },
        ItemContent::Csv { fields } | ItemContent::Json { fields } => {
            if matches!(content, ItemContent::Csv { .. }) && fields.is_empty() {
                add("Choose the fields the CSV holds.".into());
            }
            for f in fields {
                match field(f) {
                    None => add(format!("“{f}” is not a field of this form.")),
                    Some(ff) if matches!(ff.kind, FieldKind::Button(_)) => {
                        add(format!("{f} is a button: it holds no value."))
                    }
                    Some(_) => {}
                }
            }
        }
    };
    let target_problems = |add: &mut dyn FnMut(String), target: &ItemRef, check_rev: bool| {
        match target {
            ItemRef::Chosen { field: f } => match field(f) {
                Some(FieldFacts {
                    kind: FieldKind::List(l),
                    ..
                }) if matches!(l.source, crate::forms::ListSource::DataSource(_)) => {}
                _ => add(format!(
                    "“{f}” is not a List field of files of a data source."
                )),
            },
            ItemRef::Path { path: p } => {
                if p.trim().is_empty() {
                    add("Write the path of the item.".into());
                }
                template(add, "The path", p);
                if p.contains("..") || p.contains('\\') {
                    add("The path must not contain `..` or \\.".into());
                }
            }
            ItemRef::Id { id } => {
                if id.trim().is_empty() {
                    add("Write the id of the item (or a field that holds it).".into());
                }
                template(add, "The id", id);
            }
        }
        if check_rev && !matches!(target, ItemRef::Chosen { .. }) {
            add("Checking for changes needs a file chosen in a List field (it carries the version the person saw).".into());
        }
    };
    match &rule.action {
        RuleAction::CreateItem(c) => {
            path(add, "The folder", &c.folder);
            template(add, "The name", &c.name);
            if c.name.contains(['/', '\\']) {
                add("A name cannot contain / or \\.".into());
            }
            let needs_name = !matches!(
                c.content,
                ItemContent::Uploads { .. } | ItemContent::Copy { .. }
            );
            if needs_name && c.name.trim().is_empty() {
                add("Write the name of the item to create.".into());
            }
            if c.content == ItemContent::Folder && c.on_conflict == OnConflict::Overwrite {
                add("A folder is never overwritten: choose Fail or Add a number.".into());
            }
            content_problems(add, &c.content);
        }
        RuleAction::UpdateItem(u) => {
            target_problems(add, &u.target, u.check_rev);
            template(add, "The new name", &u.rename);
            if u.rename.contains(['/', '\\']) {
                add("A name cannot contain / or \\.".into());
            }
            path(add, "The folder to move to", &u.move_to);
            if u.rename.trim().is_empty() && u.move_to.trim().is_empty() && u.content.is_none() {
                add("Choose what to change: the name, the folder or the content.".into());
            }
            if u.on_conflict == OnConflict::Overwrite {
                add("Renaming or moving never overwrites: choose Fail or Add a number.".into());
            }
            match &u.content {
                Some(ItemContent::Folder) => add("A folder has no content to replace.".into()),
                Some(c) => content_problems(add, c),
                None => {}
            }
        }
        RuleAction::DeleteItem(d) => target_problems(add, &d.target, d.check_rev),
        _ => {}
    }
}

/// Follows a field's rename in every rule: triggers, conditions, values, templates (`{Old}`
/// becomes `{New}`), fields set and the table filled. Done only when the rename is unambiguous —
/// exactly one field of `fields` is now named `new` and none is still named `old` (ignoring case) —
/// so a name typed half-way that meets another field's never takes that field's references.
pub fn rename_field(rules: &mut [Rule], fields: &[FieldFacts<'_>], old: &str, new: &str) {
    let named = |n: &str| {
        fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(n))
            .count()
    };
    if old.eq_ignore_ascii_case(new) || old.is_empty() || named(new) != 1 || named(old) != 0 {
        return;
    }
    let name = |n: &mut String| {
        if n.eq_ignore_ascii_case(old) {
            *n = new.to_owned();
        }
    };
    let template = |t: &mut String| *t = renamed_in_template(t, old, new);
    let operand = |o: &mut Operand| match o {
        Operand::Text(_) => {}
        Operand::Field(f) => name(f),
        Operand::Template(t) => template(t),
    };
    let assignments = |list: &mut Vec<Assignment>| {
        for a in list {
            name(&mut a.field);
            operand(&mut a.value);
        }
    };
    let content = |c: &mut ItemContent| match c {
        ItemContent::Folder => {}
        ItemContent::Uploads { field } | ItemContent::Copy { field } => name(field),
        ItemContent::Text { template: t } => template(t),
        ItemContent::Csv { fields } | ItemContent::Json { fields } => {
            fields.iter_mut().for_each(name)
        }
    };
    let target = |t: &mut ItemRef| match t {
        ItemRef::Chosen { field } => name(field),
        ItemRef::Path { path } => template(path),
        ItemRef::Id { id } => template(id),
    };
    for rule in rules {
        match &mut rule.trigger {
            Trigger::Change { field } | Trigger::Button { field } => name(field),
            _ => {}
        }
        for c in rule
            .conditions
            .groups
            .iter_mut()
            .flat_map(|g| g.comparisons.iter_mut())
        {
            name(&mut c.field);
            operand(&mut c.value);
        }
        match &mut rule.action {
            RuleAction::SetField(s) => assignments(&mut s.assignments),
            RuleAction::ShowMessage(m) => template(&mut m.text),
            RuleAction::FindItems(f) => {
                template(&mut f.folder);
                for filter in &mut f.filters {
                    operand(&mut filter.value);
                }
                if let Some(t) = &mut f.table {
                    name(&mut t.field);
                }
                for m in &mut f.first_match {
                    name(&mut m.field);
                }
                for reaction in [&mut f.on_success, &mut f.on_error] {
                    assignments(&mut reaction.assignments);
                    template(&mut reaction.message);
                }
                template(&mut f.no_match.message);
            }
            RuleAction::CreateItem(c) => {
                template(&mut c.folder);
                template(&mut c.name);
                content(&mut c.content);
                for m in &mut c.result {
                    name(&mut m.field);
                }
                for reaction in [&mut c.on_success, &mut c.on_error] {
                    assignments(&mut reaction.assignments);
                    template(&mut reaction.message);
                }
            }
            RuleAction::UpdateItem(u) => {
                target(&mut u.target);
                template(&mut u.rename);
                template(&mut u.move_to);
                if let Some(c) = &mut u.content {
                    content(c);
                }
                for m in &mut u.result {
                    name(&mut m.field);
                }
                for reaction in [&mut u.on_success, &mut u.on_error] {
                    assignments(&mut reaction.assignments);
                    template(&mut reaction.message);
                }
            }
            RuleAction::DeleteItem(d) => {
                target(&mut d.target);
                for reaction in [&mut d.on_success, &mut d.on_error] {
                    assignments(&mut reaction.assignments);
                    template(&mut reaction.message);
                }
            }
        }
    }
}

/// `template` with every `{old}` (ignoring case and blanks inside the braces) written `{new}`;
/// everything else — text, `{{`, `}}`, other names, an unclosed `{` — exactly as it was.
pub(super) fn renamed_in_template(template: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            out.push_str(&rest[..2]);
            rest = &rest[2..];
        } else if let (true, Some(end)) = (rest.starts_with('{'), rest.find('}')) {
            let inner = &rest[1..end];
            if inner.trim().eq_ignore_ascii_case(old) {
                out.push('{');
                out.push_str(new);
                out.push('}');
            } else {
                out.push_str(&rest[..=end]);
            }
            rest = &rest[end + 1..];
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether rules may set a field of this kind.
pub fn settable(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::Text | FieldKind::Number | FieldKind::Date)
}

fn check_comparison_value(add: &mut dyn FnMut(String), op: Operator, value: &Operand) {
    if !op.needs_value() {
        return;
    }
    match value {
        Operand::Text(t) if t.trim().is_empty() => {
            add(format!("“{}” needs a value to compare with.", op.label()))
        }
        Operand::Text(t) if op == Operator::WithinLastDays && t.trim().parse::<u32>().is_err() => {
            add("“within the last” needs a whole number of days.".into())
        }
        Operand::Field(f) if f.is_empty() => add("Choose the field to compare with.".into()),
        _ => {}
    }
}
