/** SSH keys: generated ones that the real OpenSSH tools accept, and the strict public key check. */
import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import requireFromString from "require-from-string";
import {
    fingerprintOf,
    generateSshKeyPair,
    InvalidPublicKeyError,
    parsePublicKey,
    SshKeyType,
} from "../../lib/ssh-keys";
import { sshMpint, sshString } from "../../lib/openssh-format";
import { requireCapability } from "../support/requirements";

const execFileAsync = promisify(execFile);
const COPY_AGAIN = "copy the whole line from the .pub file again";

function sshKeygen(...args: string[]): string {
    return execFileSync("ssh-keygen", args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** `ssh-keygen -l -E sha256` of a .pub file: bits, fingerprint, comment. */
function keygenFingerprint(pubFile: string): {
    bits: number;
    fingerprint: string;
    comment: string;
} {
    const [bits, fingerprint, ...rest] = sshKeygen("-l", "-E", "sha256", "-f", pubFile)
        .trim()
        .split(" ");
    return { bits: Number(bits), fingerprint, comment: rest.slice(0, -1).join(" ") };
}

const blobOf = (line: string) => Buffer.from(line.split(" ")[1], "base64");
const lineOf = (type: string, ...fields: Buffer[]) =>
    `${type} ${Buffer.concat(fields).toString("base64")} test@host`;

function refusal(input: string): string {
    try {
        parsePublicKey(input);
    } catch (err) {
        assert.ok(err instanceof InvalidPublicKeyError, `not an InvalidPublicKeyError: ${err}`);
        assert.equal(err.name, "InvalidPublicKeyError");
        return err.message;
    }
    assert.fail(`accepted ${JSON.stringify(input.slice(0, 80))}`);
}

/** The decoded body of an openssh-key-v1 file with its two check ints zeroed. */
function withoutCheckInts(privateKey: string): {
    body: Buffer;
    checkInts: [number, number];
    lineLengths: number[];
} {
    const lines = privateKey.trimEnd().split("\n");
    const body = Buffer.from(lines.slice(1, -1).join(""), "base64");
    let offset = "openssh-key-v1\0".length + 8 + 8 + 4 + 4; // ciphers "none", KDF "none", KDF options "", 1 key
    offset += 4 + body.readUInt32BE(offset); // public key blob
    offset += 4; // length of the private section
    const checkInts: [number, number] = [body.readUInt32BE(offset), body.readUInt32BE(offset + 4)];
    body.fill(0, offset, offset + 8);
    return { body, checkInts, lineLengths: lines.map((l) => l.length) };
}

describe("ssh keys", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-keys-test-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("generateSshKeyPair", () => {
        before(function () {
            requireCapability(this, "openssh-client"); // each test compares with what ssh-keygen says
        });
        const expected: Record<SshKeyType, { sshType: string; bits: number; label: string }> = {
            ed25519: { sshType: "ssh-ed25519", bits: 256, label: "ED25519" },
            rsa: { sshType: "ssh-rsa", bits: 4096, label: "RSA" },
        };
        for (const type of ["ed25519", "rsa"] as const) {
            describe(type, () => {
                const comment = `ec2-reset-access@i-0123456789abcdef0`;
                let pair: ReturnType<typeof generateSshKeyPair>;
                let keyFile: string;
                before(() => {
                    pair = generateSshKeyPair(type, comment); // RSA 4096: about a second, once
                    keyFile = path.join(dir, `generated-${type}`);
                    fs.writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
                    fs.writeFileSync(`${keyFile}.pub`, `${pair.publicKey}\n`);
                });

                it("GIVEN the private key file, ssh-keygen -y prints the same public key line", () => {
                    assert.match(
                        pair.publicKey,
                        new RegExp(`^${expected[type].sshType} AAAA[A-Za-z0-9+/]+=* ${comment}$`),
                    );
                    assert.equal(sshKeygen("-y", "-f", keyFile).trim(), pair.publicKey);
                });

                it("has the fingerprint ssh-keygen -l -E sha256 prints for the .pub file", () => {
                    assert.match(pair.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
                    assert.equal(
                        sshKeygen("-l", "-E", "sha256", "-f", `${keyFile}.pub`).trim(),
                        `${expected[type].bits} ${pair.fingerprint} ${comment} (${expected[type].label})`,
                    );
                    assert.equal(fingerprintOf(pair.publicKey), pair.fingerprint);
                });

                it("writes the private key byte for byte as ssh-keygen rewrites it, but for the random check ints", () => {
                    const rewritten = `${keyFile}-rewritten`;
                    fs.writeFileSync(rewritten, pair.privateKey, { mode: 0o600 });
                    sshKeygen("-p", "-P", "", "-N", "", "-f", rewritten);
                    const ours = withoutCheckInts(pair.privateKey);
                    const theirs = withoutCheckInts(fs.readFileSync(rewritten, "utf8"));
                    assert.equal(ours.checkInts[0], ours.checkInts[1]);
                    assert.deepEqual(ours.lineLengths, theirs.lineLengths);
                    assert.equal(ours.body.toString("hex"), theirs.body.toString("hex"));
                    assert.ok(pair.privateKey.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
                    assert.ok(pair.privateKey.endsWith("\n-----END OPENSSH PRIVATE KEY-----\n"));
                });

                it("signs with the private key: ssh-keygen -Y verify accepts the signature for the public key", () => {
                    const message = path.join(dir, `message-${type}`);
                    const signers = path.join(dir, `allowed-signers-${type}`);
                    fs.writeFileSync(message, "reset access\n");
                    fs.writeFileSync(signers, `${comment} ${pair.publicKey}\n`);
                    sshKeygen("-Y", "sign", "-f", keyFile, "-n", "test", message);
                    const verified = execFileSync(
                        "ssh-keygen",
                        [
                            "-Y",
                            "verify",
                            "-f",
                            signers,
                            "-I",
                            comment,
                            "-n",
                            "test",
                            "-s",
                            `${message}.sig`,
                        ],
                        {
                            input: fs.readFileSync(message),
                            encoding: "utf8",
                        },
                    );
                    assert.match(
                        verified,
                        new RegExp(
                            `^Good "test" signature for ${comment} with ${expected[type].label} key ${pair.fingerprint.replace(/\+/g, "\\+")}`,
                        ),
                    );
                });

                it("passes parsePublicKey unchanged", () => {
                    assert.deepEqual(parsePublicKey(pair.publicKey), {
                        type: expected[type].sshType,
                        bits: expected[type].bits,
                        comment,
                        fingerprint: pair.fingerprint,
                        line: pair.publicKey,
                    });
                });
            });
        }

        it("makes a new key on every call", () => {
            const [a, b] = [generateSshKeyPair("ed25519", "a"), generateSshKeyPair("ed25519", "a")];
            assert.notEqual(a.fingerprint, b.fingerprint);
            assert.notEqual(a.privateKey, b.privateKey);
        });

        it("writes no comment, and no trailing space, for an empty comment", () => {
            const pair = generateSshKeyPair("ed25519", "");
            assert.match(pair.publicKey, /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/);
            const keyFile = path.join(dir, "no-comment");
            fs.writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
            assert.equal(sshKeygen("-y", "-f", keyFile).trim(), pair.publicKey);
        });

        it("refuses a comment that would not survive an authorized_keys line", () => {
            const rule =
                "cannot go into an authorized_keys line; use printable ASCII without quotes, backquote or backslash, single spaces, none at the ends.";
            for (const comment of [
                "a\nb",
                'say "hi"',
                "back\\slash",
                " padded",
                "two  spaces",
                "José",
            ]) {
                assert.throws(() => generateSshKeyPair("ed25519", comment), {
                    message: `comment: ${JSON.stringify(comment)} ${rule}`,
                });
            }
        });

        it("refuses a key type other than ed25519 and rsa", () => {
            assert.throws(() => generateSshKeyPair("dsa" as SshKeyType, "x"), {
                message: 'keyType: "dsa" is not supported; use "ed25519" or "rsa".',
            });
        });
    });

    describe("parsePublicKey", () => {
        /** Keys made by ssh-keygen, by the name of their file. */
        const made: Record<string, string> = {};
        const accepted = [
            { name: "ed25519", args: ["-t", "ed25519"], type: "ssh-ed25519", bits: 256 },
            {
                name: "ecdsa-256",
                args: ["-t", "ecdsa", "-b", "256"],
                type: "ecdsa-sha2-nistp256",
                bits: 256,
            },
            {
                name: "ecdsa-384",
                args: ["-t", "ecdsa", "-b", "384"],
                type: "ecdsa-sha2-nistp384",
                bits: 384,
            },
            {
                name: "ecdsa-521",
                args: ["-t", "ecdsa", "-b", "521"],
                type: "ecdsa-sha2-nistp521",
                bits: 521,
            },
            { name: "rsa-2048", args: ["-t", "rsa", "-b", "2048"], type: "ssh-rsa", bits: 2048 },
            { name: "rsa-4096", args: ["-t", "rsa", "-b", "4096"], type: "ssh-rsa", bits: 4096 },
        ];
        const file = (name: string) => path.join(dir, `keygen-${name}`);

        before(async function () {
            requireCapability(this, "openssh-client"); // the fixtures are made by ssh-keygen
            const all = [...accepted, { name: "rsa-1024", args: ["-t", "rsa", "-b", "1024"] }];
            // In parallel: ssh-keygen takes a few seconds for RSA 4096.
            await Promise.all(
                all.map(({ name, args }) =>
                    execFileAsync("ssh-keygen", [
                        "-q",
                        ...args,
                        "-N",
                        "",
                        "-C",
                        `${name}@test-host`,
                        "-f",
                        file(name),
                    ]),
                ),
            );
            for (const { name } of all) made[name] = fs.readFileSync(`${file(name)}.pub`, "utf8");
        });

        for (const key of accepted) {
            it(`accepts ${key.name} made by ssh-keygen: type, bits, comment and fingerprint as ssh-keygen -l says`, () => {
                const fromKeygen = keygenFingerprint(`${file(key.name)}.pub`);
                assert.deepEqual(parsePublicKey(made[key.name]), {
                    type: key.type,
                    bits: key.bits,
                    comment: `${key.name}@test-host`,
                    fingerprint: fromKeygen.fingerprint,
                    line: made[key.name].trimEnd(),
                });
                assert.equal(fromKeygen.bits, key.bits);
                assert.equal(fingerprintOf(made[key.name]), fromKeygen.fingerprint);
            });
        }

        it("normalizes the line: whitespace, tabs, CRLF; the comment keeps printable ASCII without quotes or backslashes", () => {
            const [type, data] = made.ed25519.trim().split(" ");
            const parsed = parsePublicKey(
                `  ${type}\t${data}   José  "ops" back\\slash o'k\tat\u00a0\`host\`\r\n`,
            );
            assert.equal(parsed.comment, "Jos ops backslash ok at host");
            assert.equal(parsed.line, `${type} ${data} Jos ops backslash ok at host`);
            assert.deepEqual(parsePublicKey(`${type} ${data}`), {
                ...parsed,
                comment: "",
                line: `${type} ${data}`,
            });
            assert.equal(parsePublicKey(`${type} ${data} "'\\`).line, `${type} ${data}`);
        });

        describe("refuses, saying what is wrong and the fix", () => {
            const ed25519 = () => made.ed25519.trim();
            const ed25519Data = () => ed25519().split(" ")[1];
            const cases: Array<{
                what: string;
                input: () => string;
                message: string | (() => string);
            }> = [
                {
                    what: "an RSA key of 1024 bits",
                    input: () => made["rsa-1024"],
                    message:
                        "publicKey: ssh-rsa key has 1024 bits; use at least 2048 bits (ssh-keygen -t ed25519 makes a suitable key)",
                },
                {
                    what: "a DSA key",
                    input: () =>
                        lineOf(
                            "ssh-dss",
                            sshString("ssh-dss"),
                            ...[128, 20, 128, 128].map((n) => sshMpint(Buffer.alloc(n, 0x5a))),
                        ),
                    message:
                        "publicKey: ssh-dss (DSA) keys are disabled in OpenSSH since 7.0; make a new key with ssh-keygen -t ed25519",
                },
                {
                    what: "two lines",
                    input: () => `${made.ed25519}${made["ecdsa-256"]}`,
                    message:
                        'publicKey: expected one OpenSSH public key line ("ssh-ed25519 AAAA… comment"), got 2 lines',
                },
                {
                    what: "a private key",
                    input: () => fs.readFileSync(file("ed25519"), "utf8"),
                    message:
                        "publicKey: this looks like a private key; pass the public key (the .pub file)",
                },
                {
                    what: "authorized_keys options before the type",
                    input: () => `command="/bin/echo hi",no-pty ${ed25519()}`,
                    message:
                        'publicKey: authorized_keys options (command="…", from="…", no-pty…) are not accepted; pass the key alone, starting with its type ("ssh-ed25519 AAAA… comment")',
                },
                {
                    what: "a single option keyword before the type",
                    input: () => `restrict ${ed25519()}`,
                    message:
                        'publicKey: authorized_keys options (command="…", from="…", no-pty…) are not accepted; pass the key alone, starting with its type ("ssh-ed25519 AAAA… comment")',
                },
                {
                    what: "base64 cut short on a 4-character boundary",
                    input: () => `ssh-ed25519 ${ed25519Data().slice(0, -4)}`,
                    message: `publicKey: the ssh-ed25519 key data ends too early (truncated when copied?); ${COPY_AGAIN}`,
                },
                {
                    what: "base64 cut short elsewhere",
                    input: () => `ssh-ed25519 ${ed25519Data().slice(0, -3)} me@host`,
                    message: `publicKey: the key data is not valid base64 (truncated or damaged when copied?); ${COPY_AGAIN}`,
                },
                {
                    what: "a type that is not the blob's",
                    input: () => `ssh-rsa ${ed25519Data()} me@host`,
                    message: `publicKey: the line says ssh-rsa but its key data is ssh-ed25519; ${COPY_AGAIN}`,
                },
                {
                    what: "an empty string",
                    input: () => "",
                    message:
                        'publicKey: is empty; pass one OpenSSH public key line ("ssh-ed25519 AAAA… comment"), the content of the .pub file',
                },
                {
                    what: "only whitespace",
                    input: () => " \n\t",
                    message:
                        'publicKey: is empty; pass one OpenSSH public key line ("ssh-ed25519 AAAA… comment"), the content of the .pub file',
                },
                {
                    what: "a control character",
                    input: () => `${ed25519()}\u0007`,
                    message:
                        "publicKey: contains the control character U+0007; pass the line exactly as ssh-keygen wrote it",
                },
                {
                    what: "bytes after the key",
                    input: () => lineOf("ssh-ed25519", blobOf(ed25519()), Buffer.from("junk")),
                    message: `publicKey: the ssh-ed25519 key data has 4 bytes after the key; ${COPY_AGAIN}`,
                },
                {
                    what: "a type without key data",
                    input: () => "ssh-ed25519",
                    message:
                        "publicKey: ssh-ed25519 is not followed by the key data; pass the whole line (ssh-ed25519 AAAA… comment)",
                },
                {
                    what: "key data without its type",
                    input: () => `${ed25519Data()} me@host`,
                    message:
                        'publicKey: the key type is missing; the line starts with it ("ssh-ed25519 AAAA… comment")',
                },
                {
                    what: "something that is no key",
                    input: () => "hello world",
                    message:
                        'publicKey: "hello" is not an OpenSSH key type; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of at least 2048 bits',
                },
                {
                    what: "an unknown key type",
                    input: () => `ssh-foo ${ed25519Data()}`,
                    message:
                        "publicKey: ssh-foo keys are not supported; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of at least 2048 bits",
                },
                {
                    what: "a security-key type",
                    input: () =>
                        lineOf(
                            "sk-ssh-ed25519@openssh.com",
                            sshString("sk-ssh-ed25519@openssh.com"),
                            sshString(blobOf(ed25519()).subarray(-32)),
                            sshString("ssh:"),
                        ),
                    message:
                        "publicKey: sk-ssh-ed25519@openssh.com is a security-key (FIDO) type, which this program does not install; use a key without a hardware token (ssh-keygen -t ed25519)",
                },
                {
                    what: "a certificate",
                    input: () => `ssh-ed25519-cert-v01@openssh.com ${ed25519Data()}`,
                    message:
                        "publicKey: ssh-ed25519-cert-v01@openssh.com is a certificate; pass the plain public key (the .pub file, not the -cert.pub file)",
                },
                {
                    what: "an RFC 4716 public key",
                    input: () => sshKeygen("-e", "-f", `${file("ed25519")}.pub`),
                    message:
                        "publicKey: this is an RFC 4716 (SSH2) public key; convert it to an OpenSSH line with ssh-keygen -i -f <file>",
                },
                {
                    what: "a PEM public key",
                    input: () => sshKeygen("-e", "-m", "PKCS8", "-f", `${file("rsa-2048")}.pub`),
                    message:
                        "publicKey: this is a PEM public key; convert it to an OpenSSH line with ssh-keygen -i -m PKCS8 -f <file>",
                },
                {
                    what: "an ECDSA blob naming another curve",
                    input: () => {
                        const reader = blobOf(made["ecdsa-256"]);
                        const point = reader.subarray(reader.length - 65);
                        return lineOf(
                            "ecdsa-sha2-nistp256",
                            sshString("ecdsa-sha2-nistp256"),
                            sshString("nistp384"),
                            sshString(point),
                        );
                    },
                    message: `publicKey: the ecdsa-sha2-nistp256 key data names another curve than nistp256; ${COPY_AGAIN}`,
                },
                {
                    what: "an ECDSA point off its curve",
                    input: () => {
                        const blob = Buffer.from(blobOf(made["ecdsa-256"]));
                        blob[blob.length - 1] ^= 1;
                        return lineOf("ecdsa-sha2-nistp256", blob);
                    },
                    message: `publicKey: the ecdsa-sha2-nistp256 key's point is not on the nistp256 curve; ${COPY_AGAIN}`,
                },
                {
                    what: "an Ed25519 key of the wrong length",
                    input: () =>
                        lineOf(
                            "ssh-ed25519",
                            sshString("ssh-ed25519"),
                            sshString(Buffer.alloc(31, 7)),
                        ),
                    message: `publicKey: the ssh-ed25519 key is 31 bytes long instead of 32; ${COPY_AGAIN}`,
                },
                {
                    what: "an RSA key larger than OpenSSH reads",
                    input: () =>
                        lineOf(
                            "ssh-rsa",
                            sshString("ssh-rsa"),
                            sshMpint(Buffer.from([1, 0, 1])),
                            sshMpint(Buffer.alloc(2050, 0xff)),
                        ),
                    message: "publicKey: ssh-rsa key has 16400 bits; OpenSSH accepts at most 16384",
                },
                {
                    what: "an RSA key with an even exponent",
                    input: () =>
                        lineOf(
                            "ssh-rsa",
                            sshString("ssh-rsa"),
                            sshMpint(Buffer.from([1, 0, 0])),
                            sshMpint(Buffer.alloc(256, 0xff)),
                        ),
                    message: `publicKey: the ssh-rsa key's public exponent is not valid; ${COPY_AGAIN}`,
                },
                {
                    what: "a line longer than OpenSSH reads",
                    input: () => `ssh-ed25519 ${"A".repeat(20000)}`,
                    message:
                        "publicKey: is 20012 characters long; an OpenSSH public key line has at most 16384",
                },
            ];
            for (const { what, input, message } of cases) {
                it(what, () =>
                    assert.equal(
                        refusal(input()),
                        typeof message === "string" ? message : message(),
                    ),
                );
            }

            it("never echoes the key data in a message", () => {
                for (const { input } of cases)
                    assert.ok(!refusal(input()).includes(ed25519Data().slice(4, 30)));
            });
        });
    });

    describe("as Pulumi serializes it into a dynamic provider", () => {
        it("runs from the serialized text: generates, parses, refuses with an InvalidPublicKeyError that is an Error with its message", async () => {
            const provider = {
                check: (line: string) => {
                    try {
                        return parsePublicKey(line).bits;
                    } catch (err) {
                        const isError =
                            err instanceof Error && err instanceof InvalidPublicKeyError;
                        return {
                            isError,
                            text: `${err}`,
                            message: (err as Error).message,
                            stack: (err as Error).stack?.split("\n")[0],
                        };
                    }
                },
                generate: () => generateSshKeyPair("ed25519", "serialized"),
            };
            const serialized = await pulumi.runtime.serializeFunction(() => provider);
            const loaded: typeof provider = requireFromString(serialized.text).handler();
            const pair = loaded.generate();
            assert.equal(fingerprintOf(pair.publicKey), pair.fingerprint);
            assert.equal(loaded.check(pair.publicKey), 256);
            // The host answers with `e.message` and logs `${e}: ${e.stack}`.
            const message =
                'publicKey: is empty; pass one OpenSSH public key line ("ssh-ed25519 AAAA… comment"), the content of the .pub file';
            const text = `InvalidPublicKeyError: ${message}`;
            assert.deepEqual(loaded.check(""), { isError: true, text, message, stack: text });
        });
    });
});
