//! Before a host is evaluated: the facts its profile will certainly ask for, found statically
//! (resources called with literal arguments), fetched in one round trip where the transport
//! can (SSH: one request to the agent), so a host costs few round trips instead of one per fact.
//! Facts that depend on runtime values are still read lazily, once, through the host cache.

use std::collections::HashSet;

use crate::native::inspec::dsl::json_to_value;
use crate::native::resources;
use crate::native::ruby::value::Value;
use crate::profile::ast::{Expr, ExprKind};
use crate::profile::model::literal;
use crate::profile::visit::each_expr_in;
use crate::profile::Profile;
use crate::transport::{prefetch, Fact, Host, TransportError};

/// The facts the profile's resource calls with literal arguments will read, in first-use
/// order. The profile's own commands (`command`, `bash`) are left out: they run only when the
/// evaluation reaches them (an `only_if` may skip them). The queries resources make
/// themselves (`dpkg -s`, `modprobe --showconfig`) only read, so they are batched too.
pub fn facts(profile: &Profile) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    let mut seen: HashSet<Fact> = HashSet::new();
    // os facts are read by nearly every profile (platform checks, os.family in conditions).
    for f in resources::facts("os", &[]) {
        if seen.insert(f.clone()) {
            out.push(f);
        }
    }
    // The dependencies' files too: an overlay runs them on the same host.
    let mut files: Vec<&crate::profile::model::SourceFile> = profile.files.iter().collect();
    let mut stack: Vec<&Profile> = vec![profile];
    while let Some(p) = stack.pop() {
        for d in p.dependencies.iter().filter_map(|d| d.profile()) {
            files.extend(d.files.iter());
            stack.push(d);
        }
    }
    for file in files {
        each_expr_in(&file.program.body, |node: &Expr| {
            let ExprKind::Call {
                recv: None,
                name,
                args,
                ..
            } = &node.kind
            else {
                return;
            };
            let Some(values) = args
                .iter()
                .map(|a| literal(a).map(|v| json_to_value(&v)))
                .collect::<Option<Vec<Value>>>()
            else {
                return;
            };
            if matches!(name.as_str(), "command" | "bash") {
                return;
            }
            for f in resources::facts(name, &values) {
                if seen.insert(f.clone()) {
                    out.push(f);
                }
            }
        });
    }
    out
}

/// Reaches the host (an unreachable host fails here, once, rather than in every control)
/// and prefetches the profile's static facts.
pub fn prepare(profile: &Profile, host: &Host) -> Result<(), TransportError> {
    // Whatever the batch could not read is read again, one by one, when asked for; only
    // a dead host, a cancel or the deadline stop here.
    if let Err(
        e @ (TransportError::Unreachable(_) | TransportError::Canceled | TransportError::TimedOut),
    ) = prefetch(host, &facts(profile))
    {
        return Err(e);
    }
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
               describe command('touch /tmp/x') do its('exit_status') { should eq 0 } end\n\
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
        assert!(
            !f.contains(&Fact::Command("touch /tmp/x".into())),
            "the profile's own commands run only when reached: {f:?}"
        );
    }
}
