/**
 * The custom steps that touch the target, each loaded from its serialized form the way the
 * dynamic-provider host loads it, driven against the emulator: they do their part, and a fault
 * in any of them leaves the target whole.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { StopTarget } from "../../dynamic-providers/stop-target";
import { ReleaseTarget } from "../../dynamic-providers/release-target";
import { RootVolumeToHelper } from "../../dynamic-providers/root-volume-to-helper";
import { TargetBackup } from "../../dynamic-providers/target-backup";
import { TargetContext } from "../../lib/target-context";
import { emulator } from "../hooks";
import {
    contextOf,
    createHelper,
    createTarget,
    targetShape,
    wholeShape,
} from "../../rehearsal/targets";
import { hostedProvider } from "../../harness/serialized-provider";

type Provider = pulumi.dynamic.ResourceProvider;

describe("target steps (host-loaded providers)", () => {
    const ec2 = new EC2Client({});
    const iam = new IAMClient({});
    let hold: Provider, backup: Provider, move: Provider, release: Provider;
    let ctx: TargetContext;
    let helperId: string;

    before(async () => {
        const context = {} as TargetContext;
        hold = await hostedProvider(
            () => new StopTarget("hold", { context, rotation: "1", resetDigest: "d1" }),
        );
        backup = await hostedProvider(
            () =>
                new TargetBackup("backup", {
                    context,
                    rotation: "1",
                    resetDigest: "d1",
                    retainBackup: true,
                }),
        );
        move = await hostedProvider(
            () =>
                new RootVolumeToHelper("move", {
                    context,
                    rotation: "1",
                    resetDigest: "d1",
                    helperInstanceId: "i-0",
                }),
        );
        release = await hostedProvider(
            () =>
                new ReleaseTarget("release", {
                    context,
                    rotation: "1",
                    resetDigest: "d1",
                    helperInstanceId: "i-0",
                }),
        );
    });

    beforeEach(async () => {
        await emulator().reset();
        ctx = contextOf(await createTarget(ec2));
        helperId = (await createHelper(ec2, iam)).InstanceId!;
    });

    const base = () => ({ context: ctx, rotation: "1", resetDigest: "d1" });

    it("hold stops the target and journals its prior state on it", async () => {
        await hold.create!(base());
        assert.deepEqual(await targetShape(ec2, ctx), {
            ...wholeShape(ctx),
            state: "stopped",
            inProgressTag: true,
        });
    });

    it("backup starts an AMI named as the runbook does, tagged, and waits for its snapshots to start, not to complete", async () => {
        await useDurations({ "image.snapshotIds": 0.6, "image.create": 60 });
        try {
            await hold.create!(base());
            const started = Date.now();
            const { outs } = await backup.create!({ ...base(), retainBackup: true });
            assert.ok(
                Date.now() - started >= 550,
                `returned after ${Date.now() - started} ms, before the snapshot ids were there`,
            );
            assert.equal(outs.imageName, `AWSSupport-EC2Rescue_${ctx.instanceId}`);
            assert.match(outs.imageId, /^ami-/);
            const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [outs.imageId] })))
                .Images![0];
            assert.equal(image.State, "pending", "the image is not awaited");
            assert.ok(image.BlockDeviceMappings!.length > 0);
            for (const m of image.BlockDeviceMappings!)
                assert.match(
                    m.Ebs?.SnapshotId ?? "",
                    /^snap-/,
                    `${m.DeviceName} has no snapshot yet`,
                );
        } finally {
            await emulator().control("POST", "/profile", { name: "instant", timeScale: 1 });
        }
    });

    it("move puts the root volume on the helper at /dev/sdf; release puts it back and restarts the target", async () => {
        await hold.create!(base());
        await move.create!({ ...base(), helperInstanceId: helperId });
        const moved = await targetShape(ec2, ctx);
        assert.equal(moved.rootAttachedTo, helperId);
        assert.equal(moved.rootDevice, "/dev/sdf");
        const { outs } = await release.create!({ ...base(), helperInstanceId: helperId });
        assert.equal(outs.targetState, "running");
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("release leaves a target that was stopped before, stopped", async () => {
        await ec2.send(
            new (await import("@aws-sdk/client-ec2")).StopInstancesCommand({
                InstanceIds: [ctx.instanceId],
            }),
        );
        ctx = { ...ctx, priorState: "stopped" };
        await hold.create!(base());
        await move.create!({ ...base(), helperInstanceId: helperId });
        await release.create!({ ...base(), helperInstanceId: helperId });
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("delete of any step repairs a target left half-way (a killed run), and is a no-op on a whole one", async () => {
        await hold.create!(base());
        await move.create!({ ...base(), helperInstanceId: helperId });
        await hold.delete!("hold", base()); // the only step in state after a kill during the move
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        const before = (await emulator().calls()).length;
        await move.delete!("move", { ...base(), helperInstanceId: helperId });
        const writes = (await emulator().calls())
            .slice(before)
            .filter((c) => !c.operation.startsWith("Describe"));
        assert.deepEqual(writes, [], "repairing a whole target changes nothing");
    });

    const faults: Array<[string, string, string]> = [
        ["hold", "StopInstances", "IncorrectInstanceState"],
        ["backup", "CreateImage", "InvalidParameterValue"],
        ["move (detach)", "DetachVolume", "IncorrectState"],
        ["move (attach)", "AttachVolume", "VolumeInUse"],
        ["release (attach)", "AttachVolume", "InvalidParameterValue"],
    ];
    for (const [step, operation, code] of faults) {
        it(`a fault in ${step} (${operation} → ${code}) is reported with the step and instance, and the target is whole`, async () => {
            const run = async () => {
                await hold.create!(base());
                await backup.create!({ ...base(), retainBackup: true });
                await move.create!({ ...base(), helperInstanceId: helperId });
                await release.create!({ ...base(), helperInstanceId: helperId });
            };
            // release's AttachVolume is the second one of the run
            await emulator().control("POST", "/faults", {
                operation,
                code,
                message: "injected",
                nth: step.startsWith("release") ? 2 : 1,
            });
            await assert.rejects(run(), (err: Error) => {
                assert.match(
                    err.message,
                    new RegExp(`^step ".+" failed for ${ctx.instanceId}: .*injected`),
                );
                assert.match(err.message, /The instance is whole again/);
                return true;
            });
            assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        });
    }
    describe("backup's delete with retainBackup false", () => {
        /** A stopped, held target with its backup taken: the AMI id and its snapshot ids. */
        async function backedUp(): Promise<{ imageId: string; snapshotIds: string[] }> {
            await hold.create!(base());
            const { outs } = await backup.create!({ ...base(), retainBackup: false });
            const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [outs.imageId] })))
                .Images![0];
            const snapshotIds = (image.BlockDeviceMappings ?? [])
                .map((m) => m.Ebs?.SnapshotId)
                .filter((id): id is string => !!id);
            assert.ok(snapshotIds.length, "the backup has a snapshot");
            return { imageId: outs.imageId, snapshotIds };
        }

        const snapshotsLeft = async (ids: string[]) =>
            (
                await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }))
            ).Snapshots!.filter((s) => ids.includes(s.SnapshotId!)).length;
        const imageLeft = async (imageId: string) =>
            (await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images!.some(
                (i) => i.ImageId === imageId,
            );

        it("deregisters the AMI and deletes its snapshots", async () => {
            const { imageId, snapshotIds } = await backedUp();
            await backup.delete!("backup", { ...base(), retainBackup: false, imageId });
            assert.equal(await imageLeft(imageId), false);
            assert.equal(await snapshotsLeft(snapshotIds), 0);
        });

        for (const [operation, code] of [
            ["DescribeImages", "AccessDenied"],
            ["DeregisterImage", "UnauthorizedOperation"],
            ["DeleteSnapshot", "AccessDenied"],
        ]) {
            it(`fails with the reason when ${operation} answers ${code}, and does not call the AMI gone`, async () => {
                const { imageId } = await backedUp();
                await emulator().control("POST", "/faults", {
                    operation,
                    code,
                    message: "injected refusal",
                });
                await assert.rejects(
                    backup.delete!("backup", { ...base(), retainBackup: false, imageId }),
                    (err: Error) => {
                        assert.match(
                            err.message,
                            new RegExp(
                                `^retainBackup is false, but the backup ${imageId} and its snapshots could not be removed \\(${code}: injected refusal\\)`,
                            ),
                        );
                        return true;
                    },
                );
                if (operation !== "DeleteSnapshot")
                    assert.equal(await imageLeft(imageId), true, "the AMI is still there");
            });
        }

        for (const code of ["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"]) {
            it(`succeeds when DescribeImages answers ${code}: the AMI is gone already`, async () => {
                const { imageId } = await backedUp();
                await emulator().control("POST", "/faults", {
                    operation: "DescribeImages",
                    code,
                    message: "gone",
                });
                const before = (await emulator().calls()).length;
                await backup.delete!("backup", { ...base(), retainBackup: false, imageId });
                const deregisters = (await emulator().calls())
                    .slice(before)
                    .filter((c) => c.operation === "DeregisterImage");
                assert.deepEqual(deregisters, [], "nothing to deregister");
            });
        }
    });
});

/** An emulator profile with only these durations (AWS seconds, time scale 1). */
async function useDurations(durations: Record<string, number>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steps-profile-"));
    const file = path.join(dir, "profile.json");
    fs.writeFileSync(file, JSON.stringify({ timeScale: 1, durations }));
    try {
        await emulator().control("POST", "/profile", { name: file });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
