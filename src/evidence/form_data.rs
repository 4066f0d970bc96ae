//! A `multipart/form-data` body (RFC 7578) read as it arrives. A part's bytes are handed on as
//! slices of the network's chunks, never copied into a buffer of their own, and the boundary is
//! found with one substring search a chunk: a 12 MP photo goes from the socket to its spool
//! with one copy. The photo upload and the console's proof form read their forms with it.

use std::collections::VecDeque;
use std::task::{Context, Poll, ready};

use actix_web::HttpMessage;
use actix_web::http::header::{ContentDisposition, HeaderValue};
use actix_web::web::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, stream};
use memchr::memmem;

use crate::error::ApiError;

/// The most a part's headers may take.
const MAX_HEAD: usize = 8 * 1024;
/// The most that may come before the first part, or be left unread of a part that is skipped.
const MAX_SKIPPED: usize = 64 * 1024;
/// The most parts a form may have.
const MAX_PARTS: usize = 64;

/// One part's name, and its file name and type when it is a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

/// A 400 `malformed_multipart`.
pub fn malformed(detail: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest {
        code: "malformed_multipart",
        detail: detail.to_string(),
    }
}

/// Where the reader is in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In a part's body; before the first delimiter, in the preamble, whose bytes are dropped.
    Body { preamble: bool },
    /// Just after a delimiter: a part's headers follow, or `--`, which ends the form.
    Head,
    /// Past the closing delimiter.
    End,
}

/// A form being read from `body`, a stream of the request's chunks.
pub struct FormData<S> {
    body: S,
    /// `\r\n--boundary`, which ends every part.
    finder: memmem::Finder<'static>,
    place: Place,
    /// In a body, its last bytes that may begin a delimiter; in a head, the head so far.
    carry: BytesMut,
    /// Input not yet looked at, after a delimiter.
    pending: Bytes,
    /// The current part's bytes, found and not yet taken.
    ready: VecDeque<Bytes>,
    parts: usize,
    /// Bytes dropped in the preamble.
    skipped: usize,
    /// How much of the head has been searched for its end, so each chunk is searched once.
    head_searched: usize,
}

impl FormData<actix_web::web::Payload> {
    /// The form of a request whose type is `multipart/form-data` (check that first: this only
    /// needs its boundary).
    pub fn of(
        req: &actix_web::HttpRequest,
        body: actix_web::web::Payload,
    ) -> Result<Self, ApiError> {
        let mime = req
            .mime_type()
            .map_err(|_| malformed("the content type cannot be read"))?;
        let boundary = mime
            .as_ref()
            .and_then(|m| m.get_param(actix_web::mime::BOUNDARY))
            .ok_or_else(|| malformed("the content type names no boundary"))?;
        FormData::new(boundary.as_str(), body)
    }
}

impl<S, E> FormData<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    pub fn new(boundary: &str, body: S) -> Result<Self, ApiError> {
        // RFC 2046: 1 to 70 characters.
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(malformed("the boundary must have 1 to 70 characters"));
        }
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        Ok(FormData {
            body,
            finder: memmem::Finder::new(&delimiter).into_owned(),
            place: Place::Body { preamble: true },
            // The first delimiter has no line break before it: as if the preamble ended in one.
            carry: BytesMut::from(&b"\r\n"[..]),
            pending: Bytes::new(),
            ready: VecDeque::new(),
            parts: 0,
            skipped: 0,
            head_searched: 0,
        })
    }

    /// The next part, past whatever is left of the current one; `None` after the last.
    pub async fn next_field(&mut self) -> Result<Option<Field>, ApiError> {
        let mut left_unread = self.drop_ready();
        loop {
            match self.place {
                Place::End => return Ok(None),
                Place::Body { .. } => {
                    if left_unread > MAX_SKIPPED {
                        return Err(malformed("a part was left unread"));
                    }
                    let chunk = self.next_chunk().await?;
                    self.take_body(chunk)?;
                    left_unread += self.drop_ready();
                }
                Place::Head => {
                    if let Some(field) = self.take_head()? {
                        return Ok(Some(field));
                    }
                    if self.place == Place::Head {
                        // The head so far is unfinished; the chunk may hold a body after it.
                        if self.carry.len() + self.pending.len() > MAX_HEAD + 4 {
                            return Err(malformed("a part's headers are too long"));
                        }
                        let chunk = self.next_chunk().await?;
                        self.carry
                            .extend_from_slice(&std::mem::take(&mut self.pending));
                        self.carry.extend_from_slice(&chunk);
                    }
                }
            }
        }
    }

    /// Drops what was found of the current part and not taken; how much it was.
    fn drop_ready(&mut self) -> usize {
        self.ready.drain(..).map(|piece| piece.len()).sum()
    }

    /// The current part's bytes as they arrive.
    pub fn chunks(&mut self) -> impl Stream<Item = Result<Bytes, ApiError>> + Unpin + '_ {
        stream::poll_fn(move |cx| self.poll_body(cx))
    }

    /// The current part as text of at most `limit` bytes.
    pub async fn text(&mut self, name: &str, limit: usize) -> Result<String, ApiError> {
        let mut text = Vec::new();
        let mut chunks = self.chunks();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if text.len() + chunk.len() > limit {
                return Err(ApiError::validation(name, "is too long"));
            }
            text.extend_from_slice(&chunk);
        }
        String::from_utf8(text).map_err(|_| ApiError::validation(name, "is not UTF-8 text"))
    }

    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ApiError>>> {
        loop {
            if let Some(piece) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(piece)));
            }
            if !matches!(self.place, Place::Body { preamble: false }) {
                return Poll::Ready(None);
            }
            let chunk = match ready!(self.body.poll_next_unpin(cx)) {
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => return Poll::Ready(Some(Err(malformed(e)))),
                None => return Poll::Ready(Some(Err(ended_early()))),
            };
            if let Err(e) = self.take_body(chunk) {
                return Poll::Ready(Some(Err(e)));
            }
        }
    }

    async fn next_chunk(&mut self) -> Result<Bytes, ApiError> {
        match self.body.next().await {
            Some(Ok(chunk)) => Ok(chunk),
            Some(Err(e)) => Err(malformed(e)),
            None => Err(ended_early()),
        }
    }

    /// Takes a chunk of a body: its bytes up to a delimiter go to `ready` (slices of `chunk`,
    /// but for a few carried over), what follows the delimiter to `pending`.
    fn take_body(&mut self, chunk: Bytes) -> Result<(), ApiError> {
        let Place::Body { preamble } = self.place else {
            unreachable!("only a body takes body bytes");
        };
        let delimiter = self.finder.needle().len();
        let mut found = None;
        if !self.carry.is_empty() {
            // A delimiter that began in the carried bytes ends within the chunk's first
            // `delimiter - 1` bytes, so this small join finds it.
            let head = &chunk[..chunk.len().min(delimiter - 1)];
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(head);
            let carried = joined.len() - head.len();
            if let Some(at) = self.finder.find(&joined) {
                self.hand_on(preamble, joined.split_to(at).freeze())?;
                found = Some(chunk.slice(at + delimiter - carried..));
            } else if head.len() == chunk.len() {
                // The whole chunk was joined: keep carrying its possible start of a delimiter.
                let keep = joined.len().min(delimiter - 1);
                let carry = joined.split_off(joined.len() - keep);
                self.hand_on(preamble, joined.freeze())?;
                self.carry = carry;
                return Ok(());
            } else {
                joined.truncate(carried);
                self.hand_on(preamble, joined.freeze())?;
            }
        }
        let rest = match found {
            Some(rest) => rest,
            None => match self.finder.find(&chunk) {
                Some(at) => {
                    self.hand_on(preamble, chunk.slice(..at))?;
                    chunk.slice(at + delimiter..)
                }
                None => {
                    let keep = chunk.len().min(delimiter - 1);
                    self.carry.extend_from_slice(&chunk[chunk.len() - keep..]);
                    return self.hand_on(preamble, chunk.slice(..chunk.len() - keep));
                }
            },
        };
        self.place = Place::Head;
        self.head_searched = 0;
        self.pending = rest;
        Ok(())
    }

    fn hand_on(&mut self, preamble: bool, piece: Bytes) -> Result<(), ApiError> {
        if preamble {
            self.skipped += piece.len();
            if self.skipped > MAX_SKIPPED {
                return Err(malformed("no boundary where the form should begin"));
            }
        } else if !piece.is_empty() {
            self.ready.push_back(piece);
        }
        Ok(())
    }

    /// Reads the headers after a delimiter if they have all come: then the part begins.
    fn take_head(&mut self) -> Result<Option<Field>, ApiError> {
        let input: &[u8] = if self.carry.is_empty() {
            &self.pending
        } else {
            self.carry
                .extend_from_slice(&std::mem::take(&mut self.pending));
            &self.carry
        };
        if input.len() < 2 {
            return Ok(None);
        }
        if input.starts_with(b"--") {
            self.place = Place::End;
            return Ok(None);
        }
        // Transport padding (spaces and tabs) may come before the line break.
        let padding = input
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        match &input[padding..] {
            [b'\r', b'\n', ..] => {}
            [] | [b'\r'] => return Ok(None),
            _ => return Err(malformed("a boundary is followed by something else")),
        }
        let start = padding + 2;
        // The head ends at an empty line; parsed only once that has come.
        let from = self.head_searched.saturating_sub(3).max(padding);
        match memmem::find(&input[from..], b"\r\n\r\n") {
            Some(at) if from + at <= MAX_HEAD => {}
            Some(_) => return Err(malformed("a part's headers are too long")),
            None if input.len() > MAX_HEAD => {
                return Err(malformed("a part's headers are too long"));
            }
            None => {
                self.head_searched = input.len();
                return Ok(None);
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let (length, field) = match httparse::parse_headers(&input[start..], &mut headers) {
            Ok(httparse::Status::Complete((length, headers))) => (length, field_of(headers)?),
            Ok(httparse::Status::Partial) => {
                return Err(malformed("a part's headers do not end"));
            }
            Err(e) => return Err(malformed(format!("a part's headers: {e}"))),
        };
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(malformed(format!("more than {MAX_PARTS} parts")));
        }
        let body = if self.carry.is_empty() {
            std::mem::take(&mut self.pending).slice(start + length..)
        } else {
            let mut carry = std::mem::take(&mut self.carry);
            carry.split_off(start + length).freeze()
        };
        self.place = Place::Body { preamble: false };
        self.take_body(body)?;
        Ok(Some(field))
    }
}

fn ended_early() -> ApiError {
    malformed("the form ends before its closing boundary")
}

/// The part's name and file from its `Content-Disposition: form-data` header.
fn field_of(headers: &[httparse::Header<'_>]) -> Result<Field, ApiError> {
    let value = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let disposition = value("content-disposition")
        .and_then(|v| HeaderValue::from_bytes(v).ok())
        .and_then(|v| ContentDisposition::from_raw(&v).ok())
        .filter(|d| d.is_form_data())
        .ok_or_else(|| malformed("a part has no Content-Disposition: form-data"))?;
    let name = disposition
        .get_name()
        .ok_or_else(|| malformed("a part has no name"))?
        .to_owned();
    let content_type = value("content-type")
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(|v| v.trim().to_owned());
    Ok(Field {
        name,
        file_name: disposition.get_filename().map(str::to_owned),
        content_type,
    })
}

#[cfg(test)]
#[path = "form_data_tests.rs"]
mod tests;
