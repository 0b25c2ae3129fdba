/**
 * Permissions boundaries (iam_boundaries.py): a boundary that does not exist is refused as on
 * AWS, and a helper whose boundary lacks an agent action is never a managed node.
 */
import * as assert from "node:assert/strict";
import {
    CreateRoleCommand,
    GetRoleCommand,
    PutRolePermissionsBoundaryCommand,
} from "@aws-sdk/client-iam";
import { DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { EC2_TRUST_POLICY } from "../../lib/helper-role";
import { awsErrorCode } from "../../lib/aws-errors";
import { emulator } from "../hooks";
import {
    createHelperBoundary,
    HELPER_POLICY_FILE,
    helperPolicyWithout,
    readPolicy,
} from "../support/iam-evaluation";
import { iam, instanceProfile, launchWithProfile, ssm } from "./ssm-support.test";

/** The role behind `instanceProfile()`'s profile: the profile's name is its role's. */
const roleOf = (profileArn: string) => profileArn.split("/").pop()!;

describe("emulator: permissions boundaries", () => {
    beforeEach(() => emulator().reset());

    it("refuses CreateRole with a boundary that is no policy of the account (NoSuchEntity), and creates none", async () => {
        const missing = "arn:aws:iam::123456789012:policy/ec2-reset-access/helper-boundary";
        const refused = await iam()
            .send(
                new CreateRoleCommand({
                    RoleName: "bounded",
                    AssumeRolePolicyDocument: EC2_TRUST_POLICY,
                    PermissionsBoundary: missing,
                }),
            )
            .then(
                () => undefined,
                (err) => err,
            );
        assert.equal(awsErrorCode(refused), "NoSuchEntity");
        const lookup = await iam()
            .send(new GetRoleCommand({ RoleName: "bounded" }))
            .catch((err) => err);
        assert.equal(awsErrorCode(lookup), "NoSuchEntity", "the role was created anyway");
    });

    it("creates the role with a boundary that exists, and shows it", async () => {
        const arn = await createHelperBoundary();
        await iam().send(
            new CreateRoleCommand({
                RoleName: "bounded",
                AssumeRolePolicyDocument: EC2_TRUST_POLICY,
                PermissionsBoundary: arn,
            }),
        );
        const { Role } = await iam().send(new GetRoleCommand({ RoleName: "bounded" }));
        assert.equal(Role!.PermissionsBoundary?.PermissionsBoundaryArn, arn);
    });

    it("lists a helper whose boundary allows the agent's actions, not one whose boundary lacks one", async () => {
        const whole = await createHelperBoundary();
        const lacking = await createHelperBoundary(
            helperPolicyWithout("ec2messages:GetMessages"),
            "lacking",
        );
        const bounded = async (boundaryArn: string) => {
            const profile = await instanceProfile(readPolicy(HELPER_POLICY_FILE));
            await iam().send(
                new PutRolePermissionsBoundaryCommand({
                    RoleName: roleOf(profile),
                    PermissionsBoundary: boundaryArn,
                }),
            );
            return (await launchWithProfile(profile))[0];
        };
        const answering = await bounded(whole);
        await bounded(lacking);
        const { InstanceInformationList } = await ssm().send(
            new DescribeInstanceInformationCommand({}),
        );
        assert.deepEqual(
            InstanceInformationList!.map((i) => i.InstanceId),
            [answering],
            "only the helper whose boundary allows every agent action is a managed node",
        );
    });
});
