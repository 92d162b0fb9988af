//! The DER (ASN.1) basics that key, certificate and DH parameter files are read with:
//! tags, TLV splitting, SEQUENCE items, encoding, integers and OIDs.

// DER tags used here.
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const SEQUENCE: u8 = 0x30;

/// One TLV at the start of `data`: its tag, contents and what follows. None: not DER.
pub fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The items of a SEQUENCE, each as (tag, contents).
pub fn sequence(data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, mut body, _) = tlv(data)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut items = Vec::new();
    while !body.is_empty() {
        let (t, c, rest) = tlv(body)?;
        items.push((t, c));
        body = rest;
    }
    Some(items)
}

/// A DER encoding of `content` under `tag`.
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// An unsigned big-endian integer without leading zero bytes.
pub fn magnitude(int: &[u8]) -> &[u8] {
    let start = int.iter().position(|b| *b != 0).unwrap_or(int.len());
    &int[start..]
}

/// `BN#num_bits`.
pub fn num_bits(int: &[u8]) -> i64 {
    let m = magnitude(int);
    match m.first() {
        Some(top) => (m.len() as i64 - 1) * 8 + i64::from(8 - top.leading_zeros() as u8),
        None => 0,
    }
}

/// An OID's dotted text.
pub fn oid_text(c: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut acc: u64 = 0;
    for (i, b) in c.iter().enumerate() {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() && i < c.len() {
                let first = acc.min(80) / 40;
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_round_trip_and_bits() {
        let long = vec![7u8; 300];
        let enc = der(OCTET_STRING, &long);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(tlv(&enc), Some((OCTET_STRING, &long[..], &[][..])));
        assert_eq!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(tlv(&[0x30, 0x05, 1]), None);
        assert_eq!(num_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(num_bits(&[0x01, 0xff]), 9);
        assert_eq!(num_bits(&[0, 0]), 0);
        assert_eq!(
            oid_text(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
            "1.2.840.10045.2.1"
        );
    }
}
