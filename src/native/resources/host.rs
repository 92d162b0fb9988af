//! `host`: whether a name resolves (`getent ahosts`) and answers (`ping`, or a TCP/UDP
//! port through netcat or bash's /dev/tcp), as InSpec's resources/host.rb does on Linux.

use std::sync::Arc;

use crate::native::resources::support::{
    has_program, need_str, run_argv, shell_line, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host as Target;

pub const METHODS: &[&str] = &[
    "resolvable?",
    "reachable?",
    "ipaddress",
    "ipv4_address",
    "ipv6_address",
    "connection",
    "socket",
    "hostname",
    "port",
    "protocol",
];

pub struct HostCheck {
    hostname: String,
    port: Option<String>,
    protocol: String,
    target: Arc<Target>,
    addresses: Lazy<Option<Vec<String>>>,
    ping: Lazy<(bool, String, String)>,
}

pub fn create(args: &[Value], target: &Arc<Target>) -> Res<Arc<dyn Resource>> {
    let hostname = need_str("host", args, 0, "a host name")?;
    let opt = |k: &str| match args.get(1) {
        Some(h @ Value::Hash(_)) => h
            .hash_get(&Value::Sym(k.into()))
            .or_else(|| h.hash_get(&Value::str(k)))
            .and_then(|v| match v {
                Value::Str(s) | Value::Sym(s) => Some(s.clone()),
                Value::Int(n) => Some(n.to_string()),
                _ => None,
            }),
        _ => None,
    };
    Ok(Arc::new(HostCheck {
        hostname,
        port: opt("port"),
        protocol: opt("protocol")
            .or_else(|| opt("proto"))
            .unwrap_or_else(|| "icmp".into()),
        target: target.clone(),
        addresses: Lazy::default(),
        ping: Lazy::default(),
    }))
}

fn is_ipv4(s: &str) -> bool {
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

fn is_ipv6(s: &str) -> bool {
    s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// `getent ahosts NAME`: each line's address, once, in order.
pub fn ahosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let ip = line.split_whitespace().next().unwrap_or("");
        if (is_ipv4(ip) || is_ipv6(ip)) && !out.iter().any(|a| a == ip) {
            out.push(ip.to_string());
        }
    }
    out
}

/// A name or address safe as one word of bash's `/dev/PROTO/HOST/PORT` path.
fn plain_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

impl HostCheck {
    fn addresses(&self) -> Res<&Option<Vec<String>>> {
        self.addresses.get(|| {
            let out = run_argv(&self.target, &["getent", "ahosts", &self.hostname])?;
            Ok((out.exit_status == Some(0)).then(|| ahosts(&out.stdout)))
        })
    }

    fn ping(&self) -> Res<&(bool, String, String)> {
        self.ping.get(|| {
            let out = match self.protocol.as_str() {
                "tcp" | "udp" => {
                    let Some(port) = &self.port else {
                        return Err(ResourceError::Failed(format!(
                            "Protocol required with port. Use `host` resource with host('{}', port: 1234, proto: 'tcp') parameters.",
                            self.hostname
                        )));
                    };
                    let nc = ["nc", "ncat"]
                        .into_iter()
                        .map(|p| has_program(&self.target, p).map(|ok| ok.then_some(p)))
                        .find_map(Result::transpose)
                        .transpose()?;
                    match nc {
                        Some(nc) => {
                            let mut argv = vec![nc, "-v", "-w", "1"];
                            if self.protocol == "udp" {
                                argv.push("-u");
                            }
                            argv.extend([self.hostname.as_str(), port.as_str()]);
                            self.target.run(&format!("echo | {}", shell_line(&argv)))?
                        }
                        None => {
                            if !plain_word(&self.hostname) || !port.chars().all(|c| c.is_ascii_digit()) {
                                return Err(ResourceError::Failed(format!(
                                    "`host`: cannot test {}:{port} without netcat",
                                    self.hostname
                                )));
                            }
                            let probe = format!(
                                "< /dev/{}/{}/{port}",
                                self.protocol, self.hostname
                            );
                            run_argv(&self.target, &["timeout", "1", "bash", "-c", &probe])?
                        }
                    }
                }
                _ => run_argv(&self.target, &["ping", "-w", "1", "-c", "1", &self.hostname])?,
            };
            Ok((out.exit_status == Some(0), out.stderr, out.stdout))
        })
    }
}

impl Resource for HostCheck {
    fn name(&self) -> &str {
        "host"
    }

    fn to_s(&self) -> String {
        match &self.port {
            Some(p) => format!("Host {} port {p} proto {}", self.hostname, self.protocol),
            None => format!("Host {}", self.hostname),
        }
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let list = |pick: fn(&str) -> bool| -> Res<Value> {
            Ok(match self.addresses()? {
                Some(a) if !a.is_empty() => {
                    Value::Array(a.iter().filter(|x| pick(x)).map(Value::str).collect())
                }
                _ => Value::Array(Vec::new()),
            })
        };
        match method {
            "resolvable?" => Ok(Value::Bool(
                self.addresses()?.as_ref().is_some_and(|a| !a.is_empty()),
            )),
            "ipaddress" => Ok(match self.addresses()? {
                Some(a) if !a.is_empty() => Value::Array(a.iter().map(Value::str).collect()),
                _ => Value::Nil,
            }),
            "ipv4_address" => list(is_ipv4),
            "ipv6_address" => list(is_ipv6),
            "reachable?" => Ok(Value::Bool(self.ping()?.0)),
            "connection" => Ok(Value::str(&self.ping()?.1)),
            "socket" => Ok(Value::str(&self.ping()?.2)),
            "hostname" => Ok(Value::str(&self.hostname)),
            "port" => Ok(self.port.clone().map_or(Value::Nil, Value::Str)),
            "protocol" => Ok(Value::str(&self.protocol)),
            _ => Err(unsupported("host", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getent_lines_and_safe_words() {
        assert_eq!(
            ahosts("127.0.0.1       STREAM localhost\n127.0.0.1       DGRAM  \n::1             RAW    \nnot-an-ip x\n"),
            vec!["127.0.0.1".to_string(), "::1".into()]
        );
        assert!(plain_word("db-1.example.com") && plain_word("::1"));
        assert!(!plain_word("a;b") && !plain_word("$(x)") && !plain_word(""));
    }
}
