//! SE-03 in one place: a caller bound to some tenants never reaches a method for another.
//!
//! Every request message of a tenant-scoped method carries a top-level `tenant_id` string. The
//! layer finds that field from the compiled-in descriptors (so a new method is covered without
//! writing code), reads it from the request bytes before the handler runs, and refuses with
//! PERMISSION_DENIED (reason `TENANT_NOT_ALLOWED`) when the caller's credential does not name
//! that tenant. Callers for every tenant pay nothing: their bodies are not read here.
//!
//! Methods that are tenant-relevant without a `tenant_id` (creating or listing tenants, for
//! example) check [`Principal::tenants`](super::auth::Principal) in their handler.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::{Buf, Bytes};

/// `package.Service/Method` → field number of its request's `tenant_id`, for every unary or
/// server-streaming method whose request has one.
fn fields() -> &'static HashMap<String, u32> {
    static FIELDS: OnceLock<HashMap<String, u32>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let set = super::auth::descriptors();
        let mut messages = HashMap::new();
        for file in &set.file {
            for m in &file.message_type {
                let tenant = m.field.iter().find(|f| {
                    f.name() == "tenant_id" && f.r#type() == prost_types::field_descriptor_proto::Type::String
                });
                if let Some(f) = tenant {
                    messages.insert(format!(".{}.{}", file.package(), m.name()), f.number() as u32);
                }
            }
        }
        let mut out = HashMap::new();
        for file in &set.file {
            for s in &file.service {
                for m in &s.method {
                    if m.client_streaming() {
                        continue;
                    }
                    if let Some(n) = messages.get(m.input_type()) {
                        out.insert(format!("{}.{}/{}", file.package(), s.name(), m.name()), *n);
                    }
                }
            }
        }
        out
    })
}

/// The field number of `tenant_id` in the request of `method` (`package.Service/Method`), if
/// the method is tenant-scoped.
pub fn tenant_field(method: &str) -> Option<u32> {
    fields().get(method).copied()
}

/// Every tenant-scoped method of `services`.
pub fn tenant_scoped_methods(services: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = fields()
        .keys()
        .filter(|m| services.iter().any(|s| m.strip_prefix(s).is_some_and(|r| r.starts_with('/'))))
        .cloned()
        .collect();
    out.sort();
    out
}

/// Why a request's tenant could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The gRPC frame is compressed (the servers accept none).
    Compressed,
    /// Not one well-formed gRPC frame of a well-formed message.
    Malformed,
}

/// The `tenant_id` (field `field`) of the single gRPC-framed message in `body`; `None` when the
/// field is absent (the handler then refuses the request for its missing tenant).
pub fn tenant_of(body: &[u8], field: u32) -> Result<Option<String>, Unreadable> {
    let mut b = body;
    if b.len() < 5 {
        return Err(Unreadable::Malformed);
    }
    let compressed = b.get_u8();
    let len = b.get_u32() as usize;
    if compressed != 0 {
        return Err(Unreadable::Compressed);
    }
    if b.len() != len {
        return Err(Unreadable::Malformed);
    }
    let mut found = None;
    while b.has_remaining() {
        let key = varint(&mut b)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(&mut b)?;
            }
            1 => skip(&mut b, 8)?,
            5 => skip(&mut b, 4)?,
            2 => {
                let n = usize::try_from(varint(&mut b)?).map_err(|_| Unreadable::Malformed)?;
                if b.len() < n {
                    return Err(Unreadable::Malformed);
                }
                if number == u64::from(field) {
                    // Protobuf: the last occurrence of a scalar field wins.
                    found = Some(String::from_utf8(b[..n].to_vec()).map_err(|_| Unreadable::Malformed)?);
                }
                b.advance(n);
            }
            _ => return Err(Unreadable::Malformed),
        }
    }
    Ok(found)
}

fn varint(b: &mut &[u8]) -> Result<u64, Unreadable> {
    let mut value = 0u64;
    for i in 0..10 {
        if !b.has_remaining() {
            return Err(Unreadable::Malformed);
        }
        let byte = b.get_u8();
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Unreadable::Malformed)
}

fn skip(b: &mut &[u8], n: usize) -> Result<(), Unreadable> {
    if b.len() < n {
        return Err(Unreadable::Malformed);
    }
    b.advance(n);
    Ok(())
}

/// A request body that was read whole to check its tenant, handed on unchanged.
pub(crate) struct Buffered(pub(crate) Option<Bytes>);

impl http_body::Body for Buffered {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn framed(msg: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8];
        out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        out.extend_from_slice(msg);
        out
    }

    #[test]
    fn se_03_the_tenant_of_a_request_is_read_from_its_bytes_whatever_else_it_carries() {
        let req = proto::payops::terminal_gateway::v1::StartPaymentRequest {
            tenant_id: "hotel-a".into(),
            request_id: "r".repeat(40),
            order_id: "o-1".into(),
            amount: Some(proto::payops::common::v1::Money { amount_minor: -5, currency: "CHF".into() }),
            ..Default::default()
        };
        let method = "payops.terminal_gateway.v1.TerminalPaymentService/StartPayment";
        let field = tenant_field(method).expect("StartPayment is tenant-scoped");
        assert_eq!(tenant_of(&framed(&req.encode_to_vec()), field), Ok(Some("hotel-a".into())));
        let empty = proto::payops::terminal_gateway::v1::StartPaymentRequest::default();
        assert_eq!(tenant_of(&framed(&empty.encode_to_vec()), field), Ok(None));
        // Two occurrences: the last wins, as for every protobuf decoder, so the handler sees the
        // same tenant the check saw.
        let mut twice = req.encode_to_vec();
        twice.extend(
            proto::payops::terminal_gateway::v1::StartPaymentRequest {
                tenant_id: "hotel-b".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        );
        assert_eq!(tenant_of(&framed(&twice), field), Ok(Some("hotel-b".into())));
        let decoded = proto::payops::terminal_gateway::v1::StartPaymentRequest::decode(&twice[..]).unwrap();
        assert_eq!(decoded.tenant_id, "hotel-b");

        let mut compressed = framed(&req.encode_to_vec());
        compressed[0] = 1;
        assert_eq!(tenant_of(&compressed, field), Err(Unreadable::Compressed));
        assert_eq!(tenant_of(&[0, 0, 0, 0, 9, 1], field), Err(Unreadable::Malformed));
        assert_eq!(tenant_of(&framed(&[0x0a, 0x05, b'a']), field), Err(Unreadable::Malformed));
        assert_eq!(tenant_of(&framed(&[0x0a, 0x01, 0xff]), field), Err(Unreadable::Malformed));
    }

    #[test]
    fn se_03_methods_with_a_tenant_id_are_found_from_the_descriptors() {
        let tg = tenant_scoped_methods(&["payops.terminal_gateway.v1.TerminalService"]);
        assert!(tg.contains(&"payops.terminal_gateway.v1.TerminalService/SetNetsCredentials".to_owned()), "{tg:?}");
        let pixi = tenant_scoped_methods(&["payops.pixi_sync.v1.TenantService"]);
        assert!(!pixi.iter().any(|m| m.ends_with("/ListTenants") || m.ends_with("/CreateTenant")), "{pixi:?}");
        assert!(tenant_field("payops.echo.v1.EchoService/Echo").is_none());
    }
}
