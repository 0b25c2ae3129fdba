/**
 * No capacity to restart the target: InsufficientInstanceCapacity on its start is retried with
 * backoff until the deadline (emulated time: the deadline scaled by EC2_RESET_ACCESS_TIME_SCALE);
 * past it, the error says the instance is stopped and whole, and what to try.
 */
import * as assert from "node:assert/strict";
import { EC2Client, StopInstancesCommand, waitUntilInstanceStopped } from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { startTargetInstance } from "../../lib/ec2-instance";
import { createTarget } from "../../rehearsal/targets";
import { describeInstance } from "../../lib/ec2-instance";

describe("the target's start with no capacity", () => {
    const ec2 = new EC2Client({ maxAttempts: 1 });
    let id: string;
    beforeEach(async () => {
        await emulator().reset();
        id = (await createTarget(ec2)).InstanceId!;
        await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [id] },
        );
        process.env.EC2_RESET_ACCESS_TIME_SCALE = "0.002"; // 1800 s of retries in 3.6 s
    });
    afterEach(() => delete process.env.EC2_RESET_ACCESS_TIME_SCALE);

    const noCapacity = (times: number) =>
        emulator().control("POST", "/faults", {
            operation: "StartInstances",
            code: "InsufficientInstanceCapacity",
            times,
            params: { "InstanceId.1": id },
        });

    it("retries with backoff until EC2 has capacity, then the target runs", async () => {
        await noCapacity(3);
        await startTargetInstance(ec2, id, "vol-0123456789abcdef0");
        assert.equal((await describeInstance(ec2, id)).State?.Name, "running");
        assert.equal((await emulator().calls({ operation: "StartInstances" })).length, 4);
    });

    it("past the deadline, says the instance is stopped and whole and what to try", async () => {
        await noCapacity(10_000);
        const err: Error = await startTargetInstance(ec2, id, "vol-0123456789abcdef0").then(
            () => assert.fail("started"),
            (e) => e,
        );
        assert.equal(err.name, "InsufficientCapacityOnRestart");
        assert.match(
            err.message,
            new RegExp(
                `^${id} could not be started: EC2 had no capacity for it \\(InsufficientInstanceCapacity, \\d+ attempts over 1800 s\\)\\. Its root volume vol-0123456789abcdef0 is back and the instance is stopped and whole\\. Try another instance type`,
            ),
        );
        assert.match(err.message, /a capacity reservation, or later/);
        assert.equal((await describeInstance(ec2, id)).State?.Name, "stopped");
    });
});
