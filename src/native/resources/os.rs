//! The target's platform: `os` (name, family, release, arch and train's family predicates
//! from /etc/os-release and `uname`), `os_env`, `sys_info`, `virtualization`.

use std::sync::Arc;

use crate::native::resources::support::{opt_str, read_text, str_arg, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

/// What train's platform detection says of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub name: String,
    /// The family chain, nearest first: `["debian", "linux", "unix", "os"]`.
    pub families: Vec<String>,
    pub release: String,
    pub arch: String,
}

impl Platform {
    pub fn family(&self) -> &str {
        self.families.first().map_or("", String::as_str)
    }

    /// `os.debian?`, `os.linux?`, `os.ubuntu?`: the name or any family.
    pub fn is(&self, what: &str) -> bool {
        self.name == what || self.families.iter().any(|f| f == what)
    }
}

/// What platform detection reads (see [`detect`]).
pub const UNAME: &str = "uname -s; uname -m";
pub const OS_RELEASE: &str = "/etc/os-release";
pub const DEBIAN_VERSION: &str = "/etc/debian_version";

/// Reads the platform of `host` (os-release and uname, both cached by the host).
pub fn detect(host: &Host) -> Res<Platform> {
    let uname = host.run(UNAME)?;
    let mut lines = uname.stdout.lines();
    let kernel = lines.next().unwrap_or("").trim().to_string();
    let arch = lines.next().unwrap_or("").trim().to_string();
    if kernel != "Linux" {
        let (name, families): (&str, &[&str]) = match kernel.as_str() {
            "Darwin" => ("mac_os_x", &["darwin", "bsd", "unix", "os"]),
            "FreeBSD" => ("freebsd", &["bsd", "unix", "os"]),
            "OpenBSD" => ("openbsd", &["bsd", "unix", "os"]),
            "NetBSD" => ("netbsd", &["bsd", "unix", "os"]),
            "SunOS" => ("solaris", &["solaris", "unix", "os"]),
            "AIX" => ("aix", &["aix", "unix", "os"]),
            "HP-UX" => ("hpux", &["hpux", "unix", "os"]),
            _ => {
                return Err(ResourceError::Failed(format!(
                    "cannot tell the platform (uname -s: {kernel:?})"
                )))
            }
        };
        let release = host.run("uname -r")?.stdout.trim().to_string();
        return Ok(Platform {
            name: name.into(),
            families: families.iter().map(|s| s.to_string()).collect(),
            release,
            arch,
        });
    }
    let os_release = read_text(host, OS_RELEASE)?.unwrap_or_default();
    let mut p = linux_platform(&os_release, arch);
    if p.name == "debian" {
        // train reads Debian's point release from here (`12.5`, not os-release's `12`).
        if let Some(v) = read_text(host, DEBIAN_VERSION)? {
            p.release = v.trim().to_string();
        }
    }
    Ok(p)
}

/// A Linux platform from /etc/os-release text, named and grouped as train does.
pub fn linux_platform(os_release: &str, arch: String) -> Platform {
    let field = |key: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').trim_matches('\'').to_string())
            .unwrap_or_default()
    };
    let id = field("ID").to_lowercase();
    let like = field("ID_LIKE").to_lowercase();
    let name = match id.as_str() {
        "rhel" => "redhat".to_string(),
        "ol" => "oracle".into(),
        "amzn" => "amazon".into(),
        "sles" | "sled" => "suse".into(),
        i if i.starts_with("opensuse") => "opensuse".into(),
        "" => "linux".into(),
        i => i.into(),
    };
    let family = match name.as_str() {
        "debian" | "ubuntu" | "linuxmint" | "raspbian" | "kali" => Some("debian"),
        "redhat" | "centos" | "rocky" | "almalinux" | "oracle" | "scientific" | "amazon"
        | "cloudlinux" => Some("redhat"),
        "fedora" => Some("fedora"),
        "suse" | "opensuse" => Some("suse"),
        "alpine" => Some("alpine"),
        "arch" => Some("arch"),
        "gentoo" => Some("gentoo"),
        _ if like.contains("debian") || like.contains("ubuntu") => Some("debian"),
        _ if like.contains("rhel") || like.contains("centos") || like.contains("fedora") => {
            Some("redhat")
        }
        _ if like.contains("suse") => Some("suse"),
        _ => None,
    };
    let mut families: Vec<String> = family.map(str::to_string).into_iter().collect();
    families.extend(["linux", "unix", "os"].map(String::from));
    Platform {
        name,
        families,
        release: field("VERSION_ID"),
        arch,
    }
}

pub const OS_METHODS: &[&str] = &[
    "[]",
    "aix?",
    "alpine?",
    "amazon?",
    "arch",
    "arch?",
    "bsd?",
    "centos?",
    "darwin?",
    "debian?",
    "families",
    "family",
    "fedora?",
    "freebsd?",
    "gentoo?",
    "hpux?",
    "in_family?",
    "linux?",
    "mac_os_x?",
    "name",
    "oracle?",
    "params",
    "platform?",
    "redhat?",
    "release",
    "resource_id",
    "rocky?",
    "solaris?",
    "suse?",
    "ubuntu?",
    "unix?",
    "windows?",
];

/// What `platform` answers (resources/platform.rb); `os` adds the family predicates.
pub const PLATFORM_METHODS: &[&str] = &[
    "[]",
    "arch",
    "families",
    "family",
    "in_family?",
    "name",
    "params",
    "platform?",
    "release",
    "resource_id",
];

/// `os` and `platform`: one detected platform. `os` (OSResource < PlatformResource) adds
/// train's family predicates (`linux?`) and its own wording.
pub struct Os {
    host: Arc<Host>,
    platform: Lazy<Platform>,
    kind: &'static str,
}

pub fn create_os(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Os {
        host: host.clone(),
        platform: Lazy::default(),
        kind: "os",
    }))
}

pub fn create_platform(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Os {
        host: host.clone(),
        platform: Lazy::default(),
        kind: "platform",
    }))
}

impl Resource for Os {
    fn name(&self) -> &str {
        self.kind
    }

    fn to_s(&self) -> String {
        match self.kind {
            "os" => "Operating System Detection".into(),
            _ => "Platform Detection".into(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let methods = if self.kind == "os" {
            OS_METHODS
        } else {
            PLATFORM_METHODS
        };
        if !methods.contains(&method) {
            return Err(unsupported(self.kind, method));
        }
        let p = self.platform.get(|| detect(&self.host))?;
        let families = || Value::Array(p.families.iter().map(Value::str).collect());
        Ok(match method {
            "name" => Value::str(&p.name),
            "family" => Value::str(p.family()),
            "families" => families(),
            "release" => Value::str(&p.release),
            "arch" => Value::str(&p.arch),
            "resource_id" => Value::str(&p.name),
            // platform.rb: `name` or any of the family hierarchy / the hierarchy only.
            "platform?" => Value::Bool(str_arg(args, 0).is_some_and(|n| p.is(&n))),
            "in_family?" => Value::Bool(str_arg(args, 0).is_some_and(|f| p.families.contains(&f))),
            // `platform[:family]`: train's platform hash; unknown keys are nil.
            "[]" => match str_arg(args, 0).as_deref() {
                Some("name") => Value::str(&p.name),
                Some("family") => Value::str(p.family()),
                Some("release") => Value::str(&p.release),
                Some("arch") => Value::str(&p.arch),
                Some("family_hierarchy" | "families") => families(),
                _ => Value::Nil,
            },
            // platform.rb's params, which os inherits.
            "params" => Value::Hash(vec![
                (Value::Sym("name".into()), Value::str(&p.name)),
                (Value::Sym("families".into()), families()),
                (Value::Sym("release".into()), Value::str(&p.release)),
                (Value::Sym("arch".into()), Value::str(&p.arch)),
            ]),
            pred => Value::Bool(p.is(pred.trim_end_matches('?'))),
        })
    }
}

pub const OS_ENV_METHODS: &[&str] = &["content", "split"];

/// `os_env('PATH')`: a variable of the environment commands run with on the target.
pub struct OsEnv {
    var: Option<String>,
    host: Arc<Host>,
}

pub fn create_os_env(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(OsEnv {
        var: str_arg(args, 0),
        host: host.clone(),
    }))
}

impl OsEnv {
    fn content(&self) -> Res<Option<String>> {
        let Some(var) = &self.var else {
            return Ok(None);
        };
        let out = self.host.run("env")?;
        if out.exit_status != Some(0) {
            return Err(ResourceError::Skip(format!(
                "Can't read environment variables. Error: {}",
                out.stderr.trim()
            )));
        }
        let prefix = format!("{var}=");
        Ok(out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(str::to_string))
    }
}

impl Resource for OsEnv {
    fn name(&self) -> &str {
        "os_env"
    }

    fn to_s(&self) -> String {
        match &self.var {
            Some(v) => format!("Environment variable {v}"),
            None => "Environment variables".into(),
        }
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "content" => Ok(opt_str(self.content()?.as_deref())),
            // Ruby's split(":", -1) keeps empty entries (`a::b`), which name the current
            // directory in PATH; an empty value has none.
            "split" => Ok(Value::Array(match self.content()? {
                Some(c) if !c.is_empty() => c.split(':').map(Value::str).collect(),
                _ => Vec::new(),
            })),
            _ => Err(unsupported("os_env", method)),
        }
    }
}

pub const SYS_INFO_METHODS: &[&str] = &[
    "domain",
    "fqdn",
    "hostname",
    "ip_address",
    "manufacturer",
    "model",
    "short",
];

pub struct SysInfo {
    host: Arc<Host>,
}

pub fn create_sys_info(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(SysInfo { host: host.clone() }))
}

impl Resource for SysInfo {
    fn name(&self) -> &str {
        "sys_info"
    }

    fn to_s(&self) -> String {
        "System Information".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let run = |cmd: &str| -> Res<Value> {
            let out = self.host.run(cmd)?;
            Ok(if out.exit_status == Some(0) {
                Value::str(out.stdout.trim())
            } else {
                Value::Nil
            })
        };
        let dmi = |file: &str| -> Res<Value> {
            Ok(opt_str(
                read_text(&self.host, &format!("/sys/class/dmi/id/{file}"))?
                    .as_deref()
                    .map(str::trim),
            ))
        };
        // sys_info.rb `hostname(opt)`: the option's spellings and `hostname`'s flags.
        let flag = |opt: &str| match opt {
            "f" | "long" | "fqdn" | "full" => Some("hostname -f"),
            "d" | "domain" => Some("hostname -d"),
            "i" | "ip_address" => Some("hostname -I"),
            "s" | "short" => Some("hostname -s"),
            _ => None,
        };
        match method {
            "hostname" => match str_arg(args, 0) {
                None => run("hostname"),
                Some(opt) => match flag(&opt) {
                    Some(cmd) => run(cmd),
                    None => Err(ResourceError::Skip(
                        "The `sys_info.hostname` resource is not supported with that option on your OS."
                            .into(),
                    )),
                },
            },
            "fqdn" | "domain" | "ip_address" | "short" => run(flag(method).unwrap_or("hostname")),
            "manufacturer" => dmi("sys_vendor"),
            "model" => dmi("product_name"),
            _ => Err(unsupported("sys_info", method)),
        }
    }
}

pub const VIRTUALIZATION_METHODS: &[&str] = &[
    "params",
    "physical_system?",
    "role",
    "system",
    "virtual_system?",
];

/// `virtualization`: containers first (what a check inside one most needs to know), then
/// the hypervisor from `systemd-detect-virt` or the DMI product name.
pub struct Virtualization {
    host: Arc<Host>,
    found: Lazy<Option<(String, String)>>,
}

pub fn create_virtualization(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Virtualization {
        host: host.clone(),
        found: Lazy::default(),
    }))
}

impl Virtualization {
    fn detect(&self) -> Res<Option<(String, String)>> {
        let guest = |s: &str| Ok(Some((s.to_string(), "guest".to_string())));
        let cgroup = read_text(&self.host, "/proc/1/cgroup")?.unwrap_or_default();
        if self.host.stat("/.dockerenv")?.is_some() || cgroup.contains("/docker") {
            return guest("docker");
        }
        if cgroup.contains("/lxc") || self.host.stat("/dev/lxd")?.is_some() {
            return guest("lxc");
        }
        let out = self.host.run("systemd-detect-virt 2>/dev/null")?;
        let virt = out.stdout.trim();
        if out.exit_status == Some(0) && !virt.is_empty() && virt != "none" {
            return guest(virt);
        }
        let product = read_text(&self.host, "/sys/class/dmi/id/product_name")?.unwrap_or_default();
        for (needle, system) in [
            ("KVM", "kvm"),
            ("QEMU", "kvm"),
            ("VirtualBox", "vbox"),
            ("VMware", "vmware"),
            ("Virtual Machine", "hyperv"),
        ] {
            if product.contains(needle) {
                return guest(system);
            }
        }
        Ok(None)
    }
}

impl Resource for Virtualization {
    fn name(&self) -> &str {
        "virtualization"
    }

    fn to_s(&self) -> String {
        "Virtualization Detection".into()
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let found = self.found.get(|| self.detect())?;
        let (system, role) = match found {
            Some((s, r)) => (Value::str(s), Value::str(r)),
            None => (Value::Nil, Value::Nil),
        };
        match method {
            "system" => Ok(system),
            "role" => Ok(role),
            "virtual_system?" => Ok(Value::Bool(found.is_some())),
            "physical_system?" => Ok(Value::Bool(found.is_none())),
            "params" => Ok(Value::Hash(vec![
                (Value::str("system"), system),
                (Value::str("role"), role),
            ])),
            _ => Err(unsupported("virtualization", method)),
        }
    }
}

/// InSpec's `skip_resource MESSAGE unless inspec.os.FAMILY?` for any of `families`.
pub fn skip_unless_platform(host: &Host, families: &[&str], message: &str) -> Res<()> {
    let p = detect(host)?;
    if families.iter().any(|f| p.is(f)) {
        Ok(())
    } else {
        Err(ResourceError::Skip(message.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    #[test]
    fn platforms_are_named_and_grouped_as_train() {
        let p = linux_platform(
            "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n",
            "x86_64".into(),
        );
        assert_eq!(
            (p.name.as_str(), p.family(), p.release.as_str()),
            ("ubuntu", "debian", "22.04")
        );
        assert!(
            p.is("debian") && p.is("linux") && p.is("unix") && p.is("ubuntu") && !p.is("redhat")
        );
        let p = linux_platform("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "x86_64".into());
        assert_eq!((p.name.as_str(), p.family()), ("redhat", "redhat"));
        let p = linux_platform(
            "ID=rocky\nID_LIKE=\"rhel centos fedora\"\n",
            "aarch64".into(),
        );
        assert!(p.is("redhat") && p.is("rocky"));
        let p = linux_platform("ID=opensuse-leap\n", String::new());
        assert_eq!((p.name.as_str(), p.family()), ("opensuse", "suse"));
        let p = linux_platform("", String::new());
        assert_eq!((p.name.as_str(), p.family()), ("linux", "linux"));
    }

    #[test]
    fn this_machine_matches_os_release_and_uname() {
        let h = host();
        let os = create_os(&[], &h).unwrap();
        let text = std::fs::read_to_string("/etc/os-release").unwrap();
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("ID="))
            .unwrap()
            .trim_matches('"');
        let name = os.call("name", &[]).unwrap();
        assert_eq!(name, Value::str(if id == "rhel" { "redhat" } else { id }));
        let arch = std::process::Command::new("uname")
            .arg("-m")
            .output()
            .unwrap();
        assert_eq!(
            os.call("arch", &[]).unwrap(),
            Value::str(String::from_utf8_lossy(&arch.stdout).trim())
        );
        assert_eq!(os.call("linux?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(os.call("unix?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(os.call("windows?", &[]).unwrap(), Value::Bool(false));
        if id == "debian" {
            let v = std::fs::read_to_string("/etc/debian_version").unwrap();
            assert_eq!(os.call("release", &[]).unwrap(), Value::str(v.trim()));
            assert_eq!(os.call("debian?", &[]).unwrap(), Value::Bool(true));
        }
        assert!(matches!(
            os.call("nope?", &[]),
            Err(ResourceError::Unsupported { .. })
        ));

        let path = create_os_env(&[Value::str("PATH")], &h).unwrap();
        let Value::Array(parts) = path.call("split", &[]).unwrap() else {
            panic!()
        };
        assert!(parts.contains(&Value::str("/usr/bin")));
        assert_eq!(path.to_s(), "Environment variable PATH");
        let none = create_os_env(&[Value::str("AIRS_NO_SUCH_VAR")], &h).unwrap();
        assert_eq!(none.call("content", &[]).unwrap(), Value::Nil);
        assert_eq!(none.call("split", &[]).unwrap(), Value::Array(vec![]));

        let info = create_sys_info(&[], &h).unwrap();
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(
            info.call("hostname", &[]).unwrap(),
            Value::str(hostname.trim())
        );

        let v = create_virtualization(&[], &h).unwrap();
        if std::path::Path::new("/.dockerenv").exists() {
            assert_eq!(v.call("system", &[]).unwrap(), Value::str("docker"));
            assert_eq!(v.call("role", &[]).unwrap(), Value::str("guest"));
        }
    }
}
