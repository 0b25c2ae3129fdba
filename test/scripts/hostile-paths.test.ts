/**
 * The reset program against a hostile volume's paths, run in the sandbox (the host's /etc/passwd,
 * /etc/shadow, /root and /home are covered by copies that must stay unchanged): symlinked ~/.ssh
 * or keys files pointing outside the volume or at etc/shadow inside it, a keys file that is a
 * directory, a FIFO or a hard link, hostile home directories. Each is refused for its user with
 * the reason; the other users are still served; the targets are untouched.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertExit, assertNoTraces, requireImageTools, transcript } from "./helpers/checks";
import { EC2_USER, rootTree, SHADOW, SVC } from "../../rehearsal/disk/root-tree";
import { buildFilesystem, Workspace } from "../../rehearsal/disk/images";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { runScript, ScriptResult } from "./helpers/sandbox";
import { makeTempDir } from "../../rehearsal/disk/system";
import { Entry } from "../../rehearsal/disk/tree";

const VOLUME_ROOT_KEYS = "ssh-ed25519 AAAAvolume root-of-the-volume\n";

describe("reset program: hostile paths on the volume", function () {
    let workspace: Workspace;
    const key = () => ed25519();

    before(function () {
        requireImageTools(this);
        workspace = new Workspace(makeTempDir("script-hostile-paths"));
    });
    after(() => {
        workspace?.cleanup();
        removeGeneratedKeys();
    });

    /** Builds a volume with `extra` entries, runs the script on it, returns result and a reader. */
    async function runOn(
        extra: Entry[],
        users: string,
    ): Promise<{ result: ScriptResult; read: (file: string) => string }> {
        const disk = workspace.attach(workspace.sparseFile(40));
        const volumeRootKeys: Entry[] = [
            { path: "root/.ssh", dir: true, mode: 0o700 },
            { path: "root/.ssh/authorized_keys", file: VOLUME_ROOT_KEYS, mode: 0o600 },
        ];
        buildFilesystem(
            workspace,
            disk,
            "ext4",
            rootTree({ extra: [...volumeRootKeys, ...extra] }),
        );
        const result = await runScript([
            "--device",
            disk,
            "--public-key",
            key().publicLine,
            "--users",
            users,
        ]);
        assertNoTraces(result, workspace, [disk]);
        const contents = new Map<string, string>();
        workspace.withMount(disk, "ext4", (root) => {
            for (const file of [
                "etc/passwd",
                "etc/shadow",
                "root/.ssh/authorized_keys",
                "home/svc/.ssh/authorized_keys",
            ]) {
                const full = path.join(root, file);
                // lstat first: a FIFO would block a read forever.
                if (fs.existsSync(full) && fs.lstatSync(full).isFile())
                    contents.set(file, fs.readFileSync(full, "utf8"));
            }
        });
        return { result, read: (file) => contents.get(file) ?? "(missing)" };
    }

    const refusal = (result: ScriptResult, name: string, pattern: RegExp) => {
        assert.equal(result.user(name).action, "refused", transcript(result));
        assert.match(result.user(name).reason ?? "", pattern);
    };

    it("~/.ssh linked to /root/.ssh: refused for that user, the volume's /root untouched, the others served", async () => {
        const { result, read } = await runOn(
            [{ path: "home/ec2-user/.ssh", symlink: "/root/.ssh" }],
            "ec2-user,svc",
        );

        assertExit(result, 0, "ok");
        refusal(
            result,
            "ec2-user",
            /leads outside the home of ec2-user to \/root\/.ssh\/authorized_keys \(\/home\/ec2-user\/.ssh -> \/root\/.ssh\)/,
        );
        assert.equal(result.user("svc").action, "created");
        assert.equal(read("root/.ssh/authorized_keys"), VOLUME_ROOT_KEYS);
        assert.equal(read("home/svc/.ssh/authorized_keys"), `${key().publicLine}\n`);
    });

    it("keys files linked above the volume root and to etc/shadow inside it: refused, both untouched", async () => {
        const { result, read } = await runOn(
            [
                {
                    path: "home/ec2-user/.ssh",
                    dir: true,
                    mode: 0o700,
                    uid: EC2_USER.uid,
                    gid: EC2_USER.gid,
                },
                {
                    path: "home/ec2-user/.ssh/authorized_keys",
                    symlink: "../../../../../../../../../../etc/passwd",
                },
                { path: "home/deploy/.ssh/authorized_keys", symlink: "/etc/shadow" },
            ],
            "ec2-user,deploy,svc",
        );

        assertExit(result, 0, "ok");
        refusal(
            result,
            "ec2-user",
            /\/home\/ec2-user\/.ssh\/authorized_keys -> \.\.\/.*\/etc\/passwd leads above the volume root/,
        );
        refusal(result, "deploy", /leads outside the home of deploy to \/etc\/shadow/);
        assert.equal(read("etc/shadow"), `${SHADOW}\n`);
        assert.match(read("etc/passwd"), /^root:x:0:0:/);
        assert.equal(read("etc/passwd").includes("ssh-ed25519"), false);
        assert.equal(result.user("svc").action, "created");
    });

    it("a keys file that is a directory, a FIFO, or a hard link to etc/shadow: refused with the reason", async () => {
        const { result, read } = await runOn(
            [
                {
                    path: "home/ec2-user/.ssh/authorized_keys",
                    dir: true,
                    mode: 0o700,
                    uid: EC2_USER.uid,
                    gid: EC2_USER.gid,
                },
                {
                    path: "home/ec2-user/.ssh",
                    dir: true,
                    mode: 0o700,
                    uid: EC2_USER.uid,
                    gid: EC2_USER.gid,
                },
                { path: "home/svc/.ssh", dir: true, mode: 0o700, uid: SVC.uid, gid: SVC.gid },
                { path: "home/svc/.ssh/authorized_keys", fifo: true },
                { path: "home/deploy/.ssh/authorized_keys", hardlink: "etc/shadow" },
            ],
            "ec2-user,svc,deploy",
        );

        assertExit(result, 1, "error");
        refusal(result, "ec2-user", /\/home\/ec2-user\/.ssh\/authorized_keys is a directory/);
        refusal(result, "svc", /\/home\/svc\/.ssh\/authorized_keys is not a regular file/);
        refusal(result, "deploy", /has 2 hard links/);
        assert.equal(read("etc/shadow"), `${SHADOW}\n`);
    });

    it("home directories that climb out of the volume or resolve to /etc: refused", async () => {
        const { result } = await runOn(
            [
                { path: "home/ec2-user", symlink: "../../../../../../../../.." },
                { path: "home/deploy", symlink: "/etc" },
            ],
            "ec2-user,deploy,svc",
        );

        assertExit(result, 0, "ok");
        refusal(
            result,
            "ec2-user",
            /home \/home\/ec2-user: \/home\/ec2-user -> .* leads above the volume root/,
        );
        refusal(result, "deploy", /home \/home\/deploy is the system directory \/etc/);
        assert.equal(result.user("svc").action, "created");
    });

    it("a reason carrying quotes, backslashes, control characters and non-UTF-8 bytes is valid JSON, control characters replaced", async () => {
        const target = Buffer.concat([
            Buffer.from('/x"y\\z\n\t'),
            Buffer.from([0xff]),
            Buffer.from("end"),
        ]);
        const { result } = await runOn(
            [
                {
                    path: "home/ec2-user/.ssh",
                    dir: true,
                    mode: 0o700,
                    uid: EC2_USER.uid,
                    gid: EC2_USER.gid,
                },
                { path: "home/ec2-user/.ssh/authorized_keys", symlink: target },
            ],
            "ec2-user,svc",
        );

        assertExit(result, 0, "ok");
        assert.ok(result.user("ec2-user").reason?.includes('/x"y\\z???end'), transcript(result));
        for (const text of [
            ...result.json.users.map((u) => u.reason ?? ""),
            ...result.json.warnings,
        ]) {
            assert.doesNotMatch(
                text,
                // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
                /[\u0000-\u001f\u007f-\u009f]/,
                `control character in ${JSON.stringify(text)}`,
            );
        }
        const refusedLine = result.stdout
            .split("\n")
            .find((line) => line.startsWith("REFUSED ec2-user"));
        assert.ok(
            refusedLine && !/[\t\u0080-\uffff]/.test(refusedLine),
            `unsanitised status line: ${refusedLine}`,
        );
    });
});
