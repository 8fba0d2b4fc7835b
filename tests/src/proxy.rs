//! A TCP proxy on loopback that a test can switch off, to make a shared server unavailable to
//! the services under test only: while it is down, open connections are cut and new ones are
//! closed at once; other users of the server, who connect to it directly, see nothing.
//!
//! Owns the forwarding and the switch; which server sits behind it is the caller's.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    /// Where clients connect.
    pub address: SocketAddr,
    up: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Result<Proxy, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy bind: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("proxy address: {e}"))?;
        let (up, state) = watch::channel(true);
        let state = Arc::new(state);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    // Out of descriptors, say: try again shortly.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                if !*state.borrow() {
                    drop(client);
                    continue;
                }
                let state = watch::Receiver::clone(&state);
                tokio::spawn(forward(client, target, state));
            }
        });
        Ok(Proxy {
            address,
            up,
            accept,
        })
    }

    /// Cuts every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        let _ = self.up.send(false);
    }

    pub fn restore(&self) {
        let _ = self.up.send(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Copies both ways until either side closes or the proxy is cut.
async fn forward(mut client: TcpStream, target: SocketAddr, mut state: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = state.wait_for(|up| !*up) => {}
    }
}
