/**
 * What moto answers, as is, for facts the project's preflight relies on: instance store, Spot
 * lifecycle, stop protection, Auto Scaling standby and suspended processes.
 */
import * as assert from "node:assert/strict";
import {
    AutoScalingClient,
    CreateAutoScalingGroupCommand,
    DescribeAutoScalingGroupsCommand,
    DescribeAutoScalingInstancesCommand,
    EnterStandbyCommand,
    ExitStandbyCommand,
    SuspendProcessesCommand,
} from "@aws-sdk/client-auto-scaling";
import {
    CreateLaunchTemplateCommand,
    DescribeInstanceAttributeCommand,
    DescribeInstanceTypesCommand,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { describeInstance, ec2, launch, linuxImage } from "./ec2-support.test";

const autoscaling = () => new AutoScalingClient({ maxAttempts: 1 });

describe("EC2 facts moto answers as AWS does", () => {
    beforeEach(() => emulator().reset());

    it("DescribeInstanceTypes: m5d.large has one 75 GB NVMe instance-store disk, t3.micro none", async () => {
        const { InstanceTypes } = await ec2().send(
            new DescribeInstanceTypesCommand({ InstanceTypes: ["m5d.large", "t3.micro"] }),
        );
        const byType = new Map(InstanceTypes!.map((t) => [t.InstanceType, t]));
        assert.equal(byType.get("m5d.large")!.InstanceStorageSupported, true);
        assert.deepEqual(byType.get("m5d.large")!.InstanceStorageInfo, {
            TotalSizeInGB: 75,
            Disks: [{ SizeInGB: 75, Count: 1, Type: "ssd" }],
            NvmeSupport: "required",
            EncryptionSupport: "required",
        });
        assert.equal(byType.get("t3.micro")!.InstanceStorageSupported, false);
        assert.equal(byType.get("t3.micro")!.InstanceStorageInfo, undefined);
    });

    it("a Spot launch has InstanceLifecycle spot (no SpotInstanceRequestId); on-demand has none", async () => {
        const spot = await launch({
            InstanceMarketOptions: {
                MarketType: "spot",
                SpotOptions: { SpotInstanceType: "one-time" },
            },
        });
        const instance = await describeInstance(spot);
        assert.equal(instance.InstanceLifecycle, "spot");
        assert.equal(instance.SpotInstanceRequestId, undefined);
        assert.equal((await describeInstance(await launch())).InstanceLifecycle, undefined);
    });

    it("DescribeInstanceAttribute disableApiStop reflects the launch parameter", async () => {
        const attribute = async (instanceId: string) =>
            (
                await ec2().send(
                    new DescribeInstanceAttributeCommand({
                        InstanceId: instanceId,
                        Attribute: "disableApiStop",
                    }),
                )
            ).DisableApiStop;
        assert.deepEqual(await attribute(await launch({ DisableApiStop: true })), { Value: true });
        assert.deepEqual(await attribute(await launch()), { Value: false });
    });

    it("Auto Scaling: DescribeAutoScalingInstances, EnterStandby / ExitStandby and SuspendProcesses work", async () => {
        await ec2().send(
            new CreateLaunchTemplateCommand({
                LaunchTemplateName: "asg-template",
                LaunchTemplateData: { ImageId: await linuxImage(), InstanceType: "t3.micro" },
            }),
        );
        await autoscaling().send(
            new CreateAutoScalingGroupCommand({
                AutoScalingGroupName: "group",
                LaunchTemplate: { LaunchTemplateName: "asg-template" },
                MinSize: 1,
                MaxSize: 2,
                DesiredCapacity: 1,
                AvailabilityZones: ["us-east-1a"],
            }),
        );
        const { AutoScalingInstances } = await autoscaling().send(
            new DescribeAutoScalingInstancesCommand({}),
        );
        assert.equal(AutoScalingInstances!.length, 1);
        const [{ InstanceId, LifecycleState, AutoScalingGroupName }] = AutoScalingInstances!;
        assert.deepEqual([LifecycleState, AutoScalingGroupName], ["InService", "group"]);

        await autoscaling().send(
            new EnterStandbyCommand({
                AutoScalingGroupName: "group",
                InstanceIds: [InstanceId!],
                ShouldDecrementDesiredCapacity: true,
            }),
        );
        const standby = await autoscaling().send(
            new DescribeAutoScalingInstancesCommand({ InstanceIds: [InstanceId!] }),
        );
        assert.equal(standby.AutoScalingInstances![0].LifecycleState, "Standby");

        await autoscaling().send(
            new SuspendProcessesCommand({
                AutoScalingGroupName: "group",
                ScalingProcesses: ["HealthCheck", "ReplaceUnhealthy"],
            }),
        );
        const { AutoScalingGroups } = await autoscaling().send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["group"] }),
        );
        assert.deepEqual(
            AutoScalingGroups![0].SuspendedProcesses!.map((p) => p.ProcessName).sort(),
            ["HealthCheck", "ReplaceUnhealthy"],
        );

        await autoscaling().send(
            new ExitStandbyCommand({ AutoScalingGroupName: "group", InstanceIds: [InstanceId!] }),
        );
        const back = await autoscaling().send(
            new DescribeAutoScalingInstancesCommand({ InstanceIds: [InstanceId!] }),
        );
        assert.equal(back.AutoScalingInstances![0].LifecycleState, "InService");
    });
});
