//! Passphrase-protected keys as OpenSSL reads them: PEM's `DEK-Info` encryption (key from
//! `EVP_BytesToKey` with MD5, AES-128/192/256-CBC or DES-EDE3-CBC) and PKCS#8's
//! `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 with HMAC-SHA1/SHA256, AES-CBC). None: not
//! decrypted (wrong passphrase, other scheme).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use md5::Digest as _;

use crate::native::resources::der::{oid_text, sequence, tlv, INTEGER, OCTET_STRING};

const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";
const HMAC_SHA1: &str = "1.2.840.113549.2.7";
const HMAC_SHA256: &str = "1.2.840.113549.2.9";

/// A cipher's key length by OpenSSL's name.
fn key_len(cipher: &str) -> Option<usize> {
    Some(match cipher {
        "AES-128-CBC" => 16,
        "AES-192-CBC" | "DES-EDE3-CBC" => 24,
        "AES-256-CBC" => 32,
        _ => return None,
    })
}

fn cbc_decrypt(cipher: &str, key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    fn run<C: BlockDecryptMut + KeyIvInit>(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        let mut buf = data.to_vec();
        let plain = C::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .ok()?;
        Some(plain.to_vec())
    }
    match cipher {
        "AES-128-CBC" => run::<cbc::Decryptor<aes::Aes128>>(key, iv, data),
        "AES-192-CBC" => run::<cbc::Decryptor<aes::Aes192>>(key, iv, data),
        "AES-256-CBC" => run::<cbc::Decryptor<aes::Aes256>>(key, iv, data),
        "DES-EDE3-CBC" => run::<cbc::Decryptor<des::TdesEde3>>(key, iv, data),
        _ => None,
    }
}

/// `EVP_BytesToKey(cipher, md5, salt, pass, 1)`: the key only.
fn bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut h = md5::Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        key.extend_from_slice(&prev);
    }
    key.truncate(len);
    key
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A PEM body under `DEK-Info: CIPHER,IVHEX`.
pub fn pem_dek(headers: &[String], body: &[u8], pass: &str) -> Option<Vec<u8>> {
    let info = headers
        .iter()
        .find_map(|h| h.strip_prefix("DEK-Info:"))?
        .trim();
    let (cipher, iv_hex) = info.split_once(',')?;
    let iv = unhex(iv_hex.trim())?;
    let key = bytes_to_key(pass.as_bytes(), iv.get(..8)?, key_len(cipher)?);
    cbc_decrypt(cipher, &key, &iv, body)
}

/// PKCS#8 EncryptedPrivateKeyInfo with PBES2: the PrivateKeyInfo inside.
pub fn pkcs8_encrypted(der: &[u8], pass: &str) -> Option<Vec<u8>> {
    let items = sequence(der)?;
    let [(0x30, alg), (OCTET_STRING, data)] = items.as_slice() else {
        return None;
    };
    let (_, oid, params) = tlv(alg)?;
    if oid_text(oid) != PBES2 {
        return None;
    }
    let params = sequence(params)?;
    let [(0x30, kdf), (0x30, enc)] = params.as_slice() else {
        return None;
    };
    // keyDerivationFunc: PBKDF2 { salt, iterations, [keyLength], [prf] }.
    let (_, kdf_oid, kdf_params) = tlv(kdf)?;
    if oid_text(kdf_oid) != PBKDF2 {
        return None;
    }
    let kdf_items = sequence(kdf_params)?;
    let salt = kdf_items.first().filter(|(t, _)| *t == OCTET_STRING)?.1;
    let iterations = kdf_items
        .get(1)
        .filter(|(t, _)| *t == INTEGER)?
        .1
        .iter()
        .fold(0u32, |acc, b| {
            acc.saturating_mul(256).saturating_add(u32::from(*b))
        });
    let prf = kdf_items
        .iter()
        .skip(2)
        .find(|(t, _)| *t == 0x30)
        .and_then(|(_, c)| tlv(c))
        .map_or(HMAC_SHA1.to_string(), |(_, o, _)| oid_text(o));
    // encryptionScheme: an AES-CBC OID and its IV.
    let (_, enc_oid, iv) = tlv(enc)?;
    let (_, iv, _) = tlv(iv)?;
    let cipher = match oid_text(enc_oid).as_str() {
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC",
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC",
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        _ => return None,
    };
    // Bounded: a hostile file must not ask for billions of rounds.
    if iterations == 0 || iterations > 10_000_000 {
        return None;
    }
    let mut key = vec![0u8; key_len(cipher)?];
    match prf.as_str() {
        HMAC_SHA256 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pass.as_bytes(), salt, iterations, &mut key)
        }
        HMAC_SHA1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pass.as_bytes(), salt, iterations, &mut key),
        _ => return None,
    }
    cbc_decrypt(cipher, &key, iv, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_decrypted() {
        assert_eq!(unhex("0g"), None);
        assert_eq!(bytes_to_key(b"p", b"12345678", 40).len(), 40);
        assert_eq!(pem_dek(&["DEK-Info: RC2-CBC,00".into()], b"x", "p"), None);
        assert_eq!(
            pem_dek(&["DEK-Info: AES-128-CBC,0011".into()], b"x", "p"),
            None
        );
        assert_eq!(pkcs8_encrypted(b"\x30\x00", "p"), None);
    }
}
