/**
 * The preflight's check of helperPermissionsBoundary (lib/helper-boundary.ts), loaded from its
 * serialized form as the host loads it, against the emulator: a boundary that does not exist,
 * that withholds an agent action, or that cannot be read is refused before anything is created.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { EC2Client } from "@aws-sdk/client-ec2";
import { CreatePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { TargetPreflight } from "../../dynamic-providers/target-preflight";
import { hostedProvider } from "../../harness/serialized-provider";
import { createTarget, REGION } from "../../rehearsal/targets";
import { emulator } from "../hooks";

const HELPER_POLICY = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "iam", "helper-policy.json"), "utf8"),
);

/** A customer managed policy under the tool's path, as README's Permissions section creates it. */
async function createBoundary(name: string, document: object): Promise<string> {
    const out = await new IAMClient({}).send(
        new CreatePolicyCommand({
            Path: "/ec2-reset-access/",
            PolicyName: name,
            PolicyDocument: JSON.stringify(document),
        }),
    );
    return out.Policy!.Arn!;
}

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
        const arn = await createBoundary("helper-boundary", HELPER_POLICY);
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
        const lacking = await createBoundary("lacking", {
            ...HELPER_POLICY,
            Statement: HELPER_POLICY.Statement.map((s: { Action: string[] }) => ({
                ...s,
                Action: s.Action.filter((a) => a !== "ec2messages:GetMessages"),
            })),
        });
        await assert.rejects(
            run(lacking),
            /does not allow ec2messages:GetMessages, which the helper's SSM agent needs/,
        );
        const denying = await createBoundary("denying", {
            Version: "2012-10-17",
            Statement: [
                { Effect: "Allow", Action: "*", Resource: "*" },
                { Effect: "Deny", Action: "ssm:Update*", Resource: "*" },
            ],
        });
        await assert.rejects(run(denying), /does not allow ssm:UpdateInstanceInformation,/);
        await onlyRead();
    });

    it("takes a wildcard grant, and a conditional one it cannot evaluate, as allowing", async () => {
        const wildcard = await createBoundary("wildcard", {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["ssm:UpdateInstanceInformation", "ec2messages:*", "ssmmessages:*"],
                    Resource: "*",
                    Condition: { StringEquals: { "aws:SourceVpc": "vpc-0123" } },
                },
            ],
        });
        await run(wildcard);
    });

    it("refuses when reading the boundary is denied, naming the permission", async () => {
        const arn = await createBoundary("helper-boundary", HELPER_POLICY);
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
