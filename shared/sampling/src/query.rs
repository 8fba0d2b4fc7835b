//! The `service` query parameter, read as Jaeger reads it: Go's `url.ParseQuery`, then "exactly
//! once". Pairs are split on `&`; a pair containing `;` or a bad `%` escape is dropped (not an
//! error); `+` is a space; `service` with no `=` is the empty name. Names are case-sensitive.

/// The one value of `name` in the raw query string, or `None` when it appears zero times or
/// more than once. A value that is not UTF-8 once decoded has its bad bytes replaced by U+FFFD.
pub(crate) fn single_value(query: Option<&str>, name: &str) -> Option<String> {
    let mut values = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.contains(';'))
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = unescape(key)?;
            let value = unescape(value)?;
            (key == name.as_bytes()).then_some(value)
        });
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    Some(String::from_utf8_lossy(&first).into_owned())
}

/// Go's `url.QueryUnescape`: `%XX` (hex, either case) is a byte, `+` a space; `None` when a
/// `%` is not followed by two hex digits.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let high = hex_digit(*bytes.get(index + 1)?)?;
                let low = hex_digit(*bytes.get(index + 2)?)?;
                out.push(high << 4 | low);
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    Some(out)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(query: &str) -> Option<String> {
        single_value(Some(query), "service")
    }

    #[test]
    fn exactly_once() {
        assert_eq!(single_value(None, "service"), None);
        assert_eq!(service(""), None);
        assert_eq!(service("service=a"), Some("a".to_owned()));
        assert_eq!(service("service=a&service=a"), None);
        assert_eq!(service("Service=a"), None);
        assert_eq!(service("x=1&&service=a&y"), Some("a".to_owned()));
    }

    #[test]
    fn decoded_as_go_does() {
        assert_eq!(service("service"), Some(String::new()));
        assert_eq!(service("service="), Some(String::new()));
        assert_eq!(service("service=a+b"), Some("a b".to_owned()));
        assert_eq!(service("service=a%20b%2fc%2F"), Some("a b/c/".to_owned()));
        assert_eq!(service("servic%65=x"), Some("x".to_owned()));
        assert_eq!(service("service=h%C3%A9"), Some("hé".to_owned()));
        assert_eq!(service("service=%FF"), Some("\u{fffd}".to_owned()));
        assert_eq!(service("service=a=b"), Some("a=b".to_owned()));
    }

    #[test]
    fn bad_pairs_are_dropped() {
        assert_eq!(service("service=a%ZZ"), None);
        assert_eq!(service("service=a%2"), None);
        assert_eq!(service("service=a;x=1"), None);
        assert_eq!(service("service=a&x=1;y=2"), Some("a".to_owned()));
        assert_eq!(service("service=a&service=%ZZ"), Some("a".to_owned()));
    }
}
