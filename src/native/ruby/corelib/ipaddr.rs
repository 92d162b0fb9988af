//! Ruby's `IPAddr` (ipaddr.rb, Ruby 3.1): an IPv4 or IPv6 address with a netmask, as
//! `IPAddr.new('10.0.0.0/8')` builds it — the address masked by the prefix — with
//! `include?`/`===`, `to_s` (IPv6 compressed as ipaddr.rb does), `to_string`, `mask`,
//! `ipv4?`/`ipv6?`, `to_i`, `prefix`, `netmask`, `to_range`, `==`, `<=>`, `private?`,
//! `loopback?`, `reverse` and `inspect`.

use std::cmp::Ordering;
use std::net::Ipv6Addr;

use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::{Flow, R};

const IN4MASK: u128 = 0xffff_ffff;
const IN6MASK: u128 = u128::MAX;

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IpAddr {
    v6: bool,
    addr: u128,
    mask: u128,
    zone: Option<String>,
}

pub const CLASS_METHODS: &[&str] = &["new"];

pub const METHODS: &[&str] = &[
    "include?",
    "===",
    "to_s",
    "to_string",
    "mask",
    "ipv4?",
    "ipv6?",
    "to_i",
    "prefix",
    "netmask",
    "to_range",
    "==",
    "<=>",
    "private?",
    "loopback?",
    "reverse",
    "inspect",
    "family",
];

impl NativeObject for IpAddr {
    fn class_name(&self) -> Option<&'static str> {
        Some("IPAddr")
    }
    fn equals(&self, other: &dyn NativeObject) -> bool {
        other
            .downcast_ref::<IpAddr>()
            .is_some_and(|o| o.v6 == self.v6 && o.addr == self.addr)
    }
    fn compare(&self, other: &dyn NativeObject) -> Option<Ordering> {
        let o = other.downcast_ref::<IpAddr>()?;
        (o.v6 == self.v6).then(|| self.addr.cmp(&o.addr))
    }
    fn inspect(&self) -> Option<String> {
        let (af, zone) = if self.v6 {
            ("IPv6", self.zone.clone().unwrap_or_default())
        } else {
            ("IPv4", String::new())
        };
        Some(format!(
            "#<IPAddr: {af}:{}{zone}/{}>",
            self.plain(self.addr),
            self.plain(self.mask)
        ))
    }
    fn to_s(&self) -> Option<String> {
        Some(self.compressed())
    }
}

fn invalid(class: &str, msg: impl Into<String>) -> Flow {
    Flow::raise(class, msg)
}

/// ipaddr.rb's `in_addr`: four decimal octets, none above 255 nor zero-filled. None: not
/// IPv4-like (then IPv6 is tried).
fn in_addr(s: &str) -> R<Option<u128>> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(None);
    }
    let mut n: u128 = 0;
    for p in parts {
        // `@addr` is still nil when these are raised: the message ends with ": ".
        let v: u128 = p.parse().unwrap_or(u128::MAX);
        if v >= 256 {
            return Err(invalid("IPAddr::InvalidAddressError", "invalid address: "));
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(invalid(
                "IPAddr::InvalidAddressError",
                "zero-filled number in IPv4 address is ambiguous: ",
            ));
        }
        n = (n << 8) | v;
    }
    Ok(Some(n))
}

impl IpAddr {
    fn full(&self) -> u128 {
        if self.v6 {
            IN6MASK
        } else {
            IN4MASK
        }
    }

    fn bits(&self) -> u32 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    /// `IPAddr.new(addr)`: `addr[/prefix|/mask]`, IPv6 possibly in brackets or with a
    /// `%zone`.
    pub fn parse(text: &str) -> R<IpAddr> {
        let (mut prefix, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let mut force_v6 = false;
        if let Some(inner) = prefix.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            prefix = inner;
            force_v6 = true;
        }
        let mut zone = None;
        if let Some(i) = prefix.rfind('%') {
            let z = &prefix[i + 1..];
            if !z.is_empty() && z.chars().all(|c| c.is_alphanumeric() || c == '_') {
                zone = Some(prefix[i..].to_string());
                prefix = &prefix[..i];
                force_v6 = true;
            }
        }
        let v4 = if force_v6 { None } else { in_addr(prefix)? };
        let mut ip = match v4 {
            Some(addr) => IpAddr {
                v6: false,
                addr,
                mask: IN4MASK,
                zone: None,
            },
            None => {
                let a: Ipv6Addr = prefix
                    .parse()
                    .map_err(|_| invalid("IPAddr::InvalidAddressError", "invalid address: "))?;
                IpAddr {
                    v6: true,
                    addr: u128::from(a),
                    mask: IN6MASK,
                    zone,
                }
            }
        };
        if let Some(l) = len {
            ip.mask_str(l)?;
        }
        Ok(ip)
    }

    /// `mask!` with a String: a prefix length or a netmask of the same family.
    fn mask_str(&mut self, m: &str) -> R<()> {
        if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) {
            if m.len() > 1 && m.starts_with('0') {
                return Err(invalid(
                    "IPAddr::InvalidPrefixError",
                    "leading zeros in prefix",
                ));
            }
            return self.mask_len(m.parse().unwrap_or(i64::MAX));
        }
        let other = IpAddr::parse(m)?;
        if other.v6 != self.v6 {
            return Err(invalid(
                "IPAddr::InvalidPrefixError",
                format!("address family is not same: {}", self.plain(self.addr)),
            ));
        }
        let n = other.addr ^ other.mask;
        if n.wrapping_add(1) & n != 0 {
            return Err(invalid(
                "IPAddr::InvalidPrefixError",
                format!("invalid mask {m}: {}", self.plain(self.addr)),
            ));
        }
        self.mask = other.addr;
        self.addr &= self.mask;
        Ok(())
    }

    fn mask_len(&mut self, len: i64) -> R<()> {
        let bits = i64::from(self.bits());
        if !(0..=bits).contains(&len) {
            return Err(invalid(
                "IPAddr::InvalidPrefixError",
                format!("invalid length: {}", self.plain(self.addr)),
            ));
        }
        let masklen = (bits - len) as u32;
        let full = self.full();
        self.mask = full
            .checked_shr(masklen)
            .unwrap_or(0)
            .checked_shl(masklen)
            .unwrap_or(0)
            & full;
        self.addr &= self.mask;
        Ok(())
    }

    /// `_to_string`: dotted quad, or eight zero-padded hex groups.
    fn plain(&self, n: u128) -> String {
        if self.v6 {
            (0..8)
                .map(|i| format!("{:04x}", (n >> (112 - 16 * i)) & 0xffff))
                .collect::<Vec<_>>()
                .join(":")
        } else {
            (0..4)
                .map(|i| ((n >> (24 - 8 * i)) & 0xff).to_string())
                .collect::<Vec<_>>()
                .join(".")
        }
    }

    /// `to_string`: the full form, with the zone of an IPv6 address.
    fn full_string(&self) -> String {
        let mut s = self.plain(self.addr);
        if self.v6 {
            s.push_str(self.zone.as_deref().unwrap_or(""));
        }
        s
    }

    /// `to_s`: IPv6 with leading zeros dropped and the first longest run of zero groups
    /// (tried from 8 down to 2) as `::`; `::a.b.c.d` for v4-compatible and mapped forms.
    fn compressed(&self) -> String {
        if !self.v6 {
            return self.plain(self.addr);
        }
        let groups: Vec<String> = (0..8)
            .map(|i| format!("{:x}", (self.addr >> (112 - 16 * i)) & 0xffff))
            .collect();
        let mut best: Option<(usize, usize)> = None;
        for run in (2..=8).rev() {
            if let Some(start) =
                (0..=8 - run).find(|&s| groups[s..s + run].iter().all(|g| g == "0"))
            {
                best = Some((start, run));
                break;
            }
        }
        let mut s = match best {
            Some((start, run)) => format!(
                "{}::{}",
                groups[..start].join(":"),
                groups[start + run..].join(":")
            ),
            None => groups.join(":"),
        };
        let tail = self.addr & 0xffff_ffff;
        let high = self.addr >> 32;
        if s.starts_with("::") && (high == 0 || high == 0xffff) && tail > 0xffff {
            let pre = if high == 0xffff { "ffff:" } else { "" };
            s = format!(
                "::{pre}{}.{}.{}.{}",
                (tail >> 24) & 0xff,
                (tail >> 16) & 0xff,
                (tail >> 8) & 0xff,
                tail & 0xff
            );
        }
        s.push_str(self.zone.as_deref().unwrap_or(""));
        s
    }

    fn with_addr(&self, addr: u128) -> IpAddr {
        IpAddr {
            v6: self.v6,
            addr,
            mask: self.full(),
            zone: None,
        }
    }

    fn range(&self) -> (u128, u128) {
        (self.addr & self.mask, self.addr | (self.full() ^ self.mask))
    }
}

/// `coerce_other`: an IPAddr, or a String parsed as one.
fn coerce(v: &Value) -> R<IpAddr> {
    match v {
        Value::Native(_) => as_native::<IpAddr>(v)
            .cloned()
            .ok_or_else(|| invalid("IPAddr::InvalidAddressError", "invalid address: ")),
        other => IpAddr::parse(&crate::native::ruby::methods::to_s(other)),
    }
}

pub fn call_class(name: &str, args: &[Value]) -> Option<R> {
    if name != "new" {
        return None;
    }
    Some(match args.first() {
        None => IpAddr::parse("::").map(native),
        Some(Value::Str(s)) => IpAddr::parse(s).map(native),
        Some(_) => Err(invalid(
            "IPAddr::AddressFamilyError",
            "address family must be specified",
        )),
    })
}

/// A method of an IPAddr. None: not an IPAddr, or no such method.
pub fn call(recv: &Value, name: &str, args: &[Value]) -> Option<R> {
    let ip = as_native::<IpAddr>(recv)?;
    let a0 = args.first();
    Some(match name {
        "include?" | "===" => a0.map_or(Ok(Value::Bool(false)), |o| {
            Ok(Value::Bool(coerce(o).is_ok_and(|o| {
                let ((b, e), (ob, oe)) = (ip.range(), o.range());
                o.v6 == ip.v6 && b <= ob && e >= oe
            })))
        }),
        "to_s" => Ok(Value::Str(ip.compressed())),
        "to_string" => Ok(Value::Str(ip.full_string())),
        "inspect" => Ok(Value::Str(ip.inspect().unwrap_or_default())),
        "mask" => {
            let mut m = ip.clone();
            match a0 {
                Some(Value::Int(n)) => m.mask_len(*n),
                Some(Value::Str(s)) => m.mask_str(s),
                _ => Err(invalid("IPAddr::InvalidPrefixError", "invalid length: ")),
            }
            .map(|()| native(m))
        }
        "ipv4?" => Ok(Value::Bool(!ip.v6)),
        "ipv6?" => Ok(Value::Bool(ip.v6)),
        // Socket::AF_INET / AF_INET6 on Linux.
        "family" => Ok(Value::Int(if ip.v6 { 10 } else { 2 })),
        "to_i" => match i64::try_from(ip.addr) {
            Ok(n) => Ok(Value::Int(n)),
            Err(_) => Ok(Value::Str(ip.addr.to_string())),
        },
        "prefix" => Ok(Value::Int(i64::from(ip.mask.count_ones()))),
        "netmask" => Ok(Value::Str(ip.plain(ip.mask))),
        "to_range" => {
            let (b, e) = ip.range();
            Ok(Value::Range {
                lo: Box::new(native(ip.with_addr(b))),
                hi: Box::new(native(ip.with_addr(e))),
                exclusive: false,
            })
        }
        "==" => Ok(Value::Bool(a0.is_some_and(|o| {
            coerce(o).is_ok_and(|o| o.v6 == ip.v6 && o.addr == ip.addr)
        }))),
        "<=>" => Ok(a0
            .and_then(|o| coerce(o).ok())
            .filter(|o| o.v6 == ip.v6)
            .map_or(Value::Nil, |o| Value::Int(ip.addr.cmp(&o.addr) as i64))),
        "private?" => Ok(Value::Bool(if ip.v6 {
            ip.addr >> 121 == 0xfc >> 1
        } else {
            ip.addr & 0xff00_0000 == 0x0a00_0000
                || ip.addr & 0xfff0_0000 == 0xac10_0000
                || ip.addr & 0xffff_0000 == 0xc0a8_0000
        })),
        "loopback?" => Ok(Value::Bool(if ip.v6 {
            ip.addr == 1
        } else {
            ip.addr & 0xff00_0000 == 0x7f00_0000
        })),
        "reverse" => Ok(Value::Str(if ip.v6 {
            let hex = format!("{:032x}", ip.addr);
            let mut d: Vec<String> = hex.chars().rev().map(String::from).collect();
            d.push("ip6.arpa".into());
            d.join(".")
        } else {
            let mut o: Vec<String> = (0..4)
                .map(|i| ((ip.addr >> (8 * i)) & 0xff).to_string())
                .collect();
            o.push("in-addr.arpa".into());
            o.join(".")
        })),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        IpAddr::parse(text).unwrap().compressed()
    }

    /// Values from ipaddr.rb as Ruby 3.1 prints them (checked with the InSpec oracle).
    #[test]
    fn parses_masks_and_prints_as_ruby() {
        assert_eq!(s("10.0.0.0/8"), "10.0.0.0");
        assert_eq!(s("192.168.1.77/24"), "192.168.1.0");
        assert_eq!(s("fe80::1%eth0/64"), "fe80::%eth0");
        assert_eq!(s("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
        assert_eq!(s("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
        assert_eq!(s("::1"), "::1");
        assert_eq!(s("::"), "::");
        let ip = IpAddr::parse("10.0.0.1/8").unwrap();
        assert_eq!(ip.inspect().unwrap(), "#<IPAddr: IPv4:10.0.0.0/255.0.0.0>");
        assert_eq!(ip.mask.count_ones(), 8);
        assert!(IpAddr::parse("10.0.0.300").is_err());
        assert!(IpAddr::parse("010.0.0.1").is_err());
        assert!(IpAddr::parse("10.0.0.1/255.0.255.0").is_err());
        assert_eq!(s("10.1.2.3/255.255.0.0"), "10.1.0.0");
    }
}
