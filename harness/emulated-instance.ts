/**
 * `aws:ec2/instance:Instance` as the AWS provider does it: RunInstances with the root device
 * settings applied at the AMI's root device name, a wait until `running` (the emulator's latency
 * profile may make it take time) with a deadline, then the outputs read back. A wait that fails
 * keeps the instance id in state (the provider's "tainted" resource). Delete terminates and
 * waits until terminated.
 */
import {
    DescribeImagesCommand,
    DescribeInstancesCommand,
    DescribeVolumesCommand,
    EC2Client,
    Instance,
    RunInstancesCommand,
    RunInstancesCommandInput,
    TerminateInstancesCommand,
    waitUntilInstanceRunning,
    waitUntilInstanceTerminated,
} from "@aws-sdk/client-ec2";
import {
    accountId,
    awsTags,
    clients,
    EmulationContext,
    PartialCreateError,
    Props,
    retryWhile,
    strings,
    tagMap,
} from "./emulated-aws";

const CREATE_TIMEOUT_S = 600; // the provider's default: 10m
const DELETE_TIMEOUT_S = 1200; // 20m
const WAITER_DELAYS = { minDelay: 1, maxDelay: 5 };

interface RootBlockDeviceInput {
    deleteOnTermination?: boolean;
    encrypted?: boolean;
    iops?: number;
    kmsKeyId?: string;
    throughput?: number;
    volumeSize?: number;
    volumeType?: string;
    tags?: Record<string, string>;
}

export async function createInstance(
    ctx: EmulationContext,
    inputs: Props,
): Promise<{ id: string; outputs: Props }> {
    const ec2 = clients.ec2(ctx.region);
    const request = await runRequest(ec2, inputs);
    // A new instance profile can be unknown to EC2 for a few seconds: the provider retries.
    const profilePending = (err: unknown) =>
        /Invalid IAM Instance Profile/i.test((err as Error).message);
    const run = await retryWhile(profilePending, 120, () =>
        ec2.send(new RunInstancesCommand(request)),
    );
    const id = run.Instances![0].InstanceId!;
    try {
        await waitUntilInstanceRunning(
            { client: ec2, maxWaitTime: ctx.timeoutSeconds ?? CREATE_TIMEOUT_S, ...WAITER_DELAYS },
            { InstanceIds: [id] },
        );
    } catch (err) {
        const detail = (err as Error).message.split("\n")[0];
        throw new PartialCreateError(`waiting for EC2 Instance (${id}) create: ${detail}`, id, {
            ...inputs,
            id,
        });
    }
    return { id, outputs: await instanceOutputs(ec2, ctx.region, id, inputs) };
}

async function runRequest(ec2: EC2Client, inputs: Props): Promise<RunInstancesCommandInput> {
    const ami = String(inputs.ami ?? "");
    const groups = strings(inputs.vpcSecurityGroupIds);
    const request: RunInstancesCommandInput = {
        ImageId: ami,
        InstanceType:
            (inputs.instanceType as RunInstancesCommandInput["InstanceType"]) ?? undefined,
        MinCount: 1,
        MaxCount: 1,
        KeyName: (inputs.keyName as string | undefined) || undefined,
        IamInstanceProfile: inputs.iamInstanceProfile
            ? { Name: String(inputs.iamInstanceProfile) }
            : undefined,
        UserData:
            typeof inputs.userData === "string"
                ? Buffer.from(inputs.userData).toString("base64")
                : (inputs.userDataBase64 as string | undefined),
        DisableApiTermination: inputs.disableApiTermination as boolean | undefined,
        DisableApiStop: inputs.disableApiStop as boolean | undefined,
        InstanceInitiatedShutdownBehavior:
            inputs.instanceInitiatedShutdownBehavior as RunInstancesCommandInput["InstanceInitiatedShutdownBehavior"],
        PrivateIpAddress:
            inputs.associatePublicIpAddress === undefined
                ? (inputs.privateIp as string | undefined)
                : undefined,
        TagSpecifications: tagSpecifications(inputs),
    };
    const metadata = inputs.metadataOptions as Record<string, unknown> | undefined;
    if (metadata) {
        request.MetadataOptions = {
            HttpTokens: metadata.httpTokens as "required" | "optional" | undefined,
            HttpEndpoint: metadata.httpEndpoint as "enabled" | "disabled" | undefined,
            HttpPutResponseHopLimit: metadata.httpPutResponseHopLimit as number | undefined,
            InstanceMetadataTags: metadata.instanceMetadataTags as
                "enabled" | "disabled" | undefined,
        };
    }
    if (inputs.associatePublicIpAddress !== undefined) {
        // As the provider does: a public IP choice needs the primary interface spelled out.
        request.NetworkInterfaces = [
            {
                DeviceIndex: 0,
                SubnetId: inputs.subnetId as string | undefined,
                Groups: groups.length ? groups : undefined,
                AssociatePublicIpAddress: Boolean(inputs.associatePublicIpAddress),
                PrivateIpAddress: inputs.privateIp as string | undefined,
            },
        ];
    } else {
        request.SubnetId = inputs.subnetId as string | undefined;
        request.SecurityGroupIds = groups.length ? groups : undefined;
    }
    const root = inputs.rootBlockDevice as RootBlockDeviceInput | undefined;
    if (root) {
        // The settings go to the AMI's root device name, which the provider looks up.
        const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images?.[0];
        const deviceName = image?.RootDeviceName;
        if (!deviceName)
            throw new Error(
                `creating EC2 Instance: finding Root Device Name for AMI (${ami}): not found`,
            );
        // EC2 takes the snapshot from the AMI's own mapping of that device; moto requires it
        // spelled out ("The request must contain the parameter size or snapshotId"). Same result.
        const amiSnapshot = image?.BlockDeviceMappings?.find((m) => m.DeviceName === deviceName)
            ?.Ebs?.SnapshotId;
        request.BlockDeviceMappings = [
            {
                DeviceName: deviceName,
                Ebs: {
                    SnapshotId: amiSnapshot,
                    DeleteOnTermination: root.deleteOnTermination ?? true,
                    Encrypted: root.encrypted,
                    KmsKeyId: root.kmsKeyId,
                    Iops: root.iops,
                    Throughput: root.throughput,
                    VolumeSize: root.volumeSize,
                    VolumeType: root.volumeType as "gp3" | undefined,
                },
            },
        ];
    }
    return request;
}

function tagSpecifications(inputs: Props): RunInstancesCommandInput["TagSpecifications"] {
    const specs: NonNullable<RunInstancesCommandInput["TagSpecifications"]> = [];
    const tags = awsTags(inputs.tags);
    if (tags.length) specs.push({ ResourceType: "instance", Tags: tags });
    const volumeTags = awsTags(
        inputs.volumeTags ?? (inputs.rootBlockDevice as RootBlockDeviceInput | undefined)?.tags,
    );
    if (volumeTags.length) specs.push({ ResourceType: "volume", Tags: volumeTags });
    return specs.length ? specs : undefined;
}

async function instanceOutputs(
    ec2: EC2Client,
    region: string,
    id: string,
    inputs: Props,
): Promise<Props> {
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const instance = described.Reservations![0].Instances![0];
    const rootDevice = await rootBlockDevice(ec2, instance);
    const tags = tagMap(instance.Tags);
    return {
        ...inputs,
        id,
        arn: `arn:aws:ec2:${region}:${await accountId(region)}:instance/${id}`,
        ami: instance.ImageId,
        instanceType: instance.InstanceType,
        availabilityZone: instance.Placement?.AvailabilityZone,
        subnetId: instance.SubnetId,
        vpcSecurityGroupIds: (instance.SecurityGroups ?? []).map((g) => g.GroupId),
        securityGroups: [],
        iamInstanceProfile: inputs.iamInstanceProfile ?? "",
        keyName: instance.KeyName ?? "",
        privateIp: instance.PrivateIpAddress,
        privateDns: instance.PrivateDnsName,
        publicIp: instance.PublicIpAddress ?? "",
        publicDns: instance.PublicDnsName ?? "",
        associatePublicIpAddress: Boolean(instance.PublicIpAddress),
        primaryNetworkInterfaceId: instance.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? "",
        instanceState: instance.State?.Name,
        metadataOptions: {
            httpTokens: instance.MetadataOptions?.HttpTokens,
            httpEndpoint: instance.MetadataOptions?.HttpEndpoint,
            httpPutResponseHopLimit: instance.MetadataOptions?.HttpPutResponseHopLimit,
            instanceMetadataTags: instance.MetadataOptions?.InstanceMetadataTags,
        },
        rootBlockDevice: rootDevice,
        ebsBlockDevices: [],
        tags: inputs.tags ?? {},
        tagsAll: tags,
        region,
    };
}

/** The provider's `rootBlockDevice` output: one object (not a list), read from the volume. */
async function rootBlockDevice(ec2: EC2Client, instance: Instance): Promise<Props | undefined> {
    const mapping = instance.BlockDeviceMappings?.find(
        (m) => m.DeviceName === instance.RootDeviceName,
    );
    const volumeId = mapping?.Ebs?.VolumeId;
    if (!volumeId) return undefined;
    const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })))
        .Volumes?.[0];
    return {
        deviceName: mapping.DeviceName,
        volumeId,
        deleteOnTermination: mapping.Ebs?.DeleteOnTermination,
        encrypted: volume?.Encrypted ?? false,
        kmsKeyId: volume?.KmsKeyId ?? "",
        iops: volume?.Iops ?? 0,
        throughput: volume?.Throughput ?? 0,
        volumeSize: volume?.Size,
        volumeType: volume?.VolumeType,
        tagsAll: tagMap(volume?.Tags),
    };
}

/**
 * The provider's Read: the instance as it is now (a stopped one has no public IP, so
 * associatePublicIpAddress reads false); gone or terminated: undefined.
 */
export async function readInstance(
    ctx: EmulationContext,
    id: string,
    _outputs: Props,
    inputs: Props,
): Promise<Props | undefined> {
    const ec2 = clients.ec2(ctx.region);
    try {
        const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
        const state = described.Reservations?.[0]?.Instances?.[0]?.State?.Name;
        if (!state || state === "terminated") return undefined;
    } catch (err) {
        if ((err as Error).name === "InvalidInstanceID.NotFound") return undefined;
        throw err;
    }
    return instanceOutputs(ec2, ctx.region, id, inputs);
}

export async function deleteInstance(ctx: EmulationContext, id: string): Promise<void> {
    const ec2 = clients.ec2(ctx.region);
    try {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    } catch (err) {
        if ((err as Error).name === "InvalidInstanceID.NotFound") return;
        throw err;
    }
    await waitUntilInstanceTerminated(
        { client: ec2, maxWaitTime: ctx.timeoutSeconds ?? DELETE_TIMEOUT_S, ...WAITER_DELAYS },
        { InstanceIds: [id] },
    );
}
