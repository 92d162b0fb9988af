//! Ruby's `Gem::Version`: how version strings compare (the `Gem::Version` class, and
//! `cmp` between version-like strings).

use std::cmp::Ordering;

/// Gem::Version: dot-separated segments, numbers compare numerically, a letter segment
/// marks a prerelease (sorts before the release).
pub fn version(s: &str) -> Option<Vec<VersionSeg>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(vec![VersionSeg::Num(0)]);
    }
    if !s.as_bytes()[0].is_ascii_digit()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    let mut segs = Vec::new();
    for part in s.replace('-', ".pre.").split('.') {
        // "1a" is two segments in Gem::Version: 1, "a".
        let mut cur = String::new();
        let mut digits = None;
        for c in part.chars() {
            let d = c.is_ascii_digit();
            if digits.is_some_and(|x| x != d) {
                segs.push(VersionSeg::of(&cur));
                cur.clear();
            }
            digits = Some(d);
            cur.push(c);
        }
        if !cur.is_empty() {
            segs.push(VersionSeg::of(&cur));
        }
    }
    Some(segs)
}

#[derive(Debug, PartialEq, Eq)]
pub enum VersionSeg {
    Num(u128),
    Str(String),
}

impl VersionSeg {
    fn of(s: &str) -> Self {
        s.parse::<u128>()
            .map(VersionSeg::Num)
            .unwrap_or_else(|_| VersionSeg::Str(s.to_string()))
    }
}

/// Whether a string is a Gem::Version.
pub fn is_version(s: &str) -> bool {
    version(s).is_some()
}

/// Compares two version strings (a malformed one sorts as 0).
pub fn version_cmp_str(a: &str, b: &str) -> Ordering {
    let zero = || vec![VersionSeg::Num(0)];
    version_cmp(
        &version(a).unwrap_or_else(zero),
        &version(b).unwrap_or_else(zero),
    )
}

pub fn version_cmp(a: &[VersionSeg], b: &[VersionSeg]) -> Ordering {
    let n = a.len().max(b.len());
    let zero = VersionSeg::Num(0);
    for i in 0..n {
        let x = a.get(i).unwrap_or(&zero);
        let y = b.get(i).unwrap_or(&zero);
        let o = match (x, y) {
            (VersionSeg::Num(p), VersionSeg::Num(q)) => p.cmp(q),
            (VersionSeg::Str(p), VersionSeg::Str(q)) => p.cmp(q),
            (VersionSeg::Str(_), VersionSeg::Num(_)) => Ordering::Less,
            (VersionSeg::Num(_), VersionSeg::Str(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
