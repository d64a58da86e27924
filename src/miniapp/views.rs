//! What the API's answers are made of: rows turned into JSON with their texts rendered, dates in the network time
//! zone, the member code's QR as SVG, the masked phone.

use fsm::text::{MiniAppText, render};
use fsm::{Kopecks, Lang};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use actors::db::miniapp::{OperationRow, PromotionRow, ServiceRow};

/// Today in the network time zone.
pub(super) fn today(tz: &TimeZone) -> Date {
    jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date()
}

/// A date as the client reads it: «29 ноября 2026».
fn date_key(date: Date) -> MiniAppText {
    MiniAppText::Date {
        day: date.day().unsigned_abs(),
        month: date.month().unsigned_abs(),
        year: date.year(),
    }
}

/// The day of Unix time `unix_s` in the network time zone, written out («29 ноября 2026»).
pub(super) fn date_text(lang: Lang, tz: &TimeZone, unix_s: i64) -> Option<String> {
    let at = jiff::Timestamp::from_second(unix_s)
        .ok()?
        .to_zoned_datetime(tz.clone());
    Some(render(lang, &date_key(at.date())))
}

pub(super) fn promotion(lang: Lang, p: &PromotionRow) -> Value {
    let until = p.ends_on.parse::<Date>().ok().map(|d| {
        render(
            lang,
            &MiniAppText::Until {
                day: d.day().unsigned_abs(),
                month: d.month().unsigned_abs(),
            },
        )
    });
    json!({
        "id": p.id,
        "partner": p.partner,
        "title": p.title,
        "description": p.description,
        "discount": p.discount_text,
        "ends_on": p.ends_on,
        "until_text": until,
    })
}

/// Services the balance covers (cheapest first) and the ones to save up for (the nearest first), each with what
/// is missing.
pub(super) fn split_services(
    lang: Lang,
    balance: i64,
    list: &[ServiceRow],
) -> (Vec<Value>, Vec<Value>) {
    let one = |s: &ServiceRow| {
        let missing = (s.price_points - balance).max(0);
        json!({
            "id": s.id,
            "partner": s.partner,
            "title": s.title,
            "description": s.description,
            "price_points": s.price_points,
            "price_text": render(lang, &MiniAppText::Points { n: s.price_points }),
            "missing_points": missing,
            "missing_text": (missing > 0).then(|| render(lang, &MiniAppText::PointsMissing { n: missing })),
        })
    };
    // The list comes cheapest first, so both halves keep that order: the nearest goal leads "saving up".
    let (affordable, saving_up): (Vec<&ServiceRow>, Vec<&ServiceRow>) =
        list.iter().partition(|s| s.price_points <= balance);
    (
        affordable.into_iter().map(one).collect(),
        saving_up.into_iter().map(one).collect(),
    )
}

/// One history item: what happened, the points with their sign, the partner, the receipt, and its day and time in
/// the network time zone (`day` `YYYY-MM-DD` to group by; the year is written only for another year than this one).
pub(super) fn operation(lang: Lang, tz: &TimeZone, op: &OperationRow) -> Value {
    let kind_text = render(
        lang,
        &match op.kind.as_str() {
            "accrual" => MiniAppText::KindAccrual,
            "redemption" => MiniAppText::KindRedemption,
            "welcome_bonus" => MiniAppText::KindWelcomeBonus,
            _ => MiniAppText::KindReversal,
        },
    );
    let points_text = if op.points >= 0 {
        render(lang, &MiniAppText::PointsIn { n: op.points })
    } else {
        render(lang, &MiniAppText::PointsOut { n: -op.points })
    };
    let receipt_text = op
        .receipt_kopecks
        .and_then(Kopecks::new)
        .map(|amount| render(lang, &MiniAppText::Receipt { amount }));
    let at = jiff::Timestamp::from_second(op.created_at_unix_s)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(tz.clone());
    let day = at.date();
    let day_text = if day.year() == today(tz).year() {
        render(
            lang,
            &MiniAppText::Day {
                day: day.day().unsigned_abs(),
                month: day.month().unsigned_abs(),
            },
        )
    } else {
        render(lang, &date_key(day))
    };
    json!({
        "id": op.id,
        "kind": op.kind,
        "kind_text": kind_text,
        "points": op.points,
        "points_text": points_text,
        "partner": op.partner,
        "receipt_text": receipt_text,
        "day": day.to_string(),
        "day_text": day_text,
        "time": at.strftime("%H:%M").to_string(),
    })
}

/// The member code as a QR code, an inline SVG scaled by the page (one unit a module, white quiet zone). Only the
/// code is in it: what a partner types instead of the phone.
pub(super) fn qr_svg(member_code: &str) -> Option<String> {
    let code = qrcode::QrCode::new(member_code.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .dark_color(qrcode::render::svg::Color("#000"))
        .light_color(qrcode::render::svg::Color("#fff"))
        .build();
    // Inline in HTML the XML declaration is noise.
    let start = svg.find("<svg").unwrap_or(0);
    Some(svg[start..].to_owned())
}

/// The phone with all but its country code and last two digits hidden: `+7 ••• •••-••-67`; other countries
/// `+44•••••••67`. Enough for the client to recognise their number, not enough for someone looking over a shoulder.
pub(super) fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.trim_start_matches('+').chars().collect();
    let n = digits.len();
    if n < 4 {
        return "•".repeat(n);
    }
    let last: String = digits[n - 2..].iter().collect();
    if n == 11 && digits[0] == '7' {
        return format!("+7 ••• •••-••-{last}");
    }
    let head: String = digits[..2].iter().collect();
    format!("+{head}{}{last}", "•".repeat(n - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_but_recognisable() {
        assert_eq!(mask_phone("+79161234567"), "+7 ••• •••-••-67");
        assert_eq!(mask_phone("+447911123456"), "+44••••••••56");
        assert!(!mask_phone("+79161234567").contains("916"));
    }

    #[test]
    fn the_qr_is_an_inline_svg() {
        let svg = qr_svg("K7M2QX").expect("svg");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn an_operation_is_dated_in_the_network_time_zone() {
        let tz = TimeZone::get("Europe/Moscow").expect("tz");
        // 2025-12-31 21:30 UTC is 2026-01-01 00:30 in Moscow.
        let op = OperationRow {
            id: 1,
            kind: "accrual".into(),
            points: 99,
            partner: Some("Кофейня".into()),
            receipt_kopecks: Some(199_999),
            created_at_unix_s: 1_767_216_600,
        };
        let item = operation(Lang::Ru, &tz, &op);
        assert_eq!(item["day"], "2026-01-01");
        assert_eq!(item["time"], "00:30");
        assert_eq!(item["points_text"], "+99");
        assert_eq!(item["receipt_text"], "чек 1\u{a0}999,99\u{a0}₽");
    }
}
