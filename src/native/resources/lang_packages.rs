//! `gem`, `npm`, `pip`, `cpan` and `cran`: a language's package manager asked on the target,
//! with InSpec's command and parsing of its answer (resources/gem.rb, npm.rb, pip.rb,
//! cpan.rb, cran.rb). Every argument of the profile reaches the target as one quoted word.

use std::sync::Arc;

use crate::native::resources::os::detect;
use crate::native::resources::os::skip_unless_platform;
use crate::native::resources::support::{
    has_program, hash_option, need_str, run_argv, shell_line, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::openssh::quote;
use crate::transport::Host;

pub const GEM_METHODS: &[&str] = &["gem_binary", "info", "installed?", "version", "versions"];
pub const METHODS: &[&str] = &["info", "installed?", "version"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gem,
    Npm,
    Pip,
    Cpan,
    Cran,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gem => "gem",
            Kind::Npm => "npm",
            Kind::Pip => "pip",
            Kind::Cpan => "cpan",
            Kind::Cran => "cran",
        }
    }
}

/// What the manager said of the package (InSpec's `info` hash).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Info {
    pub installed: bool,
    pub name: Option<String>,
    pub version: Option<String>,
    /// gem only: every installed version, the default first.
    pub versions: Option<Vec<String>>,
}

pub struct LangPackage {
    kind: Kind,
    package: String,
    /// gem's binary, pip's path, cpan's PERL5LIB, npm's project folder.
    option: Option<String>,
    /// gem's `:chef` / `:chef_server` (as their names).
    chef: Option<String>,
    host: Arc<Host>,
    info: Lazy<Info>,
}

pub fn create(kind: Kind, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let package = need_str(kind.name(), args, 0, "a package name")?;
    let option = match kind {
        Kind::Npm => args
            .get(1..)
            .and_then(|opts| hash_option(opts, "path"))
            .and_then(|p| str_arg(std::slice::from_ref(p), 0)),
        _ => str_arg(args, 1),
    };
    // gem's second argument may be the symbols :chef / :chef_server instead of a path.
    let chef = match (kind, args.get(1)) {
        (Kind::Gem, Some(Value::Sym(s))) => Some(s.clone()),
        _ => None,
    };
    Ok(Arc::new(LangPackage {
        kind,
        package,
        option,
        chef,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

/// gem.rb's `/^\s*([^\(]*?)\s*\((.*?)\)\s*$/` on `gem list` output: the name and its
/// comma-separated versions, from the first line that has them.
pub fn parse_gem_list(stdout: &str) -> Info {
    let re = regex::Regex::new(r"(?m)^\s*([^(]*?)\s*\((.*?)\)\s*$").expect("static regex");
    let Some(c) = re.captures(stdout.trim_end_matches('\n')) else {
        return Info::default();
    };
    let versions: Vec<String> = c[2].split(',').map(|v| v.trim().to_string()).collect();
    Info {
        installed: true,
        name: Some(c[1].to_string()),
        version: versions.first().cloned(),
        versions: Some(versions),
    }
}

/// `npm ls --json NAME`: `dependencies.NAME.version`.
pub fn parse_npm_ls(stdout: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).ok()?;
    v.get("dependencies")?
        .get(name)?
        .get("version")?
        .as_str()
        .map(str::to_string)
}

/// `pip show NAME`: `Key: value` lines (SimpleConfig with pip.rb's assignment regex, the
/// last of a repeated key winning).
pub fn parse_pip_show(stdout: &str) -> Info {
    let get = |key: &str| {
        stdout
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
            .next_back()
    };
    Info {
        installed: true,
        name: get("Name"),
        version: get("Version"),
        versions: None,
    }
}

/// `Rscript -e 'packageVersion(...)'`: `[1] ‘1.1.3’` (typographic quotes in a UTF-8 locale,
/// plain ones otherwise), as cran.rb's pattern.
pub fn parse_package_version(stdout: &str) -> Option<String> {
    let re =
        regex::Regex::new(r"(?m)^\[\d+\]\s+(?:['\p{Pi}])(.+)(?:['\p{Pf}])$").expect("static regex");
    re.captures(stdout.trim_end_matches('\n'))
        .map(|c| c[1].to_string())
}

/// The R code of cran.rb's `packageVersion("NAME")`, the name passed as an argument so no
/// profile text becomes R source.
pub const R_PACKAGE_VERSION: &str = "packageVersion(commandArgs(TRUE)[1])";
/// cpan.rb's Perl: load the module, print its version.
pub const PERL_MODULE_VERSION: &str =
    "eval \"require $ARGV[0]\" and print $ARGV[0]->VERSION or exit 1";

impl LangPackage {
    /// gem.rb's `gem_binary`: `gem`, the Chef or Chef Server omnibus gem, or the path given.
    fn gem_binary(&self) -> Res<String> {
        Ok(match (self.chef.as_deref(), self.option.as_deref()) {
            (None, None) => "gem".into(),
            (Some("chef"), _) => {
                if detect(&self.host)?.is("windows") {
                    r"c:\opscode\chef\embedded\bin\gem.bat".into()
                } else {
                    "/opt/chef/embedded/bin/gem".into()
                }
            }
            (Some("chef_server"), _) => "/opt/opscode/embedded/bin/gem".into(),
            // Any other symbol: gem.rb uses it as the binary's name.
            (Some(other), _) | (None, Some(other)) => other.to_string(),
        })
    }

    fn info(&self) -> Res<&Info> {
        self.info.get(|| {
            let name = self.package.as_str();
            match self.kind {
                Kind::Gem => {
                    let bin = self.gem_binary()?;
                    let pattern = format!("^{name}$");
                    let out =
                        run_argv(&self.host, &[&bin, "list", "--local", "-a", "-q", &pattern])?;
                    if out.exit_status != Some(0) {
                        return Err(ResourceError::Skip(
                            "Unable to retrieve gem information".into(),
                        ));
                    }
                    Ok(parse_gem_list(&out.stdout))
                }
                Kind::Npm => {
                    let out = match &self.option {
                        // npm.rb's `sh -c 'cd PATH && npm ls --json NAME'`, the folder and
                        // name as positional parameters.
                        Some(path) => run_argv(
                            &self.host,
                            &[
                                "sh",
                                "-c",
                                "cd \"$1\" && npm ls --json \"$2\"",
                                "sh",
                                path,
                                name,
                            ],
                        )?,
                        None => run_argv(&self.host, &["npm", "-g", "ls", "--json", name])?,
                    };
                    let installed = out.exit_status == Some(0);
                    Ok(Info {
                        installed,
                        name: Some(name.to_string()),
                        version: installed.then(|| parse_npm_ls(&out.stdout, name)).flatten(),
                        versions: None,
                    })
                }
                Kind::Pip => {
                    let pip = self.option.as_deref().unwrap_or("pip");
                    let out = run_argv(&self.host, &[pip, "show", name])?;
                    if out.exit_status != Some(0) {
                        return Ok(Info::default());
                    }
                    Ok(parse_pip_show(&out.stdout))
                }
                Kind::Cpan => {
                    skip_unless_platform(
                        &self.host,
                        &["unix"],
                        "The `cpan` resource is not supported on your OS yet.",
                    )?;
                    if !has_program(&self.host, "perl")? {
                        return Err(ResourceError::Skip("perl not found".into()));
                    }
                    let line = shell_line(&["perl", "-le", PERL_MODULE_VERSION, name]);
                    let line = match &self.option {
                        Some(lib) => format!("PERL5LIB={} {line}", quote(lib)),
                        None => line,
                    };
                    let out = self.host.run(&line)?;
                    let installed = out.exit_status == Some(0);
                    Ok(Info {
                        installed,
                        name: Some(name.to_string()),
                        version: installed.then(|| out.stdout.trim().to_string()),
                        versions: None,
                    })
                }
                Kind::Cran => {
                    skip_unless_platform(
                        &self.host,
                        &["unix"],
                        "The `cran` resource is not supported on your OS yet.",
                    )?;
                    if !has_program(&self.host, "Rscript")? {
                        return Err(ResourceError::Skip("Rscript not found".into()));
                    }
                    let out = run_argv(&self.host, &["Rscript", "-e", R_PACKAGE_VERSION, name])?;
                    let version = if out.exit_status == Some(0) {
                        parse_package_version(&out.stdout)
                    } else {
                        None
                    };
                    Ok(Info {
                        installed: version.is_some(),
                        name: Some(name.to_string()),
                        version,
                        versions: None,
                    })
                }
            }
        })
    }

    fn info_hash(&self) -> Res<Value> {
        let i = self.info()?;
        let sym = |k: &str| Value::Sym(k.into());
        let mut h = vec![(sym("type"), Value::str(self.kind.name()))];
        if matches!(self.kind, Kind::Pip) && !i.installed {
            return Ok(Value::Hash(h));
        }
        h.push((sym("installed"), Value::Bool(i.installed)));
        if let Some(n) = &i.name {
            h.push((sym("name"), Value::str(n)));
        }
        if let Some(v) = &i.version {
            h.push((sym("version"), Value::str(v)));
        }
        if let Some(vs) = &i.versions {
            h.push((
                sym("versions"),
                Value::Array(vs.iter().map(Value::str).collect()),
            ));
        }
        Ok(Value::Hash(h))
    }
}

impl Resource for LangPackage {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn to_s(&self) -> String {
        let n = &self.package;
        match self.kind {
            Kind::Gem => format!("gem package {n}"),
            Kind::Npm => format!("Npm Package {n}"),
            Kind::Pip => format!("Pip Package {n}"),
            Kind::Cpan => format!("Perl Module {n}"),
            Kind::Cran => format!("R Module {n}"),
        }
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        // InSpec reads the manager in the constructor (gem, cpan and cran skip there):
        // a skipped resource answers nothing, not even `gem_binary`.
        let known = if self.kind == Kind::Gem {
            GEM_METHODS
        } else {
            METHODS
        };
        if !known.contains(&method) {
            return Err(unsupported(self.kind.name(), method));
        }
        let info = self.info()?;
        let text = |v: &Option<String>| v.as_deref().map_or(Value::Nil, Value::str);
        match method {
            "installed?" => Ok(Value::Bool(info.installed)),
            "version" => Ok(text(&info.version)),
            "info" => self.info_hash(),
            "versions" if self.kind == Kind::Gem => {
                Ok(info.versions.as_ref().map_or(Value::Nil, |vs| {
                    Value::Array(vs.iter().map(Value::str).collect())
                }))
            }
            "gem_binary" if self.kind == Kind::Gem => Ok(Value::str(self.gem_binary()?)),
            _ => Err(unsupported(self.kind.name(), method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_as_inspec_reads_them() {
        let g = parse_gem_list("rubocop (1.22.0, 1.21.0)\n");
        assert_eq!(g.name.as_deref(), Some("rubocop"));
        assert_eq!(g.version.as_deref(), Some("1.22.0"));
        assert_eq!(g.versions, Some(vec!["1.22.0".into(), "1.21.0".into()]));
        assert_eq!(
            parse_gem_list("json (default: 2.6.1)\n").version.as_deref(),
            Some("default: 2.6.1")
        );
        assert!(!parse_gem_list("").installed);
        assert_eq!(
            parse_npm_ls(
                r#"{"dependencies":{"bower":{"version":"1.8.14"}}}"#,
                "bower"
            )
            .as_deref(),
            Some("1.8.14")
        );
        assert_eq!(parse_npm_ls("{}", "bower"), None);
        assert_eq!(parse_npm_ls("not json", "bower"), None);
        let p = parse_pip_show("Name: Jinja2\nVersion: 2.10.1\nSummary: x: y\n");
        assert_eq!(
            (p.name.as_deref(), p.version.as_deref()),
            (Some("Jinja2"), Some("2.10.1"))
        );
        assert_eq!(
            parse_package_version("[1] \u{2018}1.1.3\u{2019}\n").as_deref(),
            Some("1.1.3")
        );
        assert_eq!(
            parse_package_version("[1] '0.5.1'\n").as_deref(),
            Some("0.5.1")
        );
        assert_eq!(parse_package_version("Error in x\n"), None);
    }
}
