//! Characters a task's text may not hide: control characters (ANSI escape sequences start with
//! one) and invisible or bidirectional formatting characters, which make a title read differently
//! from what it contains (a right-to-left override turns "txt.exe" around), hide text from the
//! reader but not from a language model, or make a title look blank.

/// Why `text` is refused, naming the first offending character; `line_breaks` allows tab, line
/// feed and carriage return (descriptions), otherwise every control character is refused (titles).
pub(crate) fn problem(text: &str, line_breaks: bool) -> Option<String> {
    let mut in_flag = false;
    for c in text.chars() {
        // Tag characters spell out regional flags after U+1F3F4 and end with U+E007F; anywhere
        // else they are invisible ASCII.
        let tag = ('\u{E0020}'..='\u{E007F}').contains(&c);
        if tag && in_flag {
            in_flag = c != '\u{E007F}';
            continue;
        }
        in_flag = c == '\u{1F3F4}';
        let code = c as u32;
        if c.is_control() && !(line_breaks && matches!(c, '\t' | '\n' | '\r')) {
            return Some(format!(
                "must not contain control characters such as terminal escape sequences (found U+{code:04X})"
            ));
        }
        if tag || is_invisible(c) || (!line_breaks && matches!(c, '\u{2028}' | '\u{2029}')) {
            return Some(format!(
                "must not contain invisible or text-direction characters (found U+{code:04X})"
            ));
        }
    }
    None
}

/// Zero-width and filler characters, and the bidirectional marks, embeddings, overrides and
/// isolates. The zero-width joiner and non-joiner stay allowed: emoji sequences and several
/// scripts need them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_of_every_script_passes() {
        for text in [
            "Buy milk",
            "Café crème, naïve façade",
            "שלום עולם and مرحبا",
            "मेरा नाम",
            "می‌خواهم",          // Persian with a zero-width non-joiner
            "Family 👨‍👩‍👧 and ❤️", // joiner and variation selector
            "Visit 🏴󠁧󠁢󠁳󠁣󠁴󠁿 in May",  // the flag of Scotland: tag characters
        ] {
            assert_eq!(problem(text, false), None, "{text:?}");
        }
        assert_eq!(problem("line one\nline two\ttabbed\r\n", true), None);
    }

    #[test]
    fn hidden_characters_are_named() {
        let cases = [
            ("invoice\u{202E}fdp.exe", "U+202E"),
            ("zero\u{200B}width", "U+200B"),
            ("\u{FEFF}bom", "U+FEFF"),
            ("isolate\u{2066}x\u{2069}", "U+2066"),
            ("\u{3164}", "U+3164"),
            ("smuggled \u{E0069}\u{E0067}", "U+E0069"),
            ("red \u{1b}[31mtext", "U+001B"),
            ("csi \u{9b}31m", "U+009B"),
        ];
        for (text, code) in cases {
            let found = problem(text, true).unwrap_or_else(|| panic!("{text:?} passed"));
            assert!(found.ends_with(&format!("(found {code})")), "{found}");
        }
        assert!(problem("two\nlines", false).is_some(), "titles are one line");
        assert!(problem("para\u{2029}graph", false).is_some());
        assert!(
            problem("🏴\u{E0067}\u{E007F}\u{E0067}", false).is_some(),
            "tags after the flag ended"
        );
    }
}
