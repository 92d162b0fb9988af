//! Which of a profile's controls a job runs and reports: InSpec's `exec --controls`. Each
//! entry is a control id, or a regular expression written between slashes (`/^ssh-/`)
//! matched anywhere in the id (Ruby's `=~`). No entry: every control. As in InSpec, the
//! selection applies to the controls a profile includes from its dependencies too, and a
//! `describe` outside any control (whose id is generated) is selected only by a pattern.

use std::collections::HashSet;

/// Entries a template may list, and bytes per entry (together well inside a request body).
pub const CONTROLS_MAX: usize = 256;
pub const CONTROL_ENTRY_MAX: usize = 256;

/// An entry that cannot be used; `entry` is its position (from 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry}: {message}")]
pub struct BadControlEntry {
    pub entry: usize,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct ControlSelection {
    ids: HashSet<String>,
    patterns: Vec<fancy_regex::Regex>,
}

impl ControlSelection {
    /// The selection `entries` describe; empty selects every control.
    pub fn new(entries: &[String]) -> Result<Self, BadControlEntry> {
        if entries.len() > CONTROLS_MAX {
            return Err(BadControlEntry {
                entry: CONTROLS_MAX + 1,
                message: format!("at most {CONTROLS_MAX} entries"),
            });
        }
        let mut out = ControlSelection::default();
        for (i, e) in entries.iter().enumerate() {
            let bad = |message: String| BadControlEntry {
                entry: i + 1,
                message,
            };
            if e.len() > CONTROL_ENTRY_MAX {
                return Err(bad(format!("at most {CONTROL_ENTRY_MAX} bytes")));
            }
            // A leading '-' would read as an option on `inspec exec`'s command line.
            if e.is_empty() || e.starts_with('-') || e.chars().any(char::is_control) {
                return Err(bad(
                    "must be a control id or /regex/: non-empty, not starting \
                     with '-', without control characters"
                        .into(),
                ));
            }
            match pattern_source(e) {
                Some(source) => out.patterns.push(
                    fancy_regex::Regex::new(source)
                        .map_err(|why| bad(format!("/{source}/ is not a valid regex: {why}")))?,
                ),
                None => {
                    out.ids.insert(e.clone());
                }
            }
        }
        Ok(out)
    }

    /// True when every control runs (no entry).
    pub fn is_all(&self) -> bool {
        self.ids.is_empty() && self.patterns.is_empty()
    }

    /// Whether the control `id` runs.
    pub fn wants(&self, id: &str) -> bool {
        self.is_all()
            || self.ids.contains(id)
            // A regex that cannot finish (backtracking limit) selects nothing.
            || self.patterns.iter().any(|p| p.is_match(id).unwrap_or(false))
    }
}

/// `/source/` → `source`: InSpec takes an entry that starts and ends with a slash as a
/// regex, the slashes trimmed (`"/"` alone too, as the empty regex).
fn pattern_source(entry: &str) -> Option<&str> {
    if !(entry.starts_with('/') && entry.ends_with('/')) {
        return None;
    }
    Some(entry.get(1..entry.len() - 1).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(entries: &[&str]) -> ControlSelection {
        ControlSelection::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn ids_and_patterns_select_as_inspec_does() {
        let all = sel(&[]);
        assert!(all.is_all() && all.wants("anything"));
        let s = sel(&["sshd-01", "/^os-0[12]$/", "/kernel/"]);
        assert!(!s.is_all());
        for id in ["sshd-01", "os-01", "os-02", "sysctl-kernel-3"] {
            assert!(s.wants(id), "{id}");
        }
        // Ids match whole; patterns match anywhere unless anchored.
        for id in [
            "sshd-011",
            "sshd-0",
            "os-03",
            "os-011",
            "(generated from c.rb:3)",
        ] {
            assert!(!s.wants(id), "{id}");
        }
        // "/" and "//" are the empty regex (InSpec trims the slashes): every id.
        assert!(sel(&["/"]).wants("any") && sel(&["//"]).wants("any"));
        assert!(!sel(&["a/"]).wants("xa/x") && sel(&["a/"]).wants("a/"));
    }

    #[test]
    fn bad_entries_say_which() {
        let e = ControlSelection::new(&["ok".into(), "/(unclosed/".into()]).unwrap_err();
        assert_eq!(e.entry, 2);
        assert!(e.message.contains("not a valid regex"), "{e}");
        assert_eq!(ControlSelection::new(&["".into()]).unwrap_err().entry, 1);
        let e = ControlSelection::new(&["--reporter=json:/tmp/x".into()]).unwrap_err();
        assert!(e.message.contains("'-'"), "{e}");
        assert_eq!(
            ControlSelection::new(&["a\nb".into()]).unwrap_err().entry,
            1
        );
        let many = vec!["x".to_string(); CONTROLS_MAX + 1];
        assert!(ControlSelection::new(&many).is_err());
        let long = "x".repeat(CONTROL_ENTRY_MAX + 1);
        assert_eq!(
            ControlSelection::new(&["a".into(), long])
                .unwrap_err()
                .entry,
            2
        );
    }
}
