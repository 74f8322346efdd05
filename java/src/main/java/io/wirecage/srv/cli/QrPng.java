package io.wirecage.srv.cli;

import com.google.zxing.common.BitMatrix;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * The PNG form of a QR code. Apart from {@link Qr} because it needs java.desktop (ImageIO), which slim
 * runtimes such as the server image leave out: the terminal QR code must not depend on it.
 */
final class QrPng {
    private QrPng() {}

    static void write(BitMatrix m, Path file, int scale) throws IOException {
        BufferedImage img = new BufferedImage(m.getWidth() * scale, m.getHeight() * scale, BufferedImage.TYPE_BYTE_BINARY);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, m.get(x / scale, y / scale) ? 0x000000 : 0xffffff);
            }
        }
        // The picture holds a private key: create it owner-only before writing a byte.
        java.nio.file.Files.deleteIfExists(file);
        java.nio.file.Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer available");
            }
        }
    }
}
