-- The customer card lists a customer's payments, newest first (seed 003: "История заказов").
CREATE INDEX mp_payments_customer ON mp_payments (customer_id, created_at DESC, order_id);
