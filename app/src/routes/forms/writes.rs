//! What a submission's writes (files saved to data sources, After submit rules, run as a job) look
//! like to people: the state in a sentence, the steps, and following them live until they end. The
//! fill page shows them after Submit, the submissions list in its Writes column.
use crate::api::writes::submission_writes;
use leptos::prelude::*;
use std::time::Duration;
use wharf_types::rules::{StepState, WriteStep, WritesProgress, WritesState};

/// How often a page asks how the writes stand while they run; after a failed ask, less often.
const POLL: Duration = Duration::from_secs(1);
const POLL_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// "Queued", "Writing 2 of 5", "Done", "Needs attention".
pub(super) fn state_text(p: &WritesProgress) -> String {
    match p.state {
        WritesState::Writing if p.total > 0 => {
            format!("Writing {} of {}", (p.done + 1).min(p.total), p.total)
        }
        state => state.label().to_owned(),
    }
}

/// `queued`, `writing`, `done`, `needs-attention`: the state for styles and tests.
pub(super) fn state_key(state: WritesState) -> &'static str {
    match state {
        WritesState::Queued => "queued",
        WritesState::Writing => "writing",
        WritesState::Done => "done",
        WritesState::NeedsAttention => "needs-attention",
    }
}

fn step_label(state: StepState) -> &'static str {
    match state {
        StepState::Running => "Writing",
        StepState::Done => "Done",
        StepState::Failed => "Failed",
    }
}

/// Each write: what it does, how it stands, and the error's sentence when it failed.
#[component]
pub(super) fn WriteSteps(steps: Vec<WriteStep>) -> impl IntoView {
    view! {
        <ol class="write-steps" data-testid="write-steps">
            {steps.into_iter().map(|s| {
                let key = step_label(s.state);
                view! {
                    <li class="write-step" data-state=key.to_lowercase()>
                        <span class="write-step-label">{s.label}</span>
                        " "
                        <span class=format!("badge step-{}", key.to_lowercase())>{key}</span>
                        {(!s.message.is_empty()).then(|| view! { <span class="write-step-message">{s.message}</span> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Asks every second how submission `submission_id`'s writes stand, while they are not final
/// (again after `progress` is set to a queued state, e.g. by Retry); stops when the view is gone.
/// A failed ask leaves `progress` as it was, says why in `failure` and asks again later.
pub(super) fn follow_writes(
    submission_id: i32,
    progress: RwSignal<Option<WritesProgress>>,
    failure: RwSignal<Option<String>>,
) {
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let running = progress.with(|p| p.as_ref().is_some_and(|p| !p.state.is_final()));
        if !running {
            return;
        }
        let wait = if failure.with_untracked(Option::is_some) {
            POLL_AFTER_FAILURE
        } else {
            POLL
        };
        let ask = move || {
            leptos::task::spawn_local(async move {
                match submission_writes(submission_id).await {
                    Ok(p) => {
                        let _ = failure.try_set(None);
                        let _ = progress.try_set(Some(p));
                    }
                    Err(e) => {
                        let _ = failure.try_set(Some(e.to_string()));
                        // Unchanged, but the effect asks again.
                        progress.try_update(|_| {});
                    }
                }
            })
        };
        timer.set_value(set_timeout_with_handle(ask, wait).ok());
    });
    on_cleanup(move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
    });
}

/// Said when the writes stopped: what was entered is not lost, and who can finish the writes.
const KEPT: &str =
    "Your submission is kept. A form designer can retry these writes from the form's submissions.";

/// After Submit, while the submission's writes run: the state (live), each step, what the After
/// submit rules said, and why it needs attention when it does.
#[component]
pub(super) fn WritesPanel(submission_id: i32, writes: WritesProgress) -> impl IntoView {
    let progress = RwSignal::new(Some(writes));
    let failure = RwSignal::new(None::<String>);
    follow_writes(submission_id, progress, failure);
    let current = move || progress.get().unwrap_or_else(WritesProgress::queued);
    let state =
        Memo::new(move |_| progress.with(|p| p.as_ref().map_or(WritesState::Queued, |p| p.state)));
    // A job may hold only rules that write nothing (messages, fields): it then saves nothing.
    let saves = Memo::new(move |_| progress.with(|p| p.as_ref().is_some_and(|p| p.total > 0)));
    let title = move || match (state.get(), saves.get()) {
        (WritesState::Done, true) => "Saved to Dropbox",
        (WritesState::NeedsAttention, true) => "Saving to Dropbox needs attention",
        (WritesState::Queued | WritesState::Writing, true) => "Saving to Dropbox…",
        (WritesState::Done, false) => "Finished",
        (WritesState::NeedsAttention, false) => "Finishing your submission needs attention",
        (WritesState::Queued | WritesState::Writing, false) => "Finishing your submission…",
    };
    view! {
        <div class=move || format!("writes-panel {}", state_key(state.get())) role="status" aria-live="polite"
            aria-labelledby="writes-title" data-testid="writes" data-state=move || state_key(state.get())>
            <h2 id="writes-title">{title}</h2>
            <p class="writes-state" data-testid="writes-state">{move || state_text(&current())}</p>
            {move || {
                let p = current();
                // Stopped short: the steps below say which write failed.
                (p.total > 0 && p.state != WritesState::NeedsAttention).then(|| view! {
                    <progress class="writes-progress" max=p.total value=p.done aria-label="Writes done"></progress>
                })
            }}
            {move || {
                let p = current();
                let e = p.error?;
                let attention = p.state == WritesState::NeedsAttention;
                // The failed step below already says why: say instead what happens now.
                let on_a_step = p.steps.iter().any(|s| s.state == StepState::Failed && s.message == e);
                Some(if attention && on_a_step {
                    view! { <p class="muted" data-testid="writes-kept">{KEPT}</p> }.into_any()
                } else {
                    let text = if attention { e } else { format!("The last attempt failed: {e} It is tried again shortly.") };
                    view! { <p class=if attention { "form-error" } else { "muted" } data-testid="writes-error">{text}</p> }.into_any()
                })
            }}
            {move || view! { <WriteSteps steps=current().steps/> }}
            {move || current().messages.into_iter().map(|m| view! {
                <p class="rule-message" data-level=super::fill::level_key(m.level) data-testid="after-submit-message">{m.text}</p>
            }).collect_view()}
            {move || failure.get().map(|e| view! {
                <p class="muted" data-testid="writes-unknown">{format!("How the writes stand could not be read: {e} Asking again…")}</p>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_names_the_write_under_way() {
        let mut p = WritesProgress::queued();
        assert_eq!(state_text(&p), "Queued");
        p.state = WritesState::Writing;
        p.total = 3;
        assert_eq!(state_text(&p), "Writing 1 of 3");
        p.done = 2;
        assert_eq!(state_text(&p), "Writing 3 of 3");
        p.done = 3;
        assert_eq!(state_text(&p), "Writing 3 of 3", "never past the plan");
        p.state = WritesState::NeedsAttention;
        assert_eq!(state_text(&p), "Needs attention");
    }
}
