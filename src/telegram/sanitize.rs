//! Text from Telegram made safe to store and to show to other users (issue 12, item 1). Postgres refuses a NUL in
//! `text` (the update would fail, be redelivered, and stall the bot), control characters garble transcripts and
//! logs, and a bidirectional override in a name reverses the rest of whatever message shows it.

use std::borrow::Cow;

/// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): each opens a direction run that lasts until
/// its terminator or the end of the paragraph, so one in a stored string reverses the text it is later pasted into.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Direction marks (LRM, RLM, ALM): harmless inside one message, but a name, a company name or a promotion's title
/// is shown inside other people's messages and pages, where it must carry no direction of its own (a U+200F after a
/// company name moved the time before the separator in the Mini App's history).
fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// C0 and C1 controls and DEL (Unicode category Cc), except newline and tab, which people type.
fn is_unwanted_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

fn without(text: &str, drop: impl Fn(char) -> bool) -> Cow<'_, str> {
    if text.chars().any(&drop) {
        Cow::Owned(text.chars().filter(|&c| !drop(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// A message text, callback data or contact phone: controls other than newline and tab, bidi overrides and direction
/// marks are removed (a company name, a title or a partner's note arrives as plain text and is shown to others).
pub fn text(text: &str) -> Cow<'_, str> {
    without(text, |c| {
        is_unwanted_control(c) || is_bidi_override(c) || is_bidi_mark(c)
    })
}

/// A person's name: as [`text`], and without newlines, tabs or direction marks either, since it is shown inside
/// other messages; at most `max_chars` characters.
pub fn name(name: &str, max_chars: usize) -> String {
    name.chars()
        .filter(|&c| !(c.is_control() || is_bidi_override(c) || is_bidi_mark(c)))
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_controls_go_but_newline_and_tab_stay() {
        assert_eq!(
            text("A\u{0}B\u{7}C\u{1b}[31m\u{7f}\u{85}\u{9b}D"),
            "ABC[31mD"
        );
        assert_eq!(text("line one\nline\ttwo"), "line one\nline\ttwo");
        assert!(matches!(text("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn bidi_overrides_and_marks_go_from_texts_and_names() {
        assert_eq!(text("Кофе\u{202E}йонйач"), "Кофейонйач");
        assert_eq!(text("\u{2066}x\u{2069} \u{200F}שלום"), "x שלום");
        assert_eq!(text("Кофейня & Co\u{200F}"), "Кофейня & Co");
        assert_eq!(name("A\u{0}B", 64), "AB");
        assert_eq!(name("\u{202E}Ann\u{200E}a\u{61C}\n", 64), "Anna");
        assert_eq!(name(&"я".repeat(100), 64).chars().count(), 64);
    }
}
