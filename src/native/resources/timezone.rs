//! `timezone` on Unix (timezone.rb): the `Time zone:` line of `timedatectl status`, as
//! identifier, abbreviation and offset.

use std::sync::Arc;

use crate::native::resources::support::{unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["identifier", "name", "time_offset"];

/// timezone.rb's command line, run by the target's shell.
pub const TIMEDATECTL: &str = "timedatectl status | grep -i 'Time zone'";

pub struct TimeZone {
    host: Arc<Host>,
    /// identifier, name, time_offset.
    fields: Lazy<[Value; 3]>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(TimeZone {
        host: host.clone(),
        fields: Lazy::default(),
    }))
}

/// `Time zone: Etc/UTC (UTC, +0000)`: after the last `:`, without `(),^`, split on blanks.
pub fn parse(stdout: &str) -> [Value; 3] {
    let tail = stdout.rsplit(':').next().unwrap_or("").trim();
    let clean: String = tail.chars().filter(|c| !"(),^".contains(*c)).collect();
    let mut words = clean.split_whitespace().map(Value::str);
    [
        words.next().unwrap_or(Value::Nil),
        words.next().unwrap_or(Value::Nil),
        words.next().unwrap_or(Value::Nil),
    ]
}

impl Resource for TimeZone {
    fn name(&self) -> &str {
        "timezone"
    }

    fn to_s(&self) -> String {
        "Time Zone resource".into()
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let i = match method {
            "identifier" => 0,
            "name" => 1,
            "time_offset" => 2,
            _ => return Err(unsupported("timezone", method)),
        };
        let fields = self.fields.get(|| {
            let out = self.host.run(TIMEDATECTL)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "Time Zone resource with error: {}",
                    out.stderr
                )));
            }
            Ok(parse(&out.stdout))
        })?;
        Ok(fields[i].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_zone_line_splits_into_three_fields() {
        assert_eq!(
            parse("                Time zone: Asia/Kolkata (IST, +0530)\n"),
            [
                Value::str("Asia/Kolkata"),
                Value::str("IST"),
                Value::str("+0530")
            ]
        );
        assert_eq!(parse(""), [Value::Nil, Value::Nil, Value::Nil]);
    }
}
