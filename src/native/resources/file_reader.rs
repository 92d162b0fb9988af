//! InSpec's `FileReader` and `FindFiles` mixins, on the transport: what the configuration
//! resources of the services (`postgres_conf`, `mysql_conf`, `apache_conf`, `nginx_conf`)
//! read their files and includes with.

use crate::native::resources::support::{read_text, run_argv, Res};
use crate::native::resources::ResourceError;
use crate::transport::Host;

/// `read_file_content(path, allow_empty)`: the text of a regular file (links followed), or
/// InSpec's ResourceSkipped messages (utils/file_reader.rb).
pub fn read_file_content(host: &Host, path: &str, allow_empty: bool) -> Res<String> {
    let is_file = match host.stat(path)? {
        Some(info) if info.kind == "symlink" => info.target_kind.as_deref() == Some("file"),
        Some(info) => info.kind == "file",
        None => false,
    };
    if !is_file {
        return Err(ResourceError::Skip(format!("Can't find file: {path}")));
    }
    let Some(text) = read_text(host, path)? else {
        return Err(ResourceError::Skip(format!("Can't read file: {path}")));
    };
    if !allow_empty && text.is_empty() {
        return Err(ResourceError::Skip(format!("File is empty: {path}")));
    }
    Ok(text)
}

/// The read_content loop of InSpec's configuration resources: `first`, then every file
/// that `each(path, text)` says a read file includes, each read once, breadth first.
/// `each` also takes in what the file sets. Returns the texts joined (`content`).
pub fn read_with_includes(
    host: &Host,
    first: &str,
    allow_empty: bool,
    mut each: impl FnMut(&str, &str) -> Res<Vec<String>>,
) -> Res<String> {
    let mut content = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut to_read = std::collections::VecDeque::from([first.to_string()]);
    while let Some(cur) = to_read.pop_front() {
        let raw = read_file_content(host, &cur, allow_empty)?;
        content.push_str(&raw);
        let more = each(&cur, &raw)?;
        seen.push(cur);
        to_read.extend(more.into_iter().filter(|f| !seen.contains(f)));
    }
    Ok(content)
}

/// `find_files(path, depth:, type:)`: `find` on the target, the path's globs expanded by its
/// shell (as `sh -c 'find PATH'` does in utils/find_files.rb) but never evaluated as code
/// (`$1` unquoted undergoes globbing and splitting only). A failing `find` is no files.
pub fn find_files(
    host: &Host,
    path: &str,
    depth: Option<u32>,
    kind: Option<&str>,
) -> Res<Vec<String>> {
    let mut script = "find $1".to_string();
    if let Some(t) = kind {
        script.push_str(&format!(" -type {t}"));
    }
    if let Some(d) = depth.filter(|d| *d > 0) {
        script.push_str(&format!(" -maxdepth {d}"));
    }
    let out = run_argv(host, &["sh", "-c", &script, "sh", path])?;
    if out.exit_status != Some(0) {
        return Ok(Vec::new());
    }
    Ok(out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Ruby's `File.join(dir, f)` for a relative `f`; an absolute `f` stays.
pub fn join(dir: &str, f: &str) -> String {
    if f.starts_with('/') {
        f.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), f)
    }
}

/// Ruby's `File.dirname`.
pub fn dirname(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((d, _)) => d.to_string(),
        None => ".".to_string(),
    }
}

/// Ruby's `File.expand_path(f, dir)` without `~`: joined and `.`/`..` resolved.
pub fn expand_path(f: &str, dir: &str) -> String {
    let joined = join(dir, f);
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_like_ruby() {
        assert_eq!(
            join("/etc/nginx", "conf.d/*.conf"),
            "/etc/nginx/conf.d/*.conf"
        );
        assert_eq!(join("/etc/nginx/", "/abs"), "/abs");
        assert_eq!(dirname("/etc/nginx/nginx.conf"), "/etc/nginx");
        assert_eq!(dirname("/nginx.conf"), "/");
        assert_eq!(dirname("nginx.conf"), ".");
        assert_eq!(expand_path("../x/./y", "/etc/nginx"), "/etc/x/y");
    }
}
