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
import { EC2_TRUST_POLICY, SSM_CORE_POLICY_ARN } from "../../lib/helper-role";
import { emulator } from "../hooks";

const iam = () => new IAMClient({ maxAttempts: 1 });
const POLICY = SSM_CORE_POLICY_ARN;

async function attachedRole(name: string): Promise<void> {
    await iam().send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: EC2_TRUST_POLICY }),
    );
    await iam().send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
}

async function awsPolicyCount(): Promise<number> {
    let count = 0;
    let marker: string | undefined;
    do {
        const page = await iam().send(
            new ListPoliciesCommand({ Scope: "AWS", Marker: marker, MaxItems: 1000 }),
        );
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
        await iam().send(
            new TagPolicyCommand({ PolicyArn: POLICY, Tags: [{ Key: "k", Value: "v" }] }),
        );
        assert.equal(
            (await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy?.AttachmentCount,
            1,
        );

        await emulator().reset();

        const policy = (await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy;
        assert.equal(policy?.AttachmentCount, 0);
        assert.deepEqual(policy?.Tags ?? [], []);
        await attachedRole("after-reset");
        const attached = await iam().send(
            new ListAttachedRolePoliciesCommand({ RoleName: "after-reset" }),
        );
        assert.deepEqual(
            attached.AttachedPolicies?.map((p) => p.PolicyArn),
            [POLICY],
        );
        assert.equal(
            (await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy?.AttachmentCount,
            1,
        );
    });
});
