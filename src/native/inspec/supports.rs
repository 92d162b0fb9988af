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
