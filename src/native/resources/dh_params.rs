//! `dh_params` (dh_params.rb: `OpenSSL::PKey::DH.new` of the file): PKCS#3 or X9.42
//! parameters in PEM or DER, read through the transport and answered as Ruby's OpenSSL 3
//! does: `to_text` as `EVP_PKEY_print_params` prints (a known group by its name),
//! `params_ok?` as `DH_check` decides (p an odd prime of 512..=10000 bits, (p-1)/2 prime
//! when there is no q, 1 < g < p-1; with q: q prime, g^q = 1 and q | p-1).

use std::sync::Arc;

use num_bigint::BigUint;
use sha2::{Digest, Sha256};

use crate::native::resources::der::{der, sequence, INTEGER, SEQUENCE};
use crate::native::resources::key_formats::{pem_blocks, to_pem};
use crate::native::resources::support::{need_str, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "dh_params?",
    "generator",
    "modulus",
    "pem",
    "prime_length",
    "resource_id",
    "text",
    "valid?",
];

/// The safe-prime groups OpenSSL 3 recognises by their prime (RFC 7919 and RFC 3526), by
/// the SHA-256 of the prime's bytes; their generator is 2.
const NAMED_GROUPS: &[(&str, &str)] = &[
    (
        "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966",
        "ffdhe2048",
    ),
    (
        "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17",
        "ffdhe3072",
    ),
    (
        "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e",
        "ffdhe4096",
    ),
    (
        "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7",
        "ffdhe6144",
    ),
    (
        "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833",
        "ffdhe8192",
    ),
    (
        "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b",
        "modp_1536",
    ),
    (
        "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e",
        "modp_2048",
    ),
    (
        "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c",
        "modp_3072",
    ),
    (
        "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33",
        "modp_4096",
    ),
    (
        "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd",
        "modp_6144",
    ),
    (
        "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf",
        "modp_8192",
    ),
];

/// Parsed parameters.
#[derive(Debug)]
struct Params {
    p: BigUint,
    g: BigUint,
    q: Option<BigUint>,
    /// PKCS#3's privateValueLength.
    length: Option<u64>,
    /// The PKCS#3 DER OpenSSL writes back (`to_pem`).
    der: Vec<u8>,
    x942: bool,
}

fn parse(data: &[u8]) -> Option<Params> {
    let text = String::from_utf8_lossy(data);
    let (der_bytes, x942) = if text.contains("-----BEGIN ") {
        let block = pem_blocks(&text)
            .into_iter()
            .find(|b| b.label == "DH PARAMETERS" || b.label == "X9.42 DH PARAMETERS")?;
        let x942 = block.label.starts_with("X9.42");
        (block.der, x942)
    } else {
        (data.to_vec(), false)
    };
    let items = sequence(&der_bytes)?;
    if items.len() < 2 || items[..2].iter().any(|(t, _)| *t != INTEGER) {
        return None;
    }
    let int = |c: &[u8]| BigUint::from_bytes_be(c);
    let (p, g) = (int(items[0].1), int(items[1].1));
    let (q, length) = if x942 {
        // X9.42 DomainParameters: p, g, q, [j], [validation parameters].
        (items.get(2).map(|(_, c)| int(c)), None)
    } else {
        let length = items
            .get(2)
            .filter(|(t, _)| *t == INTEGER)
            .and_then(|(_, c)| u64::try_from(int(c)).ok());
        (None, length)
    };
    // OpenSSL writes PKCS#3 p, g (and the length) back for DH, the X9.42 fields for DHX.
    let der = if x942 {
        der_bytes.clone()
    } else {
        let mut body = der(INTEGER, items[0].1);
        body.extend(der(INTEGER, items[1].1));
        if let Some((INTEGER, c)) = items.get(2) {
            body.extend(der(INTEGER, c));
        }
        der(SEQUENCE, &body)
    };
    Some(Params {
        p,
        g,
        q,
        length,
        der,
        x942,
    })
}

impl Params {
    fn group(&self) -> Option<&'static str> {
        if self.g != BigUint::from(2u8) || self.q.is_some() {
            return None;
        }
        let hash: String = Sha256::digest(self.p.to_bytes_be())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        NAMED_GROUPS
            .iter()
            .find(|(h, _)| *h == hash)
            .map(|(_, n)| *n)
    }

    /// `EVP_PKEY_print_params` (providers' `dh_to_text` / `ffc_params_to_text`).
    fn text(&self) -> String {
        let mut out = format!("DH Parameters: ({} bit)\n", self.p.bits());
        match self.group() {
            Some(name) => out.push_str(&format!("GROUP: {name}\n")),
            None => {
                out.push_str(&labeled_bignum("P:   ", &self.p));
                if let Some(q) = &self.q {
                    out.push_str(&labeled_bignum("Q:   ", q));
                }
                out.push_str(&labeled_bignum("G:   ", &self.g));
            }
        }
        if let Some(n) = self.length.filter(|n| *n != 0) {
            out.push_str(&format!("recommended-private-length: {n} bits\n"));
        }
        out
    }

    /// `DH_check` finding nothing wrong.
    fn ok(&self) -> bool {
        let one = BigUint::from(1u8);
        let bits = self.p.bits();
        let p_minus_1 = if self.p > one {
            &self.p - &one
        } else {
            return false;
        };
        if !self.p.bit(0) || !(512..=10_000).contains(&bits) {
            return false;
        }
        if self.g <= one || self.g >= p_minus_1 {
            return false;
        }
        // OpenSSL trusts a known group's prime (DH_check on a named group checks no more).
        if self.group().is_some() {
            return true;
        }
        match &self.q {
            Some(q) => {
                is_probable_prime(q)
                    && self.g.modpow(q, &self.p) == one
                    && (&p_minus_1 % q) == BigUint::from(0u8)
                    && is_probable_prime(&self.p)
            }
            None => is_probable_prime(&self.p) && is_probable_prime(&(&self.p >> 1u32)),
        }
    }
}

/// `print_labeled_bignum`: a word-sized number on the label's line, else its bytes in
/// lower-case hex, 15 a line, under a 4-space indent (a `00` first when the top bit is set).
fn labeled_bignum(label: &str, n: &BigUint) -> String {
    if let Ok(small) = u64::try_from(n) {
        return if small == 0 {
            format!("{label} 0\n")
        } else {
            format!("{label} {small} (0x{small:x})\n")
        };
    }
    let mut bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| *b >= 0x80) {
        bytes.insert(0, 0);
    }
    let lines: Vec<String> = bytes
        .chunks(15)
        .map(|c| {
            c.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    format!("{label}\n    {}\n", lines.join(":\n    "))
}

/// Miller–Rabin after trial division by the small primes. The witnesses come from the
/// number's own SHA-256 (fixed per number, not guessable in advance as fixed bases are).
fn is_probable_prime(n: &BigUint) -> bool {
    const SMALL: &[u32] = &[
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97,
    ];
    let two = BigUint::from(2u8);
    if *n < two {
        return false;
    }
    for &s in SMALL {
        if *n == BigUint::from(s) {
            return true;
        }
        if (n % s) == BigUint::from(0u8) {
            return false;
        }
    }
    let one = BigUint::from(1u8);
    let n_minus_1 = n - &one;
    let r = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> r;
    let mut seed = Sha256::digest(n.to_bytes_be()).to_vec();
    for _ in 0..16 {
        seed = Sha256::digest(&seed).to_vec();
        let a = BigUint::from_bytes_be(&seed) % (n - 3u8) + &two;
        let mut x = a.modpow(&d, n);
        if x == one || x == n_minus_1 {
            continue;
        }
        let mut witness = true;
        for _ in 1..r {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                witness = false;
                break;
            }
        }
        if witness {
            return false;
        }
    }
    true
}

pub struct DhParams {
    path: String,
    host: Arc<Host>,
    params: Lazy<Params>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(DhParams {
        path: need_str("dh_params", args, 0, "a parameters file path")?,
        host: host.clone(),
        params: Lazy::default(),
    }))
}

impl DhParams {
    fn params(&self) -> Res<&Params> {
        self.params.get(|| {
            crate::native::resources::file_reader::read_file_content(
                &self.host, &self.path, false,
            )?;
            let data = self
                .host
                .read_file(&self.path)?
                .ok_or_else(|| ResourceError::Skip(format!("Can't read file: {}", self.path)))?;
            parse(&data).ok_or_else(|| {
                ResourceError::Failed(format!(
                    "OpenSSL::PKey::DHError: could not parse DH parameters in {}",
                    self.path
                ))
            })
        })
    }
}

impl Resource for DhParams {
    fn name(&self) -> &str {
        "dh_params"
    }

    fn to_s(&self) -> String {
        format!("dh_params {}", self.path)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if method == "resource_id" {
            return Ok(Value::str(&self.path));
        }
        if !METHODS.contains(&method) {
            return Err(unsupported("dh_params", method));
        }
        let p = self.params()?;
        Ok(match method {
            "dh_params?" => Value::Bool(true),
            "generator" => match i64::try_from(&p.g) {
                Ok(g) => Value::Int(g),
                Err(_) => Value::str(p.g.to_string()),
            },
            // `"00:" + p.to_s(16).downcase.scan(/.{2}/).join(":")`: an odd last digit is
            // dropped by the scan, as in Ruby.
            "modulus" => {
                let hex = p.p.to_str_radix(16);
                let pairs: Vec<&str> = hex
                    .as_bytes()
                    .chunks_exact(2)
                    .map(|c| std::str::from_utf8(c).unwrap_or(""))
                    .collect();
                Value::str(format!("00:{}", pairs.join(":")))
            }
            "prime_length" => Value::Int(p.p.bits() as i64),
            "pem" => Value::str(to_pem(
                if p.x942 {
                    "X9.42 DH PARAMETERS"
                } else {
                    "DH PARAMETERS"
                },
                &p.der,
            )),
            "text" => Value::str(p.text()),
            "valid?" => Value::Bool(p.ok()),
            _ => return Err(unsupported("dh_params", method)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_and_composites() {
        for n in [2u64, 3, 97, 101, 1_000_000_007, 2_305_843_009_213_693_951] {
            assert!(is_probable_prime(&BigUint::from(n)), "{n}");
        }
        // 561 and 41041 are Carmichael numbers; 2^61+1 is divisible by 3.
        for n in [
            0u64,
            1,
            9,
            561,
            41_041,
            1_000_000_007 * 3,
            2_305_843_009_213_693_953,
        ] {
            assert!(!is_probable_prime(&BigUint::from(n)), "{n}");
        }
    }

    #[test]
    fn small_numbers_print_on_their_line() {
        assert_eq!(
            labeled_bignum("G:   ", &BigUint::from(2u8)),
            "G:    2 (0x2)\n"
        );
        let big = BigUint::from_bytes_be(&[0x80; 16]);
        assert_eq!(
            labeled_bignum("P:   ", &big),
            "P:   \n    00:80:80:80:80:80:80:80:80:80:80:80:80:80:80:\n    80:80\n"
        );
    }

    #[test]
    fn garbage_is_no_parameters() {
        assert!(parse(b"").is_none());
        assert!(
            parse(b"-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n").is_none()
        );
    }
}

#[cfg(test)]
mod local_tests {
    use super::*;
    use crate::transport::local::test_host as host;

    /// Parameters made here by openssl (when installed): the text, PEM and check agree
    /// with what `openssl pkeyparam -text` and `-check` print for the same file.
    #[test]
    fn generated_parameters_read_like_openssl() {
        let dir = std::env::temp_dir().join(format!("airs-dh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("dh.pem");
        let path = file.to_str().unwrap();
        let run = |args: &[&str]| {
            std::process::Command::new("openssl")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let made = run(&[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:modp_1536",
            "-out",
            path,
        ]);
        let text = run(&["pkeyparam", "-in", path, "-text", "-noout"]);
        let (Some(_), Some(text)) = (made, text) else {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("skipped: openssl is not installed here");
            return;
        };
        let r = create(&[Value::str(path)], &host()).unwrap();
        let pem = std::fs::read_to_string(&file).unwrap();
        assert_eq!(r.call("text", &[]), Ok(Value::str(&text)));
        assert_eq!(r.call("pem", &[]), Ok(Value::str(&pem)));
        assert_eq!(r.call("valid?", &[]), Ok(Value::Bool(true)));
        assert_eq!(r.call("prime_length", &[]), Ok(Value::Int(1536)));
        assert_eq!(r.call("generator", &[]), Ok(Value::Int(2)));
        // The same prime with generator p-1 is no good parameter set.
        let Some(mut params) = parse(pem.as_bytes()) else {
            panic!("parses")
        };
        params.g = &params.p - 1u8;
        assert!(!params.ok());
        params.g = BigUint::from(2u8);
        params.p += 2u8;
        assert!(!params.ok());
        std::fs::write(&file, "").unwrap();
        let empty = create(&[Value::str(path)], &host()).unwrap();
        assert_eq!(
            empty.call("text", &[]),
            Err(ResourceError::Skip(format!("File is empty: {path}")))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
