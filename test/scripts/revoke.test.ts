/**
 * --revoke-comment COMMENT (key rotation): the key lines whose comment is exactly COMMENT are
 * removed from every keys file the user's sshd reads, and only those; every other line stays,
 * in order; the new key is installed after revocation (a new key with the same comment stays);
 * the result names the removed keys per user by fingerprint. On a real ext4 filesystem (--root).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertExit, assertNoTempFiles, requireImageTools, transcript } from "./helpers/checks";
import { DEPLOY, rootTree } from "../../rehearsal/disk/root-tree";
import { keyPair, removeGeneratedKeys } from "./helpers/keys";
import { RootDirs } from "./helpers/root-dirs";
import { runScript } from "./helpers/sandbox";

const COMMENT = "ec2-reset-access@i-0123456789abcdef0";

describe("reset program: --revoke-comment", function () {
    let roots: RootDirs;
    const blob = (name: string) => keyPair(name, "ed25519").publicLine.split(" ")[1];
    const withComment = (name: string, comment = COMMENT) => `ssh-ed25519 ${blob(name)} ${comment}`;

    before(function () {
        requireImageTools(this);
        roots = new RootDirs("script-revoke");
    });
    after(() => {
        roots?.cleanup();
        removeGeneratedKeys();
    });

    function keysEntry(relative: string, content: string) {
        return { path: relative, file: content, mode: 0o600, uid: DEPLOY.uid, gid: DEPLOY.gid };
    }

    it("removes exactly the lines with that comment, keeps the others in order, then appends the new key", async () => {
        const kept = [
            "# ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOeYVcWh1GvJr5FWoJ2IIrcQH1V7ExampleKeyOnly ec2-reset-access@i-0123456789abcdef0",
            withComment("near", `${COMMENT}-other`),
            withComment("longer", `${COMMENT} and more`),
            "",
            withComment("ops", "ops@laptop"),
        ];
        const existing = [
            kept[0],
            withComment("old"),
            kept[1],
            `from="10.0.0.0/8",no-pty ${withComment("old2")}`,
            kept[2],
            kept[3],
            kept[4],
        ].join("\n");
        const root = roots.create(
            rootTree({
                sshdConfig:
                    "UsePAM yes\nAuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2",
                extra: [
                    keysEntry("home/deploy/.ssh/authorized_keys", `${existing}\n`),
                    keysEntry(
                        "home/deploy/.ssh/authorized_keys2",
                        `${withComment("older")}\n${withComment("ops2", "ops@desk")}\n`,
                    ),
                ],
            }),
        );
        const fresh = withComment("fresh");

        const result = await runScript([
            "--root",
            root,
            "--public-key",
            fresh,
            "--users",
            "deploy",
            "--revoke-comment",
            COMMENT,
        ]);

        assertExit(result, 0, "ok");
        const user = result.user("deploy");
        assert.equal(user.action, "appended", transcript(result));
        const fingerprints = ["old", "old2", "older"].map(
            (name) => keyPair(name, "ed25519").fingerprint,
        );
        assert.deepEqual(user.revoked, fingerprints);
        const ssh = path.join(root, "home/deploy/.ssh");
        assert.equal(
            fs.readFileSync(path.join(ssh, "authorized_keys"), "utf8"),
            `${kept.join("\n")}\n${fresh}\n`,
        );
        assert.equal(
            fs.readFileSync(path.join(ssh, "authorized_keys2"), "utf8"),
            `${withComment("ops2", "ops@desk")}\n`,
        );
        assertNoTempFiles(ssh);
    });

    it("a new key that carries the same comment and is already there stays; the old one goes", async () => {
        const fresh = withComment("fresh");
        const root = roots.create(
            rootTree({
                sshdConfig: "UsePAM yes",
                extra: [
                    keysEntry(
                        "home/deploy/.ssh/authorized_keys",
                        `${withComment("old")}\n${fresh}\n`,
                    ),
                ],
            }),
        );

        const result = await runScript([
            "--root",
            root,
            "--public-key",
            fresh,
            "--users",
            "deploy",
            "--revoke-comment",
            COMMENT,
        ]);

        assertExit(result, 0, "ok");
        assert.equal(result.user("deploy").action, "present");
        assert.deepEqual(result.user("deploy").revoked, [keyPair("old", "ed25519").fingerprint]);
        assert.equal(
            fs.readFileSync(path.join(root, "home/deploy/.ssh/authorized_keys"), "utf8"),
            `${fresh}\n`,
        );
    });

    it("nothing to revoke: an empty list per user; without the option, no revoked field", async () => {
        const root = roots.create(rootTree({ sshdConfig: "UsePAM yes" }));
        const fresh = withComment("fresh");

        const revoking = await runScript([
            "--root",
            root,
            "--public-key",
            fresh,
            "--revoke-comment",
            COMMENT,
        ]);
        const plain = await runScript(["--root", root, "--public-key", fresh]);

        assertExit(revoking, 0, "ok");
        assert.deepEqual(
            revoking.json.users.map((u) => [u.name, u.action, u.revoked]),
            [
                ["ec2-user", "created", []],
                ["deploy", "appended", []],
            ],
        );
        assert.deepEqual(
            plain.json.users.map((u) => "revoked" in u),
            [false, false],
        );
    });

    it("a comment that is not a plain word: usage error before anything is touched", async () => {
        const root = roots.create(rootTree());
        const result = await runScript([
            "--root",
            root,
            "--public-key",
            withComment("fresh"),
            "--revoke-comment",
            "a b",
        ]);

        assertExit(result, 2, "error");
        assert.match(result.json.error ?? "", /--revoke-comment must be 1 to 100 of/);
        assert.equal(fs.existsSync(path.join(root, "home/ec2-user/.ssh")), false);
    });
});
