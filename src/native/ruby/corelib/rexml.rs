//! Ruby's `REXML` as libraries use it (`require 'rexml/document'`): `REXML::Document.new`,
//! `REXML::XPath.first/match/each`, and the nodes they return — elements (`name`, `text`,
//! `texts`, `attributes`, `attribute`, `[]`, `elements`, `root`, `parent`, `get_text`,
//! `each_element`, `get_elements`, `to_s`), attributes and text nodes (`value`, `to_s`).
//! The tree and the XPath are the `xml` resource's ([`xml_doc`]): one implementation.

use std::sync::Arc;

use crate::native::ruby::methods::{enumerable, to_s};
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::xml_doc::{self, Doc, Item};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Flow, Interp, R};

pub const DOCUMENT_CLASS_METHODS: &[&str] = &["new"];
pub const XPATH_CLASS_METHODS: &[&str] = &["first", "match", "each"];

/// Methods of the nodes and of `elements`.
pub const METHODS: &[&str] = &[
    "root",
    "elements",
    "text",
    "texts",
    "attributes",
    "attribute",
    "[]",
    "name",
    "parent",
    "has_elements?",
    "has_attributes?",
    "has_text?",
    "get_text",
    "each_element",
    "get_elements",
    "value",
    "to_s",
    "inspect",
    "each",
    "to_a",
    "size",
    "empty?",
];

/// A node of a parsed document: the document itself (`Item::Elem(0)`), an element, an
/// attribute or a text node. Copies share the document.
pub struct Node {
    doc: Arc<Doc>,
    item: Item,
}

/// An element's `elements`: its child elements, indexed from 1 or by XPath.
pub struct Elements {
    doc: Arc<Doc>,
    elem: usize,
}

impl NativeObject for Node {
    fn class_name(&self) -> Option<&'static str> {
        Some(match self.item {
            Item::Elem(0) => "REXML::Document",
            Item::Elem(_) => "REXML::Element",
            Item::Attr(..) => "REXML::Attribute",
            Item::Text(..) => "REXML::Text",
        })
    }
    fn equals(&self, other: &dyn NativeObject) -> bool {
        other
            .downcast_ref::<Node>()
            .is_some_and(|o| Arc::ptr_eq(&self.doc, &o.doc) && self.item == o.item)
    }
    fn inspect(&self) -> Option<String> {
        Some(self.inspect_node())
    }
    fn to_s(&self) -> Option<String> {
        Some(self.to_s_node())
    }
}

impl NativeObject for Elements {
    fn class_name(&self) -> Option<&'static str> {
        Some("REXML::Elements")
    }
}

impl Node {
    fn at(&self, item: Item) -> Value {
        native(Node {
            doc: self.doc.clone(),
            item,
        })
    }

    /// Attribute#to_s: the value as written; Text#to_s: the text escaped; an element
    /// (or the document) serialized.
    fn to_s_node(&self) -> String {
        match self.item {
            Item::Elem(e) => {
                let mut out = String::new();
                self.doc.write(e, &mut out);
                out
            }
            Item::Attr(e, i) => self.doc.attrs(e)[i].1.clone(),
            Item::Text(e, i) => {
                let t = self.doc.text_child(e, i).unwrap_or_default();
                t.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            }
        }
    }

    /// Element#inspect: `<name a='v'> ... </>` (attributes in document order), `<name/>`
    /// without children; Attribute#inspect: `name='v'`; Text#inspect: the string's.
    fn inspect_node(&self) -> String {
        match self.item {
            Item::Elem(0) => "<UNDEFINED> ... </>".into(),
            Item::Elem(e) => {
                let attrs: String = self
                    .doc
                    .attrs(e)
                    .iter()
                    .map(|(k, v)| format!(" {k}='{v}'"))
                    .collect();
                let has_children =
                    !self.doc.child_elements(e).is_empty() || !self.doc.texts(e).is_empty();
                let tail = if has_children { "> ... </>" } else { "/>" };
                format!("<{}{attrs}{tail}", self.doc.name(e))
            }
            Item::Attr(e, i) => {
                let (k, v) = &self.doc.attrs(e)[i];
                format!("{k}='{v}'")
            }
            Item::Text(e, i) => format!("{:?}", self.doc.text_child(e, i).unwrap_or_default()),
        }
    }
}

/// `REXML::Document.new(source)`: an empty document for an empty or nil source, else the
/// parsed one; malformed XML raises `REXML::ParseException`.
pub fn new_document(args: &[Value]) -> R {
    let src = match args.first() {
        None | Some(Value::Nil) => String::new(),
        Some(v) => to_s(v),
    };
    let doc = if src.trim().is_empty() {
        Doc::empty()
    } else {
        xml_doc::parse(&src).map_err(|e| Flow::raise("REXML::ParseException", e))?
    };
    Ok(native(Node {
        doc: Arc::new(doc),
        item: Item::Elem(0),
    }))
}

/// The element a context argument names (a document or an element).
fn context(v: Option<&Value>) -> R<(Arc<Doc>, usize)> {
    match v.and_then(as_native::<Node>) {
        Some(Node {
            doc,
            item: Item::Elem(e),
        }) => Ok((doc.clone(), *e)),
        _ => Err(Flow::raise(
            "NoMethodError",
            "undefined method for the XPath context (not a REXML element)",
        )),
    }
}

/// The nodes `path` selects from element `e`; an XPath outside the supported subset is
/// unsupported, never guessed.
fn items<E: Embedding>(
    me: &Interp<'_, E>,
    doc: &Doc,
    e: usize,
    path: &Value,
    off: u32,
) -> R<Vec<Item>> {
    let p = to_s(path);
    doc.select(e, &p)
        .ok_or_else(|| me.unsupported(format!("XPath `{p}`"), off))
}

/// The nodes `path` selects from element `e`, as values.
fn select<E: Embedding>(
    me: &Interp<'_, E>,
    doc: &Arc<Doc>,
    e: usize,
    path: &Value,
    off: u32,
) -> R<Vec<Value>> {
    let items = items(me, doc, e, path, off)?;
    Ok(items
        .into_iter()
        .map(|item| {
            native(Node {
                doc: doc.clone(),
                item,
            })
        })
        .collect())
}

/// `REXML::XPath.first/match/each(node, path)`.
pub fn call_xpath<E: Embedding>(
    me: &mut Interp<'_, E>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    if !XPATH_CLASS_METHODS.contains(&name) {
        return None;
    }
    Some((|| {
        let (doc, e) = context(args.first())?;
        let path = args.get(1).cloned().unwrap_or(Value::Str(".".into()));
        let found = select(me, &doc, e, &path, off)?;
        match name {
            "first" => Ok(found.into_iter().next().unwrap_or(Value::Nil)),
            "match" => Ok(Value::Array(found)),
            _ => each(me, found, blk, off),
        }
    })())
}

fn each<E: Embedding>(
    me: &mut Interp<'_, E>,
    items: Vec<Value>,
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let arr = Value::Array(items.clone());
    match enumerable(me, &arr, items, "each", &[], blk, off) {
        Some(r) => r,
        None => Ok(arr),
    }
}

/// A method of a REXML node or `elements`. None: not one of them, or no such method.
pub fn call<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    if let Some(els) = as_native::<Elements>(recv) {
        return call_elements(me, els, name, args, blk, off);
    }
    let node = as_native::<Node>(recv)?;
    let a0 = args.first();
    let doc = &node.doc;
    let e = match node.item {
        Item::Elem(e) => e,
        Item::Attr(el, i) => {
            let (k, v) = &doc.attrs(el)[i];
            return Some(Ok(match name {
                "value" => Value::Str(Doc::attr_value(v)),
                "to_s" => Value::Str(v.clone()),
                "name" => Value::Str(k.clone()),
                "inspect" => Value::Str(node.inspect_node()),
                _ => return None,
            }));
        }
        Item::Text(el, i) => {
            return Some(Ok(match name {
                "value" => Value::Str(doc.text_child(el, i).unwrap_or_default()),
                "to_s" => Value::Str(node.to_s_node()),
                "inspect" => Value::Str(node.inspect_node()),
                _ => return None,
            }));
        }
    };
    let first_text = |e: usize| doc.text(e).map_or(Value::Nil, Value::Str);
    let first_at = |me: &Interp<'_, E>, path: &Value| -> R<Option<usize>> {
        Ok(items(me, doc, e, path, off)?
            .into_iter()
            .find_map(|it| match it {
                Item::Elem(x) => Some(x),
                _ => None,
            }))
    };
    Some((|| -> R {
        Ok(match name {
            "root" => doc.root().map_or(Value::Nil, |r| node.at(Item::Elem(r))),
            "elements" => native(Elements {
                doc: doc.clone(),
                elem: e,
            }),
            // Element#text(path = nil): the first text of self or of the first element at path.
            "text" => match a0 {
                None | Some(Value::Nil) => first_text(e),
                Some(p) => first_at(me, p)?.map_or(Value::Nil, first_text),
            },
            "get_text" => {
                let target = match a0 {
                    None | Some(Value::Nil) => Some(e),
                    Some(p) => first_at(me, p)?,
                };
                let text =
                    target.and_then(|t| doc.select(t, "text()").and_then(|v| v.into_iter().next()));
                text.map_or(Value::Nil, |it| node.at(it))
            }
            "texts" => Value::Array(
                doc.select(e, "text()")
                    .unwrap_or_default()
                    .into_iter()
                    .map(|it| node.at(it))
                    .collect(),
            ),
            "attributes" => Value::Hash(
                doc.attrs(e)
                    .iter()
                    .map(|(k, v)| (Value::Str(k.clone()), Value::Str(Doc::attr_value(v))))
                    .collect(),
            ),
            "attribute" | "[]" => {
                let key = a0.map(to_s).unwrap_or_default();
                match doc.attrs(e).iter().position(|(k, _)| *k == key) {
                    None => Value::Nil,
                    Some(i) if name == "attribute" => node.at(Item::Attr(e, i)),
                    Some(i) => Value::Str(Doc::attr_value(&doc.attrs(e)[i].1)),
                }
            }
            "name" => Value::Str(doc.name(e).to_string()),
            "parent" => doc.parent(e).map_or(Value::Nil, |p| node.at(Item::Elem(p))),
            "has_elements?" => Value::Bool(!doc.child_elements(e).is_empty()),
            "has_attributes?" => Value::Bool(!doc.attrs(e).is_empty()),
            "has_text?" => Value::Bool(!doc.texts(e).is_empty()),
            "each_element" | "get_elements" => {
                let found = elements_at(me, doc, e, a0, off)?;
                if name == "get_elements" {
                    Value::Array(found)
                } else {
                    each(me, found, blk, off)?
                }
            }
            "to_s" => Value::Str(node.to_s_node()),
            "inspect" => Value::Str(node.inspect_node()),
            _ => return Err(Flow::Next(Value::Nil)),
        })
    })())
    .and_then(|r| match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    })
}

/// The child elements of `e`, or the elements `path` selects from it.
fn elements_at<E: Embedding>(
    me: &Interp<'_, E>,
    doc: &Arc<Doc>,
    e: usize,
    path: Option<&Value>,
    off: u32,
) -> R<Vec<Value>> {
    let found = match path {
        None | Some(Value::Nil) => doc
            .child_elements(e)
            .into_iter()
            .map(|x| {
                native(Node {
                    doc: doc.clone(),
                    item: Item::Elem(x),
                })
            })
            .collect(),
        Some(p) => select(me, doc, e, p, off)?,
    };
    Ok(found
        .into_iter()
        .filter(|v| matches!(as_native::<Node>(v), Some(n) if matches!(n.item, Item::Elem(_))))
        .collect())
}

fn call_elements<E: Embedding>(
    me: &mut Interp<'_, E>,
    els: &Elements,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let (doc, e) = (&els.doc, els.elem);
    let a0 = args.first();
    Some(match name {
        // Elements#[](index) counts from 1; a String is an XPath (its first element).
        "[]" => match a0 {
            Some(Value::Int(i)) => Ok(usize::try_from(*i)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| doc.child_elements(e).get(i).copied())
                .map_or(Value::Nil, |x| {
                    native(Node {
                        doc: doc.clone(),
                        item: Item::Elem(x),
                    })
                })),
            p => {
                elements_at(me, doc, e, p, off).map(|v| v.into_iter().next().unwrap_or(Value::Nil))
            }
        },
        "each" => elements_at(me, doc, e, a0, off).and_then(|v| each(me, v, blk, off)),
        "to_a" => elements_at(me, doc, e, a0, off).map(Value::Array),
        "size" => Ok(Value::Int(doc.child_elements(e).len() as i64)),
        "empty?" => Ok(Value::Bool(doc.child_elements(e).is_empty())),
        _ => {
            let items = match elements_at(me, doc, e, None, off) {
                Ok(v) => v,
                Err(err) => return Some(Err(err)),
            };
            return enumerable(
                me,
                &Value::Array(items.clone()),
                items,
                name,
                args,
                blk,
                off,
            );
        }
    })
}
