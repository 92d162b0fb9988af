//! The `xml` resource's document and XPath (resources/xml.rb: REXML::Document and
//! REXML::XPath.each): an element tree with its attributes and text nodes, and the XPath 1.0
//! location paths profiles query it with — `/` and `//` steps, `*`, `@attr`, `@*`,
//! `attribute::`, `child::`, `text()`, `node()`, `.`, `..`, and the predicates `[n]`,
//! `[last()]`, `[@a]`, `[@a='v']`, `[name='v']`, `[text()='v']`. Anything else (functions
//! such as `count()`, unions, other axes) is reported unsupported, never guessed.
//! The same tree and XPath serve Ruby's `REXML` for libraries ([`super::corelib::rexml`]).

/// A parsed document: element 0 is the document node itself.
pub struct Doc {
    elems: Vec<Elem>,
}

struct Elem {
    name: String,
    /// As written (REXML's Attribute#to_s: the normalized form, entities kept).
    attrs: Vec<(String, String)>,
    children: Vec<Child>,
    parent: usize,
}

enum Child {
    Elem(usize),
    Text(String),
}

/// A node an XPath step selects: an element, an attribute of one (by index), or a text
/// child (by index among the element's children).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Item {
    Elem(usize),
    Attr(usize, usize),
    Text(usize, usize),
}

/// What one path yields, as xml.rb's `value` pushes it: an attribute's value, an
/// element's first text (nil without one), a text node.
pub enum Out {
    Str(String),
    Nil,
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let ent = &after[1..end];
        let ch = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses `text`; the error says what is malformed and where (byte offset).
/// Element nesting a document may reach: the walks over the tree recurse per level, so a
/// hostile file must not take the stack.
const MAX_NESTING: usize = 256;

pub fn parse(text: &str) -> Result<Doc, String> {
    let mut elems = vec![Elem {
        name: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
        parent: 0,
    }];
    let mut open: Vec<usize> = vec![0];
    let mut i = 0;
    let b = text.as_bytes();
    let cur = |open: &Vec<usize>| *open.last().unwrap_or(&0);
    while i < b.len() {
        if b[i] != b'<' {
            let end = text[i..].find('<').map_or(b.len(), |e| i + e);
            let t = &text[i..end];
            if cur(&open) != 0 {
                elems[cur(&open)].children.push(Child::Text(unescape(t)));
            } else if !t.trim().is_empty() {
                return Err(format!("text outside the root element at {i}"));
            }
            i = end;
            continue;
        }
        let rest = &text[i..];
        let skip_to = |pat: &str| {
            rest.find(pat)
                .map(|e| i + e + pat.len())
                .ok_or_else(|| format!("unterminated markup at {i}"))
        };
        if rest.starts_with("<?") {
            i = skip_to("?>")?;
        } else if rest.starts_with("<!--") {
            i = skip_to("-->")?;
        } else if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let e = body
                .find("]]>")
                .ok_or_else(|| format!("unterminated CDATA at {i}"))?;
            elems[cur(&open)]
                .children
                .push(Child::Text(body[..e].to_string()));
            i += 9 + e + 3;
        } else if rest.starts_with("<!") {
            // DOCTYPE, with an internal subset in brackets.
            let mut depth = 0i32;
            let mut j = i + 2;
            loop {
                match b.get(j) {
                    None => return Err(format!("unterminated declaration at {i}")),
                    Some(b'[') => depth += 1,
                    Some(b']') => depth -= 1,
                    Some(b'>') if depth <= 0 => break,
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
        } else if let Some(close) = rest.strip_prefix("</") {
            let e = close
                .find('>')
                .ok_or_else(|| format!("unterminated end tag at {i}"))?;
            let name = close[..e].trim();
            let top = cur(&open);
            if top == 0 || elems[top].name != name {
                return Err(format!("unexpected end tag </{name}> at {i}"));
            }
            open.pop();
            i += 2 + e + 1;
        } else {
            let (name, attrs, self_closing, len) =
                start_tag(rest).ok_or_else(|| format!("malformed start tag at {i}"))?;
            let parent = cur(&open);
            if parent == 0
                && elems[0]
                    .children
                    .iter()
                    .any(|c| matches!(c, Child::Elem(_)))
            {
                return Err(format!("a second root element <{name}> at {i}"));
            }
            let id = elems.len();
            elems.push(Elem {
                name,
                attrs,
                children: Vec::new(),
                parent,
            });
            elems[parent].children.push(Child::Elem(id));
            if !self_closing {
                open.push(id);
                if open.len() > MAX_NESTING {
                    return Err(format!("elements nested deeper than {MAX_NESTING} at {i}"));
                }
            }
            i += len;
        }
    }
    if open.len() > 1 {
        let top = cur(&open);
        return Err(format!("missing end tag for <{}>", elems[top].name));
    }
    if !elems[0]
        .children
        .iter()
        .any(|c| matches!(c, Child::Elem(_)))
    {
        return Err("no root element".into());
    }
    Ok(Doc { elems })
}

/// A start tag read: name, attributes, self-closing, length in bytes.
type StartTag = (String, Vec<(String, String)>, bool, usize);

/// `<name a="v" b='w'/>`.
fn start_tag(s: &str) -> Option<StartTag> {
    let b = s.as_bytes();
    let mut i = 1;
    let name_end = s[i..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map(|e| i + e)?;
    let name = s[i..name_end].to_string();
    if name.is_empty() {
        return None;
    }
    i = name_end;
    let mut attrs = Vec::new();
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((name, attrs, false, i + 1)),
            b'/' if b.get(i + 1) == Some(&b'>') => return Some((name, attrs, true, i + 2)),
            _ => {}
        }
        let eq = s[i..].find('=').map(|e| i + e)?;
        let key = s[i..eq].trim().to_string();
        if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '>') {
            return None;
        }
        i = eq + 1;
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let q = *b.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let end = s[i + 1..].find(q as char).map(|e| i + 1 + e)?;
        attrs.push((key, s[i + 1..end].to_string()));
        i = end + 1;
    }
}

/// One location step: how it moves, what it selects, its predicates.
struct Step {
    descendants: bool,
    test: Test,
    preds: Vec<Pred>,
}

enum Test {
    Child(String),
    Attr(String),
    Text,
    Node,
    SelfNode,
    Parent,
}

enum Pred {
    Pos(usize),
    Last,
    HasAttr(String),
    AttrEq(String, String),
    ChildEq(String, String),
    TextEq(String),
}

/// Splits at `/` outside brackets and quotes.
fn split_steps(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0, None, 0);
    for (i, c) in path.char_indices() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('[', None) => depth += 1,
            (']', None) => depth -= 1,
            ('/', None) if depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&path[start..]);
    out
}

fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    let q = s.chars().next()?;
    (s.len() >= 2 && (q == '\'' || q == '"') && s.ends_with(q)).then(|| s[1..s.len() - 1].into())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '*'))
}

fn parse_pred(p: &str) -> Option<Pred> {
    let p = p.trim();
    if let Ok(n) = p.parse::<usize>() {
        return Some(Pred::Pos(n));
    }
    if p == "last()" {
        return Some(Pred::Last);
    }
    match p.split_once('=') {
        None => p
            .strip_prefix('@')
            .filter(|a| is_name(a))
            .map(|a| Pred::HasAttr(a.into())),
        Some((l, r)) => {
            let (l, v) = (l.trim(), unquote(r)?);
            if let Some(a) = l.strip_prefix('@').filter(|a| is_name(a)) {
                Some(Pred::AttrEq(a.into(), v))
            } else if l == "text()" {
                Some(Pred::TextEq(v))
            } else {
                is_name(l).then(|| Pred::ChildEq(l.into(), v))
            }
        }
    }
}

fn parse_step(s: &str, descendants: bool) -> Option<Step> {
    let (head, mut preds_src) = match s.find('[') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let mut preds = Vec::new();
    while !preds_src.is_empty() {
        let body = preds_src.strip_prefix('[')?;
        let mut quote = None;
        let end = body.char_indices().find_map(|(i, c)| {
            match (c, quote) {
                ('\'' | '"', None) => quote = Some(c),
                (q, Some(o)) if q == o => quote = None,
                (']', None) => return Some(i),
                _ => {}
            }
            None
        })?;
        preds.push(parse_pred(&body[..end])?);
        preds_src = &body[end + 1..];
    }
    let head = head.trim();
    let test = match head {
        "." => Test::SelfNode,
        ".." => Test::Parent,
        "text()" => Test::Text,
        "node()" => Test::Node,
        _ => {
            if let Some(a) = head
                .strip_prefix('@')
                .or_else(|| head.strip_prefix("attribute::"))
            {
                is_name(a).then(|| Test::Attr(a.into()))?
            } else {
                let n = head.strip_prefix("child::").unwrap_or(head);
                is_name(n).then(|| Test::Child(n.into()))?
            }
        }
    };
    Some(Step {
        descendants,
        test,
        preds,
    })
}

fn parse_path(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() {
        return None;
    }
    let mut steps = Vec::new();
    let mut descendants = false;
    for s in split_steps(path) {
        if s.is_empty() {
            if descendants {
                return None;
            }
            descendants = true;
            continue;
        }
        steps.push(parse_step(s, descendants)?);
        descendants = false;
    }
    (!descendants).then_some(steps)
}

impl Doc {
    fn name_matches(&self, e: usize, n: &str) -> bool {
        n == "*" || self.elems[e].name == n
    }

    fn string_value(&self, e: usize, out: &mut String) {
        for c in &self.elems[e].children {
            match c {
                Child::Text(t) => out.push_str(t),
                Child::Elem(x) => self.string_value(*x, out),
            }
        }
    }

    fn descendants_or_self(&self, e: usize, out: &mut Vec<usize>) {
        out.push(e);
        for c in &self.elems[e].children {
            if let Child::Elem(x) = c {
                self.descendants_or_self(*x, out);
            }
        }
    }

    fn keep(&self, item: Item, pred: &Pred, pos: usize, size: usize) -> bool {
        let Item::Elem(e) = item else {
            return matches!(pred, Pred::Pos(n) if *n == pos)
                || matches!(pred, Pred::Last if pos == size);
        };
        let el = &self.elems[e];
        let attr = |a: &str| el.attrs.iter().find(|(k, _)| k == a).map(|(_, v)| v);
        match pred {
            Pred::Pos(n) => *n == pos,
            Pred::Last => pos == size,
            Pred::HasAttr(a) => attr(a).is_some(),
            Pred::AttrEq(a, v) => attr(a).is_some_and(|x| unescape(x) == *v),
            Pred::TextEq(v) => el
                .children
                .iter()
                .any(|c| matches!(c, Child::Text(t) if t == v)),
            Pred::ChildEq(n, v) => el.children.iter().any(|c| match c {
                Child::Elem(x) if self.name_matches(*x, n) => {
                    let mut s = String::new();
                    self.string_value(*x, &mut s);
                    s == *v
                }
                _ => false,
            }),
        }
    }

    /// The nodes one step selects from one context element, predicates applied in order.
    fn step_from(&self, ctx: usize, step: &Step) -> Vec<Item> {
        let el = &self.elems[ctx];
        let mut items: Vec<Item> = match &step.test {
            Test::SelfNode => vec![Item::Elem(ctx)],
            Test::Parent => (ctx != 0)
                .then_some(Item::Elem(el.parent))
                .into_iter()
                .collect(),
            Test::Child(n) => el
                .children
                .iter()
                .filter_map(|c| match c {
                    Child::Elem(x) if self.name_matches(*x, n) => Some(Item::Elem(*x)),
                    _ => None,
                })
                .collect(),
            Test::Attr(n) => el
                .attrs
                .iter()
                .enumerate()
                .filter(|(_, (k, _))| n == "*" || k == n)
                .map(|(i, _)| Item::Attr(ctx, i))
                .collect(),
            Test::Text => el
                .children
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(c, Child::Text(_)))
                .map(|(i, _)| Item::Text(ctx, i))
                .collect(),
            Test::Node => el
                .children
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Child::Elem(x) => Item::Elem(*x),
                    Child::Text(_) => Item::Text(ctx, i),
                })
                .collect(),
        };
        for p in &step.preds {
            let size = items.len();
            items = items
                .into_iter()
                .enumerate()
                .filter(|(i, it)| self.keep(*it, p, i + 1, size))
                .map(|(_, it)| it)
                .collect();
        }
        items
    }

    /// The nodes `path` selects from element `ctx` (REXML::XPath with a context node): an
    /// absolute path starts at the document, a relative one at `ctx`. None when the path
    /// is outside the supported XPath.
    pub fn select(&self, ctx: usize, path: &str) -> Option<Vec<Item>> {
        let start = if path.trim_start().starts_with('/') {
            0
        } else {
            ctx
        };
        let steps = parse_path(path)?;
        let mut items: Vec<Item> = vec![Item::Elem(start)];
        for step in &steps {
            let mut next = Vec::new();
            for it in &items {
                let Item::Elem(e) = *it else { continue };
                if step.descendants {
                    let mut all = Vec::new();
                    self.descendants_or_self(e, &mut all);
                    for d in all {
                        next.extend(self.step_from(d, step));
                    }
                } else {
                    next.extend(self.step_from(e, step));
                }
            }
            next.sort();
            next.dedup();
            items = next;
        }
        items.retain(|it| *it != Item::Elem(0));
        Some(items)
    }

    /// xml.rb's `value([path])`; None when the path is outside the supported XPath.
    pub fn query(&self, path: &str) -> Option<Vec<Out>> {
        Some(
            self.select(0, path)?
                .into_iter()
                .map(|it| match it {
                    Item::Attr(e, i) => Out::Str(self.elems[e].attrs[i].1.clone()),
                    Item::Text(e, i) => self.text_child(e, i).map_or(Out::Nil, Out::Str),
                    Item::Elem(e) => self.text(e).map_or(Out::Nil, Out::Str),
                })
                .collect(),
        )
    }

    /// An empty document (REXML::Document.new('')): no root.
    pub fn empty() -> Doc {
        Doc {
            elems: vec![Elem {
                name: String::new(),
                attrs: Vec::new(),
                children: Vec::new(),
                parent: 0,
            }],
        }
    }

    /// The root element, if the document has one.
    pub fn root(&self) -> Option<usize> {
        self.child_elements(0).into_iter().next()
    }

    pub fn name(&self, e: usize) -> &str {
        &self.elems[e].name
    }

    /// The parent element (None for the root element's parent, the document).
    pub fn parent(&self, e: usize) -> Option<usize> {
        (e != 0).then_some(self.elems[e].parent)
    }

    /// Attributes as written (entities kept, as REXML's Attribute#to_s).
    pub fn attrs(&self, e: usize) -> &[(String, String)] {
        &self.elems[e].attrs
    }

    /// An attribute's value with entities resolved (REXML's Attribute#value).
    pub fn attr_value(raw: &str) -> String {
        unescape(raw)
    }

    pub fn child_elements(&self, e: usize) -> Vec<usize> {
        self.elems[e]
            .children
            .iter()
            .filter_map(|c| match c {
                Child::Elem(x) => Some(*x),
                Child::Text(_) => None,
            })
            .collect()
    }

    /// The text children, in order (REXML's Element#texts).
    pub fn texts(&self, e: usize) -> Vec<String> {
        self.elems[e]
            .children
            .iter()
            .filter_map(|c| match c {
                Child::Text(t) => Some(t.clone()),
                Child::Elem(_) => None,
            })
            .collect()
    }

    /// REXML's Element#text: the first text child, None without one.
    pub fn text(&self, e: usize) -> Option<String> {
        self.texts(e).into_iter().next()
    }

    pub fn text_child(&self, e: usize, i: usize) -> Option<String> {
        match self.elems[e].children.get(i)? {
            Child::Text(t) => Some(t.clone()),
            Child::Elem(_) => None,
        }
    }

    /// REXML's default formatter: `<name a='v'>children</name>`, attributes sorted by
    /// name, `<name/>` without children, text escaped.
    pub fn write(&self, e: usize, out: &mut String) {
        let el = &self.elems[e];
        if e != 0 {
            out.push('<');
            out.push_str(&el.name);
            let mut attrs: Vec<&(String, String)> = el.attrs.iter().collect();
            attrs.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in attrs {
                out.push_str(&format!(" {k}='{}'", v.replace('\'', "&apos;")));
            }
            if el.children.is_empty() {
                out.push_str("/>");
                return;
            }
            out.push('>');
        }
        for c in &el.children {
            match c {
                Child::Text(t) => out.push_str(&escape_text(t)),
                Child::Elem(x) => self.write(*x, out),
            }
        }
        if e != 0 {
            out.push_str(&format!("</{}>", el.name));
        }
    }
}

/// Text as REXML writes it: `&`, `<` and `>` as entities.
fn escape_text(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(doc: &Doc, path: &str) -> Vec<Option<String>> {
        doc.query(path)
            .unwrap_or_else(|| panic!("{path} unsupported"))
            .into_iter()
            .map(|o| match o {
                Out::Str(s) => Some(s),
                Out::Nil => None,
            })
            .collect()
    }

    fn s(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|x| Some(x.to_string())).collect()
    }

    /// xml.md's document and examples.
    const DOC: &str = r#"<root>
  <name>hello</name>
  <meta>
    <creator>John Doe</creator>
  </meta>
  <array>
    <element>one</element>
    <element>two</element>
  </array>
  <array>
    <element value="one"></element>
    <element value="two"></element>
  </array>
</root>"#;

    #[test]
    fn the_doc_pages_paths() {
        let d = parse(DOC).unwrap();
        assert_eq!(q(&d, "root/name"), s(&["hello"]));
        assert_eq!(q(&d, "root/meta/creator"), s(&["John Doe"]));
        // REXML: `array[2]` is the second array; its elements have no text (nil).
        assert_eq!(q(&d, "root/array[2]/element"), vec![None, None]);
        assert_eq!(q(&d, "root/array[1]/element[2]"), s(&["two"]));
        assert_eq!(q(&d, "root/array[2]/element/@value"), s(&["one", "two"]));
        assert_eq!(
            q(&d, "root/array[2]/element/attribute::value"),
            s(&["one", "two"])
        );
        assert_eq!(
            q(&d, "root/array[2]/element[2]/attribute::value"),
            s(&["two"])
        );
        assert!(d.query("count(//*)").is_none());
        assert!(d
            .query("boolean(root/array[2]/element[2]/@valid)")
            .is_none());
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error_not_a_stack_overflow() {
        let ok = format!(
            "{}{}",
            "<a>".repeat(MAX_NESTING - 1),
            "</a>".repeat(MAX_NESTING - 1)
        );
        assert!(parse(&ok).is_ok());
        let deep = "<a>".repeat(200_000);
        let err = parse(&deep).err().unwrap_or_default();
        assert!(err.contains("nested deeper than 256"), "{err}");
    }

    #[test]
    fn descendants_positions_and_predicates_as_xpath() {
        let d = parse(
            r#"<?xml version="1.0"?>
<!DOCTYPE Server [ <!ENTITY x "y"> ]>
<Server port="8005"><!-- c -->
  <Service><Connector port="8080" secure="true"/><Connector port="8443"/>
    <Engine><Host name="a"><Valve className="V1"/></Host><Valve className="V2"/></Engine>
  </Service>
  <Service><Connector port="9090"/></Service>
  <site name="Default Web Site"><p>x &amp; <![CDATA[<y>]]></p></site>
</Server>"#,
        )
        .unwrap();
        assert_eq!(q(&d, "//Connector/@port"), s(&["8080", "8443", "9090"]));
        // `[1]` is per parent: the first Connector of each Service.
        assert_eq!(q(&d, "//Connector[1]/@port"), s(&["8080", "9090"]));
        assert_eq!(q(&d, "//Connector[last()]/@port"), s(&["8443", "9090"]));
        assert_eq!(q(&d, "//Connector[@secure]/@port"), s(&["8080"]));
        assert_eq!(q(&d, "//Engine//Valve/@className"), s(&["V1", "V2"]));
        assert_eq!(q(&d, "/Server/@port"), s(&["8005"]));
        assert_eq!(
            q(&d, "site[@name=\"Default Web Site\"]/p"),
            vec![] as Vec<Option<String>>
        );
        assert_eq!(
            q(&d, "Server/site[@name='Default Web Site']/p"),
            s(&["x & "])
        );
        assert_eq!(q(&d, "//p/text()"), s(&["x & ", "<y>"]));
        assert_eq!(q(&d, "//Host[@name='a']/../@*").len(), 0);
        assert_eq!(q(&d, "//Valve[@className='V1']/../@name"), s(&["a"]));
        assert_eq!(q(&d, "//Cluster"), vec![] as Vec<Option<String>>);
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in ["<a><b></a>", "<a>", "", "text", "<a></a><b/>", "<a x=1/>"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
