//! `supports` of inspec.yml: whether a profile applies to the target's platform, as InSpec
//! decides it (`lib/inspec/resources/platform.rb`, `supported?`), and the message InSpec
//! gives when it does not (`lib/inspec/profile.rb`, `info`).

use serde_json::{Map, Value};

use crate::native::resources::Platform;

/// Whether any `supports` entry matches `platform` (all of its keys must); an empty list
/// supports everything. Keys, with `-` or `_`: `platform-family`/`os-family` (a family of
/// the platform), `platform`/`os` (its name or a family), `platform-name`/`os-name` (its
/// name), `release`; `*` in a name or release is a wildcard matched anywhere in the text,
/// as InSpec's unanchored regexp does. An unknown key matches nothing.
pub fn supported(supports: &[Map<String, Value>], platform: &Platform) -> bool {
    supports.is_empty()
        || supports.iter().any(|entry| {
            entry
                .iter()
                .all(|(key, value)| matches_key(key, &text(value), platform))
        })
}

/// InSpec's text of a value (`release: 20.04` is read as a number, then `to_s`).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn matches_key(key: &str, value: &str, p: &Platform) -> bool {
    match key.replace('-', "_").as_str() {
        "os_family" | "platform_family" => p.families.iter().any(|f| f == value),
        "os" | "platform" => p.name == value || p.families.iter().any(|f| f == value),
        "os_name" | "platform_name" => wildcard(value, &p.name),
        "release" => wildcard(value, &p.release),
        _ => false,
    }
}

/// `check_name` / `check_release`: equality, or with `*` a regexp (`*` → `.*?`, the rest
/// escaped) found anywhere in the text.
fn wildcard(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let re = pattern
        .split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(".*?");
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(text))
}

/// Every resource InSpec 7.1.16 ships (lib/inspec/resources/*.rb and the preloaded
/// inspec-docker-resources), with the platforms its `supports platform:` lines declare
/// (registered by resource name in resource.rb's `support_registry`; empty: none declared,
/// it runs everywhere).
const RESOURCES: &[(&str, &[&str])] = &[
    ("aide_conf", &["unix"]),
    ("apache", &["unix"]),
    ("apache_conf", &["unix"]),
    ("apt", &["unix"]),
    ("audit_policy", &["windows"]),
    ("auditd", &["unix"]),
    ("auditd_conf", &["unix"]),
    ("bash", &["unix", "esx"]),
    ("bond", &["unix"]),
    ("bridge", &["unix"]),
    ("bsd_service", &["unix"]),
    ("cassandra", &["unix", "windows"]),
    ("cassandradb_conf", &["unix", "windows"]),
    ("cassandradb_session", &["unix", "windows"]),
    ("cgroup", &["linux"]),
    ("chocolatey_package", &["windows"]),
    ("chrony_conf", &["unix"]),
    ("command", &["unix", "windows"]),
    ("cpan", &["unix"]),
    ("cran", &["unix"]),
    ("cron", &["unix"]),
    ("crontab", &["unix"]),
    ("csv", &[]),
    ("default_gateway", &["unix", "windows"]),
    ("dh_params", &["unix"]),
    ("directory", &["unix", "windows"]),
    ("docker", &["unix"]),
    ("docker_container", &["unix"]),
    ("docker_image", &["unix"]),
    ("docker_plugin", &["unix"]),
    ("docker_service", &["unix"]),
    ("etc_fstab", &["unix"]),
    ("etc_group", &["unix"]),
    ("etc_hosts", &["unix", "windows"]),
    ("etc_hosts_allow", &["unix"]),
    ("etc_hosts_deny", &["unix"]),
    ("file", &["unix", "windows"]),
    ("filesystem", &["unix", "windows"]),
    ("firewalld", &["linux"]),
    ("gem", &["unix", "windows"]),
    ("group", &["unix", "windows"]),
    ("groups", &["unix", "windows"]),
    ("grub_conf", &["unix"]),
    ("host", &["unix", "windows"]),
    ("http", &["unix", "windows"]),
    ("iis_app", &["windows"]),
    ("iis_app_pool", &["windows"]),
    ("iis_site", &["windows"]),
    ("iis_website", &[]),
    ("inetd_conf", &["unix"]),
    ("ini", &["os"]),
    ("interface", &["unix", "windows"]),
    ("interfaces", &["unix", "windows"]),
    ("ip6tables", &["linux"]),
    ("ipfilter", &["bsd", "solaris"]),
    ("ipnat", &["bsd", "solaris"]),
    ("iptables", &["linux"]),
    ("json", &["os"]),
    ("kernel_module", &["unix"]),
    ("kernel_parameter", &["unix"]),
    ("kernel_parameters", &["unix"]),
    ("key_rsa", &["unix", "windows"]),
    ("ksh", &["unix"]),
    ("launchd_service", &["unix"]),
    ("limits_conf", &["unix"]),
    ("linux_audit_system", &["linux"]),
    ("linux_kernel_parameter", &[]),
    ("login_defs", &["unix"]),
    ("lxc", &["linux"]),
    ("mail_alias", &["unix"]),
    ("mount", &["unix"]),
    (
        "mssql_session",
        &["windows", "darwin", "debian", "redhat", "suse"],
    ),
    ("mssql_sys_conf", &["windows", "debian", "redhat", "suse"]),
    ("mysql", &["unix"]),
    ("mysql_conf", &["unix", "windows"]),
    ("mysql_session", &["unix", "windows"]),
    ("nftables", &["linux"]),
    ("nginx", &["unix"]),
    ("nginx_conf", &["unix"]),
    ("noop", &[]),
    ("npm", &["unix", "windows"]),
    ("ntp_conf", &["unix"]),
    ("oneget", &["windows"]),
    ("oracle", &["unix", "windows"]),
    ("oracledb_conf", &["unix", "windows"]),
    ("oracledb_listener_conf", &["unix", "windows"]),
    ("oracledb_session", &["unix", "windows"]),
    ("os", &["unix", "windows"]),
    ("os_env", &["unix", "windows"]),
    ("package", &["unix", "windows"]),
    ("packages", &["unix"]),
    ("parse_config", &["unix", "windows"]),
    ("parse_config_file", &[]),
    ("passwd", &["unix"]),
    ("php_config", &["unix", "windows"]),
    ("pip", &["unix", "windows"]),
    ("platform", &[]),
    ("port", &["unix", "windows"]),
    ("postfix_conf", &["unix"]),
    ("postgres", &["unix", "windows"]),
    ("postgres_conf", &["unix", "windows"]),
    ("postgres_hba_conf", &["unix", "windows"]),
    ("postgres_ident_conf", &["unix", "windows"]),
    ("postgres_session", &["unix", "windows"]),
    ("powershell", &["windows", "unix"]),
    ("ppa", &[]),
    ("processes", &["unix", "windows"]),
    ("registry_key", &["windows"]),
    ("routing_table", &["unix", "windows"]),
    ("runit_service", &["unix"]),
    ("script", &[]),
    ("security_identifier", &["windows"]),
    ("security_policy", &["windows"]),
    ("selinux", &["linux"]),
    ("service", &["unix", "windows"]),
    ("shadow", &["unix"]),
    ("ssh_config", &["unix", "windows"]),
    ("ssh_key", &["unix", "windows"]),
    ("sshd_active_config", &["unix", "windows"]),
    ("sshd_config", &["unix", "windows"]),
    ("ssl", &["unix", "windows"]),
    ("sys_info", &["unix", "windows"]),
    ("systemd_service", &["unix"]),
    ("sysv_service", &["unix"]),
    ("timezone", &["unix", "windows"]),
    ("toml", &[]),
    ("upstart_service", &["unix"]),
    ("user", &["unix", "windows"]),
    ("users", &["unix", "windows"]),
    ("vbscript", &["windows"]),
    ("virtualization", &["unix", "windows"]),
    ("windows_feature", &["windows"]),
    ("windows_firewall", &["windows"]),
    ("windows_firewall_rule", &["windows"]),
    ("windows_hotfix", &["windows"]),
    ("windows_registry_key", &[]),
    ("windows_task", &["windows"]),
    ("wmi", &["windows"]),
    ("x509_certificate", &["unix", "windows"]),
    ("x509_private_key", &["unix", "windows"]),
    ("xinetd_conf", &["unix"]),
    ("xml", &["os"]),
    ("yaml", &[]),
    ("yum", &["unix"]),
    ("zfs", &["unix"]),
    ("zfs_dataset", &["unix"]),
    ("zfs_pool", &["unix"]),
];

/// Whether InSpec has a resource of this name.
pub fn is_inspec_resource(name: &str) -> bool {
    RESOURCES.iter().any(|(n, _)| *n == name)
}

/// The platforms built-in resource `name` declares (empty: every platform).
pub fn resource_supports(name: &str) -> &'static [&'static str] {
    RESOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, p)| p)
}

/// Built-in resources that support only Windows. The native evaluator's targets are all
/// unix (local, ssh), where InSpec's `check_supported!` raises for them before they read
/// anything: what such a resource evaluates to is known without implementing it.
pub fn windows_only() -> impl Iterator<Item = &'static str> {
    RESOURCES
        .iter()
        .filter(|(_, p)| !p.is_empty() && p.iter().all(|x| *x == "windows"))
        .map(|(n, _)| *n)
}

/// resource.rb `check_supported!`: the ArgumentError message for a resource created on a
/// platform its `supports` exclude.
pub fn unsupported_message(resource: &str, platform: &str) -> String {
    format!("Unsupported resource/backend combination: {resource} / {platform}. Exiting.")
}

/// "Skipping profile: 'NAME' on unsupported platform: 'debian/12.11'." (profile.rb).
pub fn skip_message(profile: &str, platform: &Platform) -> String {
    format!(
        "Skipping profile: '{profile}' on unsupported platform: '{}/{}'.",
        platform.name, platform.release
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(name: &str, family: &str, release: &str) -> Platform {
        Platform {
            name: name.into(),
            families: [family, "linux", "unix", "os"].map(String::from).to_vec(),
            release: release.into(),
            arch: "x86_64".into(),
        }
    }

    fn entries(yaml: &str) -> Vec<Map<String, Value>> {
        serde_json::from_str(yaml).unwrap()
    }

    /// The built-in resources' `supports` as lib/inspec/resources/*.rb declare them.
    #[test]
    fn builtin_resource_supports() {
        assert_eq!(resource_supports("selinux"), ["linux"]);
        assert_eq!(resource_supports("file"), ["unix", "windows"]);
        // Declared by a parent class only: registered under the parent's name.
        assert!(resource_supports("windows_registry_key").is_empty());
        let win: Vec<&str> = windows_only().collect();
        assert!(win.contains(&"registry_key") && win.contains(&"security_policy"));
        assert!(!win.contains(&"file") && !win.contains(&"powershell"));
        let debian = platform("debian", "debian", "12.11");
        let entries = |name: &str| -> Vec<Map<String, Value>> {
            resource_supports(name)
                .iter()
                .map(|p| serde_json::from_str(&format!(r#"{{"platform": "{p}"}}"#)).unwrap())
                .collect()
        };
        assert!(supported(&entries("selinux"), &debian));
        assert!(!supported(&entries("registry_key"), &debian));
        assert!(!supported(&entries("ipfilter"), &debian));
    }

    #[test]
    fn the_matching_table() {
        let debian = platform("debian", "debian", "12.11");
        let ubuntu = platform("ubuntu", "debian", "20.04");
        let rhel = platform("redhat", "redhat", "8.10");
        // (supports as JSON, platform, InSpec's answer, why)
        let rows: &[(&str, &Platform, bool, &str)] = &[
            ("[]", &debian, true, "no supports: everything"),
            (
                r#"[{"platform-family": "debian"}]"#,
                &ubuntu,
                true,
                "family",
            ),
            (
                r#"[{"os-family": "linux"}]"#,
                &rhel,
                true,
                "legacy os-family, any family",
            ),
            (
                r#"[{"platform-family": "redhat"}]"#,
                &debian,
                false,
                "other family",
            ),
            (
                r#"[{"platform_family": "debian"}]"#,
                &debian,
                true,
                "_ as -",
            ),
            (
                r#"[{"platform": "debian"}]"#,
                &ubuntu,
                true,
                "platform: a family counts",
            ),
            (
                r#"[{"platform": "ubuntu"}]"#,
                &debian,
                false,
                "platform: the name",
            ),
            (r#"[{"os": "redhat"}]"#, &rhel, true, "legacy os"),
            (r#"[{"platform-name": "ubuntu"}]"#, &ubuntu, true, "name"),
            (
                r#"[{"platform-name": "debian"}]"#,
                &ubuntu,
                false,
                "a family is no name",
            ),
            (r#"[{"os-name": "red*"}]"#, &rhel, true, "name wildcard"),
            (
                r#"[{"platform-name": "ubuntu", "release": "20.04"}]"#,
                &ubuntu,
                true,
                "all keys",
            ),
            (
                r#"[{"platform-name": "ubuntu", "release": "18.04"}]"#,
                &ubuntu,
                false,
                "release differs",
            ),
            (
                r#"[{"platform-name": "ubuntu", "release": 20.04}]"#,
                &ubuntu,
                true,
                "a number release is its text",
            ),
            (
                r#"[{"platform-name": "redhat", "release": "8.*"}]"#,
                &rhel,
                true,
                "release wildcard",
            ),
            (
                r#"[{"release": "8.*"}]"#,
                &ubuntu,
                false,
                "20.04 has no '8.'",
            ),
            (
                r#"[{"release": "8.*"}]"#,
                &platform("ubuntu", "debian", "18.04"),
                true,
                "unanchored: 18.04 contains 8.0",
            ),
            (
                r#"[{"release": "12"}]"#,
                &debian,
                false,
                "no wildcard: whole release",
            ),
            (r#"[{"release": "12.*"}]"#, &debian, true, "12.11"),
            (
                r#"[{"platform-name": "ubuntu"}, {"platform-name": "debian"}]"#,
                &debian,
                true,
                "any entry",
            ),
            (
                r#"[{"platform-name": "ubuntu"}, {"platform-family": "redhat"}]"#,
                &debian,
                false,
                "no entry",
            ),
            (
                r#"[{"platform-version": "12"}]"#,
                &debian,
                false,
                "an unknown key matches nothing",
            ),
            (r#"[{}]"#, &debian, true, "an empty entry: all? of nothing"),
            (
                r#"[{"inspec": ">= 4"}]"#,
                &debian,
                false,
                "not a platform key",
            ),
        ];
        for (json, p, want, why) in rows {
            assert_eq!(
                supported(&entries(json), p),
                *want,
                "{json} on {}: {why}",
                p.name
            );
        }
    }

    #[test]
    fn inspecs_message() {
        assert_eq!(
            skip_message("rhel8-stig", &platform("debian", "debian", "12.11")),
            "Skipping profile: 'rhel8-stig' on unsupported platform: 'debian/12.11'."
        );
    }
}
