//! InSpec's deprecated resource methods whose group etc/deprecations.json marks
//! `fail_control`: inside an example (deprecator.rb `called_from_control?`: RSpec's example
//! group on the stack) `Inspec.deprecate` raises ResourceFailed with the assembled message;
//! elsewhere it only warns and the method runs.

/// `(resource, method, message, group suffix)` of the `Inspec.deprecate` calls of InSpec
/// 7.1.16's resources in a `fail_control` group (shadow.rb `properties_shadow`,
/// processes.rb `property_processes_list`, host.rb `host_resource_proto_usage`).
const FAIL_CONTROL: &[(&str, &str, &str, &str)] = &[
    (
        "shadow",
        "user",
        "The shadow `user` property is deprecated. Please use `users` instead.",
        REMOVED,
    ),
    (
        "shadow",
        "password",
        "The shadow `password` property is deprecated. Please use `passwords` instead.",
        REMOVED,
    ),
    (
        "shadow",
        "last_change",
        "The shadow `last_change` property is deprecated. Please use `last_changes` instead.",
        REMOVED,
    ),
    (
        "shadow",
        "expiry_date",
        "The shadow `expiry_date` property is deprecated. Please use `expiry_dates` instead.",
        REMOVED,
    ),
    (
        "shadow",
        "lines",
        "The shadow `lines` property is deprecated.",
        REMOVED,
    ),
    (
        "processes",
        "list",
        "The processes `list` property is deprecated. Please use `entries` instead.",
        REMOVED,
    ),
    (
        "host",
        "proto",
        "The host resource `proto` method is deprecated. Please use `protocol`.",
        "This will not be supported in InSpec 4.0.",
    ),
];

const REMOVED: &str = "This property was removed in InSpec 4.0.";

/// The ResourceFailed message calling `resource`'s `method` in an example raises
/// (deprecator.rb `assemble_message`), `used_at` the profile file and line that called it.
/// None: not such a method.
pub fn fail_control(resource: &str, method: &str, used_at: &str) -> Option<String> {
    FAIL_CONTROL
        .iter()
        .find(|(r, m, _, _)| *r == resource && *m == method)
        .map(|(_, _, message, suffix)| {
            format!("DEPRECATION: {message} {suffix} (used at {used_at})")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deprecated_methods_fail() {
        assert_eq!(
            fail_control("shadow", "lines", "/p/controls/x.rb:4").as_deref(),
            Some(
                "DEPRECATION: The shadow `lines` property is deprecated. This property was \
                 removed in InSpec 4.0. (used at /p/controls/x.rb:4)"
            )
        );
        assert_eq!(fail_control("shadow", "users", "x:1"), None);
        assert_eq!(fail_control("passwd", "lines", "x:1"), None);
    }
}
