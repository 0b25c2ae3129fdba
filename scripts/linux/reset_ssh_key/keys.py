"""The public key given on the command line, and the lines of authorized_keys files.

The key is checked for what it is (its blob parsed and matching its type), never echoed: someone
may paste a private key by mistake.
"""
import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import List, Optional, Tuple

ACCEPTED_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
_CURVE_POINT_BYTES = {"nistp256": 65, "nistp384": 97, "nistp521": 133}
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class KeyRefused(Exception):
    """The --public-key value is not an acceptable public key (exit status 2)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"public key refused: {reason}")


@dataclass(frozen=True)
class PublicKey:
    type: str
    blob: str  # base64, as in the line
    comment: str

    @property
    def line(self) -> str:
        return f"{self.type} {self.blob}{' ' + self.comment if self.comment else ''}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)


def fingerprint(blob: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 key blob."""
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class _Blob:
    """Reads the length-prefixed fields of an SSH key blob."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def field(self) -> Optional[bytes]:
        if self.position + 4 > len(self.data):
            return None
        (length,) = struct.unpack(">I", self.data[self.position:self.position + 4])
        if length > 8192 or self.position + 4 + length > len(self.data):
            return None
        value = self.data[self.position + 4:self.position + 4 + length]
        self.position += 4 + length
        return value

    @property
    def finished(self) -> bool:
        return self.position == len(self.data)


def _mpint_bits(value: bytes) -> int:
    return int.from_bytes(value, "big").bit_length()


def _check_blob(key_type: str, data: bytes) -> None:
    """The blob must hold exactly the key its type names: a label alone proves nothing."""
    blob = _Blob(data)
    if blob.field() != key_type.encode():
        raise KeyRefused(f"the key data is not a {key_type} key")
    if key_type == "ssh-ed25519":
        point = blob.field()
        if point is None or len(point) != 32:
            raise KeyRefused("malformed ssh-ed25519 key")
    elif key_type.startswith("ecdsa-sha2-"):
        curve = key_type[len("ecdsa-sha2-"):]
        name, point = blob.field(), blob.field()
        if name != curve.encode() or point is None or len(point) != _CURVE_POINT_BYTES[curve] or point[:1] != b"\x04":
            raise KeyRefused(f"malformed {key_type} key")
    else:
        exponent, modulus = blob.field(), blob.field()
        if exponent is None or modulus is None:
            raise KeyRefused("malformed ssh-rsa key")
        bits = _mpint_bits(modulus)
        if bits < 2048:
            raise KeyRefused(f"ssh-rsa key of {bits} bits: at least 2048 are required")
        if bits > 16384:
            raise KeyRefused(f"ssh-rsa key of {bits} bits: sshd accepts at most 16384")
    if not blob.finished:
        raise KeyRefused(f"unexpected data after the {key_type} key")


def parse_public_key(text: str) -> PublicKey:
    """One OpenSSH public key line of an accepted type, or KeyRefused saying why."""
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if "PRIVATE KEY" in text:
        raise KeyRefused("this is a private key; pass the public key line (.pub)")
    if "\n" in text or "\r" in text:
        raise KeyRefused("it must be a single line")
    text = text.replace("\t", " ")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise KeyRefused("it contains control characters")
    words = text.strip(" ").split(None, 2)
    key_type = words[0] if words else ""
    blob = words[1] if len(words) > 1 else ""
    comment = words[2].strip() if len(words) > 2 else ""
    if key_type not in ACCEPTED_TYPES:
        shown = key_type if re.fullmatch(r"[a-z0-9@.-]{1,40}", key_type) else "(unrecognised)"
        raise KeyRefused(f"key type {shown} is not accepted (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa)")
    if not _BASE64.fullmatch(blob) or len(blob) % 4 != 0:
        raise KeyRefused("the key data is not base64")
    try:
        data = base64.b64decode(blob, validate=True)
    except binascii.Error:
        raise KeyRefused("the key data is not base64") from None
    _check_blob(key_type, data)
    return PublicKey(key_type, blob, comment)


@dataclass(frozen=True)
class KeysLine:
    """A key line of an authorized_keys file (comments and blank lines are not KeysLines)."""

    options: str
    type: str
    blob: str
    comment: str


def _split_options(line: str) -> Tuple[str, str]:
    """sshd's options field: up to the first space outside double quotes."""
    quoted = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and quoted and index + 1 < len(line):
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            return line[:index], line[index:].lstrip(" \t")
        index += 1
    return line, ""


def _names_its_type(key_type: str, blob: str) -> bool:
    """A key blob starts with its type's name: "ssh-ed25519 AAAA..." is a key, "not a key" is not."""
    if not _BASE64.fullmatch(blob):
        return False
    try:
        return _Blob(base64.b64decode(blob[:4 * ((len(key_type) + 4 + 2) // 3 + 1)])).field() == key_type.encode()
    except (binascii.Error, ValueError):
        return False


def _key_part(text: str) -> Optional[Tuple[str, str, str]]:
    words = text.split(None, 2)
    if len(words) < 2 or not _names_its_type(words[0], words[1]):
        return None
    return words[0], words[1], words[2].strip() if len(words) > 2 else ""


def parse_keys_line(line: str) -> Optional[KeysLine]:
    """The key on a line of authorized_keys, with its options and comment; None for a comment,
    a blank line or a line that holds no key."""
    text = line.rstrip("\r\n").lstrip(" \t")
    if not text or text.startswith("#"):
        return None
    direct = _key_part(text)
    if direct is not None and "=" not in direct[0] and "," not in direct[0]:
        return KeysLine("", *direct)
    options, rest = _split_options(text)
    after = _key_part(rest)
    if after is None:
        return None
    return KeysLine(options, *after)


def split_lines(content: bytes) -> List[bytes]:
    """The lines of a file, each with its line end (the last one may have none)."""
    return content.splitlines(keepends=True)
