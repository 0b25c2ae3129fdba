/**
 * The provider functions (invokes) a program may call, answered from the emulator with the
 * result shape of @pulumi/aws. Anything else throws "Mock not implemented: <token>".
 */
import {
    DescribeAvailabilityZonesCommand,
    DescribeInstancesCommand,
    DescribeSubnetsCommand,
    DescribeVolumesCommand,
    Filter,
    Instance,
} from "@aws-sdk/client-ec2";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { accountId, clients, Props, tagMap } from "./emulated-aws";

type Invoke = (region: string, inputs: Props) => Promise<Props>;

export const EMULATED_INVOKES: Record<string, Invoke> = {
    "aws:ssm/getParameter:getParameter": getParameter,
    "aws:ec2/getSubnet:getSubnet": getSubnet,
    "aws:ec2/getInstance:getInstance": getInstance,
    "aws:index/getAvailabilityZones:getAvailabilityZones": getAvailabilityZones,
    "aws:index/getRegion:getRegion": getRegion,
    "aws:index/getCallerIdentity:getCallerIdentity": getCallerIdentity,
};

export function invoke(token: string, region: string, inputs: Props): Promise<Props> {
    const found = EMULATED_INVOKES[token];
    if (!found) throw new Error(`Mock not implemented: ${token}`);
    return found((inputs.region as string | undefined) || region, inputs);
}

async function getParameter(region: string, inputs: Props): Promise<Props> {
    const withDecryption = inputs.withDecryption !== false;
    const { Parameter: p } = await clients
        .ssm(region)
        .send(
            new GetParameterCommand({ Name: String(inputs.name), WithDecryption: withDecryption }),
        );
    return {
        id: p?.Name,
        name: p?.Name,
        arn: p?.ARN,
        type: p?.Type,
        value: p?.Value,
        version: p?.Version,
        withDecryption,
        region,
        insecureValue: p?.Type === "SecureString" ? undefined : p?.Value,
    };
}

/** The Terraform-style `filters: [{name, values}]` as EC2 API filters. */
function apiFilters(inputs: Props, extra: Record<string, unknown>): Filter[] {
    const filters = (
        (inputs.filters ?? inputs.filter ?? []) as { name: string; values: string[] }[]
    ).map((f) => ({ Name: f.name, Values: f.values }));
    for (const [name, value] of Object.entries(extra)) {
        if (value !== undefined && value !== "")
            filters.push({ Name: name, Values: [String(value)] });
    }
    for (const [key, value] of Object.entries(
        (inputs.tags ?? inputs.instanceTags ?? {}) as Record<string, string>,
    )) {
        filters.push({ Name: `tag:${key}`, Values: [value] });
    }
    return filters;
}

function exactlyOne<T>(found: T[], what: string): T {
    if (found.length === 0) throw new Error(`no matching ${what} found`);
    if (found.length > 1)
        throw new Error(
            `multiple ${what}s matched; use additional constraints to reduce matches to a single ${what}`,
        );
    return found[0];
}

async function getSubnet(region: string, inputs: Props): Promise<Props> {
    const filters = apiFilters(inputs, {
        "vpc-id": inputs.vpcId,
        "availability-zone": inputs.availabilityZone,
        "cidr-block": inputs.cidrBlock,
        state: inputs.state,
    });
    const { Subnets } = await clients.ec2(region).send(
        new DescribeSubnetsCommand({
            SubnetIds: inputs.id ? [String(inputs.id)] : undefined,
            Filters: filters.length ? filters : undefined,
        }),
    );
    const s = exactlyOne(Subnets ?? [], "EC2 Subnet");
    return {
        id: s.SubnetId,
        arn: s.SubnetArn,
        vpcId: s.VpcId,
        availabilityZone: s.AvailabilityZone,
        availabilityZoneId: s.AvailabilityZoneId,
        cidrBlock: s.CidrBlock,
        mapPublicIpOnLaunch: s.MapPublicIpOnLaunch ?? false,
        defaultForAz: s.DefaultForAz ?? false,
        availableIpAddressCount: s.AvailableIpAddressCount,
        ownerId: s.OwnerId,
        state: s.State,
        tags: tagMap(s.Tags),
        region,
    };
}

async function getInstance(region: string, inputs: Props): Promise<Props> {
    const ec2 = clients.ec2(region);
    const filters = apiFilters(inputs, {});
    const { Reservations } = await ec2.send(
        new DescribeInstancesCommand({
            InstanceIds: inputs.instanceId ? [String(inputs.instanceId)] : undefined,
            Filters: filters.length ? filters : undefined,
        }),
    );
    const i = exactlyOne(
        (Reservations ?? []).flatMap((r) => r.Instances ?? []),
        "EC2 Instance",
    );
    return {
        id: i.InstanceId,
        instanceId: inputs.instanceId,
        ami: i.ImageId,
        instanceType: i.InstanceType,
        instanceState: i.State?.Name,
        arn: `arn:aws:ec2:${region}:${await accountId(region)}:instance/${i.InstanceId}`,
        availabilityZone: i.Placement?.AvailabilityZone,
        tenancy: i.Placement?.Tenancy,
        subnetId: i.SubnetId,
        vpcSecurityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId),
        securityGroups: (i.SecurityGroups ?? []).map((g) => g.GroupName),
        iamInstanceProfile: i.IamInstanceProfile?.Arn?.split("/").pop() ?? "",
        keyName: i.KeyName ?? "",
        privateIp: i.PrivateIpAddress,
        privateDns: i.PrivateDnsName,
        publicIp: i.PublicIpAddress ?? "",
        publicDns: i.PublicDnsName ?? "",
        associatePublicIpAddress: Boolean(i.PublicIpAddress),
        networkInterfaceId: i.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? "",
        launchTime: i.LaunchTime?.toISOString(),
        ebsOptimized: i.EbsOptimized ?? false,
        sourceDestCheck: i.SourceDestCheck ?? true,
        disableApiStop: false,
        disableApiTermination: false,
        monitoring: i.Monitoring?.State === "enabled",
        metadataOptions: [
            {
                httpEndpoint: i.MetadataOptions?.HttpEndpoint,
                httpTokens: i.MetadataOptions?.HttpTokens,
                httpPutResponseHopLimit: i.MetadataOptions?.HttpPutResponseHopLimit,
                instanceMetadataTags: i.MetadataOptions?.InstanceMetadataTags,
            },
        ],
        ...(await blockDevices(region, i)),
        tags: tagMap(i.Tags),
        region,
    };
}

/** The invoke's lists (rootBlockDevices, ebsBlockDevices): the root device name is in rootBlockDevices[0]. */
async function blockDevices(region: string, i: Instance): Promise<Props> {
    const mappings = (i.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId);
    const ids = mappings.map((m) => m.Ebs!.VolumeId!);
    const volumes = ids.length
        ? ((await clients.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: ids })))
              .Volumes ?? [])
        : [];
    const device = (m: (typeof mappings)[number]) => {
        const v = volumes.find((x) => x.VolumeId === m.Ebs!.VolumeId);
        return {
            deviceName: m.DeviceName,
            volumeId: m.Ebs!.VolumeId,
            deleteOnTermination: m.Ebs!.DeleteOnTermination ?? false,
            encrypted: v?.Encrypted ?? false,
            kmsKeyId: v?.KmsKeyId ?? "",
            iops: v?.Iops ?? 0,
            throughput: v?.Throughput ?? 0,
            volumeSize: v?.Size ?? 0,
            volumeType: v?.VolumeType ?? "",
            tags: tagMap(v?.Tags),
        };
    };
    return {
        rootBlockDevices: mappings.filter((m) => m.DeviceName === i.RootDeviceName).map(device),
        ebsBlockDevices: mappings.filter((m) => m.DeviceName !== i.RootDeviceName).map(device),
        ephemeralBlockDevices: [],
    };
}

async function getAvailabilityZones(region: string, inputs: Props): Promise<Props> {
    const filters = apiFilters({ filters: inputs.filters }, { state: inputs.state });
    const { AvailabilityZones } = await clients.ec2(region).send(
        new DescribeAvailabilityZonesCommand({
            AllAvailabilityZones: inputs.allAvailabilityZones as boolean | undefined,
            Filters: filters.length ? filters : undefined,
        }),
    );
    const excludedNames = (inputs.excludeNames ?? []) as string[];
    const excludedIds = (inputs.excludeZoneIds ?? []) as string[];
    const zones = (AvailabilityZones ?? []).filter(
        (z) => !excludedNames.includes(z.ZoneName!) && !excludedIds.includes(z.ZoneId!),
    );
    return {
        id: region,
        region,
        names: zones.map((z) => z.ZoneName),
        zoneIds: zones.map((z) => z.ZoneId),
        groupNames: [...new Set(zones.map((z) => z.GroupName ?? region))],
        state: inputs.state,
    };
}

async function getRegion(region: string, inputs: Props): Promise<Props> {
    const name = (inputs.name as string | undefined) || region;
    return {
        id: name,
        name,
        region: name,
        description: name,
        endpoint: `ec2.${name}.amazonaws.com`,
    };
}

async function getCallerIdentity(region: string): Promise<Props> {
    const me = await clients.sts(region).send(new GetCallerIdentityCommand({}));
    return { id: me.Account, accountId: me.Account, arn: me.Arn, userId: me.UserId };
}
