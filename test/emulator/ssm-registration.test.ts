/** SSM agent registration: DescribeInstanceInformation over the emulator's EC2 and IAM state. */
import * as assert from "node:assert/strict";
import {
    DescribeInstancesCommand,
    StartInstancesCommand,
    StopInstancesCommand,
    TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import { HELPER_POLICY_FILE, helperPolicyWithout, readPolicy } from "../support/iam-evaluation";
import {
    ec2,
    instanceProfile,
    instantProfile,
    launchWithProfile,
    pingStatus,
    poll,
    removeTempDirs,
    ssm,
    useProfile,
} from "./ssm-support.test";

describe("SSM DescribeInstanceInformation", () => {
    beforeEach(() => emulator().reset());
    afterEach(async () => {
        await instantProfile();
        removeTempDirs();
    });

    it("lists a managed instance Online ssm.register after it runs, with the fields AWS returns", async () => {
        await useProfile({ "ssm.register": 40 }, 0.01); // 0.4 s
        const profile = await instanceProfile();
        const launched = Date.now(); // before the request: the agent's delay cannot have started earlier
        const [instanceId] = await launchWithProfile(profile);
        assert.equal(await pingStatus(instanceId), undefined, "listed before its agent registered");

        await poll("Online", async () =>
            (await pingStatus(instanceId)) === "Online" ? true : undefined,
        );
        assert.ok(
            Date.now() - launched >= 380,
            `Online after ${Date.now() - launched} ms, before 0.4 s`,
        );

        const { InstanceInformationList } = await ssm().send(
            new DescribeInstanceInformationCommand({}),
        );
        const { Reservations } = await ec2().send(
            new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
        );
        const instance = Reservations![0].Instances![0];
        assert.equal(InstanceInformationList!.length, 1);
        const info = InstanceInformationList![0];
        assert.deepEqual(
            { ...info, LastPingDateTime: undefined },
            {
                InstanceId: instanceId,
                PingStatus: "Online",
                LastPingDateTime: undefined,
                AgentVersion: "3.3.1142.0",
                IsLatestVersion: false,
                PlatformType: "Linux",
                PlatformName: "Amazon Linux",
                PlatformVersion: "2023", // launched from the Amazon Linux 2023 image
                ResourceType: "EC2Instance",
                IPAddress: instance.PrivateIpAddress,
                ComputerName: instance.PrivateDnsName,
                SourceId: instanceId,
                SourceType: "AWS::EC2::Instance",
            },
        );
        assert.ok(
            info.LastPingDateTime instanceof Date &&
                Math.abs(info.LastPingDateTime.getTime() - Date.now()) < 5_000,
        );
    });

    it("does not list an instance whose role lacks AmazonSSMManagedInstanceCore, nor one without a profile", async () => {
        const [unmanaged] = await launchWithProfile(await instanceProfile(false));
        const [bare] = await launchWithProfile();
        const [managed] = await launchWithProfile(await instanceProfile());
        const { InstanceInformationList } = await ssm().send(
            new DescribeInstanceInformationCommand({}),
        );
        assert.deepEqual(
            InstanceInformationList!.map((i) => i.InstanceId),
            [managed],
        );
        assert.equal(await pingStatus(unmanaged), undefined);
        assert.equal(await pingStatus(bare), undefined);
    });

    it("lists an instance whose role has iam/helper-policy.json inline, not one whose inline policy lacks an agent action", async () => {
        const helperPolicy = readPolicy(HELPER_POLICY_FILE);
        const withoutSendReply = helperPolicyWithout("ec2messages:SendReply");
        const [helper] = await launchWithProfile(await instanceProfile(helperPolicy));
        const [lacking] = await launchWithProfile(await instanceProfile(withoutSendReply));
        const { InstanceInformationList } = await ssm().send(
            new DescribeInstanceInformationCommand({}),
        );
        assert.deepEqual(
            InstanceInformationList!.map((i) => i.InstanceId),
            [helper],
        );
        assert.equal(await pingStatus(lacking), undefined);
    });

    it("shows ConnectionLost while stopped, Online again ssm.register after a start, nothing once terminated", async () => {
        const [instanceId] = await launchWithProfile(await instanceProfile());
        assert.equal(await pingStatus(instanceId), "Online");
        await useProfile({ "ssm.register": 30 }, 0.01); // 0.3 s

        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(await pingStatus(instanceId), "ConnectionLost");
        await ec2().send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(
            await pingStatus(instanceId),
            "ConnectionLost",
            "Online again before the agent re-registered",
        );
        await poll("Online again", async () =>
            (await pingStatus(instanceId)) === "Online" ? true : undefined,
        );

        await ec2().send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(await pingStatus(instanceId), undefined);
    });

    it("filters by InstanceIds through Filters and through the older InstanceInformationFilterList", async () => {
        const profile = await instanceProfile();
        const [a, b, c] = await launchWithProfile(profile, 3);
        const byFilters = await ssm().send(
            new DescribeInstanceInformationCommand({
                Filters: [{ Key: "InstanceIds", Values: [a, c] }],
            }),
        );
        assert.deepEqual(
            byFilters.InstanceInformationList!.map((i) => i.InstanceId).sort(),
            [a, c].sort(),
        );
        const byList = await ssm().send(
            new DescribeInstanceInformationCommand({
                InstanceInformationFilterList: [{ key: "InstanceIds", valueSet: [b] }],
            }),
        );
        assert.deepEqual(
            byList.InstanceInformationList!.map((i) => i.InstanceId),
            [b],
        );
        const online = await ssm().send(
            new DescribeInstanceInformationCommand({
                Filters: [{ Key: "PingStatus", Values: ["ConnectionLost"] }],
            }),
        );
        assert.deepEqual(online.InstanceInformationList, []);
        await assert.rejects(
            ssm().send(
                new DescribeInstanceInformationCommand({
                    Filters: [{ Key: "Colour", Values: ["blue"] }],
                }),
            ),
            { name: "InvalidFilterKey" },
        );
    });

    it("pages with MaxResults and NextToken", async () => {
        const ids = await launchWithProfile(await instanceProfile(), 7);
        const first = await ssm().send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
        assert.equal(first.InstanceInformationList!.length, 5);
        const second = await ssm().send(
            new DescribeInstanceInformationCommand({ MaxResults: 5, NextToken: first.NextToken }),
        );
        assert.equal(second.NextToken, undefined);
        const seen = [...first.InstanceInformationList!, ...second.InstanceInformationList!].map(
            (i) => i.InstanceId,
        );
        assert.deepEqual(seen.sort(), [...ids].sort());
    });
});
