//! Telling each person in the loop when it is their turn: the work queue (`/me/tasks`); the
//! ordered log of changes (`outbox`), fanned out (`dispatch`) to webhook endpoints and
//! work-chat robots and delivered with retries (`delivery`).

use crate::AppState;

/// One round of the notification work on this node: fan out every new event, then send what
/// is due. Safe on any number of nodes at once.
pub async fn run_once(state: &AppState) -> Result<usize, crate::error::ApiError> {
    loop {
        let read = crate::db::run(&state.pool, |conn| {
            dispatch::fan_out(conn, crate::db::now())
        })
        .await?;
        if read == 0 {
            break;
        }
    }
    // A full round means more is due: go on at once rather than wait for the next tick.
    let mut attempted = 0;
    for _ in 0..50 {
        let round = delivery::deliver_due(state).await?;
        attempted += round;
        if round < delivery::STANDARD_PER_ROUND {
            break;
        }
    }
    Ok(attempted)
}

pub mod deliveries_api;
pub mod delivery;
pub mod digest;
pub mod dispatch;
pub mod endpoints;
pub mod outbox;
pub mod robots;
pub mod scheduler;
pub mod signing;
pub mod tasks;
pub mod tasks_api;
pub mod webhooks_api;
