//! Names a call without receiver cannot reach in InSpec, where its `self` has a method table
//! known in full: an RSpec example (`it { }` / `its { }`) or a control's body (an
//! `Inspec::Rule`). Ruby raises NameError / NoMethodError there, which InSpec reports as a
//! failed example or the control's Control Source Code Error (rule.rb). Both tables are
//! `methods + private_methods` of those objects under InSpec 7.1.16 on Ruby 3.1; a resource
//! is reachable from both through `method_missing` (dsl.rb / rule.rb
//! `method_missing_resource`: `require "inspec/resources/NAME"`, or a resource pack of
//! etc/deprecations.json), and RSpec's `method_missing` makes any `be_*` / `have_*` a
//! predicate matcher in an example.

use crate::native::ruby::Flow;

/// Where a call without receiver runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareSelf {
    /// Inside `it { }` / `its(…) { }`: an RSpec example.
    Example,
    /// A control's block outside its describes: the `Inspec::Rule`.
    ControlBody,
}

/// RSpec's matchers and InSpec's helpers, in both an example and a control body.
const MATCHERS: &str = "a_block_changing a_block_outputting a_block_raising a_block_throwing
a_block_yielding_control a_block_yielding_successive_args a_block_yielding_with_args
a_block_yielding_with_no_args a_collection_containing_exactly a_collection_ending_with
a_collection_including a_collection_starting_with a_falsey_value a_falsy_value
a_hash_including a_kind_of a_nil_value a_range_covering a_string_ending_with
a_string_including a_string_matching a_string_starting_with a_truthy_value a_value
a_value_between a_value_within aggregate_failures all an_array_matching an_instance_of
an_object_eq_to an_object_eql_to an_object_equal_to an_object_existing
an_object_having_attributes an_object_matching an_object_responding_to an_object_satisfying
attribute be be_a be_a_kind_of be_an be_an_instance_of be_between be_enabled be_executable
be_falsey be_falsy be_in be_installed be_instance_of be_kind_of be_mounted be_nil
be_reachable be_readable be_resolvable be_running be_truthy be_within be_writable change
changing cmp contain_duplicates contain_exactly containing_exactly cover covering end_with
ending_with eq eq_to eql eql_to equal equal_to exist existing expect have_attributes
have_element have_rule having_attributes include including input input_object inspec match
match_array match_regex matching output profile_context raise_error raise_exception raising
resource_class respond_to responding_to satisfy satisfying start_with starting_with
throw_symbol throwing within yield_control yield_successive_args yield_with_args
yield_with_no_args yielding_control yielding_successive_args yielding_with_args
yielding_with_no_args";

/// An RSpec example's own (rspec-core, rspec-mocks).
const EXAMPLE: &str = "__init_memoized __memoized allow allow_any_instance_of
allow_message_expectations_on_nil any_args anything array_including boolean class_double
class_spy described_class double duck_type enforce_value_expectation expect_any_instance_of
hash_excluding hash_including hash_not_including have_received hide_const
input_with_profile_id instance_double instance_of instance_spy is_expected kind_of
matcher_supports_value_expectations? no_args object_double object_spy pending receive
receive_message_chain receive_messages setup_mocks_for_rspec skip spy stub_const subject
teardown_mocks_for_rspec verify_mocks_for_rspec without_partial_double_verification";

/// An `Inspec::Rule`'s own (the control DSL).
const RULE: &str = "__add_check __apply_waivers __get_block_source_location __profile_id
__waiver_data desc describe descriptions id impact na_impact_freeze na_impact_freeze=
only_applicable_if only_if ref resource_dsl resource_dsl= source_file tag title unindent
with_dsl";

/// Resource names InSpec loads on demand besides its own resource files (`platform` is the
/// train platform; the prefixes are etc/deprecations.json's resource packs).
const RESOURCE_PACKS: &[&str] = &[
    "docker",
    "elasticsearch",
    "podman",
    "mongodb",
    "ibmdb2",
    "opa",
    "rabbitmq",
    "sybase",
    "internal_fallback_test",
];

fn listed(table: &str, name: &str) -> bool {
    table.split_whitespace().any(|n| n == name)
}

/// Whether InSpec can load a resource of this name.
fn inspec_resource(name: &str) -> bool {
    crate::native::inspec::resource_classes::is_resource_name(name)
        || matches!(name, "platform" | "etc_hosts_allow_deny")
        || RESOURCE_PACKS.iter().any(|p| name.starts_with(p))
}

/// Whether `name` is undefined for `self` in InSpec. `profile_mentions` says whether the
/// profile's own libraries name it anywhere (they may add it to any class): then it may be
/// defined, and this answers false.
pub fn undefined(at: BareSelf, name: &str, profile_mentions: bool) -> bool {
    if profile_mentions
        || inspec_resource(name)
        || crate::native::ruby::method_tables::object_method(name)
        || listed(MATCHERS, name)
    {
        return false;
    }
    match at {
        BareSelf::Example => {
            !(listed(EXAMPLE, name) || name.starts_with("be_") || name.starts_with("have_"))
        }
        BareSelf::ControlBody => !listed(RULE, name),
    }
}

/// Ruby's error for an undefined name called without receiver: a bare identifier is
/// NameError ("undefined local variable or method"), a call with arguments NoMethodError.
pub fn error(at: BareSelf, name: &str, with_args: bool) -> Flow {
    let whom = match at {
        BareSelf::Example => "#<RSpec::Core::ExampleGroup example>",
        BareSelf::ControlBody => "#<Inspec::Rule>",
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
        assert!(undefined(BareSelf::Example, "shold_not", false));
        assert!(undefined(BareSelf::Example, "empty", false));
        assert!(undefined(BareSelf::ControlBody, "pam", false));
        assert!(!undefined(BareSelf::ControlBody, "pam", true));
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
            assert!(!undefined(BareSelf::Example, known, false), "{known}");
        }
        for known in ["only_if", "describe", "file", "sshd_config", "raise", "tag"] {
            assert!(!undefined(BareSelf::ControlBody, known, false), "{known}");
        }
        assert!(undefined(BareSelf::ControlBody, "subject", false));
    }
}
