/**
 * The reset program against broken or hostile volumes as a whole: missing, linked or malformed
 * /etc/passwd, shell syntax in passwd and sshd_config (nothing from the volume is executed), a
 * read-only or full filesystem, and an interrupted run (SIGTERM): errors carry the reason, and
 * no mount, loop device, temporary file or half-written keys file is left.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    assertExit,
    assertNoTempFiles,
    assertNoTraces,
    requireImageTools,
    transcript,
} from "./helpers/checks";
import { DEPLOY_EXISTING_KEYS, PASSWD, rootTree } from "../../rehearsal/disk/root-tree";
import { buildFilesystem, Workspace } from "../../rehearsal/disk/images";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { runScript, ScriptResult } from "./helpers/sandbox";
import { makeTempDir, run } from "../../rehearsal/disk/system";
import { Entry, listTree } from "../../rehearsal/disk/tree";

const PWNED = `/tmp/reset-ssh-key-test-pwned-${process.pid}`;

async function waitFor(file: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!fs.existsSync(file)) {
        if (Date.now() > deadline) throw new Error(`${file} did not appear`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

describe("reset program: broken and hostile volumes", function () {
    let workspace: Workspace;
    const key = () => ed25519();

    before(function () {
        requireImageTools(this);
        workspace = new Workspace(makeTempDir("script-hostile-volume"));
    });
    after(() => {
        workspace?.cleanup();
        removeGeneratedKeys();
        fs.rmSync(PWNED, { force: true });
    });

    function volume(entries: Entry[], mib = 40): string {
        const disk = workspace.attach(workspace.sparseFile(mib));
        buildFilesystem(workspace, disk, "ext4", entries);
        return disk;
    }

    async function runOn(disk: string, ...extra: string[]): Promise<ScriptResult> {
        const result = await runScript([
            "--device",
            disk,
            "--public-key",
            key().publicLine,
            ...extra,
        ]);
        assertNoTraces(result, workspace, [disk]);
        return result;
    }

    it("no /etc/passwd: not an OS root, error", async () => {
        const result = await runOn(volume(rootTree({ passwd: null })));

        assertExit(result, 1, "error");
        assert.match(result.json.error ?? "", /holds an OS root/);
    });

    it("/etc/passwd linked above the volume root: error, the host's passwd neither read nor written", async () => {
        const result = await runOn(
            volume(
                rootTree({
                    extra: [{ path: "etc/passwd", symlink: "../../../../../../etc/passwd" }],
                }),
            ),
        );

        assertExit(result, 1, "error");
        assert.match(
            result.json.error ?? "",
            /cannot read the volume's \/etc\/passwd: \/etc\/passwd -> .* leads above the volume root/,
        );
    });

    it("malformed passwd lines are skipped with a warning; shell syntax is never executed", async () => {
        const hostile = [
            "\u0001\u0002binary\u00ff:garbage",
            "ec2-user:x:notanumber:2345::/home/ec2-user:/bin/bash",
            `evil;touch ${PWNED}:x:1500:1500::/home/evil:/bin/sh`,
            "dots:x:1501:1501::/home/../etc:/bin/sh",
            `cmd:x:1502:1502::/home/$(touch ${PWNED}):/bin/sh`,
            "short:x:1503",
        ];
        const disk = volume(
            rootTree({
                passwd: [
                    hostile[0],
                    hostile[1],
                    PASSWD.split("\n")
                        .filter((l) => !l.startsWith("ec2-user"))
                        .join("\n"),
                    ...hostile.slice(2),
                ].join("\n"),
                sshdDropIns: {
                    "10-evil.conf": `Include $(touch ${PWNED})\nAuthorizedKeysFile .ssh/\`touch ${PWNED}\` .ssh/authorized_keys`,
                },
            }),
        );

        const result = await runOn(disk, "--users", `deploy,cmd,evil;touch ${PWNED}`);

        assertExit(result, 0, "ok");
        assert.equal(fs.existsSync(PWNED), false, "something from the volume was executed");
        // Like sshd, AuthorizedKeysFile splits at spaces: "`touch" is a literal first file name.
        assert.equal(result.user("deploy").action, "created");
        assert.equal(result.user("deploy").file, "/home/deploy/.ssh/`touch");
        assert.deepEqual(
            result.json.users.filter((u) => u.action === "refused").map((u) => u.reason),
            ["no such user in the volume's /etc/passwd", "invalid user name"],
        );
        for (const warning of [
            "line 1 ignored: it has 2 fields",
            "line 2 ignored: invalid uid or gid",
            "ignored: invalid user name",
            "ignored: invalid home directory",
        ]) {
            assert.ok(
                result.json.warnings.some((w) => w.includes(warning)),
                `${warning}${transcript(result)}`,
            );
        }
    });

    it("a passwd without any valid entry: error", async () => {
        const result = await runOn(
            volume(rootTree({ passwd: "this is not a passwd file\n\u0000\u0001" })),
        );

        assertExit(result, 1, "error");
        assert.match(result.json.error ?? "", /the volume's \/etc\/passwd has no valid entry/);
    });

    it("a read-only filesystem (--root): every user refused with the reason, exit non-zero", async () => {
        const disk = volume(rootTree());
        const root = workspace.mount(disk, "ext4", ["ro"]);
        try {
            const result = await runScript(["--root", root, "--public-key", key().publicLine]);

            assertExit(result, 1, "error");
            assert.deepEqual(
                result.json.users.map((u) => u.action),
                ["refused", "refused"],
            );
            assert.match(result.user("ec2-user").reason ?? "", /Read-only file system/);
            assert.match(result.user("deploy").reason ?? "", /Read-only file system/);
        } finally {
            workspace.unmount(root);
        }
    });

    it("a full filesystem: refused with the reason, the existing keys file intact, no temporary file", async () => {
        const disk = volume(rootTree(), 24);
        workspace.withMount(disk, "ext4", (root) => {
            for (const blockSize of ["1M", "4k"]) {
                try {
                    run("dd", [
                        "if=/dev/zero",
                        `of=${root}/fill-${blockSize}`,
                        `bs=${blockSize}`,
                        "status=none",
                    ]);
                } catch {
                    /* ENOSPC is the point */
                }
            }
        });

        const result = await runOn(disk);

        assertExit(result, 1, "error");
        assert.match(result.user("ec2-user").reason ?? "", /No space left on device/);
        assert.match(result.user("deploy").reason ?? "", /No space left on device/);
        workspace.withMount(disk, "ext4", (root) => {
            assert.equal(
                fs.readFileSync(path.join(root, "home/deploy/.ssh/authorized_keys"), "utf8"),
                DEPLOY_EXISTING_KEYS,
            );
            assertNoTempFiles(path.join(root, "home/deploy/.ssh"));
            assert.equal(
                fs.existsSync(path.join(root, "home/ec2-user/.ssh")),
                false,
                "an empty ~/.ssh was left behind",
            );
        });
    });

    it("SIGTERM in the middle of a write: exit 143, nothing mounted, no half-written file", async () => {
        const disk = volume(rootTree());
        const scratch = makeTempDir("script-interrupt");
        const marker = path.join(scratch, "paused");
        let before: string[] = [];
        workspace.withMount(disk, "ext4", (root) => (before = listTree(root)));

        const result = await runScript(["--device", disk, "--public-key", key().publicLine], {
            // The program's test hook: it creates the marker, then waits before its first fsync.
            env: { RESET_SSH_KEY_TEST_PAUSE: marker },
            onStart: (control) =>
                void waitFor(marker, 20_000).then(() => control.signal("SIGTERM")),
        });
        fs.rmSync(scratch, { recursive: true, force: true });

        assert.equal(result.status, 143, transcript(result));
        assert.equal(result.json.status, "error");
        assert.equal(result.json.error, "interrupted by SIGTERM");
        assertNoTraces(result, workspace, [disk]);
        workspace.withMount(disk, "ext4", (root) =>
            assert.deepEqual(listTree(root), before, "the volume changed"),
        );
    });
});
