//! Admin client methods for pixi (`/admin/pixi/…`): API users, seeding orders, acting as the
//! pixi users and reading back the resulting state.

use super::{ClientError, SandboxClient};
use crate::pixi::{
    BookingEvent, Cancel, Change, CreateUser, CreditNoteRequest, CustomerView, DocView, LockRequest, Merge,
    OrderSummary, OrderView, PaymentMethod, QuietCall, SeedOrder, Ship, Switches, SwitchesView, UserOptions, UserView,
};

impl SandboxClient {
    /// Creates a pixi API user (its own installation).
    pub async fn pixi_create_user(&self, req: &CreateUser) -> Result<UserView, ClientError> {
        self.post("/admin/pixi/users", req).await
    }

    /// Creates an API user with the default payment methods and booking events.
    pub async fn pixi_user(&self, user: &str, password: &str) -> Result<UserView, ClientError> {
        self.pixi_create_user(&CreateUser { user: user.into(), password: password.into(), ..CreateUser::default() })
            .await
    }

    /// Changes password, time zone or quiet-window enforcement.
    pub async fn pixi_update_user(&self, user: &str, req: &UserOptions) -> Result<UserView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}"), req).await
    }

    /// Adds or replaces a payment method.
    pub async fn pixi_add_payment_method(&self, user: &str, m: &PaymentMethod) -> Result<UserView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/payment-methods"), m).await
    }

    /// A pixi user writes an invoice by hand (no order lines).
    pub async fn pixi_manual_invoice(
        &self,
        user: &str,
        order_nr: i64,
        amount_minor: i64,
    ) -> Result<DocView, ClientError> {
        let req = crate::pixi::ManualInvoice { amount_minor };
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/manual-invoice"), &req).await
    }

    /// Sets the installation's revision, installed calls, dropped columns and SQL errors.
    pub async fn pixi_switches(&self, user: &str, s: &Switches) -> Result<SwitchesView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/switches"), s).await
    }

    /// Adds or replaces a booking event.
    pub async fn pixi_add_booking_event(&self, user: &str, e: &BookingEvent) -> Result<UserView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/booking-events"), e).await
    }

    /// The shop imports an order.
    pub async fn pixi_seed_order(&self, user: &str, order: &SeedOrder) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders"), order).await
    }

    /// Every order of the installation.
    pub async fn pixi_orders(&self, user: &str) -> Result<Vec<OrderSummary>, ClientError> {
        self.get(&format!("/admin/pixi/users/{user}/orders")).await
    }

    /// One order with lines, documents, bookings, comments, lock and bank fields.
    pub async fn pixi_order(&self, user: &str, order_nr: i64) -> Result<OrderView, ClientError> {
        self.get(&format!("/admin/pixi/users/{user}/orders/{order_nr}")).await
    }

    /// A pixi user releases the order in customer service.
    pub async fn pixi_release(&self, user: &str, order_nr: i64) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/release"), &()).await
    }

    /// The warehouse packs and ships lines: an invoice is created.
    pub async fn pixi_ship(&self, user: &str, order_nr: i64, req: &Ship) -> Result<DocView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/ship"), req).await
    }

    /// Ships out an invoice that was only packed.
    pub async fn pixi_ship_out(&self, user: &str, invoice_nr: &str) -> Result<DocView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/invoices/{invoice_nr}/ship-out"), &()).await
    }

    /// Cancels lines (STO or NLB).
    pub async fn pixi_cancel(&self, user: &str, order_nr: i64, req: &Cancel) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/cancel"), req).await
    }

    /// A return: credit note for shipped lines.
    pub async fn pixi_credit_note(
        &self,
        user: &str,
        order_nr: i64,
        req: &CreditNoteRequest,
    ) -> Result<DocView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/credit-note"), req).await
    }

    /// Closes the order (open lines cancelled).
    pub async fn pixi_close(&self, user: &str, order_nr: i64) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/close"), &()).await
    }

    /// Misconfiguration: pixi marks an invoice or credit note paid by itself.
    pub async fn pixi_mark_paid(&self, user: &str, invoice_nr: &str) -> Result<DocView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/invoices/{invoice_nr}/mark-paid"), &()).await
    }

    /// A pixi user merges the order (with another one).
    pub async fn pixi_merge(&self, user: &str, order_nr: i64, req: &Merge) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/merge"), req).await
    }

    /// A pixi user sets or lifts the shipping lock by hand.
    pub async fn pixi_lock(&self, user: &str, order_nr: i64, req: &LockRequest) -> Result<OrderView, ClientError> {
        self.post(&format!("/admin/pixi/users/{user}/orders/{order_nr}/lock"), req).await
    }

    /// A customer with documents, bookings and balance.
    pub async fn pixi_customer(&self, user: &str, cust_key: i64) -> Result<CustomerView, ClientError> {
        self.get(&format!("/admin/pixi/users/{user}/customers/{cust_key}")).await
    }

    /// The change feed.
    pub async fn pixi_changes(&self, user: &str) -> Result<Vec<Change>, ClientError> {
        self.get(&format!("/admin/pixi/users/{user}/changes")).await
    }

    /// Calls received in the nightly quiet window.
    pub async fn pixi_quiet_window_calls(&self, user: &str) -> Result<Vec<QuietCall>, ClientError> {
        self.get(&format!("/admin/pixi/users/{user}/quiet-window-calls")).await
    }
}
