//! Key files as InSpec reads them on the workstation with Ruby's OpenSSL and net-ssh
//! (`OpenSSL::PKey.read`, `OpenSSL::PKey::DH.new`, `Net::SSH::KeyFactory`): PEM armour,
//! the DER of PKCS#1/PKCS#8/SubjectPublicKeyInfo/SEC1/PKCS#3, OpenSSH's own private key
//! format and public key lines. Only what `key_rsa`, `ssh_key` and `dh_params` answer is
//! read. Passphrase-protected PEM and PKCS#8 keys are decrypted (`key_decrypt`);
//! OpenSSH's own encrypted keys (bcrypt KDF) are reported as encrypted.

use base64::Engine;

use crate::native::resources::der::{
    der, oid_text, sequence, tlv, BIT_STRING, INTEGER, NULL, OCTET_STRING, OID, SEQUENCE,
};

/// One PEM block: its label, its header lines (`Proc-Type: 4,ENCRYPTED`) and its bytes.
#[derive(Debug)]
pub struct Pem {
    pub label: String,
    pub headers: Vec<String>,
    pub der: Vec<u8>,
}

/// Every well-formed PEM block of a text, in order.
pub fn pem_blocks(text: &str) -> Vec<Pem> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let (mut headers, mut body) = (Vec::new(), String::new());
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim();
            if l == end {
                closed = true;
                break;
            }
            if l.contains(':') && body.is_empty() {
                headers.push(l.to_string());
            } else {
                body.push_str(l);
            }
        }
        if !closed {
            break;
        }
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(Pem {
                label: label.to_string(),
                headers,
                der,
            });
        }
    }
    out
}

/// DER as PEM: base64 in lines of 64 between the label's armour lines.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

const RSA_OID: &str = "1.2.840.113549.1.1.1";
const EC_OID: &str = "1.2.840.10045.2.1";
const DSA_OID: &str = "1.2.840.10040.4.1";
const ED25519_OID: &str = "1.3.101.112";

/// The kind of a key and what InSpec reads from it.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// Modulus and public exponent (INTEGER contents).
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The curve's OID (named curves only).
    Ec {
        curve: String,
    },
    Dsa,
    /// net-ssh's own Ed25519 key (OpenSSH formats).
    Ed25519,
    Other(String),
}

/// A key as `OpenSSL::PKey.read` or net-ssh gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub algorithm: Algorithm,
    /// The private half is there.
    pub private: bool,
    /// PKCS#1 RSAPrivateKey DER, for `private_key` (`to_pem` of an RSA key).
    pub rsa_private_der: Option<Vec<u8>>,
}

/// Why a key was not read.
#[derive(Debug, PartialEq)]
pub enum KeyError {
    /// Encrypted with a passphrase: not decrypted here.
    Encrypted,
    /// Not a key OpenSSL reads.
    Unreadable,
}

impl Key {
    /// `ssh_type` as net-ssh names it. None: an OpenSSL key net-ssh gives none (Ed25519
    /// through PKCS#8, an unknown curve).
    pub fn ssh_type(&self) -> Option<String> {
        Some(match &self.algorithm {
            Algorithm::Rsa { .. } => "ssh-rsa".into(),
            Algorithm::Dsa => "ssh-dss".into(),
            Algorithm::Ec { curve } => format!(
                "ecdsa-sha2-{}",
                match curve.as_str() {
                    "1.2.840.10045.3.1.7" => "nistp256",
                    "1.3.132.0.34" => "nistp384",
                    "1.3.132.0.35" => "nistp521",
                    _ => return None,
                }
            ),
            Algorithm::Ed25519 => "ssh-ed25519".into(),
            Algorithm::Other(_) => return None,
        })
    }

    /// The SubjectPublicKeyInfo of an RSA key (`public_key.to_pem`).
    pub fn rsa_spki(&self) -> Option<Vec<u8>> {
        let Algorithm::Rsa { n, e } = &self.algorithm else {
            return None;
        };
        let alg = der(
            SEQUENCE,
            &[
                der(OID, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]),
                der(NULL, &[]),
            ]
            .concat(),
        );
        let rsa = der(SEQUENCE, &[der(INTEGER, n), der(INTEGER, e)].concat());
        let mut bits = vec![0u8];
        bits.extend(rsa);
        Some(der(SEQUENCE, &[alg, der(BIT_STRING, &bits)].concat()))
    }
}

fn rsa_public(der_bytes: &[u8]) -> Option<Algorithm> {
    let items = sequence(der_bytes)?;
    match items.as_slice() {
        [(INTEGER, n), (INTEGER, e)] => Some(Algorithm::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        }),
        _ => None,
    }
}

/// PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv.
fn rsa_private(der_bytes: &[u8]) -> Option<Key> {
    let items = sequence(der_bytes)?;
    if items.len() < 9 || items.iter().take(9).any(|(t, _)| *t != INTEGER) {
        return None;
    }
    Some(Key {
        algorithm: Algorithm::Rsa {
            n: items[1].1.to_vec(),
            e: items[2].1.to_vec(),
        },
        private: true,
        rsa_private_der: Some(der_bytes.to_vec()),
    })
}

/// A DER item: its tag and contents.
type Item = (u8, Vec<u8>);

/// The algorithm of an AlgorithmIdentifier's contents: its OID and parameters.
fn algorithm_id(content: &[u8]) -> Option<(String, Option<Item>)> {
    let (tag, oid, rest) = tlv(content)?;
    if tag != OID {
        return None;
    }
    let params = tlv(rest).map(|(t, c, _)| (t, c.to_vec()));
    Some((oid_text(oid), params))
}

fn kind_of(oid: &str, params: Option<Item>) -> Algorithm {
    match oid {
        EC_OID => match params {
            Some((OID, c)) => Algorithm::Ec {
                curve: oid_text(&c),
            },
            _ => Algorithm::Other("EC (explicit curve)".into()),
        },
        DSA_OID => Algorithm::Dsa,
        // OpenSSL gives a generic PKey for it, which net-ssh names no `ssh_type`.
        ED25519_OID => Algorithm::Other("ED25519".into()),
        other => Algorithm::Other(other.to_string()),
    }
}

/// PKCS#8 PrivateKeyInfo: version, algorithm, privateKey.
fn pkcs8(der_bytes: &[u8]) -> Option<Key> {
    let items = sequence(der_bytes)?;
    let [(INTEGER, _), (SEQUENCE, alg), (OCTET_STRING, inner), ..] = items.as_slice() else {
        return None;
    };
    let (oid, params) = algorithm_id(alg)?;
    if oid == RSA_OID {
        return rsa_private(inner);
    }
    Some(Key {
        algorithm: kind_of(&oid, params),
        private: true,
        rsa_private_der: None,
    })
}

/// SubjectPublicKeyInfo: algorithm, subjectPublicKey.
fn spki(der_bytes: &[u8]) -> Option<Key> {
    let items = sequence(der_bytes)?;
    let [(SEQUENCE, alg), (BIT_STRING, bits)] = items.as_slice() else {
        return None;
    };
    let (oid, params) = algorithm_id(alg)?;
    let algorithm = if oid == RSA_OID {
        rsa_public(bits.get(1..)?)?
    } else {
        kind_of(&oid, params)
    };
    Some(Key {
        algorithm,
        private: false,
        rsa_private_der: None,
    })
}

/// SEC1 ECPrivateKey: version, privateKey, [0] parameters (the curve).
fn sec1(der_bytes: &[u8]) -> Option<Key> {
    let items = sequence(der_bytes)?;
    let curve = items
        .iter()
        .find(|(t, _)| *t == 0xa0)
        .and_then(|(_, c)| tlv(c))
        .filter(|(t, _, _)| *t == OID)
        .map(|(_, c, _)| oid_text(c));
    Some(Key {
        algorithm: match curve {
            Some(curve) => Algorithm::Ec { curve },
            None => Algorithm::Other("EC (explicit curve)".into()),
        },
        private: true,
        rsa_private_der: None,
    })
}

/// `OpenSSL::PKey.read(content, passphrase)`: the first key of a PEM text, or DER. An
/// encrypted key without the right passphrase is `Encrypted`.
pub fn read_pkey(data: &[u8], passphrase: Option<&str>) -> Result<Key, KeyError> {
    use super::key_decrypt::{pem_dek, pkcs8_encrypted};
    let text = String::from_utf8_lossy(data);
    if text.contains("-----BEGIN ") {
        for block in pem_blocks(&text) {
            let encrypted = block.headers.iter().any(|h| h.contains("ENCRYPTED"));
            if block.label == "ENCRYPTED PRIVATE KEY" {
                return passphrase
                    .and_then(|p| pkcs8_encrypted(&block.der, p))
                    .and_then(|d| pkcs8(&d))
                    .ok_or(KeyError::Encrypted);
            }
            let der = if encrypted {
                passphrase
                    .and_then(|p| pem_dek(&block.headers, &block.der, p))
                    .ok_or(KeyError::Encrypted)?
            } else {
                block.der
            };
            let key = match block.label.as_str() {
                "RSA PRIVATE KEY" => rsa_private(&der),
                "PRIVATE KEY" => pkcs8(&der),
                "PUBLIC KEY" => spki(&der),
                "RSA PUBLIC KEY" => rsa_public(&der).map(|algorithm| Key {
                    algorithm,
                    private: false,
                    rsa_private_der: None,
                }),
                "EC PRIVATE KEY" => sec1(&der),
                "DSA PRIVATE KEY" => sequence(&der).map(|_| Key {
                    algorithm: Algorithm::Dsa,
                    private: true,
                    rsa_private_der: None,
                }),
                _ => continue,
            };
            // A wrong passphrase decrypts (padding holds by chance) into no key.
            return key.ok_or(if encrypted {
                KeyError::Encrypted
            } else {
                KeyError::Unreadable
            });
        }
        return Err(KeyError::Unreadable);
    }
    rsa_private(data)
        .or_else(|| pkcs8(data))
        .or_else(|| spki(data))
        .or_else(|| {
            rsa_public(data).map(|algorithm| Key {
                algorithm,
                private: false,
                rsa_private_der: None,
            })
        })
        .ok_or(KeyError::Unreadable)
}

/// SSH wire format: a length-prefixed string.
fn ssh_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let body = data.get(4..4 + len)?;
    Some((body, &data[4 + len..]))
}

/// A public key blob (`string type, ...`), as net-ssh's `Buffer#read_key`.
pub fn ssh_blob(blob: &[u8], private: bool) -> Option<Key> {
    let (kind, rest) = ssh_string(blob)?;
    let algorithm = match kind {
        b"ssh-rsa" => {
            let (e, rest) = ssh_string(rest)?;
            let (n, _) = ssh_string(rest)?;
            Algorithm::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            }
        }
        b"ssh-dss" => Algorithm::Dsa,
        b"ssh-ed25519" => Algorithm::Ed25519,
        k if k.starts_with(b"ecdsa-sha2-") => {
            let curve = match &k[11..] {
                b"nistp256" => "1.2.840.10045.3.1.7",
                b"nistp384" => "1.3.132.0.34",
                b"nistp521" => "1.3.132.0.35",
                _ => return None,
            };
            Algorithm::Ec {
                curve: curve.into(),
            }
        }
        _ => return None,
    };
    Some(Key {
        algorithm,
        private,
        rsa_private_der: None,
    })
}

/// `-----BEGIN OPENSSH PRIVATE KEY-----` (openssh-key-v1): the unencrypted public key of
/// the first key; an encrypted file (cipher other than `none`) is reported as such.
pub fn openssh_private(der_bytes: &[u8]) -> Result<Key, KeyError> {
    let rest = der_bytes
        .strip_prefix(b"openssh-key-v1\0")
        .ok_or(KeyError::Unreadable)?;
    let (cipher, rest) = ssh_string(rest).ok_or(KeyError::Unreadable)?;
    let (_kdf, rest) = ssh_string(rest).ok_or(KeyError::Unreadable)?;
    let (_kdf_options, rest) = ssh_string(rest).ok_or(KeyError::Unreadable)?;
    let count = rest.get(..4).ok_or(KeyError::Unreadable)?;
    if count != [0, 0, 0, 1] {
        return Err(KeyError::Unreadable);
    }
    if cipher != b"none" {
        return Err(KeyError::Encrypted);
    }
    let (blob, _) = ssh_string(&rest[4..]).ok_or(KeyError::Unreadable)?;
    ssh_blob(blob, true).ok_or(KeyError::Unreadable)
}

/// A public key line (`ssh-rsa AAAA... comment`), as net-ssh's `load_data_public_key`
/// (`type, blob = data.split(/ /)`).
pub fn ssh_public_line(text: &str) -> Option<Key> {
    let mut fields = text.split(' ');
    let _type = fields.next()?;
    let blob = fields.next()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(blob.trim())
        .ok()?;
    ssh_blob(&blob, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_unreadable() {
        assert_eq!(read_pkey(b"", None), Err(KeyError::Unreadable));
        assert_eq!(read_pkey(b"hello", None), Err(KeyError::Unreadable));
        assert_eq!(
            read_pkey(
                b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                None
            ),
            Err(KeyError::Unreadable)
        );
        assert_eq!(
            read_pkey(
                b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                Some("p")
            ),
            Err(KeyError::Encrypted)
        );
        assert_eq!(
            openssh_private(b"openssh-key-v1\0"),
            Err(KeyError::Unreadable)
        );
        assert_eq!(ssh_public_line("ssh-rsa"), None);
        assert_eq!(ssh_public_line("ssh-rsa !!!"), None);
    }
}
