//! Pictures a reply describes (`fsm::chat::Photo`), drawn when they are sent: a QR code as a PNG, by the `qrcode`
//! crate (its matrix only, no `image` dependency) and the `png` encoder.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module: a 33-module link code is about 330 px across with its margin, sharp on a phone and small.
const SCALE: usize = 8;
/// White modules around the code; the QR specification asks for four so scanners find its edge.
const QUIET_ZONE: usize = 4;

/// A PNG (8-bit grayscale) of the QR code of `text`, at medium error correction (15 %: survives a crease or glare
/// on a printed card at the till).
pub fn qr_png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let side_u32 = u32::try_from(side)?;
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_png_of_the_expected_size() {
        let png = qr_png("https://t.me/loyalty_client_bot?start=p_k7m2qxab").expect("encodes");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("a valid PNG");
        let info = reader.info();
        assert_eq!(info.width, info.height);
        // A version-3 code (29 modules) or larger, with its quiet zone, at SCALE px a module.
        assert!(
            info.width as usize >= (29 + 2 * QUIET_ZONE) * SCALE,
            "{}",
            info.width
        );
    }
}
