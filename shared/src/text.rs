//! Text a person types that others will read (names, descriptions): trimmed, bounded in
//! characters, and free of control characters and of the bidirectional overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069) that make text display in another order than it is stored
//! (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`).

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line: 1 to `max` characters once trimmed.
pub fn single_line(raw: &str, max: usize) -> Result<String, &'static str> {
    let text = raw.trim();
    checked(text, 1, max, |c| c.is_control())
}

/// Paragraphs: up to `max` characters, line breaks and tabs allowed.
pub fn multi_line(raw: &str, max: usize) -> Result<String, &'static str> {
    checked(raw, 0, max, |c| {
        c.is_control() && !matches!(c, '\n' | '\r' | '\t')
    })
}

fn checked(
    text: &str,
    min: usize,
    max: usize,
    forbidden: impl Fn(char) -> bool,
) -> Result<String, &'static str> {
    let length = text.chars().count();
    if length < min {
        Err("must not be empty")
    } else if length > max {
        Err(match max {
            100 => "must be at most 100 characters",
            200 => "must be at most 200 characters",
            5000 => "must be at most 5000 characters",
            _ => "is too long",
        })
    } else if text.chars().any(|c| forbidden(c) || is_bidi_control(c)) {
        Err("must not contain control or bidirectional-override characters")
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_trimmed_and_bounded_in_characters() {
        assert_eq!(single_line("  Blue mug ", 200), Ok("Blue mug".to_owned()));
        assert!(single_line(" \t ", 200).is_err());
        assert!(single_line(&"é".repeat(200), 200).is_ok());
        assert!(single_line(&"é".repeat(201), 200).is_err());
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for bad in [
            "a\u{0}b",
            "a\nb",
            "invoice\u{202e}fdp.exe",
            "x\u{2066}y",
            "\u{7f}",
        ] {
            assert!(single_line(bad, 200).is_err(), "{bad:?}");
        }
        assert!(multi_line("line one\nline two\ttab", 5000).is_ok());
        assert!(multi_line("bell\u{7}", 5000).is_err());
        assert!(multi_line("evil\u{202d}", 5000).is_err());
        assert_eq!(multi_line("", 5000), Ok(String::new()));
    }
}
