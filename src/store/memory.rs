//! Templates in memory, keyed by name with an id index.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::template::{Template, TemplateSpec};

#[derive(Default)]
pub struct MemoryTemplates {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    by_name: HashMap<String, Arc<Template>>,
    name_of: HashMap<Uuid, String>,
}

impl MemoryTemplates {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn create(&self, template: Template) -> Result<Arc<Template>> {
        let mut inner = self.write();
        if inner.by_name.contains_key(&template.name) {
            return Err(Error::TemplateExists(template.name));
        }
        let t = Arc::new(template);
        inner.name_of.insert(t.id, t.name.clone());
        inner.by_name.insert(t.name.clone(), t.clone());
        Ok(t)
    }

    /// By name, or by id when the key parses as a UUID and no template has that name.
    pub fn get(&self, key: &str) -> Result<Arc<Template>> {
        let inner = self.read();
        Self::find(&inner, key)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))
    }

    fn find<'a>(inner: &'a Inner, key: &str) -> Option<&'a Arc<Template>> {
        inner.by_name.get(key).or_else(|| {
            let id = Uuid::parse_str(key).ok()?;
            inner.by_name.get(inner.name_of.get(&id)?)
        })
    }

    /// All templates, oldest first.
    pub fn list(&self) -> Vec<Arc<Template>> {
        let mut all: Vec<_> = self.read().by_name.values().cloned().collect();
        all.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.name.cmp(&b.name))
        });
        all
    }

    pub fn update(&self, key: &str, patch: TemplateSpec) -> Result<Arc<Template>> {
        let mut inner = self.write();
        let old = Self::find(&inner, key)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))?;
        let new = old.updated(patch)?;
        if new.name != old.name && inner.by_name.contains_key(&new.name) {
            return Err(Error::TemplateExists(new.name));
        }
        let new = Arc::new(new);
        inner.by_name.remove(&old.name);
        inner.name_of.insert(new.id, new.name.clone());
        inner.by_name.insert(new.name.clone(), new.clone());
        Ok(new)
    }

    pub fn delete(&self, key: &str) -> Result<Arc<Template>> {
        let mut inner = self.write();
        let t = Self::find(&inner, key)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))?;
        inner.by_name.remove(&t.name);
        inner.name_of.remove(&t.id);
        Ok(t)
    }

    pub fn len(&self) -> usize {
        self.read().by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tpl(name: &str) -> Template {
        Template::create(TemplateSpec {
            name: Some(name.into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn crud_by_name_and_id() {
        let s = MemoryTemplates::default();
        let a = s.create(tpl("a")).unwrap();
        assert!(matches!(s.create(tpl("a")), Err(Error::TemplateExists(n)) if n == "a"));
        assert_eq!(s.get("a").unwrap().id, a.id);
        assert_eq!(s.get(&a.id.to_string()).unwrap().name, "a");
        assert!(matches!(s.get("zz"), Err(Error::TemplateNotFound(_))));
        s.create(tpl("b")).unwrap();
        assert_eq!(s.list().len(), 2);
        let renamed = s
            .update(
                "a",
                TemplateSpec {
                    name: Some("c".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!((renamed.id, renamed.name.as_str()), (a.id, "c"));
        assert!(s.get("a").is_err());
        assert!(matches!(
            s.update(
                "c",
                TemplateSpec {
                    name: Some("b".into()),
                    ..Default::default()
                }
            ),
            Err(Error::TemplateExists(_))
        ));
        s.delete(&a.id.to_string()).unwrap();
        assert_eq!(s.len(), 1);
        assert!(matches!(s.delete("c"), Err(Error::TemplateNotFound(_))));
    }
}
