//! pixi* ERP SOAP API simulator (contract cases in `crates/sandbox/contracts/pixi/`) for
//! pixi-sync (`docs/rules/PX.md`, PX-10 … PX-27): a stateful pixi installation per API user with orders
//! moving HOLD → OPEN → CLOSED, lines HAL → ANG → EIN → AUS / STO / NLB / RET, invoices,
//! credit notes, the customer account, shipping locks, comments, the customer-service bank
//! fields and a change feed.
//!
//! # Transport
//!
//! SOAP 1.1 rpc/encoded, `POST /` (gateway form) or `POST /soap/<ApiUser>/`, answers
//! `text/xml; charset=utf-8`; `SOAPAction` is ignored. Parameters are the call element's
//! children (any namespace prefix, `xsi:type` ignored, `xsi:nil="true"` = NULL); values are SQL
//! typed: bits `0`/`1`/`true`/`false`, money as decimal strings (answers carry four decimals,
//! `46.1800`), datetimes `YYYY-MM-DD hh:mm:ss` (also `T`, milliseconds, `YYYYMMDD`). Times are
//! the installation's local time (default Europe/Berlin). Answers are SQL Server native XML
//! web-service answers, shaped as the contract cases in `crates/sandbox/contracts/pixi/` show:
//! `<method:{call}Response><method:{call}Result>` (the call's own namespace echoed as
//! `method`), per result set one `sqlresultstream:SqlRowSet` with a diffgram of
//! `SqlRowSetN/row`, then `sqlresultstream:SqlResultCode` 0; an empty set is an element without
//! `row`; NULL columns are left out (as a .NET DataSet does). Result datetimes look like pixi's
//! own: `2024-03-01T09:05:07.000`.
//!
//! Each installation has an API revision (default the newest the simulator knows,
//! 26.6.0.11854): a parameter pixi-api-docs.de documents as "available from" a later revision
//! does not exist there (Reason/UserName of pixiSetOrderShippingLock from 23.03, RowCount and
//! FromInvoiceId of the payment lists from 22.06, Since/RowCount of pixiGetOrderComments from
//! 26.6).
//!
//! Errors, chosen contract ([INF] where pixi's is unknown):
//! - wrong / missing Basic credentials, or a `/soap/<user>/` path of another user: **HTTP 401**
//!   with `WWW-Authenticate: Basic` and a SOAP fault body (`SOAP-ENV:Client`, `Unauthorized`).
//! - body not XML, no envelope or no call: fault `SOAP-ENV:Client` "Bad Request" (HTTP 500, as
//!   PHP's SoapServer answers); a SOAP 1.2 envelope: `SOAP-ENV:VersionMismatch`.
//! - unknown call (names are case-sensitive) or a call not installed on this database: fault
//!   `SOAP-ENV:Client` "Procedure 'x' not present" (HTTP 500).
//! - parameter binding follows SQL Server (names case-insensitive): unknown name (8145),
//!   repeated name (8143), missing required parameter (201), failed conversion (8114, 241) →
//!   an `sqlresultstream:SqlMessage` (Class 16, Number, Message, Procedure `pipi…`) inside an
//!   HTTP 200 answer without rows, as pixi's SDK test expects for an unknown parameter.
//! - business errors answer as each call documents (`ReturnCode` OK/INFO/ERROR +
//!   `ErrorMessage`, `Result` 0/1, `AffectedRows`); calls without documented result fields
//!   `RAISERROR` instead: an `SqlMessage` with Class 16, Number 50000, HTTP 200.
//! - injected SQL errors (admin `switches`): e.g. 1205 deadlock victim (Class 13), before the
//!   procedure acted (nothing changed) or after it (the change stays, the answer is the error).
//! - nightly quiet window (PX-22): calls between 00:00 and 04:00 local are recorded
//!   (`quiet-window-calls`); with `enforce_quiet_window` they get HTTP 503 + `Retry-After`.
//! - injected faults (SB-05) use the SOAP call name as operation, e.g. `pixiPaySetInvoiceCapture`;
//!   an injected error is an HTTP 500 from the "proxy" (plain text, not a SOAP fault).
//!
//! # Calls
//!
//! Reference: `https://pixi-api-docs.de/api/{call}`. "public" = parameters and row names follow
//! that page; "defined" = not public (or only partly), contract chosen here in the same style.
//!
//! | call | parameters | result / state change |
//! |---|---|---|
//! | `pixiPayGetOrdersToAuthorize` (public) | PaymentCode, ShowAll, RowCount=30 (from 22.06) | HOLD orders of the method; hides `ccpSetFailTries` > 3 unless ShowAll=1. Rows: OrderNr, OrderNrExternal, ShopID, CustKey, PaymentCode, address (Anrede, FirstName, LastName, CareOf, Address, ZIP, City, Country, Phone, eMail), ShipCost, Currency, ccpPayID, CardOwner, ccpSetFailTries, OrderDate |
//! | `pixiPaySetAuthorizationStatus` (public) | OrderNr, Success, AuthID, AuthCode, Message | Success=1: ccpPayID := AuthID, ccpLastAuthCode := AuthCode, fail counter 0, **order released** (HOLD → OPEN, HAL → ANG). Success=0: fail counter +1. No result set |
//! | `pixiPayGetInvoicesToCapture` (public) | PaymentCode, ShowAll, RowCount=30, FromInvoiceId=0 | **shipped**, not yet captured invoices with InvoiceId > FromInvoiceId, by InvoiceId; fail counter > 3 hidden unless ShowAll. Rows: InvoiceId, InvoiceNr, OrderNr, OrderNrExternal, ShopID, CustKey, PaymentCode, Total, PayedSum, Paid, InvoiceDate, ShipDate, Currency, ccpPayID, ccpSetFailTries, address |
//! | `pixiPaySetInvoiceCapture` (public) | PayID, PayCode, InvoiceNr, CaptureSum, Success, Message, SetRemainingOrdersToHAL (required), EventID (required if Success=1) | Success=1: PayedSum := CaptureSum, captured, booking (EventID, +CaptureSum × event sign) matched to the invoice. Success=0: PayedSum := 0, paid marks cleared, fail counter +1. SetRemainingOrdersToHAL=1: remaining ANG lines → HAL (order HOLD if nothing else is shippable). Unknown invoice, missing/unknown EventID: fault. No result set |
//! | `pixiCACreateManualBooking` (public) | CustKey, EventID (≤ 3 chars, must exist), Amount (≠ 0), EventDate, Comment, MatchToInvoiceNr, MatchKey, CurrencyId | booking with effect = event sign × Amount (PX-25); with `MatchToInvoiceNr` the document's `PayedSum` grows by \|Amount\| (open-item matching). `ReturnCode` OK/ERROR + `ErrorMessage` (missing or too long EventID, unknown customer/event/invoice: ERROR, never a fault) |
//! | `pixiGetCreditCardInfo` (defined) | OrderNr (req) | OrderNr, PaymentCode, ccpPayID, ccpLastAuthCode, ccpSetFailTries, CardOwner (CardNumber scrambled = NULL) |
//! | `pixiGetOrderHeader` (public) | ShopID, CustKey, OrderNr, FromTime, UntilTime, FromUpdateTime, PaymentType, OrderNrExternal, ShippingCountry, RowCount=1000 | header rows: OrderNr, OrderNrExternal, ShopID, Mandant, CustKey, AddrRef (billing address key), CustomerNrExternal, OrderDate, CreateDate, UpdateDate, OrderStatus, PaymentType, ccpPayID (= "KK-ID"), ccpLastAuthCode, ccpSetFailTries, Currency, ShipCost, OrderTotal, PayedSum, Paid, OrderLocked Y/N, LockReason, CustomerLocked Y/N, IsMerged, MergedWithOrderNr, billing address + AccountOwner, IBAN, BIC, BankName, shipping address (S…) |
//! | `pixiGetOrderline` (public) | ShopID, Status, OrderNR, InvoiceNr, OrderlineKey, PaymentType, Order/UpdateDateFrom/To, ShowOrderlines, RowCount=1000 | OrderlineKey, OrderNr, OrderNrExternal, ShopID, ItemKey, ItemNrInt, EanUpc, ArtName, Qty, Price, Subtotal, Status, InvoiceNr, CreditNoteNr, PaymentType, OrderDate, UpdateDate |
//! | `pixiGetOrderTotals` (public) | OrderNr, OrderNrExternal, CustKey | one row per line not cancelled: OrderNr, ArtName, EanUpc, Qty, Price, Subtotal + order totals ShipCost, Discount, VATHigh, VATLow, VATTotal (19 % VAT included; no Total or Currency column, as documented) |
//! | `pixiGetChangedOrders` (public params, rows partly defined) | DateTimeFrom (req, inclusive), skipGetXMLValue, ReturnOnlyDFOrders | set 1: one row per order changed since DateTimeFrom (ShopID, CustKey, OrderNr, OrderNrExternal, ShipCost, OrderDate, CreateDate, **DateTimeTo** = now: pass it as the next DateTimeFrom, OrderLocked, PaymentType, OrderStatus, LastChange). Set 2: the changes (OrderNr, Timestamp, ChangeType CORDER/CORDERL/UORDER/UORDERL/IORDER/SORDER, Param1 = OrderlineKey or InvoiceNr) as `pixiGetOrderChanges` names them |
//! | `pixiReleaseOrder` (public) | ShopId, OrderNrExternal (req) | HOLD → OPEN, HAL → ANG. `ReturnCode` OK/ERROR (unknown order), `AffectedRows` = lines released (0 if not HOLD) |
//! | `pixiImportFindXML` (public) | Id (req: the shop order number = openTRANS ORDER_ID), Type (req: `order`/`item`), Channel | Status, Request (the openTRANS order the shop sent, with `<PAYMENT><{XML tag}><PAYMENT_ID>{unzer id}</PAYMENT_ID>…`), XMLLogKey, CreateDate, UpdateDate |
//! | `pixiGetItemInfo` (public) | ItemKey, ItemNrInt, EANUPC, ItemXML (`<ITEMKEY>`/`<EAN>`/`<ITEMNRINT>`), LocID, ItemNrSuppl, ConsiderFavouriteSupplier | ItemKey, ItemNrInt, EANUPC, ItemName, Price, VAT, Enabled, LocID |
//! | `pixiGetPaymenttypes` (public) | Code, TagXML, PaymentText, IniOrderStatus | Code, XMLTag, PaymentText, IniOrderStatus (`HAL` unless the method is misconfigured; then its orders import OPEN). Direct charge and automatic payment marks are behaviours of a method, not columns |
//! | `pixiGetInvoice` (public) | ShopID, OrderNR, InvDateFrom/To, RowCount=1000, StartKey (exclusive) | invoices (DocumentType R) and credit notes (G, negative Total): InvoiceKey, InvoiceNr, DocumentType, OrderNr, OrderNrExternal, ShopID, CustKey, InvDate, ShipDate, Total, ShipCost, PayedSum, Paid, PaidDate, PaymentType, ccpPayID, Currency, TotalRows |
//! | `pixiGetInvoiceLines` (public) | InvoiceNr (req), IncludeSpecialInvLines | InvoiceNr, OrderNr, OrderlineKey, ItemNr, ArtNr, EanUpc, ArtName, ItemText, ItemQty, OrderQty, Price, Status, ItemVAT, ShipCost (+ a `ZZZ Versandkosten` line) |
//! | `pixiSetOrderShippingLock` (public) | OrderNr (req), Locked=1, Reason (empty → "Order was locked/unlocked by {UserName}"), UserName=API | `ReturnCode` OK (changed) / INFO (already so) / ERROR (unknown or CLOSED order) + `ErrorMessage` |
//! | `pixiSetShippingLock` (public) | CustKey or CustomerNrExternal (+ShopID), Locked=1, UserName | customer-level lock; `Result` 0 ok / 1 failed |
//! | `pixiCreateOrderComment` (defined) | OrderNr or OrderNrExternal (+ShopID), Comment (req), UserName=API | appends an order comment (PX-21); `ReturnCode`, `ErrorMessage`, `CommentKey` |
//! | `pixiGetOrderComments` (public) | OrderNr, OrderNrShop, Since (exclusive), RowCount ≤ 1000 | CommentKey, OrderNr, OrderNrShop, Comment, CreateDate, CreateEmp |
//! | `pixiAddCustomerComment` (defined) | CustKey, Comment (req), UserName | customer history entry; `ReturnCode`, `ErrorMessage` |
//! | `pixiGetAddress` (public) | AddrKey (req) | BIC, ZIP, City, IBAN, Name, AddrKey, Address, … and (defined) AccountOwner, BankName; the order header's `AddrRef` is the billing address |
//! | `pixiCanChangeAddress` (public) | OrderNr or OrderNrExternal | `return` 1 while the order is not CLOSED and no line is EIN/AUS/RET |
//! | `pixiSysGetCurrentRevision` (SDK) | — | CurrentRevision |
//! | `pixiSysGetCallInfo` (SDK) | CallName (req) | CallName, StatusMessage ("… is installed" / "… is not installed") |
//! | `pixiChangeAddress` (public, bank names partly defined) | OrderNr or OrderNrExternal, AddrType B (default)/S/BS, address fields, **AccountOwner, IBAN, BIC, BankName**, BLZ | writes the given fields; the bank fields are the customer-service fields of the billing address (PX-12: Kontoinhaber = recipient, IBAN, BIC, Bank = payment reference). `ReturnCode` OK/ERROR |
//!
//! Order status follows the lines: every line AUS/STO/NLB/RET → CLOSED. The change feed
//! records CORDER/CORDERL (import), UORDER (release, lock, address, authorisation, closed,
//! merged), UORDERL (line status), IORDER (invoice or credit note created), SORDER (shipped).
//! Comments, captures and bookings are not changes.
//!
//! # Admin routes (`/admin/pixi`)
//!
//! | route | effect |
//! |---|---|
//! | `GET/POST /users` | list / create an API user = installation (`CreateUser`; default payment methods UNZERCC, UNZERPP, VORKASSE, UNZERINV, UNZERDD, RECHNUNG and events UZE +, UZR −) |
//! | `GET/POST /users/{user}` | read / change password, time zone, quiet-window enforcement |
//! | `GET/POST /users/{user}/switches` | revision, calls not installed, columns left out of a call's answers, SQL errors to answer with (`Switches`) |
//! | `POST /users/{user}/payment-methods`, `/booking-events` | add or replace one |
//! | `GET/POST /users/{user}/orders` | list / seed an order (`SeedOrder`: lines, payment method, unzer id, manual `P` orders) |
//! | `GET /users/{user}/orders/{nr}` | `OrderView`: lines, documents, bookings, balance, comments, lock, bank fields, changes |
//! | `POST …/orders/{nr}/release`, `/ship`, `/cancel`, `/credit-note`, `/close`, `/merge`, `/lock` | act as a pixi user |
//! | `POST …/orders/{nr}/manual-invoice` | an invoice written by hand (no order lines; a credit note without lines is the manual one) |
//! | `POST /users/{user}/invoices/{nr}/ship-out`, `/mark-paid` | ship a packed invoice; misconfiguration: pixi marks it paid |
//! | `GET /users/{user}/customers/{cust_key}` | customer account: documents, bookings, balance |
//! | `GET /users/{user}/changes`, `/quiet-window-calls` | change feed; calls in 00:00–04:00 |
//!
//! Fault operations: every call name of the table above.

mod admin;
mod calls;
mod defaults;
mod demo;
mod docs;
mod erp;
mod handlers;
mod model;
mod params;
mod types;
mod views;
mod wire;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::post;

use crate::shared::Shared;

pub use admin::admin;
pub use calls::names as call_names;
pub use demo::demo;
pub use docs::{BookingRequest, CaptureMark};
pub use erp::ErpError;
pub use model::{
    Address, Booking, BookingEvent, BookingSource, Change, Comment, Customer, DocKind, Document, Install, Item, Line,
    LineStatus, NEWEST_REVISION, Order, OrderStatus, PaymentMethod, QuietCall, RefusalSpec, ShippingLock, SqlErrorSpec,
};
pub use types::{
    Cancel, ColumnRef, CreateUser, CreditNoteRequest, CustomerView, DocView, LineView, LockRequest, ManualInvoice,
    Merge, OrderSummary, OrderView, SeedLine, SeedOrder, Ship, Switches, SwitchesView, UserOptions, UserView,
};

/// Every pixi installation of the sandbox, by API user.
#[derive(Debug, Default)]
pub struct State {
    /// Installations by API user.
    pub installs: BTreeMap<String, Install>,
}

/// The SOAP endpoint.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", post(handlers::soap_root))
        .route("/soap/{user}", post(handlers::soap_user))
        .route("/soap/{user}/", post(handlers::soap_user))
        .with_state(shared)
}
