//! Local content opened for sending. Two outputs, both in bounded memory:
//! - a byte stream of known length, for any sink (the upload `PUT`, a multipart part);
//! - the `data:` URL, base64-encoded chunk by chunk straight into a caller's buffer of the
//!   exact encoded size, so the raw file and its encoding are never both in memory.
//!
//! Files are read with positional reads on one open handle: the content is the file that was
//! opened (a rename or a deleted temp file does not matter), and several threads can encode
//! disjoint parts of it at once.

use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::sync::Arc;

use base64_simd::Out;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{Error, Result};

/// Bytes per chunk of an upload stream: large enough for throughput, small enough that the
/// chunks in flight (channel + HTTP buffers) stay a few MiB.
const STREAM_CHUNK: usize = 256 * 1024;
/// Raw bytes encoded per read: a multiple of 3, so chunks encode without padding in between,
/// and small enough that the read buffer and the output chunk stay in cache (measured: 192 KiB
/// is a few percent faster than 768 KiB or 3 MiB).
const ENCODE_CHUNK: usize = 3 * 64 * 1024;
/// Below this, one thread encodes faster than starting more.
const MIN_PARALLEL_PART: u64 = 8 << 20;
const MAX_ENCODE_THREADS: usize = 4;

#[derive(Clone)]
pub(crate) enum Local {
    File(Arc<std::fs::File>),
    Bytes(Bytes),
}

/// A file ready to send: its final name, MIME type and length, and its content.
#[derive(Clone)]
pub struct Opened {
    pub name: String,
    pub mime_type: String,
    pub len: u64,
    local: Local,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("name", &self.name)
            .field("mime_type", &self.mime_type)
            .field("len", &self.len)
            .finish()
    }
}

/// Length of the padded base64 encoding of `n` bytes.
pub fn encoded_len(n: u64) -> Option<u64> {
    n.div_ceil(3).checked_mul(4)
}

impl Opened {
    pub(crate) fn new(name: String, mime_type: String, len: u64, local: Local) -> Self {
        Opened {
            name,
            mime_type,
            len,
            local,
        }
    }

    pub fn data_url_prefix(&self) -> String {
        format!("data:{};base64,", self.mime_type)
    }

    /// Exact length of [`write_data_url`](Self::write_data_url)'s output.
    pub fn data_url_len(&self) -> Result<usize> {
        encoded_len(self.len)
            .and_then(|n| n.checked_add(self.data_url_prefix().len() as u64))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "{} ({} bytes) is too large to inline on this platform; use upload=\"vault\".",
                    self.name, self.len
                ))
            })
    }

    /// Writes `data:<mime>;base64,<content>` into `out`, which must be exactly
    /// [`data_url_len`](Self::data_url_len) long. Blocking (reads the file); large files are
    /// encoded by several threads, each into its own part of `out`.
    pub fn write_data_url(&self, out: &mut [u8]) -> Result<()> {
        // SAFETY: `u8` and `MaybeUninit<u8>` have the same layout, and the callee only ever
        // writes initialized bytes, so `out` stays initialized.
        let out = unsafe { &mut *(out as *mut [u8] as *mut [MaybeUninit<u8>]) };
        self.write_data_url_uninit(out)
    }

    /// Like [`write_data_url`](Self::write_data_url) into memory that is not initialized yet
    /// (a fresh Python object): the encoder writes every byte once, with no zeroing pass, and
    /// each thread's writes take the first-touch page faults of its own part in parallel.
    pub fn write_data_url_uninit(&self, out: &mut [MaybeUninit<u8>]) -> Result<()> {
        let prefix = self.data_url_prefix();
        if out.len() != self.data_url_len()? {
            return Err(Error::InvalidRequest(
                "data URL buffer has the wrong size (a tela_sdk bug: please report it)".into(),
            ));
        }
        let (head, body) = out.split_at_mut(prefix.len());
        for (slot, b) in head.iter_mut().zip(prefix.bytes()) {
            slot.write(b);
        }
        self.encode_into(body).map_err(|e| {
            Error::InvalidRequest(format!("cannot read {} to inline it: {e}.", self.name))
        })
    }

    fn encode_into(&self, out: &mut [MaybeUninit<u8>]) -> io::Result<()> {
        let len = self.len;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let parts = (len / MIN_PARALLEL_PART).clamp(1, threads.min(MAX_ENCODE_THREADS) as u64);
        // Raw bytes per part, a multiple of 3 so only the last part can end with padding.
        let per = len.div_ceil(parts).div_ceil(3) * 3;
        let mut jobs = Vec::with_capacity(parts as usize);
        let mut rest = out;
        let mut start = 0u64;
        while start < len {
            let end = (start + per).min(len);
            let n = encoded_len(end - start).unwrap_or(u64::MAX) as usize;
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(n);
            jobs.push((start, end, mine));
            rest = tail;
            start = end;
        }
        let run =
            |(s, e, o): (u64, u64, &mut [MaybeUninit<u8>])| encode_range(&self.local, s, e, o);
        if jobs.len() <= 1 {
            return jobs.into_iter().try_for_each(run);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|job| scope.spawn(move || run(job)))
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("an encoding thread panicked")))
            })
        })
    }

    /// The content as a stream of chunks that ends after exactly `len` bytes. Files are read on
    /// a blocking thread a couple of chunks ahead of the consumer, never further.
    pub fn stream(&self) -> BoxStream<'static, io::Result<Bytes>> {
        match &self.local {
            Local::Bytes(b) => {
                let chunks: Vec<io::Result<Bytes>> = (0..b.len())
                    .step_by(STREAM_CHUNK)
                    .map(|i| Ok(b.slice(i..(i + STREAM_CHUNK).min(b.len()))))
                    .collect();
                futures::stream::iter(chunks).boxed()
            }
            Local::File(f) => {
                let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(2);
                let start = Some((f.clone(), self.len, tx));
                futures::stream::unfold((rx, start), |(mut rx, mut start)| async move {
                    // Started on first poll, so a stream that is never read costs nothing.
                    if let Some((f, len, tx)) = start.take() {
                        tokio::task::spawn_blocking(move || pump(&f, len, &tx));
                    }
                    rx.recv().await.map(|item| (item, (rx, None)))
                })
                .boxed()
            }
        }
    }

    /// A request body of known length (set `Content-Length` to [`len`](Self::len)).
    pub fn body(&self) -> reqwest::Body {
        match &self.local {
            Local::Bytes(b) => reqwest::Body::from(b.clone()),
            Local::File(_) => reqwest::Body::wrap_stream(self.stream()),
        }
    }

    /// A multipart part carrying this file, streamed with its length, name and MIME type.
    pub fn multipart_part(&self) -> Result<reqwest::multipart::Part> {
        reqwest::multipart::Part::stream_with_length(self.body(), self.len)
            .file_name(self.name.clone())
            .mime_str(&self.mime_type)
            .map_err(|e| Error::InvalidRequest(format!("mime_type {:?}: {e}", self.mime_type)))
    }
}

/// Encodes raw bytes `start..end` into `out`, one chunk at a time (SIMD, straight into the
/// uninitialized output: no zeroing, no intermediate buffer).
fn encode_range(
    local: &Local,
    start: u64,
    end: u64,
    out: &mut [MaybeUninit<u8>],
) -> io::Result<()> {
    let mut buf = match local {
        Local::File(_) => vec![0u8; ENCODE_CHUNK.min((end - start) as usize)],
        Local::Bytes(_) => Vec::new(),
    };
    let (mut pos, mut written) = (start, 0usize);
    while pos < end {
        let n = ENCODE_CHUNK.min((end - pos) as usize);
        let input = match local {
            Local::Bytes(b) => &b[pos as usize..pos as usize + n],
            Local::File(f) => {
                read_exact_at(f, &mut buf[..n], pos)?;
                &buf[..n]
            }
        };
        let m = encoded_len(n as u64).unwrap_or(u64::MAX) as usize;
        let dst = out
            .get_mut(written..written + m)
            .ok_or_else(|| io::Error::other("base64 output buffer too small"))?;
        // `encode` checks that `dst` has room (it panics otherwise) and writes exactly `m` bytes.
        let encoded = base64_simd::STANDARD.encode(input, Out::from_uninit_slice(dst));
        debug_assert_eq!(encoded.len(), m);
        written += m;
        pos += n as u64;
    }
    Ok(())
}

/// Reads `len` bytes in chunks into `tx`; stops early when the receiver is gone.
fn pump(f: &std::fs::File, len: u64, tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>) {
    let mut pos = 0u64;
    while pos < len {
        let n = STREAM_CHUNK.min((len - pos) as usize);
        let mut buf = vec![0u8; n];
        let item = read_exact_at(f, &mut buf, pos).map(|()| Bytes::from(buf));
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
        pos += n as u64;
    }
}

/// Fills `buf` from `offset` on; a file that ends first is an error (it shrank since its
/// length was read).
pub(crate) fn read_exact_at(
    f: &std::fs::File,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(f, buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file became shorter while it was being read",
                ));
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, offset)
}

#[cfg(windows)]
fn read_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileSource;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn temp_file(data: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("tela-local-{}.bin", fastrand::u64(..)));
        std::fs::write(&p, data).unwrap();
        p
    }

    fn data_url(o: &Opened) -> String {
        let mut out = vec![0u8; o.data_url_len().unwrap()];
        o.write_data_url(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn data_url_matches_one_shot_base64_for_every_tail_length() {
        for n in [
            1usize,
            2,
            3,
            4,
            5,
            ENCODE_CHUNK - 1,
            ENCODE_CHUNK,
            ENCODE_CHUNK + 1,
        ] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let expect = format!(
                "data:application/octet-stream;base64,{}",
                STANDARD.encode(&data)
            );
            let path = temp_file(&data);
            let from_file = FileSource::from_path(path.clone())
                .unwrap()
                .with_name(Some("x.bin".into()))
                .unwrap()
                .open()
                .unwrap();
            assert_eq!(data_url(&from_file), expect, "file of {n} bytes");
            let from_bytes = FileSource::from_bytes(Bytes::from(data))
                .unwrap()
                .with_mime_type(Some("application/octet-stream".into()))
                .unwrap()
                .open()
                .unwrap();
            assert_eq!(data_url(&from_bytes), expect, "bytes of {n}");
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn parallel_parts_join_seamlessly() {
        // Several parts (MIN_PARALLEL_PART each) with a length that is not a multiple of 3.
        let n = (MIN_PARALLEL_PART * 3 + 2) as usize;
        let data: Vec<u8> = (0..n).map(|i| (i % 253) as u8).collect();
        let path = temp_file(&data);
        let o = FileSource::from_path(path.clone())
            .unwrap()
            .with_mime_type(Some("application/pdf".into()))
            .unwrap()
            .open()
            .unwrap();
        let url = data_url(&o);
        assert_eq!(
            url,
            format!("data:application/pdf;base64,{}", STANDARD.encode(&data))
        );
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn stream_yields_exactly_the_content() {
        let data: Vec<u8> = (0..(STREAM_CHUNK * 2 + 17)).map(|i| i as u8).collect();
        let path = temp_file(&data);
        let o = FileSource::from_path(path.clone()).unwrap().open().unwrap();
        let chunks: Vec<Bytes> = o.stream().map(|c| c.unwrap()).collect().await;
        assert!(chunks.iter().all(|c| c.len() <= STREAM_CHUNK));
        assert_eq!(chunks.concat(), data);
        // Truncating the file mid-way surfaces as an error, not a short body.
        std::fs::write(&path, &data[..10]).unwrap();
        let results: Vec<io::Result<Bytes>> = o.stream().collect().await;
        assert!(results.last().unwrap().is_err());
        std::fs::remove_file(path).unwrap();
        let b = FileSource::from_bytes(Bytes::from(data.clone()))
            .unwrap()
            .open()
            .unwrap();
        let chunks: Vec<Bytes> = b.stream().map(|c| c.unwrap()).collect().await;
        assert_eq!(chunks.concat(), data);
    }
}
