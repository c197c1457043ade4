//! The simulated systems and their names on the admin API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One simulated external system. Each listens on its own port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// pixi* ERP SOAP API.
    Pixi,
    /// unzer payment REST API (and its webhooks).
    Unzer,
    /// Nets Connect@Cloud terminal REST API.
    Nets,
    /// smarpay payment gateway (TWINT codes).
    Pgw,
    /// smallinvoice API v2.
    Smallinvoice,
    /// Freshdesk API v2.
    Freshdesk,
    /// PostFinance e-payment (hosted page) and DirectLink.
    Postfinance,
    /// SMTP sink.
    Smtp,
}

impl System {
    /// Every system, in port order.
    pub const ALL: [System; 8] = [
        System::Pixi,
        System::Unzer,
        System::Nets,
        System::Pgw,
        System::Smallinvoice,
        System::Freshdesk,
        System::Postfinance,
        System::Smtp,
    ];

    /// The lower-case name used on the admin API and in configuration.
    pub fn name(self) -> &'static str {
        match self {
            System::Pixi => "pixi",
            System::Unzer => "unzer",
            System::Nets => "nets",
            System::Pgw => "pgw",
            System::Smallinvoice => "smallinvoice",
            System::Freshdesk => "freshdesk",
            System::Postfinance => "postfinance",
            System::Smtp => "smtp",
        }
    }

    /// Offset from the base port in standalone mode (admin is the base port itself).
    pub fn port_offset(self) -> u16 {
        match self {
            System::Pixi => 1,
            System::Unzer => 2,
            System::Nets => 3,
            System::Pgw => 4,
            System::Smallinvoice => 5,
            System::Freshdesk => 6,
            System::Postfinance => 7,
            System::Smtp => 8,
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for System {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        System::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| format!("unknown system {s:?}"))
    }
}
