/** Reads (never changes) everything the preflight rules need, with the SDK. */
import {
    DescribeAutoScalingGroupsCommand,
    DescribeAutoScalingInstancesCommand,
} from "@aws-sdk/client-auto-scaling";
import {
    DescribeAddressesCommand,
    DescribeImagesCommand,
    DescribeInstanceAttributeCommand,
    DescribeInstanceTypeOfferingsCommand,
    DescribeInstanceTypesCommand,
    DescribeKeyPairsCommand,
    DescribePlacementGroupsCommand,
    DescribeSpotInstanceRequestsCommand,
    DescribeSubnetsCommand,
    EC2Client,
    Instance,
    _InstanceType,
} from "@aws-sdk/client-ec2";
import { DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { Clients } from "./aws-clients";
import { awsErrorCode, isNotFound } from "./aws-errors";
import { describeInstance } from "./ec2-instance";
import { describeVolume } from "./ec2-volume";
import { windowsVersionIn } from "./helper-image";
import { gatherSubnetReach } from "./subnet-reach";
import { helperTypeCandidates, TargetFacts } from "./target-facts";
import type { Platform } from "./target-context";

export interface FactsRequest {
    instanceId: string;
    region: string;
    subnetId?: string;
    /** Ask which helper types the AZ offers (skipped when the operator chose one). */
    findHelperType: boolean;
    /** Check that this key pair exists (for a Windows replacement instance). */
    newKeyName?: string;
}

export async function gatherTargetFacts(
    clients: Clients,
    request: FactsRequest,
): Promise<TargetFacts> {
    const { ec2 } = clients;
    const base = { instanceId: request.instanceId, region: request.region };
    let instance: Instance;
    try {
        instance = await describeInstance(ec2, request.instanceId);
    } catch (err) {
        const code = awsErrorCode(err);
        if (
            code === "InvalidInstanceID.NotFound" ||
            code === "InvalidInstanceID.Malformed" ||
            isNotFound(err)
        ) {
            return { ...base, found: false };
        }
        throw err;
    }
    const az = instance.Placement?.AvailabilityZone;
    const root = instance.BlockDeviceMappings?.find(
        (m) => m.DeviceName === instance.RootDeviceName,
    );
    const rootVolume = root?.Ebs?.VolumeId
        ? await describeVolume(ec2, root.Ebs.VolumeId)
        : undefined;
    const platform: Platform = instance.Platform?.toLowerCase() === "windows" ? "windows" : "linux";
    return {
        ...base,
        found: true,
        state: instance.State?.Name,
        stateReasonCode: instance.StateReason?.Code,
        hibernationConfigured: instance.HibernationOptions?.Configured ?? false,
        placement: await placementOf(ec2, instance),
        platform,
        windowsVersion:
            platform === "windows" ? await windowsVersionOf(clients, instance) : undefined,
        keyName: instance.KeyName,
        subnetId: instance.SubnetId,
        securityGroupIds: (instance.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean),
        instanceProfileName: instance.IamInstanceProfile?.Arn?.split("/").pop(),
        availabilityZone: az,
        instanceType: instance.InstanceType,
        rootDeviceType: instance.RootDeviceType,
        rootDeviceName: instance.RootDeviceName,
        rootVolumeId: root?.Ebs?.VolumeId,
        rootDeleteOnTermination: root?.Ebs?.DeleteOnTermination ?? false,
        rootEncrypted: rootVolume?.Encrypted ?? false,
        rootKmsKeyId: rootVolume?.KmsKeyId,
        instanceStoreGiB: await instanceStoreGiB(ec2, instance.InstanceType),
        stopProtection: await stopProtection(ec2, request.instanceId),
        lifecycle: instance.InstanceLifecycle,
        spotRequestType: await spotRequestType(ec2, instance.SpotInstanceRequestId),
        marketplaceProductCodes: (instance.ProductCodes ?? [])
            .filter((p) => p.ProductCodeType === "marketplace")
            .map((p) => p.ProductCodeId ?? "?"),
        publicIp: instance.PublicIpAddress,
        hasElasticIp: instance.PublicIpAddress
            ? await hasElasticIp(ec2, request.instanceId)
            : false,
        autoScaling: await autoScalingMembership(clients, request.instanceId),
        subnet: request.subnetId
            ? await subnetFacts(ec2, request.subnetId, request.region)
            : undefined,
        offeredHelperTypes:
            request.findHelperType && az
                ? await offeredHelperTypes(ec2, az, helperTypeCandidates(platform))
                : undefined,
        newKeyPair: request.newKeyName
            ? { name: request.newKeyName, found: await keyPairExists(ec2, request.newKeyName) }
            : undefined,
    };
}

/** Its tenancy, dedicated host and placement group (with the group's strategy). */
async function placementOf(ec2: EC2Client, instance: Instance): Promise<TargetFacts["placement"]> {
    const p = instance.Placement ?? {};
    const groupStrategy = p.GroupName
        ? (
              await ec2
                  .send(new DescribePlacementGroupsCommand({ GroupNames: [p.GroupName] }))
                  .catch(() => undefined)
          )?.PlacementGroups?.[0]?.Strategy
        : undefined;
    return {
        tenancy: p.Tenancy,
        hostId: p.HostId,
        groupName: p.GroupName || undefined,
        groupStrategy,
    };
}

/** From its AMI's name or description, else from what its SSM agent reported (if it ever ran). */
async function windowsVersionOf(
    { ec2, ssm }: Clients,
    instance: Instance,
): Promise<string | undefined> {
    const images = instance.ImageId
        ? ((
              await ec2
                  .send(new DescribeImagesCommand({ ImageIds: [instance.ImageId] }))
                  .catch(() => undefined)
          )?.Images ?? [])
        : [];
    const fromImage = windowsVersionIn(images[0]?.Name, images[0]?.Description);
    if (fromImage) return fromImage;
    const info = await ssm.send(
        new DescribeInstanceInformationCommand({
            Filters: [{ Key: "InstanceIds", Values: [instance.InstanceId!] }],
        }),
    );
    return windowsVersionIn(info.InstanceInformationList?.[0]?.PlatformName);
}

async function keyPairExists(ec2: EC2Client, keyName: string): Promise<boolean> {
    try {
        const out = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
        return (out.KeyPairs ?? []).length > 0;
    } catch (err) {
        if (awsErrorCode(err) === "InvalidKeyPair.NotFound") return false;
        throw err;
    }
}

async function instanceStoreGiB(ec2: EC2Client, type: string | undefined): Promise<number> {
    if (!type) return 0;
    const out = await ec2.send(
        new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] }),
    );
    const info = out.InstanceTypes?.[0];
    return info?.InstanceStorageSupported ? (info.InstanceStorageInfo?.TotalSizeInGB ?? 1) : 0;
}

async function stopProtection(ec2: EC2Client, instanceId: string): Promise<boolean> {
    const out = await ec2.send(
        new DescribeInstanceAttributeCommand({
            InstanceId: instanceId,
            Attribute: "disableApiStop",
        }),
    );
    return out.DisableApiStop?.Value ?? false;
}

async function spotRequestType(
    ec2: EC2Client,
    requestId: string | undefined,
): Promise<string | undefined> {
    if (!requestId) return undefined;
    const out = await ec2.send(
        new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [requestId] }),
    );
    return out.SpotInstanceRequests?.[0]?.Type;
}

async function hasElasticIp(ec2: EC2Client, instanceId: string): Promise<boolean> {
    const out = await ec2.send(
        new DescribeAddressesCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }),
    );
    return (out.Addresses ?? []).length > 0;
}

async function autoScalingMembership(
    clients: Clients,
    instanceId: string,
): Promise<TargetFacts["autoScaling"]> {
    const out = await clients.autoscaling.send(
        new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
    );
    const member = out.AutoScalingInstances?.[0];
    if (!member?.AutoScalingGroupName) return undefined;
    const groups = await clients.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: [member.AutoScalingGroupName],
        }),
    );
    const suspended = groups.AutoScalingGroups?.[0]?.SuspendedProcesses ?? [];
    return {
        group: member.AutoScalingGroupName,
        lifecycleState: member.LifecycleState ?? "InService",
        suspendedProcesses: suspended.map((p) => p.ProcessName ?? ""),
    };
}

async function subnetFacts(
    ec2: EC2Client,
    subnetId: string,
    region: string,
): Promise<TargetFacts["subnet"]> {
    try {
        const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
        const subnet = out.Subnets?.[0];
        const reach = subnet?.VpcId
            ? await gatherSubnetReach(
                  ec2,
                  {
                      id: subnetId,
                      vpcId: subnet.VpcId,
                      mapsPublicIp: subnet.MapPublicIpOnLaunch ?? false,
                  },
                  region,
              )
            : undefined;
        return { id: subnetId, found: !!subnet, availabilityZone: subnet?.AvailabilityZone, reach };
    } catch (err) {
        if (awsErrorCode(err) === "InvalidSubnetID.NotFound") return { id: subnetId, found: false };
        throw err;
    }
}

async function offeredHelperTypes(
    ec2: EC2Client,
    az: string,
    candidates: string[],
): Promise<string[]> {
    const out = await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({
            LocationType: "availability-zone",
            Filters: [
                { Name: "location", Values: [az] },
                { Name: "instance-type", Values: candidates },
            ],
        }),
    );
    const offered = (out.InstanceTypeOfferings ?? []).map((o) => o.InstanceType as string);
    return candidates.filter((t) => offered.includes(t));
}
