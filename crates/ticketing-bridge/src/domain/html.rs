//! Plain text into Freshdesk's HTML fields (TK-06): every character that could open markup is
//! escaped, so no input — an agent's description, an attention event, a hostile string — can
//! inject tags, attributes or scripts. Line breaks survive as `<br>` and blank lines as
//! paragraphs, so the ticket reads like the text that was sent.

/// Escapes `text` for HTML element content and attribute values (`& < > " '`) and drops control
/// characters other than tab and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escaped paragraphs: blank lines separate `<p>` elements, single line breaks become `<br>`.
/// Empty text gives an empty string.
pub fn paragraphs(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    for block in normalised.split("\n\n").map(|b| b.trim_matches('\n')).filter(|b| !b.trim().is_empty()) {
        let lines: Vec<String> = block.lines().map(|l| escape(l.trim_end())).collect();
        out.push_str("<p>");
        out.push_str(&lines.join("<br>"));
        out.push_str("</p>");
    }
    out
}

/// A link to `url` when it is a plain `http(s)` URL (no blanks, quotes or angle brackets);
/// anything else is shown as escaped text, never as a link.
pub fn link(url: &str) -> String {
    let url = url.trim();
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`'));
    if plain {
        let e = escape(url);
        format!("<a href=\"{e}\">{e}</a>")
    } else {
        escape(url)
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tk_06_markup_in_text_is_escaped() {
        let cases = [
            ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("Tom & Jerry", "Tom &amp; Jerry"),
            ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"),
            ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
            ("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
            ("bell\u{7}nul\u{0}", "bellnul"),
            ("Grüezi – Waschküche", "Grüezi – Waschküche"),
        ];
        for (text, want) in cases {
            assert_eq!(escape(text), want, "{text:?}");
        }
    }

    #[test]
    fn tk_06_paragraphs_keep_line_breaks_and_escape() {
        let cases = [
            ("", ""),
            ("one line", "<p>one line</p>"),
            ("a\nb", "<p>a<br>b</p>"),
            ("a\r\nb\r\n\r\nc", "<p>a<br>b</p><p>c</p>"),
            ("x\n\n\n\ny", "<p>x</p><p>y</p>"),
            ("<b>\n</b>", "<p>&lt;b&gt;<br>&lt;/b&gt;</p>"),
        ];
        for (text, want) in cases {
            assert_eq!(paragraphs(text), want, "{text:?}");
        }
    }

    #[test]
    fn tk_06_only_plain_http_urls_become_links() {
        let cases = [
            (
                "https://grafana/d/x?order=4711&a=1",
                "<a href=\"https://grafana/d/x?order=4711&amp;a=1\">https://grafana/d/x?order=4711&amp;a=1</a>",
            ),
            ("javascript:alert(1)", "javascript:alert(1)"),
            ("https://x\" onmouseover=\"alert(1)", "https://x&quot; onmouseover=&quot;alert(1)"),
            ("https://x/<script>", "https://x/&lt;script&gt;"),
        ];
        for (url, want) in cases {
            assert_eq!(link(url), want, "{url:?}");
        }
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("äöüß", 2), "ä…");
    }
}
