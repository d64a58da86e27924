//! Texts of the client Mini App (`/app/`). Wording: `locales/*/miniapp.ftl`.
//!
//! Unlike the bots' texts these are plain text, not Telegram HTML: the page sets them with `textContent`, so user
//! text (company names, titles) is placed beside them by the page and never needs escaping here.

use fluent_bundle::FluentArgs;

use super::TextKey;
use crate::chat::Lang;
use crate::money::Kopecks;

/// A text of the Mini App. Labels have no arguments; the rest carry counts (whole points), money or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiniAppText {
    Title,
    /// The client bot's menu button that opens the Mini App.
    MenuButton,
    TabHome,
    TabPromos,
    TabServices,
    TabHistory,
    TabProfile,
    Balance,
    CodeHint,
    TopPromos,
    AllPromos,
    NoPromos,
    Affordable,
    SavingUp,
    NoServices,
    Request,
    /// The outcome of a request from the services screen, shown beside the service.
    RequestSent,
    /// Not approved any more, withdrawn, or its partner not approved.
    RequestUnavailable,
    RequestUnaffordable,
    /// A request of this service waits for the partner already.
    RequestPending,
    FilterAll,
    FilterAccrual,
    FilterRedemption,
    FilterBonus,
    NoOperations,
    LoadMore,
    KindAccrual,
    KindRedemption,
    KindWelcomeBonus,
    KindReversal,
    ProfileName,
    ProfilePhone,
    ProfileNoPhone,
    ProfileMemberCode,
    ProfileMemberSince,
    ProfileReferredBy,
    ProfileNoReferral,
    ProfileLanguage,
    LanguageRu,
    LanguageEn,
    NotRegistered,
    AuthFailed,
    Error,
    Loading,
    /// «1 234 балла», "1,234 points".
    Points {
        n: i64,
    },
    /// Points that came in: «+99».
    PointsIn {
        n: i64,
    },
    /// Points that went out: «−20».
    PointsOut {
        n: i64,
    },
    /// What a service still needs: «не хватает 50 баллов», "50 points to go".
    PointsMissing {
        n: i64,
    },
    /// The receipt an accrual was for.
    Receipt {
        amount: Kopecks,
    },
    /// A history total: everything that came in under the current filter.
    TotalIn {
        n: i64,
    },
    TotalOut {
        n: i64,
    },
    /// «12 операций».
    Operations {
        n: i64,
    },
    /// The last day of a promotion: «до 31 декабря».
    Until {
        day: u8,
        month: u8,
    },
    /// A history day header in the current year: «29 ноября».
    Day {
        day: u8,
        month: u8,
    },
    /// A date with its year: «29 ноября 2026».
    Date {
        day: u8,
        month: u8,
        year: i16,
    },
    /// A month's name as a date writes it (ru: genitive, «ноября»), 1–12; placed into the three dates above.
    MonthOf {
        month: u8,
    },
}

/// The labels the page needs before any data, by the name the page uses (`GET /app/api/texts`).
pub const MINIAPP_LABELS: [(&str, MiniAppText); 44] = [
    ("title", MiniAppText::Title),
    ("menu_button", MiniAppText::MenuButton),
    ("tab_home", MiniAppText::TabHome),
    ("tab_promos", MiniAppText::TabPromos),
    ("tab_services", MiniAppText::TabServices),
    ("tab_history", MiniAppText::TabHistory),
    ("tab_profile", MiniAppText::TabProfile),
    ("balance", MiniAppText::Balance),
    ("code_hint", MiniAppText::CodeHint),
    ("top_promos", MiniAppText::TopPromos),
    ("all_promos", MiniAppText::AllPromos),
    ("no_promos", MiniAppText::NoPromos),
    ("affordable", MiniAppText::Affordable),
    ("saving_up", MiniAppText::SavingUp),
    ("no_services", MiniAppText::NoServices),
    ("request", MiniAppText::Request),
    ("request_sent", MiniAppText::RequestSent),
    ("request_unavailable", MiniAppText::RequestUnavailable),
    ("request_unaffordable", MiniAppText::RequestUnaffordable),
    ("request_pending", MiniAppText::RequestPending),
    ("filter_all", MiniAppText::FilterAll),
    ("filter_accrual", MiniAppText::FilterAccrual),
    ("filter_redemption", MiniAppText::FilterRedemption),
    ("filter_bonus", MiniAppText::FilterBonus),
    ("no_operations", MiniAppText::NoOperations),
    ("load_more", MiniAppText::LoadMore),
    ("kind_accrual", MiniAppText::KindAccrual),
    ("kind_redemption", MiniAppText::KindRedemption),
    ("kind_welcome_bonus", MiniAppText::KindWelcomeBonus),
    ("kind_reversal", MiniAppText::KindReversal),
    ("profile_name", MiniAppText::ProfileName),
    ("profile_phone", MiniAppText::ProfilePhone),
    ("profile_no_phone", MiniAppText::ProfileNoPhone),
    ("profile_member_code", MiniAppText::ProfileMemberCode),
    ("profile_member_since", MiniAppText::ProfileMemberSince),
    ("profile_referred_by", MiniAppText::ProfileReferredBy),
    ("profile_no_referral", MiniAppText::ProfileNoReferral),
    ("profile_language", MiniAppText::ProfileLanguage),
    ("language_ru", MiniAppText::LanguageRu),
    ("language_en", MiniAppText::LanguageEn),
    ("not_registered", MiniAppText::NotRegistered),
    ("auth_failed", MiniAppText::AuthFailed),
    ("error", MiniAppText::Error),
    ("loading", MiniAppText::Loading),
];

impl TextKey for MiniAppText {
    fn id(&self) -> &'static str {
        match self {
            Self::Title => "miniapp-title",
            Self::MenuButton => "miniapp-menu-button",
            Self::TabHome => "miniapp-tab-home",
            Self::TabPromos => "miniapp-tab-promos",
            Self::TabServices => "miniapp-tab-services",
            Self::TabHistory => "miniapp-tab-history",
            Self::TabProfile => "miniapp-tab-profile",
            Self::Balance => "miniapp-balance",
            Self::CodeHint => "miniapp-code-hint",
            Self::TopPromos => "miniapp-top-promos",
            Self::AllPromos => "miniapp-all-promos",
            Self::NoPromos => "miniapp-no-promos",
            Self::Affordable => "miniapp-affordable",
            Self::SavingUp => "miniapp-saving-up",
            Self::NoServices => "miniapp-no-services",
            Self::Request => "miniapp-request",
            Self::RequestSent => "miniapp-request-sent",
            Self::RequestUnavailable => "miniapp-request-unavailable",
            Self::RequestUnaffordable => "miniapp-request-unaffordable",
            Self::RequestPending => "miniapp-request-pending",
            Self::FilterAll => "miniapp-filter-all",
            Self::FilterAccrual => "miniapp-filter-accrual",
            Self::FilterRedemption => "miniapp-filter-redemption",
            Self::FilterBonus => "miniapp-filter-bonus",
            Self::NoOperations => "miniapp-no-operations",
            Self::LoadMore => "miniapp-load-more",
            Self::KindAccrual => "miniapp-kind-accrual",
            Self::KindRedemption => "miniapp-kind-redemption",
            Self::KindWelcomeBonus => "miniapp-kind-welcome-bonus",
            Self::KindReversal => "miniapp-kind-reversal",
            Self::ProfileName => "miniapp-profile-name",
            Self::ProfilePhone => "miniapp-profile-phone",
            Self::ProfileNoPhone => "miniapp-profile-no-phone",
            Self::ProfileMemberCode => "miniapp-profile-member-code",
            Self::ProfileMemberSince => "miniapp-profile-member-since",
            Self::ProfileReferredBy => "miniapp-profile-referred-by",
            Self::ProfileNoReferral => "miniapp-profile-no-referral",
            Self::ProfileLanguage => "miniapp-profile-language",
            Self::LanguageRu => "miniapp-language-ru",
            Self::LanguageEn => "miniapp-language-en",
            Self::NotRegistered => "miniapp-not-registered",
            Self::AuthFailed => "miniapp-auth-failed",
            Self::Error => "miniapp-error",
            Self::Loading => "miniapp-loading",
            Self::Points { .. } => "miniapp-points",
            Self::PointsIn { .. } => "miniapp-points-in",
            Self::PointsOut { .. } => "miniapp-points-out",
            Self::PointsMissing { .. } => "miniapp-points-missing",
            Self::Receipt { .. } => "miniapp-receipt",
            Self::TotalIn { .. } => "miniapp-total-in",
            Self::TotalOut { .. } => "miniapp-total-out",
            Self::Operations { .. } => "miniapp-operations",
            Self::Until { .. } => "miniapp-until",
            Self::Day { .. } => "miniapp-day",
            Self::Date { .. } => "miniapp-date",
            Self::MonthOf { .. } => "miniapp-month-of",
        }
    }

    fn args(&self, lang: Lang) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match *self {
            Self::Points { n }
            | Self::PointsIn { n }
            | Self::PointsOut { n }
            | Self::PointsMissing { n }
            | Self::TotalIn { n }
            | Self::TotalOut { n }
            | Self::Operations { n } => args.set("n", n),
            Self::Receipt { amount } => args.set("amount", super::format::money(lang, amount)),
            Self::Until { day, month } | Self::Day { day, month } => {
                args.set("day", day);
                args.set("month_name", super::render(lang, &Self::MonthOf { month }));
            }
            Self::Date { day, month, year } => {
                args.set("day", day);
                args.set("month_name", super::render(lang, &Self::MonthOf { month }));
                // A string: a year is not a count to group («2 026»).
                args.set("year", year.to_string());
            }
            Self::MonthOf { month } => args.set("month", month),
            _ => {}
        }
        args
    }
}

#[cfg(test)]
impl MiniAppText {
    /// Every variant, with `n` wherever a count goes (and every month), for the catalogue test.
    pub(crate) fn samples(n: i64) -> Vec<MiniAppText> {
        let mut all: Vec<MiniAppText> = MINIAPP_LABELS.iter().map(|(_, key)| *key).collect();
        all.extend([
            Self::Points { n },
            Self::PointsIn { n },
            Self::PointsOut { n },
            Self::PointsMissing { n },
            Self::Receipt {
                amount: Kopecks::new(199_999).expect("amount"),
            },
            Self::TotalIn { n },
            Self::TotalOut { n },
            Self::Operations { n },
        ]);
        for month in 1..=12 {
            all.extend([
                Self::MonthOf { month },
                Self::Until { day: 31, month },
                Self::Day { day: 1, month },
                Self::Date {
                    day: 29,
                    month,
                    year: 2026,
                },
            ]);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::render;

    #[test]
    fn dates_and_counts_read_as_each_language_writes_them() {
        let date = MiniAppText::Date {
            day: 29,
            month: 11,
            year: 2026,
        };
        assert_eq!(render(Lang::Ru, &date), "29 ноября 2026");
        assert_eq!(render(Lang::En, &date), "November 29, 2026");
        let until = MiniAppText::Until { day: 1, month: 5 };
        assert_eq!(render(Lang::Ru, &until), "до 1 мая");
        assert_eq!(render(Lang::En, &until), "until May 1");
        assert_eq!(
            render(Lang::Ru, &MiniAppText::Points { n: 1_234 }),
            "1\u{a0}234 балла"
        );
        assert_eq!(
            render(Lang::Ru, &MiniAppText::PointsMissing { n: 21 }),
            "не хватает 21 балла"
        );
        assert_eq!(
            render(Lang::En, &MiniAppText::PointsMissing { n: 1 }),
            "1 point to go"
        );
    }
}
