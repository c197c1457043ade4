//! The contract case format (CT-01): one JSON file per partner operation under
//! `crates/sandbox/contracts/<partner>/<operation>.json`, holding the cases of that operation.
//!
//! A case is one exchange as the partner documents it: the request as sent, the answer, the
//! state the answer assumes, and the public source it was taken from (or `unverified` with the
//! reason). Adapter tests replay the answer to the real adapter (CT-02); simulator tests send
//! the request to the simulator in the case's state and compare the answer (CT-03).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One file: the cases of one operation of one partner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Partner (folder name): `unzer`, `pixi`, `nets`, `freshdesk`, `postfinance`, `pgw`,
    /// `smallinvoice`, `smtp`.
    pub partner: String,
    /// Operation as the adapter names it (`charge`, `pixiGetOrderHeader`, …).
    pub operation: String,
    /// What the operation does, in our words.
    #[serde(default)]
    pub about: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One documented exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within the file; the case id is `<partner>/<operation>/<name>`.
    pub name: String,
    /// One sentence: what this case shows.
    pub title: String,
    /// The public source (absent only together with `unverified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Why no public source backs this case (the partner publishes nothing, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
    /// The partner-side state the answer assumes (interpreted by the simulator tests).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub state: Value,
    /// The adapter call that produces the request (interpreted by the adapter tests).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input: Value,
    /// Cases (`<operation>/<name>` of the same partner) the replay serves before this one,
    /// e.g. a login that every call needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prelude: Vec<String>,
    /// The request as the partner expects it.
    pub request: RequestSpec,
    /// The partner's answer.
    pub response: ResponseSpec,
    /// Answer fields the adapter's logic needs (CT-05). JSON paths (`amount.total`,
    /// `transactions[*].status`), `@ATTR` for XML attributes, `col:Name` for pixi row columns,
    /// `header:name` for answer headers. A `!nonempty` suffix adds the empty-value mutation;
    /// `!text` marks free text (no wrong-type mutation: any text is a valid value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<String>,
    /// What the adapter must make of the answer (compared as a subset with what the adapter
    /// test reports). Failure answers carry `error` with the class (CT-04).
    pub expect: Value,
    /// Simulator-side settings (CT-03).
    #[serde(default, skip_serializing_if = "SimSpec::is_default")]
    pub simulator: SimSpec,
}

/// Where a case comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `owner/repo: path @ <commit>` (with lines) or a documentation URL; one or more.
    pub refs: Vec<String>,
    /// The fact the source shows, in our own words.
    pub shows: String,
}

/// The request of a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// HTTP method (`SMTP` for the mail sink).
    pub method: String,
    /// Path template with `{name}` segments and an optional query (`?a=1&b={x}`).
    pub path: String,
    /// Headers that matter (lower-case names); values may hold `{name}` placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body as the adapter sends it (an example: values must match unless a matcher says
    /// otherwise).
    #[serde(default, skip_serializing_if = "Body::is_none")]
    pub body: Body,
    /// Per-field matchers (`path` → matcher, see [`super::matcher`]); a field of the body not
    /// listed here must equal the example.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matchers: BTreeMap<String, String>,
}

/// The answer of a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// HTTP status.
    pub status: u16,
    /// Headers that matter (lower-case names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body.
    #[serde(default, skip_serializing_if = "Body::is_none")]
    pub body: Body,
    /// Answer paths whose values may differ between the case and the simulator (ids, dates);
    /// `*` matches any index or element name; `<list path>[any]` makes a list an excerpt whose
    /// elements may appear anywhere among the answer's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variable: Vec<String>,
}

/// A request or answer body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// No body.
    #[default]
    None,
    /// JSON.
    Json(Value),
    /// `application/x-www-form-urlencoded` (or a query string), as name → value.
    Form(BTreeMap<String, String>),
    /// A SOAP 1.1 call: the element name inside `Body` and its child elements.
    Soap {
        /// Call name.
        call: String,
        /// Parameters (child element name → text).
        #[serde(default)]
        params: BTreeMap<String, String>,
    },
    /// XML text.
    Xml(String),
    /// XML kept in a file next to the case file (for long SOAP answers).
    XmlFile(String),
    /// Plain text.
    Text(String),
}

impl Body {
    /// No body.
    pub fn is_none(&self) -> bool {
        matches!(self, Body::None)
    }
}

/// Simulator settings of a case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// The simulator is not run against this case, and why (e.g. the case shows a partner
    /// outage the simulator produces only through fault injection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

impl SimSpec {
    fn is_default(&self) -> bool {
        self == &SimSpec::default()
    }
}

/// A case with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// Partner.
    pub partner: String,
    /// Operation.
    pub operation: String,
    /// The case.
    pub case: Case,
    /// The file it was read from.
    pub file: PathBuf,
}

impl LoadedCase {
    /// `<partner>/<operation>/<name>`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.partner, self.operation, self.case.name)
    }

    /// Short id within the partner: `<operation>/<name>` (used by `prelude`).
    pub fn local_id(&self) -> String {
        format!("{}/{}", self.operation, self.case.name)
    }

    /// Has a public source.
    pub fn verified(&self) -> bool {
        self.case.source.is_some() && self.case.unverified.is_none()
    }

    /// The answer body with `xml_file` resolved to its text.
    pub fn response_body(&self) -> Result<Body, CaseError> {
        resolve(&self.case.response.body, &self.file)
    }
}

fn resolve(body: &Body, file: &Path) -> Result<Body, CaseError> {
    match body {
        Body::XmlFile(name) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(name);
            std::fs::read_to_string(&p)
                .map(Body::Xml)
                .map_err(|e| CaseError::Io(p.display().to_string(), e.to_string()))
        }
        other => Ok(other.clone()),
    }
}

/// Loading failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// A file could not be read.
    #[error("{0}: {1}")]
    Io(String, String),
    /// A file is not a valid case file.
    #[error("{0}: {1}")]
    Format(String, String),
    /// The cases break a rule of the format.
    #[error("{0}")]
    Invalid(String),
}

/// The folder holding every partner's cases (`crates/sandbox/contracts`).
pub fn contracts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

/// Every case of `partner`, sorted by operation file then order in the file.
pub fn load_partner(partner: &str) -> Result<Vec<LoadedCase>, CaseError> {
    load_dir(&contracts_dir().join(partner), partner)
}

/// Every case of every partner folder.
pub fn load_all() -> Result<Vec<LoadedCase>, CaseError> {
    let dir = contracts_dir();
    let mut partners: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| CaseError::Io(dir.display().to_string(), e.to_string()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    partners.sort();
    let mut out = Vec::new();
    for p in partners {
        out.extend(load_partner(&p)?);
    }
    Ok(out)
}

/// Reads every `*.json` case file of one partner folder and checks the format rules.
pub fn load_dir(dir: &Path, partner: &str) -> Result<Vec<LoadedCase>, CaseError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CaseError::Io(dir.display().to_string(), e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| CaseError::Io(f.display().to_string(), e.to_string()))?;
        let file: CaseFile =
            serde_json::from_str(&text).map_err(|e| CaseError::Format(f.display().to_string(), e.to_string()))?;
        if file.partner != partner {
            return Err(CaseError::Invalid(format!(
                "{}: partner {:?} in folder {partner:?}",
                f.display(),
                file.partner
            )));
        }
        for case in file.cases {
            out.push(LoadedCase {
                partner: file.partner.clone(),
                operation: file.operation.clone(),
                case,
                file: f.clone(),
            });
        }
    }
    validate(&out)?;
    Ok(out)
}

/// The format rules: unique ids, a source or a reason (not both missing, not both given),
/// preludes that exist, matchers that parse, reads that are not empty strings.
pub fn validate(cases: &[LoadedCase]) -> Result<(), CaseError> {
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    for c in cases {
        if seen.insert(c.id(), ()).is_some() {
            problems.push(format!("{}: duplicate case id", c.id()));
        }
        match (&c.case.source, &c.case.unverified) {
            (None, None) => problems.push(format!("{}: neither `source` nor `unverified`", c.id())),
            (Some(_), Some(_)) => problems.push(format!("{}: both `source` and `unverified`", c.id())),
            (Some(s), None) if s.refs.is_empty() || s.shows.trim().is_empty() => {
                problems.push(format!("{}: a source needs refs and what it shows", c.id()));
            }
            (None, Some(r)) if r.trim().is_empty() => problems.push(format!("{}: `unverified` needs a reason", c.id())),
            _ => {}
        }
        for (path, m) in &c.case.request.matchers {
            if let Err(e) = super::matcher::Matcher::parse(m) {
                problems.push(format!("{}: matcher for {path}: {e}", c.id()));
            }
        }
        if c.case.reads.iter().any(|r| r.trim().is_empty()) {
            problems.push(format!("{}: empty entry in `reads`", c.id()));
        }
        if let Err(e) = c.response_body() {
            problems.push(format!("{}: {e}", c.id()));
        }
    }
    let local: BTreeMap<(String, String), ()> = cases.iter().map(|c| ((c.partner.clone(), c.local_id()), ())).collect();
    for c in cases {
        for p in &c.case.prelude {
            if !local.contains_key(&(c.partner.clone(), p.clone())) {
                problems.push(format!("{}: prelude {p:?} is not a case of {}", c.id(), c.partner));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(CaseError::Invalid(problems.join("\n"))) }
}
