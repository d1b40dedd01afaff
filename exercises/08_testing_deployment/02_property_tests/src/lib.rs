//! An order-preserving key encoding, the kind a key-value store (FoundationDB's tuple layer,
//! CockroachDB's keys, an index in an LSM tree) uses so that sorting the bytes sorts the keys.
//! This implementation is correct: your job is the property tests (in `tests/properties.rs`)
//! that would catch it going wrong.
//!
//! A key is a sequence of parts. Keys compare part by part, a shorter key before a longer one
//! that starts with it, an `Int` before any `Str` (the derived `Ord`). The encoding keeps that
//! order: for any keys `a` and `b`, `encode(a).cmp(&encode(b)) == a.cmp(&b)`, and
//! `decode(&encode(k)) == Ok(k)`.
//!
//! Each part is a tag byte and its payload:
//!
//! - `Int(n)`: tag `0x01`, then the number of bytes of `n` without its leading zero bytes
//!   (0 to 8; zero has none), then those bytes, most significant first. A longer number is
//!   a larger one, so the length byte sorts first.
//! - `Str(s)`: tag `0x02`, then the UTF-8 bytes of `s` with each `0x00` written as
//!   `0x00 0xFF`, then the terminator `0x00 0x01`. The terminator sorts before every byte
//!   of a longer string and before an escaped `0x00`, so `"ab" < "ab\0" < "abc"` holds.

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Int(u64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("byte {0}: unknown tag {1:#04x}")]
    UnknownTag(usize, u8),
    #[error("byte {0}: an integer cannot be {1} bytes long")]
    IntTooLong(usize, u8),
    #[error("the key ends inside a part")]
    Truncated,
    #[error("byte {0}: 0x00 followed by {1:#04x} inside a string")]
    BadEscape(usize, u8),
    #[error("a string is not UTF-8")]
    NotUtf8,
}

const INT: u8 = 0x01;
const STR: u8 = 0x02;
const ESCAPE: u8 = 0xFF;
const END: u8 = 0x01;

pub fn encode(key: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in key {
        match part {
            Part::Int(n) => {
                let bytes = n.to_be_bytes();
                let len = 8 - (n.leading_zeros() / 8) as usize;
                out.push(INT);
                out.push(len as u8);
                out.extend_from_slice(&bytes[8 - len..]);
            }
            Part::Str(s) => {
                out.push(STR);
                for &b in s.as_bytes() {
                    out.push(b);
                    if b == 0 {
                        out.push(ESCAPE);
                    }
                }
                out.extend_from_slice(&[0, END]);
            }
        }
    }
    out
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Part>, DecodeError> {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            INT => {
                let len = *bytes.get(i + 1).ok_or(DecodeError::Truncated)?;
                if len > 8 {
                    return Err(DecodeError::IntTooLong(i + 1, len));
                }
                let start = i + 2;
                let end = start + usize::from(len);
                let digits = bytes.get(start..end).ok_or(DecodeError::Truncated)?;
                let mut buf = [0u8; 8];
                buf[8 - digits.len()..].copy_from_slice(digits);
                parts.push(Part::Int(u64::from_be_bytes(buf)));
                i = end;
            }
            STR => {
                let mut s = Vec::new();
                i += 1;
                loop {
                    match *bytes.get(i).ok_or(DecodeError::Truncated)? {
                        0 => match *bytes.get(i + 1).ok_or(DecodeError::Truncated)? {
                            END => break,
                            ESCAPE => s.push(0),
                            other => return Err(DecodeError::BadEscape(i + 1, other)),
                        },
                        b => {
                            s.push(b);
                            i += 1;
                            continue;
                        }
                    }
                    i += 2;
                }
                i += 2;
                parts.push(Part::Str(
                    String::from_utf8(s).map_err(|_| DecodeError::NotUtf8)?,
                ));
            }
            tag => return Err(DecodeError::UnknownTag(i, tag)),
        }
    }
    Ok(parts)
}
