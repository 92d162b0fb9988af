//! `key_rsa` (key_rsa.rb: `OpenSSL::PKey.read` of the file) and `ssh_key` (ssh_key.rb: a
//! `file` whose key net-ssh loads). InSpec parses on the workstation; the file is read
//! through the transport here and parsed by `key_formats` (passphrases decrypt PEM and
//! PKCS#8 keys; OpenSSH's own encrypted format with a passphrase is named unsupported).

use std::sync::Arc;

use crate::native::resources::der::num_bits;
use crate::native::resources::key_formats::{
    openssh_private, pem_blocks, read_pkey, ssh_public_line, to_pem, Algorithm, Key, KeyError,
};
use crate::native::resources::support::{need_str, str_arg, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const RSA_METHODS: &[&str] = &[
    "key_length",
    "private?",
    "private_key",
    "public?",
    "public_key",
    "resource_id",
];

/// The file's bytes, or FileReader's skips (`allow_empty`: key_rsa passes a truthy hash).
fn read_bytes(host: &Host, path: &str, allow_empty: bool) -> Res<Vec<u8>> {
    // The skips of `read_file_content` first (kind, readability, emptiness) ...
    crate::native::resources::file_reader::read_file_content(host, path, allow_empty)?;
    // ... then the bytes themselves (DER keys are binary).
    host.read_file(path)?
        .map(|d| d.to_vec())
        .ok_or_else(|| ResourceError::Skip(format!("Can't read file: {path}")))
}

pub struct RsaKey {
    path: String,
    passphrase: Option<String>,
    host: Arc<Host>,
    key: Lazy<Key>,
}

pub fn create_key_rsa(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(RsaKey {
        path: need_str("key_rsa", args, 0, "a key path")?,
        passphrase: str_arg(args, 1),
        host: host.clone(),
        key: Lazy::default(),
    }))
}

impl RsaKey {
    fn key(&self) -> Res<&Key> {
        self.key.get(|| {
            let data = read_bytes(&self.host, &self.path, true)?;
            // pkey_reader.rb turns every OpenSSL::PKey::PKeyError into "passphrase error".
            read_pkey(&data, self.passphrase.as_deref())
                .map_err(|_| ResourceError::Failed("passphrase error".into()))
        })
    }

    /// What `public_key.n` needs: an RSA key, else Ruby's NoMethodError.
    fn rsa(&self, method: &str) -> Res<(&Key, &[u8])> {
        let key = self.key()?;
        match &key.algorithm {
            Algorithm::Rsa { n, .. } => Ok((key, n)),
            other => Err(ResourceError::Failed(format!(
                "undefined method `{method}' for a {} key (key_rsa reads RSA keys)",
                algorithm_name(other)
            ))),
        }
    }
}

fn algorithm_name(a: &Algorithm) -> String {
    match a {
        Algorithm::Rsa { .. } => "RSA".into(),
        Algorithm::Ec { .. } => "EC".into(),
        Algorithm::Dsa => "DSA".into(),
        Algorithm::Ed25519 => "ED25519".into(),
        Algorithm::Other(o) => o.clone(),
    }
}

impl Resource for RsaKey {
    fn name(&self) -> &str {
        "key_rsa"
    }

    fn to_s(&self) -> String {
        format!("rsa_key {}", self.path)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "resource_id" => Ok(Value::str(&self.path)),
            // Every private key is a public key too (OpenSSL::PKey::RSA#public?).
            "public?" => self.key().map(|_| Value::Bool(true)),
            "private?" => Ok(Value::Bool(self.key()?.private)),
            // `public_key.to_s`: the SubjectPublicKeyInfo in PEM.
            "public_key" => {
                let (key, _) = self.rsa(method)?;
                Ok(Value::str(to_pem(
                    "PUBLIC KEY",
                    &key.rsa_spki().unwrap_or_default(),
                )))
            }
            // `to_s` (export): the private key in PKCS#1 PEM, or the public key.
            "private_key" => {
                let (key, _) = self.rsa(method)?;
                Ok(Value::str(match &key.rsa_private_der {
                    Some(der) => to_pem("RSA PRIVATE KEY", der),
                    None => to_pem("PUBLIC KEY", &key.rsa_spki().unwrap_or_default()),
                }))
            }
            // `public_key.n.num_bytes * 8`.
            "key_length" => {
                let (_, n) = self.rsa(method)?;
                Ok(Value::Int((num_bits(n) + 7) / 8 * 8))
            }
            _ => Err(unsupported("key_rsa", method)),
        }
    }
}

const SSH_KEY_OWN: &[&str] = &["key_length", "private?", "public?", "type"];

/// `ssh_key` answers its own properties and every `file` property (a FileResource).
pub const SSH_KEY_METHODS: &[&str] = &concat::<{ super::file::METHODS.len() + SSH_KEY_OWN.len() }>(
    super::file::METHODS,
    SSH_KEY_OWN,
);

const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - a.len()];
        i += 1;
    }
    out
}

pub struct SshKey {
    path: String,
    passphrase: Option<String>,
    host: Arc<Host>,
    file: Arc<dyn Resource>,
    key: Lazy<Key>,
}

/// ssh_key.rb `set_ssh_key_path`: the path if it exists, else a file name under the home
/// directory's `.ssh/` (the target's `$HOME`: InSpec looks on the workstation, which is the
/// target for local runs), else skipped. A `~` is not expanded, as InSpec does not.
pub fn create_ssh_key(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let given = need_str("ssh_key", args, 0, "a key path")?;
    let path = if host.stat(&given)?.is_some() {
        given
    } else if given.contains('/') {
        // `~/.ssh/id_rsa` is not expanded: InSpec's `#{Dir.home}/.ssh/~/.ssh/id_rsa` is no
        // file either, so a path with a slash that does not exist is skipped as it is.
        return Err(ResourceError::Skip(format!("Can't find file: {given}")));
    } else {
        let home = super::os::create_os_env(&[Value::str("HOME")], host)?.call("content", &[])?;
        let under_home = match home {
            Value::Str(h) if !h.is_empty() => Some(format!("{h}/.ssh/{given}")),
            _ => None,
        };
        match under_home {
            Some(p) if host.stat(&p)?.is_some() => p,
            _ => return Err(ResourceError::Skip(format!("Can't find file: {given}"))),
        }
    };
    Ok(Arc::new(SshKey {
        file: super::file::create("file", &[Value::str(&path)], host)?,
        path,
        passphrase: str_arg(args, 1),
        host: host.clone(),
        key: Lazy::default(),
    }))
}

impl SshKey {
    /// ssh_key.rb `read_ssh_key`: a first line naming PRIVATE loads a private key, anything
    /// else a public key line.
    fn key(&self) -> Res<&Key> {
        self.key.get(|| {
            // `read_file_content(path, passphrase)`: the passphrase lands in `allow_empty`.
            let data = read_bytes(&self.host, &self.path, self.passphrase.is_some())?;
            let text = String::from_utf8_lossy(&data);
            let Some(first) = text.split('\n').find(|l| !l.is_empty()) else {
                return Err(ResourceError::Skip(format!("File is empty: {}", self.path)));
            };
            let openssh = pem_blocks(&text)
                .first()
                .filter(|b| b.label == "OPENSSH PRIVATE KEY")
                .map(|b| openssh_private(&b.der));
            let is_openssh = openssh.is_some();
            let loaded = match openssh {
                _ if !first.contains("PRIVATE") => {
                    ssh_public_line(&text).ok_or(KeyError::Unreadable)
                }
                Some(loaded) => loaded,
                None => read_pkey(&data, self.passphrase.as_deref()),
            };
            match loaded {
                Ok(k) => Ok(k),
                // OpenSSH's bcrypt-derived encryption is not decrypted here.
                Err(KeyError::Encrypted) if self.passphrase.is_some() && is_openssh => {
                    Err(ResourceError::Unsupported {
                        resource: "ssh_key".into(),
                        method: format!(
                            "decrypting the passphrase-protected OpenSSH key {}",
                            self.path
                        ),
                    })
                }
                // Ruby's OpenSSL messages (OpenSSL 3), which ssh_key.rb passes on.
                Err(KeyError::Encrypted) => Err(ResourceError::Failed(
                    "Could not parse PKey: bad decrypt".into(),
                )),
                Err(KeyError::Unreadable) => Err(ResourceError::Failed(
                    "Could not parse PKey: unsupported".into(),
                )),
            }
        })
    }
}

impl Resource for SshKey {
    fn name(&self) -> &str {
        "ssh_key"
    }

    fn to_s(&self) -> String {
        format!("ssh_key {}", self.path)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "public?" => Ok(Value::Bool(!self.key()?.private)),
            "private?" => Ok(Value::Bool(self.key()?.private)),
            "type" => match self.key()?.ssh_type() {
                Some(t) => Ok(Value::str(t)),
                None => Err(ResourceError::Failed(format!(
                    "undefined method `ssh_type' for the key in {} (net-ssh names no type for it)",
                    self.path
                ))),
            },
            // RSA only: `public_key.n.num_bits`; nil for other kinds.
            "key_length" => Ok(match &self.key()?.algorithm {
                Algorithm::Rsa { n, .. } => Value::Int(num_bits(n)),
                _ => Value::Nil,
            }),
            "resource_id" => Ok(Value::str(&self.path)),
            _ => self.file.call(method, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;
    use std::process::Command;

    /// Runs a key tool; false when it is missing or fails (the test then says so).
    fn tool(program: &str, args: &[&str]) -> bool {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Keys made here by openssl and ssh-keygen, read through the local transport; the
    /// public key must be byte for byte what `openssl rsa -pubout` writes.
    #[test]
    fn generated_keys_read_like_openssl_and_net_ssh() {
        let dir = std::env::temp_dir().join(format!("airs-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
        let made = tool(
            "openssl",
            &["genrsa", "-traditional", "-out", &p("rsa.pem"), "1536"],
        ) && tool(
            "openssl",
            &[
                "rsa",
                "-in",
                &p("rsa.pem"),
                "-pubout",
                "-out",
                &p("rsa.pub.pem"),
            ],
        ) && tool(
            "openssl",
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &p("rsa.pem"),
                "-out",
                &p("rsa8.pem"),
            ],
        ) && tool(
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                &p("ec.pem"),
            ],
        ) && tool(
            "ssh-keygen",
            &[
                "-q",
                "-t",
                "rsa",
                "-b",
                "2048",
                "-N",
                "",
                "-C",
                "t",
                "-f",
                &p("id_rsa"),
            ],
        ) && tool(
            "ssh-keygen",
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "secret",
                "-C",
                "t",
                "-f",
                &p("id_enc"),
            ],
        );
        if !made {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("skipped: openssl or ssh-keygen is not installed here");
            return;
        }
        let h = host();
        let s = |v: &str| Value::str(v);
        let rsa = create_key_rsa(&[s(&p("rsa.pem"))], &h).unwrap();
        let rsa8 = create_key_rsa(&[s(&p("rsa8.pem"))], &h).unwrap();
        let public = create_key_rsa(&[s(&p("rsa.pub.pem"))], &h).unwrap();
        let ec = create_key_rsa(&[s(&p("ec.pem"))], &h).unwrap();
        let openssl_pub = std::fs::read_to_string(p("rsa.pub.pem")).unwrap();
        let traditional = std::fs::read_to_string(p("rsa.pem")).unwrap();
        assert_eq!(rsa.call("public_key", &[]), Ok(Value::str(&openssl_pub)));
        assert_eq!(rsa8.call("public_key", &[]), Ok(Value::str(&openssl_pub)));
        // `to_s` of a PKCS#8 key is its traditional PKCS#1 form.
        assert_eq!(rsa8.call("private_key", &[]), Ok(Value::str(&traditional)));
        assert_eq!(rsa.call("key_length", &[]), Ok(Value::Int(1536)));
        assert_eq!(rsa.call("private?", &[]), Ok(Value::Bool(true)));
        assert_eq!(public.call("private?", &[]), Ok(Value::Bool(false)));
        assert_eq!(public.call("public?", &[]), Ok(Value::Bool(true)));
        assert_eq!(
            public.call("private_key", &[]),
            Ok(Value::str(&openssl_pub))
        );
        assert_eq!(ec.call("private?", &[]), Ok(Value::Bool(true)));
        assert!(
            matches!(ec.call("key_length", &[]), Err(ResourceError::Failed(m)) if m.contains("EC key"))
        );
        assert_eq!(rsa.to_s(), format!("rsa_key {}", p("rsa.pem")));

        // Passphrase-protected: traditional PEM (AES-128, DES-EDE3) and PKCS#8 PBES2 (SHA-256
        // and SHA-1 PRFs), each decrypting to the same public key; a wrong one fails.
        let pass = "it's $x";
        let passout = format!("pass:{pass}");
        let enc_made = tool(
            "openssl",
            &[
                "rsa",
                "-in",
                &p("rsa.pem"),
                "-aes128",
                "-traditional",
                "-passout",
                &passout,
                "-out",
                &p("e1.pem"),
            ],
        ) && tool(
            "openssl",
            &[
                "rsa",
                "-in",
                &p("rsa.pem"),
                "-des3",
                "-traditional",
                "-passout",
                &passout,
                "-out",
                &p("e2.pem"),
            ],
        ) && tool(
            "openssl",
            &[
                "pkcs8",
                "-topk8",
                "-in",
                &p("rsa.pem"),
                "-v2",
                "aes256",
                "-passout",
                &passout,
                "-out",
                &p("e3.pem"),
            ],
        ) && tool(
            "openssl",
            &[
                "pkcs8",
                "-topk8",
                "-in",
                &p("rsa.pem"),
                "-v2",
                "aes128",
                "-v2prf",
                "hmacWithSHA1",
                "-passout",
                &passout,
                "-out",
                &p("e4.pem"),
            ],
        );
        assert!(enc_made, "openssl made the keys above, and these too");
        for f in ["e1.pem", "e2.pem", "e3.pem", "e4.pem"] {
            let k = create_key_rsa(&[s(&p(f)), s(pass)], &h).unwrap();
            assert_eq!(
                k.call("public_key", &[]),
                Ok(Value::str(&openssl_pub)),
                "{f}"
            );
            assert_eq!(k.call("private?", &[]), Ok(Value::Bool(true)), "{f}");
            let wrong = create_key_rsa(&[s(&p(f)), s("nope")], &h).unwrap();
            let none = create_key_rsa(&[s(&p(f))], &h).unwrap();
            for r in [wrong, none] {
                assert_eq!(
                    r.call("private?", &[]),
                    Err(ResourceError::Failed("passphrase error".into())),
                    "{f}"
                );
            }
        }
        let ssh_pem = create_ssh_key(&[s(&p("e1.pem")), s(pass)], &h).unwrap();
        assert_eq!(ssh_pem.call("key_length", &[]), Ok(Value::Int(1536)));
        let ssh_wrong = create_ssh_key(&[s(&p("e1.pem")), s("nope")], &h).unwrap();
        assert_eq!(
            ssh_wrong.call("type", &[]),
            Err(ResourceError::Failed(
                "Could not parse PKey: bad decrypt".into()
            ))
        );

        let id = create_ssh_key(&[s(&p("id_rsa"))], &h).unwrap();
        let id_pub = create_ssh_key(&[s(&p("id_rsa.pub"))], &h).unwrap();
        let ec_ssh = create_ssh_key(&[s(&p("ec.pem"))], &h).unwrap();
        let enc = create_ssh_key(&[s(&p("id_enc"))], &h).unwrap();
        let enc_pass = create_ssh_key(&[s(&p("id_enc")), s("secret")], &h).unwrap();
        let answers = |r: &Arc<dyn Resource>| {
            ["type", "key_length", "private?", "public?"].map(|m| r.call(m, &[]))
        };
        assert_eq!(
            answers(&id),
            [
                Ok(s("ssh-rsa")),
                Ok(Value::Int(2048)),
                Ok(Value::Bool(true)),
                Ok(Value::Bool(false))
            ]
        );
        assert_eq!(
            answers(&id_pub),
            [
                Ok(s("ssh-rsa")),
                Ok(Value::Int(2048)),
                Ok(Value::Bool(false)),
                Ok(Value::Bool(true))
            ]
        );
        assert_eq!(
            answers(&ec_ssh),
            [
                Ok(s("ecdsa-sha2-nistp384")),
                Ok(Value::Nil),
                Ok(Value::Bool(true)),
                Ok(Value::Bool(false))
            ]
        );
        // File properties come from `file`.
        assert_eq!(id.call("file?", &[]), Ok(Value::Bool(true)));
        assert_eq!(id.to_s(), format!("ssh_key {}", p("id_rsa")));
        assert!(matches!(
            enc.call("type", &[]),
            Err(ResourceError::Failed(_))
        ));
        assert!(matches!(
            enc_pass.call("type", &[]),
            Err(ResourceError::Unsupported { .. })
        ));
        assert_eq!(
            create_ssh_key(&[s(&p("nope"))], &h).err(),
            Some(ResourceError::Skip(format!(
                "Can't find file: {}",
                p("nope")
            )))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
