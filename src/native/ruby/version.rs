//! Ruby's `Gem::Version`: how version strings compare (the `Gem::Version` class, and
//! `cmp` between version-like strings), as RubyGems' `correct?`, `canonical_segments` and
//! `<=>` define it.

use std::cmp::Ordering;

/// Gem::Version segments: numbers and letter runs (`1.0-rc1` → 1, 0, pre, rc, 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSeg {
    Num(u128),
    Str(String),
}

/// `Gem::Version.correct?`: `\A\s*([0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z`.
pub fn version_correct(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return true; // Gem::Version.new("") is version 0
    }
    let (release, pre) = match t.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (t, None),
    };
    let mut parts = release.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// `canonical_segments`: the numeric run and the rest, each without trailing zeros.
pub fn version(s: &str) -> Option<Vec<VersionSeg>> {
    if !version_correct(s) {
        return None;
    }
    let text = s.trim().replace('-', ".pre.");
    let mut segs = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, segs: &mut Vec<VersionSeg>| {
        if !cur.is_empty() {
            segs.push(match cur.parse::<u128>() {
                Ok(n) if cur.bytes().all(|b| b.is_ascii_digit()) => VersionSeg::Num(n),
                _ => VersionSeg::Str(cur.clone()),
            });
            cur.clear();
        }
    };
    for c in text.chars() {
        let same = cur
            .chars()
            .last()
            .is_none_or(|l| l.is_ascii_digit() == c.is_ascii_digit());
        if !c.is_ascii_alphanumeric() || !same {
            flush(&mut cur, &mut segs);
        }
        if c.is_ascii_alphanumeric() {
            cur.push(c);
        }
    }
    flush(&mut cur, &mut segs);
    let split = segs
        .iter()
        .position(|s| matches!(s, VersionSeg::Str(_)))
        .unwrap_or(segs.len());
    let strings = segs.split_off(split);
    let trim = |mut v: Vec<VersionSeg>| {
        while v.last() == Some(&VersionSeg::Num(0)) {
            v.pop();
        }
        v
    };
    let mut out = trim(segs);
    out.extend(trim(strings));
    Some(out)
}

/// Gem::Version's `<=>`: missing segments are 0, a letter segment sorts before a number.
pub fn version_cmp(a: &[VersionSeg], b: &[VersionSeg]) -> Ordering {
    let zero = VersionSeg::Num(0);
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).unwrap_or(&zero), b.get(i).unwrap_or(&zero));
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

/// Whether a string is a Gem::Version.
pub fn is_version(s: &str) -> bool {
    version_correct(s)
}

/// Compares two version strings (a malformed one sorts as 0).
pub fn version_cmp_str(a: &str, b: &str) -> Ordering {
    version_cmp(
        &version(a).unwrap_or_default(),
        &version(b).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(is_version("1.2.3-rc1"));
        assert!(is_version(" 1.2 "));
        assert!(is_version(""), "Gem::Version.new('') is 0");
        assert!(!is_version("-1"));
        assert!(!is_version("1..2"));
        assert!(!is_version("abc"));
        assert!(!is_version("1:9.2p1-2"), "an epoch is no Gem::Version");
        assert_eq!(version_cmp_str("1.0", "1"), Ordering::Equal);
        assert_eq!(
            version_cmp_str("1.0.a", "1.a"),
            Ordering::Equal,
            "canonical segments"
        );
        assert_eq!(version_cmp_str("1.0-rc1", "1.0"), Ordering::Less);
        assert_eq!(version_cmp_str("2.10", "2.9"), Ordering::Greater);
        assert_eq!(version_cmp_str("7.4p1", "7.4"), Ordering::Less);
    }
}
