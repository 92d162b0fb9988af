//! What Ruby's Object/Kernel answer as an InSpec 7.1.16 run loads them (`methods +
//! private_methods`, with the json, pp, yaml and rspec-mocks additions), and whether a
//! profile may define a name itself. The core classes' own tables are in
//! [`super::core_methods`].

/// Object's and Kernel's (every value has them).
const OBJECT: &str =
    "! != !~ <=> == === =~ Array CSV Complex DelegateClass Digest Float Hash Integer JSON
Pathname Rational String URI __callee__ __dir__ __id__ __method__ __send__ ` abort
as_null_object at_exit autoload autoload? binding block_given? caller caller_locations catch
class clone configure_licensing_config_for_kitchen define_singleton_method display dup
enum_for eql? equal? eval exec exit exit! extend fail fork format freeze frozen? gem
gem_original_require gets global_variables hash initialize initialize_clone initialize_copy
initialize_dup inspect instance_eval instance_exec instance_of? instance_variable_defined?
instance_variable_get instance_variable_set instance_variables is_a? iterator? itself j jj
kind_of? lambda load local_variables loop method method_missing methods nil? null_object?
object_id open p pp pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect
pretty_print_instance_variables print printf private_methods proc protected_methods
public_method public_methods public_send putc puts raise rand readline readlines
received_message? remove_instance_variable require require_relative respond_to?
respond_to_missing? select send set_trace_func should should_not should_not_receive
should_receive singleton_class singleton_method singleton_method_added
singleton_method_removed singleton_method_undefined singleton_methods sleep spawn sprintf
srand stub stub_chain syscall system taint tainted? tap test then throw to_enum to_json to_s
to_yaml trace_var trap trust unstub untaint untrace_var untrust untrusted? warn yield_self";

fn listed(table: &str, name: &str) -> bool {
    table.split_whitespace().any(|n| n == name)
}

/// Whether Object or Kernel defines `name` (on every value).
pub fn object_method(name: &str) -> bool {
    listed(OBJECT, name)
}

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
