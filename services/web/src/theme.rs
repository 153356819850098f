//! Tenant branding as CSS custom properties, served as a small stylesheet (`/theme.css`) so the
//! content security policy can forbid inline styles. Colours are validated (`#rrggbb`) when a
//! tenant-config is applied, and checked again here, so nothing else can reach the CSS.

/// Platform colours for the apex site, the console and error pages of unknown hosts.
pub const PLATFORM_PRIMARY: &str = "#1f3a5f";
pub const PLATFORM_ACCENT: &str = "#d9822b";

fn parse_hex(colour: &str) -> Option<(u8, u8, u8)> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((channel(0)?, channel(2)?, channel(4)?))
}

/// WCAG relative luminance of an sRGB colour.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// White or near-black, whichever reads better on `background` (WCAG contrast ratio).
pub fn readable_text_on(background: &str) -> &'static str {
    let Some(rgb) = parse_hex(background) else {
        return "#ffffff";
    };
    let l = luminance(rgb);
    let on_white = 1.05 / (l + 0.05);
    let on_dark = (l + 0.05) / (luminance((0x1a, 0x1a, 0x1a)) + 0.05);
    if on_white >= on_dark {
        "#ffffff"
    } else {
        "#1a1a1a"
    }
}

/// The stylesheet for a brand. Invalid colours fall back to the platform's.
pub fn theme_css(primary: &str, accent: &str) -> String {
    let primary = if parse_hex(primary).is_some() {
        primary
    } else {
        PLATFORM_PRIMARY
    };
    let accent = if parse_hex(accent).is_some() {
        accent
    } else {
        PLATFORM_ACCENT
    };
    format!(
        ":root{{--brand:{primary};--brand-contrast:{};--accent:{accent};--accent-contrast:{};}}\n",
        readable_text_on(primary),
        readable_text_on(accent),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_readable_text_colours() {
        assert_eq!(readable_text_on("#1f3a5f"), "#ffffff");
        assert_eq!(readable_text_on("#f5d90a"), "#1a1a1a");
    }

    #[test]
    fn refuses_anything_but_hex_colours() {
        let css = theme_css("red;}body{display:none", "#abcdef");
        assert!(css.contains(PLATFORM_PRIMARY));
        assert!(!css.contains("display"));
    }
}
