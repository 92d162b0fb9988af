//! NGINX configuration text to InSpec's data (utils/nginx_parser.rb): the grammar of its
//! Parslet parser, parsed by hand, and `read_nginx_group`'s shape: a Hash of directive →
//! list of argument lists, block → list of Hashes, a block's own arguments under `_`.

use crate::native::ruby::value::Value;

/// Why the text is not NGINX configuration as InSpec's grammar reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub usize);

enum Exp {
    Assign(String, Vec<String>),
    Group(String, Vec<String>, Vec<Exp>),
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

fn is_space(c: u8) -> bool {
    c.is_ascii_whitespace()
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// `filler?`: whitespace and `#` comments.
    fn filler(&mut self) {
        while let Some(c) = self.peek() {
            if is_space(c) {
                self.i += 1;
            } else if c == b'#' {
                while self.peek().is_some_and(|c| c != b'\n' && c != b'\r') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(is_space) {
            self.i += 1;
        }
        self.i - start
    }

    fn slice(&self, a: usize, b: usize) -> String {
        self.text.get(a..b).unwrap_or_default().to_string()
    }

    /// `standard_identifier` (a letter, `~`, `*` or `.`, then non-blanks, then at least one
    /// blank) or `quoted_identifier`.
    fn identifier(&mut self) -> Option<String> {
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.i += 1;
                let a = self.i;
                while self.peek().is_some_and(|c| c != b'"') {
                    self.i += 1;
                }
                if self.peek() != Some(b'"') {
                    self.i = start;
                    return None;
                }
                let id = self.slice(a, self.i);
                self.i += 1;
                self.spaces();
                Some(id)
            }
            c if c.is_ascii_alphabetic() || matches!(c, b'~' | b'*' | b'.') => {
                while self.peek().is_some_and(|c| !is_space(c)) {
                    self.i += 1;
                }
                let id = self.slice(start, self.i);
                if self.spaces() == 0 {
                    self.i = start;
                    return None;
                }
                Some(id)
            }
            _ => None,
        }
    }

    fn quoted(&mut self, q: u8) -> Option<String> {
        let start = self.i;
        self.i += 1;
        let a = self.i;
        loop {
            match self.peek() {
                None => {
                    self.i = start;
                    return None;
                }
                Some(b'\\') => self.i = (self.i + 2).min(self.s.len()),
                Some(c) if c == q => break,
                Some(_) => self.i += 1,
            }
        }
        let v = self.slice(a, self.i);
        self.i += 1;
        self.spaces();
        Some(v)
    }

    fn value(&mut self) -> Option<String> {
        let c = self.peek()?;
        match c {
            b'\'' | b'"' => self.quoted(c),
            b'#' | b';' | b'{' => None,
            _ => {
                let a = self.i;
                self.i += 1;
                while let Some(c) = self.peek() {
                    if c == b'\\' {
                        self.i = (self.i + 2).min(self.s.len());
                    } else if matches!(c, b'#' | b';' | b'{') || is_space(c) {
                        break;
                    } else {
                        self.i += 1;
                    }
                }
                let v = self.slice(a, self.i);
                self.spaces();
                Some(v)
            }
        }
    }

    fn values(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(v) = self.value() {
            out.push(v);
        }
        out
    }

    /// `section | assignment`.
    fn exp(&mut self) -> Option<Exp> {
        let start = self.i;
        let id = self.identifier()?;
        let args = self.values();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                self.filler();
                let mut body = Vec::new();
                while let Some(e) = self.exp() {
                    body.push(e);
                }
                if self.peek() != Some(b'}') {
                    self.i = start;
                    return None;
                }
                self.i += 1;
                self.filler();
                Some(Exp::Group(id, args, body))
            }
            Some(b';') => {
                self.i += 1;
                self.filler();
                Some(Exp::Assign(id, args))
            }
            _ => {
                self.i = start;
                None
            }
        }
    }
}

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::Str).collect())
}

fn push(hash: &mut Vec<(Value, Value)>, key: String, item: Value) {
    let k = Value::Str(key);
    match hash.iter_mut().find(|(x, _)| *x == k) {
        Some((_, Value::Array(items))) => items.push(item),
        _ => hash.push((k, Value::Array(vec![item]))),
    }
}

/// `read_nginx_group`: directives first, then blocks, each key in first-seen order.
fn group(args: Option<Vec<String>>, body: Vec<Exp>) -> Value {
    let mut hash = Vec::new();
    if let Some(a) = args.filter(|a| !a.is_empty()) {
        hash.push((Value::str("_"), strings(a)));
    }
    let (groups, assigns): (Vec<Exp>, Vec<Exp>) =
        body.into_iter().partition(|e| matches!(e, Exp::Group(..)));
    for e in assigns {
        if let Exp::Assign(k, vals) = e {
            let vals = if vals.is_empty() {
                Value::str("")
            } else {
                strings(vals)
            };
            push(&mut hash, k, vals);
        }
    }
    for e in groups {
        if let Exp::Group(id, args, body) = e {
            push(&mut hash, id, group(Some(args), body));
        }
    }
    Value::Hash(hash)
}

/// `NginxConfig.parse`: the whole text, or the byte offset where the grammar stopped.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    p.filler();
    let mut body = Vec::new();
    while let Some(e) = p.exp() {
        body.push(e);
    }
    if p.i < p.s.len() {
        return Err(ParseError(p.i));
    }
    Ok(group(None, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::resources::support::dig;

    fn at(v: &Value, path: &[&str]) -> Value {
        let keys: Vec<Value> = path
            .iter()
            .map(|k| match k.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::str(*k),
            })
            .collect();
        dig(v, &keys)
    }

    #[test]
    fn the_documented_shapes() {
        let text = r#"
# global
user www-data;
worker_processes 5;
pid logs/nginx.pid;
http {
    include mime.types;
    server {
        listen 85;
        server_name domain1.com www.domain1.com;
        root html;
        location ~ \.php$ {
            fastcgi_pass 127.0.0.1:1025;
        }
    }
    log_format main '$remote_addr - "$request"';
}
"#;
        let v = parse(text).unwrap();
        assert_eq!(at(&v, &["pid", "0", "0"]), Value::str("logs/nginx.pid"));
        assert_eq!(
            at(&v, &["worker_processes"]),
            Value::Array(vec![strings(vec!["5".into()])])
        );
        let server = at(&v, &["http", "0", "server", "0"]);
        assert_eq!(
            at(&server, &["server_name", "0"]),
            strings(vec!["domain1.com".into(), "www.domain1.com".into()])
        );
        assert_eq!(
            at(&server, &["location", "0", "_"]),
            strings(vec!["~".into(), r"\.php$".into()])
        );
        assert_eq!(
            at(&v, &["http", "0", "log_format", "0", "1"]),
            Value::str(r#"$remote_addr - "$request""#)
        );
        // Directives come before blocks in each hash.
        let Value::Hash(top) = &v else { panic!() };
        let keys: Vec<&Value> = top.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.last(), Some(&&Value::str("http")));
    }

    #[test]
    fn what_inspecs_grammar_refuses() {
        // An identifier must be followed by a blank (standard_identifier).
        assert!(parse("ip_hash;").is_err());
        assert!(parse("events{}").is_err());
        assert!(parse("http {").is_err());
        assert_eq!(parse("# only\n").unwrap(), Value::Hash(vec![]));
    }
}
