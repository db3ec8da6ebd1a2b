//! Text that someone else supplied (a description, a tag, a name, a discovery source's VPC id,
//! a directory name) shown to a person: a terminal obeys control characters, so a description
//! holding `ESC [2J` could clear the screen and print a fake "all good", and a bidirectional
//! override could make a CIDR read backwards. Every place that shows such text to a person
//! (the command line's tables and messages, Terraform diagnostics) passes it through
//! [`escape_controls`] first.
//!
//! The form chosen is Rust's: `\u{1b}` for ESC, `\u{9b}` for the C1 CSI, `\u{202e}` for a
//! right-to-left override: lowercase hexadecimal without leading zeros, the same in every
//! output. A backslash itself is left as it is. JSON output keeps JSON's own form (`\u001b`):
//! see [`escape_json`].

use std::borrow::Cow;

/// Whether a person's terminal or text layout would act on `c` instead of showing it: the
/// Unicode control characters (C0, DEL, C1 including the single-byte CSI U+009B) and the
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character [`is_hostile`] says a terminal would act on written as `\u{..}`;
/// borrowed when there is none (the usual case).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// [`escape_controls`] for a multi-line message: its line breaks are kept (the message's own
/// layout), every other control character is escaped.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n')
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hostile(c) && !keep(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON with the characters JSON leaves raw (DEL, C1, the bidirectional controls)
/// written as JSON escapes (`\u009b`) too, as serde already writes C0 (`\u001b`). In
/// serialised JSON such a character can only stand inside a string, so the result is the same
/// document.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_hostile_in_json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_hostile_in_json(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A hostile character a JSON serialiser may leave raw; C0 it must escape, and its line
/// breaks between tokens are layout.
fn is_hostile_in_json(c: char) -> bool {
    is_hostile(c) && !matches!(c, '\n' | '\r' | '\t' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(
            escape_controls("\u{1b}[2J\u{1b}[31mFAKE: all good"),
            "\\u{1b}[2J\\u{1b}[31mFAKE: all good"
        );
        for (raw, shown) in [
            ("a\u{7f}b", "a\\u{7f}b"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("\u{85}", "\\u{85}"),
            ("10.0.0.0/8\u{202e}", "10.0.0.0/8\\u{202e}"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("tab\there", "tab\\u{9}here"),
            ("two\nlines", "two\\u{a}lines"),
        ] {
            assert_eq!(escape_controls(raw), shown, "{raw:?}");
        }
        // Ordinary text, accents and other scripts included, is left alone.
        assert!(matches!(
            escape_controls("café 東京 \\u{1b}"),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape_lines("a\u{1b}\nb"), "a\\u{1b}\nb");
    }

    #[test]
    fn json_keeps_its_own_escapes_for_what_serde_leaves_raw() {
        let doc = serde_json::json!({"d": "\u{1b}[2J\u{9b}\u{7f}\u{202e}"});
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let escaped = escape_json(&text);
        assert!(!escaped.chars().any(|c| is_hostile(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, doc, "the same document");
        assert!(
            escaped.contains("\\u001b[2J\\u009b\\u007f\\u202e"),
            "{escaped}"
        );
    }
}
