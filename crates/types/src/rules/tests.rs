use super::design::renamed_in_template;
use super::*;
use crate::forms::{FieldKind, FieldValue, FileParameter};
use std::collections::BTreeMap;

fn ctx(values: &BTreeMap<String, FieldValue>) -> RuleContext<'_> {
    RuleContext {
        values,
        today: Day::from_ymd(2026, 12, 6),
        now: "2026-12-06T10:00:00Z".into(),
        user_name: "Ada Admin".into(),
        user_email: "ada@example.com".into(),
    }
}

fn values() -> BTreeMap<String, FieldValue> {
    BTreeMap::from([
        ("Customer".into(), FieldValue::Text("Acme Ltd".into())),
        ("InvoiceNo".into(), FieldValue::Number(42.0)),
        ("Due".into(), FieldValue::Date("2026-12-01".into())),
    ])
}

#[test]
fn templates_read_fields_and_the_person() {
    let v = values();
    let c = ctx(&v);
    assert_eq!(
        render("Invoices/{Customer}/{InvoiceNo}", &c),
        "Invoices/Acme Ltd/42"
    );
    assert_eq!(
        render("{customer} by {@user.name}", &c),
        "Acme Ltd by Ada Admin"
    );
    assert_eq!(
        render("{@today} {@user.email}", &c),
        "2026-12-06 ada@example.com"
    );
    assert_eq!(render("{{literal}} {Missing}!", &c), "{literal} !");
    assert_eq!(render("a { b", &c), "a { b");
    assert!(template_references("a {b").is_err());
    assert_eq!(
        template_references("{A}/{ B }").unwrap(),
        vec!["A".to_owned(), "B".to_owned()]
    );
}

#[test]
fn text_operators_ignore_case() {
    let t = Day::from_ymd(2026, 1, 1);
    let k = ValueKind::Text;
    assert!(Operator::Equals.holds(k, "Acme", "acme", t));
    assert!(Operator::NotEquals.holds(k, "Acme", "Beta", t));
    assert!(Operator::Contains.holds(k, "Invoice 2026", "VOICE", t));
    assert!(Operator::StartsWith.holds(k, "Invoice", "inv", t));
    assert!(!Operator::StartsWith.holds(k, "Invoice", "voice", t));
    assert!(Operator::EndsWith.holds(k, "a.PDF", ".pdf", t));
    assert!(Operator::IsEmpty.holds(k, "  ", "", t));
    assert!(Operator::IsNotEmpty.holds(k, "x", "", t));
}

#[test]
fn numbers_compare_as_numbers() {
    let t = Day::from_ymd(2026, 1, 1);
    let k = ValueKind::Number;
    assert!(Operator::Greater.holds(k, "10", "9", t), "not as text");
    assert!(Operator::Equals.holds(k, "42", "42.0", t));
    assert!(Operator::LessOrEqual.holds(k, "9", "9", t));
    assert!(Operator::GreaterOrEqual.holds(k, "9.5", "9", t));
    assert!(!Operator::Less.holds(k, "abc", "9", t));
    assert!(Operator::NotEquals.holds(k, "abc", "9", t));
}

#[test]
fn dates_compare_as_days() {
    let today = Day::from_ymd(2026, 12, 6);
    let k = ValueKind::Date;
    assert!(Operator::Before.holds(k, "2026-11-30", "2026-12-01", today));
    assert!(Operator::After.holds(k, "2026-12-02T00:00:01Z", "2026-12-01", today));
    assert!(Operator::On.holds(k, "2026-12-01T23:59:59Z", "2026-12-01", today));
    assert!(Operator::WithinLastDays.holds(k, "2026-11-30", "7", today));
    assert!(!Operator::WithinLastDays.holds(k, "2026-11-28", "7", today));
    assert!(
        !Operator::WithinLastDays.holds(k, "2026-12-07", "7", today),
        "future"
    );
    assert!(Operator::IsEmpty.holds(k, "", "", today));
    assert!(!Operator::Before.holds(k, "2026-02-30", "2027-01-01", today));
}

#[test]
fn days_round_trip() {
    for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 12, 31), (1969, 12, 31)] {
        let day = Day::from_ymd(y, m, d);
        assert_eq!(Day::parse(&day.format()), Some(day));
    }
    assert_eq!(Day::from_ymd(1970, 1, 2).0, 1);
    assert_eq!(Day::parse("2026-13-01"), None);
    assert_eq!(Day::parse("2026-1-01"), None);
    assert_eq!(Day::parse("2026-01-01X"), None);
}

fn cmp(field: &str, operator: Operator, value: &str) -> Comparison {
    Comparison {
        field: field.into(),
        operator,
        value: Operand::Text(value.into()),
    }
}

#[test]
fn groups_combine_with_and_or() {
    let v = values();
    let c = ctx(&v);
    let kinds = |f: &str| match f {
        "InvoiceNo" => ValueKind::Number,
        "Due" => ValueKind::Date,
        _ => ValueKind::Text,
    };
    let group = |combine, comparisons| ConditionGroup {
        combine,
        comparisons,
    };
    let yes = cmp("Customer", Operator::StartsWith, "acme");
    let no = cmp("InvoiceNo", Operator::Greater, "100");
    let conditions = |combine, groups| Conditions { combine, groups };
    assert!(Conditions::default().hold(&c, &kinds));
    assert!(
        !conditions(
            Combine::And,
            vec![group(Combine::And, vec![yes.clone(), no.clone()])]
        )
        .hold(&c, &kinds)
    );
    assert!(
        conditions(
            Combine::And,
            vec![group(Combine::Or, vec![yes.clone(), no.clone()])]
        )
        .hold(&c, &kinds)
    );
    assert!(
        conditions(
            Combine::Or,
            vec![
                group(Combine::And, vec![no.clone()]),
                group(Combine::And, vec![yes.clone()])
            ]
        )
        .hold(&c, &kinds)
    );
    assert!(
        !conditions(
            Combine::And,
            vec![
                group(Combine::And, vec![no]),
                group(Combine::And, vec![yes])
            ]
        )
        .hold(&c, &kinds)
    );
    let field_operand = Comparison {
        field: "Customer".into(),
        operator: Operator::Equals,
        value: Operand::Template("{Customer}".into()),
    };
    assert!(
        conditions(Combine::And, vec![group(Combine::And, vec![field_operand])]).hold(&c, &kinds)
    );
}

#[test]
fn rules_must_name_fields_that_exist_and_suit() {
    let kinds = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Button(ButtonField {
            label: "Find".into(),
        }),
        FieldKind::Table(TableField {
            columns: vec![TableColumn {
                name: "name".into(),
                title: "Name".into(),
                kind: ColumnKind::Text,
            }],
            ..TableField::default()
        }),
    ];
    let names = ["Customer", "Amount", "find", "results"];
    let fields: Vec<FieldFacts> = names
        .iter()
        .zip(kinds.iter())
        .map(|(name, kind)| FieldFacts { name, kind })
        .collect();
    let mut find = FindItems::new(1);
    find.table = Some(TableMapping {
        field: "results".into(),
        columns: vec![ColumnMapping {
            column: "name".into(),
            parameter: FileParameter::Name,
        }],
        mode: TableMode::Override,
    });
    find.filters.push(ItemFilter {
        parameter: FileParameter::Name,
        operator: Operator::Contains,
        value: Operand::Field("Customer".into()),
    });
    let good = Rule {
        id: "r1".into(),
        name: "Find invoices".into(),
        trigger: Trigger::Button {
            field: "find".into(),
        },
        action: RuleAction::FindItems(find.clone()),
        ..Rule::default()
    };
    assert_eq!(rule_problems(std::slice::from_ref(&good), &fields), vec![]);

    let mut bad = good.clone();
    bad.id = "r2".into();
    bad.trigger = Trigger::Button {
        field: "Customer".into(),
    };
    bad.conditions.groups.push(ConditionGroup {
        combine: Combine::And,
        comparisons: vec![
            cmp("Amount", Operator::Contains, "1"),
            cmp("Nope", Operator::Equals, "1"),
        ],
    });
    let mut bad_find = find;
    bad_find.max_rows = 0;
    bad_find.folder = "a/../b".into();
    bad_find.filters[0].operator = Operator::Before;
    bad_find.table.as_mut().unwrap().columns[0].column = "missing".into();
    bad_find.first_match.push(ResultMapping {
        field: "results".into(),
        parameter: FileParameter::Name,
    });
    bad.action = RuleAction::FindItems(bad_find);
    let problems = rule_problems(&[good, bad], &fields);
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(problems.iter().all(|p| p.rule == 1), "{messages:?}");
    assert_eq!(problems.len(), 8, "{messages:?}");
}

#[test]
fn a_renamed_field_is_followed_by_every_rule() {
    assert_eq!(
        renamed_in_template(
            "Invoices/{customer}/{ Customer }-{{customer}}/{other}/{x",
            "Customer",
            "client"
        ),
        "Invoices/{client}/{client}-{{customer}}/{other}/{x"
    );
    let text = FieldKind::Text;
    let fields_after = |names: &[&'static str]| -> Vec<FieldFacts<'_>> {
        names
            .iter()
            .map(|n| FieldFacts {
                name: n,
                kind: &text,
            })
            .collect()
    };
    let mut find = FindItems::new(1);
    find.folder = "Invoices/{Customer}".into();
    find.filters.push(ItemFilter {
        parameter: FileParameter::Name,
        operator: Operator::Contains,
        value: Operand::Field("customer".into()),
    });
    find.first_match.push(ResultMapping {
        field: "Customer".into(),
        parameter: FileParameter::Name,
    });
    let mut rules = vec![Rule {
        trigger: Trigger::Change {
            field: "Customer".into(),
        },
        conditions: Conditions {
            combine: Combine::And,
            groups: vec![ConditionGroup {
                combine: Combine::And,
                comparisons: vec![cmp("Customer", Operator::IsNotEmpty, "")],
            }],
        },
        action: RuleAction::FindItems(find),
        ..Rule::default()
    }];
    // Half-way through typing, the name meets another field's: nothing moves.
    let before = rules.clone();
    rename_field(&mut rules, &fields_after(&["Cu", "Cu"]), "Customer", "Cu");
    assert_eq!(rules, before);
    rename_field(
        &mut rules,
        &fields_after(&["client", "Other"]),
        "Customer",
        "client",
    );
    let r = &rules[0];
    assert_eq!(
        r.trigger,
        Trigger::Change {
            field: "client".into()
        }
    );
    assert_eq!(r.conditions.groups[0].comparisons[0].field, "client");
    let RuleAction::FindItems(f) = &r.action else {
        panic!("still Find items")
    };
    assert_eq!(f.folder, "Invoices/{client}");
    assert_eq!(f.filters[0].value, Operand::Field("client".into()));
    assert_eq!(f.first_match[0].field, "client");
}

#[test]
fn triggers_fire_on_their_event() {
    let b = Trigger::Button {
        field: "Find".into(),
    };
    assert!(b.fires_on(&TriggerEvent::Button {
        field: "find".into()
    }));
    assert!(!b.fires_on(&TriggerEvent::Change {
        field: "Find".into()
    }));
    assert!(Trigger::Load.fires_on(&TriggerEvent::Load));
    assert!(!Trigger::Load.fires_on(&TriggerEvent::BeforeSubmit));
}
