//! InSpec profiles: `inspec.yml` metadata, `controls/*.rb` parsed by a real Ruby-subset lexer
//! and parser into a syntax tree ([`ast`]), the InSpec model extracted from it ([`model`]) and
//! InSpec's profile JSON ([`json`]). Pure Rust: no pyo3 here.
//!
//! Every input returns a model or a [`ProfileError`]; nothing panics. Files are limited to
//! [`MAX_FILE_SIZE`] bytes and expression nesting to [`parser::MAX_DEPTH`].

pub mod ast;
pub mod deps;
pub mod error;
pub mod json;
pub mod lexer;
pub mod metadata;
pub mod model;
pub mod parser;
pub mod visit;
pub mod warning;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use error::ProfileError;
pub use model::{Control, Profile, Warning};

use metadata::Metadata;
use model::{FileModel, Group, Input, Library, SourceFile};

/// Largest file the loader accepts: the bound of every file a user names.
pub const MAX_FILE_SIZE: u64 = crate::fsread::USER_FILE_MAX_BYTES;

/// The raw files of a profile, read but not parsed (lets benchmarks time parsing alone).
#[derive(Debug, Clone)]
pub struct ProfileSources {
    pub path: String,
    /// `inspec.yml` text, if the profile has one.
    pub metadata: Option<String>,
    /// `(relative path, text)` of `controls/*.rb`, sorted by path. The text is shared with the
    /// model's code snippets (no copy of them per build).
    pub controls: Vec<(String, Arc<str>)>,
    /// `(relative path, text)` of `libraries/*.rb`, sorted by path.
    pub libraries: Vec<(String, Arc<str>)>,
}

impl ProfileSources {
    pub fn total_bytes(&self) -> usize {
        self.metadata.as_ref().map(|m| m.len()).unwrap_or(0)
            + self.controls.iter().map(|(_, t)| t.len()).sum::<usize>()
            + self.libraries.iter().map(|(_, t)| t.len()).sum::<usize>()
    }
}

fn read_limited(path: &Path, shown: &str) -> Result<String, ProfileError> {
    use crate::fsread::{read_bounded, ReadError};
    // Bounded by the bytes read, not the size the file claims (0 for /dev/zero, procfs,
    // FIFOs); devices and FIFOs are refused without blocking.
    let bytes = read_bounded(path, MAX_FILE_SIZE).map_err(|e| match e {
        ReadError::TooLarge(limit) => ProfileError::TooLarge {
            path: shown.to_string(),
            size: limit + 1,
            limit,
        },
        e => ProfileError::Io {
            path: shown.to_string(),
            message: match e {
                ReadError::Io(io) => io.to_string(),
                other => other.to_string(),
            },
        },
    })?;
    // Ruby sources are UTF-8; invalid bytes are replaced rather than rejected.
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn rb_files(dir: &Path, rel: &str) -> Result<Vec<(String, PathBuf)>, ProfileError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => {
            return Err(ProfileError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        // Anything but a directory is read, so a FIFO or device named *.rb is an error
        // (from `read_limited`), not silently left out.
        if p.extension().is_some_and(|x| x == "rb") && !p.is_dir() {
            if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                out.push((format!("{rel}/{name}"), p.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a profile directory (inspec.yml, controls/*.rb, libraries/*.rb).
pub fn read_sources(path: impl AsRef<Path>) -> Result<ProfileSources, ProfileError> {
    let dir = path.as_ref();
    let shown = dir.display().to_string();
    if !dir.exists() {
        return Err(ProfileError::NotAProfile {
            path: shown,
            reason: "no such file or directory".into(),
        });
    }
    if !dir.is_dir() {
        return Err(ProfileError::NotAProfile {
            path: shown,
            reason: "not a directory (a profile is a directory with inspec.yml and controls/)"
                .into(),
        });
    }
    let yml = dir.join("inspec.yml");
    let has_controls = dir.join("controls").is_dir();
    // A special file named inspec.yml is refused by `read_limited`, not called missing.
    if !yml.exists() || yml.is_dir() {
        return Err(ProfileError::NotAProfile {
            path: shown,
            reason: if has_controls {
                "controls/ found but inspec.yml is missing".into()
            } else {
                "no inspec.yml (and no controls/ directory)".into()
            },
        });
    }
    let metadata = Some(read_limited(&yml, &format!("{shown}/inspec.yml"))?);
    let mut controls = Vec::new();
    for (rel, p) in rb_files(&dir.join("controls"), "controls")? {
        let text = read_limited(&p, &rel)?;
        controls.push((rel, text.into()));
    }
    let mut libraries = Vec::new();
    for (rel, p) in rb_files(&dir.join("libraries"), "libraries")? {
        let text = read_limited(&p, &rel)?;
        libraries.push((rel, text.into()));
    }
    Ok(ProfileSources {
        path: shown,
        metadata,
        controls,
        libraries,
    })
}

/// Loads and parses a profile directory, with its dependencies ([`deps`]).
pub fn load(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
    let dir = path.as_ref();
    let sources = Arc::new(read_sources(dir)?);
    let mut profile = build_shared(&sources)?;
    deps::attach(&mut profile, dir, &deps::Context::default())?;
    Ok(profile)
}

/// Parses a single controls file given as text.
pub fn from_source(text: &str, filename: &str) -> Result<Profile, ProfileError> {
    if text.len() as u64 > MAX_FILE_SIZE {
        return Err(ProfileError::TooLarge {
            path: filename.to_string(),
            size: text.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    build_shared(&Arc::new(ProfileSources {
        path: filename.to_string(),
        metadata: None,
        controls: vec![(filename.to_string(), Arc::from(text))],
        libraries: Vec::new(),
    }))
}

/// Parses one Ruby file into its syntax tree, placing syntax errors in `file`.
pub fn parse_ruby(text: &str, file: &str) -> Result<ast::Program, ProfileError> {
    parse_ruby_here(text, file)
}

fn parse_ruby_here(text: &str, file: &str) -> Result<ast::Program, ProfileError> {
    parser::parse_program(text).map_err(|e| {
        let (line, column) = parser::line_col(text, e.offset);
        ProfileError::Parse {
            file: file.to_string(),
            line,
            column,
            message: e.message,
        }
    })
}

struct ParsedFile {
    model: FileModel,
    source: SourceFile,
}

fn parse_control_file(rel: &str, text: &Arc<str>) -> Result<ParsedFile, ProfileError> {
    let program = parse_ruby_here(text, rel)?;
    let model = model::extract_file_shared(text, rel, &program);
    Ok(ParsedFile {
        model,
        source: SourceFile {
            path: rel.to_string(),
            program: Arc::new(program),
            bytes: text.len(),
        },
    })
}

/// Runs `f` over `items` on up to `available_parallelism` threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    max_threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = max_threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        let work = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let r = f(item);
            if let Ok(mut g) = results.lock() {
                if let Some(slot) = g.get_mut(i) {
                    *slot = Some(r);
                }
            }
        };
        for _ in 1..threads {
            // If a thread cannot be started the others (and this one) do its share.
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
    let results = results.into_inner().unwrap_or_default();
    results.into_iter().flatten().collect()
}

/// Ruby bytes a thread should have to parse before starting it pays off (a thread start costs
/// about as much as parsing a few KiB; a busy machine makes it worse).
const BYTES_PER_THREAD: usize = 64 * 1024;

/// Parses already-read sources into the model, in parallel across files when the profile is
/// large enough for threads to pay off. The profile keeps a copy of the sources:
/// [`build_shared`] avoids that copy.
pub fn build(src: &ProfileSources) -> Result<Profile, ProfileError> {
    build_shared(&Arc::new(src.clone()))
}

/// [`build`] on sources the profile can share (no copy of the texts).
pub fn build_shared(src: &Arc<ProfileSources>) -> Result<Profile, ProfileError> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let ruby_bytes: usize = src
        .controls
        .iter()
        .chain(&src.libraries)
        .map(|(_, t)| t.len())
        .sum();
    build_here(src, cores.min(ruby_bytes / BYTES_PER_THREAD + 1))
}

/// [`build`] on at most `threads` threads (1: everything on one thread, for benchmarks).
pub fn build_with_threads(src: &ProfileSources, threads: usize) -> Result<Profile, ProfileError> {
    build_here(&Arc::new(src.clone()), threads.max(1))
}

/// [`build_shared`] on at most `threads` threads.
pub fn build_shared_with_threads(
    src: &Arc<ProfileSources>,
    threads: usize,
) -> Result<Profile, ProfileError> {
    build_here(src, threads.max(1))
}

fn build_here(src: &Arc<ProfileSources>, threads: usize) -> Result<Profile, ProfileError> {
    let mut warnings = Vec::new();
    let md = match &src.metadata {
        Some(text) => metadata::parse_metadata(text, "inspec.yml", &mut warnings)?,
        None => Metadata::default(),
    };
    let parsed = parallel_map(&src.controls, threads, |(rel, text)| {
        parse_control_file(rel, text)
    });
    if parsed.len() != src.controls.len() {
        return Err(ProfileError::Io {
            path: src.path.clone(),
            message: "a parser thread failed".into(),
        });
    }
    let libs = parallel_map(
        &src.libraries,
        threads,
        |(rel, text)| match parse_ruby_here(text, rel) {
            Ok(p) => Ok((model::extract_library(text, rel, &p), p)),
            Err(e) => Err(e),
        },
    );

    // Every list sized once: a control is large, and growing moves all before it.
    let ok = || parsed.iter().filter_map(|r| r.as_ref().ok());
    let mut controls = Vec::with_capacity(ok().map(|p| p.model.controls.len()).sum());
    let mut groups = Vec::with_capacity(parsed.len());
    let mut variables = Vec::with_capacity(ok().map(|p| p.model.variables.len()).sum());
    let mut includes = Vec::new();
    let mut files = Vec::with_capacity(parsed.len() + libs.len());
    let mut dsl_inputs: Vec<Input> = Vec::with_capacity(ok().map(|p| p.model.inputs.len()).sum());
    for r in parsed {
        let pf = r?;
        let m = pf.model;
        groups.push(Group {
            id: pf.source.path.clone(),
            title: m.group_title,
            controls: m.controls.iter().map(|c| c.id.clone()).collect(),
        });
        controls.extend(m.controls);
        variables.extend(m.variables);
        includes.extend(m.includes);
        warnings.extend(m.warnings);
        dsl_inputs.extend(m.inputs);
        files.push(pf.source);
    }
    let mut libraries = Vec::new();
    for (r, (rel, text)) in libs.into_iter().zip(&src.libraries) {
        match r {
            Ok((lib, program)) => {
                libraries.push(lib);
                files.push(SourceFile {
                    path: rel.clone(),
                    program: Arc::new(program),
                    bytes: text.len(),
                });
            }
            Err(e) => {
                let (line, column) = e.position().unwrap_or((0, 0));
                warnings.push(Warning {
                    file: rel.clone(),
                    line: Some(line),
                    column: Some(column),
                    message: format!("library not parsed: {e}"),
                });
                libraries.push(Library {
                    file: rel.clone(),
                    resources: Vec::new(),
                    parsed: false,
                });
            }
        }
    }

    // Duplicate control ids: InSpec keeps the last definition (overrides); say so.
    {
        // Borrowed keys, sized once: no copies of ids and file names, no rehashing.
        let mut seen = std::collections::HashMap::with_capacity(controls.len());
        for c in &controls {
            if c.dynamic_id || c.generated {
                continue;
            }
            if let Some(prev) = seen.insert(c.id.as_str(), (&*c.file, c.source_location.line)) {
                warnings.push(Warning {
                    file: c.file.to_string(),
                    line: Some(c.source_location.line),
                    column: None,
                    message: format!(
                        "control '{}' is defined again (first at {}:{}); InSpec keeps the last definition",
                        c.id, prev.0, prev.1
                    ),
                });
            }
        }
    }

    let inputs = merge_inputs(&md, dsl_inputs);
    Ok(Profile {
        path: src.path.clone(),
        metadata: md,
        controls,
        groups,
        inputs,
        variables,
        includes,
        libraries,
        warnings,
        sources: Arc::clone(src),
        sha256_cell: std::sync::OnceLock::new(),
        files,
        dependencies: Vec::new(),
    })
}

fn merge_inputs(md: &Metadata, dsl: Vec<Input>) -> Vec<Input> {
    let mut out: Vec<Input> = md
        .inputs
        .iter()
        .map(|i| Input {
            name: i.name.clone(),
            value: i.value.clone(),
            type_: i.type_.clone(),
            required: i.required,
            sensitive: i.sensitive,
            description: i.description.clone(),
            priority: i
                .priority
                .or(Some(if i.profile.is_some() { 35 } else { 30 })),
            pattern: i.pattern.clone(),
            profile: i.profile.clone(),
            sources: vec!["inspec.yml".to_string()],
            value_code: None,
        })
        .collect();
    for d in dsl {
        if let Some(m) = out.iter_mut().find(|i| i.name == d.name) {
            m.sources.extend(d.sources);
            if m.value.is_none() {
                m.value = d.value;
                m.value_code = d.value_code;
            }
            if m.description.is_none() {
                m.description = d.description;
            }
            if m.type_.is_none() {
                m.type_ = d.type_;
            }
        } else {
            out.push(d);
        }
    }
    out
}

/// SHA-256 over the profile's files (relative path and content, in path order).
pub(crate) fn checksum(src: &ProfileSources) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    if let Some(m) = &src.metadata {
        h.update(b"inspec.yml\0");
        h.update(m.as_bytes());
    }
    let mut all: Vec<&(String, Arc<str>)> =
        src.controls.iter().chain(src.libraries.iter()).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (rel, text) in all {
        h.update(rel.as_bytes());
        h.update(b"\0");
        h.update(text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
