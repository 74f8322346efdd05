package io.wirecage.srv.config;

/** The text form "address/length" both prefix types parse: split and length-checked here, once. */
record PrefixText(String address, int length) {
    /** Splits "addr/len" (a bare address gets {@code maxLength}); the length must be 0..maxLength. */
    static PrefixText split(String text, int maxLength) {
        String s = text.trim();
        int slash = s.indexOf('/');
        int len = maxLength;
        if (slash >= 0) {
            try {
                len = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
            }
            s = s.substring(0, slash);
        }
        if (len < 0 || len > maxLength) {
            throw new IllegalArgumentException("'" + text + "': prefix length must be 0.." + maxLength);
        }
        return new PrefixText(s, len);
    }
}
