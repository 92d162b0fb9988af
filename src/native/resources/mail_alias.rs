//! `mail_alias(KEY)` (mail_alias.rb): `be_aliased_to VALUE` when /etc/aliases maps KEY to
//! VALUE among its comma-separated targets.

use std::sync::Arc;

use crate::native::resources::support::{need_str, read_text, unsupported, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["aliased_to?"];

pub struct MailAlias {
    key: String,
    host: Arc<Host>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(MailAlias {
        key: need_str("mail_alias", args, 0, "an alias")?,
        host: host.clone(),
    }))
}

/// InSpec runs `cat /etc/aliases | grep '^KEY:'` and takes the text between the first and
/// second `:` of what matched, split at commas; here the file is read and its `KEY:` lines
/// (the key taken literally, not as grep's pattern) stand for grep's output. None: no line,
/// which InSpec reports as an invalid key.
pub fn targets(aliases: &str, key: &str) -> Option<Vec<String>> {
    let prefix = format!("{key}:");
    let matched: Vec<&str> = aliases.lines().filter(|l| l.starts_with(&prefix)).collect();
    if matched.is_empty() {
        return None;
    }
    let stdout = matched.join("\n") + "\n";
    let combined = stdout.split(':').nth(1).unwrap_or("").trim();
    Some(combined.split(',').map(|v| v.trim().to_string()).collect())
}

impl Resource for MailAlias {
    fn name(&self) -> &str {
        "mail_alias"
    }

    fn to_s(&self) -> String {
        format!("mail_alias {}", self.key)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "aliased_to?" => {
                let text = read_text(&self.host, "/etc/aliases")?.unwrap_or_default();
                let values = targets(&text, &self.key).ok_or_else(|| {
                    ResourceError::Failed(format!("{} is not a valid key in the aliases", self.key))
                })?;
                Ok(Value::Bool(matches!(
                    args.first(),
                    Some(Value::Str(want)) if values.iter().any(|v| v == want.as_str())
                )))
            }
            _ => Err(unsupported("mail_alias", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_the_comma_separated_values_after_the_key() {
        let text = "# comment\nmailadmin: inspecadmin@chef.io, chefadmin@chef.io\ndaemon:\troot\n";
        assert_eq!(
            targets(text, "mailadmin"),
            Some(vec![
                "inspecadmin@chef.io".into(),
                "chefadmin@chef.io".into()
            ])
        );
        assert_eq!(targets(text, "daemon"), Some(vec!["root".into()]));
        // `^daemon:` does not match a key that merely starts with it, nor a comment.
        assert_eq!(targets(text, "daem"), None);
        assert_eq!(targets(text, "comment"), None);
    }
}
