//! Ruby's `Date`, `Time` and `DateTime` as profiles use them for certificate expiry and
//! password ages: parsing (`parse`, `strptime`), `today`/`now`, arithmetic, comparison and
//! the calendar fields. One representation, an instant with its offset, and the class it
//! was made as (which decides what `+ 1` and `a - b` count: days or seconds).
//! Times without a zone are UTC (the runner's zone is not the target's).

use std::cmp::Ordering;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Timelike, Utc,
};

use crate::native::ruby::methods::to_s;
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::{Flow, R};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Date,
    Time,
    DateTime,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Date => "Date",
            Kind::Time => "Time",
            Kind::DateTime => "DateTime",
        }
    }
}

/// A `Date`, `Time` or `DateTime` value.
#[derive(Clone, Debug)]
pub struct Moment {
    pub at: DateTime<FixedOffset>,
    pub kind: Kind,
}

impl NativeObject for Moment {
    fn class_name(&self) -> Option<&'static str> {
        Some(self.kind.class())
    }
    fn equals(&self, other: &dyn NativeObject) -> bool {
        other
            .downcast_ref::<Moment>()
            .is_some_and(|o| o.at == self.at)
    }
    fn compare(&self, other: &dyn NativeObject) -> Option<Ordering> {
        other.downcast_ref::<Moment>().map(|o| compare(self, o))
    }
    fn inspect(&self) -> Option<String> {
        Some(inspect(self))
    }
    fn to_s(&self) -> Option<String> {
        call(self, "to_s", &[])
            .and_then(|r| r.ok())
            .map(|s| match s {
                Value::Str(s) => s,
                _ => String::new(),
            })
    }
}

/// Class methods, per class (read by evaluation and by static coverage).
pub const DATE_CLASS_METHODS: &[&str] = &["today", "parse", "strptime", "new", "valid_date?"];
pub const TIME_CLASS_METHODS: &[&str] = &["now", "at", "parse", "strptime", "new", "utc", "gm"];
pub const DATETIME_CLASS_METHODS: &[&str] = &["now", "parse", "strptime", "new"];

/// Methods of the values.
pub const METHODS: &[&str] = &[
    "year",
    "month",
    "mon",
    "day",
    "mday",
    "hour",
    "min",
    "sec",
    "wday",
    "yday",
    "to_i",
    "to_f",
    "to_time",
    "to_date",
    "to_datetime",
    "to_s",
    "iso8601",
    "strftime",
    "utc",
    "getutc",
    "localtime",
    "utc_offset",
    "next_day",
    "prev_day",
    "next_month",
    "prev_month",
    ">>",
    "<<",
    "+",
    "-",
    "<=>",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "between?",
    "saturday?",
    "sunday?",
];

fn utc(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.fixed_offset()
}

fn moment(at: DateTime<FixedOffset>, kind: Kind) -> Value {
    native(Moment { at, kind })
}

fn midnight(d: NaiveDate) -> DateTime<FixedOffset> {
    utc(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
}

fn invalid(what: &str, s: &str) -> Flow {
    Flow::raise("Date::Error", format!("invalid {what}: {s:?}"))
}

/// Formats with a zone, tried in order.
const ZONED: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%a %b %d %H:%M:%S %z %Y",
];
/// Formats without a zone (UTC), tried in order.
const NAIVE: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%b %d %H:%M:%S %Y",
    "%a %b %d %H:%M:%S %Y",
    "%d %b %Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
];
const DATES: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%b %d %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%d %B %Y",
    "%m/%d/%Y",
    "%a %b %d %Y",
    "%a, %d %b %Y",
];

/// Ruby's `Time.parse` / `Date.parse` for the formats configuration and tools print:
/// ISO 8601, RFC 2822, OpenSSL's `notAfter=Mar 10 12:00:00 2025 GMT`, `date`'s output,
/// `chage`'s `Jan 01, 2025`.
pub fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d);
    }
    // Zone names UTC/GMT/Z mean +0000; spaces collapse (`Mar  1`).
    let words: Vec<&str> = t
        .split_whitespace()
        .filter(|w| !matches!(*w, "UTC" | "GMT" | "Z"))
        .collect();
    let norm = words.join(" ");
    let norm = norm.strip_suffix('Z').unwrap_or(&norm);
    for f in ZONED {
        if let Ok(d) = DateTime::parse_from_str(norm, f) {
            return Some(d);
        }
    }
    for f in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(norm, f) {
            return Some(utc(Utc.from_utc_datetime(&d)));
        }
    }
    DATES
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(norm, f).ok())
        .map(midnight)
}

/// `strptime(text, format)`: Ruby's directives are chrono's for what profiles use.
pub fn strptime(text: &str, format: &str) -> Option<DateTime<FixedOffset>> {
    let format = format.replace("%Z", "%#z");
    if let Ok(d) = DateTime::parse_from_str(text, &format) {
        return Some(d);
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(text, &format) {
        return Some(utc(Utc.from_utc_datetime(&d)));
    }
    NaiveDate::parse_from_str(text, &format).ok().map(midnight)
}

fn int(v: Option<&Value>, default: i64) -> R<i64> {
    match v {
        None | Some(Value::Nil) => Ok(default),
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Float(f)) => Ok(*f as i64),
        Some(Value::Str(s)) => s
            .trim()
            .parse()
            .map_err(|_| Flow::raise("ArgumentError", format!("invalid value {s:?}"))),
        Some(other) => Err(Flow::raise(
            "TypeError",
            format!("can't convert {} into Integer", other.class_name()),
        )),
    }
}

/// A `"+05:30"` / `"-0800"` / `"UTC"` zone argument (`Time.new(..., "+00:00")`).
fn zone(v: Option<&Value>) -> R<FixedOffset> {
    let utc = Utc.fix();
    let s = match v {
        None | Some(Value::Nil) => return Ok(utc),
        Some(Value::Int(secs)) => {
            return i32::try_from(*secs)
                .ok()
                .and_then(FixedOffset::east_opt)
                .ok_or_else(|| Flow::raise("ArgumentError", "utc_offset out of range"))
        }
        Some(v) => to_s(v),
    };
    if matches!(s.as_str(), "UTC" | "Z" | "GMT") {
        return Ok(utc);
    }
    let bad = || {
        Flow::raise(
            "ArgumentError",
            format!("\"+HH:MM\", \"-HH:MM\", \"UTC\" expected for utc_offset: {s}"),
        )
    };
    let (sign, rest) = match s.split_at_checked(1) {
        Some(("+", r)) => (1, r),
        Some(("-", r)) => (-1, r),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m) = digits.split_at(2);
    let secs = h.parse::<i32>().unwrap_or(0) * 3600 + m.parse::<i32>().unwrap_or(0) * 60;
    FixedOffset::east_opt(sign * secs).ok_or_else(bad)
}

/// `Date.new(y, m, d)`, `Time.new(y, m, d, h, mi, s, zone)`.
fn civil(args: &[Value]) -> R<DateTime<FixedOffset>> {
    let y = int(args.first(), -4712)?;
    let m = int(args.get(1), 1)?;
    let d = int(args.get(2), 1)?;
    let (h, mi, s) = (
        int(args.get(3), 0)?,
        int(args.get(4), 0)?,
        int(args.get(5), 0)?,
    );
    let date = i32::try_from(y)
        .ok()
        .zip(u32::try_from(m).ok())
        .zip(u32::try_from(d).ok())
        .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| Flow::raise("Date::Error", "invalid date"))?;
    let time = u32::try_from(h)
        .ok()
        .zip(u32::try_from(mi).ok())
        .zip(u32::try_from(s).ok())
        .and_then(|((h, mi), s)| chrono::NaiveTime::from_hms_opt(h, mi, s))
        .ok_or_else(|| Flow::raise("ArgumentError", "argument out of range"))?;
    zone(args.get(6))?
        .from_local_datetime(&date.and_time(time))
        .single()
        .ok_or_else(|| Flow::raise("ArgumentError", "invalid time"))
}

/// `Date.x`, `Time.x`, `DateTime.x`.
pub fn call_class(class: &str, name: &str, args: &[Value]) -> Option<R> {
    let kind = match class {
        "Date" => Kind::Date,
        "Time" => Kind::Time,
        "DateTime" => Kind::DateTime,
        _ => return None,
    };
    let a0 = args.first();
    let now = || utc(Utc::now());
    Some(match (kind, name) {
        (Kind::Date, "today") => Ok(moment(midnight(Utc::now().date_naive()), kind)),
        (Kind::Time | Kind::DateTime, "now") => Ok(moment(now(), kind)),
        (Kind::Time, "new") if args.is_empty() => Ok(moment(now(), kind)),
        (_, "new") | (Kind::Time, "utc" | "gm") => civil(args).map(|at| moment(at, kind)),
        (Kind::Time, "at") => match a0 {
            Some(Value::Int(s)) => Utc
                .timestamp_opt(*s, 0)
                .single()
                .map(|at| moment(utc(at), kind))
                .ok_or_else(|| Flow::raise("RangeError", format!("{s} out of Time range"))),
            Some(Value::Float(f)) => Utc
                .timestamp_opt(f.floor() as i64, ((f - f.floor()) * 1e9) as u32)
                .single()
                .map(|at| moment(utc(at), kind))
                .ok_or_else(|| Flow::raise("RangeError", format!("{f} out of Time range"))),
            Some(v) => match as_native::<Moment>(v) {
                Some(m) => Ok(moment(m.at, kind)),
                None => Err(Flow::raise(
                    "TypeError",
                    format!("can't convert {} into an exact number", v.class_name()),
                )),
            },
            None => Err(Flow::raise("ArgumentError", "wrong number of arguments")),
        },
        (_, "parse") => {
            let s = to_s(a0.unwrap_or(&Value::Nil));
            match parse(&s) {
                Some(at) if kind == Kind::Date => Ok(moment(midnight(at.date_naive()), kind)),
                Some(at) => Ok(moment(at, kind)),
                None => Err(invalid(
                    if kind == Kind::Time { "time" } else { "date" },
                    &s,
                )),
            }
        }
        (_, "strptime") => {
            let s = to_s(a0.unwrap_or(&Value::Nil));
            let f = match args.get(1) {
                Some(f) => to_s(f),
                None if kind == Kind::DateTime => "%FT%T%z".to_string(),
                None => "%F".to_string(),
            };
            match strptime(&s, &f) {
                Some(at) if kind == Kind::Date => Ok(moment(midnight(at.date_naive()), kind)),
                Some(at) => Ok(moment(at, kind)),
                None => Err(invalid("date", &s)),
            }
        }
        (Kind::Date, "valid_date?") => Ok(Value::Bool(civil(args).is_ok())),
        _ => return None,
    })
}

/// Seconds in the unit `+`/`-` count for a kind (a day for Date and DateTime).
fn unit(kind: Kind) -> f64 {
    if kind == Kind::Time {
        1.0
    } else {
        86_400.0
    }
}

fn shift(m: &Moment, by: f64) -> R {
    let nanos = by * unit(m.kind) * 1e9;
    if !nanos.is_finite() || nanos.abs() > 1e20 {
        return Err(Flow::raise("RangeError", "time out of range"));
    }
    m.at.checked_add_signed(Duration::nanoseconds(nanos as i64))
        .map(|at| moment(at, m.kind))
        .ok_or_else(|| Flow::raise("RangeError", "time out of range"))
}

fn months(m: &Moment, n: i64) -> R {
    let n32 = u32::try_from(n.unsigned_abs()).unwrap_or(u32::MAX);
    let at = if n >= 0 {
        m.at.checked_add_months(Months::new(n32))
    } else {
        m.at.checked_sub_months(Months::new(n32))
    };
    at.map(|at| moment(at, m.kind))
        .ok_or_else(|| Flow::raise("RangeError", "date out of range"))
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Int(i)) => Some(*i as f64),
        Some(Value::Float(f)) => Some(*f),
        _ => None,
    }
}

/// Orders two moments by instant.
pub fn compare(a: &Moment, b: &Moment) -> Ordering {
    a.at.cmp(&b.at)
}

/// Methods of a moment. None: not one of them.
pub fn call(m: &Moment, name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first();
    let other = a0.and_then(as_native::<Moment>);
    let cmp = other.map(|o| compare(m, o));
    let at = m.at;
    Some(Ok(match name {
        "year" => Value::Int(i64::from(at.year())),
        "month" | "mon" => Value::Int(i64::from(at.month())),
        "day" | "mday" => Value::Int(i64::from(at.day())),
        "hour" => Value::Int(i64::from(at.hour())),
        "min" => Value::Int(i64::from(at.minute())),
        "sec" => Value::Int(i64::from(at.second())),
        "wday" => Value::Int(i64::from(at.weekday().num_days_from_sunday())),
        "yday" => Value::Int(i64::from(at.ordinal())),
        "saturday?" => Value::Bool(at.weekday() == chrono::Weekday::Sat),
        "sunday?" => Value::Bool(at.weekday() == chrono::Weekday::Sun),
        "to_i" => Value::Int(at.timestamp()),
        "to_f" => Value::Float(at.timestamp_millis() as f64 / 1000.0),
        "utc_offset" => Value::Int(i64::from(at.offset().local_minus_utc())),
        "to_time" => moment(at, Kind::Time),
        "to_datetime" => moment(at, Kind::DateTime),
        "to_date" => moment(midnight(at.date_naive()), Kind::Date),
        "utc" | "getutc" | "localtime" => moment(utc(at.with_timezone(&Utc)), m.kind),
        "to_s" => Value::Str(match m.kind {
            Kind::Date => at.format("%Y-%m-%d").to_string(),
            Kind::Time => at.format("%Y-%m-%d %H:%M:%S %z").to_string(),
            Kind::DateTime => at.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        }),
        "iso8601" => Value::Str(match m.kind {
            Kind::Date => at.format("%Y-%m-%d").to_string(),
            _ => at.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        }),
        "strftime" => {
            let f = to_s(a0.unwrap_or(&Value::str("%F")));
            let mut out = String::new();
            // chrono reports a directive it does not know as a formatting error.
            if std::fmt::write(&mut out, format_args!("{}", at.format(&f))).is_err() {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    format!("unsupported strftime format {f:?}"),
                )));
            }
            Value::Str(out)
        }
        "next_day" => return Some(shift(m, number(a0).unwrap_or(1.0) * day_units(m))),
        "prev_day" => return Some(shift(m, -number(a0).unwrap_or(1.0) * day_units(m))),
        "next_month" | ">>" => return Some(months(m, number(a0).unwrap_or(1.0) as i64)),
        "prev_month" | "<<" => return Some(months(m, -(number(a0).unwrap_or(1.0) as i64))),
        "+" => match number(a0) {
            Some(n) => return Some(shift(m, n)),
            None => return Some(Err(type_error(a0))),
        },
        "-" => match (number(a0), other) {
            (Some(n), _) => return Some(shift(m, -n)),
            (None, Some(o)) => {
                let secs = (m.at - o.at).num_milliseconds() as f64 / 1000.0;
                match m.kind {
                    Kind::Time => Value::Float(secs),
                    // Ruby's Rational number of days; whole days for dates.
                    Kind::Date => Value::Int((secs / 86_400.0).round() as i64),
                    Kind::DateTime => Value::Float(secs / 86_400.0),
                }
            }
            (None, None) => return Some(Err(type_error(a0))),
        },
        "<=>" => cmp.map_or(Value::Nil, |o| Value::Int(o as i64)),
        "==" => Value::Bool(cmp == Some(Ordering::Equal)),
        "<" | "<=" | ">" | ">=" => {
            let Some(o) = cmp else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    format!("comparison of {} with {:?} failed", m.kind.class(), a0),
                )));
            };
            Value::Bool(match name {
                "<" => o == Ordering::Less,
                "<=" => o != Ordering::Greater,
                ">" => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
        "between?" => {
            let lo = a0.and_then(as_native::<Moment>);
            let hi = args.get(1).and_then(as_native::<Moment>);
            match (lo, hi) {
                (Some(lo), Some(hi)) => Value::Bool(
                    compare(m, lo) != Ordering::Less && compare(m, hi) != Ordering::Greater,
                ),
                _ => return Some(Err(type_error(a0))),
            }
        }
        "class" => crate::native::ruby::objects::native(crate::native::ruby::objects::ClassRef(
            m.kind.class().to_string(),
        )),
        _ => return None,
    }))
}

/// `next_day` counts days whatever the kind.
fn day_units(m: &Moment) -> f64 {
    86_400.0 / unit(m.kind)
}

fn type_error(v: Option<&Value>) -> Flow {
    Flow::raise(
        "TypeError",
        format!(
            "expected numeric or date, got {}",
            v.map_or("nothing", |v| v.class_name())
        ),
    )
}

/// Ruby's `inspect` of a moment.
pub fn inspect(m: &Moment) -> String {
    match m.kind {
        Kind::Date => format!("#<Date: {}>", m.at.format("%Y-%m-%d")),
        Kind::Time => m.at.format("%Y-%m-%d %H:%M:%S %z").to_string(),
        Kind::DateTime => format!("#<DateTime: {}>", m.at.format("%Y-%m-%dT%H:%M:%S%:z")),
    }
}
