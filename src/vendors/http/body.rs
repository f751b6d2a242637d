//! Reading an answer's body with a ceiling. No real answer of these APIs comes near it
//! (Heroku caps an app's config vars at 32 KB, a page of 1000 authorizations is about
//! 1 MB), so a bigger one is a vendor or proxy misbehaving: the call fails at once instead
//! of growing keyturn's memory with it. A `Content-Length` over the limit fails before a
//! byte is read; a body without one (chunked, endless) fails as soon as it passes it.

use zeroize::Zeroizing;

/// The default ceiling of an answer: 4 MiB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a body was not read.
pub(crate) enum BodyError {
    Transport(reqwest::Error),
    /// Over `limit`; `declared` is the `Content-Length` when the answer sent one.
    TooLarge {
        declared: Option<u64>,
    },
}

/// Reads the body chunk by chunk into a zeroizing buffer, at most `limit` bytes.
pub(crate) async fn read(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Zeroizing<Vec<u8>>, BodyError> {
    let declared = response.content_length();
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    if declared.is_some_and(|n| n > limit_u64) {
        return Err(BodyError::TooLarge { declared });
    }
    let reserve = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    // Reserved up front when the length is known: growing would leave unwiped copies.
    let mut body = Zeroizing::new(Vec::with_capacity(reserve));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { declared });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `bytes` for people: `4 MiB`, `512 KiB`, `12 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{}.{} MiB", b / MIB, (b % MIB) * 10 / MIB),
        b if b >= KIB => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}
