//! Texts of the partner's back office: the application, promotions, services, the invitation and settings, and the
//! admins' notices of new applications and services. Wording: `locales/*/office.ftl` (a file of its own, beside
//! `partner.ftl`, so the partner bot's dialogues can grow in parallel without editing one list).

use fluent_bundle::FluentArgs;

use super::{TextKey, format};
use crate::chat::Lang;
use crate::money::{CashbackRate, Points};

/// A text of the back office. `&str` fields are HTML, already escaped where they hold user text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeText<'a> {
    ApplyWelcome,
    ApplyAskContact,
    ApplyAskCompany,
    ApplyAskPhone,
    ApplyAskCity,
    ApplyAskCategory,
    ApplyPickCategory,
    ApplyContactNotOwn,
    ApplyPhoneUnreadable,
    ApplyCheck,
    ApplyCancelled,
    ApplySubmitted,
    ApplyNotAllowed,
    BtnReapply,
    BtnSharePhone,
    BtnSubmit,
    BtnDiscard,
    PromoAskTitle,
    PromoAskDescription,
    PromoAskDiscount,
    PromoAskStarts,
    PromoAskEnds,
    PromosTitle,
    PromosNone,
    BtnNewPromo,
    BtnEditTitle,
    BtnEditDescription,
    BtnEditDiscount,
    BtnEditStarts,
    BtnEditEnds,
    BtnDelete,
    BtnDeleteYes,
    BtnDeleteNo,
    PromoCreated,
    Saved,
    Deleted,
    Kept,
    NotFoundOrNotYours,
    DateInvalid,
    PromoEndsBeforeStart,
    PromoEndsInPast,
    ServiceAskTitle,
    ServiceAskDescription,
    ServiceAskPrice,
    PriceInvalid,
    StatusPending,
    StatusApproved,
    StatusRejected,
    ServicesTitle,
    ServicesNone,
    BtnNewService,
    ServiceCreated,
    SettingsAskCompany,
    SettingsAskContact,
    SettingsAskCity,
    NotGiven,
    BtnEditCompany,
    BtnEditContact,
    BtnEditCity,
    ApplySummary {
        contact: &'a str,
        company: &'a str,
        phone: &'a str,
        city: &'a str,
        category: &'a str,
    },
    RejectedBecause {
        reason: &'a str,
    },
    TextLength {
        min: usize,
        max: usize,
    },
    PromoCard {
        title: &'a str,
        description: &'a str,
        discount: &'a str,
        starts: &'a str,
        ends: &'a str,
    },
    ConfirmDelete {
        title: &'a str,
    },
    StatusRejectedBecause {
        reason: &'a str,
    },
    ServiceCard {
        title: &'a str,
        description: &'a str,
        price: Points,
        status: &'a str,
    },
    ServiceLine {
        title: &'a str,
        price: Points,
        status: &'a str,
    },
    ServiceApprovedNotice {
        title: &'a str,
    },
    ApplicationApprovedNotice {
        company: &'a str,
    },
    ServiceRejectedNotice {
        title: &'a str,
    },
    ServiceRejectedNoticeBecause {
        title: &'a str,
        reason: &'a str,
    },
    Invite {
        link: &'a str,
    },
    SettingsCard {
        company: &'a str,
        contact: &'a str,
        phone: &'a str,
        city: &'a str,
        category: &'a str,
        rate: CashbackRate,
    },
}

impl TextKey for OfficeText<'_> {
    fn id(&self) -> &'static str {
        match self {
            Self::ApplyWelcome => "office-apply-welcome",
            Self::ApplyAskContact => "office-apply-ask-contact",
            Self::ApplyAskCompany => "office-apply-ask-company",
            Self::ApplyAskPhone => "office-apply-ask-phone",
            Self::ApplyAskCity => "office-apply-ask-city",
            Self::ApplyAskCategory => "office-apply-ask-category",
            Self::ApplyPickCategory => "office-apply-pick-category",
            Self::ApplyContactNotOwn => "office-apply-contact-not-own",
            Self::ApplyPhoneUnreadable => "office-apply-phone-unreadable",
            Self::ApplyCheck => "office-apply-check",
            Self::ApplyCancelled => "office-apply-cancelled",
            Self::ApplySubmitted => "office-apply-submitted",
            Self::ApplyNotAllowed => "office-apply-not-allowed",
            Self::BtnReapply => "office-btn-reapply",
            Self::BtnSharePhone => "office-btn-share-phone",
            Self::BtnSubmit => "office-btn-submit",
            Self::BtnDiscard => "office-btn-discard",
            Self::PromoAskTitle => "office-promo-ask-title",
            Self::PromoAskDescription => "office-promo-ask-description",
            Self::PromoAskDiscount => "office-promo-ask-discount",
            Self::PromoAskStarts => "office-promo-ask-starts",
            Self::PromoAskEnds => "office-promo-ask-ends",
            Self::PromosTitle => "office-promos-title",
            Self::PromosNone => "office-promos-none",
            Self::BtnNewPromo => "office-btn-new-promo",
            Self::BtnEditTitle => "office-btn-edit-title",
            Self::BtnEditDescription => "office-btn-edit-description",
            Self::BtnEditDiscount => "office-btn-edit-discount",
            Self::BtnEditStarts => "office-btn-edit-starts",
            Self::BtnEditEnds => "office-btn-edit-ends",
            Self::BtnDelete => "office-btn-delete",
            Self::BtnDeleteYes => "office-btn-delete-yes",
            Self::BtnDeleteNo => "office-btn-delete-no",
            Self::PromoCreated => "office-promo-created",
            Self::Saved => "office-saved",
            Self::Deleted => "office-deleted",
            Self::Kept => "office-kept",
            Self::NotFoundOrNotYours => "office-not-found-or-not-yours",
            Self::DateInvalid => "office-date-invalid",
            Self::PromoEndsBeforeStart => "office-promo-ends-before-start",
            Self::PromoEndsInPast => "office-promo-ends-in-past",
            Self::ServiceAskTitle => "office-service-ask-title",
            Self::ServiceAskDescription => "office-service-ask-description",
            Self::ServiceAskPrice => "office-service-ask-price",
            Self::PriceInvalid => "office-price-invalid",
            Self::StatusPending => "office-status-pending",
            Self::StatusApproved => "office-status-approved",
            Self::StatusRejected => "office-status-rejected",
            Self::ServicesTitle => "office-services-title",
            Self::ServicesNone => "office-services-none",
            Self::BtnNewService => "office-btn-new-service",
            Self::ServiceCreated => "office-service-created",
            Self::SettingsAskCompany => "office-settings-ask-company",
            Self::SettingsAskContact => "office-settings-ask-contact",
            Self::SettingsAskCity => "office-settings-ask-city",
            Self::NotGiven => "office-not-given",
            Self::BtnEditCompany => "office-btn-edit-company",
            Self::BtnEditContact => "office-btn-edit-contact",
            Self::BtnEditCity => "office-btn-edit-city",
            Self::ApplySummary { .. } => "office-apply-summary",
            Self::RejectedBecause { .. } => "office-rejected-because",
            Self::TextLength { .. } => "office-text-length",
            Self::PromoCard { .. } => "office-promo-card",
            Self::ConfirmDelete { .. } => "office-confirm-delete",
            Self::StatusRejectedBecause { .. } => "office-status-rejected-because",
            Self::ServiceCard { .. } => "office-service-card",
            Self::ServiceLine { .. } => "office-service-line",
            Self::ServiceApprovedNotice { .. } => "office-service-approved-notice",
            Self::ApplicationApprovedNotice { .. } => "office-application-approved-notice",
            Self::ServiceRejectedNotice { .. } => "office-service-rejected-notice",
            Self::ServiceRejectedNoticeBecause { .. } => "office-service-rejected-notice-because",
            Self::Invite { .. } => "office-invite",
            Self::SettingsCard { .. } => "office-settings-card",
        }
    }

    fn args(&self, lang: Lang) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::ApplySummary {
                contact,
                company,
                phone,
                city,
                category,
            } => {
                args.set("contact", *contact);
                args.set("company", *company);
                args.set("phone", *phone);
                args.set("city", *city);
                args.set("category", *category);
            }
            Self::RejectedBecause { reason } => {
                args.set("reason", *reason);
            }
            Self::TextLength { min, max } => {
                args.set("min", i64::try_from(*min).unwrap_or(i64::MAX));
                args.set("max", i64::try_from(*max).unwrap_or(i64::MAX));
            }
            Self::PromoCard {
                title,
                description,
                discount,
                starts,
                ends,
            } => {
                args.set("title", *title);
                args.set("description", *description);
                args.set("discount", *discount);
                args.set("starts", *starts);
                args.set("ends", *ends);
            }
            Self::ConfirmDelete { title } => {
                args.set("title", *title);
            }
            Self::StatusRejectedBecause { reason } => {
                args.set("reason", *reason);
            }
            Self::ServiceCard {
                title,
                description,
                price,
                status,
            } => {
                args.set("title", *title);
                args.set("description", *description);
                args.set("price", price.get());
                args.set("status", *status);
            }
            Self::ServiceLine {
                title,
                price,
                status,
            } => {
                args.set("title", *title);
                args.set("price", price.get());
                args.set("status", *status);
            }
            Self::ServiceApprovedNotice { title } => {
                args.set("title", *title);
            }
            Self::ApplicationApprovedNotice { company } => {
                args.set("company", *company);
            }
            Self::ServiceRejectedNotice { title } => {
                args.set("title", *title);
            }
            Self::ServiceRejectedNoticeBecause { title, reason } => {
                args.set("title", *title);
                args.set("reason", *reason);
            }
            Self::Invite { link } => {
                args.set("link", *link);
            }
            Self::SettingsCard {
                company,
                contact,
                phone,
                city,
                category,
                rate,
            } => {
                args.set("company", *company);
                args.set("contact", *contact);
                args.set("phone", *phone);
                args.set("city", *city);
                args.set("category", *category);
                args.set("rate", format::rate(lang, *rate));
            }
            _ => {}
        }
        args
    }
}

#[cfg(test)]
impl OfficeText<'static> {
    /// Every variant, with `n` wherever a count goes, for the catalogue test.
    pub(crate) fn samples(n: i64) -> Vec<OfficeText<'static>> {
        let points = Points::new(n.max(1)).expect("positive");
        let size = usize::try_from(n).unwrap_or(0);
        let _ = size;
        vec![
            Self::ApplyWelcome,
            Self::ApplyAskContact,
            Self::ApplyAskCompany,
            Self::ApplyAskPhone,
            Self::ApplyAskCity,
            Self::ApplyAskCategory,
            Self::ApplyPickCategory,
            Self::ApplyContactNotOwn,
            Self::ApplyPhoneUnreadable,
            Self::ApplyCheck,
            Self::ApplyCancelled,
            Self::ApplySubmitted,
            Self::ApplyNotAllowed,
            Self::BtnReapply,
            Self::BtnSharePhone,
            Self::BtnSubmit,
            Self::BtnDiscard,
            Self::PromoAskTitle,
            Self::PromoAskDescription,
            Self::PromoAskDiscount,
            Self::PromoAskStarts,
            Self::PromoAskEnds,
            Self::PromosTitle,
            Self::PromosNone,
            Self::BtnNewPromo,
            Self::BtnEditTitle,
            Self::BtnEditDescription,
            Self::BtnEditDiscount,
            Self::BtnEditStarts,
            Self::BtnEditEnds,
            Self::BtnDelete,
            Self::BtnDeleteYes,
            Self::BtnDeleteNo,
            Self::PromoCreated,
            Self::Saved,
            Self::Deleted,
            Self::Kept,
            Self::NotFoundOrNotYours,
            Self::DateInvalid,
            Self::PromoEndsBeforeStart,
            Self::PromoEndsInPast,
            Self::ServiceAskTitle,
            Self::ServiceAskDescription,
            Self::ServiceAskPrice,
            Self::PriceInvalid,
            Self::StatusPending,
            Self::StatusApproved,
            Self::StatusRejected,
            Self::ServicesTitle,
            Self::ServicesNone,
            Self::BtnNewService,
            Self::ServiceCreated,
            Self::SettingsAskCompany,
            Self::SettingsAskContact,
            Self::SettingsAskCity,
            Self::NotGiven,
            Self::BtnEditCompany,
            Self::BtnEditContact,
            Self::BtnEditCity,
            Self::ApplySummary {
                contact: "x",
                company: "x",
                phone: "x",
                city: "x",
                category: "x",
            },
            Self::RejectedBecause { reason: "x" },
            Self::TextLength {
                min: size,
                max: size,
            },
            Self::PromoCard {
                title: "x",
                description: "x",
                discount: "x",
                starts: "x",
                ends: "x",
            },
            Self::ConfirmDelete { title: "x" },
            Self::StatusRejectedBecause { reason: "x" },
            Self::ServiceCard {
                title: "x",
                description: "x",
                price: points,
                status: "x",
            },
            Self::ServiceLine {
                title: "x",
                price: points,
                status: "x",
            },
            Self::ServiceApprovedNotice { title: "x" },
            Self::ApplicationApprovedNotice { company: "x" },
            Self::ServiceRejectedNotice { title: "x" },
            Self::ServiceRejectedNoticeBecause {
                title: "x",
                reason: "x",
            },
            Self::Invite { link: "x" },
            Self::SettingsCard {
                company: "x",
                contact: "x",
                phone: "x",
                city: "x",
                category: "x",
                rate: CashbackRate::DEFAULT,
            },
        ]
    }
}
