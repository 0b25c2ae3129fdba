/**
 * rehearsal/script-time.ts, which the benchmark and the demo use to take the scripts' real run
 * time out of AWS time: it must read every command the emulator knows, the helper-ready probe's
 * two-step document included (GetCommandInvocation needs a PluginName for it).
 */
import * as assert from "node:assert/strict";
import { CreateDocumentCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { PROBE_STEP, probeDocumentContent } from "../../lib/probe-document";
import { scriptSeconds } from "../../rehearsal/script-time";
import { emulator } from "../hooks";
import {
    invocation,
    managedInstance,
    poll,
    removeTempDirs,
    runShell,
    ssm,
} from "../emulator/ssm-support.test";

describe("script time: the commands' run time summed over every step", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => removeTempDirs());

    it("adds a one-step command and each step of the probe document (one of them skipped)", async () => {
        const instanceId = await managedInstance();
        const name = "reset-probe-document-1a2b3c4";
        await ssm().send(
            new CreateDocumentCommand({
                Name: name,
                DocumentType: "Command",
                DocumentFormat: "JSON",
                Content: probeDocumentContent(),
            }),
        );
        const probe = (
            await ssm().send(
                new SendCommandCommand({ DocumentName: name, InstanceIds: [instanceId] }),
            )
        ).Command!.CommandId!;
        const sleep = await runShell(instanceId, ["sleep 0.3"]);
        const done = async (commandId: string, plugin?: string) =>
            poll(`command ${commandId}`, async () => {
                const out = await invocation(commandId, instanceId, plugin);
                return ["Success", "Failed"].includes(out.Status ?? "") ? out : undefined;
            });
        await done(probe, PROBE_STEP.linux);
        await done(sleep);

        const seconds = await scriptSeconds(ssm());
        assert.ok(seconds >= 0.3, `the sleep's 0.3 s are counted: ${seconds}`);
        assert.ok(seconds < 5, `and little else: ${seconds}`);
    });
});
