/**
 * The verdict survives SSM's 24,000-character output limit: the document prints the script's
 * final JSON line first and a bounded tail of its log after it, and the step reads the verdict
 * from output that the emulator cuts at 24,000 characters as GetCommandInvocation does.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import { LOG_TAIL_BYTES, SSM_STDOUT_LIMIT, verdictFirst } from "../../lib/linux-document";
import { runScript } from "../../lib/ssm-command";
import { createHelper } from "../../rehearsal/targets";

const USERS = Array.from({ length: 150 }, (_, i) => ({
    name: `user${i}`,
    file: `/home/user${i}/.ssh/authorized_keys`,
    action: "appended",
}));
const VERDICT = JSON.stringify({
    status: "ok",
    device: "/dev/nvme1n1p1",
    filesystem: "xfs",
    users: USERS,
    warnings: [],
});
/** What the key script prints for 150 users holding keys: a status block per user, then the verdict. */
const LOG =
    USERS.map(
        (u) =>
            `==> ${u.name}: ${u.file}\n    existing keys kept: 3\n    new key appended (ssh-ed25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG)\n    owner ${u.name}:${u.name}, mode 600, SELinux context restored\n`,
    ).join("") + `RESULT: ok\n${VERDICT}\n`;

describe("the verdict and SSM's 24,000-character output limit", () => {
    it("the script's own output for 150 users is longer than SSM returns: printed last, the verdict would be lost", () => {
        assert.ok(LOG.length > SSM_STDOUT_LIMIT, `the log is only ${LOG.length} characters`);
        assert.ok(!LOG.slice(0, SSM_STDOUT_LIMIT).includes(VERDICT));
    });

    it("the document prints the verdict first, then a bounded tail of the log, and keeps the exit code", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verdict-first-"));
        try {
            fs.writeFileSync(path.join(dir, "log"), LOG);
            const script = [
                "set -euo pipefail",
                `workdir=${dir}`,
                ...verdictFirst(`bash -c "cat ${dir}/log; exit 4"`),
            ].join("\n");
            let stdout = "";
            let code = 0;
            try {
                stdout = execFileSync("bash", ["-c", script], { encoding: "utf8" });
            } catch (err) {
                stdout = (err as { stdout: string }).stdout;
                code = (err as { status: number }).status;
            }
            assert.equal(code, 4);
            assert.equal(stdout.split("\n")[0], VERDICT);
            assert.ok(stdout.length < SSM_STDOUT_LIMIT, `${stdout.length} characters`);
            assert.match(
                stdout,
                new RegExp(
                    `\\[log: the first ${LOG.length - LOG_TAIL_BYTES} of ${LOG.length} bytes cut; the verdict is the first line\\]`,
                ),
            );
            assert.ok(stdout.endsWith(LOG.slice(-LOG_TAIL_BYTES)), "the log's tail follows");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("the step reads it from the output SSM returns (an emulator command fault, cut at 24,000)", () => {
        const ssm = new SSMClient({});
        let helperId: string;
        beforeEach(async () => {
            await emulator().reset();
            helperId = (await createHelper(new EC2Client({}), new IAMClient({}))).InstanceId!;
        });
        const run = () =>
            runScript(ssm, {
                documentName: "AWS-RunShellScript",
                instanceId: helperId,
                parameters: { commands: "true" },
                executionTimeoutSeconds: 60,
                comment: "test",
            });

        it("verdict first: the whole verdict, with its 150 users", async () => {
            await emulator().control("POST", "/command-faults", {
                documentName: "AWS-RunShellScript",
                exitCode: 0,
                stdout: `${VERDICT}\n${LOG}`,
            });
            const verdict = await run();
            assert.equal(verdict.status, "ok");
            assert.equal(verdict.users.length, 150);
        });

        it("verdict last only (the old layout): the cut output has no result line, and the step fails saying so", async () => {
            await emulator().control("POST", "/command-faults", {
                documentName: "AWS-RunShellScript",
                exitCode: 0,
                stdout: LOG,
            });
            await assert.rejects(run(), /the script printed no result line/);
        });
    });
});
