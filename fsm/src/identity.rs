//! Who someone is: a phone number in E.164 and the member code a partner can type instead.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a phone number or member code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("not a phone number like +7 999 123-45-67")]
    BadPhone,
    #[error("not a member code like K7M2QX")]
    BadMemberCode,
}

/// A phone number in E.164 (`+79991234567`). Russian numbers may be typed with 8, 7 or without a country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, IdentityError> {
        let trimmed = input.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(IdentityError::BadPhone),
            }
        }
        let e164 = match (plus, digits.len(), digits.as_bytes().first()) {
            (false, 11, Some(b'8')) => format!("7{}", &digits[1..]),
            (false, 11, Some(b'7')) => digits,
            (false, 10, Some(b'9')) => format!("7{digits}"),
            (true, 10..=15, Some(b'1'..=b'9')) => digits,
            _ => return Err(IdentityError::BadPhone),
        };
        Ok(Phone(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client's six-character member code from an alphabet without look-alikes (no 0/O, 1/I).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberCode(String);

impl MemberCode {
    pub const ALPHABET: &'static [u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    pub const LEN: usize = 6;

    /// Accepts what a partner types: any case, spaces or dashes between characters.
    pub fn parse(input: &str) -> Result<MemberCode, IdentityError> {
        let code: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = code.len() == Self::LEN && code.bytes().all(|b| Self::ALPHABET.contains(&b));
        valid
            .then_some(MemberCode(code))
            .ok_or(IdentityError::BadMemberCode)
    }

    /// The code for a random number; callers retry on the (rare) collision the UNIQUE index reports.
    pub fn from_random(mut n: u64) -> MemberCode {
        let mut code = String::with_capacity(Self::LEN);
        for _ in 0..Self::LEN {
            code.push(char::from(Self::ALPHABET[(n % 32) as usize]));
            n /= 32;
        }
        MemberCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MemberCode {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MemberCode::parse(&s)
    }
}

impl From<MemberCode> for String {
    fn from(c: MemberCode) -> String {
        c.0
    }
}

impl fmt::Display for MemberCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_phone_forms_normalize_to_e164() {
        for input in [
            "+7 999 123-45-67",
            "8 (999) 123-45-67",
            "79991234567",
            "9991234567",
            " +79991234567 ",
        ] {
            assert_eq!(
                Phone::parse(input).unwrap().as_str(),
                "+79991234567",
                "{input}"
            );
        }
        assert_eq!(
            Phone::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn things_that_are_not_phones_are_refused() {
        for input in [
            "",
            "12345",
            "+7 999 abc",
            "8999123456",
            "+0123456789",
            "++79991234567",
            "7999123456789012",
        ] {
            assert_eq!(Phone::parse(input), Err(IdentityError::BadPhone), "{input}");
        }
    }

    #[test]
    fn member_codes_accept_what_partners_type() {
        assert_eq!(MemberCode::parse("k7m-2qx").unwrap().as_str(), "K7M2QX");
        assert_eq!(
            MemberCode::parse("K7M2Q0"),
            Err(IdentityError::BadMemberCode)
        );
        assert_eq!(
            MemberCode::parse("K7M2Q"),
            Err(IdentityError::BadMemberCode)
        );
        let generated = MemberCode::from_random(u64::MAX);
        assert_eq!(MemberCode::parse(generated.as_str()), Ok(generated));
    }
}
