/**
 * The reset program --public-key: one OpenSSH public key line of an accepted type (ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521, ssh-rsa of at least 2048 bits), checked against its own blob;
 * anything else is refused before the volume is touched, and no input is ever echoed (a pasted
 * private key must not reach the logs).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertExit, requireImageTools, transcript } from "./helpers/checks";
import { rootTree } from "../../rehearsal/disk/root-tree";
import { ed25519, keyPair, removeGeneratedKeys, secretLines } from "./helpers/keys";
import { RootDirs } from "./helpers/root-dirs";
import { runScript } from "./helpers/sandbox";
import { listTree } from "../../rehearsal/disk/tree";

/** A blob of one key type labelled as another, and a blob with trailing bytes. */
function forged(): Record<string, string> {
    const rsaBlob = keyPair("rsa2048", "rsa", 2048).publicLine.split(" ")[1];
    const edBlob = ed25519().publicLine.split(" ")[1];
    const padded = Buffer.concat([
        Buffer.from(edBlob, "base64"),
        Buffer.from([0, 0, 0, 1, 65]),
    ]).toString("base64");
    return { mislabelled: `ssh-ed25519 ${rsaBlob} x`, trailing: `ssh-ed25519 ${padded} x` };
}

describe("reset program: the public key", function () {
    let roots: RootDirs;

    before(function () {
        requireImageTools(this);
        roots = new RootDirs("script-public-key");
    });
    after(() => {
        roots?.cleanup();
        removeGeneratedKeys();
    });

    const accepted: [string, string, number?][] = [
        ["ed25519", "ed25519"],
        ["ecdsa-256", "ecdsa", 256],
        ["ecdsa-384", "ecdsa", 384],
        ["ecdsa-521", "ecdsa", 521],
        ["rsa-2048", "rsa", 2048],
    ];
    for (const [name, type, bits] of accepted) {
        it(`accepts ${name}, logs its SHA256 fingerprint, writes the line as given`, async () => {
            const pair = keyPair(name, type, bits);
            const root = roots.create(rootTree());

            const result = await runScript([
                "--root",
                root,
                "--public-key",
                `${pair.publicLine}\n`,
                "--users",
                "ec2-user",
            ]);

            assertExit(result, 0, "ok");
            assert.ok(
                result.stdout.includes(pair.fingerprint),
                `fingerprint ${pair.fingerprint}${transcript(result)}`,
            );
            assert.equal(
                fs.readFileSync(path.join(root, "home/ec2-user/.ssh/authorized_keys"), "utf8"),
                `${pair.publicLine}\n`,
            );
        });
    }

    const refused: [string, () => string, RegExp][] = [
        [
            "an RSA key of 1024 bits",
            () => keyPair("rsa1024", "rsa", 1024).publicLine,
            /ssh-rsa key of 1024 bits: at least 2048/,
        ],
        ["a DSA key", () => keyPair("dsa", "dsa").publicLine, /key type ssh-dss is not accepted/],
        [
            "a FIDO key type",
            () => "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t x",
            /key type sk-ssh-ed25519@openssh.com is not accepted/,
        ],
        [
            "a blob of another type",
            () => forged().mislabelled,
            /the key data is not a ssh-ed25519 key/,
        ],
        [
            "a blob with trailing data",
            () => forged().trailing,
            /unexpected data after the ssh-ed25519 key/,
        ],
        ["data that is not base64", () => "ssh-ed25519 AAAA!!!! x", /the key data is not base64/],
        [
            "a line with options",
            () => `from="10.0.0.1" ${ed25519().publicLine}`,
            /key type \(unrecognised\) is not accepted/,
        ],
        [
            "two lines",
            () => `${ed25519().publicLine}\n${ed25519().publicLine}`,
            /it must be a single line/,
        ],
        [
            "a private key",
            () => ed25519().privateText,
            /this is a private key; pass the public key line/,
        ],
        [
            "a private key body without its header",
            () => secretLines(ed25519()).join(""),
            /key type \(unrecognised\) is not accepted/,
        ],
    ];
    for (const [name, make, reason] of refused) {
        it(`refuses ${name} before touching the volume, without echoing it`, async () => {
            const root = roots.create(rootTree());
            const before = listTree(root);
            const input = make();

            const result = await runScript(["--root", root, "--public-key", input]);

            assertExit(result, 2, "error");
            assert.match(result.json.error ?? "", reason);
            assert.deepEqual(listTree(root), before);
            for (const secret of [...secretLines(ed25519()), input.split(" ")[1] ?? input].filter(
                (s) => s.length > 20,
            )) {
                assert.equal(
                    `${result.stdout}${result.stderr}`.includes(secret),
                    false,
                    `output contains input material${transcript(result)}`,
                );
            }
        });
    }

    it("a secret pasted into --users is refused as a user name without being echoed", async () => {
        const root = roots.create(rootTree());
        const secret = secretLines(ed25519())[1];

        const result = await runScript([
            "--root",
            root,
            "--public-key",
            ed25519().publicLine,
            "--users",
            `ec2-user,${secret}`,
        ]);

        assertExit(result, 0, "ok");
        assert.equal(
            result.user(`(a value of ${secret.length} characters)`).reason,
            "invalid user name",
        );
        assert.equal(
            `${result.stdout}${result.stderr}`.includes(secret),
            false,
            transcript(result),
        );
    });

    it("usage errors: --device with --root, a missing key, an unknown option", async () => {
        const key = ed25519().publicLine;
        const cases: [string[], RegExp][] = [
            [
                ["--device", "/dev/null", "--root", "/", "--public-key", key],
                /--device and --root exclude each other/,
            ],
            [["--root", "/"], /--public-key is required/],
            [["--root", "/", "--public-key", key, "--force"], /unknown option --force/],
        ];
        for (const [args, message] of cases) {
            const result = await runScript(args);
            assertExit(result, 2, "error");
            assert.match(result.json.error ?? "", message);
        }
    });
});
