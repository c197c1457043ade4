//! Validated configuration values: pixi API configurations (PX-01), the SMTP configuration
//! (PX-02) and payment configurations (PX-03 … PX-05). Every violation is reported at once.

use chrono_tz::Tz;
use kit::grpc::status::Violations;

/// Processing mode (PX-03, PX-11, PX-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Capture the full amount at release unless the shop did.
    Standard,
    /// Capture each invoice when pixi ships it.
    Expert,
}

impl Mode {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Standard => "standard",
            Mode::Expert => "expert",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "standard" => Some(Mode::Standard),
            "expert" => Some(Mode::Expert),
            _ => None,
        }
    }
}

/// Largest accepted rounding tolerance, in minor units (100.00 in a two-digit currency).
pub const MAX_TOLERANCE_MINOR: i64 = 10_000;

/// A payment configuration as entered (before validation).
#[derive(Debug, Clone, Default)]
pub struct PaymentInput {
    /// pixi mandant.
    pub mandant: String,
    /// pixi payment method code.
    pub payment_method: String,
    /// Booking event for invoices.
    pub invoice_event: String,
    /// Booking event for returns.
    pub return_event: String,
    /// XML tag of the method.
    pub xml_tag: String,
    /// Rounding tolerance.
    pub tolerance_minor: i64,
    /// unzer public key.
    pub public_key: String,
    /// unzer private key (empty = keep or copy).
    pub private_key: String,
    /// Mode; `None` when unspecified.
    pub mode: Option<Mode>,
}

/// A validated payment configuration (the private key travels separately, as a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSettings {
    /// pixi mandant.
    pub mandant: String,
    /// pixi payment method code.
    pub payment_method: String,
    /// Booking event for invoices.
    pub invoice_event: String,
    /// Booking event for returns.
    pub return_event: String,
    /// XML tag.
    pub xml_tag: String,
    /// Rounding tolerance.
    pub tolerance_minor: i64,
    /// unzer public key.
    pub public_key: String,
    /// Mode.
    pub mode: Mode,
}

fn code_field(v: &mut Violations, field: &str, value: &str, max: usize) {
    let t = value.trim();
    if t.is_empty() {
        v.add(field, "must not be empty");
    } else if t.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    } else if t.chars().any(|c| c.is_control()) {
        v.add(field, "must not contain control characters");
    }
}

/// `s-`/`p-` key with the given infix.
fn key_env(key: &str, infix: &str) -> Option<char> {
    let (env, rest) = key.split_at_checked(1)?;
    let env = env.chars().next()?;
    let ok = matches!(env, 's' | 'p')
        && rest.strip_prefix(infix).is_some_and(|k| k.len() >= 8 && k.bytes().all(|b| b.is_ascii_alphanumeric()));
    ok.then_some(env)
}

/// Validates a payment configuration (PX-03). `private_key_required` is true when creating
/// without a copy source.
pub fn validate_payment(input: &PaymentInput, private_key_required: bool) -> Result<PaymentSettings, Violations> {
    let mut v = Violations::new();
    code_field(&mut v, "mandant", &input.mandant, 50);
    code_field(&mut v, "payment_method", &input.payment_method, 20);
    code_field(&mut v, "invoice_booking_event", &input.invoice_event, 3);
    code_field(&mut v, "return_booking_event", &input.return_event, 3);
    let tag = input.xml_tag.trim();
    if tag.is_empty() {
        v.add("xml_tag", "must not be empty");
    } else if !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
        v.add("xml_tag", "may only contain letters and digits (the tag name without special characters)");
    } else if tag.len() > 64 {
        v.add("xml_tag", "must be at most 64 characters");
    }
    if !(0..=MAX_TOLERANCE_MINOR).contains(&input.tolerance_minor) {
        v.add("rounding_tolerance_minor", format!("must be between 0 and {MAX_TOLERANCE_MINOR}"));
    }
    let public_env = key_env(input.public_key.trim(), "-pub-");
    if public_env.is_none() {
        v.add("unzer_public_key", "must look like s-pub-… or p-pub-…");
    }
    let private = input.private_key.trim();
    if private.is_empty() {
        if private_key_required {
            v.add("unzer_private_key", "is required for a new configuration");
        }
    } else {
        match key_env(private, "-priv-") {
            None => v.add("unzer_private_key", "must look like s-priv-… or p-priv-…"),
            Some(env) if public_env.is_some_and(|p| p != env) => {
                v.add("unzer_private_key", "must belong to the same environment (s- or p-) as the public key")
            }
            Some(_) => {}
        }
    }
    if input.mode.is_none() {
        v.add("mode", "must be MODE_STANDARD or MODE_EXPERT");
    }
    match input.mode {
        Some(mode) if v.is_empty() => Ok(PaymentSettings {
            mandant: input.mandant.trim().to_owned(),
            payment_method: input.payment_method.trim().to_owned(),
            invoice_event: input.invoice_event.trim().to_owned(),
            return_event: input.return_event.trim().to_owned(),
            xml_tag: tag.to_owned(),
            tolerance_minor: input.tolerance_minor,
            public_key: input.public_key.trim().to_owned(),
            mode,
        }),
        _ => Err(v),
    }
}

/// PX-04: a payment configuration is effectively active only while its pixi API
/// configuration is active too.
pub fn effectively_active(config_active: bool, pixi_api_active: bool) -> bool {
    config_active && pixi_api_active
}

/// A pixi API configuration as entered.
#[derive(Debug, Clone, Default)]
pub struct PixiApiInput {
    /// Display name.
    pub name: String,
    /// SOAP endpoint.
    pub endpoint: String,
    /// API user.
    pub user: String,
    /// Password (empty = keep).
    pub password: String,
    /// IANA zone (empty = Europe/Berlin).
    pub timezone: String,
}

/// A validated pixi API configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PixiApiSettings {
    /// Display name.
    pub name: String,
    /// SOAP endpoint.
    pub endpoint: String,
    /// API user.
    pub user: String,
    /// Zone of the installation.
    pub timezone: Tz,
}

/// Validates a pixi API configuration (PX-01); `password_required` on create.
pub fn validate_pixi_api(input: &PixiApiInput, password_required: bool) -> Result<PixiApiSettings, Violations> {
    let mut v = Violations::new();
    code_field(&mut v, "name", &input.name, 100);
    let endpoint = input.endpoint.trim();
    match reqwest::Url::parse(endpoint) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        _ => v.add("endpoint", "must be an http(s) URL, e.g. https://soap.pixi.eu/soap/ApiUser/"),
    }
    code_field(&mut v, "user", &input.user, 100);
    if input.user.contains(':') {
        v.add("user", "must not contain ':'");
    }
    if password_required && input.password.is_empty() {
        v.add("password", "is required for a new configuration");
    }
    let zone = if input.timezone.trim().is_empty() { "Europe/Berlin" } else { input.timezone.trim() };
    let timezone = v.check("timezone", zone.parse::<Tz>().map_err(|_| "must be an IANA time zone, e.g. Europe/Berlin"));
    match timezone {
        Some(timezone) if v.is_empty() => Ok(PixiApiSettings {
            name: input.name.trim().to_owned(),
            endpoint: endpoint.to_owned(),
            user: input.user.trim().to_owned(),
            timezone,
        }),
        _ => Err(v),
    }
}

/// TLS mode of an SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP.
    None,
    /// STARTTLS.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

impl TlsMode {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<TlsMode> {
        match s {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "implicit" => Some(TlsMode::Implicit),
            _ => None,
        }
    }
}

/// An SMTP configuration as entered.
#[derive(Debug, Clone, Default)]
pub struct SmtpInput {
    /// Host.
    pub host: String,
    /// Port.
    pub port: i32,
    /// TLS mode (`None` = unspecified).
    pub tls: Option<TlsMode>,
    /// User.
    pub user: String,
    /// Sender address.
    pub sender: String,
    /// Recipient address.
    pub recipient: String,
}

/// A validated SMTP configuration (the password travels separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// User (empty = no AUTH).
    pub user: String,
    /// Sender.
    pub sender: String,
    /// Recipient.
    pub recipient: String,
}

fn email(v: &mut Violations, field: &str, value: &str) {
    let t = value.trim();
    let ok = t.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !t.contains(char::is_whitespace)
    }) && t.len() <= 254;
    if !ok {
        v.add(field, "must be one e-mail address, e.g. alerts@example.com");
    }
}

/// Validates an SMTP configuration (PX-02: one recipient).
pub fn validate_smtp(input: &SmtpInput) -> Result<SmtpSettings, Violations> {
    let mut v = Violations::new();
    let host = input.host.trim();
    if host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace) || host.contains('/') {
        v.add("host", "must be a host name or IP address");
    }
    let port = v.check("port", u16::try_from(input.port).ok().filter(|p| *p > 0).ok_or("must be between 1 and 65535"));
    if input.tls.is_none() {
        v.add("tls_mode", "must be SMTP_TLS_MODE_NONE, SMTP_TLS_MODE_STARTTLS or SMTP_TLS_MODE_IMPLICIT");
    }
    if input.user.len() > 254 {
        v.add("user", "must be at most 254 characters");
    }
    email(&mut v, "sender", &input.sender);
    if input.recipient.contains([',', ';']) {
        v.add("recipient", "must be exactly one address (use forwarding for several recipients)");
    } else {
        email(&mut v, "recipient", &input.recipient);
    }
    match (port, input.tls) {
        (Some(port), Some(tls)) if v.is_empty() => Ok(SmtpSettings {
            host: host.to_owned(),
            port,
            tls,
            user: input.user.trim().to_owned(),
            sender: input.sender.trim().to_owned(),
            recipient: input.recipient.trim().to_owned(),
        }),
        _ => Err(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> PaymentInput {
        PaymentInput {
            mandant: "DEM".into(),
            payment_method: "UNZERCC".into(),
            invoice_event: "UZE".into(),
            return_event: "UZR".into(),
            xml_tag: "UNZERCARD".into(),
            tolerance_minor: 2,
            public_key: "s-pub-2a10abcdefgh".into(),
            private_key: "s-priv-2a10abcdefgh".into(),
            mode: Some(Mode::Expert),
        }
    }

    fn fields(r: Result<PaymentSettings, Violations>) -> Vec<String> {
        match r {
            Ok(_) => vec![],
            Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
        }
    }

    #[test]
    fn px_03_payment_configuration_validation_table() {
        let cases: Vec<(PaymentInput, bool, Vec<&str>)> = vec![
            (good(), true, vec![]),
            (PaymentInput { xml_tag: "UNZER-CARD".into(), ..good() }, true, vec!["xml_tag"]),
            (PaymentInput { xml_tag: "<UNZER>".into(), ..good() }, true, vec!["xml_tag"]),
            (
                PaymentInput { invoice_event: "UZEX".into(), return_event: String::new(), ..good() },
                true,
                vec!["invoice_booking_event", "return_booking_event"],
            ),
            (PaymentInput { tolerance_minor: -1, ..good() }, true, vec!["rounding_tolerance_minor"]),
            (PaymentInput { public_key: "s-priv-2a10abcdefgh".into(), ..good() }, true, vec!["unzer_public_key"]),
            (PaymentInput { private_key: "p-priv-2a10abcdefgh".into(), ..good() }, true, vec!["unzer_private_key"]),
            (PaymentInput { private_key: String::new(), ..good() }, true, vec!["unzer_private_key"]),
            (PaymentInput { private_key: String::new(), ..good() }, false, vec![]),
            (PaymentInput { mode: None, mandant: " ".into(), ..good() }, true, vec!["mandant", "mode"]),
        ];
        for (input, required, want) in cases {
            assert_eq!(fields(validate_payment(&input, required)), want, "{input:?}");
        }
    }

    #[test]
    fn px_04_inactive_pixi_api_makes_payment_configuration_inactive() {
        let table = [(true, true, true), (true, false, false), (false, true, false), (false, false, false)];
        for (cfg, api, want) in table {
            assert_eq!(effectively_active(cfg, api), want);
        }
    }

    #[test]
    fn px_01_pixi_api_validation_names_every_field() {
        let ok = PixiApiInput {
            name: "live".into(),
            endpoint: "https://soap.pixi.eu/soap/api/".into(),
            user: "api".into(),
            password: "pw".into(),
            timezone: String::new(),
        };
        let s = validate_pixi_api(&ok, true).unwrap();
        assert_eq!(s.timezone.name(), "Europe/Berlin");
        let bad = PixiApiInput {
            name: String::new(),
            endpoint: "ftp://x".into(),
            user: "a:b".into(),
            password: String::new(),
            timezone: "Mars/Base".into(),
        };
        let err = validate_pixi_api(&bad, true).unwrap_err();
        let names: Vec<&str> = err.items().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["name", "endpoint", "user", "password", "timezone"]);
    }

    #[test]
    fn px_02_smtp_configuration_has_exactly_one_recipient() {
        let ok = SmtpInput {
            host: "smtp.example.com".into(),
            port: 587,
            tls: Some(TlsMode::StartTls),
            user: "u".into(),
            sender: "app@example.com".into(),
            recipient: "ops@example.com".into(),
        };
        assert!(validate_smtp(&ok).is_ok());
        let many = SmtpInput { recipient: "a@example.com, b@example.com".into(), ..ok.clone() };
        assert_eq!(validate_smtp(&many).unwrap_err().items()[0].0, "recipient");
        let bad = SmtpInput { host: String::new(), port: 70000, tls: None, sender: "x".into(), ..ok };
        let names: Vec<String> = validate_smtp(&bad).unwrap_err().items().iter().map(|(f, _)| f.clone()).collect();
        assert_eq!(names, ["host", "port", "tls_mode", "sender"]);
    }
}
