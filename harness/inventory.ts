/** What the emulator holds that a reset creates: after `destroy`, only what is meant to stay. */
import {
    DescribeImagesCommand,
    DescribeInstancesCommand,
    DescribeSecurityGroupsCommand,
    DescribeVpcsCommand,
    EC2Client,
} from "@aws-sdk/client-ec2";
import { IAMClient, ListInstanceProfilesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { ListDocumentsCommand, SSMClient } from "@aws-sdk/client-ssm";

export interface Inventory {
    vpcs: string[];
    securityGroups: string[];
    liveInstances: string[];
    roles: string[];
    instanceProfiles: string[];
    documents: string[];
    images: string[];
}

export async function inventory(): Promise<Inventory> {
    const ec2 = new EC2Client({});
    const iam = new IAMClient({});
    const ssm = new SSMClient({});
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
    const reservations = (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [];
    const instances = reservations.flatMap((r) => r.Instances ?? []);
    return {
        vpcs: vpcs.filter((v) => !v.IsDefault).map((v) => v.VpcId!),
        securityGroups: groups.filter((g) => g.GroupName !== "default").map((g) => g.GroupId!),
        liveInstances: instances
            .filter((i) => !["terminated", "shutting-down"].includes(i.State?.Name ?? ""))
            .map((i) => i.InstanceId!)
            .sort(),
        roles: ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName!),
        instanceProfiles: (
            (await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []
        ).map((p) => p.InstanceProfileName!),
        documents: (
            (
                await ssm.send(
                    new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Self"] }] }),
                )
            ).DocumentIdentifiers ?? []
        ).map((d) => d.Name!),
        images: (
            (await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images ?? []
        ).map((i) => i.Name!),
    };
}
