//! OAuth scopes: the ones an app can hold, what the authorize page says about each, and the check a route
//! makes. A token carries the scopes of its grant (or fewer, after a refresh that asked for fewer); a call
//! whose route needs a scope the token lacks gets `401 missing_scope` with `required_scope`.

/// Every user scope the sandbox knows, with the sentence Dropbox's authorize page shows for it.
pub const KNOWN: &[(&str, &str)] = &[
    (
        "account_info.read",
        "View basic information about your Dropbox account such as your username, email, and country",
    ),
    (
        "account_info.write",
        "View and edit basic information about your Dropbox account",
    ),
    (
        "files.metadata.read",
        "View information about your Dropbox files and folders",
    ),
    (
        "files.metadata.write",
        "View and edit information about your Dropbox files and folders",
    ),
    (
        "files.content.read",
        "View content of your Dropbox files and folders",
    ),
    (
        "files.content.write",
        "Edit content of your Dropbox files and folders",
    ),
    (
        "files.permanent_delete",
        "Permanently delete files and folders",
    ),
    (
        "sharing.read",
        "View your Dropbox sharing settings and collaborators",
    ),
    (
        "sharing.write",
        "View and manage your Dropbox sharing settings and collaborators",
    ),
    ("file_requests.read", "View your file requests"),
    ("file_requests.write", "Manage your file requests"),
    ("contacts.read", "View your manually added Dropbox contacts"),
    (
        "contacts.write",
        "View and manage your manually added Dropbox contacts",
    ),
];

/// Every known scope: what an app has unless it is registered with fewer.
pub fn all() -> Vec<String> {
    KNOWN.iter().map(|(s, _)| s.to_string()).collect()
}

/// What the authorize page says a scope allows.
pub fn describe(scope: &str) -> &str {
    KNOWN
        .iter()
        .find(|(s, _)| *s == scope)
        .map(|(_, d)| *d)
        .unwrap_or(scope)
}

/// Parses a space-separated `scope` parameter (duplicates dropped, order kept).
pub fn parse(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// The scopes of `wanted` that are not in `allowed`.
pub fn outside<'a>(wanted: &'a [String], allowed: &[String]) -> Vec<&'a str> {
    wanted
        .iter()
        .filter(|w| !allowed.contains(w))
        .map(String::as_str)
        .collect()
}

/// The space-separated form used in token responses.
pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_on_whitespace_and_drops_duplicates() {
        assert_eq!(
            parse("files.content.read  sharing.read files.content.read"),
            vec!["files.content.read", "sharing.read"]
        );
        assert!(parse("   ").is_empty());
    }

    #[test]
    fn outside_lists_what_is_not_allowed() {
        let allowed = vec!["a".to_string(), "b".to_string()];
        let wanted = vec!["b".to_string(), "c".to_string()];
        assert_eq!(outside(&wanted, &allowed), vec!["c"]);
    }
}
