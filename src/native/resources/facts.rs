//! The facts a resource reads first, known from its literal arguments, so that one
//! [`prefetch`](crate::transport::prefetch) can read a whole profile's facts in one
//! round trip. The texts are the ones the resources run, so the cache answers them.

use crate::native::resources::support::{shell_line, str_arg};
use crate::native::resources::{apt, auditd, config_file, kernel, os, process, timezone, yum};
use crate::native::ruby::value::Value;
use crate::transport::Fact;

fn platform() -> Vec<Fact> {
    vec![
        Fact::Command(os::UNAME.into()),
        Fact::File(os::OS_RELEASE.into()),
        Fact::File(os::DEBIAN_VERSION.into()),
    ]
}

fn config(path: Option<String>, default: &str) -> Vec<Fact> {
    let p = path.unwrap_or_else(|| default.to_string());
    vec![Fact::Stat(p.clone()), Fact::File(p)]
}

/// What `name(args)` will read (empty when that depends on more than its arguments). A
/// `file`'s content is not included: ask for `Fact::File(path)` too where the profile reads
/// `content`.
pub fn facts(name: &str, args: &[Value]) -> Vec<Fact> {
    let arg = str_arg(args, 0);
    let accounts = || {
        ["/etc/passwd", "/etc/group", "/etc/shadow"]
            .map(|p| Fact::File(p.into()))
            .to_vec()
    };
    match name {
        "file" | "directory" => arg.map(Fact::Stat).into_iter().collect(),
        "kernel_parameter" | "linux_kernel_parameter" => arg
            .map(|p| Fact::File(kernel::parameter_path(&p)))
            .into_iter()
            .collect(),
        "kernel_module" => vec![
            Fact::File("/proc/modules".into()),
            Fact::Command(kernel::SHOWCONFIG.into()),
        ],
        "kernel_parameters" => vec![Fact::Command(kernel::SYSCTL_ALL.into())],
        "timezone" => vec![Fact::Command(timezone::TIMEDATECTL.into())],
        "filesystem" => arg
            .map(|p| Fact::Command(shell_line(&["df", &p, "-PT"])))
            .into_iter()
            .collect(),
        "postfix_conf" => config(arg, "/etc/postfix/main.cf"),
        "sshd_config" => config(arg, "/etc/ssh/sshd_config"),
        "ssh_config" => config(arg, "/etc/ssh/ssh_config"),
        "login_defs" | "login_def" => config(arg, "/etc/login.defs"),
        "auditd_conf" => config(arg, "/etc/audit/auditd.conf"),
        "ntp_conf" => config(arg, "/etc/ntp.conf"),
        "inetd_conf" => config(arg, "/etc/inetd.conf"),
        "limits_conf" => config(arg, "/etc/security/limits.conf"),
        "xinetd_conf" => config(arg, "/etc/xinetd.conf"),
        "chrony_conf" => config(arg, "/etc/chrony.conf"),
        "aide_conf" => config(arg, "/etc/aide.conf"),
        "etc_hosts" => config(arg, "/etc/hosts"),
        "etc_hosts_allow" => config(arg, "/etc/hosts.allow"),
        "etc_hosts_deny" => {
            let mut f = platform();
            f.extend(config(arg, "/etc/hosts.deny"));
            f
        }
        "sshd_active_config" => vec![Fact::Command(config_file::SSHD_DEBUG.into())],
        "selinux" => {
            let mut f = platform();
            f.push(Fact::Command("sestatus".into()));
            f
        }
        "parse_config_file" | "json" | "yaml" | "ini" => match arg {
            Some(p) => config(Some(p), ""),
            None => Vec::new(),
        },
        "command" => arg.map(Fact::Command).into_iter().collect(),
        "bash" | "ksh" => arg
            .map(|c| Fact::Command(shell_line(&[name, "-c", &c])))
            .into_iter()
            .collect(),
        "package" => {
            let mut f = platform();
            if let Some(p) = arg {
                f.push(Fact::Command(
                    crate::native::resources::package::DPKG_LIST.into(),
                ));
                f.push(Fact::Command(shell_line(&["rpm", "-qi", &p])));
            }
            f
        }
        "service" | "systemd_service" => {
            // The manager is chosen by platform (systemd's questions on most targets).
            let mut f = platform();
            if let Some(s) = arg {
                f.push(Fact::Command(shell_line(&[
                    "systemctl",
                    "show",
                    "--no-pager",
                    "--all",
                    &s,
                ])));
                f.push(Fact::Command(shell_line(&[
                    "systemctl",
                    "is-active",
                    "--quiet",
                    &s,
                ])));
                f.push(Fact::Command(shell_line(&[
                    "systemctl",
                    "is-enabled",
                    "--quiet",
                    &s,
                ])));
            }
            f
        }
        "mount" => vec![Fact::File("/proc/mounts".into())],
        "etc_fstab" => config(arg, "/etc/fstab"),
        "passwd" | "shadow" | "etc_group" | "user" | "users" | "group" | "groups" => accounts(),
        "os" => platform(),
        "os_env" => vec![Fact::Command("env".into())],
        "processes" => vec![Fact::Command(process::PS.into())],
        "port" => vec![Fact::Command(process::SS.into())],
        "auditd" => {
            let mut f = platform();
            f.push(Fact::Command(auditd::RULES.into()));
            f
        }
        "yum" => {
            let mut f = platform();
            f.push(Fact::Command(yum::REPOLIST.into()));
            f
        }
        "apt" | "ppa" => {
            let mut f = platform();
            f.push(Fact::Command(apt::LISTS.into()));
            f
        }
        _ => Vec::new(),
    }
}
