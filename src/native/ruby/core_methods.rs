//! The methods Ruby's core classes answer in InSpec (Ruby 3.1 with InSpec 7.1.16 loaded:
//! `value.methods` in a control, the oracle on a snippet profile). A name a plain value's
//! class does not answer is Ruby's NoMethodError on it, whether or not the interpreter
//! implements the methods the class does answer.

use crate::native::ruby::value::Value;

/// (class, its method names separated by spaces).
const CLASSES: &[(&str, &str)] = &[
    (
        "Array",
        "! != !~ & * + - << <=> == === =~ [] []= __id__ __send__ all? any? append assoc at bsearch bsearch_index chain chunk chunk_while class clear clone collect collect! collect_concat combination compact compact! concat count cycle deconstruct define_singleton_method delete delete_at delete_if detect difference dig display drop drop_while dup each each_cons each_entry each_index each_slice each_with_index each_with_object empty? entries enum_for eql? equal? extend fetch fill filter filter! filter_map find find_all find_index first flat_map flatten flatten! freeze frozen? grep grep_v group_by hash include? index inject insert inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables intersect? intersection is_a? itself join keep_if kind_of? last lazy length map map! max max_by member? method methods min min_by minmax minmax_by nil? none? object_id one? pack partition permutation pop prepend pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods product protected_methods public_method public_methods public_send push rassoc reduce reject reject! remove_instance_variable repeated_combination repeated_permutation replace respond_to? reverse reverse! reverse_each rindex rotate rotate! sample select select! send shelljoin shift should should_not shuffle shuffle! singleton_class singleton_method singleton_methods size slice slice! slice_after slice_before slice_when sort sort! sort_by sort_by! sum taint tainted? take take_while tally tap then to_a to_ary to_csv to_enum to_h to_json to_s to_set to_yaml transpose trust union uniq uniq! unshift untaint untrust untrusted? values_at yield_self zip |",
    ),
    (
        "String",
        "! != !~ % * + +@ -@ < << <= <=> == === =~ > >= [] []= __id__ __send__ ascii_only? b between? bytes bytesize byteslice capitalize capitalize! casecmp casecmp? center chars chomp chomp! chop chop! chr clamp class clear clone codepoints concat count crypt define_singleton_method delete delete! delete_prefix delete_prefix! delete_suffix delete_suffix! display downcase downcase! dump dup each_byte each_char each_codepoint each_grapheme_cluster each_line empty? encode encode! encoding end_with? enum_for eql? equal? extend force_encoding freeze frozen? getbyte grapheme_clusters gsub gsub! hash hex include? index insert inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables intern is_a? itself kind_of? length lines ljust lstrip lstrip! match match? method methods next next! nil? object_id oct ord parse_csv partition prepend pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send remove_instance_variable replace respond_to? reverse reverse! rindex rjust rpartition rstrip rstrip! scan scrub scrub! send setbyte shellescape shellsplit should should_not singleton_class singleton_method singleton_methods size slice slice! split squeeze squeeze! start_with? strip strip! sub sub! succ succ! sum swapcase swapcase! taint tainted? tap then to_c to_enum to_f to_i to_json to_json_raw to_json_raw_object to_r to_s to_str to_sym to_yaml tr tr! tr_s tr_s! trust undump unicode_normalize unicode_normalize! unicode_normalized? unpack unpack1 untaint untrust untrusted? upcase upcase! upto valid_encoding? yield_self",
    ),
    (
        "Integer",
        "! != !~ % & * ** + +@ - -@ / < << <= <=> == === =~ > >= >> [] ^ __id__ __send__ abs abs2 allbits? angle anybits? arg between? bit_length ceil chr clamp class clone coerce conj conjugate define_singleton_method denominator digits display div divmod downto dup enum_for eql? equal? even? extend fdiv finite? floor freeze frozen? gcd gcdlcm hash i imag imaginary infinite? inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables integer? is_a? itself kind_of? lcm magnitude method methods modulo negative? next nil? nobits? nonzero? numerator object_id odd? ord phase polar positive? pow pred pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send quo rationalize real real? rect rectangular remainder remove_instance_variable respond_to? round send should should_not singleton_class singleton_method singleton_method_added singleton_methods size step succ taint tainted? tap then times to_bn to_c to_enum to_f to_i to_int to_json to_r to_s to_yaml truncate trust untaint untrust untrusted? upto yield_self zero? | ~",
    ),
    (
        "Float",
        "! != !~ % * ** + +@ - -@ / < <= <=> == === =~ > >= __id__ __send__ abs abs2 angle arg between? ceil clamp class clone coerce conj conjugate define_singleton_method denominator display div divmod dup enum_for eql? equal? extend fdiv finite? floor freeze frozen? hash i imag imaginary infinite? inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables integer? is_a? itself kind_of? magnitude method methods modulo nan? negative? next_float nil? nonzero? numerator object_id phase polar positive? pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables prev_float private_methods protected_methods public_method public_methods public_send quo rationalize real real? rect rectangular remainder remove_instance_variable respond_to? round send should should_not singleton_class singleton_method singleton_method_added singleton_methods step taint tainted? tap then to_c to_enum to_f to_i to_int to_json to_r to_s to_yaml truncate trust untaint untrust untrusted? yield_self zero?",
    ),
    (
        "NilClass",
        "! != !~ & <=> == === =~ ^ __id__ __send__ class clone define_singleton_method display dup enum_for eql? equal? extend freeze frozen? hash inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables is_a? itself kind_of? method methods nil? object_id pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send rationalize remove_instance_variable respond_to? send should should_not singleton_class singleton_method singleton_methods taint tainted? tap then to_a to_c to_enum to_f to_h to_i to_json to_r to_s to_yaml trust untaint untrust untrusted? yield_self |",
    ),
    (
        "Symbol",
        "! != !~ < <= <=> == === =~ > >= [] __id__ __send__ between? capitalize casecmp casecmp? clamp class clone define_singleton_method display downcase dup empty? encoding end_with? enum_for eql? equal? extend freeze frozen? hash id2name inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables intern is_a? itself kind_of? length match match? method methods name next nil? object_id pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send remove_instance_variable respond_to? send should should_not singleton_class singleton_method singleton_methods size slice start_with? succ swapcase taint tainted? tap then to_enum to_json to_proc to_s to_sym to_yaml trust untaint untrust untrusted? upcase yield_self",
    ),
    (
        "TrueClass",
        "! != !~ & <=> == === =~ ^ __id__ __send__ class clone define_singleton_method display dup enum_for eql? equal? extend freeze frozen? hash inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables is_a? itself kind_of? method methods nil? object_id pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send remove_instance_variable respond_to? send should should_not singleton_class singleton_method singleton_methods taint tainted? tap then to_enum to_json to_s to_yaml trust untaint untrust untrusted? yield_self |",
    ),
    (
        "FalseClass",
        "! != !~ & <=> == === =~ ^ __id__ __send__ class clone define_singleton_method display dup enum_for eql? equal? extend freeze frozen? hash inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables is_a? itself kind_of? method methods nil? object_id pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send remove_instance_variable respond_to? send should should_not singleton_class singleton_method singleton_methods taint tainted? tap then to_enum to_json to_s to_yaml trust untaint untrust untrusted? yield_self |",
    ),
    (
        "Range",
        "! != !~ % <=> == === =~ __id__ __send__ all? any? begin bsearch chain chunk chunk_while class clone collect collect_concat compact count cover? cycle define_singleton_method detect display drop drop_while dup each each_cons each_entry each_slice each_with_index each_with_object end entries enum_for eql? equal? exclude_end? extend filter filter_map find find_all find_index first flat_map freeze frozen? grep grep_v group_by hash include? inject inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables is_a? itself kind_of? last lazy map max max_by member? method methods min min_by minmax minmax_by nil? none? object_id one? partition pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send reduce reject remove_instance_variable respond_to? reverse_each select send should should_not singleton_class singleton_method singleton_methods size slice_after slice_before slice_when sort sort_by step sum taint tainted? take take_while tally tap then to_a to_enum to_h to_json to_s to_set to_yaml trust uniq untaint untrust untrusted? yield_self zip",
    ),
    (
        "Regexp",
        "! != !~ <=> == === =~ __id__ __send__ casefold? class clone define_singleton_method display dup encoding enum_for eql? equal? extend fixed_encoding? freeze frozen? hash inspect instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get instance_variable_set instance_variables is_a? itself kind_of? match match? method methods named_captures names nil? object_id options pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect pretty_print_instance_variables private_methods protected_methods public_method public_methods public_send remove_instance_variable respond_to? send should should_not singleton_class singleton_method singleton_methods source taint tainted? tap then to_enum to_json to_s to_yaml trust untaint untrust untrusted? yield_self ~",
    ),
];

/// Object's public methods (Ruby 3.1 with InSpec 7.1.16 loaded: `methods` of a plain
/// object of a class that adds none, the oracle on a snippet profile).
const OBJECT_PUBLIC: &str = "! != !~ <=> == === =~ __id__ __send__ class clone \
define_singleton_method display dup enum_for eql? equal? extend freeze frozen? hash inspect \
instance_eval instance_exec instance_of? instance_variable_defined? instance_variable_get \
instance_variable_set instance_variables is_a? itself kind_of? method methods nil? object_id \
pretty_inspect pretty_print pretty_print_cycle pretty_print_inspect \
pretty_print_instance_variables private_methods protected_methods public_method \
public_methods public_send remove_instance_variable respond_to? send should should_not \
singleton_class singleton_method singleton_methods taint tainted? tap then to_enum to_json \
to_s to_yaml trust untaint untrust untrusted? yield_self";

/// Ruby's `Object#methods` for an object whose class defines `own` (public) methods: its
/// own first, then Object's, each name once, as Symbols.
pub fn object_methods(own: &[&str]) -> Value {
    let mut names: Vec<&str> = own.to_vec();
    for m in OBJECT_PUBLIC.split_whitespace() {
        if !names.contains(&m) {
            names.push(m);
        }
    }
    Value::Array(
        names
            .into_iter()
            .map(|m| Value::Sym(m.to_string()))
            .collect(),
    )
}

/// Whether `v` is a plain value whose Ruby class has no method `name`. Hash is not listed:
/// resources hand out plain hashes where InSpec's are Hashie::Mash, whose keys are methods
/// (SimpleConfig's `[section]`s: `ini(f).Service.ExecStart`).
pub fn lacks(v: &Value, name: &str) -> bool {
    let class = v.class_name();
    CLASSES
        .iter()
        .find(|(n, _)| *n == class)
        .is_some_and(|(_, ms)| !ms.split(' ').any(|m| m == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_classes_are_closed() {
        assert!(lacks(&Value::Array(vec![]), "empty"));
        assert!(!lacks(&Value::Array(vec![]), "empty?"));
        assert!(!lacks(&Value::Array(vec![]), "each_entry"));
        assert!(lacks(&Value::Nil, "strip"));
        assert!(!lacks(&Value::Nil, "to_a"));
        assert!(!lacks(&Value::Str(String::new()), "unpack1"));
        assert!(lacks(&Value::Int(1), "upcase"));
        assert!(!lacks(&Value::Hash(vec![]), "ExecStart"));
    }
}
