//! The four third-party profiles in `../shared/profiles`: static coverage against an
//! assumed resource catalogue, and evaluation with test resources (no crash, every skip
//! names its construct and place). Skipped, saying so, when the profiles are absent.

use std::path::PathBuf;

use crate::job::ControlStatus;
use crate::native::coverage::{coverage_with, Catalogue};

const PROFILES: [&str; 4] = [
    "linux-baseline",
    "ssh-baseline",
    "cis-dil-benchmark",
    "cis-docker-benchmark",
];

fn profiles_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/profiles");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared third-party profiles)",
            dir.display()
        );
        None
    }
}

/// The resources InSpec's documentation lists for what these profiles use, as the native
/// registry is expected to provide them (`*`: configuration keys).
pub fn assumed_catalogue() -> Catalogue {
    let file = vec![
        "exist?",
        "file?",
        "directory?",
        "symlink?",
        "pipe?",
        "socket?",
        "block_device?",
        "character_device?",
        "mode",
        "owner",
        "group",
        "uid",
        "gid",
        "size",
        "content",
        "link_path",
        "mtime",
        "readable?",
        "writable?",
        "executable?",
        "owned_by?",
        "grouped_into?",
        "more_permissive_than?",
        "type",
        "path",
        "basename",
        "setuid?",
        "setgid?",
        "sticky?",
        "linked_to?",
        "suid",
        "sgid",
        "sticky",
    ];
    let command = vec!["stdout", "stderr", "exit_status", "exist?", "result"];
    let table = |extra: &[&'static str]| {
        let mut v = vec!["where", "entries", "count", "exist?", "exists?", "raw_data"];
        v.extend_from_slice(extra);
        v
    };
    Catalogue::new([
        ("file", file.clone()),
        ("directory", file),
        ("command", command.clone()),
        ("bash", command),
        ("package", vec!["installed?", "version", "name"]),
        (
            "packages",
            table(&["names", "versions", "statuses", "architectures"]),
        ),
        (
            "service",
            vec![
                "installed?",
                "enabled?",
                "running?",
                "type",
                "name",
                "description",
                "startmode",
                "runlevels",
                "params",
            ],
        ),
        (
            "systemd_service",
            vec![
                "installed?",
                "enabled?",
                "running?",
                "type",
                "name",
                "description",
                "params",
            ],
        ),
        ("sshd_config", vec!["*"]),
        ("ssh_config", vec!["*"]),
        ("login_defs", vec!["*"]),
        ("parse_config_file", vec!["*"]),
        ("auditd_conf", vec!["*"]),
        ("ntp_conf", vec!["*"]),
        ("inetd_conf", vec!["*"]),
        ("xinetd_conf", vec!["*"]),
        ("limits_conf", vec!["*"]),
        ("json", vec!["*"]),
        ("yaml", vec!["*"]),
        ("kernel_parameter", vec!["value"]),
        (
            "kernel_module",
            vec![
                "loaded?",
                "disabled?",
                "blacklisted?",
                "enabled?",
                "version",
            ],
        ),
        (
            "mount",
            vec!["mounted?", "count", "options", "device", "type"],
        ),
        (
            "etc_fstab",
            table(&[
                "mount_points",
                "device_names",
                "file_system_options",
                "mount_options",
                "file_system_types",
                "dump_options",
                "file_system_check_nums",
                "nfs_file_systems",
                "home_mount_options",
                "configured?",
            ]),
        ),
        (
            "passwd",
            table(&[
                "users",
                "uids",
                "gids",
                "homes",
                "shells",
                "passwords",
                "user",
                "uid",
                "gid",
                "home",
                "shell",
                "password",
                "lines",
                "content",
            ]),
        ),
        (
            "shadow",
            table(&[
                "users",
                "passwords",
                "last_changes",
                "min_days",
                "max_days",
                "warn_days",
                "inactive_days",
                "expiry_dates",
                "user",
                "password",
            ]),
        ),
        (
            "etc_group",
            table(&["groups", "gids", "users", "group_name", "gid", "where"]),
        ),
        (
            "user",
            vec![
                "exists?",
                "uid",
                "gid",
                "group",
                "groups",
                "home",
                "shell",
                "mindays",
                "maxdays",
                "warndays",
                "passwordage",
                "username",
                "has_home_directory?",
                "lastlogin",
            ],
        ),
        (
            "users",
            table(&[
                "usernames",
                "uids",
                "gids",
                "groups",
                "homes",
                "shells",
                "mindays",
                "maxdays",
                "warndays",
                "username",
                "uid",
                "home",
                "shell",
            ]),
        ),
        ("group", vec!["exists?", "gid", "members"]),
        (
            "processes",
            table(&["pids", "commands", "users", "states", "labels", "entries"]),
        ),
        (
            "port",
            table(&[
                "listening?",
                "protocols",
                "processes",
                "addresses",
                "pids",
                "ports",
            ]),
        ),
        (
            "os",
            vec![
                "name", "family", "release", "arch", "debian?", "redhat?", "suse?", "linux?",
                "unix?", "windows?", "bsd?", "darwin?", "solaris?", "aix?", "hpux?", "[]",
                "params",
            ],
        ),
        ("os_env", vec!["content", "split", "value"]),
        (
            "auditd",
            table(&[
                "lines",
                "rules",
                "file",
                "key",
                "list",
                "action",
                "fields",
                "syscall",
                "fields_nokey",
                "permissions",
                "exit",
            ]),
        ),
        ("iptables", vec!["has_rule?", "retrieve_rules"]),
        ("ip6tables", vec!["has_rule?", "retrieve_rules"]),
        (
            "docker",
            vec![
                "containers",
                "images",
                "info",
                "version",
                "object",
                "plugins",
                "services",
                "running?",
                "ids",
                "names",
                "repositories",
                "tags",
                "commands",
                "status",
                "labels",
            ],
        ),
        (
            "docker_container",
            vec![
                "exist?", "running?", "id", "image", "repo", "tag", "ports", "command", "status",
                "labels",
            ],
        ),
        (
            "virtualization",
            vec!["system", "role", "virtual_system?", "physical_system?"],
        ),
        ("crontab", table(&["commands", "minutes", "hours", "users"])),
    ])
}

#[test]
fn coverage_of_the_shared_profiles() {
    let Some(dir) = profiles_dir() else { return };
    let cat = assumed_catalogue();
    let (mut total, mut supported) = (0, 0);
    for name in PROFILES {
        let profile =
            crate::profile::load(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cov = coverage_with(&profile, &cat);
        total += cov.total;
        supported += cov.supported;
        println!(
            "{name}: {}/{} controls natively ({:.1} %)",
            cov.supported, cov.total, cov.percent
        );
        for b in cov.blockers.iter().take(8) {
            println!(
                "    {:>3} × {} (e.g. {})",
                b.controls, b.construct, b.example
            );
        }
        assert_eq!(
            cov.total,
            profile.controls.len(),
            "{name}: one entry per control"
        );
        for c in &cov.controls {
            assert_eq!(c.supported, c.blockers.is_empty());
            for b in &c.blockers {
                assert!(
                    b.at.contains(".rb:"),
                    "{name}: blocker without file:line: {b:?}"
                );
            }
        }
    }
    let percent = supported as f64 * 100.0 / total as f64;
    println!("all: {supported}/{total} ({percent:.1} %)");
    assert!(
        percent >= 90.0,
        "coverage {percent:.1} % below the 90 % target"
    );
}

#[test]
fn evaluate_the_shared_profiles_with_test_resources() {
    let Some(dir) = profiles_dir() else { return };
    let cat = assumed_catalogue();
    for name in PROFILES {
        let profile =
            crate::profile::load(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cov = coverage_with(&profile, &cat);
        let results = crate::native::inspec::run::evaluate_with(
            &profile,
            crate::native::testing::host(),
            &serde_json::Map::new(),
            &crate::native::testing::fake_factory,
        );
        assert!(
            results.len() >= profile.controls.iter().filter(|c| !c.dynamic_id).count(),
            "{name}"
        );
        let mut by_status = [0usize; 3];
        for r in &results {
            by_status[r.status as usize] += 1;
            for c in &r.results {
                if let Some(m) = &c.skip_message {
                    if m.starts_with("Not supported") {
                        assert!(m.contains(".rb:"), "{name} {}: {m}", r.id);
                    }
                }
            }
            // Coverage never calls a control supported that evaluation skips as unsupported
            // for a reason other than the test resources' gaps.
            if let Some(cc) = cov.controls.iter().find(|c| c.id == r.id) {
                if cc.supported {
                    for c in &r.results {
                        let m = c.skip_message.as_deref().unwrap_or("");
                        let resource_gap =
                            m.contains("property") || m.contains("method or resource");
                        assert!(
                            !m.starts_with("Not supported") || resource_gap,
                            "{name} {}: coverage says supported, evaluation says {m}",
                            r.id
                        );
                    }
                }
            }
        }
        println!(
            "{name}: passed {} failed {} skipped {}",
            by_status[ControlStatus::Passed as usize],
            by_status[ControlStatus::Failed as usize],
            by_status[ControlStatus::Skipped as usize]
        );
    }
}

#[test]
#[ignore = "diagnostic: prints failed results of the shared profiles with test resources"]
fn print_failures_with_test_resources() {
    let Some(dir) = profiles_dir() else { return };
    for name in PROFILES {
        let profile =
            crate::profile::load(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let results = crate::native::inspec::run::evaluate_with(
            &profile,
            crate::native::testing::host(),
            &serde_json::Map::new(),
            &crate::native::testing::fake_factory,
        );
        for r in results.iter().filter(|r| r.status == ControlStatus::Failed) {
            for c in r
                .results
                .iter()
                .filter(|c| c.status == ControlStatus::Failed)
            {
                println!(
                    "{name} {}: {} :: {:?} {:?}",
                    r.id, c.code_desc, c.message, c.exception
                );
            }
        }
    }
}
