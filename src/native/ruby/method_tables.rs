//! Ruby 3.1's method tables of the core classes whose methods profiles call, complete as
//! an InSpec 7.1.16 run loads them (`methods + private_methods` of a value, with the json,
//! pp, yaml and rspec-mocks additions): a name outside a class's table is Ruby's
//! NoMethodError (`undefined method `empty' for []:Array`), where a name merely missing
//! from this interpreter's own implementation is outside the subset.

use crate::native::ruby::value::Value;

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

/// Array's own (with Comparable / Enumerable where it includes them).
const ARRAY: &str =
    "& * + - << [] []= all? any? append assoc at bsearch bsearch_index chain chunk chunk_while
clear collect collect! collect_concat combination compact compact! concat count cycle
deconstruct delete delete_at delete_if detect difference dig drop drop_while each each_cons
each_entry each_index each_slice each_with_index each_with_object empty? entries fetch fill
filter filter! filter_map find find_all find_index first flat_map flatten flatten! grep
grep_v group_by include? index inject insert intersect? intersection join keep_if last lazy
length map map! max max_by member? min min_by minmax minmax_by none? one? pack partition
permutation pop prepend product push rassoc reduce reject reject! repeated_combination
repeated_permutation replace reverse reverse! reverse_each rindex rotate rotate! sample
select! shelljoin shift shuffle shuffle! size slice slice! slice_after slice_before
slice_when sort sort! sort_by sort_by! sum take take_while tally to_a to_ary to_csv to_h
to_set transpose union uniq uniq! unshift values_at zip |";

/// String's own (with Comparable / Enumerable where it includes them).
const STRING: &str =
    "% * + +@ -@ < << <= > >= [] []= ascii_only? b between? bytes bytesize byteslice capitalize
capitalize! casecmp casecmp? center chars chomp chomp! chop chop! chr clamp clear codepoints
concat count crypt delete delete! delete_prefix delete_prefix! delete_suffix delete_suffix!
downcase downcase! dump each_byte each_char each_codepoint each_grapheme_cluster each_line
empty? encode encode! encoding end_with? force_encoding getbyte grapheme_clusters gsub gsub!
hex include? index insert intern length lines ljust lstrip lstrip! match match? next next!
oct ord parse_csv partition prepend replace reverse reverse! rindex rjust rpartition rstrip
rstrip! scan scrub scrub! setbyte shellescape shellsplit size slice slice! split squeeze
squeeze! start_with? strip strip! sub sub! succ succ! sum swapcase swapcase! to_c to_f to_i
to_json_raw to_json_raw_object to_r to_str to_sym tr tr! tr_s tr_s! undump unicode_normalize
unicode_normalize! unicode_normalized? unpack unpack1 upcase upcase! upto valid_encoding?";

/// Integer's own (with Comparable / Enumerable where it includes them).
const INTEGER: &str =
    "% & * ** + +@ - -@ / < << <= > >= >> [] ^ abs abs2 allbits? angle anybits? arg between?
bit_length ceil chr clamp coerce conj conjugate denominator digits div divmod downto even?
fdiv finite? floor gcd gcdlcm i imag imaginary infinite? integer? lcm magnitude modulo
negative? next nobits? nonzero? numerator odd? ord phase polar positive? pow pred quo
rationalize real real? rect rectangular remainder round size step succ times to_bn to_c to_f
to_i to_int to_r truncate upto zero? | ~";

fn listed(table: &str, name: &str) -> bool {
    table.split_whitespace().any(|n| n == name)
}

/// Whether Object or Kernel defines `name` (on every value).
pub fn object_method(name: &str) -> bool {
    listed(OBJECT, name)
}

/// Whether `v`'s class is one of these and lacks `name`: Ruby's NoMethodError. False for
/// other values: their tables are not known here in full, and a hash may stand for a
/// resource's Hash-like object (ini's sections answer `Service.ExecStart`).
pub fn lacks(v: &Value, name: &str) -> bool {
    let table = match v {
        Value::Array(_) => ARRAY,
        Value::Str(_) => STRING,
        Value::Int(_) => INTEGER,
        _ => return false,
    };
    !listed(table, name) && !object_method(name)
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
    fn tables_know_ruby_methods_and_not_typos() {
        assert!(lacks(&Value::Array(vec![]), "empty"));
        assert!(!lacks(&Value::Array(vec![]), "empty?"));
        assert!(!lacks(&Value::Array(vec![]), "each_slice"));
        assert!(!lacks(&Value::str("x"), "unpack1"));
        assert!(lacks(&Value::str("x"), "dns"));
        assert!(!lacks(&Value::Hash(vec![]), "ExecStart"));
        assert!(!lacks(&Value::Int(1), "digits"));
        assert!(!lacks(&Value::Int(1), "to_json"));
        assert!(!lacks(&Value::Nil, "anything"));
    }

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
