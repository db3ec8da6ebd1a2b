//! Serving a provider the way Terraform launches plugins (go-plugin): check the magic cookie
//! and the client certificate, listen on a unix socket, announce it on stdout in the handshake
//! line, speak gRPC over AutoMTLS, and exit when Terraform asks through the controller
//! service — or when Terraform is gone (killed, crashed), or on SIGTERM/SIGHUP. The socket is
//! removed on every one of those exits.

use crate::log;
use crate::proto::plugin;
use crate::provider::Provider;
use crate::server::ProviderService;
use crate::tls;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Notify};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

/// go-plugin's handshake cookie for Terraform providers: proof that Terraform started us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const PROTOCOL_VERSION: u32 = 6;
const MAX_MESSAGE: usize = 256 << 20;

/// How the binary was asked to run.
pub struct ServeConfig {
    /// The provider's registry address, e.g. `registry.terraform.io/local/ipam`, used in the
    /// reattach instructions of debug mode.
    pub address: String,
    /// Serve in the foreground for a debugger: plaintext, print `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
    /// A line added to the message a person sees when running the binary by hand, e.g. what
    /// else the binary can do.
    pub hint: Option<String>,
}

/// Serves `provider` until Terraform shuts it down. Returns the process exit code.
pub fn serve(provider: Arc<dyn Provider>, config: ServeConfig) -> ExitCode {
    log::init();
    if !config.debug && std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "This binary is a plugin for Terraform ({}), not a program to run by hand.\n\
             Install it into a filesystem mirror and let `terraform init` find it (see the README),\n\
             or run it with --debug to serve it for TF_REATTACH_PROVIDERS.",
            config.address
        );
        if let Some(hint) = &config.hint {
            eprintln!("{hint}");
        }
        return ExitCode::from(1);
    }
    if !config.debug {
        if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
            let offered: Vec<&str> = versions.split(',').map(str::trim).collect();
            if !offered.contains(&PROTOCOL_VERSION.to_string().as_str()) {
                eprintln!(
                    "This provider speaks plugin protocol {PROTOCOL_VERSION}; Terraform offered {versions}. \
                     Use Terraform 1.0 or later."
                );
                return ExitCode::from(1);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(provider, config));
    // A provider call may still be running on a blocking thread (e.g. waiting for another
    // process's database lock); it must not keep the process alive once Terraform is gone.
    // SQLite rolls back whatever that call had not committed.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Removes the unix socket file when dropped: on every return from [`run`], error or not.
struct SocketFile(Option<PathBuf>);

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Resolves when the process that started us is gone: we are re-parented (to init or a
/// subreaper), so the parent id changes. Polling works everywhere, unlike
/// `PR_SET_PDEATHSIG`, which fires when the *thread* that forked us ends — in Terraform (Go)
/// that can be any thread, long before Terraform exits.
async fn parent_gone(parent: u32) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}

/// SIGTERM and SIGHUP (a terminal closing, `kill`), watched from before the handshake line:
/// a signal that arrives before the server runs must stop it too, not kill the process with
/// its socket left behind.
struct Termination(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Termination {
    fn watch() -> Termination {
        use tokio::signal::unix::{signal, SignalKind};
        Termination(
            signal(SignalKind::terminate())
                .and_then(|t| Ok((t, signal(SignalKind::hangup())?)))
                .ok(),
        )
    }

    /// Resolves on either signal; never when signals cannot be watched.
    async fn received(&mut self) {
        match &mut self.0 {
            Some((term, hup)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// Any connection the server can speak gRPC over.
trait Socket: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Socket for T {}

struct Io(Box<dyn Socket>);

impl Connected for Io {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

enum Listener {
    Unix(tokio::net::UnixListener, PathBuf),
    Tcp(tokio::net::TcpListener),
}

/// Removes the sockets that providers of this SDK (`plugin<pid>-<nanos>`) left in `dir` when
/// they were killed outright (SIGKILL cannot be handled): those whose process is gone. Where
/// there is no `/proc` to ask, nothing is removed.
fn remove_stale_sockets(dir: &std::path::Path) {
    use std::os::unix::fs::FileTypeExt;
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some((pid, nanos)) = name
            .to_str()
            .and_then(|n| n.strip_prefix("plugin"))
            .and_then(|n| n.split_once('-'))
        else {
            continue;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(pid) || !digits(nanos) || std::path::Path::new("/proc").join(pid).exists() {
            continue;
        }
        if e.file_type().is_ok_and(|t| t.is_socket()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl Listener {
    async fn bind() -> std::io::Result<Listener> {
        remove_stale_sockets(&std::env::temp_dir());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!("plugin{}-{nanos}", std::process::id()));
        match tokio::net::UnixListener::bind(&path) {
            Ok(l) => Ok(Listener::Unix(l, path)),
            // Where unix sockets are unavailable, go-plugin falls back to loopback TCP.
            Err(_) => Ok(Listener::Tcp(
                tokio::net::TcpListener::bind("127.0.0.1:0").await?,
            )),
        }
    }

    /// (network, address) as the handshake line and reattach config name them.
    fn addr(&self) -> (String, String) {
        match self {
            Listener::Unix(_, p) => ("unix".into(), p.display().to_string()),
            Listener::Tcp(l) => (
                "tcp".into(),
                l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            ),
        }
    }

    async fn accept(&self) -> std::io::Result<Box<dyn Socket>> {
        Ok(match self {
            Listener::Unix(l, _) => Box::new(l.accept().await?.0),
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Box::new(s)
            }
        })
    }

    fn socket_file(&self) -> SocketFile {
        match self {
            Listener::Unix(_, p) => SocketFile(Some(p.clone())),
            Listener::Tcp(_) => SocketFile(None),
        }
    }
}

struct Controller {
    shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        self.shutdown.notify_one();
        Ok(Response::new(plugin::Empty {}))
    }
}

/// Terraform opens this stream to relay a plugin's stdout/stderr. This SDK never writes
/// through it (logs go to stderr directly), so the stream stays open and silent.
struct Stdio;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream =
        Pin<Box<dyn tokio_stream::Stream<Item = Result<plugin::StdioData, Status>> + Send>>;

    async fn stream_stdio(
        &self,
        _: Request<plugin::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

async fn run(
    provider: Arc<dyn Provider>,
    config: ServeConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    // Who started us, and the stop signals, before anything can announce us.
    let parent = std::os::unix::process::parent_id();
    let mut termination = Termination::watch();
    // The certificate first: a bad one must not leave a socket behind.
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !config.debug && !pem.trim().is_empty() => Some(tls::auto_tls(&pem)?),
        _ => None,
    };
    let listener = Arc::new(Listener::bind().await?);
    let _socket = listener.socket_file();
    let acceptor = tls
        .as_ref()
        .map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));

    let (tx, rx) = mpsc::channel::<Result<Io, std::io::Error>>(16);
    let accepting = listener.clone();
    tokio::spawn(async move {
        loop {
            let sock = match accepting.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    continue;
                }
            };
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            // Handshake off the accept loop: one slow client must not hold up the next.
            tokio::spawn(async move {
                let io = match acceptor {
                    Some(a) => match a.accept(sock).await {
                        Ok(s) => Io(Box::new(s)),
                        Err(e) => {
                            tracing::warn!("TLS handshake failed: {e}");
                            return;
                        }
                    },
                    None => Io(sock),
                };
                let _ = tx.send(Ok(io)).await;
            });
        }
    });

    let shutdown = Arc::new(Notify::new());
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let provider_service = crate::proto::tfplugin6::provider_server::ProviderServer::new(
        ProviderService::new(provider),
    )
    .max_decoding_message_size(MAX_MESSAGE)
    .max_encoding_message_size(MAX_MESSAGE);
    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(provider_service);
    let server = tokio::spawn(router.serve_with_incoming(ReceiverStream::new(rx)));

    let (network, address) = listener.addr();
    let mut out = std::io::stdout().lock();
    if config.debug {
        let reattach = serde_json::json!({
            config.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": network, "String": address},
            }
        });
        writeln!(
            out,
            "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell that runs it:\n\n\
             \texport TF_REATTACH_PROVIDERS='{reattach}'\n\n\
             Press Ctrl-C to stop the provider."
        )?;
    } else {
        let cert = tls
            .as_ref()
            .map(|t| t.announced_cert.as_str())
            .unwrap_or("");
        writeln!(out, "1|{PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")?;
    }
    out.flush()?;
    drop(out);

    // Terraform interrupts its whole process group on Ctrl-C but stops plugins itself through
    // the controller; only a provider served by hand for a debugger stops on Ctrl-C.
    let ctrl_c = async {
        loop {
            let _ = tokio::signal::ctrl_c().await;
            if config.debug {
                break;
            }
        }
    };
    // A provider served by hand for a debugger outlives the shell that started it on purpose.
    let orphaned = async {
        if config.debug {
            std::future::pending::<()>().await;
        }
        parent_gone(parent).await;
        tracing::warn!("Terraform is gone (parent process exited); stopping");
    };
    tokio::select! {
        _ = shutdown.notified() => {
            // Let the Shutdown response reach Terraform before the process goes.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        _ = ctrl_c => {}
        _ = orphaned => {}
        _ = termination.received() => {}
        r = server => {
            r??;
        }
    }
    Ok(())
}
