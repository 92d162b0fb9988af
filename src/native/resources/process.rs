//! `processes` (FilterTable over `ps`) and `port` (FilterTable over `ss -tulpn`).

use std::sync::Arc;

use crate::native::resources::support::{str_arg, table, table_call, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const PROCESSES_METHODS: &[&str] = &[
    "commands", "count", "cpus", "entries", "exist?", "exists?", "mem", "pids", "raw_data", "rss",
    "start", "states", "time", "tty", "users", "vsz", "where",
];

pub const PS: &str = "ps axo pid,pcpu,pmem,vsz,rss,tname,stat,start_time,time,user:32,command";
const PS_FIELDS: &[&str] = &[
    "pid", "cpu", "mem", "vsz", "rss", "tty", "stat", "start", "time", "user", "command",
];

/// `ps` rows: ten columns, then the command line with its spaces.
pub fn parse_ps(text: &str) -> Vec<Vec<Value>> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut rest = l.trim_start();
            let mut cols = Vec::with_capacity(11);
            for _ in 0..10 {
                let end = rest.find(char::is_whitespace)?;
                cols.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            let int = |s: &str| s.parse::<i64>().map_or(Value::Nil, Value::Int);
            Some(vec![
                int(cols[0]),
                Value::str(cols[1]),
                Value::str(cols[2]),
                int(cols[3]),
                int(cols[4]),
                Value::str(cols[5]),
                Value::str(cols[6]),
                Value::str(cols[7]),
                Value::str(cols[8]),
                Value::str(cols[9]),
                Value::str(rest),
            ])
        })
        .collect()
}

/// `processes('sshd')` (a regular expression, as InSpec makes of a String) or
/// `processes(/sshd/)`.
pub struct Processes {
    pattern: Value,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

/// A String given to `processes` names a program: InSpec's processes.rb anchors it as
/// `^(/[^/]*)*NAME(\s|$)` (a path may precede it, an argument or the end must follow),
/// so `processes('sshd')` matches `/usr/sbin/sshd -D` but not `sshd: root@pts/0` or
/// `grep sshd`. A String that starts with `/` is matched from the start as given.
fn command_pattern(name: &str) -> String {
    let path = if name.starts_with('/') {
        ""
    } else {
        "(/[^/]*)*"
    };
    format!("^{path}{name}(\\s|$)")
}

pub fn create_processes(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let pattern = match args.first() {
        None => Value::Regex {
            source: ".*".into(),
            flags: String::new(),
        },
        Some(v @ (Value::Str(_) | Value::Regex { .. })) => v.clone(),
        Some(v) => {
            return Err(ResourceError::Failed(format!(
                "`processes` takes a String or Regexp, not {}",
                v.class_name()
            )))
        }
    };
    Ok(Arc::new(Processes {
        pattern,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl Processes {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let (source, flags) = match &self.pattern {
                Value::Regex { source, flags } => (source.clone(), flags.as_str()),
                Value::Str(s) => (command_pattern(s), ""),
                _ => (".*".to_string(), ""),
            };
            let re = regex::RegexBuilder::new(&source)
                .case_insensitive(flags.contains('i'))
                .build()
                .map_err(|e| ResourceError::Failed(format!("processes: {e}")))?;
            let out = self.host.run(PS)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "`{PS}` failed: {}",
                    out.stderr.trim()
                )));
            }
            let rows = parse_ps(&out.stdout)
                .into_iter()
                .filter(|r| matches!(r.get(10), Some(Value::Str(c)) if re.is_match(c)))
                .collect();
            Ok(table(
                &self.to_s(),
                PS_FIELDS,
                &[
                    ("pids", "pid"),
                    ("cpus", "cpu"),
                    ("mem", "mem"),
                    ("vsz", "vsz"),
                    ("rss", "rss"),
                    ("tty", "tty"),
                    ("states", "stat"),
                    ("start", "start"),
                    ("time", "time"),
                    ("users", "user"),
                    ("commands", "command"),
                ],
                rows,
            ))
        })
    }
}

impl Resource for Processes {
    fn name(&self) -> &str {
        "processes"
    }

    fn to_s(&self) -> String {
        match &self.pattern {
            Value::Str(s) => format!("Processes {s}"),
            p => format!("Processes {p:?}"),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        table_call("processes", self.table()?, method, args)
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table()?.clone()))
    }
}

pub const PORT_METHODS: &[&str] = &[
    "addresses",
    "count",
    "entries",
    "exist?",
    "exists?",
    "listening?",
    "pids",
    "ports",
    "processes",
    "protocols",
    "raw_data",
    "where",
];

pub const SS: &str = "ss -tulpn";

/// `ss -tulpn` rows: port, address, protocol (`tcp`, `udp`, `tcp6`, `udp6`), process, pid.
pub fn parse_ss(text: &str) -> Vec<Vec<Value>> {
    text.lines()
        .filter(|l| !l.starts_with("Netid"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let netid = *f.first()?;
            let local = *f.get(4)?;
            let (addr, port) = local.rsplit_once(':')?;
            let port: i64 = port.parse().ok()?;
            let v6 = addr.starts_with('[') || addr.contains(':');
            let addr = addr.trim_start_matches('[').trim_end_matches(']');
            // `0.0.0.0%lo`: the interface is not part of the address.
            let addr = addr.split('%').next().unwrap_or(addr);
            let addr = if addr == "*" {
                if v6 {
                    "::"
                } else {
                    "0.0.0.0"
                }
            } else {
                addr
            };
            let protocol = format!("{netid}{}", if v6 { "6" } else { "" });
            let users = f.get(6..).map(|r| r.join(" ")).unwrap_or_default();
            let (process, pid) = ss_process(&users);
            Some(vec![
                Value::Int(port),
                Value::str(addr),
                Value::Str(protocol),
                process.map_or(Value::Nil, Value::Str),
                pid.map_or(Value::Nil, Value::Int),
            ])
        })
        .collect()
}

/// `users:(("sshd",pid=700,fd=3))` → ("sshd", 700).
fn ss_process(users: &str) -> (Option<String>, Option<i64>) {
    let name = users
        .split_once("((\"")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(n, _)| n.to_string());
    let pid = users
        .split_once("pid=")
        .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    (name, pid)
}

/// `port(22)` or `port('0.0.0.0', 22)`: the listening sockets on it; `port` without
/// arguments: every listening socket.
pub struct Port {
    address: Option<String>,
    port: Option<i64>,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_port(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let num = |v: Option<&Value>| match v {
        Some(Value::Int(n)) => Some(*n),
        Some(Value::Str(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let (address, port) = match args.len() {
        2 => (str_arg(args, 0), num(args.get(1))),
        _ => (None, num(args.first())),
    };
    if port.is_none() && !args.is_empty() {
        return Err(ResourceError::Failed("`port` needs a port number".into()));
    }
    Ok(Arc::new(Port {
        address,
        port,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl Port {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let out = self.host.run(SS)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Skip(format!(
                    "`ss -tulpn` is not available on this target: {}",
                    out.stderr.trim()
                )));
            }
            let rows = parse_ss(&out.stdout)
                .into_iter()
                .filter(|r| self.port.is_none_or(|p| r.first() == Some(&Value::Int(p))))
                .filter(|r| {
                    self.address
                        .as_ref()
                        .is_none_or(|a| r.get(1) == Some(&Value::str(a)))
                })
                .collect();
            Ok(table(
                &self.to_s(),
                &["port", "address", "protocol", "process", "pid"],
                &[
                    ("ports", "port"),
                    ("addresses", "address"),
                    ("protocols", "protocol"),
                    ("processes", "process"),
                    ("pids", "pid"),
                ],
                rows,
            ))
        })
    }
}

impl Resource for Port {
    fn name(&self) -> &str {
        "port"
    }

    fn to_s(&self) -> String {
        // InSpec's `"Port #{@port}"`: the address is not shown, no port is empty.
        format!(
            "Port {}",
            self.port.map(|p| p.to_string()).unwrap_or_default()
        )
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let t = self.table()?;
        match method {
            "listening?" => Ok(Value::Bool(!t.rows.is_empty())),
            _ => table_call("port", t, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table()?.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    #[test]
    fn port_is_named_as_inspec_names_it() {
        let h = host();
        let name = |args: &[Value]| create_port(args, &h).map(|r| r.to_s());
        assert_eq!(name(&[]), Ok("Port ".to_string()));
        assert_eq!(name(&[Value::Int(22)]), Ok("Port 22".to_string()));
        assert_eq!(
            name(&[Value::str("0.0.0.0"), Value::Int(22)]),
            Ok("Port 22".to_string())
        );
        assert!(name(&[Value::str("ssh")]).is_err());
    }

    #[test]
    fn ss_lines_parse() {
        let rows = parse_ss(
            "Netid State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n\
             udp UNCONN 0 0 127.0.0.1%lo:323 0.0.0.0:* users:((\"chronyd\",pid=600,fd=5))\n\
             tcp LISTEN 0 128 [::]:22 [::]:* users:((\"sshd\",pid=700,fd=4))\n\
             tcp LISTEN 0 128 *:80 *:*\n",
        );
        assert_eq!(
            rows[0],
            vec![
                Value::Int(323),
                Value::str("127.0.0.1"),
                Value::str("udp"),
                Value::str("chronyd"),
                Value::Int(600)
            ]
        );
        assert_eq!(rows[1][1], Value::str("::"));
        assert_eq!(rows[1][2], Value::str("tcp6"));
        assert_eq!(rows[2][3], Value::Nil);
        for junk in [
            "",
            "x",
            "tcp LISTEN 0 0 : :",
            "tcp a b c 1.2.3.4:99999999999999999999 x",
        ] {
            let _ = parse_ss(junk);
        }
    }

    #[test]
    fn a_real_listener_and_a_real_process() {
        let h = host();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let n = i64::from(listener.local_addr().unwrap().port());
        let p = create_port(&[Value::Int(n)], &h).unwrap();
        assert_eq!(p.to_s(), format!("Port {n}"));
        assert_eq!(p.call("listening?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(
            p.call("protocols", &[]).unwrap(),
            Value::Array(vec![Value::str("tcp")])
        );
        assert_eq!(
            p.call("addresses", &[]).unwrap(),
            Value::Array(vec![Value::str("127.0.0.1")])
        );
        assert_eq!(
            p.call("pids", &[]).unwrap(),
            Value::Array(vec![Value::Int(i64::from(std::process::id()))])
        );
        let other = create_port(&[Value::str("10.9.9.9"), Value::Int(n)], &h).unwrap();
        assert_eq!(other.call("listening?", &[]).unwrap(), Value::Bool(false));
        drop(listener);

        let mut child = std::process::Command::new("sleep")
            .arg("30.5551")
            .spawn()
            .unwrap();
        let r = create_processes(&[Value::str("sleep 30.5551")], &h).unwrap();
        let pids = r.call("pids", &[]).unwrap();
        let users = r.call("users", &[]).unwrap();
        let states = r.call("states", &[]).unwrap();
        // A String is anchored as InSpec anchors it: the program name, not any substring.
        for (name, found) in [("30.5551", false), ("sleep", true), ("sleep 30", false)] {
            let r = create_processes(&[Value::str(name)], &h).unwrap();
            let pids = r.call("pids", &[]).unwrap();
            let has =
                matches!(&pids, Value::Array(p) if p.contains(&Value::Int(i64::from(child.id()))));
            assert_eq!(has, found, "processes({name:?}): {pids:?}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(pids, Value::Array(vec![Value::Int(i64::from(child.id()))]));
        assert_eq!(users, Value::Array(vec![Value::str("root")]));
        assert!(
            matches!(&states, Value::Array(s) if matches!(&s[0], Value::Str(x) if x.starts_with('S')))
        );
        let none = create_processes(
            &[Value::Regex {
                source: "^airs-no-such-process$".into(),
                flags: String::new(),
            }],
            &h,
        )
        .unwrap();
        assert_eq!(none.call("exist?", &[]).unwrap(), Value::Bool(false));
        for junk in ["", "PID\n1 2", "h\n1 2 3 4 5 6 7 8 9 10"] {
            let _ = parse_ps(junk);
        }
    }
}
