//! `kernel_parameter` (from /proc/sys), `kernel_parameters` (`sysctl -a`) and
//! `kernel_module` (/proc/modules and `modprobe --showconfig`).

use std::sync::Arc;

use regex::Regex;

use crate::native::resources::support::{
    need_str, read_text, ruby_to_i, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, TablePredicate, Value};
use crate::transport::Host;

pub const PARAMETER_METHODS: &[&str] = &["value"];
pub const MODULE_METHODS: &[&str] = &[
    "blacklisted?",
    "disabled?",
    "enabled?",
    "loaded?",
    "version",
];

pub struct KernelParameter {
    /// `kernel_parameter`, or its deprecated alias `linux_kernel_parameter`.
    name: &'static str,
    parameter: String,
    host: Arc<Host>,
}

pub fn create_parameter(
    name: &'static str,
    args: &[Value],
    host: &Arc<Host>,
) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(KernelParameter {
        name,
        parameter: need_str(name, args, 0, "a parameter name")?,
        host: host.clone(),
    }))
}

/// The /proc/sys file of a parameter (`net.ipv4.ip_forward`, or already slashed).
pub fn parameter_path(parameter: &str) -> String {
    format!("/proc/sys/{}", parameter.replace('.', "/"))
}

/// InSpec's `sysctl -n` value: trimmed, an Integer when all digits.
pub fn parameter_value(text: &str) -> Value {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = t.parse() {
            return Value::Int(n);
        }
    }
    Value::str(t)
}

impl Resource for KernelParameter {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        format!("Kernel Parameter {}", self.parameter)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "value" => Ok(read_text(&self.host, &parameter_path(&self.parameter))?
                .map_or(Value::Nil, |t| parameter_value(&t))),
            _ => Err(unsupported(self.name, method)),
        }
    }
}

pub const PARAMETERS_METHODS: &[&str] = &[
    "count",
    "entries",
    "exist?",
    "exists?",
    "parameters",
    "raw_data",
    "values",
    "where",
];

/// kernel_parameters.rb's command line.
pub const SYSCTL_ALL: &str = "/sbin/sysctl -a";

/// `kernel_parameters`: a FilterTable of `parameter` and `value` (kernel_parameters.rb).
pub struct KernelParameters {
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_parameters(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(KernelParameters {
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// `sysctl -a` lines as kernel_parameters.rb reads them: split at `=`, both sides stripped,
/// the value through `to_i` (so `4096\t131072\t6291456` is 4096 and text is 0).
pub fn parameter_rows(stdout: &str) -> Vec<Vec<Value>> {
    stdout
        .lines()
        .map(|line| {
            let mut parts = line.split('=').map(str::trim);
            let name = parts.next().map_or(Value::Nil, Value::str);
            let value = parts.next().map_or(0, ruby_to_i);
            vec![name, Value::Int(value)]
        })
        .collect()
}

impl KernelParameters {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let out = self.host.run(SYSCTL_ALL)?;
            let rows = if out.exit_status == Some(0) {
                parameter_rows(&out.stdout)
            } else {
                Vec::new()
            };
            let mut t = table(
                "Kernel Parameters",
                &["parameter", "value"],
                &[("parameters", "parameter"), ("values", "value")],
                rows,
            );
            if let Some(t) = Arc::get_mut(&mut t) {
                t.predicates = vec![("exists?".into(), TablePredicate::NotEmpty)];
            }
            Ok(t)
        })
    }
}

impl Resource for KernelParameters {
    fn name(&self) -> &str {
        "kernel_parameters"
    }

    fn to_s(&self) -> String {
        "Kernel Parameters".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        table_call("kernel_parameters", self.table()?, method, args)
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table()?.clone()))
    }
}

/// modprobe's configuration; /sbin added because root's PATH over ssh may lack it.
pub const SHOWCONFIG: &str = "PATH=\"$PATH:/sbin:/usr/sbin\" modprobe --showconfig";

pub struct KernelModule {
    module: String,
    host: Arc<Host>,
    showconfig: Lazy<String>,
}

pub fn create_module(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(KernelModule {
        module: need_str("kernel_module", args, 0, "a module name")?,
        host: host.clone(),
        showconfig: Lazy::default(),
    }))
}

impl KernelModule {
    fn config(&self) -> Res<&String> {
        self.showconfig.get(|| {
            let out = self.host.run(SHOWCONFIG)?;
            Ok(out.stdout)
        })
    }

    fn disabled(&self) -> Res<bool> {
        Ok(module_disabled(self.config()?, &self.module))
    }

    fn blacklisted(&self) -> Res<bool> {
        Ok(module_blacklisted(self.config()?, &self.module))
    }
}

fn config_matches(config: &str, pattern: &str, module: &str) -> bool {
    let m = regex::escape(module);
    Regex::new(&format!("(?m){}", pattern.replace("MOD", &m))).is_ok_and(|re| re.is_match(config))
}

/// `install MOD /bin/true` (or false) in modprobe's configuration.
pub fn module_disabled(config: &str, module: &str) -> bool {
    config_matches(config, r"^install\s+MOD\s+/(s?)bin/(true|false)", module)
}

/// `blacklist MOD`, or disabled.
pub fn module_blacklisted(config: &str, module: &str) -> bool {
    config_matches(config, r"^blacklist\s+MOD", module) || module_disabled(config, module)
}

/// Whether `/proc/modules` lists `module` (what `lsmod` prints).
pub fn module_loaded(proc_modules: &str, module: &str) -> bool {
    proc_modules
        .lines()
        .any(|l| l.split_whitespace().next() == Some(module))
}

impl Resource for KernelModule {
    fn name(&self) -> &str {
        "kernel_module"
    }

    fn to_s(&self) -> String {
        format!("Kernel Module {}", self.module)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "loaded?" => Ok(Value::Bool(
                read_text(&self.host, "/proc/modules")?
                    .is_some_and(|t| module_loaded(&t, &self.module)),
            )),
            "disabled?" => Ok(Value::Bool(self.disabled()?)),
            "blacklisted?" => Ok(Value::Bool(self.blacklisted()?)),
            "enabled?" => Ok(Value::Bool(!self.blacklisted()?)),
            "version" => {
                let out = run_argv(
                    &self.host,
                    &[
                        "sh",
                        "-c",
                        r#"PATH="$PATH:/sbin:/usr/sbin" exec modinfo -F version "$1""#,
                        "sh",
                        &self.module,
                    ],
                )?;
                Ok(if out.exit_status == Some(0) {
                    Value::Str(out.stdout.replace('\n', ""))
                } else {
                    Value::Nil
                })
            }
            _ => Err(unsupported("kernel_module", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    #[test]
    fn parameters_match_proc_sys() {
        let h = host();
        for (name, file) in [
            ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
            ("kernel.ostype", "/proc/sys/kernel/ostype"),
            (
                "net.ipv4.ip_local_port_range",
                "/proc/sys/net/ipv4/ip_local_port_range",
            ),
        ] {
            let want = std::fs::read_to_string(file).unwrap();
            let r = create_parameter("kernel_parameter", &[Value::str(name)], &h).unwrap();
            let got = r.call("value", &[]).unwrap();
            match got {
                Value::Int(n) => assert_eq!(n.to_string(), want.trim()),
                Value::Str(s) => assert_eq!(s, want.trim()),
                v => panic!("{v:?}"),
            }
        }
        let r = create_parameter("kernel_parameter", &[Value::str("kernel.ostype")], &h).unwrap();
        assert_eq!(r.call("value", &[]).unwrap(), Value::str("Linux"));
        assert_eq!(r.to_s(), "Kernel Parameter kernel.ostype");
        let r =
            create_parameter("kernel_parameter", &[Value::str("no.such.parameter")], &h).unwrap();
        assert_eq!(r.call("value", &[]).unwrap(), Value::Nil);
        assert_eq!(parameter_value("-1"), Value::str("-1"));
        assert_eq!(parameter_value("0\n"), Value::Int(0));
    }

    #[test]
    fn sysctl_lines_become_rows_as_ruby_reads_them() {
        let rows = parameter_rows(
            "net.ipv4.tcp_rmem = 4096\t131072\t6291456\nkernel.ostype = Linux\nvm.x = -1\nodd\n",
        );
        let values: Vec<Value> = rows.iter().map(|r| r[1].clone()).collect();
        assert_eq!(
            values,
            [
                Value::Int(4096),
                Value::Int(0),
                Value::Int(-1),
                Value::Int(0)
            ]
        );
        assert_eq!(rows[0][0], Value::str("net.ipv4.tcp_rmem"));
        assert_eq!(rows[3][0], Value::str("odd"));
    }

    #[test]
    fn modules_from_proc_modules_and_modprobe() {
        let config =
            "blacklist usb_storage\ninstall cramfs /bin/true\ninstall udf /sbin/modprobe x\n";
        assert!(module_disabled(config, "cramfs") && module_blacklisted(config, "cramfs"));
        assert!(
            !module_disabled(config, "usb_storage") && module_blacklisted(config, "usb_storage")
        );
        assert!(!module_disabled(config, "udf") && !module_blacklisted(config, "udf"));
        // InSpec's pattern has no end anchor: a prefix matches too.
        assert!(module_blacklisted(config, "usb"));
        let text = "ext4 1 0 - Live 0x0\nnf_tables 2 0 - Live 0x0\n";
        assert!(module_loaded(text, "ext4"));
        assert!(!module_loaded(text, "ext"));
        let h = host();
        let proc_modules = std::fs::read_to_string("/proc/modules").unwrap_or_default();
        if let Some(first) = proc_modules.split_whitespace().next() {
            let r = create_module(&[Value::str(first)], &h).unwrap();
            assert_eq!(r.call("loaded?", &[]).unwrap(), Value::Bool(true));
        }
        // End to end through modprobe, where installed (Debian's kmod).
        if std::path::Path::new("/etc/modprobe.d").is_dir()
            && std::process::Command::new("modprobe")
                .arg("--version")
                .output()
                .is_ok()
        {
            let id = std::process::id();
            let conf = format!("/etc/modprobe.d/airs-test-{id}.conf");
            std::fs::write(
                &conf,
                format!("install airs_off_{id} /bin/false\nblacklist airs_bl_{id}\n"),
            )
            .unwrap();
            let off = create_module(&[Value::str(format!("airs_off_{id}"))], &h).unwrap();
            let bl = create_module(&[Value::str(format!("airs_bl_{id}"))], &h).unwrap();
            let answers = (
                off.call("disabled?", &[]),
                bl.call("disabled?", &[]),
                bl.call("blacklisted?", &[]),
                bl.call("enabled?", &[]),
            );
            std::fs::remove_file(&conf).unwrap();
            assert_eq!(
                answers,
                (
                    Ok(Value::Bool(true)),
                    Ok(Value::Bool(false)),
                    Ok(Value::Bool(true)),
                    Ok(Value::Bool(false))
                )
            );
        }
        let r = create_module(&[Value::str("no_such_module_x")], &h).unwrap();
        assert_eq!(r.call("loaded?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(r.call("disabled?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(r.call("version", &[]).unwrap(), Value::Nil);
        assert_eq!(r.to_s(), "Kernel Module no_such_module_x");
    }
}
