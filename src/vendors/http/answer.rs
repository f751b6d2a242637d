//! A successful answer of one call, body included (wiped on drop), and how its body is
//! parsed: errors name serde's category and position, never a value.

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::vendors::error::{Call, Vendor, VendorError};

/// A successful answer; the body is wiped on drop.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Zeroizing<Vec<u8>>,
    pub(super) vendor: Vendor,
    pub(super) call: Call,
}

impl Answer {
    /// Parses the body. Errors carry serde's category and position only, never a value.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, VendorError> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(&e))
    }

    pub fn decode_error(&self, e: &serde_json::Error) -> VendorError {
        VendorError::Decode {
            vendor: self.vendor,
            call: self.call,
            status: self.status,
            detail: format!(
                "{:?} JSON error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ),
        }
    }
}
