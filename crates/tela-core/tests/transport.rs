//! The transport reading a body whose first read is exactly half of it (issue 22 item 2),
//! over real TCP against a server that writes the exact bytes, in two reads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tela_core::api::{self, Args};
use tela_core::config::Api;
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput, Error};

/// Generous for a loaded machine; only reached when the transport is broken.
const DEADLINE: Duration = Duration::from_secs(30);

/// A completion of exactly `size` bytes (even).
fn body(size: usize) -> Vec<u8> {
    let empty = json!({"id": "", "choices": []}).to_string().len();
    let body = json!({"id": "x".repeat(size - empty), "choices": []}).to_string();
    assert_eq!(body.len(), size);
    body.into_bytes()
}

fn read_request(sock: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).unwrap();
        assert!(n > 0, "the client closed before sending its request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < end + 4 + length {
                let n = sock.read(&mut chunk).unwrap();
                assert!(n > 0);
                buf.extend_from_slice(&chunk[..n]);
            }
            return;
        }
    }
}

/// Bytes the client has not read yet from its end of `sock` (same process, loopback): the
/// receive queue in /proc/net/tcp.
fn unread_by_client(sock: &TcpStream) -> Option<u64> {
    let port = sock.peer_addr().unwrap().port();
    let local = format!("0100007F:{port:04X}");
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields[1] == local).then(|| u64::from_str_radix(fields[4].split(':').nth(1)?, 16).ok())?
    })
}

/// Serves one request: the head and the first half in one write, then (once the client has
/// read them) the second half, or nothing when `cut`.
fn serve_in_halves(body: Vec<u8>, cut: bool) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        read_request(&mut sock);
        let half = body.len() / 2;
        let mut first = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        first.extend_from_slice(&body[..half]);
        sock.write_all(&first).unwrap();
        let end = Instant::now() + DEADLINE;
        while unread_by_client(&sock) != Some(0) {
            assert!(Instant::now() < end, "the client never read the first half");
            std::thread::sleep(Duration::from_millis(1));
        }
        if cut {
            let _ = sock.shutdown(std::net::Shutdown::Both);
            return;
        }
        // The bytes written are delivered before the close that follows.
        sock.write_all(&body[half..]).unwrap();
    });
    (url, server)
}

fn client(url: String) -> Client {
    let input = ConfigInput {
        api_key: Some("test-key".into()),
        base_url: Some(url),
        max_retries: Some(0),
        ..Default::default()
    };
    Client::new(ClientConfig::resolve_with(Api::Tela, input, |_| None).unwrap()).unwrap()
}

async fn create(client: &Client) -> tela_core::Result<Vec<u8>> {
    let mut body = Map::new();
    body.insert("canvas_id".into(), Value::from("c"));
    let args = Args {
        body,
        ..Default::default()
    };
    let resp = api::call(client, "completions.create", args, &CallOptions::default()).await?;
    Ok(resp.body.to_vec())
}

fn has_proc_net() -> bool {
    std::path::Path::new("/proc/net/tcp").exists()
}

#[tokio::test]
async fn a_body_read_in_two_halves_is_read_whole() {
    if !has_proc_net() {
        return;
    }
    for size in [32, 200, 2_000, 8_000] {
        let expected = body(size);
        let (url, server) = serve_in_halves(expected.clone(), false);
        let got = create(&client(url)).await.unwrap();
        assert_eq!(got, expected, "body of {size} bytes");
        server.join().unwrap();
    }
}

#[tokio::test]
async fn a_body_cut_at_the_halfway_point_is_a_connection_error() {
    if !has_proc_net() {
        return;
    }
    for size in [32, 2_000] {
        let (url, server) = serve_in_halves(body(size), true);
        let err = create(&client(url)).await.unwrap_err();
        assert!(
            matches!(err, Error::Connection { .. }),
            "body of {size} bytes: {err:?}"
        );
        server.join().unwrap();
    }
}
