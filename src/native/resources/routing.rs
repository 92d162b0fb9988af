//! `routing_table` and `default_gateway`: the target's `netstat -rn`, read as InSpec's
//! resources/routing_table.rb and default_gateway.rb read it (destination → every
//! gateway and interface routed to it, in the table's order).

use std::sync::Arc;

use crate::native::resources::os::skip_unless_platform;
use crate::native::resources::support::{first_program, run_argv, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::methods::to_s;
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const ROUTING_TABLE_METHODS: &[&str] = &["has_entry?"];
pub const DEFAULT_GATEWAY_METHODS: &[&str] = &["has_entry?", "interface", "ipaddress"];

/// Destination → its (gateway, interface) pairs, destinations in first-seen order.
pub type Routes = Vec<(String, Vec<(String, String)>)>;

pub struct RoutingTable {
    name: &'static str,
    host: Arc<Host>,
    routes: Lazy<Routes>,
}

pub fn create(name: &'static str, host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(RoutingTable {
        name,
        host: host.clone(),
        routes: Lazy::default(),
    }))
}

/// routing_table.rb's `fetch_routing_information` on `netstat -rn` output: lines before the
/// header naming `Destination` are dropped; columns are found by header name
/// (Destination, Gateway, Iface/Netif/Interface), case-insensitively.
pub fn parse_netstat_rn(stdout: &str, windows: bool) -> Routes {
    let mut lines = stdout
        .split('\n')
        .skip_while(|l| !l.to_lowercase().contains("destination"));
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let mut header: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    if windows && !header.is_empty() {
        header.remove(0);
    }
    let find = |pred: &dyn Fn(&str) -> bool| {
        // A later header matching an earlier column's test does not move it (InSpec's
        // if/elsif chain keeps the last match of each).
        header.iter().rposition(|h| pred(h))
    };
    let dest = find(&|h| h.contains("destination"));
    let gw = find(&|h| !h.contains("destination") && h.contains("gateway"));
    let iface = find(&|h| {
        !h.contains("destination")
            && !h.contains("gateway")
            && (h.contains("iface") || h.contains("netif") || h.contains("interface"))
    });
    let (Some(dest), Some(gw), Some(iface)) = (dest, gw, iface) else {
        return Vec::new();
    };
    let mut routes: Routes = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(d), Some(g), Some(i)) = (f.get(dest), f.get(gw), f.get(iface)) else {
            continue;
        };
        let pair = (g.to_string(), i.to_string());
        match routes.iter_mut().find(|(k, _)| k == d) {
            Some((_, pairs)) => pairs.push(pair),
            None => routes.push((d.to_string(), vec![pair])),
        }
    }
    routes
}

impl RoutingTable {
    fn routes(&self) -> Res<&Routes> {
        self.routes.get(|| {
            let message = format!(
                "The `{}` resource is not yet available on your OS.",
                self.name
            );
            skip_unless_platform(&self.host, &["unix", "windows"], &message)?;
            let netstat = first_program(
                &self.host,
                &[
                    "/usr/sbin/netstat",
                    "/sbin/netstat",
                    "/usr/bin/netstat",
                    "/bin/netstat",
                    "netstat",
                ],
                "Could not find `netstat` utility to view routing table information",
            )?;
            let out = run_argv(&self.host, &[netstat, "-rn"])?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "Executing netstat failed: {}",
                    out.stderr
                )));
            }
            let windows = crate::native::resources::os::detect(&self.host)?.is("windows");
            Ok(parse_netstat_rn(&out.stdout, windows))
        })
    }

    /// The first route to `default`, else to `0.0.0.0` (default_gateway.rb).
    fn default_route(&self) -> Res<&(String, String)> {
        let routes = self.routes()?;
        ["default", "0.0.0.0"]
            .iter()
            .find_map(|d| routes.iter().find(|(k, _)| k == d))
            .and_then(|(_, pairs)| pairs.first())
            .ok_or_else(|| {
                ResourceError::Failed("No routing found as part of default gateway".into())
            })
    }

    fn has_entry(&self, args: &[Value]) -> Res<bool> {
        // The table is read in InSpec's constructor: its failure comes before the keys'.
        let routes = self.routes()?;
        let get = |k: &str| match args.first() {
            Some(h @ Value::Hash(_)) => h
                .hash_get(&Value::Sym(k.into()))
                .filter(|v| !matches!(v, Value::Nil)),
            _ => None,
        };
        let (Some(d), Some(g), Some(i)) = (get("destination"), get("gateway"), get("interface"))
        else {
            return Err(ResourceError::Skip(
                "One or more missing key, have_entry? matcher expects a hash with 3 keys: \
                 destination, gateway and interface"
                    .into(),
            ));
        };
        let (d, g, i) = (to_s(d), to_s(g), to_s(i));
        Ok(routes
            .iter()
            .find(|(k, _)| *k == d)
            .is_some_and(|(_, pairs)| pairs.iter().any(|(pg, pi)| *pg == g && *pi == i)))
    }
}

impl Resource for RoutingTable {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        self.name.to_string()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match (method, self.name) {
            ("has_entry?", _) => Ok(Value::Bool(self.has_entry(args)?)),
            ("ipaddress", "default_gateway") => Ok(Value::str(&self.default_route()?.0)),
            ("interface", "default_gateway") => Ok(Value::str(&self.default_route()?.1)),
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstat_tables_parse_by_header() {
        let linux = "Kernel IP routing table\nDestination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n\
                     0.0.0.0         10.0.2.2        0.0.0.0         UG        0 0          0 eth0\n\
                     10.0.2.0        0.0.0.0         255.255.255.0   U         0 0          0 eth0\n\
                     10.0.2.0        0.0.0.0         255.255.255.0   U         0 0          0 eth1\n";
        let r = parse_netstat_rn(linux, false);
        assert_eq!(
            r[0],
            ("0.0.0.0".into(), vec![("10.0.2.2".into(), "eth0".into())])
        );
        assert_eq!(r[1].1.len(), 2);
        let bsd = "Routing tables\n\nInternet:\nDestination        Gateway            Flags     Netif Expire\n\
                   default            192.168.1.1        UGS         em0\n";
        assert_eq!(
            parse_netstat_rn(bsd, false),
            vec![("default".into(), vec![("192.168.1.1".into(), "em0".into())])]
        );
        assert!(parse_netstat_rn("", false).is_empty());
        assert!(parse_netstat_rn("Destination Flags\nx y\n", false).is_empty());
    }
}
