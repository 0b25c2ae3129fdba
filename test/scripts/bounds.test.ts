/**
 * The reset program's bounds against a hostile or huge volume (issue 14), on real ext4 images
 * attached as loop devices, in the private mount namespace: each bound is a refusal for the user
 * with its reason, never a hang. Every run must finish well within 60 s and leave nothing
 * mounted, attached or half-written.
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
import { DEPLOY, DEPLOY_EXISTING_KEYS, GROUP, rootTree } from "../../rehearsal/disk/root-tree";
import { buildFilesystem, Workspace } from "../../rehearsal/disk/images";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { runScript, ScriptResult } from "./helpers/sandbox";
import { makeTempDir, run } from "../../rehearsal/disk/system";
import { Entry } from "../../rehearsal/disk/tree";

const KEYS = "home/deploy/.ssh/authorized_keys";
const BOUND_MS = 60_000;

describe("reset program: bounds against hostile and huge volumes", function () {
    let workspace: Workspace;
    const key = () => ed25519();

    before(function () {
        requireImageTools(this);
        workspace = new Workspace(makeTempDir("script-bounds"));
    });
    after(() => {
        workspace?.cleanup();
        removeGeneratedKeys();
    });

    function volume(entries: Entry[], mib = 40): string {
        const disk = workspace.attach(workspace.sparseFile(mib));
        buildFilesystem(workspace, disk, "ext4", entries);
        return disk;
    }

    async function timedRun(disk: string, ...extra: string[]): Promise<ScriptResult> {
        const started = Date.now();
        const result = await runScript([
            "--device",
            disk,
            "--public-key",
            key().publicLine,
            ...extra,
        ]);
        assert.ok(
            Date.now() - started < BOUND_MS,
            `the run took ${Date.now() - started} ms${transcript(result)}`,
        );
        assertNoTraces(result, workspace, [disk]);
        return result;
    }

    function keysFileState(disk: string): { size: number; blocks: number } {
        return workspace.withMount(disk, "ext4", (root) => {
            const stat = fs.statSync(path.join(root, KEYS));
            assertNoTempFiles(path.join(root, path.dirname(KEYS)));
            return { size: stat.size, blocks: stat.blocks };
        });
    }

    it("a sparse keys file of 1 TB: refused at once for its user (over 1 MiB), the others served", async () => {
        const disk = volume(rootTree());
        workspace.withMount(disk, "ext4", (root) =>
            run("truncate", ["-s", "1T", path.join(root, KEYS)]),
        );

        const result = await timedRun(disk);

        assertExit(result, 0, "ok");
        assert.match(
            result.user("deploy").reason ?? "",
            /is 1099511627776 bytes: more than 1048576 is not a keys file/,
        );
        assert.equal(result.user("ec2-user").action, "created");
        assert.equal(keysFileState(disk).size, 1024 ** 4);
    });

    it("a sparse keys file under 1 MiB (one key, then a hole): refused as sparse, left as it was", async () => {
        const disk = volume(rootTree());
        workspace.withMount(disk, "ext4", (root) =>
            run("truncate", ["-s", "1000K", path.join(root, KEYS)]),
        );
        const before = keysFileState(disk);

        const result = await timedRun(disk, "--users", "deploy");

        assertExit(result, 1, "error");
        assert.match(
            result.user("deploy").reason ?? "",
            /authorized_keys is sparse \(\d+ bytes allocated for 1024000\)/,
        );
        assert.deepEqual(keysFileState(disk), before);
    });

    it("a keys file just under the free space: refused before writing, the volume not filled, no temporary file", async () => {
        const disk = volume(rootTree(), 24);
        let freeBefore = 0;
        workspace.withMount(disk, "ext4", (root) => {
            const keys = path.join(root, KEYS);
            fs.writeFileSync(keys, `${DEPLOY_EXISTING_KEYS}\n${"# padding\n".repeat(60_000)}`); // 600 kB, allocated
            fs.chownSync(keys, DEPLOY.uid, DEPLOY.gid);
            try {
                run("dd", ["if=/dev/zero", `of=${root}/fill`, "bs=4k", "status=none"]);
            } catch {
                /* ENOSPC: the volume is full */
            }
            const free = fs.statfsSync(root).bavail * fs.statfsSync(root).bsize;
            // Leave a little more than the keys file: a plain copy would fit, and fill the volume.
            run("truncate", [
                "-s",
                `${Math.max(0, fs.statSync(`${root}/fill`).size - 700_000 + free)}`,
                `${root}/fill`,
            ]);
            freeBefore = fs.statfsSync(root).bavail;
        });

        const result = await timedRun(disk, "--users", "deploy");

        assertExit(result, 1, "error");
        assert.match(
            result.user("deploy").reason ?? "",
            /^No space left on device: \d+ bytes free where \/home\/deploy\/.ssh\/authorized_keys is written/,
        );
        workspace.withMount(disk, "ext4", (root) => {
            assert.equal(fs.statfsSync(root).bavail, freeBefore, "the free space changed");
            assert.ok(
                fs.readFileSync(path.join(root, KEYS), "utf8").startsWith(DEPLOY_EXISTING_KEYS),
            );
            assertNoTempFiles(path.join(root, path.dirname(KEYS)));
        });
    });

    it("sshd_config including itself three times: each file loaded once, the users served", async () => {
        const include = "Include /etc/ssh/sshd_config";
        const disk = volume(
            rootTree({
                sshdConfig: [
                    include,
                    include,
                    include,
                    "UsePAM yes",
                    "AuthorizedKeysFile .ssh/authorized_keys",
                ].join("\n"),
            }),
        );

        const result = await timedRun(disk);

        assertExit(result, 0, "ok");
        assert.deepEqual(
            result.json.users.map((u) => [u.name, u.action]),
            [
                ["ec2-user", "created"],
                ["deploy", "appended"],
            ],
        );
    });

    it("sshd configuration of more than 64 files: every user refused with the reason", async () => {
        const dropIns: Record<string, string> = {};
        for (let i = 0; i < 70; i++) dropIns[`${String(i).padStart(2, "0")}-x.conf`] = "# nothing";
        const disk = volume(rootTree({ sshdDropIns: dropIns }));

        const result = await timedRun(disk);

        assertExit(result, 1, "error");
        for (const user of result.json.users) {
            assert.equal(user.action, "refused");
            assert.match(
                user.reason ?? "",
                /sshd configuration cannot be evaluated: more than 64 files included/,
            );
        }
    });

    it("sshd configuration of more than 4 MiB in all: every user refused with the reason", async () => {
        const big = `# ${"x".repeat(1024 * 1024)}`;
        const disk = volume(
            rootTree({
                sshdDropIns: {
                    "1.conf": big,
                    "2.conf": big,
                    "3.conf": big,
                    "4.conf": big,
                    "5.conf": big,
                },
            }),
        );

        const result = await timedRun(disk);

        assertExit(result, 1, "error");
        assert.match(result.user("ec2-user").reason ?? "", /more than 4194304 bytes in all/);
    });

    it("100,000 groups and 2,000 AllowGroups names: matching stays linear, the user served", async () => {
        const groups = Array.from(
            { length: 100_000 },
            (_, i) => `g${i}:x:${10_000 + i}:ec2-user,deploy`,
        );
        const allowed = Array.from({ length: 2_000 }, (_, i) => `other${i}`).join(" ");
        const disk = volume(
            rootTree({
                group: [GROUP, ...groups].join("\n"),
                sshdConfig: `UsePAM yes\nAllowGroups ${allowed} g99999\nMatch Group ${Array.from({ length: 500 }, (_, i) => `m${i}`).join(",")}\n  PubkeyAuthentication no`,
            }),
            64,
        );

        const result = await timedRun(disk, "--users", "ec2-user");

        assertExit(result, 0, "ok");
        assert.equal(result.user("ec2-user").action, "created");
    });

    it("the internal deadline passes during a write: the write undone, unmounted, detached, reported", async () => {
        const disk = volume(rootTree());
        const before = workspace.withMount(disk, "ext4", (root) =>
            fs.readFileSync(path.join(root, KEYS), "utf8"),
        );
        const started = Date.now();
        // The test hook holds the write of ec2-user's new file for 30 s: the 3 s deadline passes first.
        const paused = await runScript(
            [
                "--device",
                disk,
                "--public-key",
                key().publicLine,
                "--users",
                "ec2-user",
                "--deadline",
                "3",
            ],
            {
                env: {
                    RESET_SSH_KEY_TEST_PAUSE: path.join(
                        makeTempDir("script-deadline-marker"),
                        "paused",
                    ),
                },
            },
        );
        assert.ok(
            Date.now() - started < 20_000,
            `the deadline did not stop the run: ${Date.now() - started} ms`,
        );
        assertNoTraces(paused, workspace, [disk]);
        assert.equal(paused.status, 1, transcript(paused));
        assert.equal(paused.json.error, "the internal deadline of 3 s passed");
        workspace.withMount(disk, "ext4", (root) => {
            assert.equal(
                fs.existsSync(path.join(root, "home/ec2-user/.ssh")),
                false,
                "the directory created for the key was left",
            );
            assert.equal(fs.readFileSync(path.join(root, KEYS), "utf8").startsWith(before), true);
        });
    });

    it("ext4 is mounted with errors=remount-ro and nosymfollow, whatever its superblock says (errors=panic)", async () => {
        const disk = volume(rootTree());
        run("tune2fs", ["-e", "panic", disk]);
        const marker = path.join(makeTempDir("script-mount-options"), "paused");
        let options = "";
        const result = await runScript(
            ["--device", disk, "--public-key", key().publicLine, "--users", "ec2-user"],
            {
                env: { RESET_SSH_KEY_TEST_PAUSE: marker },
                onStart: (control) =>
                    void waitForMountInfo(marker).then((found) => {
                        options = found;
                        control.signal("SIGTERM");
                    }),
            },
        );

        assertNoTraces(result, workspace, [disk]);
        assert.equal(result.status, 143, transcript(result));
        assert.match(options, /\bnosymfollow\b/, options);
        assert.match(options, /\berrors=remount-ro\b/, options);
        assert.match(options, /\bnosuid\b.*\bnodev\b.*\bnoexec\b/, options);
    });
});

/** Once the program pauses, the mount options of its read-write root, from its mountinfo. */
async function waitForMountInfo(marker: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(marker)) {
        if (Date.now() > deadline) throw new Error(`${marker} did not appear`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        let environ: string;
        try {
            environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1");
        } catch {
            continue;
        }
        if (!environ.includes(`RESET_SSH_KEY_TEST_PAUSE=${marker}`)) continue;
        const line = fs
            .readFileSync(`/proc/${pid}/mountinfo`, "utf8")
            .split("\n")
            .find((l) => / \S*reset-ssh-key\.\S*\/root /.test(l));
        if (line) return line;
    }
    return "";
}
