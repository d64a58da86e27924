//! `/invite` (SPEC §4): the partner's deep link into the client bot, `https://t.me/<client bot>?start=<referral
//! code>`, and a QR code of it sent as a photo (drawn at send time by the transport, see [`crate::chat::Photo`]).
//! A client who opens it is registered as referred by this partner.

use super::office::{OfficeCommand, command};
use super::{PartnerInfo, PartnerState, PartnerStep, reply};
use crate::chat::{Lang, Photo, Reply};
use crate::text::{OfficeText, escape, render};

/// `/invite` or its button: read the partner's link.
pub fn start(info: &PartnerInfo) -> PartnerStep {
    command(
        PartnerState::Menu,
        OfficeCommand::Invite { partner: info.id },
    )
}

/// The link, as a photo of its QR code whose caption carries the link itself.
pub(super) fn on_link(state: &PartnerState, lang: Lang, link: &str) -> PartnerStep {
    let caption = render(
        lang,
        &OfficeText::Invite {
            link: &escape(link),
        },
    );
    reply(
        state.clone(),
        Reply::photo(caption, Photo::Qr(link.to_owned())),
    )
}
