//! `iptables` and `ip6tables`: the rules as `iptables -S` prints them.

use std::sync::Arc;

use crate::native::resources::support::{shell_line, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["has_rule?", "retrieve_rules"];

pub struct Iptables {
    name: &'static str,
    table: Option<String>,
    chain: Option<String>,
    host: Arc<Host>,
    rules: Lazy<Vec<String>>,
}

/// `iptables`, `iptables(table: 'nat')`, `iptables(chain: 'INPUT')`.
pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let opt = |key: &str| match args.first() {
        Some(h @ Value::Hash(_)) => match h
            .hash_get(&Value::Sym(key.into()))
            .or_else(|| h.hash_get(&Value::str(key)))
        {
            Some(Value::Str(s) | Value::Sym(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    Ok(Arc::new(Iptables {
        name,
        table: opt("table"),
        chain: opt("chain"),
        host: host.clone(),
        rules: Lazy::default(),
    }))
}

impl Iptables {
    /// The command run on the target (sbin added: root's PATH over ssh may lack it).
    pub fn command(&self) -> String {
        let mut argv = vec![self.name, "-S"];
        if let Some(c) = &self.chain {
            argv.push(c);
        }
        if let Some(t) = &self.table {
            argv.extend(["-t", t]);
        }
        format!("PATH=\"$PATH:/sbin:/usr/sbin\" {}", shell_line(&argv))
    }

    fn rules(&self) -> Res<&Vec<String>> {
        self.rules.get(|| {
            let out = self.host.run(&self.command())?;
            // As iptables.rb retrieve_rules: no program fails the control
            // (find_iptables_or_error raises ResourceFailed); any other failure of the
            // command is no rules.
            match out.exit_status {
                Some(0) => Ok(out.stdout.lines().map(|l| l.trim().to_string()).collect()),
                Some(127) => Err(ResourceError::Failed(format!(
                    "Could not find `{}`",
                    self.name
                ))),
                _ => Ok(Vec::new()),
            }
        })
    }
}

impl Resource for Iptables {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        let label = if self.name == "ip6tables" {
            "Ip6tables"
        } else {
            "Iptables"
        };
        let mut s = label.to_string();
        if let Some(t) = &self.table {
            s.push_str(&format!(" table: {t}"));
        }
        if let Some(c) = &self.chain {
            s.push_str(&format!(" chain: {c}"));
        }
        s
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "retrieve_rules" => Ok(Value::Array(self.rules()?.iter().map(Value::str).collect())),
            // InSpec compares whole rules, ignoring case.
            "has_rule?" => {
                let Some(Value::Str(rule)) = args.first() else {
                    return Ok(Value::Bool(false));
                };
                Ok(Value::Bool(
                    self.rules()?.iter().any(|r| r.eq_ignore_ascii_case(rule)),
                ))
            }
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn rules_match_iptables_s_or_fail() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let r = create("iptables", &[], &host).unwrap();
        assert_eq!(r.to_s(), "Iptables");
        let want = std::process::Command::new("sh")
            .args(["-c", "PATH=\"$PATH:/sbin:/usr/sbin\" iptables -S"])
            .output()
            .unwrap();
        match want.status.code() {
            Some(0) => {
                let rules = String::from_utf8_lossy(&want.stdout).to_string();
                let first = rules.lines().next().unwrap_or("").to_lowercase();
                assert_eq!(
                    r.call("retrieve_rules", &[]).unwrap(),
                    Value::Array(rules.lines().map(Value::str).collect())
                );
                assert_eq!(
                    r.call("has_rule?", &[Value::str(first)]).unwrap(),
                    Value::Bool(true)
                );
            }
            Some(127) => assert_eq!(
                r.call("retrieve_rules", &[]),
                Err(ResourceError::Failed("Could not find `iptables`".into()))
            ),
            _ => assert_eq!(r.call("retrieve_rules", &[]).unwrap(), Value::Array(vec![])),
        }
        let nat = create(
            "ip6tables",
            &[Value::Hash(vec![
                (Value::Sym("table".into()), Value::str("nat")),
                (Value::Sym("chain".into()), Value::str("PREROUTING")),
            ])],
            &host,
        )
        .unwrap();
        assert_eq!(nat.to_s(), "Ip6tables table: nat chain: PREROUTING");
    }

    fn fixture(name: &str) -> Arc<Host> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/hosts")
            .join(name);
        let t = crate::transport::fixture::FixtureTransport::open(&dir);
        Arc::new(Host::new(Box::new(t), None, CancellationToken::new()))
    }

    #[test]
    fn a_missing_program_fails_and_rules_compare_ignoring_case() {
        // Debian 12 has no iptables: InSpec raises ResourceFailed, it does not skip.
        let debian = fixture("debian12");
        for name in ["iptables", "ip6tables"] {
            let r = create(name, &[], &debian).unwrap();
            assert_eq!(
                r.call("has_rule?", &[Value::str("-P INPUT DROP")]),
                Err(ResourceError::Failed(format!("Could not find `{name}`")))
            );
        }
        // has_rule? is `casecmp(rule) == 0`: the whole rule, any case.
        let r = create("iptables", &[], &fixture("rhel8")).unwrap();
        let has = |rule: &str| r.call("has_rule?", &[Value::str(rule)]).unwrap();
        assert_eq!(has("-p input accept"), Value::Bool(true));
        assert_eq!(has("-P INPUT ACCEPT"), Value::Bool(true));
        assert_eq!(has("-P INPUT"), Value::Bool(false));
        assert_eq!(has("-P INPUT DROP"), Value::Bool(false));
    }
}
