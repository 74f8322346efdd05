package io.wirecage.srv.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds an in-memory key store from the PEM files operators have (certbot's fullchain.pem and
 * privkey.pem, openssl's output): a certificate chain, and a PKCS#8 ("PRIVATE KEY") or PKCS#1
 * ("RSA PRIVATE KEY") key. Other key formats get a message that says how to convert them.
 */
public final class PemKeyStore {
    public static final char[] PASSWORD = "wirecagesrv".toCharArray(); // in memory only: the files are the secret
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \\1-----");

    private PemKeyStore() {}

    public static KeyStore load(Path certFile, Path keyFile) throws IOException {
        Collection<? extends Certificate> chain;
        try {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(
                    new ByteArrayInputStream(read(certFile, "tls_cert")));
        } catch (GeneralSecurityException e) {
            throw new IOException("tls_cert " + certFile + " holds no readable PEM certificate: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new IOException("tls_cert " + certFile + " holds no PEM certificate");
        }
        PrivateKey key = privateKey(keyFile, new String(read(keyFile, "tls_key"), StandardCharsets.US_ASCII));
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("api", key, PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException("tls_key " + keyFile + " does not go with the certificate in " + certFile + ": " + e.getMessage());
        }
    }

    private static byte[] read(Path file, String what) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file, String pem) throws IOException {
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IOException("tls_key " + file + ": the " + type + " block is not valid base64");
            }
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, der);
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(file, rsaPkcs1ToPkcs8(der));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException("tls_key " + file
                        + " is encrypted: give an unencrypted key (openssl pkcs8 -in KEY -out KEY.pem -nocrypt), readable by root only");
                case "EC PRIVATE KEY" -> throw new IOException("tls_key " + file
                        + " is a SEC1 EC key: convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem`");
                default -> {
                    // e.g. EC PARAMETERS before the key: look further
                }
            }
        }
        throw new IOException("tls_key " + file + " holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException("tls_key " + file + ": unsupported private key (RSA, EC, Ed25519 in PKCS#8 are supported)");
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption, NULL). */
    private static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
        System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
        return der(0x30, body);
    }

    private static byte[] der(int tag, byte[] content) {
        int n = content.length;
        byte[] len = n < 0x80 ? new byte[] {(byte) n}
                : n < 0x100 ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000 ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        byte[] out = new byte[1 + len.length + n];
        out[0] = (byte) tag;
        System.arraycopy(len, 0, out, 1, len.length);
        System.arraycopy(content, 0, out, 1 + len.length, n);
        return out;
    }
}
