//! The ticket search query language of `GET /api/v2/search/tickets?query="…"`: a double-quoted
//! expression of `field:value` conditions (`:>` / `:<` for at-least / at-most on numbers and
//! dates) joined by `AND` / `OR` (AND binds tighter) with parentheses; strings in single
//! quotes; `null` for "not set". Custom fields are named by their API name, `cf_` prefix
//! included, as the documentation's example (`cf_sector:'finance'`) and public clients do; a bare
//! name is refused like any field search does not know (whether Freshdesk answers 400 or finds
//! nothing for it is not published [INF]).

use chrono::NaiveDate;

use super::state::{CustomFieldType, FreshdeskConfig, Ticket};

/// Longest query accepted (without the enclosing quotes).
pub(crate) const MAX_QUERY: usize = 512;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Cond(Cond),
}

/// One `field:value` condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cond {
    field: Field,
    op: Op,
    value: QValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone, PartialEq)]
enum QValue {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Status,
    Priority,
    GroupId,
    AgentId,
    Type,
    Tag,
    CreatedAt,
    UpdatedAt,
    DueBy,
    FrDueBy,
    Custom(String, CustomFieldType),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Colon,
    Gt,
    Lt,
    Word(String),
    Quoted(String),
}

/// Parses the raw `query` parameter (including its double quotes).
pub(crate) fn parse(raw: &str, cfg: &FreshdeskConfig) -> Result<Query, String> {
    let inner =
        raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).ok_or("Query should be enclosed in double quotes")?;
    if inner.chars().count() > MAX_QUERY {
        return Err(format!("Query can have maximum of {MAX_QUERY} characters"));
    }
    let tokens = tokenize(inner)?;
    let mut p = Parser { tokens, pos: 0, cfg };
    let q = p.or_expr()?;
    if p.pos != p.tokens.len() {
        return Err("Given query is invalid: unexpected input after the expression".into());
    }
    Ok(q)
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '(' | ')' | ':' | '>' | '<' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ':' => Token::Colon,
                    '>' => Token::Gt,
                    _ => Token::Lt,
                });
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some('\\') => text.extend(chars.next()),
                        Some(ch) => text.push(ch),
                        None => return Err("Given query is invalid: unterminated string".into()),
                    }
                }
                out.push(Token::Quoted(text));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek().filter(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '-' | '.')) {
                    word.push(ch);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
            other => return Err(format!("Given query is invalid: unexpected character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    cfg: &'a FreshdeskConfig,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.tokens.get(self.pos) == Some(&Token::Word(kw.into())) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn or_expr(&mut self) -> Result<Query, String> {
        let mut q = self.and_expr()?;
        while self.keyword("OR") {
            q = Query::Or(Box::new(q), Box::new(self.and_expr()?));
        }
        Ok(q)
    }

    fn and_expr(&mut self) -> Result<Query, String> {
        let mut q = self.atom()?;
        while self.keyword("AND") {
            q = Query::And(Box::new(q), Box::new(self.atom()?));
        }
        Ok(q)
    }

    fn atom(&mut self) -> Result<Query, String> {
        match self.next() {
            Some(Token::Open) => {
                let q = self.or_expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(q),
                    _ => Err("Given query is invalid: missing )".into()),
                }
            }
            Some(Token::Word(name)) => {
                let field = self.field(&name)?;
                if self.next() != Some(Token::Colon) {
                    return Err(format!("Given query is invalid: expected : after {name}"));
                }
                let op = match self.tokens.get(self.pos) {
                    Some(Token::Gt) => Op::AtLeast,
                    Some(Token::Lt) => Op::AtMost,
                    _ => Op::Eq,
                };
                if op != Op::Eq {
                    self.pos += 1;
                }
                let value = match self.next() {
                    Some(Token::Quoted(s)) => QValue::Str(s),
                    Some(Token::Word(w)) if w == "null" => QValue::Null,
                    Some(Token::Word(w)) if w == "true" || w == "false" => QValue::Bool(w == "true"),
                    Some(Token::Word(w)) => {
                        QValue::Int(w.parse().map_err(|_| format!("Given query is invalid: {w} is not a number"))?)
                    }
                    _ => return Err(format!("Given query is invalid: missing value for {name}")),
                };
                Ok(Query::Cond(Cond { field, op, value }))
            }
            _ => Err("Given query is invalid: expected a condition".into()),
        }
    }

    fn field(&self, name: &str) -> Result<Field, String> {
        Ok(match name {
            "status" => Field::Status,
            "priority" => Field::Priority,
            "group_id" => Field::GroupId,
            "agent_id" => Field::AgentId,
            "type" => Field::Type,
            "tag" => Field::Tag,
            "created_at" => Field::CreatedAt,
            "updated_at" => Field::UpdatedAt,
            "due_by" => Field::DueBy,
            "fr_due_by" => Field::FrDueBy,
            other => {
                let f = self.cfg.custom_fields.iter().find(|f| f.name == other);
                let f = f.ok_or_else(|| format!("Given query is invalid: unknown field {other}"))?;
                Field::Custom(f.name.clone(), f.field_type)
            }
        })
    }
}

/// Whether `t` satisfies `q`.
pub(crate) fn matches(q: &Query, t: &Ticket) -> bool {
    match q {
        Query::And(a, b) => matches(a, t) && matches(b, t),
        Query::Or(a, b) => matches(a, t) || matches(b, t),
        Query::Cond(c) => cond(c, t),
    }
}

fn cond(c: &Cond, t: &Ticket) -> bool {
    let int = |v: Option<i64>| compare_int(v, c.op, &c.value);
    let date = |d: chrono::DateTime<chrono::Utc>| compare_date(d.date_naive(), c.op, &c.value);
    match &c.field {
        Field::Status => int(Some(i64::from(t.status))),
        Field::Priority => int(Some(i64::from(t.priority))),
        Field::GroupId => int(t.group_id.and_then(|g| i64::try_from(g).ok())),
        Field::AgentId => int(t.responder_id.and_then(|g| i64::try_from(g).ok())),
        Field::Type => compare_str(t.ticket_type.as_deref(), c.op, &c.value),
        Field::Tag => match &c.value {
            QValue::Null => t.tags.is_empty(),
            QValue::Str(s) => c.op == Op::Eq && t.tags.iter().any(|x| x == s),
            _ => false,
        },
        Field::CreatedAt => date(t.created_at),
        Field::UpdatedAt => date(t.updated_at),
        Field::DueBy => date(t.due_by),
        Field::FrDueBy => date(t.fr_due_by),
        Field::Custom(name, kind) => {
            let v = t.custom_fields.get(name).filter(|v| !v.is_null());
            match kind {
                CustomFieldType::Number => int(v.and_then(serde_json::Value::as_i64)),
                CustomFieldType::Checkbox => match (&c.value, v.and_then(serde_json::Value::as_bool)) {
                    (QValue::Null, got) => got.is_none(),
                    (QValue::Bool(want), got) => got.unwrap_or(false) == *want,
                    _ => false,
                },
                CustomFieldType::Date => {
                    match v.and_then(|v| v.as_str()).map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
                        Some(Ok(d)) => compare_date(d, c.op, &c.value),
                        _ => c.value == QValue::Null,
                    }
                }
                _ => compare_str(v.and_then(serde_json::Value::as_str), c.op, &c.value),
            }
        }
    }
}

fn compare_int(got: Option<i64>, op: Op, want: &QValue) -> bool {
    match (got, want) {
        (None, QValue::Null) => true,
        (Some(g), QValue::Int(w)) => match op {
            Op::Eq => g == *w,
            Op::AtLeast => g >= *w,
            Op::AtMost => g <= *w,
        },
        _ => false,
    }
}

fn compare_str(got: Option<&str>, op: Op, want: &QValue) -> bool {
    match (got, want) {
        (None, QValue::Null) => true,
        (Some(g), QValue::Str(w)) => op == Op::Eq && g == w,
        (Some(g), QValue::Int(w)) => op == Op::Eq && g == w.to_string(),
        _ => false,
    }
}

fn compare_date(got: NaiveDate, op: Op, want: &QValue) -> bool {
    let QValue::Str(w) = want else {
        return false;
    };
    let Ok(w) = NaiveDate::parse_from_str(w.get(..10).unwrap_or(w), "%Y-%m-%d") else {
        return false;
    };
    match op {
        Op::Eq => got == w,
        Op::AtLeast => got >= w,
        Op::AtMost => got <= w,
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
