/**
 * The reset program warns about what would still stop the login, reading the volume's own sshd
 * configuration and accounts: PubkeyAuthentication no (also in a Match block), AllowUsers,
 * DenyUsers, AllowGroups, DenyGroups, PermitRootLogin, StrictModes, a nologin shell, an expired
 * or (without PAM) locked account. It exits 0 only when one user can really log in.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertExit, requireImageTools, transcript } from "./helpers/checks";
import { GROUP, PASSWD, rootTree, SHADOW } from "../../rehearsal/disk/root-tree";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { RootDirs } from "./helpers/root-dirs";
import { runScript, ScriptResult } from "./helpers/sandbox";
import { Entry } from "../../rehearsal/disk/tree";

const BLOCKED_USERS = ["pk", "du", "dg", "sm", "nl", "ex"];

/** One account per obstacle, each with a home of its own. */
function blockedAccounts(): { passwd: string; shadow: string; group: string; homes: Entry[] } {
    const ids = BLOCKED_USERS.map((name, i) => ({ name, id: 1501 + i }));
    const shell = (name: string) => (name === "nl" ? "/usr/sbin/nologin" : "/bin/bash");
    return {
        passwd: [
            PASSWD,
            ...ids.map(({ name, id }) => `${name}:x:${id}:${id}::/home/${name}:${shell(name)}`),
        ].join("\n"),
        shadow: [
            SHADOW,
            ...ids.map(({ name }) => `${name}:!!:19000:0:99999:7::${name === "ex" ? "1" : ""}:`),
        ].join("\n"),
        group: `${GROUP}\nblocked:x:1600:dg`,
        homes: ids.map(({ name, id }) => ({
            path: `home/${name}`,
            dir: true as const,
            mode: name === "sm" ? 0o777 : 0o700,
            uid: id,
            gid: id,
        })),
    };
}

function assertWarning(result: ScriptResult, pattern: RegExp): void {
    assert.ok(
        result.json.warnings.some((warning) => pattern.test(warning)),
        `no warning matches ${pattern}${transcript(result)}`,
    );
}

describe("reset program: warnings for what would still stop the login", function () {
    let roots: RootDirs;
    const key = () => ed25519();
    const run = (root: string, ...extra: string[]) =>
        runScript(["--root", root, "--public-key", key().publicLine, ...extra]);

    before(function () {
        requireImageTools(this);
        roots = new RootDirs("script-warnings");
    });
    after(() => {
        roots?.cleanup();
        removeGeneratedKeys();
    });

    it("each obstacle is named for its user; the run succeeds because ec2-user can log in", async () => {
        const accounts = blockedAccounts();
        const root = roots.create(
            rootTree({
                ...accounts,
                sshdConfig: [
                    "UsePAM yes",
                    "DenyUsers du",
                    "DenyGroups blocked",
                    "Match User pk",
                    "  PubkeyAuthentication no",
                ].join("\n"),
                extra: accounts.homes,
            }),
        );

        const result = await run(root, "--users", ["ec2-user", ...BLOCKED_USERS].join(","));

        assertExit(result, 0, "ok");
        assert.ok(
            result.json.users.every((user) => user.action === "created"),
            transcript(result),
        );
        assertWarning(result, /^pk: PubkeyAuthentication is no/);
        assertWarning(result, /^du: DenyUsers du excludes the user/);
        assertWarning(result, /^dg: DenyGroups blocked excludes the user/);
        assertWarning(result, /^sm: StrictModes: \/home\/sm \(owner uid 1504, mode 777\)/);
        assertWarning(result, /^nl: the login shell is \/usr\/sbin\/nologin/);
        assertWarning(result, /^ex: the account expired on 1970-01-02/);
        assert.equal(
            result.json.warnings.filter((warning) => warning.startsWith("ec2-user:")).length,
            0,
            transcript(result),
        );
        assert.equal(result.json.warnings.length, 6, transcript(result));
    });

    it("AllowUsers and AllowGroups: users outside them are warned about", async () => {
        const root = roots.create(
            rootTree({
                sshdConfig: "UsePAM yes\nAllowUsers ec2-user deploy@10.0.0.*\nAllowGroups wheel",
            }),
        );

        const result = await run(root, "--users", "ec2-user,deploy,svc");

        assertExit(result, 0, "ok");
        assertWarning(
            result,
            /^deploy: AllowGroups \(wheel\) does not include any group of the user/,
        );
        assertWarning(
            result,
            /^svc: AllowUsers \(ec2-user deploy@10\.0\.0\.\*\) does not include the user/,
        );
        assert.equal(
            result.json.warnings.some((warning) => warning.startsWith("ec2-user:")),
            false,
            transcript(result),
        );
    });

    it("PubkeyAuthentication no for everyone: keys written, but the run fails with the reason", async () => {
        const root = roots.create(
            rootTree({ sshdDropIns: { "00-hardening.conf": "PubkeyAuthentication no" } }),
        );

        const result = await run(root);

        assertExit(result, 1, "error");
        assert.deepEqual(
            result.json.users.map((user) => user.action),
            ["created", "appended"],
        );
        assert.match(result.json.error ?? "", /no user can log in with the key/);
        assertWarning(result, /^ec2-user: PubkeyAuthentication is no/);
        assert.ok(fs.existsSync(path.join(root, "home/ec2-user/.ssh/authorized_keys")));
    });

    it("a 'Match all' block overrides the global lines, as in sshd", async () => {
        const root = roots.create(
            rootTree({
                sshdConfig:
                    "UsePAM yes\nPubkeyAuthentication yes\nMatch all\n  PubkeyAuthentication no",
            }),
        );

        const result = await run(root, "--users", "ec2-user");

        assertExit(result, 1, "error");
        assertWarning(result, /^ec2-user: PubkeyAuthentication is no/);
    });

    it("a locked password stops the login only when sshd does not use PAM", async () => {
        const shadow = SHADOW.replace("ec2-user:!!:", "ec2-user:!$6$salt$hash:");
        const withoutPam = roots.create(rootTree({ shadow, sshdConfig: "UsePAM no" }));
        const withPam = roots.create(rootTree({ shadow, sshdConfig: "UsePAM yes" }));

        const blocked = await run(withoutPam, "--users", "ec2-user");
        const allowed = await run(withPam, "--users", "ec2-user");

        assertExit(blocked, 1, "error");
        assertWarning(
            blocked,
            /^ec2-user: the account is locked \(password starts with !\) and sshd does not use PAM/,
        );
        assertExit(allowed, 0, "ok");
        assert.deepEqual(allowed.json.warnings, []);
    });

    it("PermitRootLogin no stops root; StrictModes no turns the mode check off", async () => {
        const root = roots.create(
            rootTree({
                sshdConfig: "UsePAM yes\nPermitRootLogin no\nStrictModes no",
                extra: [{ path: "home/svc", dir: true, mode: 0o777, uid: 1400, gid: 1400 }],
            }),
        );

        const result = await run(root, "--users", "root,svc");

        assertExit(result, 0, "ok");
        assert.deepEqual(result.json.warnings, ["root: PermitRootLogin is no"]);
    });

    it("a Match block on client addresses cannot be evaluated offline: a warning, not an obstacle", async () => {
        const root = roots.create(
            rootTree({
                sshdConfig: "UsePAM yes\nMatch Address 203.0.113.0/24\n  PubkeyAuthentication no",
            }),
        );

        const result = await run(root, "--users", "ec2-user");

        assertExit(result, 0, "ok");
        assertWarning(
            result,
            /^ec2-user: sshd_config sets pubkeyauthentication under 'Match Address 203\.0\.113\.0\/24', which cannot be evaluated offline/,
        );
    });
});
