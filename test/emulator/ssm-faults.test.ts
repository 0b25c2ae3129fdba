/** Command faults: POST /_emulator/command-faults ends matching commands with a given output. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { emulator } from "../hooks";
import {
    finished,
    invocation,
    managedInstance,
    poll,
    removeTempDirs,
    runShell,
    tempDir,
} from "./ssm-support.test";

describe("SSM command faults", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => removeTempDirs());

    it("ends the next matching command with the injected output instead of running it, once", async () => {
        const [target, other] = [await managedInstance(), await managedInstance()];
        const marker = path.join(tempDir("ssm-fault-"), "ran");
        await emulator().control("POST", "/command-faults", {
            documentName: "AWS-RunShellScript",
            instanceId: target,
            exitCode: 2,
            stdout: "fake out",
            stderr: "fake err",
            times: 1,
        });

        const elsewhere = await finished(await runShell(other, [`echo other`]), other);
        assert.equal(
            elsewhere.StandardOutputContent,
            "other\n",
            "a fault for another instance fired",
        );

        const faulted = await finished(await runShell(target, [`touch ${marker}`]), target);
        assert.deepEqual(
            [
                faulted.Status,
                faulted.ResponseCode,
                faulted.StandardOutputContent,
                faulted.StandardErrorContent,
            ],
            ["Failed", 2, "fake out", "fake err"],
        );
        assert.equal(fs.existsSync(marker), false, "the faulted script ran");

        const real = await finished(
            await runShell(target, [`touch ${marker}`, "echo real"]),
            target,
        );
        assert.deepEqual([real.Status, real.StandardOutputContent], ["Success", "real\n"]);
        assert.equal(fs.existsSync(marker), true);
        const { commandFaults } = await emulator().control<{
            commandFaults: Array<{ used: number }>;
        }>("GET", "/command-faults");
        assert.deepEqual(
            commandFaults.map((f) => f.used),
            [1],
        );
    });

    it("keeps the invocation InProgress for `seconds` when asked, and can succeed", async () => {
        const instanceId = await managedInstance();
        await emulator().control("POST", "/command-faults", {
            documentName: "AWS-RunShellScript",
            exitCode: 0,
            stdout: "ok",
            seconds: 0.3,
        });
        const commandId = await runShell(instanceId, ["exit 9"]);
        await poll("InProgress", async () =>
            (await invocation(commandId, instanceId)).Status === "InProgress" ? true : undefined,
        );
        const out = await finished(commandId, instanceId);
        assert.deepEqual(
            [out.Status, out.ResponseCode, out.StandardOutputContent],
            ["Success", 0, "ok"],
        );
    });

    it("a fault naming no document leaves AWS's built-in documents alone (a probe does not use it up)", async () => {
        const instanceId = await managedInstance();
        await emulator().control("POST", "/command-faults", {
            exitCode: 3,
            stdout: "for the script",
        });
        const probe = await finished(await runShell(instanceId, ["echo probe"]), instanceId);
        assert.deepEqual([probe.Status, probe.StandardOutputContent], ["Success", "probe\n"]);
        const { commandFaults } = await emulator().control<{
            commandFaults: Array<{ used: number }>;
        }>("GET", "/command-faults");
        assert.deepEqual(
            commandFaults.map((f) => f.used),
            [0],
        );
    });

    it("cuts an injected stdout at 24,000 characters, as GetCommandInvocation does", async () => {
        const instanceId = await managedInstance();
        const long = "x".repeat(23_990) + "\n" + "y".repeat(5_000) + "\n";
        await emulator().control("POST", "/command-faults", {
            documentName: "AWS-RunShellScript",
            exitCode: 0,
            stdout: long,
        });
        const out = await finished(await runShell(instanceId, ["true"]), instanceId);
        assert.equal(out.StandardOutputContent!.length, 24_000);
        assert.equal(out.StandardOutputContent, long.slice(0, 24_000));
    });
});
