//! The form's data rules as a person fills it in: the browser notices the form opening, a field
//! changing (once the person stops typing for a moment) and a Button being clicked, asks the server
//! to run the rules for it (`run_rules`) and applies the answer — field values, table pages and
//! messages. Conditions are evaluated here first with the same code the server uses, only to skip a
//! call whose every rule would be skipped; the server decides again.
use super::{Input, current_values};
use crate::api::rules::run_rules;
use leptos::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;
use wharf_types::forms::{FieldDefinition, FieldValue};
use wharf_types::rules::{
    Day, Rule, RuleContext, RuleMessage, RuleOutcome, TriggerEvent, ValueKind,
};

/// How long a field must stay unchanged before its Change rules run.
const SETTLE: Duration = Duration::from_millis(400);

/// The fields a run of rules has changed so far, starting from the one the person changed: a rule
/// changing a field runs that field's Change rules too, but never twice in one chain (no loops).
type Chain = Vec<String>;

#[derive(Clone, Copy)]
pub(super) struct RuleRunner {
    form_id: i32,
    preview: bool,
    rules: StoredValue<Vec<Rule>>,
    fields: StoredValue<Vec<(FieldDefinition, Input)>>,
    /// The person filling in, as `{@user.name}` / `{@user.email}` read them.
    person: StoredValue<(String, String)>,
    /// What the rules said, one message per rule: a rule's newer message replaces its older one.
    pub messages: RwSignal<Vec<RuleMessage>>,
    /// Why the last run failed (the server's sentence); cleared by the next run that answers.
    pub failure: RwSignal<Option<String>>,
    /// The Button fields whose rules are running.
    pub running: RwSignal<Vec<String>>,
    /// Per trigger (`load`, `change:name`, `button:name`): the newest run; older answers are dropped.
    generations: StoredValue<BTreeMap<String, u64>>,
    /// Per field: the pending wait before its Change rules run.
    timers: StoredValue<BTreeMap<String, TimeoutHandle>>,
    /// Fields a run's answer has just set (lower-case name), with the chain to continue or `None`
    /// when their Change rules must not run again: the watcher reads and removes the mark.
    set_by_rules: StoredValue<BTreeMap<String, Option<Chain>>>,
}

impl RuleRunner {
    pub fn new(
        form_id: i32,
        preview: bool,
        rules: Vec<Rule>,
        fields: Vec<(FieldDefinition, Input)>,
        user_name: String,
        user_email: String,
    ) -> Self {
        RuleRunner {
            form_id,
            preview,
            rules: StoredValue::new(rules.into_iter().filter(|r| r.enabled).collect()),
            fields: StoredValue::new(fields),
            person: StoredValue::new((user_name, user_email)),
            messages: RwSignal::new(Vec::new()),
            failure: RwSignal::new(None),
            running: RwSignal::new(Vec::new()),
            generations: StoredValue::new(BTreeMap::new()),
            timers: StoredValue::new(BTreeMap::new()),
            set_by_rules: StoredValue::new(BTreeMap::new()),
        }
    }

    /// Runs the Load rules once, and watches every field some Change rule names. Call once, in the
    /// form's component: effects run only in the browser, after hydration.
    pub fn start(self) {
        Effect::new(move |_| self.run(TriggerEvent::Load, Vec::new()));
        let watched: Vec<(String, Input)> = self.fields.with_value(|fields| {
            fields
                .iter()
                .filter(|(f, _)| self.has_change_rules(&f.name))
                .map(|(f, input)| (f.name.clone(), *input))
                .collect()
        });
        for (name, input) in watched {
            Effect::new(move |seen: Option<()>| {
                input.track();
                // The first run only subscribes: nothing has changed yet.
                if seen.is_some() {
                    self.changed(&name);
                }
            });
        }
    }

    fn has_change_rules(&self, field: &str) -> bool {
        let event = TriggerEvent::Change {
            field: field.to_owned(),
        };
        self.rules
            .with_value(|rules| rules.iter().any(|r| r.trigger.fires_on(&event)))
    }

    /// A watched field's value changed: by the person (wait until they stop typing) or by a rule
    /// (continue its chain at once, or not at all).
    fn changed(self, field: &str) {
        let key = field.to_lowercase();
        let mark = self
            .set_by_rules
            .try_update_value(|marks| marks.remove(&key))
            .flatten();
        let event = TriggerEvent::Change {
            field: field.to_owned(),
        };
        match mark {
            Some(Some(chain)) => self.run(event, chain),
            Some(None) => {}
            None => {
                if let Some(pending) = self.timers.try_update_value(|t| t.remove(&key)).flatten() {
                    pending.clear();
                }
                let chain = vec![key.clone()];
                if let Ok(handle) = set_timeout_with_handle(move || self.run(event, chain), SETTLE)
                {
                    self.timers.update_value(|t| {
                        t.insert(key, handle);
                    });
                }
            }
        }
    }

    /// Runs the Button field `field`'s rules.
    pub fn click(self, field: String) {
        self.run(TriggerEvent::Button { field }, Vec::new());
    }

    /// Asks the server to run the rules for `event`, unless none would run: none fires on it, or
    /// every one's conditions are false for the values now in the form.
    fn run(self, event: TriggerEvent, chain: Chain) {
        let Some(fired) = self.rules.try_with_value(|rules| {
            rules
                .iter()
                .filter(|r| r.trigger.fires_on(&event))
                .cloned()
                .collect::<Vec<_>>()
        }) else {
            return; // the form is gone
        };
        if fired.is_empty() {
            return;
        }
        let values = self.fields.with_value(|f| current_values(f).0);
        if !fired.iter().any(|r| self.conditions_hold(r, &values)) {
            return;
        }
        let key = match &event {
            TriggerEvent::Change { field } => format!("change:{}", field.to_lowercase()),
            TriggerEvent::Button { field } => format!("button:{}", field.to_lowercase()),
            other => other.key().to_owned(),
        };
        let generation = self
            .generations
            .try_update_value(|g| {
                let n = g.entry(key.clone()).or_default();
                *n += 1;
                *n
            })
            .unwrap_or_default();
        let button = match &event {
            TriggerEvent::Button { field } => Some(field.clone()),
            _ => None,
        };
        if let Some(b) = &button {
            self.running.update(|r| r.push(b.clone()));
        }
        let rule_names: Vec<String> = fired.into_iter().map(|r| r.name).collect();
        let (form_id, preview) = (self.form_id, self.preview);
        leptos::task::spawn_local(async move {
            let answer = run_rules(form_id, preview, event, values).await;
            if let Some(b) = &button {
                // The form may be gone by now.
                let _ = self.running.try_update(|r| r.retain(|x| x != b));
            }
            let newest = self
                .generations
                .try_with_value(|g| g.get(&key).copied() == Some(generation));
            if newest != Some(true) {
                return;
            }
            match answer {
                Ok(outcome) => self.apply(outcome, &rule_names, chain),
                // Nothing changes: the values stay as the person left them.
                Err(e) => self.failure.set(Some(e.to_string())),
            }
        });
    }

    /// Whether `rule`'s conditions hold for `values` now, evaluated as the server will.
    fn conditions_hold(&self, rule: &Rule, values: &BTreeMap<String, FieldValue>) -> bool {
        let (today, now) = today_and_now();
        let (user_name, user_email) = self.person.get_value();
        let ctx = RuleContext {
            values,
            today,
            now,
            user_name,
            user_email,
        };
        self.fields.with_value(|fields| {
            let kind_of = |name: &str| {
                fields
                    .iter()
                    .find(|(f, _)| f.name.eq_ignore_ascii_case(name))
                    .map_or(ValueKind::Text, |(f, _)| ValueKind::of_field(&f.kind))
            };
            rule.conditions.hold(&ctx, &kind_of)
        })
    }

    /// Puts an answer into the form: messages first (the rules that ran lose their older ones),
    /// then tables, then field values — each changed field continuing the chain of Change rules.
    fn apply(self, outcome: RuleOutcome, rules_run: &[String], chain: Chain) {
        let RuleOutcome {
            changes,
            tables,
            messages,
            ..
        } = outcome;
        self.failure.set(None);
        self.messages.update(|shown| {
            shown.retain(|m| !rules_run.contains(&m.rule));
            for m in messages {
                shown.retain(|old| old.rule != m.rule);
                shown.push(m);
            }
        });
        let input_of = |name: &str| {
            self.fields.with_value(|fields| {
                fields
                    .iter()
                    .find(|(f, _)| f.name.eq_ignore_ascii_case(name))
                    .map(|(f, input)| (f.name.clone(), *input))
            })
        };
        for (name, page) in tables {
            if let Some((_, Input::Table(rows))) = input_of(&name) {
                self.mark(&name, &chain);
                rows.fill(page);
            }
        }
        for (name, value) in changes {
            if let Some((name, input)) = input_of(&name)
                && input.set(value)
            {
                // The watcher runs after this: the mark is there when it looks.
                self.mark(&name, &chain);
            }
        }
    }

    /// Remembers that a rule is setting `field`, so its watcher continues `chain` — unless the
    /// chain already passed through it.
    fn mark(&self, field: &str, chain: &Chain) {
        if !self.has_change_rules(field) {
            return;
        }
        let key = field.to_lowercase();
        let next = (!chain.contains(&key)).then(|| {
            let mut next = chain.clone();
            next.push(key.clone());
            next
        });
        self.set_by_rules.update_value(|marks| {
            marks.insert(key, next);
        });
    }
}

/// Today (UTC) and now (RFC 3339, UTC), as conditions and templates read them.
#[cfg(target_arch = "wasm32")]
fn today_and_now() -> (Day, String) {
    let now = js_sys::Date::new_0();
    let today = Day::from_ymd(
        i64::from(now.get_utc_full_year()),
        i64::from(now.get_utc_month()) + 1,
        i64::from(now.get_utc_date()),
    );
    (today, String::from(now.to_iso_string()))
}

/// Rules run in the browser only; the server renders the page without running any.
#[cfg(not(target_arch = "wasm32"))]
fn today_and_now() -> (Day, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let day = Day(days);
    let rem = secs % 86_400;
    let now = format!(
        "{}T{:02}:{:02}:{:02}Z",
        day.format(),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    (day, now)
}
