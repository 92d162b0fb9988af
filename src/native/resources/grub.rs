//! `grub_conf`: GRUB's settings and the chosen kernel's boot lines, as InSpec's
//! resources/grub_conf.rb reads them: GRUB 2 (`/etc/default/grub` and the `menuentry`
//! blocks of grub.cfg, `saved` resolved through grubenv) or legacy GRUB (`title` blocks).

use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::simple_config::{self, Options};
use crate::native::resources::support::{read_text, str_arg, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["*", "params"];

#[derive(Clone, Copy, PartialEq)]
enum Version {
    Grub2,
    Legacy,
}

pub struct GrubConf {
    path: Option<String>,
    kernel: String,
    host: Arc<Host>,
    /// What `initialize` read: the platform's grub version and grubenv path, the config.
    loaded: Lazy<(Version, &'static str, String)>,
    params: Lazy<Value>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(GrubConf {
        path: str_arg(args, 0),
        kernel: str_arg(args, 1).unwrap_or_else(|| "default".into()),
        host: host.clone(),
        loaded: Lazy::default(),
        params: Lazy::default(),
    }))
}

/// SimpleConfig with multiple values, a key given once unwrapped to its text.
fn settings(text: &str) -> Vec<(Value, Value)> {
    let opts = Options {
        multiple_values: true,
        ..Options::default()
    };
    let Value::Hash(pairs) = simple_config::parse(text, &opts) else {
        return Vec::new();
    };
    pairs
        .into_iter()
        .map(|(k, v)| match v {
            Value::Array(mut items) if items.len() == 1 => (k, items.remove(0)),
            v => (k, v),
        })
        .collect()
}

fn get<'a>(conf: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    conf.iter()
        .find(|(k, _)| *k == Value::str(key))
        .map(|(_, v)| v)
}

/// Ruby's `to_i` of a setting: leading digits, else 0.
fn to_i(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Str(s)) => s
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0),
        _ => 0,
    }
}

/// grub.cfg's `menuentry 'NAME' ... {` blocks: name, initrd, kernel (the `linux` line's
/// words), root, insmod (grub_conf.rb `extract_menu_entries`, its loose line tests kept).
pub fn menu_entries(content: &str) -> Res<Vec<Vec<(Value, Value)>>> {
    let name_re =
        regex::Regex::new(r#"(?:^|\s+).*menuentry\s*['|"](.*)['|"]\s*--"#).expect("valid");
    let lines: Vec<&str> = content.split('\n').collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("menuentry") || !line[9..].starts_with(char::is_whitespace) {
            continue;
        }
        let Some(name) = name_re.captures(line).and_then(|c| c.get(1)) else {
            return Err(ResourceError::Failed(format!(
                "Failed to extract menuentry name from {line}"
            )));
        };
        let mut entry = vec![
            (Value::str("insmod"), Value::Array(Vec::new())),
            (Value::str("name"), Value::str(name.as_str())),
        ];
        let mut set = |k: &str, v: Value| match entry.iter_mut().find(|(e, _)| *e == Value::str(k))
        {
            Some(slot) => slot.1 = v,
            None => entry.push((Value::str(k), v)),
        };
        let mut insmod = Vec::new();
        for m in lines.iter().skip(i + 1) {
            if m.trim() == "}" {
                break;
            }
            let words: Vec<&str> = m.split_whitespace().collect();
            let word = |i: usize| words.get(i).map_or(Value::Nil, |w| Value::str(*w));
            if m.contains("initrd") {
                set("initrd", word(1));
            } else if m.contains("linux") {
                set(
                    "kernel",
                    Value::Array(words.iter().map(|w| Value::str(*w)).collect()),
                );
            } else if m.contains("set root=") {
                let root = m.split('=').nth(1).unwrap_or("").replace('\'', "");
                set("root", Value::Str(root));
            } else if m.contains("insmod") {
                insmod.push(word(1));
            }
        }
        set("insmod", Value::Array(insmod));
        out.push(entry);
    }
    Ok(out)
}

/// Legacy grub.conf: the options of the chosen `title` block (grub_conf.rb
/// `parse_kernel_lines`), `kernel` as its words, others their first word.
pub fn legacy_kernel(content: &str, default: usize, kernel: &str) -> Vec<(Value, Value)> {
    let lines: Vec<&str> = content.split('\n').collect();
    let mut menu_entry = 0;
    let mut opts: Vec<(Value, Value)> = Vec::new();
    let starts_word = |l: &str| {
        l.trim_start()
            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
    };
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("title") {
            continue;
        }
        let current = line.split_once(' ').map_or("", |(_, t)| t);
        for k in lines.iter().skip(i + 1) {
            if starts_word(k) && !k.starts_with("title") {
                let words: Vec<&str> = k.split_whitespace().collect();
                let chosen = (menu_entry == default && kernel == "default") || current == kernel;
                if chosen {
                    let (key, value) = match words.split_first() {
                        Some((&"kernel", rest)) => (
                            "kernel",
                            Value::Array(rest.iter().map(|w| Value::str(*w)).collect()),
                        ),
                        Some((t, rest)) => {
                            (*t, rest.first().map_or(Value::Nil, |w| Value::str(*w)))
                        }
                        None => continue,
                    };
                    match opts.iter_mut().find(|(e, _)| *e == Value::str(key)) {
                        Some(slot) => slot.1 = value,
                        None => opts.push((Value::str(key), value)),
                    }
                }
            } else {
                menu_entry += 1;
                break;
            }
        }
    }
    opts
}

impl GrubConf {
    /// grub_conf.rb's `initialize`: the platform's paths (skipped on another OS), then the
    /// config file through FileReader (skipped when missing, unreadable or empty).
    fn loaded(&self) -> Res<&(Version, &'static str, String)> {
        self.loaded.get(|| {
            let p = crate::native::resources::os::detect(&self.host)?;
            let release: f64 = p
                .release
                .split('.')
                .take(2)
                .collect::<Vec<_>>()
                .join(".")
                .parse()
                .unwrap_or(0.0);
            let (version, conf_path, grubenv) = if p.is("redhat") || p.name == "fedora" {
                if release < 7.0 {
                    (Version::Legacy, "/etc/grub.conf", "")
                } else {
                    (
                        Version::Grub2,
                        "/boot/grub2/grub.cfg",
                        "/boot/grub2/grubenv",
                    )
                }
            } else if p.is("debian") {
                (Version::Grub2, "/boot/grub/grub.cfg", "/boot/grub2/grubenv")
            } else if p.name == "amazon" {
                (Version::Legacy, "/etc/grub.conf", "")
            } else {
                return Err(ResourceError::Skip(format!(
                    "The `grub_conf` resource is not yet supported on the target OS {}.",
                    p.name
                )));
            };
            let content =
                read_file_content(&self.host, self.path.as_deref().unwrap_or(conf_path), false)?;
            Ok((version, grubenv, content))
        })
    }

    /// `read_params`, which reads the files again outside `initialize`: a ResourceSkipped
    /// raised there (a missing config, or /etc/default/grub) is an error of the example
    /// that asked — InSpec reports it failed, not skipped.
    fn params(&self) -> Res<&Value> {
        self.params.get(|| {
            self.read_params().map_err(|e| match e {
                ResourceError::Skip(m) => ResourceError::Failed(m),
                e => e,
            })
        })
    }

    fn read_params(&self) -> Res<Value> {
        let (version, grubenv, content) = self.loaded()?;
        let (version, grubenv) = (*version, *grubenv);
        let (mut conf, kernel_opts) = if version == Version::Legacy {
            let conf = settings(content);
            let default = to_i(get(&conf, "default"));
            let opts = legacy_kernel(content, default, &self.kernel);
            (conf, opts)
        } else {
            let conf = settings(&read_file_content(&self.host, "/etc/default/grub", false)?);
            let entries = menu_entries(content)?;
            let chosen = if entries.is_empty() {
                Vec::new()
            } else if self.kernel == "default" {
                let default = get(&conf, "GRUB_DEFAULT");
                if default == Some(&Value::str("saved")) {
                    let saved = read_text(&self.host, grubenv)?.and_then(|env| {
                        settings(&env)
                            .into_iter()
                            .find(|(k, _)| *k == Value::str("saved_entry"))
                            .map(|(_, v)| v)
                    });
                    entries
                        .iter()
                        .find(|e| saved.is_some() && get(e, "name") == saved.as_ref())
                        .or(entries.first())
                        .cloned()
                        .unwrap_or_default()
                } else {
                    entries.get(to_i(default)).cloned().unwrap_or_default()
                }
            } else {
                entries
                    .iter()
                    .find(|e| get(e, "name") == Some(&Value::str(&self.kernel)))
                    .cloned()
                    .unwrap_or_default()
            };
            (conf, chosen)
        };
        for (k, v) in kernel_opts {
            match conf.iter_mut().find(|(e, _)| *e == k) {
                Some(slot) => slot.1 = v,
                None => conf.push((k, v)),
            }
        }
        Ok(Value::Hash(conf))
    }
}

impl Resource for GrubConf {
    fn name(&self) -> &str {
        "grub_conf"
    }

    fn to_s(&self) -> String {
        "Grub Config".into()
    }

    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.loaded())
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let params = self.params()?;
        Ok(match method {
            "params" => params.clone(),
            key => params
                .hash_get(&Value::str(key))
                .cloned()
                .unwrap_or(Value::Nil),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_entries_and_legacy_titles_as_grub_conf_rb() {
        let cfg = "set default=0\nmenuentry 'Debian GNU/Linux' --class debian {\n\
                   \tinsmod gzio\n\tinsmod ext2\n\tset root='hd0,msdos1'\n\
                   \tlinux\t/boot/vmlinuz-6.1.0-37-amd64 root=UUID=x ro quiet audit=1\n\
                   \tinitrd\t/boot/initrd.img-6.1.0-37-amd64\n}\n";
        let e = menu_entries(cfg).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(get(&e[0], "name"), Some(&Value::str("Debian GNU/Linux")));
        assert_eq!(
            get(&e[0], "initrd"),
            Some(&Value::str("/boot/initrd.img-6.1.0-37-amd64"))
        );
        assert_eq!(get(&e[0], "root"), Some(&Value::str("hd0,msdos1")));
        assert!(
            matches!(get(&e[0], "kernel"), Some(Value::Array(w)) if w.contains(&Value::str("audit=1")))
        );
        assert_eq!(
            get(&e[0], "insmod"),
            Some(&Value::Array(vec![Value::str("gzio"), Value::str("ext2")]))
        );
        assert!(menu_entries("menuentry broken {\n}\n").is_err());

        let legacy = "default=1\ntimeout=5\ntitle CentOS (a)\n\troot (hd0,0)\n\tkernel /vmlinuz-a ro\n\
                      \ninitrd /a.img\ntitle CentOS (b)\n\tkernel /vmlinuz-b ro audit=1\n\tinitrd /b.img\n";
        let opts = legacy_kernel(legacy, 1, "default");
        assert!(opts.contains(&(
            Value::str("kernel"),
            Value::Array(vec![
                Value::str("/vmlinuz-b"),
                Value::str("ro"),
                Value::str("audit=1")
            ])
        )));
        assert!(opts.contains(&(Value::str("initrd"), Value::str("/b.img"))));
        let named = legacy_kernel(legacy, 1, "CentOS (a)");
        assert!(named.contains(&(Value::str("root"), Value::str("(hd0,0)"))));
    }
}
