//! Before a host is evaluated: the facts its profile will certainly ask for, found statically
//! (resources called with literal arguments), fetched in one round trip where the transport
//! can (SSH: one remote script), so a host costs few round trips instead of one per fact.
//! Facts that depend on runtime values are still read lazily, once, through the host cache.

use std::collections::HashSet;

use super::resources::kernel::parameter_path;
use super::transport::{prefetch, Fact, Host, TransportError};
use crate::profile::ast::{Expr, ExprKind};
use crate::profile::model::visit;
use crate::profile::Profile;

/// Files a resource reads whatever its arguments (or by default, without arguments).
fn default_files(resource: &str) -> &'static [&'static str] {
    match resource {
        "sshd_config" => &["/etc/ssh/sshd_config"],
        "ssh_config" => &["/etc/ssh/ssh_config"],
        "login_defs" | "login_def" => &["/etc/login.defs"],
        "auditd_conf" => &["/etc/audit/auditd.conf"],
        "passwd" => &["/etc/passwd"],
        "etc_group" | "group" | "groups" => &["/etc/group"],
        "shadow" => &["/etc/shadow"],
        "etc_fstab" => &["/etc/fstab"],
        "os" | "platform" => &["/etc/os-release"],
        _ => &[],
    }
}

/// The facts the profile's literal resource calls will read, in first-use order.
pub fn facts(profile: &Profile) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    let mut seen: HashSet<Fact> = HashSet::new();
    let mut add = |f: Fact| {
        if seen.insert(f.clone()) {
            out.push(f);
        }
    };
    // os facts are read by nearly every profile (platform checks, os.family in conditions).
    add(Fact::File("/etc/os-release".into()));
    for file in &profile.files {
        for e in &file.program.body {
            visit(e, &mut |node: &Expr| {
                let ExprKind::Call {
                    recv: None,
                    name,
                    args,
                    ..
                } = &node.kind
                else {
                    return;
                };
                let literal = args.first().and_then(Expr::as_plain_str);
                match (name.as_str(), literal) {
                    ("file" | "directory", Some(p)) if p.starts_with('/') => add(Fact::Stat(p)),
                    ("kernel_parameter", Some(p)) => add(Fact::File(parameter_path(&p))),
                    ("sshd_config" | "ssh_config" | "login_defs" | "auditd_conf", Some(p))
                        if p.starts_with('/') =>
                    {
                        add(Fact::Stat(p.clone()));
                        add(Fact::File(p));
                    }
                    (resource, _) => {
                        for p in default_files(resource) {
                            add(Fact::Stat(p.to_string()));
                            add(Fact::File(p.to_string()));
                        }
                    }
                }
            });
        }
    }
    out
}

/// Reaches the host (an unreachable host fails here, once, rather than in every control)
/// and prefetches the profile's static facts.
pub fn prepare(profile: &Profile, host: &Host) -> Result<(), TransportError> {
    let facts = facts(profile);
    prefetch(host, &facts)?;
    // A transport without batching (local) has read nothing yet: one cheap probe still
    // tells a dead target from a live one before any control runs.
    host.stat("/").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_calls_become_facts_and_dynamic_ones_do_not() {
        let p = crate::profile::from_source(
            "x = input('p')\n\
             control 'a' do\n\
               describe file('/etc/passwd') do it { should exist } end\n\
               describe file(x) do it { should exist } end\n\
               describe kernel_parameter('net.ipv4.ip_forward') do its('value') { should eq 0 } end\n\
               describe sshd_config do its('Port') { should eq '22' } end\n\
             end\n",
            "controls/a.rb",
        )
        .unwrap();
        let f = facts(&p);
        assert!(f.contains(&Fact::Stat("/etc/passwd".into())));
        assert!(f.contains(&Fact::File("/proc/sys/net/ipv4/ip_forward".into())));
        assert!(f.contains(&Fact::File("/etc/ssh/sshd_config".into())));
        assert!(f.contains(&Fact::File("/etc/os-release".into())));
        let stats = f.iter().filter(|x| matches!(x, Fact::Stat(_))).count();
        assert_eq!(stats, 2, "{f:?}"); // /etc/passwd and sshd_config; not the variable path
    }
}
