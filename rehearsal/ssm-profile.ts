/**
 * The instance profile that makes an instance an SSM managed node, made with the SDK: the one
 * copy for the rehearsal targets, the benchmark's runbook and the emulator's tests. (ResetAccess
 * makes the same with Pulumi resources, from the same lib/helper-role.ts.)
 */
import {
    AddRoleToInstanceProfileCommand,
    AttachRolePolicyCommand,
    CreateInstanceProfileCommand,
    CreateRoleCommand,
    DeleteInstanceProfileCommand,
    DeleteRoleCommand,
    DetachRolePolicyCommand,
    IAMClient,
    RemoveRoleFromInstanceProfileCommand,
} from "@aws-sdk/client-iam";
import { EC2_TRUST_POLICY, SSM_CORE_POLICY_ARN } from "../lib/helper-role";

/** `prefix` with a random suffix, for names that must not collide within a run. */
export function uniqueName(prefix: string): string {
    return `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
}

/**
 * A role named `name` with AmazonSSMManagedInstanceCore (none with `managed: false`), in an
 * instance profile of the same name. Returns the profile's ARN.
 */
export async function createSsmInstanceProfile(
    iam: IAMClient,
    name: string,
    { managed = true } = {},
): Promise<string> {
    await iam.send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: EC2_TRUST_POLICY }),
    );
    if (managed)
        await iam.send(
            new AttachRolePolicyCommand({ RoleName: name, PolicyArn: SSM_CORE_POLICY_ARN }),
        );
    const { InstanceProfile } = await iam.send(
        new CreateInstanceProfileCommand({ InstanceProfileName: name }),
    );
    await iam.send(
        new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }),
    );
    return InstanceProfile!.Arn!;
}

/** Removes what createSsmInstanceProfile made (with the policy attached). */
export async function deleteSsmInstanceProfile(iam: IAMClient, name: string): Promise<void> {
    await iam.send(
        new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }),
    );
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: SSM_CORE_POLICY_ARN }));
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
}
