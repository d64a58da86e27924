//! Inline-button callback data: one typed codec for every button of every bot.
//!
//! Telegram carries at most 64 bytes of `callback_data` per button (Bot API, `InlineKeyboardButton`), and the data
//! comes back from the client, so it is never trusted: [`Callback::decode`] only says what the button claims to be,
//! and the dialogue checks that claim against its own state (the draft it names must be the one on screen, made by
//! the same user).
//!
//! Every encoding starts with the codec version (`1:`). A button sent by an older deploy (no version, or another
//! one) decodes as [`Decoded::Outdated`] and is answered "this button is outdated"; it is never misread as a button
//! of today's format.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::admin::Subject;
use crate::chat::Lang;

/// Telegram's limit on `callback_data`, in bytes (Bot API: "1-64 bytes").
pub const CALLBACK_DATA_MAX: usize = 64;

/// The codec version written in front of every button's data. Bump it when the meaning of a field changes.
pub const CALLBACK_VERSION: &str = "1";

/// A confirm screen or consent request, named by a random id minted when it was shown (UUIDv7 in hex, 32
/// characters, see `actors::dialogue`). Its buttons carry the id, the dialogue state keeps it, and the ledger key of
/// the operation is built from it, never from Telegram ids (which Telegram re-randomises).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftId(String);

impl DraftId {
    /// Length of a draft id in characters.
    pub const LEN: usize = 32;

    /// A draft id from its text: exactly 32 lowercase hex digits, else `None`.
    pub fn parse(s: &str) -> Option<DraftId> {
        let ok = s.len() == Self::LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| DraftId(s.to_owned()))
    }

    /// The id of a 128-bit number (the driver mints UUIDv7s), as 32 lowercase hex digits.
    pub fn from_u128(n: u128) -> DraftId {
        DraftId(format!("{n:032x}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a button means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The language picker of `/language` (every bot).
    Language(Lang),
    /// Confirm (`true`) or cancel the accrual on the confirm screen named `draft` (partner bot).
    Accrual { draft: DraftId, confirm: bool },
    // --- Partner back office (onboarding, promotions, services, settings) ---
    /// Submit (`true`) or cancel the partner application on the summary screen named `draft` (partner bot).
    Apply { draft: DraftId, submit: bool },
    /// Apply again after a rejection (partner bot).
    Reapply,
    /// A button of the promotion `id`. The id is only a claim: it is looked up with the sender's own partner id.
    Promo { id: i64, action: ItemAction },
    /// "New promotion".
    PromoNew,
    /// A button of the service `id` (same rule as promotions).
    Service { id: i64, action: ItemAction },
    /// "New service".
    ServiceNew,
    /// Edit one field of the partner's own profile in `/settings`.
    Setting(SettingField),
    // --- Partner money (enrolment, redemption, consent, NPS) ---
    /// Enrol (`true`) or not the unknown phone on the enrol screen named `draft` (partner bot, `/accrue`).
    Enrol { draft: DraftId, confirm: bool },
    /// Send (`true`) or cancel the redemption request on the confirm screen named `draft` (partner bot).
    Redemption { draft: DraftId, confirm: bool },
    /// Approve (`true`) or decline redemption request `request` (`redemption_requests.id`, client bot). The id is
    /// only a claim: the server checks the request belongs to the pressing client.
    Consent { request: i64, approve: bool },
    /// Rate operation `operation` (`operations.id`) 0..=10 (client bot); the partner is read from the operation.
    Nps { operation: i64, rating: u8 },
    /// «Older» / «Newer» under a `/history` page (client bot).
    History(HistoryCursor),
    /// A service in the client's `/services` list.
    ServicePick { service: i64 },
    /// Request / Cancel on the client's confirm screen of a service, named by its draft.
    ServiceConfirm {
        service: i64,
        draft: DraftId,
        confirm: bool,
    },
    /// Accept / Decline of a client's service request in the partner bot.
    ServiceDecision { request: i64, accept: bool },
    // --- Admin bot ---
    /// Approve (`true`) or reject an application or a service (admin bot). Only a claim: the sender is checked
    /// against the allow-list and the subject is looked up again.
    Moderate { subject: Subject, approve: bool },
    /// Apply (`true`) or cancel the admin's confirm screen named `draft` (a rate change, a reversal).
    AdminConfirm { draft: DraftId, confirm: bool },
}

/// Where a `/history` button leads: the page just before or just after an operation of the page it was under
/// (keyset paging by `operations.id`; the server checks the operation is the presser's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryCursor {
    /// Operations older than this one.
    Before(i64),
    /// Operations newer than this one.
    After(i64),
}

/// What a promotion's or service's button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemAction {
    /// Show it, with its buttons.
    View,
    /// Ask "delete?".
    Delete,
    /// "Yes, delete".
    DeleteYes,
    /// "No, keep it".
    DeleteNo,
    /// Change one field (promotions only).
    Edit(PromoField),
}

/// A promotion's editable fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PromoField {
    Title,
    Description,
    Discount,
    Starts,
    Ends,
}

/// A partner's fields editable in `/settings` (the rate is an admin's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SettingField {
    Company,
    Contact,
    City,
}

impl ItemAction {
    fn code(self) -> &'static str {
        match self {
            ItemAction::View => "v",
            ItemAction::Delete => "d",
            ItemAction::DeleteYes => "y",
            ItemAction::DeleteNo => "n",
            ItemAction::Edit(PromoField::Title) => "et",
            ItemAction::Edit(PromoField::Description) => "ed",
            ItemAction::Edit(PromoField::Discount) => "ex",
            ItemAction::Edit(PromoField::Starts) => "es",
            ItemAction::Edit(PromoField::Ends) => "ee",
        }
    }

    fn parse(code: &str) -> Option<ItemAction> {
        Some(match code {
            "v" => ItemAction::View,
            "d" => ItemAction::Delete,
            "y" => ItemAction::DeleteYes,
            "n" => ItemAction::DeleteNo,
            "et" => ItemAction::Edit(PromoField::Title),
            "ed" => ItemAction::Edit(PromoField::Description),
            "ex" => ItemAction::Edit(PromoField::Discount),
            "es" => ItemAction::Edit(PromoField::Starts),
            "ee" => ItemAction::Edit(PromoField::Ends),
            _ => return None,
        })
    }
}

impl SettingField {
    fn code(self) -> &'static str {
        match self {
            SettingField::Company => "company",
            SettingField::Contact => "contact",
            SettingField::City => "city",
        }
    }

    fn parse(code: &str) -> Option<SettingField> {
        [
            SettingField::Company,
            SettingField::Contact,
            SettingField::City,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

/// A positive row id as written in button data: digits only, no sign or leading zero (one text per id); beyond
/// `i64::MAX` it is no id.
fn parse_id(s: &str) -> Option<i64> {
    let canonical = !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| s.parse().ok()).flatten()
}

/// What a button's data turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A button of the current format.
    Current(Callback),
    /// A button of an older (or newer) deploy's format: answered "this button is outdated".
    Outdated,
    /// Current version, but not anything we ever sent: forged or corrupted.
    Invalid,
}

impl Callback {
    /// The data for the button, `CALLBACK_VERSION:kind:...`, at most [`CALLBACK_DATA_MAX`] bytes (checked by a test
    /// for every variant with the longest fields).
    pub fn encode(&self) -> String {
        let body = match self {
            Callback::Language(lang) => format!("lang:{}", lang.as_str()),
            Callback::Accrual { draft, confirm } => {
                format!("acc:{}:{draft}", if *confirm { "ok" } else { "no" })
            }
            // --- Partner back office ---
            Callback::Apply { draft, submit } => {
                format!("ap:{}:{draft}", if *submit { "ok" } else { "no" })
            }
            Callback::Reapply => "reap".into(),
            Callback::Promo { id, action } => format!("pr:{}:{id}", action.code()),
            Callback::PromoNew => "pr:new".into(),
            Callback::Service { id, action } => format!("sv:{}:{id}", action.code()),
            Callback::ServiceNew => "sv:new".into(),
            Callback::Setting(field) => format!("set:{}", field.code()),
            // --- Partner money ---
            Callback::Enrol { draft, confirm } => {
                format!("enr:{}:{draft}", if *confirm { "ok" } else { "no" })
            }
            Callback::Redemption { draft, confirm } => {
                format!("red:{}:{draft}", if *confirm { "ok" } else { "no" })
            }
            Callback::Consent { request, approve } => {
                format!("cns:{}:{request}", if *approve { "ok" } else { "no" })
            }
            Callback::Nps { operation, rating } => format!("nps:{operation}:{rating}"),
            Callback::History(HistoryCursor::Before(id)) => format!("his:o:{id}"),
            Callback::History(HistoryCursor::After(id)) => format!("his:n:{id}"),
            Callback::ServicePick { service } => format!("svp:{service}"),
            Callback::ServiceConfirm {
                service,
                draft,
                confirm,
            } => format!(
                "svc:{}:{service}:{draft}",
                if *confirm { "ok" } else { "no" }
            ),
            Callback::ServiceDecision { request, accept } => {
                format!("svd:{}:{request}", if *accept { "ok" } else { "no" })
            }
            // --- Admin bot ---
            Callback::Moderate { subject, approve } => {
                let (kind, id) = match subject {
                    Subject::Application(id) => ("a", id),
                    Subject::Service(id) => ("s", id),
                };
                format!("mod:{kind}:{}:{id}", if *approve { "ok" } else { "no" })
            }
            Callback::AdminConfirm { draft, confirm } => {
                format!("adm:{}:{draft}", if *confirm { "ok" } else { "no" })
            }
        };
        format!("{CALLBACK_VERSION}:{body}")
    }

    /// Reads button data as the client sent it back.
    pub fn decode(data: &str) -> Decoded {
        if data.len() > CALLBACK_DATA_MAX {
            return Decoded::Invalid;
        }
        let Some((version, body)) = data.split_once(':') else {
            return Decoded::Outdated;
        };
        if version != CALLBACK_VERSION {
            return Decoded::Outdated;
        }
        let parts: Vec<&str> = body.split(':').collect();
        let decoded = match parts.as_slice() {
            ["lang", code] => match *code {
                "ru" => Some(Callback::Language(Lang::Ru)),
                "en" => Some(Callback::Language(Lang::En)),
                _ => None,
            },
            ["acc", verb, draft] => verb_of(verb)
                .zip(DraftId::parse(draft))
                .map(|(confirm, draft)| Callback::Accrual { draft, confirm }),
            // --- Partner back office ---
            ["ap", verb, draft] => verb_of(verb)
                .zip(DraftId::parse(draft))
                .map(|(submit, draft)| Callback::Apply { draft, submit }),
            ["reap"] => Some(Callback::Reapply),
            ["pr", "new"] => Some(Callback::PromoNew),
            ["sv", "new"] => Some(Callback::ServiceNew),
            ["pr", action, id] => ItemAction::parse(action)
                .zip(parse_id(id))
                .map(|(action, id)| Callback::Promo { id, action }),
            ["sv", action, id] => ItemAction::parse(action)
                .filter(|a| !matches!(a, ItemAction::Edit(_)))
                .zip(parse_id(id))
                .map(|(action, id)| Callback::Service { id, action }),
            ["set", field] => SettingField::parse(field).map(Callback::Setting),
            // --- Partner money ---
            [kind @ ("enr" | "red"), verb, draft] => {
                verb_of(verb)
                    .zip(DraftId::parse(draft))
                    .map(|(confirm, draft)| match *kind {
                        "enr" => Callback::Enrol { draft, confirm },
                        _ => Callback::Redemption { draft, confirm },
                    })
            }
            ["cns", verb, request] => verb_of(verb)
                .zip(parse_id(request))
                .map(|(approve, request)| Callback::Consent { request, approve }),
            ["nps", operation, rating] => parse_id(operation)
                .zip(
                    rating
                        .parse::<u8>()
                        .ok()
                        .filter(|r| *r <= 10 && r.to_string() == *rating),
                )
                .map(|(operation, rating)| Callback::Nps { operation, rating }),
            ["his", "o", id] => parse_id(id).map(|id| Callback::History(HistoryCursor::Before(id))),
            ["his", "n", id] => parse_id(id).map(|id| Callback::History(HistoryCursor::After(id))),
            ["svp", id] => parse_id(id).map(|service| Callback::ServicePick { service }),
            ["svc", verb, id, draft] => verb_of(verb)
                .zip(parse_id(id))
                .zip(DraftId::parse(draft))
                .map(|((confirm, service), draft)| Callback::ServiceConfirm {
                    service,
                    draft,
                    confirm,
                }),
            ["svd", verb, id] => verb_of(verb)
                .zip(parse_id(id))
                .map(|(accept, request)| Callback::ServiceDecision { request, accept }),
            // --- Admin bot ---
            ["mod", kind, verb, id] => verb_of(verb).zip(parse_id(id)).and_then(|(approve, id)| {
                let subject = match *kind {
                    "a" => Subject::Application(id),
                    "s" => Subject::Service(id),
                    _ => return None,
                };
                Some(Callback::Moderate { subject, approve })
            }),
            ["adm", verb, draft] => verb_of(verb)
                .zip(DraftId::parse(draft))
                .map(|(confirm, draft)| Callback::AdminConfirm { draft, confirm }),
            _ => None,
        };
        decoded.map_or(Decoded::Invalid, Decoded::Current)
    }
}

// --- Helpers of the decoder ---

/// `ok` / `no` as a yes or no.
fn verb_of(verb: &str) -> Option<bool> {
    match verb {
        "ok" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DraftId {
        DraftId::parse("0192f1c2a3b4c5d6e7f8091a2b3c4d5e").expect("a valid draft id")
    }

    fn every_variant() -> Vec<Callback> {
        vec![
            Callback::Moderate {
                subject: Subject::Application(999_999_999_999_999_999),
                approve: true,
            },
            Callback::Moderate {
                subject: Subject::Service(1),
                approve: false,
            },
            Callback::AdminConfirm {
                draft: draft(),
                confirm: true,
            },
            Callback::Language(Lang::Ru),
            Callback::Language(Lang::En),
            Callback::Accrual {
                draft: draft(),
                confirm: true,
            },
            Callback::Accrual {
                draft: draft(),
                confirm: false,
            },
            // --- Partner back office ---
            Callback::Apply {
                draft: draft(),
                submit: true,
            },
            Callback::Apply {
                draft: draft(),
                submit: false,
            },
            Callback::Reapply,
            Callback::PromoNew,
            Callback::ServiceNew,
            Callback::Setting(SettingField::Company),
            Callback::Setting(SettingField::Contact),
            Callback::Setting(SettingField::City),
            // --- Partner money ---
            Callback::Enrol {
                draft: draft(),
                confirm: true,
            },
            Callback::Redemption {
                draft: draft(),
                confirm: false,
            },
            Callback::Consent {
                request: 999_999_999_999_999_999,
                approve: true,
            },
            Callback::Consent {
                request: 1,
                approve: false,
            },
            Callback::Nps {
                operation: 999_999_999_999_999_999,
                rating: 10,
            },
            Callback::Nps {
                operation: 5,
                rating: 0,
            },
            Callback::History(HistoryCursor::Before(999_999_999_999_999_999)),
            Callback::History(HistoryCursor::After(1)),
            Callback::ServicePick {
                service: 999_999_999_999,
            },
            Callback::ServiceConfirm {
                service: 999_999_999_999,
                draft: draft(),
                confirm: true,
            },
            Callback::ServiceConfirm {
                service: 1,
                draft: draft(),
                confirm: false,
            },
            Callback::ServiceDecision {
                request: 999_999_999_999,
                accept: true,
            },
            Callback::ServiceDecision {
                request: 1,
                accept: false,
            },
        ]
        .into_iter()
        .chain(
            [
                ItemAction::View,
                ItemAction::Delete,
                ItemAction::DeleteYes,
                ItemAction::DeleteNo,
                ItemAction::Edit(PromoField::Title),
                ItemAction::Edit(PromoField::Description),
                ItemAction::Edit(PromoField::Discount),
                ItemAction::Edit(PromoField::Starts),
                ItemAction::Edit(PromoField::Ends),
            ]
            .into_iter()
            .map(|action| Callback::Promo {
                id: i64::MAX,
                action,
            }),
        )
        .chain(
            [
                ItemAction::View,
                ItemAction::Delete,
                ItemAction::DeleteYes,
                ItemAction::DeleteNo,
            ]
            .into_iter()
            .map(|action| Callback::Service { id: 1, action }),
        )
        .collect()
    }

    #[test]
    fn forged_item_ids_and_actions_are_invalid() {
        for data in [
            "1:pr:v:-1",
            "1:pr:v:0",
            "1:pr:v:007",
            "1:pr:v:99999999999999999999",
            "1:pr:zz:5",
            "1:sv:et:5",
            "1:set:rate",
            "1:pr:v:5:6",
        ] {
            assert_eq!(Callback::decode(data), Decoded::Invalid, "{data}");
        }
    }

    #[test]
    fn every_button_round_trips_within_telegrams_64_bytes() {
        for callback in every_variant() {
            let data = callback.encode();
            assert!(
                data.len() <= CALLBACK_DATA_MAX,
                "{data} is {} bytes",
                data.len()
            );
            assert!(data.starts_with("1:"), "{data} carries the codec version");
            assert_eq!(Callback::decode(&data), Decoded::Current(callback));
        }
    }

    #[test]
    fn a_button_from_an_older_deploy_is_outdated_not_misread() {
        // The format before the codec existed, and a future version.
        for data in [
            "acc:ok:123",
            "lang:en",
            "2:acc:ok:0192f1c2a3b4c5d6e7f8091a2b3c4d5e",
            "0:lang:ru",
        ] {
            assert_eq!(Callback::decode(data), Decoded::Outdated, "{data}");
        }
    }

    #[test]
    fn forged_data_of_the_current_version_is_invalid() {
        for data in [
            "1:acc:ok:123",
            "1:acc:yes:0192f1c2a3b4c5d6e7f8091a2b3c4d5e",
            "1:acc:ok:0192F1C2A3B4C5D6E7F8091A2B3C4D5E",
            "1:lang:de",
            "1:",
            "1:acc:ok:0192f1c2a3b4c5d6e7f8091a2b3c4d5e:extra",
            &format!("1:lang:{}", "x".repeat(80)),
            // --- Partner money ---
            "1:nps:5:11",
            "1:nps:5:-1",
            "1:nps:05:1",
            "1:nps:0:1",
            "1:cns:ok:-3",
            "1:cns:maybe:3",
            "1:red:ok:123",
        ] {
            assert_eq!(Callback::decode(data), Decoded::Invalid, "{data}");
        }
    }
}
