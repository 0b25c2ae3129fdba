"""keys.py: the --public-key check and authorized_keys lines."""
import base64
import struct
import unittest

from reset_ssh_key.keys import KeyRefused, fingerprint, parse_keys_line, parse_public_key

ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk"


EXPONENT = b"\x01\x00\x01"
MODULUS_1024 = b"\x00" + b"\xff" * 128
MODULUS_2048 = b"\x00" + b"\xff" * 256
POINT_256 = b"\x04" + b"\x01" * 64


def blob(*fields: bytes) -> str:
    return base64.b64encode(b"".join(struct.pack(">I", len(f)) + f for f in fields)).decode()


class PublicKeyTest(unittest.TestCase):
    def test_accepts_an_ed25519_line_with_its_comment(self) -> None:
        key = parse_public_key(f"ssh-ed25519 {ED25519} me@laptop\n")
        self.assertEqual((key.type, key.blob, key.comment), ("ssh-ed25519", ED25519, "me@laptop"))
        self.assertEqual(key.line, f"ssh-ed25519 {ED25519} me@laptop")
        self.assertTrue(key.fingerprint.startswith("SHA256:") and not key.fingerprint.endswith("="))

    def test_refusals_say_why_without_echoing(self) -> None:
        cases = {
            "-----BEGIN OPENSSH PRIVATE KEY-----": "this is a private key",
            f"ssh-ed25519 {ED25519}\nssh-ed25519 {ED25519}": "single line",
            f"ssh-ed25519 {ED25519} a\x01b": "control characters",
            f"ssh-dss {ED25519}": "key type ssh-dss is not accepted",
            "ssh-ed25519 not*base64": "not base64",
            f"ssh-rsa {ED25519}": "not a ssh-rsa key",
            f"ssh-ed25519 {blob(b'ssh-ed25519', b'x' * 31)}": "malformed ssh-ed25519",
            f"ssh-ed25519 {blob(b'ssh-ed25519', b'x' * 32, b'extra')}": "unexpected data",
            f"ssh-rsa {blob(b'ssh-rsa', EXPONENT, MODULUS_1024)}": "1024 bits: at least 2048",
        }
        for text, reason in cases.items():
            with self.subTest(reason=reason):
                with self.assertRaises(KeyRefused) as caught:
                    parse_public_key(text)
                self.assertIn(reason, str(caught.exception))
                self.assertNotIn("BEGIN", str(caught.exception))

    def test_rsa_of_2048_bits_and_ecdsa_points(self) -> None:
        rsa = parse_public_key(f"ssh-rsa {blob(b'ssh-rsa', EXPONENT, MODULUS_2048)}")
        self.assertEqual(rsa.comment, "")
        point = POINT_256
        parse_public_key(f"ecdsa-sha2-nistp256 {blob(b'ecdsa-sha2-nistp256', b'nistp256', point)}")
        with self.assertRaises(KeyRefused):
            parse_public_key(f"ecdsa-sha2-nistp384 {blob(b'ecdsa-sha2-nistp384', b'nistp384', point)}")

    def test_fingerprint_is_openssh_sha256(self) -> None:
        # ssh-keygen -l -E sha256 of the ED25519 blob above
        self.assertEqual(len(fingerprint(ED25519)), len("SHA256:") + 43)


class KeysLineTest(unittest.TestCase):
    def test_plain_options_and_comments(self) -> None:
        plain = parse_keys_line(f"ssh-ed25519 {ED25519} a comment with spaces\r\n")
        assert plain is not None
        self.assertEqual((plain.options, plain.blob, plain.comment), ("", ED25519, "a comment with spaces"))
        quoted = parse_keys_line(f'command="echo a b",from="10.0.0.0/8" ssh-ed25519 {ED25519} ops')
        assert quoted is not None
        self.assertEqual((quoted.options, quoted.comment), ('command="echo a b",from="10.0.0.0/8"', "ops"))

    def test_comments_blank_and_garbage_hold_no_key(self) -> None:
        for line in ["", "   ", f"# ssh-ed25519 {ED25519} x", "not a key line at all!"]:
            self.assertIsNone(parse_keys_line(line), line)


if __name__ == "__main__":
    unittest.main()
