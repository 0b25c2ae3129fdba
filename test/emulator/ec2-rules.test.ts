/** EC2 rules moto does not apply: each answered with AWS's error code and message. */
import * as assert from "node:assert/strict";
import {
    AttachVolumeCommand,
    CreateImageCommand,
    CreateVolumeCommand,
    DescribeInstancesCommand,
    DetachVolumeCommand,
    ModifyInstanceAttributeCommand,
    StartInstancesCommand,
    StopInstancesCommand,
    TerminateInstancesCommand,
    waitUntilVolumeAvailable,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import {
    describeInstance,
    ec2,
    instantProfile,
    launch,
    realisticProfile,
    rootVolume,
    stateOf,
    volume,
    waiter,
} from "./ec2-support.test";

const UNKNOWN = "i-0123456789abcdef0";

async function newVolume(zone = "us-east-1a"): Promise<string> {
    return (await ec2().send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1 })))
        .VolumeId!;
}

async function stopped(): Promise<string> {
    const instanceId = await launch();
    await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    return instanceId;
}

async function terminated(): Promise<string> {
    const instanceId = await launch();
    await ec2().send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    return instanceId;
}

function attach(VolumeId: string, InstanceId: string, Device = "/dev/sdf") {
    return ec2().send(new AttachVolumeCommand({ VolumeId, InstanceId, Device }));
}

describe("EC2 rules: AttachVolume", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => instantProfile());

    it("refuses a volume that is not available: VolumeInUse", async () => {
        const [first, second, volumeId] = [await launch(), await launch(), await newVolume()];
        await attach(volumeId, first);
        await assert.rejects(attach(volumeId, second), {
            name: "VolumeInUse",
            message: `${volumeId} is already attached to an instance`,
        });
        assert.equal((await volume(volumeId)).Attachments![0].InstanceId, first);
    });

    it("refuses a device already used on the instance: InvalidParameterValue", async () => {
        const instanceId = await launch();
        const [one, two] = [await newVolume(), await newVolume()];
        await attach(one, instanceId);
        await assert.rejects(attach(two, instanceId), {
            name: "InvalidParameterValue",
            message:
                "Invalid value '/dev/sdf' for unixDevice. Attachment point /dev/sdf is already in use",
        });
        await assert.rejects(attach(two, instanceId, "/dev/xvda"), {
            name: "InvalidParameterValue",
        });
        assert.equal((await volume(one)).Attachments![0].Device, "/dev/sdf");
    });

    it("refuses a volume in another availability zone: InvalidVolume.ZoneMismatch", async () => {
        const instanceId = await launch();
        const volumeId = await newVolume("us-east-1b");
        await assert.rejects(attach(volumeId, instanceId), {
            name: "InvalidVolume.ZoneMismatch",
            message: `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
        });
    });

    it("refuses an instance that is neither running nor stopped: IncorrectState", async () => {
        const gone = await terminated();
        const message = `Instance '${gone}' is not 'running'.`;
        await assert.rejects(attach(await newVolume(), gone), { name: "IncorrectState", message });

        await realisticProfile(0.05); // instance.start 0.75 s, instance.stop 2 s
        const pending = await launch();
        await assert.rejects(attach(await newVolume(), pending), {
            name: "IncorrectState",
            message: `Instance '${pending}' is not 'running'.`,
        });
        await instantProfile();
        const stopping = await launch();
        await realisticProfile(0.05);
        await ec2().send(new StopInstancesCommand({ InstanceIds: [stopping] }));
        await assert.rejects(attach(await newVolume(), stopping), { name: "IncorrectState" });
    });

    it("attaches to a stopped instance", async () => {
        const instanceId = await stopped();
        const volumeId = await newVolume();
        await attach(volumeId, instanceId);
        assert.equal((await volume(volumeId)).Attachments![0].State, "attached");
    });

    it("attaches a volume with Marketplace codes only to a stopped instance: IncorrectInstanceState", async () => {
        const [running, halted, volumeId] = [await launch(), await stopped(), await newVolume()];
        await emulator().control("POST", "/volumes/product-codes", {
            volumeId,
            productCodes: ["abc123"],
        });
        await assert.rejects(attach(volumeId, running), {
            name: "IncorrectInstanceState",
            message: `Cannot attach volume '${volumeId}' with Marketplace codes as the instance '${running}' is not in the 'stopped' state.`,
        });
        await attach(volumeId, halted);
    });
});

describe("EC2 rules: DetachVolume", () => {
    beforeEach(() => emulator().reset());

    it("refuses the root volume of an instance that is not stopped: IncorrectState", async () => {
        const instanceId = await launch();
        const root = await rootVolume(instanceId);
        await assert.rejects(
            ec2().send(new DetachVolumeCommand({ VolumeId: root, InstanceId: instanceId })),
            {
                name: "IncorrectState",
                message: `Unable to detach root volume '${root}' from instance '${instanceId}'`,
            },
        );
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        await ec2().send(new DetachVolumeCommand({ VolumeId: root, InstanceId: instanceId }));
        assert.equal((await volume(root)).State, "available");
    });

    it("detaches without InstanceId from whatever instance holds the volume (moto: HTTP 500)", async () => {
        const instanceId = await launch();
        const volumeId = await newVolume();
        await attach(volumeId, instanceId);
        const out = await ec2().send(new DetachVolumeCommand({ VolumeId: volumeId }));
        assert.deepEqual(
            [out.InstanceId, out.Device, out.State],
            [instanceId, "/dev/sdf", "detaching"],
        );
        await waitUntilVolumeAvailable(waiter(), { VolumeIds: [volumeId] });
    });

    it("refuses a volume that is not attached: IncorrectState", async () => {
        const volumeId = await newVolume();
        await assert.rejects(ec2().send(new DetachVolumeCommand({ VolumeId: volumeId })), {
            name: "IncorrectState",
            message: `Volume '${volumeId}' is in the 'available' state.`,
        });
    });

    it("refuses an instance the volume is not attached to: InvalidAttachment.NotFound; unknown ids: NotFound", async () => {
        const [holder, other, volumeId] = [await launch(), await launch(), await newVolume()];
        await attach(volumeId, holder);
        await assert.rejects(
            ec2().send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: other })),
            {
                name: "InvalidAttachment.NotFound",
            },
        );
        await assert.rejects(
            ec2().send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: UNKNOWN })),
            {
                name: "InvalidInstanceID.NotFound",
            },
        );
        await assert.rejects(
            ec2().send(new DetachVolumeCommand({ VolumeId: "vol-0123456789abcdef0" })),
            {
                name: "InvalidVolume.NotFound",
                message: "The volume 'vol-0123456789abcdef0' does not exist.",
            },
        );
    });

    it("refuses a volume with Marketplace codes while its instance is not stopped: IncorrectInstanceState", async () => {
        const instanceId = await stopped();
        const volumeId = await newVolume();
        await emulator().control("POST", "/volumes/product-codes", {
            volumeId,
            productCodes: ["abc123"],
        });
        await attach(volumeId, instanceId);
        await ec2().send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
        await assert.rejects(ec2().send(new DetachVolumeCommand({ VolumeId: volumeId })), {
            name: "IncorrectInstanceState",
            message: `Unable to detach volume '${volumeId}' with Marketplace codes from instance '${instanceId}' as the instance is not in the 'stopped' state.`,
        });
    });
});

describe("EC2 rules: instance state changes", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => instantProfile());

    it("StartInstances of a terminated or stopping instance: IncorrectInstanceState", async () => {
        const gone = await terminated();
        await assert.rejects(ec2().send(new StartInstancesCommand({ InstanceIds: [gone] })), {
            name: "IncorrectInstanceState",
            message: `The instance '${gone}' is not in a state from which it can be started.`,
        });
        assert.equal(await stateOf(gone), "terminated");
        const stopping = await launch();
        await realisticProfile(0.05);
        await ec2().send(new StopInstancesCommand({ InstanceIds: [stopping] }));
        await assert.rejects(ec2().send(new StartInstancesCommand({ InstanceIds: [stopping] })), {
            name: "IncorrectInstanceState",
        });
    });

    it("StopInstances of a stopped instance succeeds and changes nothing", async () => {
        const instanceId = await stopped();
        const { StoppingInstances } = await ec2().send(
            new StopInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.deepEqual(StoppingInstances![0].CurrentState, { Code: 80, Name: "stopped" });
        assert.deepEqual(StoppingInstances![0].PreviousState, { Code: 80, Name: "stopped" });
        assert.equal(await stateOf(instanceId), "stopped");
    });

    it("StopInstances of a terminated instance: IncorrectInstanceState", async () => {
        const gone = await terminated();
        await assert.rejects(ec2().send(new StopInstancesCommand({ InstanceIds: [gone] })), {
            name: "IncorrectInstanceState",
            message: `This instance '${gone}' is not in a state from which it can be stopped.`,
        });
    });

    it("StopInstances of an instance that never ran: IncorrectInstanceState", async () => {
        await realisticProfile(0.1); // instance.start 1.5 s
        const pending = await launch();
        await assert.rejects(ec2().send(new StopInstancesCommand({ InstanceIds: [pending] })), {
            name: "IncorrectInstanceState",
            message: `Instance '${pending}' cannot be stopped as it has never reached the 'running' state.`,
        });
    });

    it("StopInstances with stop protection (DisableApiStop): OperationNotPermitted, AWS's wording", async () => {
        const instanceId = await launch({ DisableApiStop: true });
        const refusal = {
            name: "OperationNotPermitted",
            message: `The instance '${instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
        };
        await assert.rejects(
            ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] })),
            refusal,
        );
        await assert.rejects(
            ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId], Force: true })),
            refusal,
        );
        await ec2().send(
            new ModifyInstanceAttributeCommand({
                InstanceId: instanceId,
                DisableApiStop: { Value: false },
            }),
        );
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        await ec2().send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
        await ec2().send(
            new ModifyInstanceAttributeCommand({
                InstanceId: instanceId,
                DisableApiStop: { Value: true },
            }),
        );
        await assert.rejects(
            ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] })),
            refusal,
        );
    });

    it("StopInstances of a one-time Spot instance: UnsupportedOperation; a persistent one stops", async () => {
        const spot = (type: "one-time" | "persistent") =>
            launch({
                InstanceMarketOptions: {
                    MarketType: "spot",
                    SpotOptions: {
                        SpotInstanceType: type,
                        InstanceInterruptionBehavior: type === "persistent" ? "stop" : undefined,
                    },
                },
            });
        const oneTime = await spot("one-time");
        await assert.rejects(ec2().send(new StopInstancesCommand({ InstanceIds: [oneTime] })), {
            name: "UnsupportedOperation",
            message: `You can't stop the Spot Instance '${oneTime}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`,
        });
        const persistent = await spot("persistent");
        await ec2().send(new StopInstancesCommand({ InstanceIds: [persistent] }));
        assert.equal(await stateOf(persistent), "stopped");
    });

    it("a call naming several instances fails as a whole when one is refused", async () => {
        const [free, protectedOne] = [
            await launch(),
            await launch({ DisableApiTermination: true }),
        ];
        await assert.rejects(
            ec2().send(new TerminateInstancesCommand({ InstanceIds: [free, protectedOne] })),
            {
                name: "OperationNotPermitted",
                message: `The instance '${protectedOne}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
            },
        );
        assert.equal(
            await stateOf(free),
            "running",
            "moto terminated the first before refusing the second",
        );
    });

    it("Describe, Stop and Start of an unknown instance: InvalidInstanceID.NotFound", async () => {
        const notFound = {
            name: "InvalidInstanceID.NotFound",
            message: `The instance ID '${UNKNOWN}' does not exist`,
        };
        await assert.rejects(
            ec2().send(new DescribeInstancesCommand({ InstanceIds: [UNKNOWN] })),
            notFound,
        );
        await assert.rejects(
            ec2().send(new StopInstancesCommand({ InstanceIds: [UNKNOWN] })),
            notFound,
        );
        await assert.rejects(
            ec2().send(new StartInstancesCommand({ InstanceIds: [UNKNOWN] })),
            notFound,
        );
    });
});

describe("EC2 rules: CreateImage", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => instantProfile());

    it("refuses a name already used by one of the account's images: InvalidAMIName.Duplicate", async () => {
        const instanceId = await stopped();
        const { ImageId } = await ec2().send(
            new CreateImageCommand({ InstanceId: instanceId, Name: "backup-1" }),
        );
        await assert.rejects(
            ec2().send(new CreateImageCommand({ InstanceId: instanceId, Name: "backup-1" })),
            {
                name: "InvalidAMIName.Duplicate",
                message: `AMI name backup-1 is already in use by AMI ${ImageId}`,
            },
        );
    });

    it("refuses an instance that is not running, stopping or stopped: InvalidParameterValue; unknown: NotFound", async () => {
        await realisticProfile(0.1);
        const pending = await launch();
        await assert.rejects(
            ec2().send(new CreateImageCommand({ InstanceId: pending, Name: "early" })),
            {
                name: "InvalidParameterValue",
                message: `Invalid value '${pending}' for instanceId. Instance is not in state 'running' or 'stopping' or 'stopped'`,
            },
        );
        await assert.rejects(
            ec2().send(new CreateImageCommand({ InstanceId: UNKNOWN, Name: "ghost" })),
            {
                name: "InvalidInstanceID.NotFound",
            },
        );
        assert.equal((await describeInstance(pending)).State!.Name, "pending");
    });
});
