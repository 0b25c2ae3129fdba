/**
 * Faults AWS shows and plain moto never does: throttling of any call, InsufficientInstanceCapacity
 * on the first N StartInstances of one instance, and a fault armed only once another has answered
 * (a second fault while the repair of the first runs).
 */
import * as assert from "node:assert/strict";
import {
    DescribeInstancesCommand,
    DescribeVolumesCommand,
    EC2Client,
    StartInstancesCommand,
    StopInstancesCommand,
    waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { awsErrorCode } from "../../lib/aws-errors";
import { createTarget } from "../../rehearsal/targets";
import { describeInstance } from "../../lib/ec2-instance";

describe("emulator faults of real AWS", () => {
    const ec2 = new EC2Client({ maxAttempts: 1 });
    beforeEach(() => emulator().reset());

    it("throttles any call: a burst of 3 is absorbed by the SDK's retries", async () => {
        await emulator().control("POST", "/faults", { operation: "*", kind: "throttle", times: 3 });
        const since = Date.now() / 1000;
        await new EC2Client({ maxAttempts: 8 }).send(new DescribeVolumesCommand({}));
        const calls = await emulator().calls({ since });
        assert.deepEqual(
            calls.map((c) => c.operation),
            ["DescribeVolumes", "DescribeVolumes", "DescribeVolumes", "DescribeVolumes"],
        );
        await assert.doesNotReject(ec2.send(new DescribeInstancesCommand({})), "the burst is over");
    });

    it("answers InsufficientInstanceCapacity to the first N StartInstances of one instance, which stays stopped", async () => {
        const [target, other] = [await createTarget(ec2), await createTarget(ec2)];
        for (const id of [target.InstanceId!, other.InstanceId!]) {
            await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
            await waitUntilInstanceStopped(
                { client: ec2, maxWaitTime: 60, minDelay: 1 },
                { InstanceIds: [id] },
            );
        }
        await emulator().control("POST", "/faults", {
            operation: "StartInstances",
            code: "InsufficientInstanceCapacity",
            times: 2,
            params: { "InstanceId.1": target.InstanceId },
            message:
                "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (us-east-1a).",
        });
        await ec2.send(new StartInstancesCommand({ InstanceIds: [other.InstanceId!] }));
        for (let i = 0; i < 2; i++) {
            const err = await ec2
                .send(new StartInstancesCommand({ InstanceIds: [target.InstanceId!] }))
                .catch((e) => e);
            assert.equal(awsErrorCode(err), "InsufficientInstanceCapacity");
            assert.equal((await describeInstance(ec2, target.InstanceId!)).State?.Name, "stopped");
        }
        const started = await ec2.send(
            new StartInstancesCommand({ InstanceIds: [target.InstanceId!] }),
        );
        assert.equal(started.StartingInstances![0].CurrentState!.Name, "pending");
    });

    it("arms a fault only after another has answered (afterInjected)", async () => {
        await emulator().control("POST", "/faults", {
            operation: "DescribeVolumes",
            code: "InternalError",
            afterInjected: true,
        });
        await assert.doesNotReject(ec2.send(new DescribeVolumesCommand({})), "not armed yet");
        await emulator().control("POST", "/faults", {
            operation: "DescribeInstances",
            code: "UnauthorizedOperation",
        });
        assert.equal(
            awsErrorCode(await ec2.send(new DescribeInstancesCommand({})).catch((e) => e)),
            "UnauthorizedOperation",
        );
        assert.equal(
            awsErrorCode(await ec2.send(new DescribeVolumesCommand({})).catch((e) => e)),
            "InternalError",
        );
        await assert.doesNotReject(ec2.send(new DescribeVolumesCommand({})), "once");
    });
});
