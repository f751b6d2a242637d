//! Finding this probe's line in a job log. GitHub logs prefix every line with a timestamp
//! and echo the step's script (whose `printf` format also reads `keyturn-probe nonce=`), so
//! a line counts only when it has exactly the three fields and *this* nonce: an old run's
//! line, or one a script printed for another nonce, is never taken for this probe.

use crate::probe_workflow::{EMPTY_FP, LINE_PREFIX, NO_ACCOUNT};

/// What the probe line said about the value the secret holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeLine {
    /// The first 8 bytes of HMAC-SHA-256(nonce, value); `None` when the secret is empty.
    pub fp: Option<[u8; 8]>,
    /// `GET /account`'s status with the value; `None` when it was not asked (empty
    /// secret). `0` is curl's `000`: no answer.
    pub account: Option<u16>,
}

/// The outcome of searching a log for one nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Line(ProbeLine),
    /// A line carries this nonce but its fields do not parse.
    Malformed,
    /// No line for this nonce; `others` lines carry other nonces.
    Missing {
        others: usize,
    },
}

/// Searches `log` for the line of `nonce`.
pub fn find(log: &str, nonce: &str) -> Found {
    let mut others = 0;
    let mut malformed = false;
    for fields in log.lines().filter_map(fields) {
        match fields {
            [n, fp, account] if n == nonce => match parse(fp, account) {
                Some(line) => return Found::Line(line),
                None => malformed = true,
            },
            [n, ..] if is_nonce(n) => others += 1,
            _ => {}
        }
    }
    if malformed {
        Found::Malformed
    } else {
        Found::Missing { others }
    }
}

/// The values after `nonce=`, `fp=` and `account=` of a probe line, in that order.
fn fields(line: &str) -> Option<[&str; 3]> {
    let start = line.find(&format!("{LINE_PREFIX} nonce="))?;
    let rest = line.get(start + LINE_PREFIX.len()..)?;
    let mut words = rest.split_whitespace();
    let mut take = |key: &str| words.next()?.strip_prefix(key);
    let found = [take("nonce=")?, take("fp=")?, take("account=")?];
    words.next().is_none().then_some(found)
}

/// A nonce as keyturn makes them: 32 lowercase hex digits.
pub fn is_nonce(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn parse(fp: &str, account: &str) -> Option<ProbeLine> {
    if fp == EMPTY_FP {
        return (account == NO_ACCOUNT).then_some(ProbeLine {
            fp: None,
            account: None,
        });
    }
    let status = account.parse::<u16>().ok().filter(|_| account.len() == 3)?;
    Some(ProbeLine {
        fp: Some(hex8(fp)?),
        account: Some(status),
    })
}

fn hex8(text: &str) -> Option<[u8; 8]> {
    if text.len() != 16 {
        return None;
    }
    let mut bytes = [0u8; 8];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "0123456789abcdef0123456789abcdef";
    const OLD: &str = "ffffffffffffffffffffffffffffffff";

    fn log(lines: &[&str]) -> String {
        let stamped: Vec<String> = lines
            .iter()
            .map(|l| format!("2026-11-24T20:00:00.1234567Z {l}"))
            .collect();
        stamped.join("\n") + "\n"
    }

    #[test]
    fn takes_only_this_nonce() {
        let text = log(&[
            "printf 'keyturn-probe nonce=%s fp=%s account=%s\\n' \"$NONCE\" \"$fp\" \"${account:-000}\"",
            &format!("keyturn-probe nonce={OLD} fp=0000000000000000 account=401"),
            &format!("keyturn-probe nonce={NONCE} fp=91cf6821233cd16a account=200"),
        ]);
        let line = ProbeLine {
            fp: Some([0x91, 0xcf, 0x68, 0x21, 0x23, 0x3c, 0xd1, 0x6a]),
            account: Some(200),
        };
        assert_eq!(find(&text, NONCE), Found::Line(line));
        let only_old = log(&[&format!(
            "keyturn-probe nonce={OLD} fp=91cf6821233cd16a account=200"
        )]);
        assert_eq!(find(&only_old, NONCE), Found::Missing { others: 1 });
    }

    #[test]
    fn empty_secret_and_malformed_lines() {
        let empty = log(&[&format!(
            "keyturn-probe nonce={NONCE} fp=empty account=none"
        )]);
        let line = ProbeLine {
            fp: None,
            account: None,
        };
        assert_eq!(find(&empty, NONCE), Found::Line(line));
        for bad in [
            format!("keyturn-probe nonce={NONCE} fp=91cf account=200"),
            format!("keyturn-probe nonce={NONCE} fp=91cf6821233cd16a account=2000"),
            format!("keyturn-probe nonce={NONCE} fp=empty account=200"),
        ] {
            assert_eq!(find(&log(&[&bad]), NONCE), Found::Malformed, "{bad}");
        }
        let extra = format!("keyturn-probe nonce={NONCE} fp=91cf6821233cd16a account=200 x=1");
        assert_eq!(find(&log(&[&extra]), NONCE), Found::Missing { others: 0 });
    }
}
