/**
 * The release step of a Windows reset, loaded as the dynamic-provider host loads it, against the
 * emulator: the password-enabled AMI is taken with the reset volume back on the stopped target,
 * before the target starts; a retry reuses it; a target that has booted since is not imaged.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    DescribeImagesCommand,
    DescribeSnapshotsCommand,
    EC2Client,
    StopInstancesCommand,
    waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { StopTarget } from "../../dynamic-providers/stop-target";
import { ReleaseTarget } from "../../dynamic-providers/release-target";
import { RootVolumeToHelper } from "../../dynamic-providers/root-volume-to-helper";
import { TargetContext } from "../../lib/target-context";
import { emulator } from "../hooks";
import {
    contextOf,
    createHelper,
    createWindowsTarget,
    targetShape,
    wholeShape,
} from "../../rehearsal/targets";
import { hostedProvider } from "../../harness/serialized-provider";

type Provider = pulumi.dynamic.ResourceProvider;

describe("release of a Windows target (host-loaded provider)", () => {
    const ec2 = new EC2Client({});
    const iam = new IAMClient({});
    let hold: Provider, move: Provider, release: Provider;
    let ctx: TargetContext;
    let helperId: string;

    before(async () => {
        const context = {} as TargetContext;
        hold = await hostedProvider(
            () => new StopTarget("hold", { context, rotation: "1", resetDigest: "d1" }),
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
        ctx = contextOf(await createWindowsTarget(ec2, { keyName: undefined }));
        helperId = (await createHelper(ec2, iam)).InstanceId!;
    });

    const step = () => ({
        context: ctx,
        rotation: "1",
        resetDigest: "d1",
        helperInstanceId: helperId,
    });
    const passwordImages = async () =>
        (
            await ec2.send(
                new DescribeImagesCommand({
                    Owners: ["self"],
                    Filters: [
                        {
                            Name: "tag:ec2-reset-access:password-enabled-from",
                            Values: [ctx.instanceId],
                        },
                    ],
                }),
            )
        ).Images ?? [];

    it("moves the volume to the helper at xvdf", async () => {
        await hold.create!(step());
        const { outs } = await move.create!(step());
        assert.equal(outs.helperDevice, "xvdf");
        assert.equal((await targetShape(ec2, ctx)).rootDevice, "xvdf");
    });

    it("takes the password-enabled AMI of the stopped target with its volume back, then starts it", async () => {
        await hold.create!(step());
        await move.create!(step());
        const since = Date.now() / 1000;
        const { outs } = await release.create!(step());
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        const [image] = await passwordImages();
        assert.equal(outs.passwordEnabledImageId, image.ImageId);
        assert.equal(image.Tags?.find((t) => t.Key === "ec2-reset-access:rotation")?.Value, "1");
        const calls = (await emulator().calls({ since }))
            .map((c) => c.operation)
            .filter((op) => ["AttachVolume", "CreateImage", "StartInstances"].includes(op));
        assert.deepEqual(calls, ["AttachVolume", "CreateImage", "StartInstances"]);
        assert.equal(outs.targetState, "running");
    });

    it("destroy keeps the password-enabled AMI by default; retainPasswordEnabledImage false deregisters it and deletes its snapshots", async () => {
        await hold.create!(step());
        await move.create!(step());
        const { id, outs } = await release.create!(step());
        const snapshots = async () =>
            (
                await ec2.send(
                    new DescribeSnapshotsCommand({
                        OwnerIds: ["self"],
                        Filters: [
                            {
                                Name: "tag:ec2-reset-access:password-enabled-from",
                                Values: [ctx.instanceId],
                            },
                        ],
                    }),
                )
            ).Snapshots ?? [];
        assert.ok((await snapshots()).length > 0, "the AMI has tagged snapshots");
        await release.delete!(id, outs);
        assert.deepEqual(
            (await passwordImages()).map((i) => i.ImageId),
            [outs.passwordEnabledImageId],
            "kept, as the runbook keeps it",
        );
        await release.delete!(id, { ...outs, retainPasswordEnabledImage: false });
        assert.deepEqual(await passwordImages(), []);
        assert.deepEqual(await snapshots(), []);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        await release.delete!(id, { ...outs, retainPasswordEnabledImage: false }); // already gone is success
    });

    it("a retry of the same reset reuses its AMI", async () => {
        await hold.create!(step());
        await move.create!(step());
        const first = await release.create!(step());
        const second = await release.create!(step());
        assert.equal(second.outs.passwordEnabledImageId, first.outs.passwordEnabledImageId);
        assert.equal((await passwordImages()).length, 1);
    });

    it("a target that was stopped is imaged on a retry too, and stays stopped", async () => {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [ctx.instanceId] }));
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [ctx.instanceId] },
        );
        ctx = { ...ctx, priorState: "stopped" };
        const { outs } = await release.create!(step());
        assert.match(
            outs.passwordEnabledImageId,
            /^ami-/,
            "never booted since the reset: still password-enabled",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("refuses to image a target that was running and has booted since, naming the fix", async () => {
        // What a failed release's repair leaves: the volume back, the target started, no journal.
        await assert.rejects(release.create!(step()), (err: Error) => {
            assert.match(
                err.message,
                /^step "return the root volume to the target" failed for i-\w+: i-\w+ was started again before its password-enabled AMI was taken/,
            );
            assert.match(err.message, /set rotation to a new value and run again/);
            assert.match(err.message, /The instance is whole again/);
            return true;
        });
        assert.deepEqual(await passwordImages(), []);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });
});
