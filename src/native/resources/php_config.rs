//! `php_config(PARAM, { ini: PATH })` (php_config.rb): `php [-c INI] -r 'echo
//! get_cfg_var("PARAM");'` on the target, its output as an Integer when all digits.
//! Run as an argument list; the parameter is spliced into PHP code as InSpec does, so
//! only names PHP's ini keys can have (letters, digits, `_`, `.`, `-`) are accepted.

use std::sync::Arc;

use crate::native::resources::support::{first_program, need_str, run_argv, unsupported, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["resource_id", "value"];

/// Where php_config.rb looks for php, in order.
const PHP: &[&str] = &["/usr/sbin/php", "/sbin/php", "php"];

pub struct PhpConfig {
    param: String,
    ini: Option<String>,
    host: Arc<Host>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let param = need_str("php_config", args, 0, "a configuration parameter")?;
    // php_config.rb checks `key?(:ini)` on the hash as given (its `transform_keys` result
    // is discarded): a String key "ini" is not seen, and php reads its default php.ini.
    let ini = match args.get(1) {
        Some(h @ Value::Hash(_)) => match h.hash_get(&Value::Sym("ini".into())) {
            Some(Value::Str(p)) => Some(p.clone()),
            Some(other) => Some(crate::native::ruby::methods::to_s(other)),
            None => None,
        },
        _ => None,
    };
    Ok(Arc::new(PhpConfig {
        param,
        ini,
        host: host.clone(),
    }))
}

fn is_ini_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl PhpConfig {
    fn value(&self) -> Res<Value> {
        let php = first_program(&self.host, PHP, "Could not find `php` on your system.")?;
        if !is_ini_name(&self.param) {
            return Err(ResourceError::Failed(format!(
                "php_config: {:?} is not a PHP configuration name",
                self.param
            )));
        }
        let code = format!("echo get_cfg_var(\"{}\");", self.param);
        let mut argv = vec![php];
        if let Some(ini) = &self.ini {
            argv.extend(["-c", ini.as_str()]);
        }
        argv.extend(["-r", code.as_str()]);
        let out = run_argv(&self.host, &argv)?;
        if out.exit_status != Some(0) {
            let shown = match &self.ini {
                Some(ini) => format!("{php} -c {ini} -r '{code}'"),
                None => format!("{php}  -r '{code}'"),
            };
            return Err(ResourceError::Failed(format!(
                "Executing {shown} failed: {}",
                out.stderr
            )));
        }
        let v = out.stdout.trim();
        Ok(if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
            v.parse::<i64>()
                .map(Value::Int)
                .unwrap_or_else(|_| Value::str(v))
        } else {
            Value::str(v)
        })
    }
}

impl Resource for PhpConfig {
    fn name(&self) -> &str {
        "php_config"
    }

    fn to_s(&self) -> String {
        format!("php_config {}", self.param)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "value" => self.value(),
            "resource_id" => Ok(Value::str(&self.param)),
            _ => Err(unsupported("php_config", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_reaching_php_code() {
        assert!(is_ini_name("session.cookie_httponly"));
        assert!(is_ini_name("default_mimetype"));
        assert!(!is_ini_name("x\");system(\"id"));
        assert!(!is_ini_name(""));
    }
}
