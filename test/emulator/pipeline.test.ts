/** The emulator's request pipeline: call log, fault injection, AWS-shaped errors, reset. */
import * as assert from "node:assert/strict";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";

describe("emulator pipeline", () => {
    const ec2 = () => new EC2Client({ maxAttempts: 1 });
    const ssm = () => new SSMClient({ maxAttempts: 1 });

    beforeEach(() => emulator().reset());

    it("logs every AWS call with its operation and key parameters", async () => {
        await ec2().send(new DescribeInstancesCommand({ InstanceIds: [] }));
        await ssm()
            .send(new GetParameterCommand({ Name: "/missing" }))
            .catch(() => undefined);
        const calls = await emulator().calls();
        assert.deepEqual(
            calls.map((c) => [c.service, c.operation, c.error]),
            [
                ["ec2", "DescribeInstances", null],
                ["ssm", "GetParameter", "ParameterNotFound"],
            ],
        );
        assert.equal(calls[1].params.Name, "/missing");
    });

    it("fails the Nth call of an operation with the injected EC2 error code", async () => {
        await emulator().control("POST", "/faults", {
            operation: "DescribeInstances",
            code: "UnauthorizedOperation",
            message: "no",
            nth: 2,
        });
        await ec2().send(new DescribeInstancesCommand({}));
        await assert.rejects(ec2().send(new DescribeInstancesCommand({})), {
            name: "UnauthorizedOperation",
            message: "no",
        });
        await ec2().send(new DescribeInstancesCommand({}));
    });

    it("answers an injected SSM fault in the JSON protocol's error shape", async () => {
        await emulator().control("POST", "/faults", {
            operation: "GetParameter",
            kind: "throttle",
        });
        await assert.rejects(ssm().send(new GetParameterCommand({ Name: "/x" })), {
            name: "ThrottlingException",
        });
    });

    it("throttles EC2 calls with RequestLimitExceeded, which the SDK retries", async () => {
        await emulator().control("POST", "/faults", {
            operation: "DescribeInstances",
            kind: "throttle",
        });
        const retrying = new EC2Client({ maxAttempts: 3 });
        await retrying.send(new DescribeInstancesCommand({}));
        const calls = await emulator().calls({ operation: "DescribeInstances" });
        assert.deepEqual(
            calls.map((c) => c.error),
            ["RequestLimitExceeded", null],
        );
    });

    it("reset clears the log and the faults", async () => {
        await emulator().control("POST", "/faults", { operation: "DescribeInstances", times: 5 });
        await emulator().reset();
        await ec2().send(new DescribeInstancesCommand({}));
        assert.equal((await emulator().calls()).length, 1);
    });
});
