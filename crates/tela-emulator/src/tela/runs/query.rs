//! The query of `GET /v1/completion-run` (protocol.md §4.2): its filters, its `limit`, and
//! where a page starts.
//!
//! Paging is undocumented; the emulator's choice is a keyset cursor: the answer is
//! `{"data": [...], "hasMore": bool, "nextCursor": str|null}` and the next page is asked with
//! `?cursor=<nextCursor>`. The cursor encodes the last row's (updatedAt, id), so runs added
//! meanwhile never shift a page.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A checked `GET /v1/completion-run` query.
#[derive(Debug)]
pub(crate) struct ListQuery {
    /// Clamped to 1..100; 10 when absent.
    pub limit: usize,
    pub cursor: Option<Cursor>,
    pub filter: Filter,
}

impl ListQuery {
    /// The query, or the message of a 400.
    pub(crate) fn parse(query: &BTreeMap<String, String>) -> Result<ListQuery, &'static str> {
        let limit = match query.get("limit").map(|l| l.trim().parse::<i64>()) {
            None => 10,
            Some(Ok(n)) => usize::try_from(n.clamp(1, 100)).unwrap_or(10),
            Some(Err(_)) => return Err("limit must be an integer"),
        };
        let cursor = match query.get("cursor").map(|c| Cursor::decode(c)) {
            None => None,
            Some(Some(c)) => Some(c),
            Some(None) => return Err("cursor is not a cursor this API returned"),
        };
        let filter = Filter {
            canvas_id: query.get("promptId").cloned(),
            version_id: query.get("promptVersionId").cloned(),
            application_id: query.get("promptApplicationId").cloned(),
        };
        Ok(ListQuery {
            limit,
            cursor,
            filter,
        })
    }
}

/// The list filters (protocol.md §4.2 `promptId`, `promptVersionId`, `promptApplicationId`).
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub canvas_id: Option<String>,
    pub version_id: Option<String>,
    pub application_id: Option<String>,
}

/// Where a page ends: the last row's sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub updated_ms: u64,
    pub id: String,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.updated_ms, self.id))
    }

    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (ms, id) = raw.split_once(':')?;
        Some(Cursor {
            updated_ms: ms.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_cursors_do_not_decode() {
        for bad in ["", "!!", "bm9jb2xvbg", &URL_SAFE_NO_PAD.encode("x:id")] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
