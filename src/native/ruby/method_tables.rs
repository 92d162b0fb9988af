//! Whether a profile may define a name itself (its libraries name it, or it has
//! dependencies). The core classes' own method tables are in [`super::core_methods`]; what
//! InSpec's evaluation contexts answer is in `inspec::context_names`.

/// Whether the profile may define `name` itself: its libraries name it, or it has
/// dependencies (whose libraries are not read here).
pub fn profile_may_define(profile: &crate::profile::Profile, name: &str) -> bool {
    !profile.dependencies.is_empty() || mentions(&profile.sources.libraries, name)
}

/// Whether the profile may define the constant `name` itself: its libraries name it, it has
/// dependencies, or a control file assigns it or opens a class or module of that name.
pub fn profile_may_define_const(profile: &crate::profile::Profile, name: &str) -> bool {
    profile_may_define(profile, name)
        || profile.sources.controls.iter().any(|(_, text)| {
            words(text, name).any(|(before, after)| {
                let rest = after.trim_start_matches([' ', '\t']);
                let line = rest.split('\n').next().unwrap_or_default();
                // `NAME = v`, `NAME ||= v`, one target of `A, NAME = v`, `class NAME`.
                (rest.starts_with('=') && !rest[1..].starts_with(['=', '~', '>']))
                    || rest.starts_with("||=")
                    || (rest.starts_with(',') && line.contains('='))
                    || ["class", "module"]
                        .iter()
                        .any(|k| before.trim_end_matches([' ', '\t']).ends_with(k))
            })
        })
}

/// Whether a library source names `name` as a word.
pub fn mentions(sources: &[(String, std::sync::Arc<str>)], name: &str) -> bool {
    sources
        .iter()
        .any(|(_, text)| words(text, name).next().is_some())
}

/// Each place `text` names `name` as a whole word: the text before it and after it.
fn words<'t>(text: &'t str, name: &'t str) -> impl Iterator<Item = (&'t str, &'t str)> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).filter_map(move |(i, _)| {
        let (before, after) = (&text[..i], &text[i + name.len()..]);
        (!before.chars().next_back().is_some_and(word) && !after.chars().next().is_some_and(word))
            .then_some((before, after))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_is_by_whole_word() {
        let libs = vec![(
            "libraries/x.rb".to_string(),
            std::sync::Arc::from("def empty_ok\nend\n"),
        )];
        assert!(!mentions(&libs, "empty"));
        assert!(mentions(&libs, "empty_ok"));
    }

    #[test]
    fn control_files_define_constants_by_assignment_or_class() {
        let p = crate::native::testing::snippet_profile(
            "A, B = 1, 2\nC ||= 3\nclass D < E\nend\nmodule F\nend\nG == 1\nx = H\nputs I\nJ = 1\n",
            &[],
            None,
        );
        for defined in ["A", "B", "C", "D", "F", "J"] {
            assert!(profile_may_define_const(&p, defined), "{defined}");
        }
        for used in ["E", "G", "H", "I", "JJ"] {
            assert!(!profile_may_define_const(&p, used), "{used}");
        }
    }
}
