/**
 * Permissions boundaries (iam_boundaries.py): a boundary that does not exist is refused as on
 * AWS, and a helper whose boundary lacks an agent action is never a managed node.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    CreatePolicyCommand,
    CreateRoleCommand,
    GetRoleCommand,
    PutRolePermissionsBoundaryCommand,
} from "@aws-sdk/client-iam";
import { DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { EC2_TRUST_POLICY } from "../../lib/helper-role";
import { awsErrorCode } from "../../lib/aws-errors";
import { emulator } from "../hooks";
import { iam, instanceProfile, launchWithProfile, ssm } from "./ssm-support.test";

const HELPER_POLICY = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "iam", "helper-policy.json"), "utf8"),
);

async function boundary(name: string, document: object): Promise<string> {
    const out = await iam().send(
        new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }),
    );
    return out.Policy!.Arn!;
}

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
        const arn = await boundary("helper-boundary", HELPER_POLICY);
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
        const whole = await boundary("whole", HELPER_POLICY);
        const lacking = await boundary("lacking", {
            ...HELPER_POLICY,
            Statement: HELPER_POLICY.Statement.map((s: { Action: string[] }) => ({
                ...s,
                Action: s.Action.filter((a) => a !== "ec2messages:GetMessages"),
            })),
        });
        const bounded = async (boundaryArn: string) => {
            const profile = await instanceProfile(HELPER_POLICY);
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
