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
        }
    }
    out
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
