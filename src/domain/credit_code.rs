//! 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last one a weighted mod-31 check character.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A checksum-validated unified social credit code, upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("character {position} (`{ch}`) is not allowed in a unified social credit code")]
    Character { position: usize, ch: char },
    #[error("the check character is wrong: expected `{expected}`, found `{found}`")]
    Checksum { expected: char, found: char },
}

fn value_of(ch: u8) -> Option<u32> {
    ALPHABET.iter().position(|&c| c == ch).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be valid).
fn check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (ch, weight) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*ch)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code = input.trim().to_ascii_uppercase();
        let count = code.chars().count();
        if count != 18 {
            return Err(CreditCodeError::Length(count));
        }
        let bytes = code.as_bytes();
        for (i, ch) in code.chars().enumerate() {
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(CreditCodeError::Character {
                    position: i + 1,
                    ch,
                });
            }
        }
        let expected = check_char(&bytes[..17]).ok_or(CreditCodeError::Length(count))?;
        let found = bytes[17] as char;
        if expected != found {
            return Err(CreditCodeError::Checksum { expected, found });
        }
        Ok(CreditCode(code))
    }
}

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 valid characters with their check character (for demo and test data).
    pub fn complete(first17: &str) -> Option<CreditCode> {
        let upper = first17.to_ascii_uppercase();
        if upper.len() != 17 {
            return None;
        }
        let check = check_char(upper.as_bytes())?;
        Some(CreditCode(format!("{upper}{check}")))
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91110000802100433B",
            "91310000717866186P",
            "91440300708461136T",
        ] {
            assert!(code.parse::<CreditCode>().is_ok(), "{code}");
        }
    }

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        let code: CreditCode = " 91110000802100433b ".parse().expect("valid");
        assert_eq!(code.as_str(), "91110000802100433B");
    }

    #[test]
    fn refuses_bad_codes_with_a_reason() {
        let cases = [
            ("9111000080210043", CreditCodeError::Length(16)),
            (
                "91110000802100433A",
                CreditCodeError::Checksum {
                    expected: 'B',
                    found: 'A',
                },
            ),
            (
                "9111000080210O433B",
                CreditCodeError::Character {
                    position: 14,
                    ch: 'O',
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<CreditCode>(), Err(expected), "{input}");
        }
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let valid = "91110000802100433B";
        for pos in 0..18 {
            for &replacement in ALPHABET {
                let mut bytes = valid.as_bytes().to_vec();
                if bytes[pos] == replacement {
                    continue;
                }
                bytes[pos] = replacement;
                let changed = String::from_utf8(bytes).expect("ascii");
                assert!(changed.parse::<CreditCode>().is_err(), "{changed}");
            }
        }
    }

    #[test]
    fn complete_produces_valid_codes() {
        let code = CreditCode::complete("91210300MA0XXXXX1").expect("valid prefix");
        assert!(code.as_str().parse::<CreditCode>().is_ok());
    }
}
