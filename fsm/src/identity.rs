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

/// A phone number in E.164 (`+79991234567`), checked against libphonenumber's metadata (the `phonenumber` crate).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// The network's region: a number without a country code is read as Russian (SPEC: partners and clients are in
/// Russia), the way a person there writes it (`8 999 ...`, `999 ...`).
const HOME_REGION: phonenumber::country::Id = phonenumber::country::Id::RU;

impl Phone {
    /// Reads what a person types or what Telegram sends in a contact card: international numbers with or without
    /// the `+` (Telegram often omits it: `996555123456`), Russian national forms (`8 (999) 123-45-67`,
    /// `999 123 45 67`), with spaces, dashes, dots or brackets between the digits. Anything else (letters, a second
    /// `+`, a number no country allocates) is [`IdentityError::BadPhone`].
    pub fn parse(input: &str) -> Result<Phone, IdentityError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        // libphonenumber reads letters as keypad digits ("1-800-FLOWERS"); here they mean the input is not a phone.
        let allowed =
            |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}');
        if rest.is_empty() || !rest.chars().all(allowed) {
            return Err(IdentityError::BadPhone);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let international = || valid(None, &format!("+{digits}"));
        let e164 = if plus {
            international()
        } else {
            // A Russian national form first (its trunk prefix 8 or none); failing that the digits are an
            // international number whose `+` was left out.
            valid(Some(HOME_REGION), &digits).or_else(international)
        };
        e164.map(Phone).ok_or(IdentityError::BadPhone)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The number in E.164 if `text` parses as a number valid in its country.
fn valid(region: Option<phonenumber::country::Id>, text: &str) -> Option<String> {
    let number = phonenumber::parse(region, text).ok()?;
    number
        .is_valid()
        .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
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
    fn international_numbers_telegram_sends_without_a_plus_keep_their_country() {
        for (input, e164) in [
            ("996555123456", "+996555123456"),
            ("380501234567", "+380501234567"),
            ("447911123456", "+447911123456"),
            ("+996 555 123 456", "+996555123456"),
            ("+1 (415) 555-2671", "+14155552671"),
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), e164, "{input}");
        }
    }

    #[test]
    fn a_stored_number_reads_back_as_itself() {
        for e164 in ["+79991234567", "+996555123456", "+442079460958"] {
            assert_eq!(Phone::parse(e164).unwrap().as_str(), e164);
        }
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
            "+7 999 123-45-6x",
            "K7M2QX",
            "+",
            "+79991234567\u{0}",
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
