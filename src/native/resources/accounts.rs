//! Accounts from /etc/passwd, /etc/shadow and /etc/group: `passwd`, `shadow`, `etc_group`
//! (FilterTables over the files, as InSpec parses them), `user`, `users`, `group`, `groups`.
//! Read as files, so one prefetch answers them all (NSS sources such as LDAP are not seen).

use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::support::{
    need_str, opt_str, read_text, run_argv, str_arg, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, TablePredicate, Value};
use crate::transport::Host;

/// Ruby's `String#split(sep)`: trailing empty fields are dropped.
pub fn ruby_split(line: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = line.split(sep).collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

fn field(parts: &[&str], i: usize) -> Value {
    opt_str(parts.get(i).copied())
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// /etc/passwd rows: user, password, uid, gid, desc, home, shell (text, as InSpec).
pub fn passwd_rows(text: &str) -> Vec<Vec<Value>> {
    data_lines(text)
        .map(|l| {
            let p = ruby_split(l, ':');
            (0..7).map(|i| field(&p, i)).collect()
        })
        .collect()
}

/// /etc/shadow rows: user, password, last_change, min_days, max_days, warn_days,
/// inactive_days, expiry_date, reserved.
pub fn shadow_rows(text: &str) -> Vec<Vec<Value>> {
    data_lines(text)
        .map(|l| {
            let p = ruby_split(l, ':');
            // InSpec's shadow turns empty fields into nil.
            (0..9)
                .map(|i| match p.get(i) {
                    Some(s) if !s.is_empty() => Value::str(*s),
                    _ => Value::Nil,
                })
                .collect()
        })
        .collect()
}

/// /etc/group rows: name, password, gid (Integer), members (text, comma-separated).
pub fn group_rows(text: &str) -> Vec<Vec<Value>> {
    data_lines(text)
        .map(|l| {
            let p = ruby_split(l, ':');
            vec![
                field(&p, 0),
                field(&p, 1),
                p.get(2)
                    .and_then(|g| g.parse().ok())
                    .map_or(Value::Nil, Value::Int),
                field(&p, 3),
            ]
        })
        .collect()
}

/// `etc_group`'s fields: the file's four, then the names its `where` also accepts
/// (`group_name`, `group_id`) and `users`, the members as a list.
const ETC_GROUP_FIELDS: &[&str] = &[
    "name",
    "password",
    "gid",
    "members",
    "group_name",
    "group_id",
    "users",
];

fn etc_group_rows(text: &str) -> Vec<Vec<Value>> {
    group_rows(text)
        .into_iter()
        .map(|mut r| {
            let users = match r.get(3) {
                Some(Value::Str(m)) => m
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(Value::str)
                    .collect(),
                _ => Vec::new(),
            };
            let (name, gid) = (r[0].clone(), r[2].clone());
            r.extend([name, gid, Value::Array(users)]);
            r
        })
        .collect()
}

pub const PASSWD_METHODS: &[&str] = &[
    "content",
    "count",
    "descs",
    "entries",
    "exist?",
    "exists?",
    "gids",
    "homes",
    "lines",
    "passwords",
    "raw_data",
    "shells",
    "uids",
    "users",
    "where",
];
pub const SHADOW_METHODS: &[&str] = &[
    "content",
    "count",
    "entries",
    "exist?",
    "exists?",
    "expiry_dates",
    "inactive_days",
    "last_changes",
    "lines",
    "max_days",
    "min_days",
    "passwords",
    "raw_data",
    "reserved",
    "users",
    "warn_days",
    "where",
];
pub const GROUP_FILE_METHODS: &[&str] = &[
    "content",
    "count",
    "entries",
    "exist?",
    "exists?",
    "gids",
    "groups",
    "lines",
    "passwords",
    "raw_data",
    "users",
    "where",
];

/// `passwd`, `shadow`, `etc_group`: a FilterTable over one file.
pub struct AccountFile {
    name: &'static str,
    path: String,
    host: Arc<Host>,
    loaded: Lazy<(String, Arc<Table>)>,
}

pub fn create_file(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let default = match name {
        "passwd" => "/etc/passwd",
        "shadow" => "/etc/shadow",
        _ => "/etc/group",
    };
    Ok(Arc::new(AccountFile {
        name,
        path: str_arg(args, 0).unwrap_or_else(|| default.to_string()),
        host: host.clone(),
        loaded: Lazy::default(),
    }))
}

impl AccountFile {
    fn loaded(&self) -> Res<&(String, Arc<Table>)> {
        self.loaded.get(|| {
            // passwd.rb, shadow.rb, etc_group.rb: `read_file_content(path, allow_empty: true)`.
            let text = read_file_content(&self.host, &self.path, true)?;
            Ok((text.clone(), self.rows_table(&text)))
        })
    }

    /// The FilterTable over `text`'s entries (no text: the table with no rows).
    fn rows_table(&self, text: &str) -> Arc<Table> {
        match self.name {
            "passwd" => table(
                &self.to_s(),
                &["user", "password", "uid", "gid", "desc", "home", "shell"],
                &[
                    ("users", "user"),
                    ("passwords", "password"),
                    ("uids", "uid"),
                    ("gids", "gid"),
                    ("descs", "desc"),
                    ("homes", "home"),
                    ("shells", "shell"),
                ],
                passwd_rows(text),
            ),
            "shadow" => table(
                &self.to_s(),
                &[
                    "user",
                    "password",
                    "last_change",
                    "min_days",
                    "max_days",
                    "warn_days",
                    "inactive_days",
                    "expiry_date",
                    "reserved",
                ],
                &[
                    ("users", "user"),
                    ("passwords", "password"),
                    ("last_changes", "last_change"),
                    ("min_days", "min_days"),
                    ("max_days", "max_days"),
                    ("warn_days", "warn_days"),
                    ("inactive_days", "inactive_days"),
                    ("expiry_dates", "expiry_date"),
                    ("reserved", "reserved"),
                ],
                shadow_rows(text),
            ),
            _ => {
                let mut t = table(
                    &self.to_s(),
                    ETC_GROUP_FIELDS,
                    &[
                        ("groups", "name"),
                        ("passwords", "password"),
                        ("gids", "gid"),
                    ],
                    etc_group_rows(text),
                );
                // `users`, filtered or not, is every member of the groups in one list.
                Arc::make_mut(&mut t).flattened = vec!["users".into()];
                // etc_group.rb's `where` answers an EtcGroupView, which has no `to_s`.
                Arc::make_mut(&mut t).view = Some("Inspec::Resources::EtcGroupView".into());
                t
            }
        }
    }
}

impl Resource for AccountFile {
    fn name(&self) -> &str {
        self.name
    }

    /// passwd.rb and etc_group.rb name themselves by the default path whatever file they
    /// read; shadow.rb by its path.
    fn to_s(&self) -> String {
        match self.name {
            "passwd" => "/etc/passwd".into(),
            "etc_group" => "/etc/group".into(),
            _ => self.path.clone(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let (text, t) = self.loaded()?;
        match method {
            "content" => Ok(Value::str(text)),
            "lines" => Ok(Value::Array(text.lines().map(Value::str).collect())),
            _ => table_call(self.name, t, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.loaded()?.1.clone()))
    }

    /// passwd.rb and etc_group.rb read the file in `initialize`; shadow.rb only when its
    /// FilterTable asks for the rows (`set_params`).
    fn load_skip(&self) -> Option<String> {
        if self.name == "shadow" {
            return None;
        }
        crate::native::resources::support::skip_of(self.loaded())
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(self.rows_table(""))
    }

    /// Skipped in `initialize`: passwd.rb's `content` and `lines` were never set (nil), nor
    /// etc_group.rb's `@entries`, from which its `groups`, `gids`, `users` and `entries`
    /// answer nil.
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match (self.name, method) {
            ("passwd", "content" | "lines") => Some(Value::Nil),
            ("etc_group", "groups" | "gids" | "users" | "entries") => Some(Value::Nil),
            _ => None,
        }
    }

    /// shadow.rb reads its rows lazily: each FilterTable method meets the read's skip
    /// (`Can't read file: /etc/shadow` as an unprivileged user) and answers filter.rb's
    /// ExceptionCatcher of `Inspec::Resources::Shadow`.
    fn lazy_rows_class(&self) -> Option<&'static str> {
        (self.name == "shadow").then_some("Inspec::Resources::Shadow")
    }

    fn custom_properties(&self) -> &'static [&'static str] {
        match self.name {
            "shadow" => &["content"],
            _ => &[],
        }
    }
}

/// Everything known about the accounts, joined from the three files.
struct Accounts {
    passwd: Vec<Vec<Value>>,
    groups: Vec<Vec<Value>>,
    shadow: Vec<Vec<Value>>,
}

fn accounts(host: &Host) -> Res<Accounts> {
    let read = |p: &str| -> Res<String> { Ok(read_text(host, p)?.unwrap_or_default()) };
    Ok(Accounts {
        passwd: passwd_rows(&read("/etc/passwd")?),
        groups: group_rows(&read("/etc/group")?),
        shadow: shadow_rows(&read("/etc/shadow")?),
    })
}

fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Value {
    text(v)
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(Value::Nil, Value::Int)
}

impl Accounts {
    /// One user's row for `users` (the fields of [`USER_FIELDS`]).
    fn user_row(&self, p: &[Value]) -> Vec<Value> {
        let name = text(p.first()).unwrap_or("");
        let gid = int(p.get(3));
        let primary = self
            .groups
            .iter()
            .find(|g| g.get(2) == Some(&gid))
            .and_then(|g| text(g.first()))
            .map(str::to_string);
        let mut groups: Vec<Value> = primary.iter().map(Value::str).collect();
        for g in &self.groups {
            let member = text(g.get(3)).is_some_and(|m| m.split(',').any(|u| u == name));
            let gname = text(g.first()).unwrap_or("");
            if member && primary.as_deref() != Some(gname) {
                groups.push(Value::str(gname));
            }
        }
        let shadow = self.shadow.iter().find(|s| text(s.first()) == Some(name));
        let sh = |i: usize| int(shadow.and_then(|s| s.get(i)));
        // chage's "Last password change" as days before today (users.rb `passwordage`):
        // none when never set, or 0 (a change is required).
        let passwordage = match sh(2) {
            Value::Int(days) if days > 0 => {
                Value::Int(chrono::Utc::now().timestamp().div_euclid(86_400) - days)
            }
            _ => Value::Nil,
        };
        vec![
            Value::str(name),
            int(p.get(2)),
            gid,
            opt_str(primary.as_deref()),
            Value::Array(groups),
            p.get(5).cloned().unwrap_or(Value::Nil),
            p.get(6).cloned().unwrap_or(Value::Nil),
            sh(3),
            sh(4),
            sh(5),
            sh(6),
            passwordage,
            Value::Nil,
        ]
    }
}

const USER_FIELDS: &[&str] = &[
    "username",
    "uid",
    "gid",
    "groupname",
    "groups",
    "home",
    "shell",
    "mindays",
    "maxdays",
    "warndays",
    "inactive_days",
    "passwordage",
    // users.rb's Linux provider sets no `disabled` (Windows only): nil on every row.
    "disabled",
];

pub const USER_METHODS: &[&str] = &[
    "badpasswordattempts",
    "belongs_to_group?",
    "belongs_to_primary_group?",
    "disabled?",
    "domain",
    "enabled?",
    "encrypted_password",
    "groupname",
    "has_authorized_key?",
    "has_home_directory?",
    "has_login_shell?",
    "has_uid?",
    "lastlogin",
    "maxbadpasswords",
    "maximum_days_between_password_change",
    "minimum_days_between_password_change",
    "passwordage",
    "userflags",
    "exist?",
    "exists?",
    "gid",
    "group",
    "groups",
    "home",
    "inactive_days",
    "maxdays",
    "mindays",
    "shell",
    "uid",
    "username",
    "warndays",
];
pub const USERS_METHODS: &[&str] = &[
    "count",
    "disabled",
    "disabled?",
    "enabled?",
    "entries",
    "exist?",
    "exists?",
    "gids",
    "groupnames",
    "groups",
    "homes",
    "inactive_days",
    "maxdays",
    "mindays",
    "raw_data",
    "shells",
    "uids",
    "usernames",
    "warndays",
    "where",
];

/// `user(name)` and `users`.
pub struct Users {
    /// None: the `users` table.
    user: Option<String>,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_user(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Users {
        user: Some(need_str("user", args, 0, "a user name")?),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

pub fn create_users(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Users {
        user: None,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl Users {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let a = accounts(&self.host)?;
            let rows = a
                .passwd
                .iter()
                .filter(|p| self.user.is_none() || text(p.first()) == self.user.as_deref())
                .map(|p| a.user_row(p))
                .collect();
            let mut t = table(
                "Users",
                USER_FIELDS,
                &[
                    ("usernames", "username"),
                    ("uids", "uid"),
                    ("gids", "gid"),
                    ("groupnames", "groupname"),
                    ("groups", "groups"),
                    ("homes", "home"),
                    ("shells", "shell"),
                    ("mindays", "mindays"),
                    ("maxdays", "maxdays"),
                    ("warndays", "warndays"),
                    ("inactive_days", "inactive_days"),
                    ("disabled", "disabled"),
                ],
                rows,
            );
            // users.rb: `disabled?` when no row is `disabled == false`, `enabled?` when
            // none is `disabled == true` (both true on Linux, whose rows have nil).
            if let Some(t) = Arc::get_mut(&mut t) {
                let disabled = USER_FIELDS.len() - 1;
                t.predicates = vec![
                    (
                        "disabled?".into(),
                        TablePredicate::NoneIs(disabled, Value::Bool(false)),
                    ),
                    (
                        "enabled?".into(),
                        TablePredicate::NoneIs(disabled, Value::Bool(true)),
                    ),
                ];
            }
            Ok(t)
        })
    }
}

impl Resource for Users {
    fn name(&self) -> &str {
        if self.user.is_some() {
            "user"
        } else {
            "users"
        }
    }

    fn to_s(&self) -> String {
        match &self.user {
            Some(u) => format!("User {u}"),
            None => "Users".into(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let t = self.table()?;
        if self.user.is_none() {
            return table_call("users", t, method, args);
        }
        let row = t.rows.first();
        let get = |f: &str| {
            row.and_then(|r| t.field(f).and_then(|i| r.get(i)).cloned())
                .unwrap_or(Value::Nil)
        };
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(row.is_some())),
            "username" => Ok(get("username")),
            "group" | "groupname" => Ok(get("groupname")),
            "uid" | "gid" | "groups" | "home" | "shell" | "mindays" | "maxdays" | "warndays"
            | "inactive_days" | "passwordage" => Ok(get(method)),
            // `getent shadow NAME`'s second field.
            "encrypted_password" => {
                let name = get("username");
                Ok(accounts(&self.host)?
                    .shadow
                    .iter()
                    .find(|s| s.first() == Some(&name))
                    .and_then(|s| s.get(1).cloned())
                    .unwrap_or(Value::Nil))
            }
            // users.rb: `lastb -w -a | grep USER | wc -l` (0 when lastb cannot be read), for
            // an existing user; the lines are counted here rather than through a pipeline.
            "badpasswordattempts" => {
                let Value::Str(name) = get("username") else {
                    return Ok(Value::Nil);
                };
                let out = run_argv(&self.host, &["lastb", "-w", "-a"])?;
                let n = out
                    .stdout
                    .lines()
                    .filter(|l| l.contains(name.as_str()))
                    .count();
                Ok(Value::Int(n as i64))
            }
            "minimum_days_between_password_change" => Ok(get("mindays")),
            "maximum_days_between_password_change" => Ok(get("maxdays")),
            // users.rb's Linux provider has no `disabled` (both predicates false), and no
            // domain, flags, last login or bad-password limit.
            "disabled?" | "enabled?" => Ok(Value::Bool(false)),
            "domain" | "userflags" | "lastlogin" | "maxbadpasswords" => Ok(Value::Nil),
            // The serverspec matchers (users.rb has_uid?, belongs_to_group?, ...).
            "has_uid?" => Ok(Value::Bool(Some(&get("uid")) == args.first())),
            "has_home_directory?" => Ok(Value::Bool(Some(&get("home")) == args.first())),
            "has_login_shell?" => Ok(Value::Bool(Some(&get("shell")) == args.first())),
            "belongs_to_primary_group?" => Ok(Value::Bool(Some(&get("groupname")) == args.first())),
            "belongs_to_group?" => Ok(Value::Bool(match (get("groups"), args.first()) {
                (Value::Array(gs), Some(g)) => gs.contains(g),
                _ => false,
            })),
            "has_authorized_key?" => {
                let keys = authorized_keys(&self.host)?;
                Ok(Value::Bool(args.first().is_some_and(|k| keys.contains(k))))
            }
            _ => Err(unsupported("user", method)),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        self.user
            .is_none()
            .then(|| self.table().cloned())
            .transpose()
    }
}

/// users.rb `get_authorized_keys`: the lines of `~/.ssh/authorized_keys` (else
/// `authorized_keys2`) of the user InSpec logs in as, whichever user is described (`~` is
/// the login's home); skipped when neither can be read.
fn authorized_keys(host: &Host) -> Res<Vec<Value>> {
    for path in ["~/.ssh/authorized_keys", "~/.ssh/authorized_keys2"] {
        let out = host.run(&format!("cat {path}"))?;
        if out.exit_status == Some(0) {
            return Ok(out.stdout.lines().map(|l| Value::str(l.trim())).collect());
        }
    }
    Err(ResourceError::Skip(
        "Can't find any valid path for authorized_keys".into(),
    ))
}

pub const GROUP_METHODS: &[&str] = &["exist?", "exists?", "gid", "members", "members_array"];
pub const GROUPS_METHODS: &[&str] = &[
    "count", "entries", "exist?", "exists?", "gids", "members", "names", "raw_data", "where",
];

/// `group(name)` and `groups`.
pub struct Groups {
    group: Option<String>,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_group(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Groups {
        group: Some(need_str("group", args, 0, "a group name")?),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

pub fn create_groups(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Groups {
        group: None,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl Groups {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let text = read_text(&self.host, "/etc/group")?.unwrap_or_default();
            let rows = group_rows(&text)
                .into_iter()
                .filter(|g| self.group.is_none() || text_of(g.first()) == self.group.as_deref())
                .map(|g| {
                    let members = text_of(g.get(3))
                        .map(|m| {
                            m.split(',')
                                .filter(|s| !s.is_empty())
                                .map(Value::str)
                                .collect()
                        })
                        .unwrap_or_default();
                    vec![g[0].clone(), g[2].clone(), Value::Array(members)]
                })
                .collect();
            Ok(table(
                "Groups",
                &["name", "gid", "members"],
                &[("names", "name"), ("gids", "gid"), ("members", "members")],
                rows,
            ))
        })
    }
}

fn text_of(v: Option<&Value>) -> Option<&str> {
    text(v)
}

impl Resource for Groups {
    fn name(&self) -> &str {
        if self.group.is_some() {
            "group"
        } else {
            "groups"
        }
    }

    fn to_s(&self) -> String {
        match &self.group {
            Some(g) => format!("Group {g}"),
            None => "Groups".into(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let t = self.table()?;
        let Some(_) = &self.group else {
            if method == "members" {
                // Every member of the remaining groups, flattened.
                let mut all = Vec::new();
                for m in t.column("members").unwrap_or_default() {
                    if let Value::Array(items) = m {
                        all.extend(items);
                    }
                }
                return Ok(Value::Array(all));
            }
            return table_call("groups", t, method, args);
        };
        let row = t.rows.first();
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(row.is_some())),
            "gid" => Ok(row.and_then(|r| r.get(1).cloned()).unwrap_or(Value::Nil)),
            "members_array" => Ok(row.and_then(|r| r.get(2).cloned()).unwrap_or(Value::Nil)),
            // InSpec gives the members as the file's comma-separated text.
            "members" => Ok(match row.and_then(|r| r.get(2)) {
                Some(Value::Array(items)) => Value::Str(
                    items
                        .iter()
                        .filter_map(|v| text(Some(v)))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => Value::Nil,
            }),
            _ => Err(unsupported("group", method)),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        self.group
            .is_none()
            .then(|| self.table().cloned())
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::resources::support::column;
    use crate::transport::local::test_host as host;

    #[test]
    fn etc_group_where_users_is_one_flat_list() {
        let dir = std::env::temp_dir().join(format!("airs-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("group");
        std::fs::write(
            &p,
            "adm:x:4:syslog,admin\nwheel:x:10:admin,,bob\nnone:x:9:\n",
        )
        .unwrap();
        let groups = create_file("etc_group", &[Value::str(p.to_str().unwrap())], &host()).unwrap();
        let by = |field: &str, v: Value| {
            let cond = Value::Hash(vec![(Value::Sym(field.into()), v)]);
            match groups.call("where", &[cond]).unwrap() {
                Value::Table(t) => t,
                other => panic!("{other:?}"),
            }
        };
        // etc_group.rb users: members split on `,`, flattened, empty ones dropped.
        let adm = by("name", Value::str("adm"));
        assert_eq!(
            column(&adm, "users"),
            Value::Array(vec![Value::str("syslog"), Value::str("admin")])
        );
        let wheel = by("gid", Value::Int(10));
        assert_eq!(
            column(&wheel, "users"),
            Value::Array(vec![Value::str("admin"), Value::str("bob")])
        );
        assert_eq!(
            column(&by("name", Value::str("none")), "users"),
            Value::Array(vec![])
        );
        assert_eq!(
            groups.call("users", &[]).unwrap(),
            Value::Array(["syslog", "admin", "admin", "bob"].map(Value::str).to_vec())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parsers_follow_ruby_split() {
        let rows = passwd_rows("root:x:0:0:root:/root:/bin/bash\n#c\nodd:x:5\n\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][2], Value::str("0"));
        assert_eq!(rows[1][3], Value::Nil);
        let g = group_rows("adm:x:4:syslog,bob\nempty:x:9:\nbad:x:zz\n");
        assert_eq!(g[0][2], Value::Int(4));
        assert_eq!(g[1][3], Value::Nil);
        assert_eq!(g[2][2], Value::Nil);
        let s = shadow_rows("root:*:19000:0:99999:7:::\n");
        assert_eq!(s[0][4], Value::str("99999"));
        assert_eq!(s[0][6], Value::Nil);
        for junk in ["", ":", "::::::::::::", "\u{0}:\u{ff}", "a"] {
            let _ = (passwd_rows(junk), group_rows(junk), shadow_rows(junk));
        }
    }

    #[test]
    fn the_real_files_match_getent() {
        let h = host();
        let passwd = create_file("passwd", &[], &h).unwrap();
        let t = passwd.table().unwrap().unwrap();
        let text = std::fs::read_to_string("/etc/passwd").unwrap();
        let want: Vec<Value> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| Value::str(l.split(':').next().unwrap()))
            .collect();
        assert_eq!(column(&t, "users"), Value::Array(want.clone()));
        assert_eq!(passwd.call("users", &[]).unwrap(), Value::Array(want));
        let root = passwd
            .call(
                "where",
                &[Value::Hash(vec![(
                    Value::Sym("user".into()),
                    Value::str("root"),
                )])],
            )
            .unwrap();
        let Value::Table(root) = root else { panic!() };
        assert_eq!(column(&root, "uids"), Value::Array(vec![Value::str("0")]));
        assert_eq!(root.name, "/etc/passwd with user == \"root\"");
        assert_eq!(passwd.to_s(), "/etc/passwd");

        let groups = create_file("etc_group", &[], &h).unwrap();
        let gt = groups.table().unwrap().unwrap();
        let gtext = std::fs::read_to_string("/etc/group").unwrap();
        assert_eq!(
            gt.rows.len(),
            gtext.lines().filter(|l| !l.is_empty()).count()
        );
        let zero = groups
            .call(
                "where",
                &[Value::Hash(vec![(Value::Sym("gid".into()), Value::Int(0))])],
            )
            .unwrap();
        let Value::Table(zero) = zero else { panic!() };
        assert_eq!(
            column(&zero, "groups"),
            Value::Array(vec![Value::str("root")])
        );
        // InSpec's aliases in etc_group's where, and a column with a condition.
        let by_name = groups
            .call(
                "where",
                &[Value::Hash(vec![(
                    Value::Sym("group_name".into()),
                    Value::str("root"),
                )])],
            )
            .unwrap();
        let Value::Table(by_name) = by_name else {
            panic!()
        };
        assert_eq!(column(&by_name, "gids"), Value::Array(vec![Value::Int(0)]));
        let Value::Table(root_user) = passwd.call("users", &[Value::str("root")]).unwrap() else {
            panic!()
        };
        assert_eq!(
            column(&root_user, "homes"),
            Value::Array(vec![Value::str("/root")])
        );

        let user = create_user(&[Value::str("daemon")], &h).unwrap();
        assert_eq!(user.call("exist?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(user.call("uid", &[]).unwrap(), Value::Int(1));
        assert_eq!(user.call("group", &[]).unwrap(), Value::str("daemon"));
        assert_eq!(user.to_s(), "User daemon");
        let nobody = create_user(&[Value::str("no-such-user-x")], &h).unwrap();
        assert_eq!(nobody.call("exist?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(nobody.call("uid", &[]).unwrap(), Value::Nil);
        let root = create_user(&[Value::str("root")], &h).unwrap();
        assert_eq!(root.call("home", &[]).unwrap(), Value::str("/root"));
        let g = create_group(&[Value::str("root")], &h).unwrap();
        assert_eq!(g.call("gid", &[]).unwrap(), Value::Int(0));
        let users = create_users(&[], &h).unwrap();
        let Value::Array(uids) = users.call("uids", &[]).unwrap() else {
            panic!()
        };
        assert!(uids.contains(&Value::Int(0)));
    }
}
