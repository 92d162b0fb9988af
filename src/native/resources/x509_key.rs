//! `x509_private_key(PATH, [PASSPHRASE])` (x509_private_key.rb): `valid?` (`openssl rsa
//! -check`), `encrypted?` (a PEM `Proc-Type: 4,ENCRYPTED` header) and
//! `has_matching_certificate?` (the MD5 of the key's and the certificate's moduli). Paths and
//! the passphrase reach the target's shell as quoted words or positional parameters, never
//! spliced into a command line.

use std::sync::Arc;

use crate::native::resources::support::{
    first_program, need_str, read_text, run_argv, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["encrypted?", "has_matching_certificate?", "valid?"];

/// Where x509_private_key.rb looks for openssl, in order.
const OPENSSL: &[&str] = &[
    "/usr/sbin/openssl",
    "/usr/bin/openssl",
    "/sbin/openssl",
    "/bin/openssl",
    "openssl",
];

pub struct PrivateKey {
    path: String,
    passphrase: Option<String>,
    host: Arc<Host>,
    openssl: Lazy<&'static str>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(PrivateKey {
        path: need_str("x509_private_key", args, 0, "a key path")?,
        passphrase: str_arg(args, 1),
        host: host.clone(),
        openssl: Lazy::default(),
    }))
}

impl PrivateKey {
    fn openssl(&self) -> Res<&'static str> {
        self.openssl
            .get(|| {
                first_program(
                    &self.host,
                    OPENSSL,
                    "Could not find `openssl` on your system.",
                )
            })
            .copied()
    }

    /// `| openssl md5` of a modulus, as the shell pipeline InSpec runs.
    fn modulus_md5(&self, what: &str, script: &str, args: &[&str]) -> Res<String> {
        let mut argv = vec!["sh", "-c", script, "sh"];
        argv.extend_from_slice(args);
        let out = run_argv(&self.host, &argv)?;
        if out.exit_status != Some(0) {
            return Err(ResourceError::Failed(format!(
                "Executing {what} failed: {}",
                out.stderr
            )));
        }
        Ok(out.stdout)
    }
}

impl Resource for PrivateKey {
    fn name(&self) -> &str {
        "x509_private_key"
    }

    fn to_s(&self) -> String {
        "x509_private_key".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let openssl = self.openssl()?;
        match method {
            "valid?" => {
                let mut argv = vec![openssl, "rsa", "-in", &self.path, "-check", "-noout"];
                let pass = self.passphrase.as_ref().map(|p| format!("pass:{p}"));
                if let Some(p) = &pass {
                    argv.extend(["-passin", p.as_str()]);
                }
                Ok(Value::Bool(
                    run_argv(&self.host, &argv)?.exit_status == Some(0),
                ))
            }
            "encrypted?" => {
                let text = read_text(&self.host, &self.path)?.ok_or_else(|| {
                    ResourceError::Failed(format!(
                        "The given secret key {} does not exist.",
                        self.path
                    ))
                })?;
                Ok(Value::Bool(text.contains("Proc-Type: 4,ENCRYPTED")))
            }
            "has_matching_certificate?" => {
                let Some(Value::Str(cert)) = args.first() else {
                    return Err(ResourceError::Failed(
                        "have_matching_certificate needs a certificate path".into(),
                    ));
                };
                let cert_hash = self.modulus_md5(
                    &format!("openssl x509 -noout -modulus -in {cert} | openssl md5"),
                    r#"openssl x509 -noout -modulus -in "$1" | openssl md5"#,
                    &[cert],
                )?;
                let key_hash = match &self.passphrase {
                    Some(p) => self.modulus_md5(
                        &format!(
                            "openssl rsa -noout -modulus -in {} -passin pass:****** | openssl md5",
                            self.path
                        ),
                        r#"openssl rsa -noout -modulus -in "$1" -passin "pass:$2" | openssl md5"#,
                        &[&self.path, p],
                    )?,
                    None => self.modulus_md5(
                        &format!(
                            "openssl rsa -noout -modulus -in {} | openssl md5",
                            self.path
                        ),
                        r#"openssl rsa -noout -modulus -in "$1" | openssl md5"#,
                        &[&self.path],
                    )?,
                };
                Ok(Value::Bool(cert_hash == key_hash))
            }
            _ => Err(unsupported("x509_private_key", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    /// A key pair made here by openssl (when installed), checked through the local shell.
    #[test]
    fn a_fresh_key_pair_matches_and_a_wrong_passphrase_is_invalid() {
        let dir = std::env::temp_dir().join(format!("airs-x509-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert, enc) = (dir.join("k.pem"), dir.join("c.pem"), dir.join("e.pem"));
        let made = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=t",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .is_ok_and(|o| o.status.success())
            && std::process::Command::new("openssl")
                .args([
                    "genrsa",
                    "-aes256",
                    "-traditional",
                    "-passout",
                    "pass:it's $x",
                ])
                .arg("-out")
                .arg(&enc)
                .arg("2048")
                .output()
                .is_ok_and(|o| o.status.success());
        if !made {
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        let h = host();
        let s = |p: &std::path::Path| Value::str(p.to_str().unwrap());
        let k = create(&[s(&key)], &h).unwrap();
        let e = create(&[s(&enc), Value::str("it's $x")], &h).unwrap();
        let wrong = create(&[s(&enc), Value::str("nope")], &h).unwrap();
        let answers = (
            k.call("valid?", &[]),
            k.call("encrypted?", &[]),
            k.call("has_matching_certificate?", &[s(&cert)]),
            e.call("valid?", &[]),
            e.call("encrypted?", &[]),
            e.call("has_matching_certificate?", &[s(&cert)]),
            wrong.call("valid?", &[]),
        );
        let _ = std::fs::remove_dir_all(&dir);
        let t = Ok(Value::Bool(true));
        let f = Ok(Value::Bool(false));
        assert_eq!(
            answers,
            (t.clone(), f.clone(), t.clone(), t.clone(), t, f.clone(), f)
        );
    }
}
