/**
 * The SSH wire encoding (RFC 4251 §5: uint32, string, mpint) and OpenSSH's own formats built on
 * it: the public key blob, its SHA256 fingerprint, and the openssh-key-v1 private key file
 * (PROTOCOL.key in OpenSSH's sources).
 *
 * Pulumi serializes dynamic providers by function text and captures this module by value: keep
 * module scope to constants and plain functions (no Buffer, no hash object created here).
 */
import * as crypto from "crypto";

/** The magic that opens an openssh-key-v1 private key, NUL included. */
const PRIVATE_KEY_MAGIC = "openssh-key-v1\0";
const PRIVATE_KEY_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const PRIVATE_KEY_END = "-----END OPENSSH PRIVATE KEY-----";
/** OpenSSH wraps the private key's base64 at 70 characters. */
const PRIVATE_KEY_LINE_LENGTH = 70;
/** The cipher "none" pads the private section to its block size, 8. */
const UNENCRYPTED_BLOCK_SIZE = 8;

/** A big-endian uint32. */
export function sshUint32(value: number): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(value >>> 0);
    return out;
}

/** An SSH `string`: its uint32 length, then its bytes. */
export function sshString(value: Buffer | string): Buffer {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/**
 * An SSH `mpint` of a non-negative integer given as unsigned big-endian bytes: leading zeros
 * removed, one zero byte added when the high bit is set (so it does not read as negative).
 */
export function sshMpint(unsigned: Buffer): Buffer {
    let start = 0;
    while (start < unsigned.length && unsigned[start] === 0) start++;
    const digits = unsigned.subarray(start);
    const sign = digits.length > 0 && (digits[0] & 0x80) !== 0 ? Buffer.alloc(1) : Buffer.alloc(0);
    return sshString(Buffer.concat([sign, digits]));
}

/** Reads SSH wire fields in order; every read throws a `RangeError` past the end. */
export interface SshReader {
    uint32(): number;
    /** The bytes of the next `string`. */
    bytes(): Buffer;
    /** The next `string` as text (latin1, so any byte round-trips). */
    text(): string;
    /** The next `mpint` as unsigned big-endian bytes without leading zeros; negatives throw. */
    mpint(): Buffer;
    /** How many bytes are left unread. */
    remaining(): number;
}

/** A reader over `data`, starting at its first byte. */
export function sshReader(data: Buffer): SshReader {
    let offset = 0;
    const take = (length: number): Buffer => {
        if (length > data.length - offset) throw new RangeError("SSH data is truncated");
        const out = data.subarray(offset, offset + length);
        offset += length;
        return out;
    };
    const reader: SshReader = {
        uint32: () => take(4).readUInt32BE(0),
        bytes: () => take(reader.uint32()),
        text: () => reader.bytes().toString("latin1"),
        mpint: () => {
            const raw = reader.bytes();
            if (raw.length > 0 && (raw[0] & 0x80) !== 0)
                throw new RangeError("SSH mpint is negative");
            let start = 0;
            while (start < raw.length && raw[start] === 0) start++;
            return raw.subarray(start);
        },
        remaining: () => data.length - offset,
    };
    return reader;
}

/** The number of significant bits of an unsigned big-endian integer. */
export function bitLength(unsigned: Buffer): number {
    let start = 0;
    while (start < unsigned.length && unsigned[start] === 0) start++;
    if (start === unsigned.length) return 0;
    return (unsigned.length - start - 1) * 8 + (32 - Math.clz32(unsigned[start]));
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and the base64 digest without padding. */
export function sha256Fingerprint(publicBlob: Buffer): string {
    const digest = crypto.createHash("sha256").update(publicBlob).digest("base64");
    return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** The authorized_keys line of a public key blob: `type base64` and the comment when there is one. */
export function publicKeyLine(type: string, publicBlob: Buffer, comment: string): string {
    const line = `${type} ${publicBlob.toString("base64")}`;
    return comment ? `${line} ${comment}` : line;
}

/**
 * An unencrypted openssh-key-v1 private key file, byte for byte as `ssh-keygen` writes one:
 * cipher and KDF "none", one key, the private section (two equal random check ints, the key's
 * own fields, the comment, padding 1, 2, 3… to a multiple of 8), base64 wrapped at 70
 * characters between the BEGIN/END lines, a final newline.
 *
 * @param publicBlob The public key blob (`string type` then the type's public fields).
 * @param privateFields The private key's fields after its type string, already encoded.
 */
export function encodeOpenSshPrivateKey(
    type: string,
    publicBlob: Buffer,
    privateFields: Buffer[],
    comment: string,
): string {
    const checkInt = crypto.randomBytes(4);
    const section = [checkInt, checkInt, sshString(type), ...privateFields, sshString(comment)];
    let length = section.reduce((sum, part) => sum + part.length, 0);
    const padding: number[] = [];
    while ((length + padding.length) % UNENCRYPTED_BLOCK_SIZE !== 0)
        padding.push(padding.length + 1);
    section.push(Buffer.from(padding));
    length += padding.length;

    const body = Buffer.concat([
        Buffer.from(PRIVATE_KEY_MAGIC, "latin1"),
        sshString("none"), // cipher
        sshString("none"), // KDF
        sshString(""), // KDF options
        sshUint32(1), // number of keys
        sshString(publicBlob),
        sshString(Buffer.concat(section, length)),
    ]);
    const base64 = body.toString("base64");
    const lines: string[] = [];
    for (let i = 0; i < base64.length; i += PRIVATE_KEY_LINE_LENGTH)
        lines.push(base64.slice(i, i + PRIVATE_KEY_LINE_LENGTH));
    return [PRIVATE_KEY_BEGIN, ...lines, PRIVATE_KEY_END, ""].join("\n");
}
