//! Validated identifiers. Ids travel in NATS subjects and URLs, so they are restricted to
//! `[A-Za-z0-9_-]` with a bounded length; anything else is refused at the edge.

use std::fmt;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("must not be empty")]
    Empty,
    /// The id is longer than allowed.
    #[error("must be at most {max} characters, got {len}")]
    TooLong {
        /// Maximum length.
        max: usize,
        /// Actual length in bytes.
        len: usize,
    },
    /// The id contains a character outside `[A-Za-z0-9_-]`.
    #[error("may only contain A-Z, a-z, 0-9, '_' and '-', found {found:?} at position {position}")]
    InvalidChar {
        /// The offending character.
        found: char,
        /// Its position (in characters).
        position: usize,
    },
}

/// Checks that `value` is 1..=`max` characters of `[A-Za-z0-9_-]`.
pub fn validate_id(value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty);
    }
    if let Some((position, found)) =
        value.chars().enumerate().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(IdError::InvalidChar { found, position });
    }
    if value.len() > max {
        return Err(IdError::TooLong { max, len: value.len() });
    }
    Ok(())
}

/// Declares a validated id newtype: `id_type!(TerminalId, 64, "A Nets terminal id.");`.
/// The type parses with `TerminalId::parse`, derefs to `str`, and (de)serialises as a string
/// with validation.
#[macro_export]
macro_rules! id_type {
    ($name:ident, $max:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Longest accepted id.
            pub const MAX_LEN: usize = $max;

            /// Validates and wraps an id.
            pub fn parse(value: impl Into<String>) -> Result<Self, $crate::id::IdError> {
                let value = value.into();
                $crate::id::validate_id(&value, $max)?;
                Ok(Self(value))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::id::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(s).map_err(::serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    OrderId,
    64,
    "The payment case an event or request belongs to (pixi order number, terminal order reference, PGW transaction id, SwissBilling ORDERID, manual-payment order)."
);
id_type!(IncidentId, 128, "An incident within an order: every attention event of one incident lands on one ticket.");
id_type!(RequestId, 128, "A caller-supplied idempotency key for a command.");

/// A display wrapper that shows at most the first `n` characters of a long id in messages.
pub struct Short<'a>(pub &'a str);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = self.0.chars().take(40).collect();
        f.write_str(&s)?;
        if self.0.chars().count() > 40 {
            f.write_str("…")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_table() {
        let long = "a".repeat(65);
        let max = "a".repeat(64);
        let cases: &[(&str, Result<(), IdError>)] = &[
            ("4711", Ok(())),
            ("T-88", Ok(())),
            ("abc_DEF-123", Ok(())),
            (&max, Ok(())),
            ("", Err(IdError::Empty)),
            ("47.11", Err(IdError::InvalidChar { found: '.', position: 2 })),
            ("47 11", Err(IdError::InvalidChar { found: ' ', position: 2 })),
            (" 4711", Err(IdError::InvalidChar { found: ' ', position: 0 })),
            ("a>b", Err(IdError::InvalidChar { found: '>', position: 1 })),
            ("a*", Err(IdError::InvalidChar { found: '*', position: 1 })),
            ("ä", Err(IdError::InvalidChar { found: 'ä', position: 0 })),
            ("a/b", Err(IdError::InvalidChar { found: '/', position: 1 })),
            (&long, Err(IdError::TooLong { max: 64, len: 65 })),
        ];
        for (id, want) in cases {
            assert_eq!(OrderId::parse(*id).map(|_| ()), *want, "{id:?}");
        }
    }

    #[test]
    fn ids_deserialise_with_validation() {
        let ok: OrderId = serde_json::from_str("\"4711\"").unwrap();
        assert_eq!(ok.as_str(), "4711");
        assert!(serde_json::from_str::<OrderId>("\"47.11\"").is_err());
    }
}
