//! Small helpers shared by the whole crate: Dropbox timestamps, random identifiers and the ASCII-only JSON
//! that HTTP headers (`Dropbox-API-Result`) need.

use rand::Rng;
use rand::distributions::Alphanumeric;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, now (token expiry needs finer grain than seconds in tests).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Formats seconds since the epoch as Dropbox's `common.DropboxTimestamp`: `%Y-%m-%dT%H:%M:%SZ`.
pub fn format_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses `%Y-%m-%dT%H:%M:%SZ` (exactly the format Dropbox accepts); `None` for anything else.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A random string of ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A random string over Dropbox's id alphabet (letters, digits, `_` and `-`).
pub fn random_id_chars(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// A random decimal number string of `digits` digits (namespace ids, uids).
pub fn random_digits(digits: usize) -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(digits);
    s.push(char::from(b'1' + rng.gen_range(0..9u8)));
    for _ in 1..digits {
        s.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    s
}

/// Serializes JSON with every non-ASCII character escaped as `\uXXXX` (surrogate pairs above U+FFFF), as
/// Dropbox does in `Dropbox-API-Result` and as clients must do in `Dropbox-API-Arg`.
pub fn ascii_json(value: &serde_json::Value) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if ch.is_ascii() && ch != '\u{7f}' {
            out.push(ch);
        } else {
            let mut buf = [0u16; 2];
            for unit in ch.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_dropbox_format() {
        let s = format_timestamp(1_431_445_838);
        assert_eq!(s, "2015-05-12T15:50:38Z");
        assert_eq!(parse_timestamp(&s), Some(1_431_445_838));
    }

    #[test]
    fn timestamps_with_fractions_or_offsets_are_rejected() {
        assert_eq!(parse_timestamp("2015-05-12T15:50:38.5Z"), None);
        assert_eq!(parse_timestamp("2015-05-12T15:50:38+01:00"), None);
        assert_eq!(parse_timestamp("2015-13-12T15:50:38Z"), None);
    }

    #[test]
    fn ascii_json_escapes_non_ascii_including_astral_characters() {
        let v = serde_json::json!({"name": "é😀"});
        assert_eq!(ascii_json(&v), r#"{"name":"\u00e9\ud83d\ude00"}"#);
        let back: serde_json::Value = serde_json::from_str(&ascii_json(&v)).unwrap();
        assert_eq!(back, v);
    }
}
