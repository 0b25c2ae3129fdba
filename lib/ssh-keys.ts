/**
 * SSH keys without ssh-keygen: a new key pair in the files OpenSSH reads, and the strict check of
 * an operator's public key before it goes anywhere near an instance. Pure: no AWS, no Pulumi.
 *
 * Pulumi serializes dynamic providers by function text and captures this module by value: keep
 * module scope to constants and plain functions (no object made by a native call).
 */
import * as crypto from "crypto";
import {
    bitLength,
    encodeOpenSshPrivateKey,
    publicKeyLine,
    sha256Fingerprint,
    sshMpint,
    SshReader,
    sshReader,
    sshString,
} from "./openssh-format";

/**
 * The comment of every key this tool generates for an instance: a rotation removes the lines
 * with it (and only those) from every authorized_keys before adding the new key.
 */
export function toolKeyComment(instanceId: string): string {
    return `ec2-reset-access@${instanceId}`;
}

/** The key types {@link generateSshKeyPair} makes: Ed25519, or RSA with a 4096-bit modulus. */
export type SshKeyType = "ed25519" | "rsa";

/** A generated key pair, as OpenSSH writes it. */
interface SshKeyPair {
    publicKey: string;
    privateKey: string;
    fingerprint: string;
}

/** A public key that passed {@link parsePublicKey}. */
interface ParsedPublicKey {
    type: string;
    bits: number;
    comment: string;
    fingerprint: string;
    line: string;
}

const RSA_BITS = 4096;
const RSA_MIN_BITS = 2048;
/** OpenSSH refuses larger RSA moduli (SSHBUF_MAX_BIGNUM). */
const RSA_MAX_BITS = 16384;
/** OpenSSH reads at most this many bytes of one authorized_keys line. */
const MAX_LINE_LENGTH = 16384;
const ED25519_KEY_BYTES = 32;
const ECDSA_CURVES: Record<string, { bits: number; coordinateBytes: number; jwkCurve: string }> = {
    "ecdsa-sha2-nistp256": { bits: 256, coordinateBytes: 32, jwkCurve: "P-256" },
    "ecdsa-sha2-nistp384": { bits: 384, coordinateBytes: 48, jwkCurve: "P-384" },
    "ecdsa-sha2-nistp521": { bits: 521, coordinateBytes: 66, jwkCurve: "P-521" },
};
const EXAMPLE = '"ssh-ed25519 AAAA… comment"';
const COPY_AGAIN = "copy the whole line from the .pub file again";
const SUPPORTED_TYPES = "ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of at least 2048 bits";
/** What a token naming a key type looks like (supported or not). */
const KEY_TYPE_LIKE = /^(ssh|ecdsa|sk|rsa|x509v3)-[A-Za-z0-9.@-]+$/;
/** What the start of a base64 key blob looks like: the uint32 length of a short type name. */
const BLOB_LIKE = /^AAAA[A-Za-z0-9+/]/;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
/** Characters a comment keeps: printable ASCII except quotes, backquote and backslash. */
const COMMENT_DROPPED = /[^\u0020-\u007e]|["'`\\]/g;

/**
 * A public key {@link parsePublicKey} refuses. The message starts with `publicKey:`, says what
 * is wrong and how to fix it, and never contains the key's data.
 */
export class InvalidPublicKeyError extends Error {
    constructor(message: string) {
        super(message);
        // Pulumi's serializer rewrites this class as a function that runs `Error.call(this, message)`,
        // which sets nothing on `this`: without these lines a provider's error has no message.
        this.message = message;
        this.name = "InvalidPublicKeyError";
        if (!this.stack) Error.captureStackTrace(this, InvalidPublicKeyError);
    }

    /**
     * Error's own format. Declared because Pulumi's serializer rebuilds `prototype` (inheriting
     * Error.prototype) only for a class with methods: without one, the error is no `Error`.
     */
    toString(): string {
        return `${this.name}: ${this.message}`;
    }
}

/**
 * Makes a new key pair: Ed25519, or RSA with a 4096-bit modulus and exponent 65537 (about a
 * second of CPU; this call blocks while it runs).
 *
 * @param comment Stored in both keys; printable ASCII without quotes, backquote or backslash,
 *   single spaces, none at the ends (so {@link parsePublicKey} returns `publicKey` unchanged).
 * @returns `publicKey`: one authorized_keys line (`ssh-ed25519 AAAA… comment`, no newline);
 *   `privateKey`: an unencrypted openssh-key-v1 file (`-----BEGIN OPENSSH PRIVATE KEY-----`) as
 *   `ssh-keygen` writes it, for `ssh -i`; `fingerprint`: `SHA256:…` as `ssh-keygen -l` prints it.
 */
export function generateSshKeyPair(type: SshKeyType, comment: string): SshKeyPair {
    if (typeof comment !== "string" || normalizeComment(comment) !== comment) {
        throw new Error(
            `comment: ${JSON.stringify(comment)} cannot go into an authorized_keys line; use printable ASCII without quotes, backquote or backslash, single spaces, none at the ends.`,
        );
    }
    let sshType: string;
    let publicFields: Buffer[];
    let privateFields: Buffer[];
    if (type === "ed25519") {
        const jwk = crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
        const publicKey = Buffer.from(jwk.x!, "base64url");
        sshType = "ssh-ed25519";
        publicFields = [sshString(publicKey)];
        // OpenSSH stores the 32-byte seed followed by the public key as the "secret key".
        privateFields = [
            sshString(publicKey),
            sshString(Buffer.concat([Buffer.from(jwk.d!, "base64url"), publicKey])),
        ];
    } else if (type === "rsa") {
        const jwk = crypto
            .generateKeyPairSync("rsa", { modulusLength: RSA_BITS })
            .privateKey.export({ format: "jwk" });
        const [n, e, d, p, q, qi] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.qi].map((v) =>
            Buffer.from(v!, "base64url"),
        );
        sshType = "ssh-rsa";
        publicFields = [sshMpint(e), sshMpint(n)];
        // OpenSSH's order: n, e, d, iqmp (q⁻¹ mod p, JWK's qi), p, q.
        privateFields = [n, e, d, qi, p, q].map(sshMpint);
    } else {
        throw new Error(
            `keyType: ${JSON.stringify(type)} is not supported; use "ed25519" or "rsa".`,
        );
    }
    const publicBlob = Buffer.concat([sshString(sshType), ...publicFields]);
    return {
        publicKey: publicKeyLine(sshType, publicBlob, comment),
        privateKey: encodeOpenSshPrivateKey(sshType, publicBlob, privateFields, comment),
        fingerprint: sha256Fingerprint(publicBlob),
    };
}

/**
 * Checks one OpenSSH public key line (`type base64 comment`, the content of a .pub file) and
 * returns what it holds.
 *
 * Accepted types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, and ssh-rsa of 2048 to 16384 bits.
 * Refused: ssh-dss, security-key types (sk-ssh-ed25519@openssh.com,
 * sk-ecdsa-sha2-nistp256@openssh.com: the reset document's parameter pattern does not admit
 * them), certificates, authorized_keys options before the type (`command="…"`, `from=…`,
 * `no-pty`…), several lines, a private key, RFC 4716 or PEM public keys, control characters. The
 * base64 must be canonical, decode to a blob whose own type string is the line's type, hold
 * every field of that type and nothing after them; ECDSA points must lie on their curve.
 * Surrounding whitespace (a .pub file's final newline) is ignored; spaces and tabs separate the
 * fields.
 *
 * @returns `type`; `bits`: RSA modulus bits, 256 for ed25519, the curve's size for ECDSA;
 *   `comment`: the line's comment limited to printable ASCII without quotes (`"`, `'`, `` ` ``)
 *   or backslashes (other characters are dropped, runs of spaces become one, "" when none);
 *   `fingerprint`: `SHA256:…` as `ssh-keygen -l` prints it; `line`: `type base64 comment`
 *   rebuilt from those (no comment, no trailing space when the comment is empty).
 * @throws InvalidPublicKeyError for anything else, saying what is wrong and the fix.
 */
export function parsePublicKey(line: string): ParsedPublicKey {
    const fields = splitKeyLine(line);
    const type = checkKeyType(fields);
    const blob = decodeKeyData(fields[1]);
    const bits = readPublicBlob(type, blob);
    const comment = normalizeComment(fields.slice(2).join(" "));
    return {
        type,
        bits,
        comment,
        fingerprint: sha256Fingerprint(blob),
        line: publicKeyLine(type, blob, comment),
    };
}

/**
 * The fingerprint OpenSSH prints for a public key line (`ssh-keygen -l -E sha256`):
 * `SHA256:` and the unpadded base64 SHA-256 of the key blob.
 *
 * @throws InvalidPublicKeyError when {@link parsePublicKey} refuses the line.
 */
export function fingerprintOf(publicKeyLine: string): string {
    return parsePublicKey(publicKeyLine).fingerprint;
}

function invalid(message: string): InvalidPublicKeyError {
    return new InvalidPublicKeyError(`publicKey: ${message}`);
}

/** Printable ASCII without quotes or backslashes, single spaces, trimmed. */
function normalizeComment(comment: string): string {
    return comment.replace(COMMENT_DROPPED, "").replace(/ +/g, " ").trim();
}

/** The whitespace-separated fields of the one line in `text`, after the checks on the whole text. */
function splitKeyLine(text: string): string[] {
    const trimmed = typeof text === "string" ? text.trim() : "";
    if (trimmed === "")
        throw invalid(
            `is empty; pass one OpenSSH public key line (${EXAMPLE}), the content of the .pub file`,
        );
    if (/PRIVATE KEY-----|PuTTY-User-Key-File/.test(trimmed)) {
        throw invalid("this looks like a private key; pass the public key (the .pub file)");
    }
    if (trimmed.startsWith("---- BEGIN SSH2 PUBLIC KEY ----")) {
        throw invalid(
            "this is an RFC 4716 (SSH2) public key; convert it to an OpenSSH line with ssh-keygen -i -f <file>",
        );
    }
    if (trimmed.startsWith("-----BEGIN")) {
        throw invalid(
            "this is a PEM public key; convert it to an OpenSSH line with ssh-keygen -i -m PKCS8 -f <file>",
        );
    }
    const lines = trimmed.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "").length;
    if (lines > 1)
        throw invalid(`expected one OpenSSH public key line (${EXAMPLE}), got ${lines} lines`);
    if (trimmed.length > MAX_LINE_LENGTH) {
        throw invalid(
            `is ${trimmed.length} characters long; an OpenSSH public key line has at most ${MAX_LINE_LENGTH}`,
        );
    }
    const control = CONTROL_CHARACTER.exec(trimmed);
    if (control) {
        const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
        throw invalid(
            `contains the control character U+${code}; pass the line exactly as ssh-keygen wrote it`,
        );
    }
    return trimmed.split(/\s+/);
}

/** The line's key type, when it is one this module accepts and the key data follows it. */
function checkKeyType(fields: string[]): string {
    const type = fields[0];
    if (!KEY_TYPE_LIKE.test(type)) {
        if (BLOB_LIKE.test(type))
            throw invalid(`the key type is missing; the line starts with it (${EXAMPLE})`);
        if (fields.slice(1).some((f) => KEY_TYPE_LIKE.test(f)) || /[="]/.test(type)) {
            throw invalid(
                `authorized_keys options (command="…", from="…", no-pty…) are not accepted; pass the key alone, starting with its type (${EXAMPLE})`,
            );
        }
        throw invalid(
            `${JSON.stringify(type.slice(0, 40))} is not an OpenSSH key type; use ${SUPPORTED_TYPES}`,
        );
    }
    if (type === "ssh-dss") {
        throw invalid(
            "ssh-dss (DSA) keys are disabled in OpenSSH since 7.0; make a new key with ssh-keygen -t ed25519",
        );
    }
    if (type.includes("-cert-v0")) {
        throw invalid(
            `${type} is a certificate; pass the plain public key (the .pub file, not the -cert.pub file)`,
        );
    }
    if (type.startsWith("sk-")) {
        throw invalid(
            `${type} is a security-key (FIDO) type, which this program does not install; use a key without a hardware token (ssh-keygen -t ed25519)`,
        );
    }
    if (type !== "ssh-ed25519" && type !== "ssh-rsa" && !(type in ECDSA_CURVES)) {
        throw invalid(`${type} keys are not supported; use ${SUPPORTED_TYPES}`);
    }
    if (fields.length < 2)
        throw invalid(
            `${type} is not followed by the key data; pass the whole line (${type} AAAA… comment)`,
        );
    return type;
}

function decodeKeyData(base64: string): Buffer {
    if (!CANONICAL_BASE64.test(base64)) {
        throw invalid(
            `the key data is not valid base64 (truncated or damaged when copied?); ${COPY_AGAIN}`,
        );
    }
    const blob = Buffer.from(base64, "base64");
    if (blob.toString("base64") !== base64) {
        throw invalid(
            `the key data is not valid base64 (truncated or damaged when copied?); ${COPY_AGAIN}`,
        );
    }
    return blob;
}

/** Reads the whole blob of a key of `type`; returns its size in bits. */
function readPublicBlob(type: string, blob: Buffer): number {
    const reader = sshReader(blob);
    try {
        const embedded = reader.text();
        if (embedded !== type) {
            const what = /^[\x21-\x7e]{1,64}$/.test(embedded)
                ? `is ${embedded}`
                : "does not start with a key type";
            throw invalid(`the line says ${type} but its key data ${what}; ${COPY_AGAIN}`);
        }
        const bits =
            type === "ssh-ed25519"
                ? readEd25519(reader)
                : type === "ssh-rsa"
                  ? readRsa(reader)
                  : readEcdsa(type, reader);
        if (reader.remaining() > 0) {
            throw invalid(
                `the ${type} key data has ${reader.remaining()} bytes after the key; ${COPY_AGAIN}`,
            );
        }
        return bits;
    } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        throw invalid(
            `the ${type} key data ends too early (truncated when copied?); ${COPY_AGAIN}`,
        );
    }
}

function readEd25519(reader: SshReader): number {
    const key = reader.bytes();
    if (key.length !== ED25519_KEY_BYTES) {
        throw invalid(
            `the ssh-ed25519 key is ${key.length} bytes long instead of ${ED25519_KEY_BYTES}; ${COPY_AGAIN}`,
        );
    }
    return 256;
}

function readRsa(reader: SshReader): number {
    const exponent = reader.mpint();
    const modulus = reader.mpint();
    const bits = bitLength(modulus);
    if (
        exponent.length === 0 ||
        (exponent[exponent.length - 1] & 1) === 0 ||
        bitLength(exponent) < 2
    ) {
        throw invalid(`the ssh-rsa key's public exponent is not valid; ${COPY_AGAIN}`);
    }
    if (bits < RSA_MIN_BITS) {
        throw invalid(
            `ssh-rsa key has ${bits} bits; use at least ${RSA_MIN_BITS} bits (ssh-keygen -t ed25519 makes a suitable key)`,
        );
    }
    if (bits > RSA_MAX_BITS)
        throw invalid(`ssh-rsa key has ${bits} bits; OpenSSH accepts at most ${RSA_MAX_BITS}`);
    return bits;
}

function readEcdsa(type: string, reader: SshReader): number {
    const curve = ECDSA_CURVES[type];
    const name = type.slice("ecdsa-sha2-".length);
    const embeddedCurve = reader.text();
    const point = reader.bytes();
    if (embeddedCurve !== name) {
        throw invalid(`the ${type} key data names another curve than ${name}; ${COPY_AGAIN}`);
    }
    // OpenSSH takes uncompressed points only: 0x04, then x and y.
    const size = curve.coordinateBytes;
    let onCurve = point.length === 1 + 2 * size && point[0] === 4;
    if (onCurve) {
        const [x, y] = [point.subarray(1, 1 + size), point.subarray(1 + size)].map((c) =>
            c.toString("base64url"),
        );
        try {
            crypto.createPublicKey({
                key: { kty: "EC", crv: curve.jwkCurve, x, y },
                format: "jwk",
            });
        } catch {
            onCurve = false;
        }
    }
    if (!onCurve)
        throw invalid(`the ${type} key's point is not on the ${name} curve; ${COPY_AGAIN}`);
    return curve.bits;
}
