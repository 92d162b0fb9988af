//! `x509_certificate`: a PEM or DER certificate read from the target (or given as
//! `content:`) and parsed here with the `x509-parser` crate (pure Rust, DER and PEM, every
//! RFC 5280 extension parsed; no OpenSSL to link or version-match on the controller).
//! Names, algorithms and extensions are printed as Ruby's OpenSSL prints them, since
//! profiles compare with those texts (resources/x509_certificate.rb).

use std::sync::Arc;

use sha1::{Digest, Sha1};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::mash::Mash;
use crate::native::resources::support::{
    has_program, hash_option, run_argv, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "certificate?",
    "email",
    "extensions",
    "fingerprint",
    "has_purpose?",
    "issuer",
    "issuer_dn",
    "key_length",
    "keylength",
    "not_after",
    "not_before",
    "public_key",
    "serial",
    "signature_algorithm",
    "subject",
    "subject_alt_names",
    "subject_dn",
    "valid?",
    "validity_in_days",
    "version",
];

/// What a certificate says, owned (the parser's view borrows the bytes).
#[derive(Clone, Debug)]
struct Cert {
    version: i64,
    serial: Value,
    subject: Vec<(String, String)>,
    issuer: Vec<(String, String)>,
    not_before: i64,
    not_after: i64,
    signature_algorithm: String,
    /// RSA only: OpenSSL's `public_key.n.num_bytes * 8`.
    key_length: Option<i64>,
    fingerprint: String,
    /// The SubjectPublicKeyInfo in PEM (`public_key.to_pem`).
    public_key: String,
    extensions: Vec<(String, Vec<String>)>,
}

/// OpenSSL's short names of the name attributes (`OBJ_nid2sn`).
const NAME_ATTRS: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

/// OpenSSL's long names of signature algorithms (`OBJ_nid2ln`).
const SIGNATURE_ALGORITHMS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "rsassaPss"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.2.840.10040.4.3", "dsaWithSHA1"),
    ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256"),
    ("1.3.101.112", "ED25519"),
    ("1.3.101.113", "ED448"),
];

/// The extensions InSpec lists even when absent (as empty lists).
const STANDARD_EXTENSIONS: &[&str] = &[
    "keyUsage",
    "extendedKeyUsage",
    "basicConstraints",
    "subjectKeyIdentifier",
    "authorityKeyIdentifier",
    "subjectAltName",
    "issuerAltName",
    "authorityInfoAccess",
    "crlDistributionPoints",
    "issuingDistributionPoint",
    "certificatePolicies",
    "policyConstraints",
    "nameConstraints",
    "noCheck",
    "tlsfeature",
    "nsComment",
];

fn lookup(table: &[(&str, &'static str)], oid: &str) -> Option<&'static str> {
    table.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}

fn name_pairs(name: &X509Name) -> Vec<(String, String)> {
    name.iter_attributes()
        .map(|a| {
            let oid = a.attr_type().to_id_string();
            let key = lookup(NAME_ATTRS, &oid).map_or(oid, str::to_string);
            let value = a
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|_| String::from_utf8_lossy(a.attr_value().data).into_owned());
            (key, value)
        })
        .collect()
}

/// `OpenSSL::X509::Name#to_s`: `/C=DE/O=InSpec/CN=inspec.io`.
fn dn(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("/{k}={v}")).collect()
}

fn hex_colon(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A big-endian unsigned integer in decimal (serials are up to 20 bytes).
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base 10
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

fn general_name(g: &GeneralName) -> String {
    match g {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(b) if b.len() == 4 => {
            format!("IP Address:{}.{}.{}.{}", b[0], b[1], b[2], b[3])
        }
        GeneralName::IPAddress(b) if b.len() == 16 => format!(
            "IP Address:{}",
            b.chunks(2)
                .map(|c| format!("{:X}", u16::from_be_bytes([c[0], c[1]])))
                .collect::<Vec<_>>()
                .join(":")
        ),
        GeneralName::IPAddress(_) => "IP Address:<invalid>".into(),
        GeneralName::DirectoryName(n) => format!("DirName:{}", dn(&name_pairs(n))),
        GeneralName::RegisteredID(o) => format!("Registered ID:{}", o.to_id_string()),
        GeneralName::OtherName(..) => "othername:<unsupported>".into(),
        _ => "<unsupported>".into(),
    }
}

/// An extension as `OpenSSL::X509::Extension#to_s` prints it: its short name and value
/// text (`critical, ` first when critical). None: one InSpec would show only as raw bytes.
fn extension_text(ext: &x509_parser::extensions::X509Extension) -> Option<(String, String)> {
    let (name, value) = match ext.parsed_extension() {
        ParsedExtension::KeyUsage(ku) => {
            let flags = [
                (ku.digital_signature(), "Digital Signature"),
                (ku.non_repudiation(), "Non Repudiation"),
                (ku.key_encipherment(), "Key Encipherment"),
                (ku.data_encipherment(), "Data Encipherment"),
                (ku.key_agreement(), "Key Agreement"),
                (ku.key_cert_sign(), "Certificate Sign"),
                (ku.crl_sign(), "CRL Sign"),
                (ku.encipher_only(), "Encipher Only"),
                (ku.decipher_only(), "Decipher Only"),
            ];
            let names: Vec<&str> = flags.iter().filter(|f| f.0).map(|f| f.1).collect();
            ("keyUsage", names.join(", "))
        }
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let flags = [
                (eku.server_auth, "TLS Web Server Authentication"),
                (eku.client_auth, "TLS Web Client Authentication"),
                (eku.code_signing, "Code Signing"),
                (eku.email_protection, "E-mail Protection"),
                (eku.time_stamping, "Time Stamping"),
                (eku.ocsp_signing, "OCSP Signing"),
                (eku.any, "Any Extended Key Usage"),
            ];
            let mut names: Vec<String> = flags
                .iter()
                .filter(|f| f.0)
                .map(|f| f.1.to_string())
                .collect();
            names.extend(eku.other.iter().map(|o| o.to_id_string()));
            ("extendedKeyUsage", names.join(", "))
        }
        ParsedExtension::BasicConstraints(bc) => {
            let mut v = format!("CA:{}", if bc.ca { "TRUE" } else { "FALSE" });
            if let Some(n) = bc.path_len_constraint {
                v.push_str(&format!(", pathlen:{n}"));
            }
            ("basicConstraints", v)
        }
        ParsedExtension::SubjectKeyIdentifier(k) => ("subjectKeyIdentifier", hex_colon(k.0)),
        ParsedExtension::AuthorityKeyIdentifier(a) => (
            "authorityKeyIdentifier",
            a.key_identifier
                .as_ref()
                .map(|k| hex_colon(k.0))
                .unwrap_or_default(),
        ),
        ParsedExtension::SubjectAlternativeName(san) => (
            "subjectAltName",
            san.general_names
                .iter()
                .map(general_name)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ParsedExtension::IssuerAlternativeName(ian) => (
            "issuerAltName",
            ian.general_names
                .iter()
                .map(general_name)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ParsedExtension::AuthorityInfoAccess(aia) => (
            "authorityInfoAccess",
            aia.accessdescs
                .iter()
                .map(|d| {
                    let method = match d.access_method.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.48.1" => "OCSP".to_string(),
                        "1.3.6.1.5.5.7.48.2" => "CA Issuers".to_string(),
                        o => o.to_string(),
                    };
                    format!("{method} - {}\n", general_name(&d.access_location))
                })
                .collect::<String>(),
        ),
        ParsedExtension::CertificatePolicies(p) => (
            "certificatePolicies",
            p.iter()
                .map(|i| format!("Policy: {}", i.policy_id.to_id_string()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ParsedExtension::NsCertComment(c) => ("nsComment", c.to_string()),
        _ => return None,
    };
    let value = if ext.critical {
        format!("critical, {value}")
    } else {
        value
    };
    Some((name.to_string(), value))
}

/// Ruby's `split(/ *, */)`.
fn split_commas(v: &str) -> Vec<String> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(',')
        .map(|p| p.trim_matches(' ').to_string())
        .collect()
}

fn parse(data: &[u8]) -> Result<Cert, String> {
    let der: Vec<u8> = if data.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(data).map_err(|e| e.to_string())?;
        pem.contents
    } else {
        data.to_vec()
    };
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| e.to_string())?;
    let key_length = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let n = rsa.modulus;
            let significant = n.iter().position(|b| *b != 0).map_or(0, |i| n.len() - i);
            Some(significant as i64 * 8)
        }
        _ => None,
    };
    let serial = {
        let s = decimal(cert.raw_serial());
        s.parse::<i64>().map(Value::Int).unwrap_or(Value::Str(s))
    };
    let mut extensions: Vec<(String, Vec<String>)> = STANDARD_EXTENSIONS
        .iter()
        .map(|e| (e.to_string(), Vec::new()))
        .collect();
    for ext in cert.extensions() {
        if let Some((name, value)) = extension_text(ext) {
            let values = split_commas(&value);
            match extensions.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = values,
                None => extensions.push((name, values)),
            }
        }
    }
    let alg = cert.signature_algorithm.algorithm.to_id_string();
    Ok(Cert {
        version: i64::from(cert.version().0),
        serial,
        subject: name_pairs(cert.subject()),
        issuer: name_pairs(cert.issuer()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        signature_algorithm: lookup(SIGNATURE_ALGORITHMS, &alg).map_or(alg, str::to_string),
        key_length,
        fingerprint: Sha1::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        public_key: super::key_formats::to_pem("PUBLIC KEY", cert.public_key().raw),
        extensions,
    })
}

/// A Ruby `Time` as its `to_s` prints a UTC time.
fn time_text(ts: i64) -> Value {
    chrono::DateTime::from_timestamp(ts, 0).map_or(Value::Nil, |t| {
        Value::str(t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
    })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn pairs_hash(pairs: &[(String, String)]) -> Value {
    let mut out: Vec<(Value, Value)> = Vec::new();
    for (k, v) in pairs {
        let k = Value::str(k);
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = Value::str(v),
            None => out.push((k, Value::str(v))),
        }
    }
    Value::Hash(out)
}

pub struct X509Resource {
    filepath: Option<String>,
    content: Option<String>,
    host: Arc<Host>,
    cert: Lazy<Cert>,
}

/// `x509_certificate(path)` or `x509_certificate(content: pem)` / `(filepath: path)`.
pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let opt = |key: &str| match hash_option(args, key) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let filepath = str_arg(args, 0).or_else(|| opt("filepath"));
    let content = opt("content");
    if filepath.is_none() && content.is_none() {
        return Err(ResourceError::Failed(
            "`x509_certificate` needs a path, or content: or filepath:".into(),
        ));
    }
    Ok(Arc::new(X509Resource {
        filepath,
        content,
        host: host.clone(),
        cert: Lazy::default(),
    }))
}

impl X509Resource {
    fn cert(&self) -> Res<&Cert> {
        self.cert.get(|| {
            let data = match (&self.content, &self.filepath) {
                (Some(c), _) => c.clone().into_bytes(),
                (None, Some(p)) => match self.host.read_file(p)? {
                    // Binary (DER) content is read as bytes; the checks of
                    // read_file_content (exists, readable, not empty) first.
                    Some(d) if !d.is_empty() => d.to_vec(),
                    _ => {
                        read_file_content(&self.host, p, false)?;
                        return Err(ResourceError::Skip(format!("Can't read file: {p}")));
                    }
                },
                (None, None) => return Err(ResourceError::Failed("no certificate".into())),
            };
            parse(&data)
                .map_err(|e| ResourceError::Failed(format!("OpenSSL::X509::CertificateError: {e}")))
        })
    }

    fn has_purpose(&self) -> Res<Value> {
        let Some(path) = &self.filepath else {
            return Err(ResourceError::Failed(
                "`has_purpose?` reads the certificate with `openssl` on the target: give its path"
                    .into(),
            ));
        };
        let mut openssl = None;
        for cmd in [
            "/usr/sbin/openssl",
            "/usr/bin/openssl",
            "/sbin/openssl",
            "/bin/openssl",
            "openssl",
        ] {
            if has_program(&self.host, cmd)? {
                openssl = Some(cmd);
                break;
            }
        }
        let openssl = openssl.ok_or_else(|| {
            ResourceError::Failed("Could not find `openssl` on your system.".into())
        })?;
        let argv = [openssl, "x509", "-noout", "-purpose", "-in", path];
        let out = run_argv(&self.host, &argv)?;
        if out.exit_status != Some(0) {
            return Err(ResourceError::Failed(format!(
                "Executing {} failed: {}",
                argv.join(" "),
                out.stderr
            )));
        }
        // x509_certificate.rb matches the output with /purpose/, whatever was asked.
        Ok(Value::Bool(out.stdout.contains("purpose")))
    }
}

impl Resource for X509Resource {
    fn name(&self) -> &str {
        "x509_certificate"
    }
    /// x509_certificate.rb reads the file in `initialize` (read_file_content): a missing,
    /// unreadable or empty one skips the resource there, so a describe of it is one skipped
    /// result whatever its examples ask (even a property it lacks, as `issuer_cn`).
    fn load_skip(&self) -> Option<String> {
        self.content.is_none().then_some(())?;
        crate::native::resources::support::skip_of(self.cert())
    }
    fn to_s(&self) -> String {
        // Without a path the certificate is the given content: parsing it reads nothing.
        let cn = || {
            self.cert().ok().and_then(|c| {
                c.subject
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "CN")
                    .map(|(_, v)| v.clone())
            })
        };
        format!(
            "x509_certificate {}",
            self.filepath.clone().or_else(cn).unwrap_or_default()
        )
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !METHODS.contains(&method) {
            return Err(unsupported("x509_certificate", method));
        }
        if method == "has_purpose?" {
            return self.has_purpose();
        }
        let c = self.cert()?;
        Ok(match method {
            "certificate?" => Value::Bool(true),
            "version" => Value::Int(c.version),
            "serial" => c.serial.clone(),
            "fingerprint" => Value::str(&c.fingerprint),
            "public_key" => Value::str(&c.public_key),
            "signature_algorithm" => Value::str(&c.signature_algorithm),
            "subject_dn" => Value::str(dn(&c.subject)),
            "issuer_dn" => Value::str(dn(&c.issuer)),
            "subject" => Mash::wrap(&pairs_hash(&c.subject), "x509_certificate", "subject"),
            "issuer" => Mash::wrap(&pairs_hash(&c.issuer), "x509_certificate", "issuer"),
            "email" => pairs_hash(&c.subject)
                .hash_get(&Value::str("emailAddress"))
                .cloned()
                .unwrap_or(Value::Nil),
            "key_length" | "keylength" => match c.key_length {
                Some(n) => Value::Int(n),
                None => {
                    return Err(ResourceError::Failed(
                        "undefined method `n' for the certificate's public key (not RSA)".into(),
                    ))
                }
            },
            "not_before" => time_text(c.not_before),
            "not_after" => time_text(c.not_after),
            "validity_in_days" => Value::Float((c.not_after - now()) as f64 / 86400.0),
            "valid?" => {
                let t = now();
                Value::Bool(c.not_before <= t && t <= c.not_after)
            }
            "extensions" => Mash::wrap(&extensions_hash(c), "x509_certificate", "extensions"),
            "subject_alt_names" => extensions_hash(c)
                .hash_get(&Value::str("subjectAltName"))
                .cloned()
                .unwrap_or(Value::Nil),
            _ => return Err(unsupported("x509_certificate", method)),
        })
    }
}

fn extensions_hash(c: &Cert) -> Value {
    Value::Hash(
        c.extensions
            .iter()
            .map(|(k, v)| {
                (
                    Value::str(k),
                    Value::Array(v.iter().map(Value::str).collect()),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(
            decimal(&[0x25, 0xa3, 0x35, 0xcd, 0x5c, 0xf8, 0x7e, 0x68, 0x16, 0x50]),
            "177738256007268108080720"
        );
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert!(parse(b"not a certificate").is_err());
        assert!(parse(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
    }

    #[test]
    fn commas_split_like_ruby() {
        assert_eq!(
            split_commas("critical, Digital Signature, Key Encipherment"),
            ["critical", "Digital Signature", "Key Encipherment"]
        );
        assert!(split_commas("").is_empty());
    }
}
