#!/usr/bin/env python3
"""Writes COUNT WireGuard key pairs (X25519, base64) as 'private<TAB>public' lines to stdout."""
import base64
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat


def main() -> None:
    count = int(sys.argv[1])
    out = []
    for _ in range(count):
        k = X25519PrivateKey.generate()
        priv = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        pub = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        out.append(base64.b64encode(priv).decode() + "\t" + base64.b64encode(pub).decode())
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
