//! `http`: a request made from the target with `curl`, as InSpec's remote worker
//! (resources/http.rb `Worker::Remote`): the command is built from the options (`method`,
//! `params`, `auth`, `headers`, `data`, `ssl_verify`, `max_redirects`, `open_timeout`,
//! `read_timeout`, `proxy`) as an argument vector, and the `curl -i` answer is split into
//! status, headers and body as InSpec splits it.

use std::sync::Arc;

use crate::native::resources::support::{has_program, need_str, run_argv, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::methods::to_s;
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["body", "headers", "http_method", "status"];

pub struct Http {
    url: String,
    opts: Value,
    host: Arc<Host>,
    response: Lazy<Response>,
}

/// What `curl -i` answered; all None when it failed (InSpec's nil status and body).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub status: Option<i64>,
    pub body: Option<String>,
    /// In the order received; InSpec's Headers hash keeps the last of a repeated name.
    pub headers: Vec<(String, String)>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let url = need_str("http", args, 0, "a URL")?;
    let opts = match args.get(1) {
        Some(h @ Value::Hash(_)) => h.clone(),
        None | Some(Value::Nil) => Value::Hash(Vec::new()),
        Some(v) => {
            return Err(ResourceError::Failed(format!(
                "`http` options must be a Hash, not {}",
                v.class_name()
            )))
        }
    };
    Ok(Arc::new(Http {
        url,
        opts,
        host: host.clone(),
        response: Lazy::default(),
    }))
}

/// A number option as Ruby prints it (`60`, `2.5`).
fn number(v: &Value, name: &str) -> Res<f64> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Str(s) => s.trim().parse().map_err(|_| {
            ResourceError::Failed(format!("`http` option {name}: {s:?} is not a number"))
        }),
        v => Err(ResourceError::Failed(format!(
            "`http` option {name}: {} is not a number",
            v.class_name()
        ))),
    }
}

fn ruby_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl Http {
    /// An option by its symbol (http.rb's `opts.fetch(:name, default)`: a string key is
    /// another key, ignored).
    fn opt(&self, key: &str) -> Option<&Value> {
        self.opts
            .hash_get(&Value::Sym(key.into()))
            .filter(|v| !matches!(v, Value::Nil))
    }

    fn http_method(&self) -> String {
        self.opt("method").map_or_else(|| "GET".into(), to_s)
    }

    /// http.rb's `http_command` as an argument vector (the URL given with `--url`).
    fn curl_argv(&self) -> Res<Vec<String>> {
        let mut argv: Vec<String> = vec!["curl".into(), "-i".into()];
        let method = self.http_method();
        if method.eq_ignore_ascii_case("HEAD") {
            argv.push("--head".into());
        } else {
            argv.extend(["-X".into(), method]);
        }
        match self.opt("proxy") {
            None => {}
            Some(Value::Str(p)) if p == "disable" => argv.extend(["--noproxy".into(), "*".into()]),
            Some(p @ Value::Hash(_)) => {
                let get = |k: &str| {
                    p.hash_get(&Value::Sym(k.into()))
                        .map(to_s)
                        .unwrap_or_default()
                };
                argv.extend([
                    "--proxy".into(),
                    get("uri"),
                    "--proxy-user".into(),
                    format!("{}:{}", get("user"), get("password")),
                ]);
            }
            Some(p) => argv.extend(["--proxy".into(), to_s(p)]),
        }
        let open = self
            .opt("open_timeout")
            .map_or(Ok(60.0), |v| number(v, "open_timeout"))?;
        let read = self
            .opt("read_timeout")
            .map_or(Ok(60.0), |v| number(v, "read_timeout"))?;
        argv.extend([
            "--connect-timeout".into(),
            ruby_number(open),
            "--max-time".into(),
            ruby_number(open + read),
        ]);
        if let Some(auth @ Value::Hash(_)) = self.opt("auth") {
            let get = |k: &str| {
                auth.hash_get(&Value::Sym(k.into()))
                    .filter(|v| !matches!(v, Value::Nil))
                    .map(to_s)
            };
            if let (Some(user), Some(pass)) = (get("user"), get("pass")) {
                argv.extend(["--user".into(), format!("{user}:{pass}")]);
            }
        }
        if self.opt("ssl_verify").is_some_and(|v| !v.truthy()) {
            argv.push("--insecure".into());
        }
        if let Some(data) = self.opt("data") {
            argv.extend(["--data".into(), to_s(data)]);
        }
        if let Some(n) = self.opt("max_redirects") {
            argv.extend(["--location".into(), "--max-redirs".into(), to_s(n)]);
        }
        if let Some(Value::Hash(headers)) = self.opt("headers") {
            for (k, v) in headers {
                argv.extend(["-H".into(), format!("{}: {}", to_s(k), to_s(v))]);
            }
        }
        let url = match self.opt("params") {
            Some(Value::Hash(params)) => {
                let query: Vec<String> = params
                    .iter()
                    .map(|(k, v)| format!("{}={}", to_s(k), to_s(v)))
                    .collect();
                format!("{}?{}", self.url, query.join("&"))
            }
            _ => self.url.clone(),
        };
        // `--url`: a URL starting with `-` stays a URL, never an option of curl's.
        argv.extend(["--url".into(), url]);
        Ok(argv)
    }

    fn response(&self) -> Res<&Response> {
        self.response.get(|| {
            if !has_program(&self.host, "curl")? {
                return Err(ResourceError::Skip(
                    "curl is not available on the target machine".into(),
                ));
            }
            let argv = self.curl_argv()?;
            let words: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out = run_argv(&self.host, &words)?;
            if out.exit_status != Some(0) {
                // On local://, InSpec's Local worker (Faraday over Net::HTTP) raises where the
                // Remote worker's curl answers nothing.
                if self.host.kind() == "local" {
                    if let Some(e) = local_worker_error(&self.url, out.exit_status) {
                        return Err(e);
                    }
                }
                return Ok(Response::default());
            }
            Ok(parse_curl_response(&out.stdout))
        })
    }
}

/// The host and port of a URL as Net::HTTP connects to them (port 443 for https, else 80).
fn url_endpoint(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    let port = match port {
        Some(p) if !p.is_empty() => p.parse().ok()?,
        _ => default,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// What InSpec's Local worker raises for a request curl could not make: Faraday wraps
/// Net::HTTP#connect's error (net/http.rb: "Failed to open TCP connection to HOST:PORT
/// (…)") as Faraday::ConnectionFailed (faraday adapter/net_http.rb). curl's exit 7 is a
/// refused connection — Ruby's Socket.tcp tries each address and raises the last one's
/// Errno::ECONNREFUSED ("connect(2) for ADDR:PORT") — and 6 a name that does not resolve
/// (SocketError from getaddrinfo). None: another failure, answered as before.
fn local_worker_error(url: &str, exit: Option<i32>) -> Option<ResourceError> {
    let (host, port) = url_endpoint(url)?;
    let cause = match exit {
        Some(7) => {
            use std::net::ToSocketAddrs;
            let last = (host.as_str(), port).to_socket_addrs().ok()?.last()?;
            format!("Connection refused - connect(2) for {last}")
        }
        Some(6) => "getaddrinfo: Name or service not known".to_string(),
        _ => return None,
    };
    Some(ResourceError::Raised {
        class: "Faraday::ConnectionFailed",
        message: format!("Failed to open TCP connection to {host}:{port} ({cause})"),
    })
}

/// http.rb's `run_http` split of `curl -i` output: header blocks end at the first blank
/// line; a following block that starts with `HTTP/` (a redirect's or `100 Continue`'s
/// answer) replaces the one before.
pub fn parse_curl_response(stdout: &str) -> Response {
    let text = stdout.replace('\r', "");
    let http_line = regex::Regex::new(r"(?m)^HTTP/").expect("static regex");
    let (mut prelude, mut rest) = split_block(&text);
    while let Some(r) = rest.filter(|r| http_line.is_match(r)) {
        (prelude, rest) = split_block(r);
    }
    let mut lines = prelude.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .map(crate::native::resources::support::ruby_to_i);
    let headers = lines
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(':')?;
            Some((k.to_string(), v.trim().to_string()))
        })
        .collect();
    Response {
        status,
        body: rest.map(|b| b.trim().to_string()),
        headers,
    }
}

fn split_block(text: &str) -> (&str, Option<&str>) {
    match text.split_once("\n\n") {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    }
}

impl Resource for Http {
    fn name(&self) -> &str {
        "http"
    }

    fn to_s(&self) -> String {
        format!("HTTP {} on {}", self.http_method(), self.url)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "http_method" => Ok(Value::str(self.http_method())),
            "status" => Ok(self.response()?.status.map_or(Value::Nil, Value::Int)),
            "body" => Ok(self
                .response()?
                .body
                .as_deref()
                .map_or(Value::Nil, Value::str)),
            // A request that failed has no headers: http.rb's `Headers.create(nil)` raises.
            "headers" => match self.response()? {
                Response { status: None, .. } => Err(ResourceError::Failed(
                    "undefined method `each_with_object' for nil".into(),
                )),
                r => Ok(Value::Resource(Arc::new(Headers::new(&r.headers)))),
            },
            _ => Err(unsupported("http", method)),
        }
    }
}

/// http.rb's `Headers`: a Hash with downcased names, read by any case (`['Content-Type']`,
/// `headers.Content-Type`); a missing name is nil.
pub struct Headers {
    pairs: Vec<(String, String)>,
}

impl Headers {
    fn new(received: &[(String, String)]) -> Headers {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in received {
            let k = k.to_lowercase();
            match pairs.iter_mut().find(|(n, _)| *n == k) {
                Some(p) => p.1 = v.clone(),
                None => pairs.push((k, v.clone())),
            }
        }
        Headers { pairs }
    }

    fn get(&self, key: &str) -> Value {
        let key = key.to_lowercase();
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(Value::Nil, |(_, v)| Value::str(v))
    }

    fn hash(&self) -> Value {
        Value::Hash(
            self.pairs
                .iter()
                .map(|(k, v)| (Value::str(k), Value::str(v)))
                .collect(),
        )
    }
}

impl Resource for Headers {
    fn name(&self) -> &str {
        "http"
    }

    fn to_s(&self) -> String {
        format!("{:?}", self.hash())
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        Ok(match method {
            "to_h" | "to_hash" | "params" => self.hash(),
            "keys" => Value::Array(self.pairs.iter().map(|(k, _)| Value::str(k)).collect()),
            "[]" => args.first().map_or(Value::Nil, |k| self.get(&to_s(k))),
            _ => self.get(method),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_answers_split_as_inspec_splits_them() {
        let r = parse_curl_response(
            "HTTP/1.1 301 Moved\r\nLocation: /b\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-A: 1:2\r\n\r\n  pong\n\n",
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.body.as_deref(), Some("pong"));
        assert_eq!(
            r.headers,
            vec![
                ("Content-Type".to_string(), "text/html".to_string()),
                ("X-A".to_string(), "1:2".to_string())
            ]
        );
        let h = Headers::new(&r.headers);
        assert_eq!(h.get("content-TYPE"), Value::str("text/html"));
        assert_eq!(h.get("nope"), Value::Nil);
        assert_eq!(parse_curl_response("").status, None);
        assert_eq!(parse_curl_response("garbage").body, None);
    }

    #[test]
    fn a_refused_local_request_raises_as_faraday_over_net_http() {
        // As InSpec 7.1.16 reported ishigaki's `http('http://127.0.0.1:8080/idp/status')`
        // with nothing listening (exception Faraday::ConnectionFailed).
        let e = local_worker_error("http://127.0.0.1:8080/idp/status", Some(7));
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "Failed to open TCP connection to 127.0.0.1:8080 (Connection refused - connect(2) for 127.0.0.1:8080)"
                    .to_string()
            )
        );
        assert!(matches!(
            local_worker_error("https://user:pw@[::1]/x", Some(7)),
            Some(ResourceError::Raised { class: "Faraday::ConnectionFailed", message })
                if message == "Failed to open TCP connection to ::1:443 (Connection refused - connect(2) for [::1]:443)"
        ));
        assert_eq!(
            local_worker_error("http://nowhere.invalid:81", Some(6)).map(|e| e.to_string()),
            Some(
                "Failed to open TCP connection to nowhere.invalid:81 (getaddrinfo: Name or service not known)"
                    .to_string()
            )
        );
        // Other curl failures (timeouts, TLS) keep the Remote worker's nil answers.
        assert!(local_worker_error("http://127.0.0.1:8080/", Some(28)).is_none());
        assert_eq!(url_endpoint("http://h"), Some(("h".to_string(), 80)));
        assert_eq!(url_endpoint("no scheme"), None);
    }

    #[test]
    fn a_refused_request_on_local_fails_the_example_with_faradays_message() {
        if !std::path::Path::new("/usr/bin/curl").exists() {
            return;
        }
        // A port nothing listens on (the discard port is never served here).
        let host = crate::transport::local::test_host();
        let r = create(&[Value::str("http://127.0.0.1:9/")], &host).expect("created");
        match r.call("status", &[]) {
            Err(ResourceError::Raised { class, message }) => {
                assert_eq!(class, "Faraday::ConnectionFailed");
                assert!(
                    message.starts_with("Failed to open TCP connection to 127.0.0.1:9 ("),
                    "{message}"
                );
            }
            other => panic!("{:?}", other.map(|v| format!("{v:?}"))),
        }
    }
}
