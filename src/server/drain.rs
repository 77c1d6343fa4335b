//! Pages abandoned mid-render are rendered to the end anyway.
//!
//! A page streams from a Leptos owner tree whose resources load in tasks of their
//! own. When a browser leaves before the page has arrived, the connection drops
//! the response body, and with it the tree's root, while those tasks still run.
//! In reactive_graph 0.2 a task looking up a context can then hold the last
//! reference to an ancestor and free it while holding a read lock below it:
//! the worker thread deadlocks for good (seen in tests that read only a page's
//! head; `faults::pages_abandoned_mid_render_never_hang_the_server`). So the
//! body of an HTML page is never dropped early: when the client goes away, a
//! task reads the rest of it (discarding it), bounded by [`DRAIN_LIMIT`], and
//! the tree ends the normal way, after its resources.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::header::CONTENT_TYPE,
    middleware::Next,
    response::Response,
};
use futures::{Stream, StreamExt};
use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

/// The longest an abandoned page is read for.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);

/// Wrap the bodies of HTML pages so that they are read to the end even when the
/// client leaves early.
pub async fn finish_abandoned_pages(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return res;
    }
    res.map(|body| {
        Body::from_stream(DrainOnDrop {
            inner: Some(body.into_data_stream()),
        })
    })
}

struct DrainOnDrop<S: Stream<Item = Result<Bytes, axum::Error>> + Send + Unpin + 'static> {
    inner: Option<S>,
}

impl<S> Stream for DrainOnDrop<S>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Send + Unpin + 'static,
{
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let next = inner.poll_next_unpin(cx);
        if matches!(next, Poll::Ready(None)) {
            this.inner = None;
        }
        next
    }
}

impl<S> Drop for DrainOnDrop<S>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Send + Unpin + 'static,
{
    fn drop(&mut self) {
        let Some(mut rest) = self.inner.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let read_all = async { while let Some(Ok(_)) = rest.next().await {} };
                let _ = tokio::time::timeout(DRAIN_LIMIT, read_all).await;
            });
        }
    }
}
