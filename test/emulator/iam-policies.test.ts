/**
 * AWS managed policies (iam_policies.py): built once, copied into each IAM backend, so a reset
 * keeps the policies and forgets what was done with them.
 */
import * as assert from "node:assert/strict";
import {
    AttachRolePolicyCommand,
    CreateRoleCommand,
    GetPolicyCommand,
    IAMClient,
    ListAttachedRolePoliciesCommand,
    ListPoliciesCommand,
    TagPolicyCommand,
} from "@aws-sdk/client-iam";
import { emulator } from "../hooks";

const iam = () => new IAMClient({ maxAttempts: 1 });
const POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

async function attachedRole(name: string): Promise<void> {
    await iam().send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
    await iam().send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
}

async function awsPolicyCount(): Promise<number> {
    let count = 0;
    let marker: string | undefined;
    do {
        const page = await iam().send(new ListPoliciesCommand({ Scope: "AWS", Marker: marker, MaxItems: 1000 }));
        count += page.Policies?.length ?? 0;
        marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return count;
}

describe("emulator: AWS managed policies across resets", () => {
    beforeEach(() => emulator().reset());

    it("keeps every AWS managed policy after a reset", async () => {
        const before = await awsPolicyCount();
        assert.ok(before > 1000, `moto lists ${before} AWS managed policies`);
        await emulator().reset();
        assert.equal(await awsPolicyCount(), before);
    });

    it("forgets attachments and tags at reset", async () => {
        await attachedRole("before-reset");
        await iam().send(new TagPolicyCommand({ PolicyArn: POLICY, Tags: [{ Key: "k", Value: "v" }] }));
        assert.equal((await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy?.AttachmentCount, 1);

        await emulator().reset();

        const policy = (await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy;
        assert.equal(policy?.AttachmentCount, 0);
        assert.deepEqual(policy?.Tags ?? [], []);
        await attachedRole("after-reset");
        const attached = await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: "after-reset" }));
        assert.deepEqual(attached.AttachedPolicies?.map((p) => p.PolicyArn), [POLICY]);
        assert.equal((await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy?.AttachmentCount, 1);
    });
});
