//! Whether a profile may define a name itself (its libraries name it, or it has
//! dependencies). The core classes' own method tables are in [`super::core_methods`]; what
//! InSpec's evaluation contexts answer is in `inspec::context_names`.

/// Whether the profile may define `name` itself: its libraries name it, or it has
/// dependencies (whose libraries are not read here).
pub fn profile_may_define(profile: &crate::profile::Profile, name: &str) -> bool {
    !profile.dependencies.is_empty() || mentions(&profile.sources.libraries, name)
}

/// Whether a library source names `name` as a word.
pub fn mentions(sources: &[(String, std::sync::Arc<str>)], name: &str) -> bool {
    sources.iter().any(|(_, text)| {
        text.match_indices(name).any(|(i, _)| {
            let word = |c: char| c.is_alphanumeric() || c == '_';
            !text[..i].chars().next_back().is_some_and(word)
                && !text[i + name.len()..].chars().next().is_some_and(word)
        })
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
}
