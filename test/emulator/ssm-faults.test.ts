/** Command faults: POST /_emulator/command-faults ends matching commands with a given output. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateDocumentCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { PROBE_MARKER, PROBE_STEP, probeDocumentContent } from "../../lib/probe-document";
import {
    finished,
    invocation,
    managedInstance,
    poll,
    removeTempDirs,
    runShell,
    ssm,
    tempDir,
} from "./ssm-support.test";

/** Creates a Command document and sends it, without parameters, to one instance; returns the command id. */
async function createAndSend(name: string, content: string, instanceId: string): Promise<string> {
    await ssm().send(
        new CreateDocumentCommand({
            Name: name,
            Content: content,
            DocumentType: "Command",
            DocumentFormat: "JSON",
        }),
    );
    const { Command } = await ssm().send(
        new SendCommandCommand({ DocumentName: name, InstanceIds: [instanceId] }),
    );
    return Command!.CommandId!;
}

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

    it("a fault naming no document leaves AWS's built-in documents alone (it stands in for the account's own)", async () => {
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

    it("a documentName glob faults the documents it matches and lets the others run (the probe answers, the reset is faulted)", async () => {
        const instanceId = await managedInstance();
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 4,
            stdout: "stands in for the reset script",
            times: 5,
        });
        const probe = await createAndSend(
            "web-probe-document-1a2b3c4",
            probeDocumentContent(),
            instanceId,
        );
        await poll("the probe to end", async () => {
            const out = await invocation(probe, instanceId, PROBE_STEP.linux);
            return out.Status === "Success" ? out : undefined;
        });
        const answered = await invocation(probe, instanceId, PROBE_STEP.linux);
        assert.equal(answered.StandardOutputContent, `${PROBE_MARKER}\n`, "the probe ran for real");
        const windowsStep = await invocation(probe, instanceId, PROBE_STEP.windows);
        assert.match(windowsStep.StandardOutputContent!, /unsatisfied preconditions/);

        const reset = await createAndSend(
            "web-reset-document-5d6e7f8",
            JSON.stringify({
                schemaVersion: "2.2",
                description: "stands in for the reset document",
                mainSteps: [
                    {
                        action: "aws:runShellScript",
                        name: "reset",
                        inputs: { runCommand: ["echo ran"] },
                    },
                ],
            }),
            instanceId,
        );
        const faulted = await finished(reset, instanceId);
        assert.deepEqual(
            [faulted.Status, faulted.ResponseCode, faulted.StandardOutputContent],
            ["Failed", 4, "stands in for the reset script"],
        );
        const { commandFaults } = await emulator().control<{
            commandFaults: Array<{ used: number }>;
        }>("GET", "/command-faults");
        assert.deepEqual(
            commandFaults.map((f) => f.used),
            [1],
            "only the reset document used the fault",
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
