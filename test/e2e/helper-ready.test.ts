/**
 * The helper proven ready before the target is touched: a helper whose SSM agent never
 * registers fails the `up` with the target untouched (not even stopped), naming the likely
 * causes and how long it waited; `destroy` then leaves nothing temporary.
 */
import * as assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import { GetCommandInvocationCommand, ListCommandsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, destroy } from "../../harness/deployment";
import { inventory } from "../../harness/inventory";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { emulator } from "../hooks";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { PROBE_MARKER, PROBE_STEP } from "../../lib/probe-document";
import { isProbeDocument } from "../support/documents";
import resetAccessProgram = require("../../index");

describe("the helper is ready before the target is touched", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});

    useRealisticEmulation(E2E_TIME_SCALE);

    it("a helper whose agent never registers fails the up before any call on the target; destroy leaves nothing", async () => {
        const ctx = contextOf(await createTarget(ec2));
        const before = await inventory();
        // Stands in for a role still propagating or a proxy: the network itself reaches SSM.
        await emulator().control("POST", "/ssm-agent-faults", {
            tagKey: "ec2-reset-access:helper-for",
        });
        const since = Date.now() / 1000;
        const config = {
            "ec2-reset-access:instanceId": ctx.instanceId,
            "ec2-reset-access:helperReadyTimeout": "120",
        };

        const up = await deploy(resetAccessProgram, { config });

        assert.ok(up.error, "up fails");
        assert.match(
            up.error.message,
            /helper i-[0-9a-f]+ did not become ready: its SSM agent was not Online \(not registered\) after \d+ s \(helperReadyTimeout 120 s\) in the temporary VPC's public subnet/,
        );
        assert.match(up.error.message, /Nothing on the target was touched/);
        assert.match(up.error.message, /DNS: custom DNS servers/);
        assert.match(up.error.message, /the role: a new instance profile still propagating/);
        // The helper's launch names the target only in its tags (helper-for); any other write that names it acts on it.
        const namesTarget = (params: Record<string, unknown>) =>
            Object.entries(params).some(
                ([key, value]) =>
                    !key.startsWith("TagSpecification") &&
                    JSON.stringify(value).includes(ctx.instanceId),
            );
        const onTarget = (await emulator().calls({ since, service: "ec2" })).filter(
            (c) => namesTarget(c.params ?? {}) && !/^Describe/.test(c.operation),
        );
        assert.deepEqual(
            onTarget.map((c) => c.operation),
            [],
            "no write on the target",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));

        await emulator().control("DELETE", "/ssm-agent-faults");
        const left = await destroy(up.state);
        assert.deepEqual(left.resources, []);
        assert.deepEqual(await inventory(), before, "nothing temporary left, no backup taken");
    });

    it("a ready helper answers the probe through this tool's probe document, never an AWS document, before the stop", async () => {
        const ctx = contextOf(await createTarget(ec2));
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 1,
            stdout: "stands in for the reset script\n",
        });
        const since = Date.now() / 1000;
        const up = await deploy(resetAccessProgram, {
            config: { "ec2-reset-access:instanceId": ctx.instanceId },
        });
        assert.ok(up.error, "the script's stand-in fails the reset, after the probe");
        const calls = await emulator().calls({ since });
        const sent = calls.filter((c) => c.operation === "SendCommand");
        assert.deepEqual(
            sent.filter((c) => String(c.params.DocumentName).startsWith("AWS-")),
            [],
            "no command of AWS's own documents",
        );
        const probe = calls.findIndex(
            (c) => c.operation === "SendCommand" && isProbeDocument(c.params.DocumentName),
        );
        const stop = calls.findIndex(
            (c) =>
                c.operation === "StopInstances" &&
                JSON.stringify(c.params).includes(ctx.instanceId),
        );
        assert.ok(probe >= 0, `no probe was sent: ${sent.map((c) => c.params.DocumentName)}`);
        assert.ok(
            stop > probe,
            `the target was stopped (call ${stop}) before the probe (call ${probe})`,
        );
        // The probe ran for real on the Linux helper: its Linux step printed the marker.
        const ssm = new SSMClient({});
        const { Commands } = await ssm.send(new ListCommandsCommand({}));
        const command = Commands!.find((c) => c.DocumentName === calls[probe].params.DocumentName)!;
        const answer = await ssm.send(
            new GetCommandInvocationCommand({
                CommandId: command.CommandId,
                InstanceId: (calls[probe].params.InstanceIds as string[])[0],
                PluginName: PROBE_STEP.linux,
            }),
        );
        assert.deepEqual(
            [answer.Status, answer.StandardOutputContent],
            ["Success", `${PROBE_MARKER}\n`],
        );
        await destroy(up.state);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });
});
