//! Ansible host patterns: `all`, `group`, `host`, globs (`web*`), unions `a:b` (or `a,b`),
//! intersections `a:&b` and exclusions `a:!b`.

use std::collections::BTreeSet;

use super::Inventory;
use crate::error::{InventoryError, PatternProblem};

/// `*` and `?` glob match.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The hosts one term names: a group (with its descendants), a host, or a glob over
/// group and host names.
fn term(inv: &Inventory, t: &str) -> Result<BTreeSet<String>, PatternProblem> {
    if t.is_empty() {
        return Err(PatternProblem::EmptyTerm);
    }
    if t.starts_with('~') {
        return Err(PatternProblem::Regex(t.to_string()));
    }
    let mut out = BTreeSet::new();
    if t == "*" {
        out.extend(inv.hosts().iter().cloned());
        return Ok(out);
    }
    if t.contains(['*', '?']) {
        for g in inv.group_names() {
            if glob(t, &g) {
                out.extend(inv.group_hosts(&g).unwrap_or_default());
            }
        }
        out.extend(inv.hosts().iter().filter(|h| glob(t, h)).cloned());
        return Ok(out);
    }
    if let Some(hs) = inv.group_hosts(t) {
        out.extend(hs);
    } else if inv.contains_host(t) {
        out.insert(t.to_string());
    }
    Ok(out)
}

/// The inventory's hosts matching `pattern`, in inventory order. Unions first, then
/// intersections, then exclusions, as Ansible applies them. A term naming nothing adds
/// nothing (as in Ansible); a pattern of only exclusions starts from `all`. A malformed
/// pattern is an error naming `field` (`target` or `limit`).
pub fn select(
    inv: &Inventory,
    pattern: &str,
    field: &'static str,
) -> Result<Vec<String>, InventoryError> {
    select_terms(inv, pattern).map_err(|problem| InventoryError::Pattern { field, problem })
}

fn select_terms(inv: &Inventory, pattern: &str) -> Result<Vec<String>, PatternProblem> {
    let terms: Vec<&str> = pattern
        .split([':', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if terms.is_empty() {
        return Err(PatternProblem::Empty);
    }
    let mut union = BTreeSet::new();
    let mut inter: Vec<BTreeSet<String>> = Vec::new();
    let mut excl = BTreeSet::new();
    let mut any_union = false;
    for t in terms {
        if let Some(x) = t.strip_prefix('&') {
            inter.push(term(inv, x)?);
        } else if let Some(x) = t.strip_prefix('!') {
            excl.extend(term(inv, x)?);
        } else {
            any_union = true;
            union.extend(term(inv, t)?);
        }
    }
    if !any_union {
        union.extend(inv.hosts().iter().cloned());
    }
    Ok(inv
        .hosts()
        .iter()
        .filter(|h| union.contains(*h))
        .filter(|h| inter.iter().all(|s| s.contains(*h)))
        .filter(|h| !excl.contains(*h))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> Inventory {
        Inventory::from_ini(
            "[web]\nweb1\nweb2\n[db]\ndb1\n[eu]\nweb1\ndb1\n[prod:children]\nweb\ndb\n",
        )
        .unwrap()
    }

    #[test]
    fn patterns() {
        let inv = inv();
        let s = |p: &str| select(&inv, p, "target").unwrap();
        assert_eq!(s("all"), ["web1", "web2", "db1"]);
        assert_eq!(s("web"), ["web1", "web2"]);
        assert_eq!(s("db1"), ["db1"]);
        assert_eq!(s("web*"), ["web1", "web2"]);
        assert_eq!(s("*1"), ["web1", "db1"]);
        assert_eq!(s("db:web2"), ["web2", "db1"]);
        assert_eq!(s("web,db"), ["web1", "web2", "db1"]);
        assert_eq!(s("prod:&eu"), ["web1", "db1"]);
        assert_eq!(s("prod:!eu"), ["web2"]);
        assert_eq!(s("!web"), ["db1"]);
        assert_eq!(s("web:&eu:!db"), ["web1"]);
        assert_eq!(s("nosuch"), Vec::<String>::new());
        let e = select(&inv, "", "target").unwrap_err();
        assert_eq!(e.field(), "target");
        let problem = |p: &str| match select(&inv, p, "limit") {
            Err(InventoryError::Pattern {
                field: "limit",
                problem,
            }) => problem,
            other => panic!("{p:?}: {other:?}"),
        };
        assert_eq!(problem(" , "), PatternProblem::Empty);
        assert_eq!(problem("web:&"), PatternProblem::EmptyTerm);
        assert_eq!(problem("~web.*"), PatternProblem::Regex("~web.*".into()));
        let e = select(&inv, "~web.*", "limit").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"regex patterns ("~web.*") are not supported; use globs"#
        );
    }

    #[test]
    fn glob_matches() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(glob("*", ""));
        assert!(!glob("a*", "ba"));
    }
}
