package io.wirecage.srv.cli;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.util.Map;

/** QR codes of client configs, for the WireGuard mobile apps: in the terminal, as a PNG file, or as SVG (web console). */
public final class Qr {
    private static final int QUIET_ZONE = 2;

    private Qr() {}

    public static BitMatrix encode(String text) {
        try {
            return new QRCodeWriter().encode(text, com.google.zxing.BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.L, EncodeHintType.MARGIN, QUIET_ZONE));
        } catch (WriterException e) {
            throw new IllegalArgumentException("cannot encode the config as a QR code: " + e.getMessage(), e);
        }
    }

    /**
     * An SVG image of the code: one path of unit squares on a white background, {@code pixels} wide; dark
     * modules in black, so it scans from a screen in light and dark themes alike.
     */
    public static String svg(BitMatrix m, int pixels, String label) {
        StringBuilder d = new StringBuilder(m.getWidth() * m.getHeight() * 3);
        for (int y = 0; y < m.getHeight(); y++) {
            for (int x = 0; x < m.getWidth(); x++) {
                if (m.get(x, y)) {
                    d.append('M').append(x).append(' ').append(y).append("h1v1h-1z");
                }
            }
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" + label + "\" width=\"" + pixels
                + "\" height=\"" + pixels + "\" viewBox=\"0 0 " + m.getWidth() + " " + m.getHeight()
                + "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\""
                + d + "\"/></svg>";
    }

    /**
     * Two modules per character cell with the upper half block, colours set explicitly (black on white),
     * so the code scans on dark and light terminals alike.
     */
    static String terminal(BitMatrix m) {
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < m.getHeight(); y += 2) {
            for (int x = 0; x < m.getWidth(); x++) {
                boolean top = m.get(x, y);
                boolean bottom = y + 1 < m.getHeight() && m.get(x, y + 1);
                sb.append("\u001b[").append(top ? "30" : "97").append(';').append(bottom ? "40" : "107").append("m\u2580");
            }
            sb.append("\u001b[0m\n");
        }
        return sb.toString();
    }
}
