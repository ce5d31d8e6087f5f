//! Files, whatever API they go to: every way a user holds one (URL, path, bytes), checked
//! when the `File` is built and read in bounded memory. Where they are sent is the API's
//! business: `tela::files` (inline `data:` URL or the vault), `dify::upload` (multipart),
//! `dify::file_ref` (references to web URLs).
//!
//! - [`source`]: what the user passed, checked when the `File` is built.
//! - [`sniff`]: names and MIME types for files given without them, and the check of a given
//!   MIME type.
//! - `data_url`: parsing and decoding `data:` URLs.
//! - [`local`]: opened local content: a stream of known length for any sink (a request body,
//!   a multipart part), and the `data:` URL encoded chunk by chunk into a caller's buffer.
//!
//! The modules depend one way: `source` uses the other three, `data_url` uses `sniff`.

mod data_url;
pub mod local;
pub mod sniff;
pub mod source;

pub use local::Opened;
pub use source::{Content, Description, FileOptions, FileSource, UploadMode};

use crate::error::{Error, Result};

/// The key of the placeholder object the binding puts where a file was: `{"$tela_file": i}`
/// stands for the i-th file of the call.
pub const PLACEHOLDER_KEY: &str = "$tela_file";

/// Runs blocking file work (reads, encoding) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Error::Cancelled(if e.is_panic() {
            "internal error while reading files (a panic); please report it".into()
        } else {
            "reading the files was cancelled".into()
        }))
    })
}
