//! Names a call without receiver cannot reach in InSpec, where its `self` has a method table
//! known in full: an RSpec example (`it { }` / `its { }`) or a control's body (an
//! `Inspec::Rule`). Ruby raises NameError / NoMethodError there, which InSpec reports as a
//! failed example or the control's Control Source Code Error (rule.rb). The method tables
//! are those contexts' in [`super::context_names`]; a resource is reachable from both through
//! `method_missing` (dsl.rb / rule.rb `method_missing_resource`), and RSpec's
//! `method_missing` makes any `be_*` / `have_*` a predicate matcher in an example.

use crate::native::inspec::context_names::{self, Context};
use crate::native::ruby::Flow;

/// Whether `name` is undefined for `self` in context `at`. `profile_mentions` says whether
/// the profile's own libraries name it anywhere (they may add it to any class): then it may
/// be defined, and this answers false.
pub fn undefined(at: Context, name: &str, profile_mentions: bool) -> bool {
    let dynamic_matcher =
        at == Context::Example && (name.starts_with("be_") || name.starts_with("have_"));
    !(profile_mentions
        || context_names::is_resource(name)
        || context_names::answers(at, name)
        || dynamic_matcher)
}

/// Ruby's error for an undefined name called without receiver: a bare identifier is
/// NameError ("undefined local variable or method"), a call with arguments NoMethodError.
pub fn error(at: Context, name: &str, with_args: bool) -> Flow {
    let whom = match at {
        Context::Example => "#<RSpec::Core::ExampleGroup example>",
        _ => "#<Inspec::Rule>",
    };
    if with_args {
        Flow::raise(
            "NoMethodError",
            format!("undefined method `{name}' for {whom}"),
        )
    } else {
        Flow::raise(
            "NameError",
            format!("undefined local variable or method `{name}' for {whom}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_undefined_but_matchers_resources_and_kernel_are_not() {
        assert!(undefined(Context::Example, "shold_not", false));
        assert!(undefined(Context::Example, "empty", false));
        assert!(undefined(Context::ControlBody, "pam", false));
        assert!(!undefined(Context::ControlBody, "pam", true));
        for known in [
            "should_not",
            "be_frobbed",
            "have_foo",
            "file",
            "docker_thing",
            "puts",
            "eq",
            "subject",
        ] {
            assert!(!undefined(Context::Example, known, false), "{known}");
        }
        for known in ["only_if", "describe", "file", "sshd_config", "raise", "tag"] {
            assert!(!undefined(Context::ControlBody, known, false), "{known}");
        }
        assert!(undefined(Context::ControlBody, "subject", false));
    }
}
