//! The HTTP/1 server loop the runner's three servers share (the API, the Invoke API, each
//! process's Runtime API): accept on loopback, answer each connection with `handle`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The response body of every runner server: whole, in memory.
pub type Body = Full<Bytes>;

/// Serves until the listener fails or the task is aborted.
pub async fn serve<H, Fut>(listener: TcpListener, handle: H)
where
    H: Fn(SocketAddr, Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
{
    while let Ok((stream, peer)) = listener.accept().await {
        // Without TCP_NODELAY, Nagle and delayed ACKs add milliseconds to loopback round trips.
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(peer, request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A request's whole body (empty if it cannot be read).
pub async fn body_bytes(request: Request<Incoming>) -> Bytes {
    request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}
