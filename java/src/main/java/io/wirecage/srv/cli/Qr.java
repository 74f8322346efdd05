package io.wirecage.srv.cli;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.util.Map;

/** QR codes of client configs, for the WireGuard mobile apps: in the terminal, or as a PNG file. */
final class Qr {
    private static final int QUIET_ZONE = 2;

    private Qr() {}

    static BitMatrix encode(String text) {
        try {
            return new QRCodeWriter().encode(text, com.google.zxing.BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.L, EncodeHintType.MARGIN, QUIET_ZONE));
        } catch (WriterException e) {
            throw new IllegalArgumentException("cannot encode the config as a QR code: " + e.getMessage(), e);
        }
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
