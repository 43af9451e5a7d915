//! Percent-decoding, the one decoder for what arrives URL-encoded: object keys in S3 events
//! (where `+` is a space) and path segments (where it is a `+`).

/// Whether `+` stands for a space (form encoding, as S3 events use) or for itself (paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    Space,
    Literal,
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or the bytes are not UTF-8.
pub fn decode(text: &str, plus: Plus) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus == Plus::Space => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_plus_decode_as_asked() {
        assert_eq!(
            decode("incoming%2F01J%2F01K", Plus::Space).as_deref(),
            Some("incoming/01J/01K")
        );
        assert_eq!(decode("a+b%20c", Plus::Space).as_deref(), Some("a b c"));
        assert_eq!(decode("a+b%20c", Plus::Literal).as_deref(), Some("a+b c"));
        assert_eq!(
            decode("%C3%A9t%C3%A9", Plus::Literal).as_deref(),
            Some("été")
        );
    }

    #[test]
    fn malformed_escapes_and_invalid_utf8_are_refused() {
        for text in ["bad%zz", "cut%2", "%+1", "%FF", "%"] {
            assert_eq!(decode(text, Plus::Literal), None, "{text}");
        }
    }
}
