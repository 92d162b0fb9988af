//! Job templates: what to check (profile, playbook or command) and how (timeout, forks, retries…).
//! All validation lives here, so Python, REST and the CLI share one set of rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ValidationError;
use crate::job::ControlSelection;

pub const NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 4096;
pub const PATH_MAX: usize = 4096;
pub const ARGV_MAX: usize = 256;
pub const ARG_MAX_LEN: usize = 8192;
pub const TIMEOUT_RANGE: (u32, u32) = (1, 86_400);
pub const FORKS_RANGE: (u32, u32) = (1, 1000);
pub const RETRIES_MAX: u32 = 10;
pub const RETRY_BACKOFF_MAX: f64 = 3600.0;
pub const VERBOSITY_MAX: u8 = 4;
pub const VERBOSITY_RANGE: (u32, u32) = (0, VERBOSITY_MAX as u32);
/// Prefix of the variables Ansible reads as connection, privilege-escalation and
/// interpreter settings (`ansible_connection`, `ansible_ssh_common_args`,
/// `ansible_become_exe`, `ansible_python_interpreter`, `ansible_shell_executable`…). A job's
/// extra vars are passed with `-e`, Ansible's highest precedence, so from a caller these
/// would override the inventory and the template: refused unless the template allows them.
pub const ANSIBLE_VAR_PREFIX: &str = "ansible_";
/// At most this many entries in `allow_ansible_vars`.
pub const ALLOW_ANSIBLE_VARS_MAX: usize = 256;

/// Extra vars, as JSON, at most this many bytes (template and job alike).
pub const EXTRA_VARS_MAX_BYTES: usize = 256 * 1024;
/// Extra vars nested at most this deep (the top-level mapping is depth 1).
pub const EXTRA_VARS_MAX_DEPTH: usize = 32;

pub const DEFAULT_TIMEOUT: u32 = 300;
pub const DEFAULT_FORKS: u32 = 5;
pub const DEFAULT_RETRY_BACKOFF: f64 = 1.0;
pub const CONNECT_TIMEOUT_RANGE: (u32, u32) = (1, 300);
pub const DEFAULT_CONNECT_TIMEOUT: u32 = 10;

/// How hosts are reached (Ansible's own term). `ssh`: `local://` hosts run here, every
/// other host over SSH. `local`: every host's check runs on this machine, with `{host}`
/// substituted (probes such as `ping {host}`, and tests with made-up host names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    #[default]
    Ssh,
    Local,
}

/// How a profile is run. `native`: the profile is evaluated here, in Rust, with no Ruby or
/// InSpec on either side. `inspec`: the InSpec CLI (or CINC Auditor). `auto`: native, and the
/// controls the native evaluator cannot run go to the InSpec CLI when it is installed
/// (skipped, naming what blocks them, when it is not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileRunner {
    #[default]
    Native,
    Inspec,
    Auto,
}

impl ProfileRunner {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileRunner::Native => "native",
            ProfileRunner::Inspec => "inspec",
            ProfileRunner::Auto => "auto",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    #[default]
    Run,
    Check,
    Scan,
}

/// What a template runs on each host: exactly one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    Profile(&'a str),
    Playbook(&'a str),
    Command(&'a [String]),
}

/// The template's fields, each stated once: its doc comment (its description in the schema,
/// the docs and the OpenAPI document), its stored type, its default, how input sets it and
/// its JSON Schema rule. `with_template_fields!(callback)` hands this table to a macro that
/// builds from it: `Template`, `TemplateSpec`, the defaults and `merge` here, the schema's
/// entries in `schema.rs` (the rule expressions are evaluated there, with its helpers).
/// Python's attributes and keywords, the stubs, the REST models and docs/SCHEMA.md derive
/// from the schema, so a field added here needs no other hand edit.
///
/// How input sets a field: `set` (the given value), `csv` (a list, or one comma-separated
/// string), `opt` (the given value; the stored value may be null), `int(RANGE)` (an integer,
/// checked against RANGE so that an out-of-range value gets the field's own rule). The
/// rules across fields (one action, paths, reporter…) are in `Template::validate`.
macro_rules! with_template_fields {
    ($callback:ident) => {
        $callback! {
            /// unique name: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit
            name: String = String::new(); set;
                json!({"type": "string", "pattern": name_pattern()}),
            /// free text
            description: String = String::new(); set;
                json!({"type": "string", "maxLength": DESCRIPTION_MAX}),
            /// InSpec profile: a local directory or archive (inside the allowed roots), a URL, or a Supermarket name
            profile: Option<String> = None; opt; path_text(),
            /// Ansible playbook (inside the allowed roots)
            playbook: Option<String> = None; opt; path_text(),
            /// argv run once per host (never through a shell); the first item names the program, {host} is replaced
            command: Option<Vec<String>> = None; opt; json!({
                "type": "array", "minItems": 1, "maxItems": ARGV_MAX,
                "items": {"type": "string", "maxLength": ARG_MAX_LEN, "pattern": NO_NUL},
                // In 2020-12 `items` does not cover the prefix: the first item names the program.
                "prefixItems": [{"type": "string", "minLength": 1, "maxLength": ARG_MAX_LEN, "pattern": NO_NUL}],
            }),
            /// Ansible inventory (INI or YAML) that hosts are selected from
            inventory: Option<String> = None; opt; path_text(),
            /// inventory pattern that selects the hosts (default: all)
            target: Option<String> = None; opt; text(PATH_MAX),
            /// a further inventory pattern the selected hosts must match
            limit: Option<String> = None; opt; text(PATH_MAX),
            /// Ansible tags to run (input: a list or one comma-separated string)
            tags: Vec<String> = Vec::new(); csv; tag_list(),
            /// Ansible tags to skip (input: a list or one comma-separated string)
            skip_tags: Vec<String> = Vec::new(); csv; tag_list(),
            /// InSpec controls to run and report, as inspec exec --controls: control ids, and /regex/ entries matched anywhere in the id; empty: every control
            controls: Vec<String> = Vec::new(); set; json!({"type": "array", "maxItems": CONTROLS_MAX,
                "items": {"type": "string", "minLength": 1, "maxLength": CONTROL_ENTRY_MAX, "pattern": NO_CONTROL}}),
            /// variables (Ansible extra vars, InSpec inputs); at most 256 KiB as JSON, 32 levels deep
            extra_vars: Map<String, Value> = Map::new(); set; json!({"type": "object"}),
            /// InSpec-style reporters: cli or a report format, each optionally :PATH
            reporter: Option<String> = None; opt;
                json!({"type": "string", "maxLength": PATH_MAX, "pattern": reporter_pattern()}),
            /// profile names a Chef Supermarket profile (owner/name)
            supermarket: bool = false; set; json!({"type": "boolean"}),
            /// run, check or scan
            job_type: JobType = JobType::Run; set; r("JobType"),
            /// seconds allowed for the whole job
            timeout: u32 = DEFAULT_TIMEOUT; int(TIMEOUT_RANGE); range(TIMEOUT_RANGE),
            /// hosts checked at once
            forks: u32 = DEFAULT_FORKS; int(FORKS_RANGE); range(FORKS_RANGE),
            /// retries of a transient failure (unreachable) per host
            retries: u32 = 0; int((0, RETRIES_MAX)); range((0, RETRIES_MAX)),
            /// seconds before the first retry (then doubling, at most 60)
            retry_backoff: f64 = DEFAULT_RETRY_BACKOFF; set;
                json!({"type": "number", "minimum": 0, "maximum": RETRY_BACKOFF_MAX}),
            /// Ansible verbosity
            verbosity: u8 = 0; int(VERBOSITY_RANGE); range(VERBOSITY_RANGE),
            /// ssh (default): local:// runs here, other hosts over SSH; local: every host's check runs here with {host} substituted
            connection: Connection = Connection::Ssh; set; r("Connection"),
            /// seconds allowed to open an SSH connection
            connect_timeout: u32 = DEFAULT_CONNECT_TIMEOUT; int(CONNECT_TIMEOUT_RANGE);
                range(CONNECT_TIMEOUT_RANGE),
            /// how a profile runs: native (evaluated in Rust), inspec (the InSpec CLI), auto (native; what it cannot run goes to the InSpec CLI when installed)
            runner: ProfileRunner = ProfileRunner::Native; set; r("ProfileRunner"),
            /// ansible_* variables a job's caller may set in its extra_vars (* for all); others are refused
            allow_ansible_vars: Vec<String> = Vec::new(); set;
                json!({"type": "array", "maxItems": ALLOW_ANSIBLE_VARS_MAX, "items": {"type": "string"}}),
        }
    };
}
pub(crate) use with_template_fields;

/// The type of a field in `TemplateSpec`, by how input sets it.
macro_rules! spec_type {
    (opt, $ty:ty) => { $ty };
    (int, $ty:ty) => { Option<i64> };
    (csv, $ty:ty) => { Option<CsvList> };
    (set, $ty:ty) => { Option<$ty> };
}

/// Sets field `$f` of `$t` from the spec `$s`, by how input sets it.
macro_rules! merge_field {
    ($t:ident, $s:ident, $f:ident, opt) => {
        if $s.$f.is_some() {
            $t.$f = $s.$f;
        }
    };
    ($t:ident, $s:ident, $f:ident, int($range:expr)) => {
        if let Some(v) = $s.$f {
            $t.$f = int_in(stringify!($f), v, $range)?;
        }
    };
    ($t:ident, $s:ident, $f:ident, csv) => {
        if let Some(v) = $s.$f {
            $t.$f = v.0;
        }
    };
    ($t:ident, $s:ident, $f:ident, set) => {
        if let Some(v) = $s.$f {
            $t.$f = v;
        }
    };
}

macro_rules! define_template {
    ($(
        $(#[doc = $doc:literal])*
        $f:ident: $ty:ty = $default:expr; $kind:ident $(($($arg:tt)*))?; $rule:expr
    ),* $(,)?) => {
        /// A validated, stored template. A field missing from a stored row (one written
        /// before the field existed) takes its default.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default = "Template::defaults")]
        pub struct Template {
            pub id: Uuid,
            $( $(#[doc = $doc])* pub $f: $ty, )*
            pub created_at: DateTime<Utc>,
            pub modified_at: DateTime<Utc>,
        }

        /// Template input: every field optional. Used for `create` (name + one action
        /// required) and for partial `update` (only the given fields change).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct TemplateSpec {
            $( $(#[doc = $doc])* pub $f: spec_type!($kind, $ty), )*
            /// Accepted so that a dict produced by `Template.to_dict()` round-trips; ignored on create.
            pub id: Option<Uuid>,
            pub created_at: Option<DateTime<Utc>>,
            pub modified_at: Option<DateTime<Utc>>,
        }

        impl Template {
            /// Every field at its default (the name empty: not valid until one is set).
            pub fn defaults() -> Self {
                let now = Utc::now();
                Template {
                    id: Uuid::new_v4(),
                    $( $f: $default, )*
                    created_at: now,
                    modified_at: now,
                }
            }

            fn merge(&mut self, s: TemplateSpec) -> Result<(), ValidationError> {
                $( merge_field!(self, s, $f, $kind $(($($arg)*))?); )*
                Ok(())
            }
        }
    };
}
with_template_fields!(define_template);

/// A list given as a list or as one comma-separated string: Ansible takes tags as "a,b",
/// JSON clients send lists.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct CsvList(pub Vec<String>);

impl<'de> Deserialize<'de> for CsvList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            List(Vec<String>),
            Csv(String),
        }
        Ok(CsvList(match Either::deserialize(d)? {
            Either::List(v) => v,
            Either::Csv(s) => s
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        }))
    }
}

impl Template {
    /// Build and validate a new template from its input; its local paths must exist.
    pub fn create(spec: TemplateSpec) -> Result<Self, ValidationError> {
        let t = Self::build(spec)?;
        t.check_local_paths()?;
        Ok(t)
    }

    /// Like `create` without the existence check: an executor checks its path policy
    /// first, so a path outside the roots is refused as such whether it exists or not.
    pub fn build(spec: TemplateSpec) -> Result<Self, ValidationError> {
        if spec.name.is_none() {
            return Err(ValidationError::new("name", "is required"));
        }
        let mut t = Self::defaults();
        t.merge(spec)?;
        t.validate()?;
        Ok(t)
    }

    /// Like `create`, but keeps `id`, `created_at` and `modified_at` when the input has
    /// them (re-loading a template's own `to_dict()`).
    pub fn restore(spec: TemplateSpec) -> Result<Self, ValidationError> {
        let (id, created_at, modified_at) = (spec.id, spec.created_at, spec.modified_at);
        let mut t = Self::create(spec)?;
        t.id = id.unwrap_or(t.id);
        t.created_at = created_at.unwrap_or(t.created_at);
        t.modified_at = modified_at.unwrap_or(t.created_at);
        Ok(t)
    }

    /// A copy with the given fields changed, validated. Setting one action
    /// (profile / playbook / command) replaces the others. Paths are not checked here:
    /// when the action changed (`same_action`), the caller checks them after its policy.
    pub fn updated(&self, patch: TemplateSpec) -> Result<Self, ValidationError> {
        let mut t = self.clone();
        let new_action =
            patch.profile.is_some() || patch.playbook.is_some() || patch.command.is_some();
        if new_action {
            t.profile = None;
            t.playbook = None;
            t.command = None;
        }
        t.merge(patch)?;
        t.modified_at = Utc::now();
        t.validate()?;
        Ok(t)
    }

    /// Whether `other` runs the same profile, playbook or command.
    pub fn same_action(&self, other: &Template) -> bool {
        (&self.profile, &self.playbook, &self.command)
            == (&other.profile, &other.playbook, &other.command)
    }

    pub fn action(&self) -> Action<'_> {
        match (&self.profile, &self.playbook, &self.command) {
            (Some(p), _, _) => Action::Profile(p),
            (_, Some(p), _) => Action::Playbook(p),
            (_, _, Some(c)) => Action::Command(c),
            // validate() guarantees exactly one; an empty command is the safe fallback.
            _ => Action::Command(&[]),
        }
    }

    /// The controls a job of this template runs (`controls`); a ValidationError naming
    /// `controls` when an entry cannot be used.
    pub fn control_selection(&self) -> Result<ControlSelection, ValidationError> {
        ControlSelection::new(&self.controls)
            .map_err(|e| ValidationError::new("controls", e.to_string()))
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_name(&self.name)?;
        check_len("description", &self.description, DESCRIPTION_MAX)?;
        let actions = [
            self.profile.is_some(),
            self.playbook.is_some(),
            self.command.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if actions != 1 {
            return Err(ValidationError::new(
                "profile",
                "exactly one of profile, playbook or command is required",
            ));
        }
        for (field, value) in [
            ("profile", &self.profile),
            ("playbook", &self.playbook),
            ("inventory", &self.inventory),
        ] {
            if let Some(p) = value {
                check_text(field, p, PATH_MAX)?;
                if p.is_empty() {
                    return Err(ValidationError::new(field, "must not be empty"));
                }
            }
        }
        for (field, value) in [
            ("target", &self.target),
            ("limit", &self.limit),
            ("reporter", &self.reporter),
        ] {
            if let Some(v) = value {
                check_text(field, v, PATH_MAX)?;
            }
        }
        if let Some(reporter) = &self.reporter {
            validate_reporter(reporter)?;
        }
        if let Some(argv) = &self.command {
            validate_argv(argv)?;
        }
        if let (true, Some(p)) = (self.supermarket, &self.profile) {
            validate_supermarket_ref(p)?;
        }
        check_extra_vars(&self.extra_vars)?;
        if self.allow_ansible_vars.len() > ALLOW_ANSIBLE_VARS_MAX {
            return Err(ValidationError::new(
                "allow_ansible_vars",
                format!("at most {ALLOW_ANSIBLE_VARS_MAX} entries"),
            ));
        }
        for v in &self.allow_ansible_vars {
            let ok = v == "*"
                || (v.starts_with(ANSIBLE_VAR_PREFIX)
                    && v.len() <= NAME_MAX
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            if !ok {
                return Err(ValidationError::new(
                    "allow_ansible_vars",
                    "each item must be an ansible_* variable name, or * for all",
                ));
            }
        }
        for (field, tags) in [("tags", &self.tags), ("skip_tags", &self.skip_tags)] {
            for t in tags {
                if t.is_empty() || t.contains(',') || t.chars().any(char::is_control) {
                    return Err(ValidationError::new(
                        field,
                        "each tag must be non-empty, without commas or control characters",
                    ));
                }
            }
        }
        self.control_selection()?;
        check_range("timeout", self.timeout, TIMEOUT_RANGE)?;
        check_range("forks", self.forks, FORKS_RANGE)?;
        check_range("retries", self.retries, (0, RETRIES_MAX))?;
        check_range(
            "connect_timeout",
            self.connect_timeout,
            CONNECT_TIMEOUT_RANGE,
        )?;
        if !(self.retry_backoff.is_finite()
            && (0.0..=RETRY_BACKOFF_MAX).contains(&self.retry_backoff))
        {
            return Err(ValidationError::new(
                "retry_backoff",
                format!("must be a number of seconds from 0 to {RETRY_BACKOFF_MAX}"),
            ));
        }
        if self.verbosity > VERBOSITY_MAX {
            return Err(ValidationError::new(
                "verbosity",
                format!("must be from 0 to {VERBOSITY_MAX}"),
            ));
        }
        Ok(())
    }

    /// A local profile or playbook must exist when the template is created (or its action
    /// changes), so a typo fails here and not in every job. Supermarket names and URLs
    /// (`scheme://…`) are references the runner resolves. Not part of `validate`: a stored
    /// template stays valid when its files go away (its jobs then end `error`).
    pub fn check_local_paths(&self) -> Result<(), ValidationError> {
        for (field, value) in [("profile", &self.profile), ("playbook", &self.playbook)] {
            let Some(path) = value else { continue };
            let reference = path.contains("://") || (field == "profile" && self.supermarket);
            if !reference && !std::path::Path::new(path).exists() {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "{path:?} does not exist (a local path; a Supermarket name needs \
                         supermarket=true, a URL its scheme://)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `reporter`: InSpec's form, space-separated `NAME` or `NAME:PATH` items, where NAME is
/// `cli` (the console) or one of the report formats (`report::Format`).
fn validate_reporter(reporter: &str) -> Result<(), ValidationError> {
    let mut items = reporter.split_whitespace().peekable();
    if items.peek().is_none() {
        return Err(ValidationError::new("reporter", "must not be empty"));
    }
    for item in items {
        let name = item.split_once(':').map_or(item, |(name, _)| name);
        if name != "cli" {
            crate::report::Format::parse(name).map_err(|e| {
                ValidationError::new(
                    "reporter",
                    format!(
                        "unknown reporter {name:?}: cli, or a report format ({})",
                        e.rule
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// Non-empty, of A-Z a-z 0-9 . _ -, starting with a letter or digit.
fn is_safe_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Names are used as file names and program arguments: they start with a letter or digit
/// (so never `.`, `..` or an option such as `-rf`).
pub fn validate_name(name: &str) -> Result<(), ValidationError> {
    if name.len() <= NAME_MAX && is_safe_name(name) {
        Ok(())
    } else {
        Err(ValidationError::new(
            "name",
            format!(
                "must be 1-{NAME_MAX} characters of A-Z a-z 0-9 . _ -, starting with a letter \
                 or digit"
            ),
        ))
    }
}

/// A Supermarket profile is `owner/name`, handed to InSpec as `supermarket://owner/name`:
/// a shape that is never read as a local path.
fn validate_supermarket_ref(r: &str) -> Result<(), ValidationError> {
    match r.split_once('/') {
        Some((owner, name)) if is_safe_name(owner) && is_safe_name(name) => Ok(()),
        _ => Err(ValidationError::new(
            "profile",
            "with supermarket, profile must be a Supermarket reference owner/name",
        )),
    }
}

/// Extra vars are bounded in size (as JSON) and nesting: they are stored with every job
/// and written to a file for each run.
pub fn check_extra_vars(vars: &Map<String, Value>) -> Result<(), ValidationError> {
    fn depth_ok(v: &Value, left: usize) -> bool {
        match v {
            Value::Array(a) => left > 0 && a.iter().all(|x| depth_ok(x, left - 1)),
            Value::Object(m) => left > 0 && m.values().all(|x| depth_ok(x, left - 1)),
            _ => true,
        }
    }
    if !vars.values().all(|v| depth_ok(v, EXTRA_VARS_MAX_DEPTH - 1)) {
        return Err(ValidationError::new(
            "extra_vars",
            format!("nested deeper than {EXTRA_VARS_MAX_DEPTH} levels"),
        ));
    }
    /// Counts bytes instead of keeping them.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            if self.0 > EXTRA_VARS_MAX_BYTES {
                return Err(std::io::Error::other("too large"));
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    if serde_json::to_writer(&mut Count(0), vars).is_err() {
        return Err(ValidationError::new(
            "extra_vars",
            format!("larger than {EXTRA_VARS_MAX_BYTES} bytes as JSON"),
        ));
    }
    Ok(())
}

fn validate_argv(argv: &[String]) -> Result<(), ValidationError> {
    if argv.is_empty() || argv[0].is_empty() {
        return Err(ValidationError::new(
            "command",
            "must be a non-empty argv list whose first item names the program",
        ));
    }
    if argv.len() > ARGV_MAX {
        return Err(ValidationError::new(
            "command",
            format!("at most {ARGV_MAX} arguments"),
        ));
    }
    for arg in argv {
        if arg.len() > ARG_MAX_LEN || arg.contains('\0') {
            return Err(ValidationError::new(
                "command",
                format!("each argument must be at most {ARG_MAX_LEN} bytes without NUL"),
            ));
        }
    }
    Ok(())
}

fn check_len(field: &str, v: &str, max: usize) -> Result<(), ValidationError> {
    if v.len() > max {
        return Err(ValidationError::new(field, format!("at most {max} bytes")));
    }
    Ok(())
}

fn check_text(field: &str, v: &str, max: usize) -> Result<(), ValidationError> {
    check_len(field, v, max)?;
    if v.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn int_in<T: TryFrom<i64>>(
    field: &str,
    v: i64,
    (lo, hi): (u32, u32),
) -> Result<T, ValidationError> {
    if (i64::from(lo)..=i64::from(hi)).contains(&v) {
        if let Ok(x) = T::try_from(v) {
            return Ok(x);
        }
    }
    Err(ValidationError::new(
        field,
        format!("must be from {lo} to {hi}"),
    ))
}

fn check_range(field: &str, v: u32, (lo, hi): (u32, u32)) -> Result<(), ValidationError> {
    if !(lo..=hi).contains(&v) {
        return Err(ValidationError::new(
            field,
            format!("must be from {lo} to {hi}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> TemplateSpec {
        TemplateSpec {
            name: Some(name.into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_apply() {
        let t = Template::create(spec("a")).unwrap();
        assert_eq!((t.timeout, t.forks, t.retries), (300, 5, 0));
        assert_eq!(t.retry_backoff, 1.0);
        assert_eq!(t.job_type, JobType::Run);
        assert_eq!(t.id.get_version_num(), 4);
    }

    #[test]
    fn name_rules() {
        for bad in [
            "",
            "a b",
            "a/b",
            "ü",
            &"x".repeat(129),
            ".",
            "..",
            "-rf",
            "_x",
            ".hidden",
        ] {
            let e = Template::create(spec(bad)).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
        }
        for good in ["a", "A.b_c-9", &"x".repeat(128)] {
            Template::create(spec(good)).unwrap();
        }
    }

    #[test]
    fn extra_vars_are_bounded() {
        let mut deep = Value::from(1);
        for _ in 0..EXTRA_VARS_MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        let big = Value::from("x".repeat(EXTRA_VARS_MAX_BYTES));
        for v in [deep, big] {
            let mut s = spec("a");
            s.extra_vars = Some(Map::from_iter([("k".to_string(), v)]));
            assert_eq!(Template::create(s).unwrap_err().field, "extra_vars");
        }
        let mut ok = Value::from(1);
        for _ in 0..EXTRA_VARS_MAX_DEPTH - 1 {
            ok = Value::Array(vec![ok]);
        }
        let mut s = spec("a");
        s.extra_vars = Some(Map::from_iter([("k".to_string(), ok)]));
        Template::create(s).unwrap();
    }

    #[test]
    fn supermarket_profiles_are_references() {
        for (profile, ok) in [
            ("dev-sec/linux-baseline", true),
            ("/etc", false),
            ("../x/y", false),
            ("a/b/c", false),
            ("./a", false),
        ] {
            let mut s = spec("a");
            s.command = None;
            s.profile = Some(profile.into());
            s.supermarket = Some(true);
            assert_eq!(Template::create(s).is_ok(), ok, "{profile}");
        }
    }

    #[test]
    fn exactly_one_action() {
        let mut s = spec("a");
        s.profile = Some("p".into());
        assert_eq!(Template::create(s).unwrap_err().field, "profile");
        let mut s = spec("a");
        s.command = None;
        assert!(Template::create(s)
            .unwrap_err()
            .rule
            .contains("exactly one"));
    }

    #[test]
    fn ranges_name_the_field() {
        type Case = (&'static str, fn(&mut TemplateSpec));
        let cases: [Case; 6] = [
            ("timeout", |s| s.timeout = Some(-1)),
            ("timeout", |s| s.timeout = Some(86_401)),
            ("forks", |s| s.forks = Some(1001)),
            ("retries", |s| s.retries = Some(11)),
            ("retry_backoff", |s| s.retry_backoff = Some(f64::NAN)),
            ("verbosity", |s| s.verbosity = Some(5)),
        ];
        for (field, f) in cases {
            let mut s = spec("a");
            f(&mut s);
            assert_eq!(Template::create(s).unwrap_err().field, field);
        }
    }

    /// The schema has said "at most 256" since the field exists; the core now applies it.
    #[test]
    fn allow_ansible_vars_is_bounded() {
        let mut s = spec("a");
        s.allow_ansible_vars = Some(vec!["ansible_user".into(); ALLOW_ANSIBLE_VARS_MAX]);
        Template::create(s.clone()).unwrap();
        s.allow_ansible_vars = Some(vec!["ansible_user".into(); ALLOW_ANSIBLE_VARS_MAX + 1]);
        assert_eq!(Template::create(s).unwrap_err().field, "allow_ansible_vars");
    }

    #[test]
    fn argv_rules() {
        for bad in [vec![], vec![String::new()], vec!["a\0b".to_string()]] {
            let mut s = spec("a");
            s.command = Some(bad);
            assert_eq!(Template::create(s).unwrap_err().field, "command");
        }
    }

    #[test]
    fn tags_accept_csv_and_list() {
        let s: TemplateSpec = serde_json::from_str(
            r#"{"name":"a","command":["true"],"tags":"x, y,","skip_tags":["z"]}"#,
        )
        .unwrap();
        let t = Template::create(s).unwrap();
        assert_eq!(t.tags, ["x", "y"]);
        assert_eq!(t.skip_tags, ["z"]);
    }

    #[test]
    fn restore_keeps_identity() {
        let t = Template::create(spec("a")).unwrap();
        let back: TemplateSpec = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(Template::restore(back).unwrap(), t);
    }

    const EXAMPLE_PROFILE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/profiles/linux-baseline"
    );

    #[test]
    fn reporter_names_are_checked() {
        for good in ["json", "cli json:out.json", "junit:r.xml html:r.html"] {
            let mut s = spec("a");
            s.reporter = Some(good.into());
            Template::create(s).unwrap();
        }
        for bad in ["jsno", "cli yaml:x", "", "  "] {
            let mut s = spec("a");
            s.reporter = Some(bad.into());
            assert_eq!(
                Template::create(s).unwrap_err().field,
                "reporter",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn local_paths_must_exist_at_creation() {
        let make = |f: fn(&mut TemplateSpec)| {
            let mut s = spec("a");
            s.command = None;
            f(&mut s);
            Template::create(s)
        };
        let e = make(|s| s.profile = Some("/nonexistent".into())).unwrap_err();
        assert_eq!(e.field, "profile");
        let e = make(|s| s.playbook = Some("/nonexistent/site.yml".into())).unwrap_err();
        assert_eq!(e.field, "playbook");
        make(|s| s.profile = Some(EXAMPLE_PROFILE.into())).unwrap();
        make(|s| s.profile = Some("https://example.invalid/p.tar.gz".into())).unwrap();
        make(|s| {
            s.profile = Some("dev-sec/linux-baseline".into());
            s.supermarket = Some(true);
        })
        .unwrap();
        // Changing the action checks again; other changes keep a template whose files went.
        let t = Template::create(spec("a")).unwrap();
        let moved = TemplateSpec {
            playbook: Some("/nonexistent.yml".into()),
            ..Default::default()
        };
        let moved = t.updated(moved).unwrap();
        assert!(!moved.same_action(&t));
        assert_eq!(moved.check_local_paths().unwrap_err().field, "playbook");
    }

    /// A stored row written before a field existed loads with that field's default.
    #[test]
    fn a_stored_template_without_newer_fields_takes_their_defaults() {
        let t = Template::create(spec("a")).unwrap();
        let mut row = serde_json::to_value(&t).unwrap();
        for newer in ["controls", "connection", "connect_timeout", "runner"] {
            row.as_object_mut().unwrap().remove(newer);
        }
        let back: Template = serde_json::from_value(row).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    }

    #[test]
    fn unknown_fields_rejected() {
        let e = serde_json::from_str::<TemplateSpec>(r#"{"name":"a","bogus":1}"#).unwrap_err();
        assert!(e.to_string().contains("bogus"));
    }

    #[test]
    fn update_replaces_action_and_keeps_rest() {
        let t = Template::create(spec("a")).unwrap();
        let u = t
            .updated(TemplateSpec {
                profile: Some(EXAMPLE_PROFILE.into()),
                forks: Some(9),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(u.action(), Action::Profile(EXAMPLE_PROFILE));
        assert_eq!((u.forks, u.id, u.created_at), (9, t.id, t.created_at));
        assert!(u.modified_at >= t.modified_at);
        let bad = t.updated(TemplateSpec {
            forks: Some(0),
            ..Default::default()
        });
        assert_eq!(bad.unwrap_err().field, "forks");
    }
}
