/**
 * The program under the harness's model of the real engine and provider (harness/): refresh
 * then up, a changed key, a target terminated or changed outside, key rotation with the
 * parameter deleted on destroy. The script itself does not run (a canned command result): what
 * is checked here is which AWS calls the engine's steps make, and in what order.
 */
import * as assert from "node:assert/strict";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { isProbeDocument, isResetDocument } from "../support/documents";
import {
    DetachVolumeCommand,
    EC2Client,
    AttachVolumeCommand,
    CreateVolumeCommand,
    TerminateInstancesCommand,
    waitUntilInstanceTerminated,
} from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, destroy, preview, refresh, DeploymentState } from "../../harness/deployment";
import { CallRecord } from "../../harness/emulator";
import { emulator } from "../hooks";
import { describeInstance } from "../../lib/ec2-instance";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { CANNED_RESULT } from "../../rehearsal/sandbox";
import { generateSshKeyPair } from "../../lib/ssh-keys";
import { TargetContext } from "../../lib/target-context";
import resetAccessProgram = require("../../index");

const READS = /^(Describe|Get|List)/;
/** What touches the target or the helper. */
const TOUCHES =
    /^(StopInstances|StartInstances|AttachVolume|DetachVolume|SendCommand|CreateImage|RunInstances|TerminateInstances|ModifyInstanceAttribute|CreateTags|DeleteTags)$/;

describe("engine semantics: refresh, changed inputs, destroy after outside changes, rotation", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});
    let ctx: TargetContext;
    let config: Record<string, string>;

    beforeEach(async () => {
        await emulator().reset();
        // Every reset command ends Success with the script's canned result line (the probe runs).
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 0,
            stdout: CANNED_RESULT,
            times: 20,
        });
        ctx = contextOf(await createTarget(ec2));
        config = { "ec2-reset-access:instanceId": ctx.instanceId };
    });

    async function writesDuring<T>(
        run: () => Promise<T>,
    ): Promise<{ result: T; writes: CallRecord[] }> {
        const since = Date.now() / 1000;
        const result = await run();
        const writes = (await emulator().calls({ since })).filter((c) => !READS.test(c.operation));
        return { result, writes };
    }

    async function up(previous?: DeploymentState, extra: Record<string, string> = {}) {
        const result = await deploy(resetAccessProgram, {
            previous,
            config: { ...config, ...extra },
        });
        assert.equal(result.error, undefined, result.error?.stack);
        return result;
    }

    it("pulumi refresh then pulumi up touches neither the target nor the helper", async () => {
        const first = await up();
        const helperId = String(first.outputs.helperInstanceId);
        const refreshed = await refresh(first.state);
        const helper = refreshed.resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
        assert.equal(
            helper.outputs.instanceState,
            "stopped",
            "the refresh read the stopped helper",
        );
        const { result: again, writes } = await writesDuring(() => up(refreshed));
        assert.deepEqual(
            writes.filter((c) => TOUCHES.test(c.operation)).map((c) => c.operation),
            [],
        );
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
            "no AWS change at all",
        );
        assert.equal(again.outputs.helperInstanceId, helperId);
        await destroy(again.state);
    });

    it("a new publicKey re-runs the whole chain in order: stop, backup, move, reset, release", async () => {
        const keyA = generateSshKeyPair("ed25519", "a@example").publicKey;
        const keyB = generateSshKeyPair("ed25519", "b@example").publicKey;
        const first = await up(undefined, { "ec2-reset-access:publicKey": keyA });
        const { result: again, writes } = await writesDuring(() =>
            up(first.state, { "ec2-reset-access:publicKey": keyB }),
        );
        const onTarget = writes.filter(
            (c) =>
                JSON.stringify(c.params).includes(ctx.instanceId) ||
                JSON.stringify(c.params).includes(ctx.rootVolumeId),
        );
        const ops = onTarget.map((c) => c.operation);
        const at = (op: string) => ops.indexOf(op);
        for (const op of ["StopInstances", "CreateImage", "DetachVolume", "StartInstances"])
            assert.ok(at(op) >= 0, `${op} in ${ops}`);
        assert.ok(
            at("StopInstances") < at("CreateImage") && at("CreateImage") < at("DetachVolume"),
            `stop, backup, move: ${ops}`,
        );
        // The reset's command; the helper-ready probe (the probe document) runs first, before the stop.
        const command = writes.findIndex(
            (c) => c.operation === "SendCommand" && isResetDocument(c.params.DocumentName),
        );
        const probe = writes.findIndex(
            (c) => c.operation === "SendCommand" && isProbeDocument(c.params.DocumentName),
        );
        assert.ok(
            probe >= 0 && probe < writes.indexOf(onTarget[at("StopInstances")]),
            "the helper is proven ready again before the stop",
        );
        assert.ok(
            command > writes.indexOf(onTarget[at("DetachVolume")]),
            "the reset runs after the move",
        );
        assert.ok(
            command < writes.indexOf(onTarget[ops.lastIndexOf("StartInstances")]),
            "and before the target starts again",
        );
        const steps = (s: DeploymentState) =>
            s.resources
                .filter((r) => /-(stop|backup|move-root|reset|release)$/.test(r.name))
                .map((r) => r.inputs.resetDigest);
        assert.equal(
            new Set([...steps(first.state), ...steps(again.state)]).size,
            2,
            "one digest per run, carried by all five steps",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        await destroy(again.state);
    });

    it("pulumi destroy ends after the target was terminated outside this tool", async () => {
        const first = await up();
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ctx.instanceId] }));
        await waitUntilInstanceTerminated(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [ctx.instanceId] },
        );
        assert.deepEqual((await destroy(first.state)).resources, []);
    });

    it("pulumi destroy ends, and leaves the new root alone, after the root volume was replaced outside this tool", async () => {
        const first = await up();
        const { writes } = await writesDuring(async () => {
            const fresh = await ec2.send(
                new CreateVolumeCommand({ AvailabilityZone: ctx.availabilityZone, Size: 8 }),
            );
            await stopAndSwapRoot(fresh.VolumeId!);
            return fresh.VolumeId!;
        });
        const freshId = String(writes.find((c) => c.operation === "AttachVolume")!.params.VolumeId);
        const { writes: destroyWrites } = await writesDuring(() => destroy(first.state));
        assert.ok(
            !destroyWrites.some((c) => /Volume$/.test(c.operation)),
            `destroy moved no volume: ${destroyWrites.map((c) => c.operation)}`,
        );
        const root = (await describeInstance(ec2, ctx.instanceId)).BlockDeviceMappings!.find(
            (m) => m.DeviceName === ctx.rootDeviceName,
        );
        assert.equal(root?.Ebs?.VolumeId, freshId);
    });

    async function stopAndSwapRoot(freshVolumeId: string) {
        const { StopInstancesCommand, waitUntilInstanceStopped, waitUntilVolumeAvailable } =
            await import("@aws-sdk/client-ec2");
        await ec2.send(new StopInstancesCommand({ InstanceIds: [ctx.instanceId] }));
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [ctx.instanceId] },
        );
        await ec2.send(
            new DetachVolumeCommand({ VolumeId: ctx.rootVolumeId, InstanceId: ctx.instanceId }),
        );
        await waitUntilVolumeAvailable(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { VolumeIds: [ctx.rootVolumeId] },
        );
        await ec2.send(
            new AttachVolumeCommand({
                VolumeId: freshVolumeId,
                InstanceId: ctx.instanceId,
                Device: ctx.rootDeviceName,
            }),
        );
    }

    it("rotation with deleteKeyParameterOnDestroy leaves the new private key in Parameter Store (the old key's delete runs last)", async () => {
        const extra = { "ec2-reset-access:deleteKeyParameterOnDestroy": "true" };
        const first = await up(undefined, extra);
        const { result: rotated, writes } = await writesDuring(() =>
            up(first.state, { ...extra, "ec2-reset-access:rotation": "2" }),
        );
        const ops = writes.map((c) => c.operation);
        assert.ok(
            ops.indexOf("PutParameter") < ops.lastIndexOf("StartInstances"),
            "the new key is written during the update",
        );
        const stored = await new SSMClient({}).send(
            new GetParameterCommand({
                Name: String(rotated.outputs.keyParameterName),
                WithDecryption: true,
            }),
        );
        assert.notEqual(rotated.outputs.publicKey, first.outputs.publicKey);
        assert.ok(
            stored.Parameter?.Value?.includes("PRIVATE KEY"),
            "the parameter still holds a key",
        );
        assert.equal(
            stored.Parameter?.Version,
            rotated.state.resources.find((r) => r.name === "reset-key")!.outputs.parameterVersion,
        );
        await destroy(rotated.state);
        const gone = await new SSMClient({})
            .send(new GetParameterCommand({ Name: String(rotated.outputs.keyParameterName) }))
            .then(
                () => "there",
                (e: Error) => e.name,
            );
        assert.equal(gone, "ParameterNotFound", "destroy deletes the current key when asked to");
    });

    it("pulumi preview of a target that would be refused fails with the refusal and creates nothing", async () => {
        const protectedTarget = contextOf(await createTarget(ec2, { disableApiStop: true }));
        const { result, writes } = await writesDuring(() =>
            preview(resetAccessProgram, {
                config: { "ec2-reset-access:instanceId": protectedTarget.instanceId },
            }),
        );
        assert.ok(result.error, "the preview fails");
        assert.match(result.error.message, /has stop protection on; turn it off/);
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
            "a preview writes nothing",
        );
        assert.deepEqual(result.state.resources, []);
    });

    it("pulumi preview of a target that passes previews cleanly, and writes nothing", async () => {
        const { result, writes } = await writesDuring(() =>
            preview(resetAccessProgram, { config }),
        );
        assert.equal(result.error, undefined, result.error?.stack);
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
        );
        const planned = new Map(result.plan!.map((p) => [p.name, p.op]));
        assert.equal(planned.get("reset-preflight"), "create");
        assert.equal(planned.get("reset-helper"), "create", `${[...planned]}`);
    });

    it("pulumi preview shows the preflight's warnings, as pulumi up does", async () => {
        const { result } = await writesDuring(() => preview(resetAccessProgram, { config }));
        assert.equal(result.error, undefined, result.error?.stack);
        const warned = result.diagnostics
            .filter((d) => d.severity === "warning")
            .map((d) => d.message);
        assert.ok(
            warned.some(
                (m) =>
                    m.includes(ctx.instanceId) && /public IP .* will change when it stops/.test(m),
            ),
            `warnings: ${JSON.stringify(warned)}`,
        );
        const up = await deploy(resetAccessProgram, { config });
        const upWarned = up.diagnostics
            .filter((d) => d.severity === "warning")
            .map((d) => d.message);
        assert.deepEqual(
            warned.filter((m) => m.includes(ctx.instanceId)),
            upWarned.filter((m) => m.includes(ctx.instanceId)),
            "the same warnings",
        );
        await destroy(up.state);
    });
});
