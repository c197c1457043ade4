//! The `notes` table and the `note_counts` read model.

use sqlx::{PgConnection, PgPool};

use crate::domain::Note;

/// Inserts a note inside the caller's transaction.
pub async fn insert(tx: &mut PgConnection, note: &Note) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notes (order_id, text) VALUES ($1, $2)")
        .bind(note.order_id.as_str())
        .bind(&note.text)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Adds one to an order's count inside the caller's transaction.
pub async fn increment_count(tx: &mut PgConnection, order_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO note_counts (order_id, count) VALUES ($1, 1) \
         ON CONFLICT (order_id) DO UPDATE SET count = note_counts.count + 1",
    )
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The count of an order (0 when none).
pub async fn count(pool: &PgPool, order_id: &str) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar("SELECT count FROM note_counts WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0))
}
