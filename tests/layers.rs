//! The import graph of `src/`, read from its `crate::`, `super::` and `self::` paths: the
//! layers of `src/native/` import only downward, no two of its parts import each other in a
//! circle, and `src/native/` reaches nothing above it (runner, executor, store, python). Run
//! by `cargo test`; `cargo test --test layers -- --nocapture` prints the graph.
//!
//! Modules are files (`a/b.rs` and `a/b/mod.rs` are `a::b`); a path names the longest module
//! it starts with. A module's own `mod` declarations are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// The parts of `src/native/`, lowest first: each may import only from the ones before it
/// (and from itself). A part is a directory or a file directly under `src/native/`.
const NATIVE_LAYERS: &[&[&str]] = &[
    &["ruby"],
    &["resources"],
    &["inspec"],
    &["prepare", "coverage", "mod"],
    // Tests of the whole evaluator and their doubles.
    &[
        "testing",
        "eval_tests",
        "profile_tests",
        "fixture_tests",
        "resource_examples",
        "overlay_tests",
        "rspec_tests",
        "wording_tests",
    ],
];

/// Import loops between the files of one part of `src/native/` (a part is one layer, so
/// these are not loops between layers), listed so that they cannot grow unnoticed. None
/// now: the interpreter's files call each other through `Interp`'s methods (evaluation
/// calls the builtin methods, which call blocks back), and each native object answers its
/// own class name, `==` and `inspect` (`value::NativeObject`), so no file names one above it.
const KNOWN_PART_LOOPS: &[&[&str]] = &[];

/// What `src/native/` may import from outside itself: the layers below it.
const NATIVE_MAY_USE: &[&str] = &["transport", "profile", "job", "host", "error"];

/// What `src/transport/` may import: it is below `runner/` and `native/`, which both use it.
const TRANSPORT_MAY_USE: &[&str] = &["transport", "host", "error"];

fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).expect("src/ is readable").flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src/");
            let mut m: Module = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if m.last().is_some_and(|l| l == "mod" || l == "lib") {
                m.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a source file is readable");
            out.insert(m, text);
        }
    }
    out
}

/// `use a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// Every path a file's code names that starts with `crate::`, `super::` or `self::`, with
/// whether it sits inside an inline module (`mod tests { … }`, where `super` is the file).
fn paths(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut inline = false;
    let mut pending_use: Option<String> = None;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("");
        let t = line.trim();
        if (t.starts_with("mod ") || t.starts_with("pub mod ")) && t.ends_with('{') {
            // Inline modules come last in a file (tests), so the rest of it is inside one.
            inline = true;
        }
        let stmt = match pending_use.take() {
            Some(mut s) => {
                s.push_str(t);
                Some(s)
            }
            None => t
                .strip_prefix("pub use ")
                .or_else(|| t.strip_prefix("pub(crate) use "))
                .or_else(|| t.strip_prefix("use "))
                .map(str::to_string),
        };
        if let Some(s) = stmt {
            match s.split_once(';') {
                Some((tree, _)) => {
                    out.extend(expand(tree).into_iter().map(|p| (p, inline)));
                }
                None => pending_use = Some(s),
            }
            continue;
        }
        for key in ["crate::", "super::", "self::"] {
            let mut rest = line;
            while let Some(i) = rest.find(key) {
                let before = rest[..i].chars().last();
                let tail = &rest[i..];
                let end = tail
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(tail.len());
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    out.push((tail[..end].trim_end_matches(':').to_string(), inline));
                }
                rest = &tail[end.max(1)..];
            }
        }
    }
    out
}

/// The module a path names, seen from `from`: the longest known module it starts with.
fn resolve(
    from: &Module,
    path: &str,
    inline: bool,
    known: &BTreeMap<Module, String>,
) -> Option<Module> {
    let segs: Vec<&str> = path.split("::").map(str::trim).collect();
    let mut base: Module = Vec::new();
    let mut i = 0;
    match segs.first() {
        Some(&"crate") => i = 1,
        Some(&"self") | Some(&"super") => {
            base = from.clone();
            if inline && segs[0] == "super" {
                i = 1;
            }
            while segs.get(i) == Some(&"super") {
                base.pop();
                i += 1;
            }
            if segs.get(i) == Some(&"self") {
                i += 1;
            }
        }
        // `use child::x` (2018 paths): a path may start with a submodule's name.
        Some(first) if known.contains_key(&[from.as_slice(), &[first.to_string()]].concat()) => {
            base = from.clone();
        }
        _ => return None,
    }
    let mut full = base;
    full.extend(segs[i..].iter().map(|s| s.to_string()));
    (0..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|m| known.contains_key(m))
}

fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules(src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, text) in &known {
        let out = edges.entry(m.clone()).or_default();
        for (p, inline) in paths(text) {
            if let Some(to) = resolve(m, &p, inline, &known) {
                // An inline test module's use of the test doubles is the tests layer's.
                if inline && native_part(&to) == Some("testing") {
                    continue;
                }
                // A module's own items are not imports, nor is a directory module reaching
                // into its own files (`mod.rs` re-exporting them): a directory is one unit
                // to the modules outside it.
                if !to.starts_with(m) && !to.is_empty() {
                    out.insert(to);
                }
            }
        }
    }
    edges
}

/// Strongly connected components with more than one module (Tarjan).
fn loops(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct St<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on: BTreeSet<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut St<'a>, v: &'a Module) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            let Some((w, _)) = edges.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = St {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

fn name(m: &Module) -> String {
    m.join("::")
}

/// The part of `src/native/` a module belongs to (`native::ruby::eval` → `ruby`), or None
/// outside it. `native` itself (mod.rs) is the top part.
/// Test files (`tests.rs`, `*_tests.rs`) anywhere in native/ belong to the tests layer: they
/// may use the test doubles of `native::testing`, and nothing imports them.
fn is_test_file(m: &Module) -> bool {
    m.last()
        .is_some_and(|l| l == "tests" || l.ends_with("_tests"))
}

fn native_part(m: &Module) -> Option<&str> {
    match m.as_slice() {
        [first, ..] if first == "native" && is_test_file(m) => Some("testing"),
        [first] if first == "native" => Some("mod"),
        [first, part, ..] if first == "native" => Some(part),
        _ => None,
    }
}

fn rank(part: &str) -> Option<usize> {
    NATIVE_LAYERS.iter().position(|l| l.contains(&part))
}

#[test]
fn native_imports_only_downward_and_nothing_loops() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    let mut problems: Vec<String> = Vec::new();

    // The transport is below everything that talks to hosts.
    for (from, tos) in &edges {
        if from.first().is_some_and(|m| m == "transport") {
            for to in tos {
                if !TRANSPORT_MAY_USE.contains(&to[0].as_str()) {
                    problems.push(format!("upward import: {} uses {}", name(from), name(to)));
                }
            }
        }
    }

    // Layers of native/: each edge goes to the same part or a lower one, and out of
    // native/ only to the layers below it.
    let mut part_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &edges {
        let Some(pf) = native_part(from) else {
            continue;
        };
        let Some(rf) = rank(pf) else {
            problems.push(format!("{}: native part `{pf}` has no layer", name(from)));
            continue;
        };
        for to in tos {
            match native_part(to) {
                Some(pt) => {
                    if pt != pf {
                        part_edges
                            .entry(pf.to_string())
                            .or_default()
                            .insert(pt.to_string());
                    }
                    if rank(pt).is_none_or(|rt| rt > rf) {
                        problems.push(format!(
                            "upward import: {} ({pf}) uses {} ({pt})",
                            name(from),
                            name(to)
                        ));
                    }
                }
                None if NATIVE_MAY_USE.contains(&to[0].as_str()) => {}
                None => problems.push(format!(
                    "upward import: {} uses {} (above native/)",
                    name(from),
                    name(to)
                )),
            }
        }
    }
    println!("native/ parts, lowest first, and what they import:");
    for l in NATIVE_LAYERS {
        for p in *l {
            let tos: Vec<&str> = part_edges
                .get(*p)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            println!("  {p} -> {tos:?}");
        }
    }

    // Loops between files: inside one part of native/ only the listed ones, across parts of
    // native/ none, elsewhere only the listed ones.
    let found = loops(&edges);
    println!("import loops between files:");
    for comp in &found {
        let names: Vec<String> = comp.iter().map(name).collect();
        println!("  {} modules: {}", names.len(), names.join(" "));
        let same = |list: &[&str]| list.iter().map(|s| s.to_string()).eq(names.iter().cloned());
        let parts: BTreeSet<Option<&str>> = comp.iter().map(native_part).collect();
        if parts.len() == 1 && parts.iter().all(Option::is_some) {
            if KNOWN_PART_LOOPS.iter().any(|mods| same(mods)) {
                println!("    allowed: inside one layer (KNOWN_PART_LOOPS)");
            } else {
                problems.push(format!("new loop inside one native part: {names:?}"));
            }
        } else {
            problems.push(format!("import loop across layers or modules: {names:?}"));
        }
    }
    for mods in KNOWN_PART_LOOPS {
        let want: Vec<String> = mods.iter().map(|s| s.to_string()).collect();
        if !found
            .iter()
            .any(|c| c.iter().map(name).eq(want.iter().cloned()))
        {
            problems.push(format!(
                "listed loop {want:?} is gone: remove it from the list"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The import graph of `src/native/` with each directory inside a part as one unit
/// (`native::ruby::methods::row` is `native::ruby::methods`), test files left out: two
/// directories must not import each other's files in a circle either.
fn native_units(edges: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, BTreeSet<Module>> {
    let unit = |m: &Module| m[..m.len().min(3)].to_vec();
    let in_native = |m: &Module| native_part(m).is_some() && !is_test_file(m);
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, tos) in edges.iter().filter(|(f, _)| in_native(f)) {
        let uf = unit(from);
        let set = out.entry(uf.clone()).or_default();
        set.extend(
            tos.iter()
                .filter(|t| in_native(t))
                .map(unit)
                .filter(|u| *u != uf),
        );
    }
    out
}

#[test]
fn no_two_directories_of_native_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = loops(&native_units(&graph(&src)));
    let names: Vec<Vec<String>> = found.iter().map(|c| c.iter().map(name).collect()).collect();
    assert!(
        names.is_empty(),
        "import loops between units of native/: {names:?}"
    );
}

#[test]
fn the_reader_sees_grouped_nested_and_inline_paths() {
    assert_eq!(
        expand("crate::a::{b, c::{d, e}}"),
        ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]
    );
    let text = "use crate::x::{y,\n z};\nfn f() { crate::q::r(); super::s::t(); }\nmod tests {\n use super::*;\n}\n";
    let got = paths(text);
    assert_eq!(
        got,
        [
            ("crate::x::y".to_string(), false),
            ("crate::x::z".to_string(), false),
            ("crate::q::r".to_string(), false),
            ("super::s::t".to_string(), false),
            ("super::*".to_string(), true),
        ]
    );
}
