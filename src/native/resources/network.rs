//! Network interfaces on Linux: `interface` (state, speed, addresses from /sys/class/net
//! and `ip -br address`), `interfaces` (the names, a FilterTable), `bond`
//! (/proc/net/bonding/NAME) and `bridge` (/sys/class/net/NAME/brif), as InSpec's
//! resources/interface.rb, interfaces.rb, bond.rb and bridge.rb read them.

use std::sync::Arc;

use crate::native::resources::simple_config::{self, Assign, Options};
use crate::native::resources::support::{
    need_str, read_text, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const INTERFACE_METHODS: &[&str] = &[
    "exist?",
    "exists?",
    "up?",
    "name",
    "speed",
    "ipv4_address?",
    "ipv6_address?",
    "ipv4_address",
    "ipv6_address",
    "ipv4_addresses",
    "ipv6_addresses",
    "ipv4_addresses_netmask",
    "ipv4_cidrs",
    "ipv6_cidrs",
];

pub const INTERFACES_METHODS: &[&str] =
    &["names", "where", "entries", "count", "exist?", "raw_data"];

pub const BOND_METHODS: &[&str] = &[
    "exist?",
    "content",
    "params",
    "has_interface?",
    "interfaces",
    "mode",
];

pub const BRIDGE_METHODS: &[&str] = &["exist?", "exists?", "has_interface?", "interfaces"];

/// An interface name is one path component.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

/// A /sys file's first line, None when missing or unreadable (lo's `speed` fails).
fn sys_value(host: &Host, path: &str) -> Option<String> {
    read_text(host, path)
        .ok()
        .flatten()
        .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
}

struct IfaceInfo {
    up: bool,
    speed: Option<i64>,
    ipv4: Vec<String>,
    ipv6: Vec<String>,
}

pub struct Interface {
    name: String,
    host: Arc<Host>,
    info: Lazy<Option<IfaceInfo>>,
}

pub fn create_interface(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Interface {
        name: need_str("interface", args, 0, "an interface name")?,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

/// `ip -br -4 address show dev X`: `name state addr/len addr/len...`; the last line wins.
pub fn brief_addresses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        out = line
            .split_whitespace()
            .skip(2)
            .map(str::to_string)
            .collect();
    }
    out
}

/// `a.b.c.d/len` as `a.b.c.d/m.m.m.m` (interface.rb `ipv4_addresses_netmask`).
fn with_netmask(cidr: &str) -> String {
    let (addr, len) = cidr.split_once('/').unwrap_or((cidr, "0"));
    let len: u32 = len.parse::<u32>().unwrap_or(0).min(32);
    let mask: u32 = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let m = mask.to_be_bytes();
    format!("{addr}/{}.{}.{}.{}", m[0], m[1], m[2], m[3])
}

impl Interface {
    fn info(&self) -> Res<&Option<IfaceInfo>> {
        self.info.get(|| {
            if !valid_name(&self.name) {
                return Ok(None);
            }
            let dir = format!("/sys/class/net/{}", self.name);
            let Some(operstate) = sys_value(&self.host, &format!("{dir}/operstate")) else {
                return Ok(None);
            };
            let speed =
                sys_value(&self.host, &format!("{dir}/speed")).and_then(|s| s.parse::<i64>().ok());
            let addrs = |v: &str| -> Res<Vec<String>> {
                let out = run_argv(
                    &self.host,
                    &["/sbin/ip", "-br", v, "address", "show", "dev", &self.name],
                )?;
                Ok(if out.exit_status == Some(0) {
                    brief_addresses(&out.stdout)
                } else {
                    Vec::new()
                })
            };
            Ok(Some(IfaceInfo {
                up: operstate == "up",
                speed,
                ipv4: addrs("-4")?,
                ipv6: addrs("-6")?,
            }))
        })
    }
}

fn strs<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().map(Value::str).collect())
}

fn address(cidr: &str) -> String {
    cidr.split('/').next().unwrap_or("").to_string()
}

impl Resource for Interface {
    fn name(&self) -> &str {
        "interface"
    }

    fn to_s(&self) -> String {
        format!("Interface {}", self.name)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !INTERFACE_METHODS.contains(&method) {
            return Err(unsupported("interface", method));
        }
        let info = self.info()?;
        let Some(i) = info else {
            return Ok(match method {
                "exist?" | "exists?" | "up?" => Value::Bool(false),
                _ => Value::Nil,
            });
        };
        let v4: Vec<String> = i.ipv4.iter().map(|c| address(c)).collect();
        let v6: Vec<String> = i.ipv6.iter().map(|c| address(c)).collect();
        Ok(match method {
            "exist?" | "exists?" => Value::Bool(true),
            "up?" => Value::Bool(i.up),
            "name" => Value::str(&self.name),
            "speed" => i.speed.map_or(Value::Nil, Value::Int),
            "ipv4_address?" => Value::Bool(!v4.is_empty()),
            "ipv6_address?" => Value::Bool(!v6.is_empty()),
            "ipv4_address" => v4.first().map_or(Value::Nil, Value::str),
            "ipv6_address" => v6.first().map_or(Value::Nil, Value::str),
            "ipv4_addresses" => strs(&v4),
            "ipv6_addresses" => strs(&v6),
            "ipv4_addresses_netmask" => {
                Value::Array(i.ipv4.iter().map(|c| Value::Str(with_netmask(c))).collect())
            }
            "ipv4_cidrs" => strs(&i.ipv4),
            _ => strs(&i.ipv6),
        })
    }
}

pub struct Interfaces {
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_interfaces(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Interfaces {
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl Interfaces {
    fn rows(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let out = run_argv(&self.host, &["ls", "/sys/class/net"])?;
            let rows = out
                .stdout
                .lines()
                .filter(|l| !l.is_empty())
                .map(|n| vec![Value::str(n)])
                .collect();
            Ok(table("Interfaces", &["name"], &[("names", "name")], rows))
        })
    }
}

impl Resource for Interfaces {
    fn name(&self) -> &str {
        "interfaces"
    }

    fn to_s(&self) -> String {
        "Interfaces".into()
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.rows()?.clone()))
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if !INTERFACES_METHODS.contains(&method) {
            return Err(unsupported("interfaces", method));
        }
        table_call("interfaces", self.rows()?, method, args)
    }
}

pub struct Bond {
    name: String,
    host: Arc<Host>,
    loaded: Lazy<(Option<String>, Value)>,
}

pub fn create_bond(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Bond {
        name: need_str("bond", args, 0, "a bond name")?,
        host: host.clone(),
        loaded: Lazy::default(),
    }))
}

impl Bond {
    /// The file's text and, when it exists, its `Key: value` lines (several values each).
    fn loaded(&self) -> Res<&(Option<String>, Value)> {
        self.loaded.get(|| {
            let text = if valid_name(&self.name) {
                read_text(&self.host, &format!("/proc/net/bonding/{}", self.name))?
            } else {
                None
            };
            let params = match &text {
                Some(t) => simple_config::parse(
                    t,
                    &Options {
                        assign: Assign::Custom(
                            regex::Regex::new(r"^\s*([^:]*?)\s*:\s*(.*?)\s*$").expect("valid"),
                        ),
                        multiple_values: true,
                        ..Options::default()
                    },
                ),
                None => Value::Hash(Vec::new()),
            };
            Ok((text, params))
        })
    }

    fn key(&self, key: &str) -> Res<Value> {
        Ok(self
            .loaded()?
            .1
            .hash_get(&Value::str(key))
            .cloned()
            .unwrap_or(Value::Nil))
    }
}

impl Resource for Bond {
    fn name(&self) -> &str {
        "bond"
    }

    fn to_s(&self) -> String {
        format!("Bond {}", self.name)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "exist?" => Ok(Value::Bool(self.loaded()?.0.is_some())),
            "content" => Ok(self.loaded()?.0.clone().map_or(Value::Nil, Value::Str)),
            "params" => Ok(self.loaded()?.1.clone()),
            "interfaces" => self.key("Slave Interface"),
            "has_interface?" => Ok(Value::Bool(match self.key("Slave Interface")? {
                Value::Array(items) => args.first().is_some_and(|a| items.contains(a)),
                _ => false,
            })),
            "mode" => Ok(match self.key("Bonding Mode")? {
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Nil),
                _ => Value::Nil,
            }),
            _ => Err(unsupported("bond", method)),
        }
    }
}

pub struct Bridge {
    name: String,
    host: Arc<Host>,
    interfaces: Lazy<Option<Vec<String>>>,
}

pub fn create_bridge(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Bridge {
        name: need_str("bridge", args, 0, "a bridge name")?,
        host: host.clone(),
        interfaces: Lazy::default(),
    }))
}

impl Bridge {
    fn interfaces(&self) -> Res<&Option<Vec<String>>> {
        self.interfaces.get(|| {
            let linux = crate::native::resources::os::detect(&self.host)?.is("linux");
            if !linux {
                return Err(ResourceError::Skip(
                    "The `bridge` resource is not supported on your OS yet.".into(),
                ));
            }
            if !valid_name(&self.name) {
                return Ok(None);
            }
            let dir = format!("/sys/class/net/{}/bridge", self.name);
            let is_dir = self.host.stat(&dir)?.is_some_and(|i| {
                i.kind == "directory" || i.target_kind.as_deref() == Some("directory")
            });
            if !is_dir {
                return Ok(None);
            }
            let brif = format!("/sys/class/net/{}/brif/", self.name);
            let out = run_argv(&self.host, &["ls", "-1", &brif])?;
            Ok(Some(out.stdout.lines().map(str::to_string).collect()))
        })
    }
}

impl Resource for Bridge {
    fn name(&self) -> &str {
        "bridge"
    }

    fn to_s(&self) -> String {
        format!("Bridge {}", self.name)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(self.interfaces()?.is_some())),
            "interfaces" => Ok(self.interfaces()?.as_ref().map_or(Value::Nil, strs)),
            "has_interface?" => Ok(Value::Bool(self.interfaces()?.as_ref().is_some_and(|i| {
                args.first()
                    .is_some_and(|a| i.iter().any(|x| Value::str(x) == *a))
            }))),
            _ => Err(unsupported("bridge", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_netmasks() {
        assert_eq!(
            brief_addresses("eth0             UP             10.0.2.15/24 192.168.1.5/16 \n"),
            vec!["10.0.2.15/24".to_string(), "192.168.1.5/16".into()]
        );
        assert!(brief_addresses("").is_empty());
        assert_eq!(with_netmask("10.0.2.15/24"), "10.0.2.15/255.255.255.0");
        assert_eq!(with_netmask("10.0.2.15/0"), "10.0.2.15/0.0.0.0");
        assert_eq!(with_netmask("1.2.3.4/32"), "1.2.3.4/255.255.255.255");
        assert_eq!(with_netmask("1.2.3.4/x"), "1.2.3.4/0.0.0.0");
        assert!(!valid_name("../etc") && !valid_name("") && valid_name("eth0"));
    }
}
