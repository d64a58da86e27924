//! The admin's tools besides moderation (SPEC §2, §6): network statistics, a partner's cashback rate within the
//! network's bounds, the reversal of an operation with a reason (a compensating entry; the client is told), and
//! the one-time login link to the dashboard. Rate changes and reversals go through a confirm screen named by a
//! draft id, so a stale or forged Confirm does nothing.

use super::{
    AdminCommand, AdminCtx, AdminEvent, AdminState, AdminStep, NetworkStats, OperationCard,
    PartnerRow, REASON_MAX_CHARS, RateChanged, Reversed, cancel_keyboard, command, menu,
    menu_keyboard, say,
};
use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{BotKind, InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::money::{CashbackRate, Kopecks};
use crate::text::format::{integer, money, rate};
use crate::text::{AdminText, CommonText, escape, render};

/// Partners listed when a `/rate` query matches several.
pub const PARTNERS_LISTED_MAX: usize = 10;

fn ask(lang: Lang, next: AdminState, key: AdminText<'_>) -> AdminStep {
    crate::dialogue::reply(next, Reply::with(render(lang, &key), cancel_keyboard(lang)))
}

/// `/rate` (with the partner's number or name after it, or asking for it).
pub(super) fn rate_start(lang: Lang, input: &UserInput) -> AdminStep {
    match input {
        UserInput::Command { args, .. } if !args.trim().is_empty() => command(
            AdminState::RateAskPartner,
            AdminCommand::FindPartners {
                query: args.trim().to_string(),
            },
        ),
        _ => ask(lang, AdminState::RateAskPartner, AdminText::RateAskPartner),
    }
}

/// `/reverse` (with the operation's number after it, or asking for it).
pub(super) fn reverse_start(lang: Lang, input: &UserInput) -> AdminStep {
    match input {
        UserInput::Command { args, .. } if !args.trim().is_empty() => operation_asked(lang, args),
        _ => ask(
            lang,
            AdminState::ReverseAskOperation,
            AdminText::ReverseAskOperation,
        ),
    }
}

fn operation_asked(lang: Lang, text: &str) -> AdminStep {
    let digits = text.trim().trim_start_matches('#');
    match digits.parse::<i64>() {
        Ok(id) if id > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => command(
            AdminState::ReverseAskOperation,
            AdminCommand::FindOperation { id },
        ),
        _ => ask(
            lang,
            AdminState::ReverseAskOperation,
            AdminText::ReverseBadId,
        ),
    }
}

fn confirm_keyboard(lang: Lang, draft: &DraftId) -> Keyboard {
    let button = |key: CommonText, confirm: bool| InlineButton {
        text: render(lang, &key),
        data: Callback::AdminConfirm {
            draft: draft.clone(),
            confirm,
        }
        .encode(),
    };
    Keyboard::Inline(vec![vec![
        button(CommonText::BtnConfirm, true),
        button(CommonText::BtnCancel, false),
    ]])
}

/// Typed input or a confirm button inside the rate and reversal dialogues.
pub(super) fn on_input(state: &AdminState, ctx: &AdminCtx, ev: UserEvent) -> AdminStep {
    let lang = ctx.lang;
    if let UserInput::Callback { data } = &ev.input {
        return on_confirm(state, lang, data);
    }
    let text = match &ev.input {
        UserInput::Text(t) => t.trim(),
        _ => "",
    };
    match state {
        AdminState::RateAskPartner if !text.is_empty() => command(
            state.clone(),
            AdminCommand::FindPartners {
                query: text.to_string(),
            },
        ),
        AdminState::RateAskPartner => ask(lang, state.clone(), AdminText::RateAskPartner),
        AdminState::RateAskValue { partner } => {
            let (min, max) = (ctx.rate_min.basis_points(), ctx.rate_max.basis_points());
            match CashbackRate::parse_percent(text, min, max) {
                Some(new) => {
                    let draft = ev.fresh_draft;
                    let html = render(
                        lang,
                        &AdminText::RateConfirm {
                            company: &escape(&partner.company),
                            from: &rate(lang, partner.rate),
                            to: &rate(lang, new),
                        },
                    );
                    crate::dialogue::reply(
                        AdminState::RateConfirm {
                            partner: partner.clone(),
                            rate: new,
                            draft: draft.clone(),
                        },
                        Reply::with(html, confirm_keyboard(lang, &draft)),
                    )
                }
                None => ask(
                    lang,
                    state.clone(),
                    AdminText::RateBadValue {
                        min: &rate(lang, ctx.rate_min),
                        max: &rate(lang, ctx.rate_max),
                    },
                ),
            }
        }
        AdminState::ReverseAskOperation => operation_asked(lang, text),
        AdminState::ReverseAskReason { operation } => {
            if text.is_empty() || text.chars().count() > REASON_MAX_CHARS {
                return ask(lang, state.clone(), AdminText::ReverseAskReason);
            }
            let draft = ev.fresh_draft;
            let html = format!(
                "{}\n\n{}",
                operation_text(lang, operation),
                render(lang, &AdminText::ReverseConfirm)
            );
            crate::dialogue::reply(
                AdminState::ReverseConfirm {
                    operation: operation.clone(),
                    reason: text.to_string(),
                    draft: draft.clone(),
                },
                Reply::with(html, confirm_keyboard(lang, &draft)),
            )
        }
        // A confirm screen waits for its buttons.
        AdminState::RateConfirm { .. } | AdminState::ReverseConfirm { .. } => {
            say(lang, state.clone(), CommonText::UseTheButtons)
        }
        AdminState::Menu | AdminState::RejectReason { .. } => menu(lang),
    }
}

fn on_confirm(state: &AdminState, lang: Lang, data: &str) -> AdminStep {
    let Decoded::Current(Callback::AdminConfirm { draft, confirm }) = Callback::decode(data) else {
        return say(lang, state.clone(), CommonText::StaleButton);
    };
    let cancelled = || Transition {
        next: AdminState::Menu,
        effects: vec![
            Effect::Edit(Reply::new(render(lang, &AdminText::Cancelled))),
            Effect::Reply(Reply::with(
                render(lang, &AdminText::Menu),
                menu_keyboard(lang),
            )),
        ],
    };
    // Only the confirm screen on show, by its draft: another screen's button is stale whatever it says.
    let next = match state {
        AdminState::RateConfirm {
            partner,
            rate,
            draft: shown,
        } if *shown == draft => AdminCommand::SetRate {
            partner: partner.id,
            rate: *rate,
        },
        AdminState::ReverseConfirm {
            operation,
            reason,
            draft: shown,
        } if *shown == draft => AdminCommand::Reverse {
            operation: operation.id,
            reason: reason.clone(),
            draft,
        },
        _ => return say(lang, state.clone(), CommonText::StaleButton),
    };
    if !confirm {
        return cancelled();
    }
    command(state.clone(), next)
}

/// The results of the tools' commands.
pub(super) fn on_result(state: &AdminState, ctx: &AdminCtx, event: AdminEvent) -> AdminStep {
    let lang = ctx.lang;
    match event {
        AdminEvent::Stats(stats) => crate::dialogue::reply(
            AdminState::Menu,
            Reply::with(stats_text(lang, &stats), menu_keyboard(lang)),
        ),
        AdminEvent::Partners(found) => partners_found(lang, ctx, found),
        AdminEvent::RateChanged(outcome) => rate_changed(state, lang, outcome),
        AdminEvent::Operation(found) => operation_found(lang, found),
        AdminEvent::Reversed(outcome) => reversed(state, lang, outcome),
        AdminEvent::DashboardLink(Some((url, minutes))) => crate::dialogue::reply(
            AdminState::Menu,
            Reply::new(render(
                lang,
                &AdminText::DashboardLink {
                    url: &escape(&url),
                    minutes: minutes as i64,
                },
            )),
        ),
        AdminEvent::DashboardLink(None) => {
            say(lang, AdminState::Menu, AdminText::DashboardNotConfigured)
        }
        // Moderation's results are moderation's; a user event never reaches here.
        _ => menu(lang),
    }
}

/// `/stats` as text.
pub fn stats_text(lang: Lang, s: &NetworkStats) -> String {
    let turnover = Kopecks::new(s.turnover_kopecks).map_or_else(|| "0".into(), |k| money(lang, k));
    let nps = s.nps().map_or_else(|| "—".into(), |n| integer(lang, n));
    render(
        lang,
        &AdminText::Stats {
            clients: s.clients,
            active: s.active_clients_30d,
            pending: s.partners_pending,
            approved: s.partners_approved,
            rejected: s.partners_rejected,
            accruals: s.accruals,
            redemptions: s.redemptions,
            reversals: s.reversals,
            turnover: &turnover,
            accrued: s.points_accrued,
            bonus: s.points_bonus,
            redeemed: s.points_redeemed,
            ratings: s.ratings,
            promoters: s.promoters,
            passives: s.passives,
            detractors: s.detractors,
            nps: &nps,
        },
    )
}

fn partners_found(lang: Lang, ctx: &AdminCtx, found: Vec<PartnerRow>) -> AdminStep {
    match found.as_slice() {
        [] => ask(lang, AdminState::RateAskPartner, AdminText::RateNoPartner),
        [partner] => ask(
            lang,
            AdminState::RateAskValue {
                partner: partner.clone(),
            },
            AdminText::RateAskValue {
                company: &escape(&partner.company),
                rate: &rate(lang, partner.rate),
                min: &rate(lang, ctx.rate_min),
                max: &rate(lang, ctx.rate_max),
            },
        ),
        many => {
            let list: Vec<String> = many
                .iter()
                .take(PARTNERS_LISTED_MAX)
                .map(|p| {
                    format!(
                        "#{} — {} ({})",
                        p.id,
                        escape(&p.company),
                        rate(lang, p.rate)
                    )
                })
                .collect();
            ask(
                lang,
                AdminState::RateAskPartner,
                AdminText::RateManyPartners {
                    list: &list.join("\n"),
                },
            )
        }
    }
}

fn rate_changed(state: &AdminState, lang: Lang, outcome: RateChanged) -> AdminStep {
    let AdminState::RateConfirm {
        partner, rate: new, ..
    } = state
    else {
        return menu(lang);
    };
    let line = match outcome {
        RateChanged::Done { previous } => {
            let done = render(
                lang,
                &AdminText::RateDone {
                    company: &escape(&partner.company),
                    from: &rate(lang, previous),
                    to: &rate(lang, *new),
                },
            );
            let notice = render(
                partner.lang,
                &AdminText::RateNotice {
                    rate: &rate(partner.lang, *new),
                },
            );
            return Transition {
                next: AdminState::Menu,
                effects: vec![
                    Effect::Edit(Reply::new(done)),
                    Effect::Notify {
                        bot: BotKind::Partner,
                        chat_id: partner.telegram_id,
                        reply: Reply::new(notice),
                    },
                    Effect::Reply(Reply::with(
                        render(lang, &AdminText::Menu),
                        menu_keyboard(lang),
                    )),
                ],
            };
        }
        RateChanged::Unchanged => AdminText::RateUnchanged,
        RateChanged::NotFound => AdminText::RateNoPartner,
    };
    Transition {
        next: AdminState::Menu,
        effects: vec![
            Effect::Edit(Reply::new(render(lang, &line))),
            Effect::Reply(Reply::with(
                render(lang, &AdminText::Menu),
                menu_keyboard(lang),
            )),
        ],
    }
}

fn kind_text(lang: Lang, kind: &str) -> String {
    let key = match kind {
        "accrual" => AdminText::KindAccrual,
        "redemption" => AdminText::KindRedemption,
        "welcome_bonus" => AdminText::KindBonus,
        _ => AdminText::KindReversal,
    };
    render(lang, &key)
}

/// An operation as the reversal dialogue shows it.
pub fn operation_text(lang: Lang, op: &OperationCard) -> String {
    let receipt = op
        .receipt_kopecks
        .and_then(Kopecks::new)
        .map_or_else(|| "—".into(), |k| money(lang, k));
    render(
        lang,
        &AdminText::ReverseCard {
            id: op.id,
            kind: &kind_text(lang, &op.kind),
            code: &escape(&op.member_code),
            company: &op.company.as_deref().map_or_else(|| "—".into(), escape),
            points: op.points,
            receipt: &receipt,
            date: &escape(&op.date),
        },
    )
}

fn operation_found(lang: Lang, found: Option<OperationCard>) -> AdminStep {
    let Some(op) = found else {
        return ask(
            lang,
            AdminState::ReverseAskOperation,
            AdminText::ReverseNotFound,
        );
    };
    let refusal = if op.kind == "reversal" {
        Some(AdminText::ReverseNotReversible)
    } else if op.reversed_by.is_some() {
        Some(AdminText::ReverseAlready)
    } else {
        None
    };
    let card = operation_text(lang, &op);
    match refusal {
        Some(key) => crate::dialogue::reply(
            AdminState::Menu,
            Reply::with(
                format!("{card}\n\n{}", render(lang, &key)),
                menu_keyboard(lang),
            ),
        ),
        None => crate::dialogue::reply(
            AdminState::ReverseAskReason { operation: op },
            Reply::with(
                format!("{card}\n\n{}", render(lang, &AdminText::ReverseAskReason)),
                cancel_keyboard(lang),
            ),
        ),
    }
}

fn reversed(state: &AdminState, lang: Lang, outcome: Reversed) -> AdminStep {
    let AdminState::ReverseConfirm {
        operation, reason, ..
    } = state
    else {
        return menu(lang);
    };
    let mut effects = Vec::new();
    let line = match outcome {
        Reversed::Done { reversal, balance } => {
            if let Some(chat) = operation.client_chat {
                // An accrual or a bonus reversed takes points back; a redemption reversed gives them back.
                let sign = if operation.kind == "redemption" {
                    "+"
                } else {
                    "−"
                };
                let change = format!("{sign}{}", operation.points);
                effects.push(Effect::Notify {
                    bot: BotKind::Client,
                    chat_id: chat,
                    reply: Reply::new(render(
                        operation.client_lang,
                        &AdminText::ReverseClientNotice {
                            change: &change,
                            balance,
                            reason: &escape(reason),
                        },
                    )),
                });
            }
            render(lang, &AdminText::ReverseDone { reversal, balance })
        }
        Reversed::AlreadyReversed => render(lang, &AdminText::ReverseAlready),
        Reversed::NotReversible => render(lang, &AdminText::ReverseNotReversible),
        Reversed::NotFound => render(lang, &AdminText::ReverseNotFound),
        Reversed::InsufficientPoints { balance } => {
            render(lang, &AdminText::ReverseInsufficient { balance })
        }
    };
    effects.insert(0, Effect::Edit(Reply::new(line)));
    effects.push(Effect::Reply(Reply::with(
        render(lang, &AdminText::Menu),
        menu_keyboard(lang),
    )));
    Transition {
        next: AdminState::Menu,
        effects,
    }
}
