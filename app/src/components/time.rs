//! Times, one way everywhere: minutes (never seconds or nanoseconds) with the time zone named. The
//! server renders UTC ("2026-11-30 21:27 UTC"); once the page has hydrated, the browser shows the
//! person's own zone in their own date format ("Nov 30, 2026, 10:27 PM GMT+1"). The full instant is
//! in `datetime` and in the tooltip.
use leptos::prelude::*;

/// `2026-11-27T03:58:12.123Z` → `2026-11-27 03:58 UTC`; anything unreadable is shown as it is.
pub fn utc_minutes(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.as_bytes().get(10) == Some(&b'T') => {
            format!("{date} {time} UTC")
        }
        _ => rfc3339.to_owned(),
    }
}

/// The instant with at most millisecond precision, as every browser's `Date` parses it
/// (`…52.127513941Z` → `…52.127Z`).
pub fn to_millis_precision(rfc3339: &str) -> String {
    let Some(dot) = rfc3339.find('.') else {
        return rfc3339.to_owned();
    };
    let fraction_end = rfc3339[dot + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(rfc3339.len(), |n| dot + 1 + n);
    let keep = (dot + 4).min(fraction_end);
    format!("{}{}", &rfc3339[..keep], &rfc3339[fraction_end..])
}

/// The instant in the browser's own zone and locale, or `None` outside a browser or for input the
/// browser cannot read.
#[cfg(feature = "hydrate")]
fn in_local_zone(rfc3339: &str) -> Option<String> {
    use wasm_bindgen::JsValue;
    let date = js_sys::Date::new(&JsValue::from_str(&to_millis_precision(rfc3339)));
    if date.get_time().is_nan() {
        return None;
    }
    let options = js_sys::Object::new();
    for (key, value) in [
        ("year", "numeric"),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("timeZoneName", "short"),
    ] {
        js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options);
    format
        .format()
        .call1(&JsValue::NULL, &date)
        .ok()?
        .as_string()
}

#[cfg(not(feature = "hydrate"))]
fn in_local_zone(_rfc3339: &str) -> Option<String> {
    None
}

/// A `<time>` element for an RFC 3339 instant.
#[component]
pub fn Time(#[prop(into)] at: String) -> impl IntoView {
    let utc = utc_minutes(&at);
    // Hydration must see the server's text first; the Effect (browser only) then switches zones.
    let local = RwSignal::new(None::<String>);
    {
        let at = at.clone();
        Effect::new(move |_| local.set(in_local_zone(&at)));
    }
    let title = format!("{} (UTC)", to_millis_precision(&at));
    view! {
        <time datetime=at title=title>{move || local.get().unwrap_or_else(|| utc.clone())}</time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_is_shown_to_the_minute_with_its_zone() {
        assert_eq!(
            utc_minutes("2026-11-30T21:27:52.127513941Z"),
            "2026-11-30 21:27 UTC"
        );
        assert_eq!(utc_minutes("2026-11-30T21:21:22Z"), "2026-11-30 21:21 UTC");
        assert_eq!(utc_minutes("yesterday"), "yesterday");
    }

    #[test]
    fn fractions_are_cut_to_milliseconds() {
        assert_eq!(
            to_millis_precision("2026-11-30T21:27:52.127513941Z"),
            "2026-11-30T21:27:52.127Z"
        );
        assert_eq!(
            to_millis_precision("2026-11-30T21:27:52.1+01:00"),
            "2026-11-30T21:27:52.1+01:00"
        );
        assert_eq!(
            to_millis_precision("2026-11-30T21:27:52Z"),
            "2026-11-30T21:27:52Z"
        );
    }
}
