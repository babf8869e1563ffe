//! Conditions: comparisons of a field's value, grouped with And / Or, and the calendar days dates
//! compare as.
use super::*;
use crate::forms::{FieldKind, FileParameter};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    #[default]
    And,
    Or,
}

/// Groups of comparisons: each group combines its comparisons, and the groups are combined.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    pub combine: Combine,
    pub groups: Vec<ConditionGroup>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionGroup {
    pub combine: Combine,
    pub comparisons: Vec<Comparison>,
}

/// `field operator value`, e.g. `Amount ≥ 100`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub field: String,
    pub operator: Operator,
    pub value: Operand,
}

/// How a comparison compares. Text comparisons ignore case (as Dropbox names do); numbers compare
/// as numbers; dates as calendar days (a time's date in UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Before,
    After,
    On,
    /// The value is a number of days: from that many days ago up to today.
    WithinLastDays,
}

/// What kind of value a field or file parameter holds, which decides the operators it offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Number,
    Date,
}

impl ValueKind {
    pub fn of_field(kind: &FieldKind) -> ValueKind {
        match kind {
            FieldKind::Number => ValueKind::Number,
            FieldKind::Date => ValueKind::Date,
            _ => ValueKind::Text,
        }
    }

    pub fn of_parameter(p: FileParameter) -> ValueKind {
        match p {
            FileParameter::Size => ValueKind::Number,
            FileParameter::Modified | FileParameter::Created => ValueKind::Date,
            _ => ValueKind::Text,
        }
    }
}

impl Operator {
    pub const TEXT: [Operator; 7] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Contains,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];
    pub const NUMBER: [Operator; 8] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Less,
        Operator::LessOrEqual,
        Operator::Greater,
        Operator::GreaterOrEqual,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];
    pub const DATE: [Operator; 6] = [
        Operator::Before,
        Operator::After,
        Operator::On,
        Operator::WithinLastDays,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ];

    /// The operators a value of `kind` offers, in the order the designer sees them.
    pub fn for_kind(kind: ValueKind) -> &'static [Operator] {
        match kind {
            ValueKind::Text => &Operator::TEXT,
            ValueKind::Number => &Operator::NUMBER,
            ValueKind::Date => &Operator::DATE,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "does not equal",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts with",
            Operator::EndsWith => "ends with",
            Operator::IsEmpty => "is empty",
            Operator::IsNotEmpty => "is not empty",
            Operator::Less => "<",
            Operator::LessOrEqual => "≤",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => "≥",
            Operator::Before => "is before",
            Operator::After => "is after",
            Operator::On => "is on",
            Operator::WithinLastDays => "is within the last (days)",
        }
    }

    /// A stable word for forms and URLs (`equals`, `within-last-days` …).
    pub fn key(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not-equals",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts-with",
            Operator::EndsWith => "ends-with",
            Operator::IsEmpty => "is-empty",
            Operator::IsNotEmpty => "is-not-empty",
            Operator::Less => "less",
            Operator::LessOrEqual => "less-or-equal",
            Operator::Greater => "greater",
            Operator::GreaterOrEqual => "greater-or-equal",
            Operator::Before => "before",
            Operator::After => "after",
            Operator::On => "on",
            Operator::WithinLastDays => "within-last-days",
        }
    }

    pub fn parse(key: &str) -> Option<Operator> {
        Operator::TEXT
            .iter()
            .chain(Operator::NUMBER.iter())
            .chain(Operator::DATE.iter())
            .copied()
            .find(|o| o.key() == key)
    }

    /// Whether the operator compares with a value (`is empty` does not).
    pub fn needs_value(self) -> bool {
        !matches!(self, Operator::IsEmpty | Operator::IsNotEmpty)
    }

    /// Whether `left operator right` holds. `left` is the field's or file's value; `right` the
    /// comparison's value, as text. A value that cannot be read as the kind compares false (a
    /// number operator on `abc`), except `NotEquals`, which then holds.
    pub fn holds(self, kind: ValueKind, left: &str, right: &str, today: Day) -> bool {
        let left = left.trim();
        let right = right.trim();
        match self {
            Operator::IsEmpty => return left.is_empty(),
            Operator::IsNotEmpty => return !left.is_empty(),
            _ => {}
        }
        match kind {
            ValueKind::Number => {
                let (Ok(l), Ok(r)) = (left.parse::<f64>(), right.parse::<f64>()) else {
                    return self == Operator::NotEquals;
                };
                match self {
                    Operator::Equals => l == r,
                    Operator::NotEquals => l != r,
                    Operator::Less => l < r,
                    Operator::LessOrEqual => l <= r,
                    Operator::Greater => l > r,
                    Operator::GreaterOrEqual => l >= r,
                    _ => text_holds(self, left, right),
                }
            }
            ValueKind::Date => {
                let Some(l) = Day::parse(left) else {
                    return self == Operator::NotEquals;
                };
                match self {
                    Operator::WithinLastDays => match right.parse::<u32>() {
                        Ok(n) => l.0 <= today.0 && today.0 - l.0 <= i64::from(n),
                        Err(_) => false,
                    },
                    _ => match Day::parse(right) {
                        Some(r) => match self {
                            Operator::Before | Operator::Less => l < r,
                            Operator::After | Operator::Greater => l > r,
                            Operator::On | Operator::Equals => l == r,
                            Operator::NotEquals => l != r,
                            Operator::LessOrEqual => l <= r,
                            Operator::GreaterOrEqual => l >= r,
                            _ => text_holds(self, left, right),
                        },
                        None => self == Operator::NotEquals,
                    },
                }
            }
            ValueKind::Text => text_holds(self, left, right),
        }
    }
}

fn text_holds(op: Operator, left: &str, right: &str) -> bool {
    let l = left.to_lowercase();
    let r = right.to_lowercase();
    match op {
        Operator::Equals | Operator::On => l == r,
        Operator::NotEquals => l != r,
        Operator::Contains => l.contains(&r),
        Operator::StartsWith => l.starts_with(&r),
        Operator::EndsWith => l.ends_with(&r),
        Operator::Less | Operator::Before => l < r,
        Operator::LessOrEqual => l <= r,
        Operator::Greater | Operator::After => l > r,
        Operator::GreaterOrEqual => l >= r,
        Operator::IsEmpty => l.is_empty(),
        Operator::IsNotEmpty => !l.is_empty(),
        Operator::WithinLastDays => false,
    }
}

/// A calendar day as a count of days since 1970-01-01, read from `YYYY-MM-DD` or the date part
/// of an RFC 3339 time (`2026-12-01T10:00:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        let date = text.get(..10)?;
        let rest = &text[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        let mut parts = date.split('-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let d: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || date.len() != 10 {
            return None;
        }
        Some(Day(days_from_civil(y, m, d)))
    }

    pub fn from_ymd(y: i64, m: i64, d: i64) -> Day {
        Day(days_from_civil(y, m, d))
    }

    /// `YYYY-MM-DD`.
    pub fn format(self) -> String {
        let (y, m, d) = civil_from_days(self.0);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms: exact for every proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.comparisons.is_empty())
    }

    /// Whether the conditions hold for the form's values; `kind_of` gives a field's value kind.
    pub fn hold(&self, ctx: &RuleContext<'_>, kind_of: &dyn Fn(&str) -> ValueKind) -> bool {
        let groups: Vec<&ConditionGroup> = self
            .groups
            .iter()
            .filter(|g| !g.comparisons.is_empty())
            .collect();
        if groups.is_empty() {
            return true;
        }
        let group_holds = |g: &ConditionGroup| {
            let one = |c: &Comparison| {
                c.operator.holds(
                    kind_of(&c.field),
                    &ctx.field_text(&c.field),
                    &c.value.text(ctx),
                    ctx.today,
                )
            };
            match g.combine {
                Combine::And => g.comparisons.iter().all(one),
                Combine::Or => g.comparisons.iter().any(one),
            }
        };
        match self.combine {
            Combine::And => groups.into_iter().all(group_holds),
            Combine::Or => groups.into_iter().any(group_holds),
        }
    }
}
