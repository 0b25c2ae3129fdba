/**
 * The preflight's check of helperPermissionsBoundary (lib/helper-boundary.ts), loaded from its
 * serialized form as the host loads it, against the emulator: a boundary that does not exist,
 * that withholds an agent action, or that cannot be read is refused before anything is created.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { EC2Client } from "@aws-sdk/client-ec2";
import { TargetPreflight } from "../../dynamic-providers/target-preflight";
import { hostedProvider } from "../../harness/serialized-provider";
import { createTarget, REGION } from "../../rehearsal/targets";
import { emulator } from "../hooks";
import { createHelperBoundary, helperPolicyWithout } from "../support/iam-evaluation";

describe("preflight: the helper's permissions boundary (host-loaded provider)", () => {
    const ec2 = new EC2Client({});
    let preflight: pulumi.dynamic.ResourceProvider;
    let instanceId: string;

    before(async () => {
        preflight = await hostedProvider(
            () =>
                new TargetPreflight("preflight", {
                    instanceId: "i-0",
                    region: REGION,
                    rotation: "1",
                }),
        );
    });

    beforeEach(async () => {
        await emulator().reset();
        instanceId = (await createTarget(ec2)).InstanceId!;
    });

    const run = (helperPermissionsBoundary: string) =>
        preflight.create!({ instanceId, region: REGION, rotation: "1", helperPermissionsBoundary });

    /** The preflight made no write: nothing was created or touched. */
    async function onlyRead(): Promise<void> {
        const writes = (await emulator().calls()).filter(
            (c) =>
                !/^(Describe|Get|List)/.test(c.operation) &&
                // the test's own setup
                !["RunInstances", "CreatePolicy", "CreateTags"].includes(c.operation),
        );
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
        );
    }

    it("passes a boundary made from iam/helper-policy.json", async () => {
        const arn = await createHelperBoundary();
        const { outs } = await run(arn);
        assert.equal(outs.context.instanceId, instanceId);
    });

    it("refuses a boundary that does not exist, saying how to create it", async () => {
        const arn = "arn:aws:iam::123456789012:policy/ec2-reset-access/helper-boundary";
        await assert.rejects(run(arn), {
            message:
                `refused before touching anything: helperPermissionsBoundary: the policy ${arn} does not exist; ` +
                "create it from the package's iam/helper-policy.json: aws iam create-policy --path /ec2-reset-access/ " +
                "--policy-name helper-boundary --policy-document file://iam/helper-policy.json, then run again.",
        });
        await onlyRead();
    });

    it("refuses a boundary that withholds an agent action, or denies one outright", async () => {
        const lacking = await createHelperBoundary(
            helperPolicyWithout("ec2messages:GetMessages"),
            "lacking",
        );
        await assert.rejects(
            run(lacking),
            /does not allow ec2messages:GetMessages, which the helper's SSM agent needs/,
        );
        const denying = await createHelperBoundary(
            {
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: "*", Resource: "*" },
                    { Effect: "Deny", Action: "ssm:Update*", Resource: "*" },
                ],
            },
            "denying",
        );
        await assert.rejects(run(denying), /does not allow ssm:UpdateInstanceInformation,/);
        await onlyRead();
    });

    it("takes a wildcard grant, and a conditional one it cannot evaluate, as allowing", async () => {
        const wildcard = await createHelperBoundary(
            {
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Action: ["ssm:UpdateInstanceInformation", "ec2messages:*", "ssmmessages:*"],
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceVpc": "vpc-0123" } },
                    },
                ],
            },
            "wildcard",
        );
        await run(wildcard);
    });

    it("refuses when reading the boundary is denied, naming the permission", async () => {
        const arn = await createHelperBoundary();
        await emulator().control("POST", "/faults", {
            operation: "GetPolicy",
            service: "iam",
            kind: "error",
            code: "AccessDenied",
            message:
                "User: arn:aws:iam::123456789012:user/operator is not authorized to perform: iam:GetPolicy",
        });
        await assert.rejects(run(arn), /allow iam:GetPolicy and iam:GetPolicyVersion on it/);
        await onlyRead();
    });
});
