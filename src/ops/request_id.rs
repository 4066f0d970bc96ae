//! The id of the request being served, readable anywhere inside its handling (error bodies
//! and logs carry it) without passing it down by hand.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id, when called while a request is being served.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// Runs `work` with `id` as the current request id.
pub fn sync_scope<R>(id: String, work: impl FnOnce() -> R) -> R {
    REQUEST_ID.sync_scope(id, work)
}
