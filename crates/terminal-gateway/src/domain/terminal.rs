//! Terminal registration rules, the live status shown in the picker (TG-04) and the grouping
//! by point of sale (TG-03). A terminal is registered with the currency it charges in and the
//! time zone its clock runs in: Nets sends neither (no currency in any request; times in the
//! terminal's local time), so both are required rather than guessed.

use kit::Currency;
use kit::grpc::status::Violations;

use super::{TenantId, TerminalId};

/// A validated registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSpec {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Nets terminal id.
    pub terminal_id: TerminalId,
    /// Display name.
    pub display_name: String,
    /// Point of sale.
    pub pos: Option<String>,
    /// May take payments.
    pub active: bool,
    /// Currency it charges in.
    pub currency: Currency,
    /// IANA time zone of the terminal's clock.
    pub time_zone: chrono_tz::Tz,
}

/// Checks a display name (1..=100 characters, no control characters).
pub fn check_name(v: &mut Violations, field: &str, name: &str) -> Option<String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        v.add(field, "must not be empty");
        None
    } else if chars > 100 {
        v.add(field, format!("must be at most 100 characters, got {chars}"));
        None
    } else if name.chars().any(char::is_control) {
        v.add(field, "must not contain control characters");
        None
    } else {
        Some(name.to_owned())
    }
}

/// Checks an optional point of sale (empty = none; else like a name).
pub fn check_pos(v: &mut Violations, pos: &str) -> Option<Option<String>> {
    if pos.trim().is_empty() { Some(None) } else { check_name(v, "pos", pos).map(Some) }
}

impl TerminalSpec {
    /// Validates a registration and reports every violation at once.
    #[allow(clippy::too_many_arguments, reason = "one argument per request field, named at the call")]
    pub fn parse(
        tenant_id: &str,
        terminal_id: &str,
        display_name: &str,
        pos: &str,
        active: bool,
        currency: &str,
        time_zone: &str,
    ) -> Result<TerminalSpec, Violations> {
        let mut v = Violations::new();
        let tenant_id = v.check("tenant_id", TenantId::parse(tenant_id));
        let terminal_id = v.check("terminal_id", TerminalId::parse(terminal_id));
        let display_name = check_name(&mut v, "display_name", display_name);
        let pos = check_pos(&mut v, pos);
        let currency = check_currency(&mut v, currency);
        let time_zone = check_time_zone(&mut v, time_zone);
        match (tenant_id, terminal_id, display_name, pos, currency, time_zone) {
            (Some(tenant_id), Some(terminal_id), Some(display_name), Some(pos), Some(currency), Some(time_zone))
                if v.is_empty() =>
            {
                Ok(TerminalSpec { tenant_id, terminal_id, display_name, pos, active, currency, time_zone })
            }
            _ => Err(v),
        }
    }
}

/// The currency the terminal charges in: required (Nets sends none, so a default would charge
/// a EUR hotel's every payment in CHF).
pub fn check_currency(v: &mut Violations, currency: &str) -> Option<Currency> {
    if currency.trim().is_empty() {
        v.add("currency", "is required: the ISO 4217 code the terminal charges in (Nets does not say)");
        None
    } else {
        v.check("currency", Currency::parse(currency))
    }
}

/// The terminal's IANA time zone: required (Nets reports terminal times in local time).
pub fn check_time_zone(v: &mut Violations, time_zone: &str) -> Option<chrono_tz::Tz> {
    if time_zone.trim().is_empty() {
        v.add("time_zone", "is required: the IANA time zone of the terminal's clock, e.g. Europe/Helsinki");
        return None;
    }
    match time_zone.trim().parse::<chrono_tz::Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            v.add("time_zone", format!("{time_zone:?} is not an IANA time zone"));
            None
        }
    }
}

/// What Nets said when asked about a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetsView {
    /// The login lists the id and `GET /v1/terminal/{id}` answered with this `terminalState`.
    State(String),
    /// The login lists the id; its state call gave nothing readable (the call is advice only:
    /// no public source shows it).
    Listed,
    /// The login's `terminals` do not list the id: Nets does not know it for this account.
    NotFound,
    /// The tenant has no credentials.
    NoCredentials,
    /// Nets refused the login.
    LoginFailed(String),
    /// Nets could not be reached or answered with an error.
    Unavailable(String),
}

/// The picker colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Connected and idle.
    Ready,
    /// Connected, working on a payment.
    Busy,
    /// Cannot take payments.
    Error(Problem),
}

/// Why a terminal is in error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Deactivated in the gateway.
    Inactive,
    /// Unknown to Nets.
    UnknownAtNets,
    /// Offline.
    NotConnected,
    /// No credentials.
    NoCredentials,
    /// Login refused.
    LoginFailed,
    /// Nets unreachable.
    NetsUnavailable,
}

/// The live status of a terminal from its flag and what Nets said (TG-04). Inactive wins:
/// it is the gateway's own decision; otherwise Nets' view decides.
pub fn readiness(active: bool, view: &NetsView) -> (Readiness, String) {
    let (r, detail) = match view {
        NetsView::State(s) if s == "idle" => (Readiness::Ready, String::new()),
        NetsView::State(s) if s == "busy" => (Readiness::Busy, "a transaction is in progress".to_owned()),
        NetsView::State(s) if s == "offline" => {
            (Readiness::Error(Problem::NotConnected), "the terminal is not connected to Nets Cloud".to_owned())
        }
        NetsView::State(s) => (Readiness::Error(Problem::NetsUnavailable), format!("unexpected terminal state {s:?}")),
        NetsView::Listed => {
            (Readiness::Ready, "listed by Nets for this login; its connection state is not reported".to_owned())
        }
        NetsView::NotFound => (
            Readiness::Error(Problem::UnknownAtNets),
            "Nets does not know this terminal id; check the id against Nets".to_owned(),
        ),
        NetsView::NoCredentials => {
            (Readiness::Error(Problem::NoCredentials), "no Nets credentials are stored for the tenant".to_owned())
        }
        NetsView::LoginFailed(d) => (Readiness::Error(Problem::LoginFailed), format!("Nets refused the login: {d}")),
        NetsView::Unavailable(d) => (Readiness::Error(Problem::NetsUnavailable), d.clone()),
    };
    if active { (r, detail) } else { (Readiness::Error(Problem::Inactive), "the terminal is deactivated".to_owned()) }
}

/// Groups items by point of sale: named groups alphabetically, each sorted by `name`, the
/// group without a point of sale last (TG-03).
pub fn group_by_pos<T>(
    items: Vec<T>,
    pos: impl Fn(&T) -> Option<&str>,
    name: impl Fn(&T) -> &str,
) -> Vec<(Option<String>, Vec<T>)> {
    let mut groups: std::collections::BTreeMap<(bool, String), Vec<T>> = std::collections::BTreeMap::new();
    for item in items {
        let key = match pos(&item) {
            Some(p) => (false, p.to_owned()),
            None => (true, String::new()),
        };
        groups.entry(key).or_default().push(item);
    }
    groups
        .into_iter()
        .map(|((none, p), mut list)| {
            list.sort_by_key(|a| name(a).to_lowercase());
            (if none { None } else { Some(p) }, list)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg_02_registration_validation_names_every_field() {
        let long = "x".repeat(101);
        type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            ("hotel", "T-1001", "Päätelaite I", "Vastaanotto", "EUR", "Europe/Helsinki", &[]),
            ("hotel", "T-1001", "Päätelaite I", "", "", "Europe/Helsinki", &["currency"]),
            ("hotel", "T-1001", "Päätelaite I", "", "EUR", "", &["time_zone"]),
            ("hotel", "T-1001", "Päätelaite I", "", "EUR", "Europe/Espoo", &["time_zone"]),
            ("", "T 1", "", "", "chf", "UTC", &["tenant_id", "terminal_id", "display_name", "currency"]),
            ("hotel", "T-1", &long, &long, "EUR", "UTC", &["display_name", "pos"]),
            ("hotel", "T-1", "a\u{7}b", "", "EUR", "UTC", &["display_name"]),
        ];
        for (tenant, id, name, pos, cur, tz, fields) in cases {
            let got: Vec<String> = match TerminalSpec::parse(tenant, id, name, pos, true, cur, tz) {
                Ok(_) => vec![],
                Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
            };
            assert_eq!(got, *fields, "{tenant} {id} {name:?}");
        }
        let s = TerminalSpec::parse("h", "T-1", " Desk ", " ", false, "EUR", "Europe/Helsinki").unwrap();
        assert_eq!((s.display_name.as_str(), s.pos, s.currency), ("Desk", None, Currency::EUR));
        assert_eq!(s.time_zone, chrono_tz::Europe::Helsinki);
    }

    #[test]
    fn tg_04_live_status_table() {
        let cases = [
            (true, NetsView::State("idle".into()), Readiness::Ready),
            (true, NetsView::State("busy".into()), Readiness::Busy),
            (true, NetsView::State("offline".into()), Readiness::Error(Problem::NotConnected)),
            (true, NetsView::State("weird".into()), Readiness::Error(Problem::NetsUnavailable)),
            (true, NetsView::NotFound, Readiness::Error(Problem::UnknownAtNets)),
            (true, NetsView::Listed, Readiness::Ready),
            (true, NetsView::NoCredentials, Readiness::Error(Problem::NoCredentials)),
            (true, NetsView::LoginFailed("x".into()), Readiness::Error(Problem::LoginFailed)),
            (true, NetsView::Unavailable("x".into()), Readiness::Error(Problem::NetsUnavailable)),
            (false, NetsView::State("idle".into()), Readiness::Error(Problem::Inactive)),
            (false, NetsView::NotFound, Readiness::Error(Problem::Inactive)),
        ];
        for (active, view, want) in cases {
            assert_eq!(readiness(active, &view).0, want, "{active} {view:?}");
        }
    }

    #[test]
    fn tg_03_groups_by_pos_with_the_unplaced_last() {
        let items = vec![("III", None), ("II", Some("Vastaanotto")), ("I", Some("Vastaanotto")), ("R", Some("Baari"))];
        let groups = group_by_pos(items, |t| t.1, |t| t.0);
        let shape: Vec<(Option<&str>, Vec<&str>)> =
            groups.iter().map(|(p, l)| (p.as_deref(), l.iter().map(|t| t.0).collect())).collect();
        assert_eq!(
            shape,
            vec![(Some("Baari"), vec!["R"]), (Some("Vastaanotto"), vec!["I", "II"]), (None, vec!["III"])]
        );
    }
}
