//! `package` and `packages`: the target's package database (dpkg on Debian's family, rpm
//! on Red Hat's and SUSE's, apk on Alpine), asked as InSpec asks it.

use std::sync::Arc;

use crate::native::resources::os::detect;
use crate::native::resources::support::{
    need_str, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Manager {
    Deb,
    Rpm,
    Apk,
}

fn manager(host: &Host) -> Res<Manager> {
    let p = detect(host)?;
    if p.is("debian") {
        Ok(Manager::Deb)
    } else if p.is("redhat") || p.is("fedora") || p.is("suse") || p.is("amazon") {
        Ok(Manager::Rpm)
    } else if p.is("alpine") {
        Ok(Manager::Apk)
    } else {
        Err(ResourceError::Skip(format!(
            "The `package` resource is not supported on {} natively",
            p.name
        )))
    }
}

/// What the database says of one package.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackageInfo {
    pub installed: bool,
    pub held: bool,
    pub version: Option<String>,
    pub kind: &'static str,
}

/// Every package dpkg knows, one per line: the `packages` resource's table, and the answer
/// for each `package` too (one query per host instead of a `dpkg -s` per package).
pub const DPKG_LIST: &str =
    "dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\n'";

/// `name` (or `name:arch`) in a [`DPKG_LIST`] answer, as `dpkg -s` tells it: installed when
/// the status's second letter is `i` (a removed package keeps `rc`), held when the first is
/// `h`; the version even of a removed one.
pub fn dpkg_package(listing: &str, name: &str) -> PackageInfo {
    let mut found = PackageInfo {
        kind: "deb",
        ..PackageInfo::default()
    };
    for line in listing.lines() {
        let mut f = line.split('\t');
        let (Some(status), Some(n), Some(version)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let arch = f.next().unwrap_or("");
        if n != name && name.strip_prefix(n).and_then(|r| r.strip_prefix(':')) != Some(arch) {
            continue;
        }
        let status = status.as_bytes();
        let installed = status.get(1) == Some(&b'i');
        // Several architectures of one name: the installed one wins.
        if installed || found.version.is_none() {
            found = PackageInfo {
                installed,
                held: status.first() == Some(&b'h'),
                version: Some(version.to_string()),
                kind: "deb",
            };
        }
    }
    found
}

/// `rpm -qi` output: `Version : 1.2` and `Release : 3.el9` make `1.2-3.el9`.
pub fn parse_rpm_info(text: &str) -> PackageInfo {
    let get = |k: &str| {
        text.lines().find_map(|l| {
            let (key, v) = l.split_once(':')?;
            (key.trim() == k).then(|| v.trim().to_string())
        })
    };
    let version = match (get("Version"), get("Release")) {
        (Some(v), Some(r)) => Some(format!("{v}-{r}")),
        (v, _) => v,
    };
    PackageInfo {
        installed: version.is_some(),
        held: false,
        version,
        kind: "rpm",
    }
}

pub const PACKAGE_METHODS: &[&str] = &["held?", "info", "installed?", "name", "version"];

pub struct Package {
    name: String,
    host: Arc<Host>,
    info: Lazy<PackageInfo>,
}

pub fn create_package(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Package {
        name: need_str("package", args, 0, "a package name")?,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

impl Package {
    fn info(&self) -> Res<&PackageInfo> {
        self.info.get(|| {
            let name = self.name.as_str();
            Ok(match manager(&self.host)? {
                Manager::Deb => dpkg_package(&self.host.run(DPKG_LIST)?.stdout, name),
                Manager::Rpm => {
                    let out = run_argv(&self.host, &["rpm", "-qi", name])?;
                    if out.exit_status != Some(0) {
                        PackageInfo {
                            kind: "rpm",
                            ..PackageInfo::default()
                        }
                    } else {
                        parse_rpm_info(&out.stdout)
                    }
                }
                Manager::Apk => {
                    let out = run_argv(&self.host, &["apk", "info", "-vv"])?;
                    let version = apk_version(&out.stdout, name);
                    PackageInfo {
                        installed: version.is_some(),
                        held: false,
                        version,
                        kind: "apk",
                    }
                }
            })
        })
    }
}

/// `apk info -vv` lines are `name-version-rREL - description`.
fn apk_version(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let id = l.split(" - ").next()?;
        let rest = id.strip_prefix(name)?.strip_prefix('-')?;
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then(|| rest.to_string())
    })
}

impl Resource for Package {
    fn name(&self) -> &str {
        "package"
    }

    fn to_s(&self) -> String {
        format!("System Package {}", self.name)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "name" => Ok(Value::str(&self.name)),
            "installed?" => Ok(Value::Bool(self.info()?.installed)),
            "held?" => Ok(Value::Bool(self.info()?.held)),
            "version" => {
                let i = self.info()?;
                Ok(match (&i.version, i.installed) {
                    (Some(v), true) => Value::str(v),
                    _ => Value::Nil,
                })
            }
            "info" => {
                let i = self.info()?;
                if !i.installed {
                    return Ok(Value::Hash(Vec::new()));
                }
                Ok(Value::Hash(vec![
                    (Value::Sym("name".into()), Value::str(&self.name)),
                    (Value::Sym("installed".into()), Value::Bool(true)),
                    (Value::Sym("held".into()), Value::Bool(i.held)),
                    (
                        Value::Sym("version".into()),
                        i.version.as_deref().map_or(Value::Nil, Value::str),
                    ),
                    (Value::Sym("type".into()), Value::str(i.kind)),
                ]))
            }
            _ => Err(unsupported("package", method)),
        }
    }
}

pub const PACKAGES_METHODS: &[&str] = &[
    "architectures",
    "count",
    "entries",
    "exist?",
    "exists?",
    "names",
    "raw_data",
    "statuses",
    "versions",
    "where",
];

/// `packages(/regex/)` or `packages('name')`: every installed package whose name matches.
pub struct Packages {
    pattern: Value,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_packages(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let pattern = match args.first() {
        Some(v @ (Value::Regex { .. } | Value::Str(_))) => v.clone(),
        _ => {
            return Err(ResourceError::Failed(
                "`packages` needs a name or a Regexp".into(),
            ))
        }
    };
    Ok(Arc::new(Packages {
        pattern,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// dpkg-query lines `ii  name  version  arch` (db:Status-Abbrev first).
pub fn parse_dpkg_list(text: &str) -> Vec<(String, String, String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let status = f.next()?.trim();
            let name = f.next()?.to_string();
            let version = f.next()?.to_string();
            let arch = f.next().unwrap_or("").to_string();
            // `ii` (installed), `hi` (held): the second letter is the current state.
            let installed = status.as_bytes().get(1) == Some(&b'i');
            Some((
                if installed {
                    "installed"
                } else {
                    "not installed"
                }
                .to_string(),
                name,
                version,
                arch,
            ))
        })
        .collect()
}

impl Packages {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let all = match manager(&self.host)? {
                Manager::Deb => parse_dpkg_list(&self.host.run(DPKG_LIST)?.stdout),
                Manager::Rpm => {
                    let out = self.host.run(
                        "rpm -qa --queryformat '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'",
                    )?;
                    out.stdout
                        .lines()
                        .filter_map(|l| {
                            let mut f = l.split('\t');
                            Some((
                                "installed".to_string(),
                                f.next()?.to_string(),
                                f.next()?.to_string(),
                                f.next().unwrap_or("").to_string(),
                            ))
                        })
                        .collect()
                }
                Manager::Apk => {
                    return Err(ResourceError::Skip(
                        "`packages` is not supported on Alpine natively".into(),
                    ))
                }
            };
            let re = match &self.pattern {
                Value::Regex { source, flags } => regex::RegexBuilder::new(source)
                    .case_insensitive(flags.contains('i'))
                    .build()
                    .map_err(|e| ResourceError::Failed(format!("packages: {e}")))?,
                Value::Str(s) => regex::Regex::new(&format!("^{}$", regex::escape(s)))
                    .map_err(|e| ResourceError::Failed(e.to_string()))?,
                v => {
                    return Err(ResourceError::Failed(format!(
                        "packages: {} is not a name or Regexp",
                        v.class_name()
                    )))
                }
            };
            let rows = all
                .into_iter()
                .filter(|(_, name, _, _)| re.is_match(name))
                .map(|(s, n, v, a)| {
                    vec![Value::Str(s), Value::Str(n), Value::Str(v), Value::Str(a)]
                })
                .collect();
            Ok(table(
                &self.to_s(),
                &["status", "name", "version", "architecture"],
                &[
                    ("statuses", "status"),
                    ("names", "name"),
                    ("versions", "version"),
                    ("architectures", "architecture"),
                ],
                rows,
            ))
        })
    }
}

impl Resource for Packages {
    fn name(&self) -> &str {
        "packages"
    }

    fn to_s(&self) -> String {
        format!("Packages {:?}", self.pattern)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        table_call("packages", self.table()?, method, args)
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
    fn database_answers_parse() {
        let listing = "hi \tx\t1:2.3-4\tamd64\nrc \told\t1\tamd64\n\
                       un \tm\t2\ti386\nii \tm\t2\tamd64\nii \txy\t9\tall\n";
        let got = |name| {
            let i = dpkg_package(listing, name);
            (i.installed, i.held, i.version)
        };
        assert_eq!(got("x"), (true, true, Some("1:2.3-4".into())));
        assert_eq!(got("old"), (false, false, Some("1".into())));
        assert_eq!(
            got("m"),
            (true, false, Some("2".into())),
            "the installed arch"
        );
        assert_eq!(got("m:i386"), (false, false, Some("2".into())));
        assert!(got("m:amd64").0);
        assert_eq!(got("nope"), (false, false, None));
        assert_eq!(got("x:"), (false, false, None));
        let i = parse_rpm_info("Name        : bash\nVersion     : 5.1.8\nRelease     : 9.el9\n");
        assert_eq!(i.version.as_deref(), Some("5.1.8-9.el9"));
        assert_eq!(
            apk_version(
                "musl-1.2.4-r2 - the C library\nmusl-utils-1.2 - x\n",
                "musl"
            )
            .as_deref(),
            Some("1.2.4-r2")
        );
        assert_eq!(apk_version("musl-utils-1.2 - x\n", "musl"), None);
        for junk in ["", ":", "Status:", "\u{0}"] {
            let _ = (
                dpkg_package(junk, "x"),
                parse_rpm_info(junk),
                parse_dpkg_list(junk),
            );
        }
    }

    #[test]
    fn bash_is_installed_and_a_made_up_package_is_not() {
        if std::process::Command::new("dpkg-query")
            .arg("--version")
            .output()
            .is_err()
        {
            return; // not a Debian-family machine
        }
        let want = std::process::Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", "bash"])
            .output()
            .unwrap();
        let h = host();
        let bash = create_package(&[Value::str("bash")], &h).unwrap();
        assert_eq!(bash.call("installed?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(
            bash.call("version", &[]).unwrap(),
            Value::str(String::from_utf8_lossy(&want.stdout))
        );
        assert_eq!(bash.to_s(), "System Package bash");
        let none = create_package(&[Value::str("airs-no-such-package")], &h).unwrap();
        assert_eq!(none.call("installed?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(none.call("version", &[]).unwrap(), Value::Nil);
        let odd = create_package(&[Value::str("x'; touch /tmp/airs-pwned; '")], &h).unwrap();
        assert_eq!(odd.call("installed?", &[]).unwrap(), Value::Bool(false));
        assert!(!std::path::Path::new("/tmp/airs-pwned").exists());

        let p = create_packages(
            &[Value::Regex {
                source: "^bash$".into(),
                flags: String::new(),
            }],
            &h,
        )
        .unwrap();
        let t = p.table().unwrap().unwrap();
        assert_eq!(t.column("names").unwrap(), vec![Value::str("bash")]);
        assert_eq!(t.column("statuses").unwrap(), vec![Value::str("installed")]);
        assert_eq!(
            p.call("versions", &[]).unwrap(),
            Value::Array(vec![Value::str(String::from_utf8_lossy(&want.stdout))])
        );
    }
}
