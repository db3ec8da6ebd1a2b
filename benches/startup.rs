//! `cargo bench --bench startup`: how long Terraform waits for the provider: from spawning the
//! binary to the answer of GetProviderSchema (handshake line, connect, one RPC), median of runs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;
use tfplug::proto::tfplugin6::get_provider_schema;
use tfplug::proto::tfplugin6::provider_client::ProviderClient;

fn main() {
    let exe = env!("CARGO_BIN_EXE_terraform-provider-ipam");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut times = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let mut child = Command::new(exe)
            .env(tfplug::MAGIC_COOKIE_KEY, tfplug::MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let path = line.split('|').nth(3).unwrap().to_string();
        let resources = rt.block_on(async move {
            let channel = tonic::transport::Endpoint::try_from("http://[::]:0")
                .unwrap()
                .connect_with_connector(tower::service_fn(move |_| {
                    let path = path.clone();
                    async move {
                        Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                            tokio::net::UnixStream::connect(path).await?,
                        ))
                    }
                }))
                .await
                .unwrap();
            let mut client = ProviderClient::new(channel).max_decoding_message_size(256 << 20);
            let r = client
                .get_provider_schema(get_provider_schema::Request {})
                .await
                .unwrap();
            r.into_inner().resource_schemas.len()
        });
        times.push(t0.elapsed().as_secs_f64() * 1e3);
        assert_eq!(resources, 5);
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("{:<52} {:>10} {:>8}", "measure", "ms", "goal");
    println!(
        "{:<52} {:>10.2} {:>8}",
        "spawn to GetProviderSchema answer, median of 30", median, "< 50"
    );
    println!("{:<52} {:>10.2} {:>8}", "  fastest", times[0], "");
    println!(
        "{:<52} {:>10.2} {:>8}",
        "  slowest",
        times[times.len() - 1],
        ""
    );
    println!(
        "{}",
        serde_json::json!({ "startup_schema_ms": (median * 100.0).round() / 100.0 })
    );
}
