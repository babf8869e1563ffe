//! A data source's File pattern (`*.pdf;*.docx`): which files of it exist for Wharf. Matched against
//! file names (never folders, which always show so people can go into them), ignoring case as
//! Dropbox does. Built once per call from the stored settings by the connector, which passes every
//! entry and every path it is asked about through it.
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use wharf_types::parse_file_pattern;

#[derive(Clone, Debug)]
pub struct FilePattern {
    /// `None`: no pattern, every file is allowed.
    set: Option<GlobSet>,
    /// The pattern as the administrator wrote it (canonical: `*.pdf;*.docx`), for sentences.
    text: String,
}

impl FilePattern {
    /// Every file.
    pub fn any() -> Self {
        Self {
            set: None,
            text: String::new(),
        }
    }

    /// The pattern of `text`, or a sentence saying which part cannot be used.
    pub fn parse(text: &str) -> Result<Self, String> {
        let patterns = parse_file_pattern(text)?;
        if patterns.is_empty() {
            return Ok(Self::any());
        }
        let mut set = GlobSetBuilder::new();
        for p in &patterns {
            let glob = GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(true)
                .backslash_escape(false)
                .build()
                .map_err(|e| format!("`{p}` is not a file name pattern: {}.", e.kind()))?;
            set.add(glob);
        }
        let set = set
            .build()
            .map_err(|e| format!("The file pattern cannot be used: {e}."))?;
        Ok(Self {
            set: Some(set),
            text: patterns.join(";"),
        })
    }

    /// The pattern stored in a data source's settings. Settings are checked when saved; one that no
    /// longer parses (saved by an older Wharf) allows no file at all rather than every file.
    pub fn stored(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|e| {
            tracing::warn!("a stored file pattern cannot be used, so no file is shown: {e}");
            Self {
                set: Some(GlobSet::empty()),
                text: text.to_owned(),
            }
        })
    }

    /// Whether a file named `name` is one of the data source's files.
    pub fn allows(&self, name: &str) -> bool {
        self.set.as_ref().is_none_or(|set| set.is_match(name))
    }

    /// Whether an entry shows: every folder, and the files the pattern allows.
    pub fn shows(&self, name: &str, is_folder: bool) -> bool {
        is_folder || self.allows(name)
    }

    /// The pattern as written, `""` when every file is allowed.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_any_pattern_ignoring_case() {
        let p = FilePattern::parse("*.pdf; *.docx").unwrap();
        assert!(p.allows("INV-1.pdf"));
        assert!(p.allows("Report.PDF"));
        assert!(p.allows("letter.DocX"));
        assert!(!p.allows("Welcome.txt"));
        assert!(!p.allows("setup.exe"));
        assert!(!p.allows("pdf"));
        assert!(!p.allows("book.xlsx"));
        assert_eq!(p.as_str(), "*.pdf;*.docx");
    }

    #[test]
    fn folders_always_show() {
        let p = FilePattern::parse("*.pdf").unwrap();
        assert!(p.shows("Archive", true));
        assert!(p.shows("old.txt", true));
        assert!(!p.shows("old.txt", false));
    }

    #[test]
    fn no_pattern_allows_every_file() {
        let p = FilePattern::parse("  ").unwrap();
        assert!(p.allows("anything.at.all"));
        assert_eq!(p.as_str(), "");
    }

    #[test]
    fn other_glob_forms_work_on_names() {
        let p = FilePattern::parse("INV-*;report-20??.xlsx;[ab]*.csv").unwrap();
        assert!(p.allows("inv-00001.pdf"));
        assert!(p.allows("Report-2026.xlsx"));
        assert!(!p.allows("report-26.xlsx"));
        assert!(p.allows("b-list.csv"));
        assert!(!p.allows("c-list.csv"));
    }

    #[test]
    fn unusable_patterns_are_refused_and_a_stored_one_allows_nothing() {
        assert!(FilePattern::parse("[unclosed").is_err());
        assert!(FilePattern::parse("docs/*.pdf").is_err());
        let stored = FilePattern::stored("[unclosed");
        assert!(!stored.allows("anything.pdf"));
        assert!(stored.shows("Folder", true));
    }
}
