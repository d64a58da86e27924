//! Statistics (`/stats`, SPEC §4): referred clients, operations, turnover, points issued and redeemed, average
//! rating and NPS, for today, the last 30 days and all time in the network's time zone. The numbers are counted in
//! Postgres (`actors::db::stats`); this module only asks for them and shows them.

use super::{PartnerCommand, PartnerInfo, PartnerState, PartnerStep, menu_keyboard};
use crate::chat::{Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::ids::PartnerId;
use crate::text::{PartnerText, render};

/// What one period adds up to for one partner. Welcome bonuses are not the partner's points issued (they come from
/// the network's bonus pool), and turnover counts accrual receipts only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodStats {
    /// Clients who registered through the partner's link (or were enrolled by them) in the period.
    pub referred: i64,
    /// Accruals and redemptions at the partner.
    pub operations: i64,
    /// Sum of the accrual receipts, in kopecks.
    pub turnover_kopecks: i64,
    /// Points accrued by the partner (not welcome bonuses).
    pub points_issued: i64,
    /// Points redeemed at the partner.
    pub points_redeemed: i64,
    /// NPS ratings of the partner's operations given in the period.
    pub ratings: i64,
    /// Their sum (0..=10 each).
    pub rating_sum: i64,
    /// Ratings of 9 or 10.
    pub promoters: i64,
    /// Ratings of 0 to 6.
    pub detractors: i64,
}

/// NPS (SPEC §4): (promoters − detractors) / ratings × 100, rounded half away from zero; `None` without ratings.
/// Promoters rate 9–10, detractors 0–6; the divisor is the number of ratings, never of operations (prototype
/// defect D9).
pub fn nps_score(promoters: i64, detractors: i64, ratings: i64) -> Option<i64> {
    if ratings <= 0 {
        return None;
    }
    let scaled = (promoters - detractors) * 200 / ratings;
    Some((scaled + scaled.signum()) / 2)
}

impl PeriodStats {
    /// The average rating in tenths, rounded half up (8.45 → 85); `None` without ratings.
    pub fn average_tenths(&self) -> Option<i64> {
        (self.ratings > 0).then(|| (self.rating_sum * 100 / self.ratings + 5) / 10)
    }

    /// NPS = (promoters − detractors) / ratings × 100, rounded to the nearest whole number (halves away from zero);
    /// `None` without ratings. Divided by the ratings, never by the operations (prototype defect D7).
    pub fn nps(&self) -> Option<i64> {
        nps_score(self.promoters, self.detractors, self.ratings)
    }

    #[cfg(test)]
    pub(crate) fn sample(n: i64) -> &'static PeriodStats {
        static SAMPLES: std::sync::OnceLock<Vec<PeriodStats>> = std::sync::OnceLock::new();
        let all = SAMPLES.get_or_init(|| {
            [0_i64, 1, 2, 5, 11, 21, 22, 25, 111, 1000, 12_345]
                .into_iter()
                .map(|n| PeriodStats {
                    referred: n,
                    operations: n,
                    turnover_kopecks: n * 100,
                    points_issued: n,
                    points_redeemed: n,
                    ratings: n,
                    rating_sum: n * 7,
                    promoters: n / 2,
                    detractors: n / 3,
                })
                .collect()
        });
        all.iter().find(|s| s.referred == n).unwrap_or(&all[0])
    }
}

/// The three periods of `/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerStats {
    pub today: PeriodStats,
    pub month: PeriodStats,
    pub all: PeriodStats,
}

/// Answered with [`StatsEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsCommand {
    Load { partner: PartnerId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsEvent {
    /// A failure to count is the command's error (retried like any transient failure), not an event.
    Loaded(PartnerStats),
}

/// `/stats` or its button: count (the partner stays where they were).
pub fn start(state: &PartnerState, info: &PartnerInfo) -> PartnerStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(PartnerCommand::Stats(StatsCommand::Load {
            partner: info.id,
        }))],
    }
}

/// The counted statistics, shown with the menu keyboard.
pub fn on_result(state: &PartnerState, lang: Lang, event: StatsEvent) -> PartnerStep {
    let StatsEvent::Loaded(s) = event;
    let html = render(
        lang,
        &PartnerText::Stats {
            today: &s.today,
            month: &s.month,
            all: &s.all,
        },
    );
    Transition {
        next: state.clone(),
        effects: vec![Effect::Reply(Reply::with(html, menu_keyboard(lang)))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rated(ratings: &[i64]) -> PeriodStats {
        PeriodStats {
            ratings: ratings.len() as i64,
            rating_sum: ratings.iter().sum(),
            promoters: ratings.iter().filter(|r| **r >= 9).count() as i64,
            detractors: ratings.iter().filter(|r| **r <= 6).count() as i64,
            ..PeriodStats::default()
        }
    }

    #[test]
    fn nps_counts_promoters_minus_detractors_over_ratings() {
        // The fixture: 10, 9, 7, 3 → (2 − 1) / 4 × 100 = 25, average 7.25 → 7.3.
        let s = rated(&[10, 9, 7, 3]);
        assert_eq!(s.nps(), Some(25));
        assert_eq!(s.average_tenths(), Some(73));
        assert_eq!(rated(&[0, 0, 10]).nps(), Some(-33));
        assert_eq!(rated(&[0, 10, 10]).nps(), Some(33));
        assert_eq!(rated(&[0, 9]).nps(), Some(0));
        assert_eq!(rated(&[7, 8]).nps(), Some(0));
        assert_eq!(rated(&[10]).nps(), Some(100));
        assert_eq!(rated(&[6]).nps(), Some(-100));
        assert_eq!(rated(&[]).nps(), None);
        assert_eq!(rated(&[]).average_tenths(), None);
    }

    #[test]
    fn the_fixture_renders_turnover_points_and_nps_in_both_languages() {
        let all = PeriodStats {
            referred: 2,
            operations: 4,
            turnover_kopecks: 200_000,
            points_issued: 100,
            ..rated(&[10, 9, 7, 3])
        };
        let empty = PeriodStats::default();
        let key = PartnerText::Stats {
            today: &empty,
            month: &all,
            all: &all,
        };
        let ru = render(Lang::Ru, &key);
        assert!(ru.contains("Оборот: 2\u{a0}000,00\u{a0}₽"), "{ru}");
        assert!(ru.contains("Оборот: 0,00\u{a0}₽"), "{ru}");
        assert!(ru.contains("NPS: 25"), "{ru}");
        assert!(ru.contains("Средняя оценка: 7,3"), "{ru}");
        assert!(ru.contains("NPS: —"), "{ru}");
        let en = render(Lang::En, &key);
        assert!(en.contains("Turnover: 2,000.00\u{a0}₽"), "{en}");
        assert!(en.contains("Points issued: 100"), "{en}");
    }
}
