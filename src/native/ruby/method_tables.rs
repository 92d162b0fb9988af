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
            text.match_indices(name).any(|(i, _)| {
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let before = &text[..i];
                let after = &text[i + name.len()..];
                if before.chars().next_back().is_some_and(word)
                    || after.chars().next().is_some_and(word)
                {
                    return false;
                }
                let rest = after.trim_start_matches([' ', '\t']);
                let assigned = rest.starts_with('=') && !rest[1..].starts_with(['=', '~', '>']);
                let opened = ["class ", "module "]
                    .iter()
                    .any(|k| before.trim_end_matches([' ', '\t']).ends_with(k.trim_end()));
                assigned || rest.starts_with("||=") || opened
            })
        })
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
