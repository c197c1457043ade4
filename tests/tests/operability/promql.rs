//! Just enough PromQL to know which series a query reads: metric names with the label names of
//! their matchers, and the labels named in `by (…)` / `without (…)` / `on (…)` clauses. Strings,
//! range selectors, numbers, functions and Grafana's `$variables` are skipped.

use std::collections::BTreeSet;

/// One vector selector: `metric{label="…", …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The metric name.
    pub metric: String,
    /// Label names used in its matchers.
    pub labels: BTreeSet<String>,
}

/// What a query reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Every vector selector.
    pub selectors: Vec<Selector>,
    /// Labels of grouping and matching clauses.
    pub grouping: BTreeSet<String>,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
];
const GROUPING: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];
const AGGREGATIONS: &[&str] =
    &["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"];

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Parses `expr`; panics on unbalanced braces or strings (a dashboard bug worth failing on).
pub fn parse(expr: &str) -> Query {
    let chars: Vec<char> = expr.chars().collect();
    let mut q = Query::default();
    let mut i = 0;
    let skip_ws = |mut j: usize| {
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        j
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i, expr);
        } else if c == '[' {
            i += chars[i..].iter().position(|&c| c == ']').unwrap_or_else(|| panic!("unclosed [ in {expr}")) + 1;
        } else if c == '$' {
            i += 1;
            while i < chars.len() && (ident_char(chars[i]) || chars[i] == '{' || chars[i] == '}') {
                i += 1;
            }
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c == '{' {
            // A selector without a metric name, e.g. {__name__=~"…"}: labels only.
            let (labels, next) = matchers(&chars, i, expr);
            q.selectors.push(Selector { metric: String::new(), labels });
            i = next;
        } else if ident_start(c) {
            let start = i;
            while i < chars.len() && ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = skip_ws(i);
            if GROUPING.contains(&word.as_str()) {
                if chars.get(next) == Some(&'(') {
                    let close = next
                        + chars[next..]
                            .iter()
                            .position(|&c| c == ')')
                            .unwrap_or_else(|| panic!("unclosed ( in {expr}"));
                    let inner: String = chars[next + 1..close].iter().collect();
                    q.grouping.extend(inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
                    i = close + 1;
                }
            } else if KEYWORDS.contains(&word.as_str())
                || AGGREGATIONS.contains(&word.as_str())
                || chars.get(next) == Some(&'(')
            {
                // keyword, function or aggregation
            } else {
                let mut labels = BTreeSet::new();
                if chars.get(next) == Some(&'{') {
                    let (l, after) = matchers(&chars, next, expr);
                    labels = l;
                    i = after;
                }
                q.selectors.push(Selector { metric: word, labels });
            }
        } else {
            i += 1;
        }
    }
    q
}

fn skip_string(chars: &[char], start: usize, expr: &str) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == '\\' && quote != '`' {
            i += 2;
            continue;
        }
        if chars[i] == quote {
            return i + 1;
        }
        i += 1;
    }
    panic!("unclosed string in {expr}")
}

/// Label names of the matchers in `{…}` starting at `open`; returns them and the index after `}`.
fn matchers(chars: &[char], open: usize, expr: &str) -> (BTreeSet<String>, usize) {
    let mut labels = BTreeSet::new();
    let mut i = open + 1;
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        match chars.get(i) {
            None => panic!("unclosed {{ in {expr}"),
            Some('}') => return (labels, i + 1),
            Some(&c) if ident_start(c) => {
                let start = i;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                labels.insert(chars[start..i].iter().collect());
                while i < chars.len() && matches!(chars[i], ' ' | '=' | '!' | '~') {
                    i += 1;
                }
                assert!(matches!(chars.get(i), Some('"' | '\'' | '`')), "matcher without a string value in {expr}");
                i = skip_string(chars, i, expr);
            }
            Some(other) => panic!("unexpected {other:?} in the matchers of {expr}"),
        }
    }
}

/// A Grafana `label_values(selector, label)` variable query: the selector and the label.
pub fn label_values(query: &str) -> Option<(Query, String)> {
    let inner = query.trim().strip_prefix("label_values(")?.strip_suffix(')')?;
    let (selector, label) = inner.rsplit_once(',')?;
    Some((parse(selector), label.trim().to_owned()))
}

/// (expression, selectors as (metric, matcher labels), grouping labels).
#[cfg(test)]
type Case = (&'static str, &'static [(&'static str, &'static [&'static str])], &'static [&'static str]);

#[test]
fn promql_extractor_finds_metrics_labels_and_grouping() {
    let cases: &[Case] = &[
        ("up", &[("up", &[])], &[]),
        (
            r#"sum by (service, le) (rate(grpc_server_handling_seconds_bucket{namespace=~"$namespace", grpc_service!~"grpc\\..+"}[$__rate_interval]))"#,
            &[("grpc_server_handling_seconds_bucket", &["grpc_service", "namespace"])],
            &["le", "service"],
        ),
        (
            r#"a:b:ratio_rate5m{service="x"} > (14.4 * 0.001) and on (service) c_total offset 15m"#,
            &[("a:b:ratio_rate5m", &["service"]), ("c_total", &[])],
            &["service"],
        ),
        (
            r#"histogram_quantile(0.99, sum by (le) (rate(x_bucket{a="}{", b='q\'s'}[5m]))) * 60 / 100"#,
            &[("x_bucket", &["a", "b"])],
            &["le"],
        ),
        ("max without (pod) (x) unless y", &[("x", &[]), ("y", &[])], &["pod"]),
    ];
    for (expr, want, grouping) in cases {
        let q = parse(expr);
        let got: Vec<(String, Vec<String>)> =
            q.selectors.iter().map(|s| (s.metric.clone(), s.labels.iter().cloned().collect())).collect();
        let want: Vec<(String, Vec<String>)> =
            want.iter().map(|(m, l)| ((*m).to_owned(), l.iter().map(|s| (*s).to_owned()).collect())).collect();
        assert_eq!(got, want, "{expr}");
        assert_eq!(q.grouping.iter().map(String::as_str).collect::<Vec<_>>(), *grouping, "{expr}");
    }
    let (q, label) = label_values(r#"label_values(payops_dependency_up{namespace=~"$namespace"}, service)"#).unwrap();
    assert_eq!(q.selectors[0].metric, "payops_dependency_up");
    assert_eq!(label, "service");
}
