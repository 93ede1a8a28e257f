//! Identifiers handed to appellants: the tracking number (受理编号) and the access code.

use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use std::fmt;
use std::str::FromStr;

/// China Standard Time: tracking numbers carry the local date of filing.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// `AS` + local date (8 digits) + 8 random digits, e.g. `AS2026112204718263`.
///
/// The random part keeps numbers unguessable in bulk (one cannot enumerate a day's appeals);
/// uniqueness is enforced by the database and a collision is retried.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingNo(String);

impl TrackingNo {
    pub fn generate(at: DateTime<Utc>, rng: &mut impl Rng) -> TrackingNo {
        let date = at.with_timezone(&china_offset()).format("%Y%m%d");
        let serial: u32 = rng.random_range(0..100_000_000);
        TrackingNo(format!("AS{date}{serial:08}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tracking number looks like AS2026112204718263 (AS and 16 digits)")]
pub struct BadTrackingNo;

impl FromStr for TrackingNo {
    type Err = BadTrackingNo;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        let digits = s.strip_prefix("AS").ok_or(BadTrackingNo)?;
        if digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(TrackingNo(s))
        } else {
            Err(BadTrackingNo)
        }
    }
}

impl fmt::Display for TrackingNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A time-ordered id (UUID version 7, RFC 9562): 48 bits of Unix milliseconds, then random
/// bits. Bulk loads use it so that rows sorted by time insert at the right edge of the primary
/// key's btree instead of all over it.
pub fn time_ordered_id(at: DateTime<Utc>, rng: &mut impl Rng) -> uuid::Uuid {
    let millis = at.timestamp_millis().clamp(0, (1 << 48) - 1) as u64;
    let mut bytes: [u8; 16] = rng.random();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    uuid::Uuid::from_bytes(bytes)
}

/// Characters of an access code: no 0/O, 1/I/L, so it can be read over the phone.
const ACCESS_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const ACCESS_CODE_LEN: usize = 8;

/// A fresh random access code (about 40 bits).
pub fn random_access_code(rng: &mut impl Rng) -> String {
    (0..ACCESS_CODE_LEN)
        .map(|_| ACCESS_ALPHABET[rng.random_range(0..ACCESS_ALPHABET.len())] as char)
        .collect()
}

/// An access code derived from a secret digest (used to re-derive the same code when an
/// intake is replayed under its `Idempotency-Key`, so the code is never stored in clear).
pub fn access_code_from_digest(digest: &[u8]) -> String {
    digest
        .iter()
        .take(ACCESS_CODE_LEN)
        .map(|b| ACCESS_ALPHABET[*b as usize % ACCESS_ALPHABET.len()] as char)
        .collect()
}

/// Normalises what a person typed: upper case, no spaces or dashes.
pub fn normalise_access_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tracking_no_uses_the_china_date() {
        let mut rng = rand::rng();
        // 2026-11-22 17:30 UTC is already 2026-11-23 in Anshan.
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 17, 30, 0).unwrap();
        let no = TrackingNo::generate(at, &mut rng);
        assert!(no.as_str().starts_with("AS20261123"), "{no}");
        assert_eq!(no.as_str().len(), 18);
        assert_eq!(no.as_str().parse::<TrackingNo>(), Ok(no.clone()));
    }

    #[test]
    fn time_ordered_ids_are_version_7_and_sort_by_time() {
        let mut rng = rand::rng();
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let a = time_ordered_id(at, &mut rng);
        let b = time_ordered_id(at + chrono::Duration::milliseconds(1), &mut rng);
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert!(a < b, "{a} {b}");
        // the first 48 bits are the milliseconds
        let millis = u64::from_be_bytes([
            0,
            0,
            a.as_bytes()[0],
            a.as_bytes()[1],
            a.as_bytes()[2],
            a.as_bytes()[3],
            a.as_bytes()[4],
            a.as_bytes()[5],
        ]);
        assert_eq!(millis as i64, at.timestamp_millis());
    }

    #[test]
    fn consecutive_tracking_numbers_are_not_sequential() {
        let mut rng = rand::rng();
        let at = Utc::now();
        let numbers: std::collections::HashSet<_> = (0..50)
            .map(|_| TrackingNo::generate(at, &mut rng))
            .collect();
        assert!(numbers.len() >= 49, "random part must vary");
    }

    #[test]
    fn bad_tracking_numbers_are_refused() {
        for bad in [
            "",
            "AS",
            "AS123",
            "XX2026112204718263",
            "AS20261122047182a3",
        ] {
            assert!(bad.parse::<TrackingNo>().is_err(), "{bad}");
        }
        assert!("as2026112204718263".parse::<TrackingNo>().is_ok());
    }

    #[test]
    fn access_codes_use_the_readable_alphabet() {
        let mut rng = rand::rng();
        let code = random_access_code(&mut rng);
        assert_eq!(code.len(), ACCESS_CODE_LEN);
        assert!(code.bytes().all(|b| ACCESS_ALPHABET.contains(&b)), "{code}");
        assert_eq!(normalise_access_code(" ab-cd 2345 "), "ABCD2345");
        assert_eq!(access_code_from_digest(&[0u8; 32]), "22222222");
    }
}
