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

/// The contrast the product's text needs against a brand colour: WCAG AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;

/// WCAG contrast ratio of two luminances.
fn ratio(a: f64, b: f64) -> f64 {
    let (light, dark) = if a >= b { (a, b) } else { (b, a) };
    (light + 0.05) / (dark + 0.05)
}

/// How well a colour reads where the product puts it: `on` — the best text colour
/// ([`readable_text_on`]) on buttons and badges of that colour; `as_text` — the colour, darkened
/// as links and headings use it (`--c-brand-ink`, about 12% towards black), on the white page.
/// None for anything but `#rrggbb`.
pub fn contrast_of(colour: &str) -> Option<(f64, f64)> {
    let rgb = parse_hex(colour)?;
    let l = luminance(rgb);
    let on = ratio(l, 1.0).max(ratio(l, luminance((0x1a, 0x1a, 0x1a))));
    let darken = |c: u8| (f64::from(c) * 0.88).round() as u8;
    let ink = luminance((darken(rgb.0), darken(rgb.1), darken(rgb.2)));
    Some((on, ratio(ink, 1.0)))
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
    fn measures_contrast_as_wcag_does() {
        // Black on white is 21:1; white text on a dark navy reads, on a pale yellow it does not.
        let (on, as_text) = contrast_of("#000000").unwrap();
        assert!((on - 21.0).abs() < 0.01, "white on black: {on}");
        assert!((as_text - 21.0).abs() < 0.01, "{as_text}");
        let (on, as_text) = contrast_of("#1f3a5f").unwrap();
        assert!(on > 10.0 && as_text > 10.0, "{on} {as_text}");
        let (on, as_text) = contrast_of("#f5e663").unwrap();
        assert!(on > MIN_CONTRAST, "dark text reads on yellow: {on}");
        assert!(
            as_text < MIN_CONTRAST,
            "yellow links do not read on white: {as_text}"
        );
        assert_eq!(contrast_of("red"), None);
    }

    #[test]
    fn refuses_anything_but_hex_colours() {
        let css = theme_css("red;}body{display:none", "#abcdef");
        assert!(css.contains(PLATFORM_PRIMARY));
        assert!(!css.contains("display"));
    }
}
