//! Dropbox path arguments: `""` (root), `/a/b`, `id:…`, `rev:…` and `ns:<id>/…`, validated the way the
//! Stone patterns and the server do it. Pattern mismatches are 400s; structurally bad paths (`//`, trailing
//! slash, `.`/`..`) are the 409 `malformed_path` route error.

/// Which of the Stone path aliases a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// `PathROrId`: root, path, id or ns.
    RootPathOrId,
    /// `ReadPath`: path, id, rev or ns.
    Read,
    /// `WritePathOrId` / `PathOrId`: path, id or ns.
    WriteOrId,
    /// `WritePath`: path or ns.
    Write,
}

impl PathKind {
    pub fn pattern(self) -> &'static str {
        match self {
            PathKind::RootPathOrId => r"(/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/.*)?)",
            PathKind::Read => r"(/(.|[\r\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/.*)?)",
            PathKind::WriteOrId => r"(/(.|[\r\n])*)|(ns:[0-9]+(/.*)?)|(id:.*)",
            PathKind::Write => r"(/(.|[\r\n])*)|(ns:[0-9]+(/.*)?)",
        }
    }
}

/// A parsed path argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathArg {
    /// A path relative to the namespace the request addresses; `""` is the root.
    Path(String),
    /// `id:…` with an optional relative remainder (`id:abc/sub/file`).
    Id(String, String),
    /// `rev:…`.
    Rev(String),
    /// `ns:<id>` with a path inside that namespace (`""` for its root).
    Ns(String, String),
}

/// Why a path argument was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Does not match the Stone pattern: a 400 with this message.
    Pattern(String),
    /// Matches the pattern but is not a usable path: 409 `malformed_path`.
    Malformed,
}

/// Parses `raw` as a path of `kind`; `field` names it in 400 messages.
pub fn parse(raw: &str, kind: PathKind, field: &str) -> Result<PathArg, PathError> {
    let mismatch = || {
        PathError::Pattern(format!(
            "{field}: '{raw}' did not match pattern '{}'",
            kind.pattern()
        ))
    };
    if raw.is_empty() {
        return if kind == PathKind::RootPathOrId {
            Ok(PathArg::Path(String::new()))
        } else {
            Err(mismatch())
        };
    }
    if raw == "/" && kind == PathKind::RootPathOrId {
        return Err(PathError::Pattern(format!(
            "{field}: Specify the root folder as an empty string rather than as \"/\"."
        )));
    }
    if raw.starts_with('/') {
        return normalize(raw).map(PathArg::Path);
    }
    if let Some(rest) = raw.strip_prefix("id:") {
        if kind == PathKind::Write {
            return Err(mismatch());
        }
        let (id, sub) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if id.is_empty() {
            return Err(PathError::Malformed);
        }
        let sub = if sub.is_empty() {
            String::new()
        } else {
            normalize(sub)?
        };
        return Ok(PathArg::Id(format!("id:{id}"), sub));
    }
    if let Some(rev) = raw.strip_prefix("rev:") {
        let ok = rev.len() >= 9
            && rev
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        return if kind == PathKind::Read && ok {
            Ok(PathArg::Rev(rev.to_string()))
        } else {
            Err(mismatch())
        };
    }
    if let Some(rest) = raw.strip_prefix("ns:") {
        let (ns, sub) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if ns.is_empty() || !ns.bytes().all(|b| b.is_ascii_digit()) {
            return Err(mismatch());
        }
        let sub = if sub.is_empty() {
            String::new()
        } else {
            normalize(sub)?
        };
        return Ok(PathArg::Ns(ns.to_string(), sub));
    }
    Err(mismatch())
}

/// Checks a `/…` path component by component and returns it unchanged.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    let Some(body) = raw.strip_prefix('/') else {
        return Err(PathError::Malformed);
    };
    for comp in body.split('/') {
        let bad = comp.is_empty()
            || comp == "."
            || comp == ".."
            || comp.len() > 255
            || comp.chars().any(|c| c == '\0' || c == '\\')
            || comp.ends_with(' ');
        if bad {
            return Err(PathError::Malformed);
        }
    }
    Ok(raw.to_string())
}

/// The lowercased form used as the key of every entry (`path_lower`).
pub fn lower(path: &str) -> String {
    path.to_lowercase()
}

/// Parent of a path (`""` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Last component of a path.
pub fn name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Is `path` equal to or below `ancestor` (both lowercased)? `""` is everybody's ancestor.
pub fn is_within(path: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || path == ancestor
        || (path.starts_with(ancestor) && path.as_bytes().get(ancestor.len()) == Some(&b'/'))
}

/// Splits `name.ext` into (`name`, `.ext`) for autorename; dot-files and extension-less names keep all.
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_string_is_root_only_where_root_is_allowed() {
        assert_eq!(
            parse("", PathKind::RootPathOrId, "path"),
            Ok(PathArg::Path(String::new()))
        );
        assert!(matches!(
            parse("", PathKind::Read, "path"),
            Err(PathError::Pattern(_))
        ));
    }

    #[test]
    fn slash_alone_is_refused_with_dropbox_hint() {
        let Err(PathError::Pattern(msg)) = parse("/", PathKind::RootPathOrId, "path") else {
            panic!("expected pattern error")
        };
        assert!(msg.contains("empty string"));
    }

    #[test]
    fn trailing_slash_and_dot_components_are_malformed() {
        for p in ["/a/", "/a//b", "/a/./b", "/a/../b"] {
            assert_eq!(
                parse(p, PathKind::Read, "path"),
                Err(PathError::Malformed),
                "{p}"
            );
        }
    }

    #[test]
    fn relative_path_does_not_match_pattern() {
        assert!(matches!(
            parse("a/b", PathKind::Read, "path"),
            Err(PathError::Pattern(_))
        ));
    }

    #[test]
    fn ids_revs_and_namespaces_are_recognised() {
        assert_eq!(
            parse("id:abc/x", PathKind::Read, "path"),
            Ok(PathArg::Id("id:abc".into(), "/x".into()))
        );
        assert_eq!(
            parse("rev:0123456789a", PathKind::Read, "path"),
            Ok(PathArg::Rev("0123456789a".into()))
        );
        assert!(parse("rev:0123", PathKind::Read, "path").is_err());
        assert_eq!(
            parse("ns:42/a", PathKind::Write, "path"),
            Ok(PathArg::Ns("42".into(), "/a".into()))
        );
    }

    #[test]
    fn within_respects_component_boundaries() {
        assert!(is_within("/a/b", "/a"));
        assert!(is_within("/a", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(is_within("/x", ""));
    }
}
