/** SSM agents register only when their network reaches SSM (emulator/ssm_reach.py). */
import * as assert from "node:assert/strict";
import {
    AssociateDhcpOptionsCommand,
    AuthorizeSecurityGroupEgressCommand,
    CreateDhcpOptionsCommand,
    CreateNatGatewayCommand,
    CreateRouteCommand,
    CreateSecurityGroupCommand,
    CreateSubnetCommand,
    CreateVpcCommand,
    CreateVpcEndpointCommand,
    DescribeInternetGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeVpcsCommand,
    RevokeSecurityGroupEgressCommand,
    RunInstancesCommand,
    AllocateAddressCommand,
    AttachInternetGatewayCommand,
    CreateInternetGatewayCommand,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { ec2, instanceProfile, pingStatus, sleep } from "./ssm-support.test";
import { linuxImage } from "../support/instances";

const REGION = "us-east-1";

describe("SSM agents and the network (instant profile: a reachable agent registers at once)", () => {
    beforeEach(() => emulator().reset());

    it("the default VPC has an internet gateway and a default route to it, as on AWS", async () => {
        const { Vpcs } = await ec2().send(
            new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }),
        );
        const vpcId = Vpcs![0].VpcId!;
        const { InternetGateways } = await ec2().send(
            new DescribeInternetGatewaysCommand({
                Filters: [{ Name: "attachment.vpc-id", Values: [vpcId] }],
            }),
        );
        assert.equal(InternetGateways!.length, 1);
        const { RouteTables } = await ec2().send(
            new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
        );
        const routes = RouteTables!.flatMap((t) => t.Routes ?? []);
        assert.ok(
            routes.some(
                (r) =>
                    r.DestinationCidrBlock === "0.0.0.0/0" &&
                    r.GatewayId === InternetGateways![0].InternetGatewayId,
            ),
        );
    });

    it("an agent in a subnet with no route and no endpoints never registers; interface endpoints with private DNS let it", async () => {
        const net = await privateSubnet();
        const id = await launchIn(net.subnetId, net.groupId);
        await sleep(300);
        assert.equal(await pingStatus(id), undefined, "a helper that cannot reach SSM is listed");
        for (const service of ["ssm", "ssmmessages"]) await endpoint(net, service);
        assert.equal(await pingStatus(id), undefined, "two of the three endpoints are not enough");
        await endpoint(net, "ec2messages");
        assert.equal(await pingStatus(id), "Online");
    });

    it("a NAT gateway route lets it register; an internet gateway route only with a public IP", async () => {
        const net = await privateSubnet();
        const { RouteTables } = await ec2().send(
            new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [net.vpcId] }] }),
        );
        const main = RouteTables![0].RouteTableId!;
        const { AllocationId } = await ec2().send(new AllocateAddressCommand({ Domain: "vpc" }));
        const { NatGateway } = await ec2().send(
            new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId }),
        );
        await ec2().send(
            new CreateRouteCommand({
                RouteTableId: main,
                DestinationCidrBlock: "0.0.0.0/0",
                NatGatewayId: NatGateway!.NatGatewayId,
            }),
        );
        const behindNat = await launchIn(net.subnetId, net.groupId);
        assert.equal(await pingStatus(behindNat), "Online");

        const open = await privateSubnet("10.78");
        const { InternetGateway } = await ec2().send(new CreateInternetGatewayCommand({}));
        await ec2().send(
            new AttachInternetGatewayCommand({
                InternetGatewayId: InternetGateway!.InternetGatewayId,
                VpcId: open.vpcId,
            }),
        );
        const tables = await ec2().send(
            new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [open.vpcId] }] }),
        );
        await ec2().send(
            new CreateRouteCommand({
                RouteTableId: tables.RouteTables![0].RouteTableId,
                DestinationCidrBlock: "0.0.0.0/0",
                GatewayId: InternetGateway!.InternetGatewayId,
            }),
        );
        const privateOnly = await launchIn(open.subnetId, open.groupId);
        assert.equal(
            await pingStatus(privateOnly),
            undefined,
            "no public IP: the internet gateway does not carry its traffic",
        );
        const withPublicIp = await runInstance({
            IamInstanceProfile: { Arn: await instanceProfile() },
            NetworkInterfaces: [
                {
                    DeviceIndex: 0,
                    SubnetId: open.subnetId,
                    Groups: [open.groupId],
                    AssociatePublicIpAddress: true,
                },
            ],
        });
        assert.equal(await pingStatus(withPublicIp), "Online");
    });

    it("with custom DNS servers in the VPC's DHCP options, it registers only when its group allows TCP and UDP 53", async () => {
        const net = await privateSubnet();
        for (const service of ["ssm", "ssmmessages", "ec2messages"]) await endpoint(net, service);
        const { DhcpOptions } = await ec2().send(
            new CreateDhcpOptionsCommand({
                DhcpConfigurations: [{ Key: "domain-name-servers", Values: ["10.77.0.2"] }],
            }),
        );
        await ec2().send(
            new AssociateDhcpOptionsCommand({
                DhcpOptionsId: DhcpOptions!.DhcpOptionsId,
                VpcId: net.vpcId,
            }),
        );
        const id = await launchIn(net.subnetId, net.groupId);
        assert.equal(
            await pingStatus(id),
            undefined,
            "HTTPS only cannot resolve through the custom servers",
        );
        await egress(net.groupId, "udp", 53);
        assert.equal(
            await pingStatus(id),
            undefined,
            "UDP alone is not enough: large answers fall back to TCP",
        );
        await egress(net.groupId, "tcp", 53);
        assert.equal(await pingStatus(id), "Online");
    });

    it("an agent fault keeps matching instances from ever registering (a role still propagating, a proxy)", async () => {
        await emulator().control("POST", "/ssm-agent-faults", {
            tagKey: "ec2-reset-access:helper-for",
        });
        const profile = await instanceProfile();
        const tagged = await runInstance({
            IamInstanceProfile: { Arn: profile },
            TagSpecifications: [
                {
                    ResourceType: "instance",
                    Tags: [{ Key: "ec2-reset-access:helper-for", Value: "i-1" }],
                },
            ],
        });
        const plain = await runInstance({ IamInstanceProfile: { Arn: profile } });
        assert.equal(await pingStatus(tagged), undefined);
        assert.equal(await pingStatus(plain), "Online");
        await emulator().control("DELETE", "/ssm-agent-faults");
        assert.equal(await pingStatus(tagged), "Online");
    });
});

interface Net {
    vpcId: string;
    subnetId: string;
    groupId: string;
}

/** A VPC with one subnet, no gateway, and a group allowing egress HTTPS only. */
async function privateSubnet(prefix = "10.77"): Promise<Net> {
    const { Vpc } = await ec2().send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }));
    const vpcId = Vpc!.VpcId!;
    const { Subnet } = await ec2().send(
        new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: `${prefix}.1.0/24`,
            AvailabilityZone: `${REGION}a`,
        }),
    );
    const { GroupId } = await ec2().send(
        new CreateSecurityGroupCommand({
            GroupName: `https-only-${Date.now()}`,
            Description: "https only",
            VpcId: vpcId,
        }),
    );
    await ec2().send(
        new RevokeSecurityGroupEgressCommand({
            GroupId,
            IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        }),
    );
    await egress(GroupId!, "tcp", 443);
    return { vpcId, subnetId: Subnet!.SubnetId!, groupId: GroupId! };
}

async function egress(groupId: string, protocol: string, port: number): Promise<void> {
    await ec2().send(
        new AuthorizeSecurityGroupEgressCommand({
            GroupId: groupId,
            IpPermissions: [
                {
                    IpProtocol: protocol,
                    FromPort: port,
                    ToPort: port,
                    IpRanges: [{ CidrIp: "0.0.0.0/0" }],
                },
            ],
        }),
    );
}

async function endpoint(net: Net, service: string): Promise<void> {
    await ec2().send(
        new CreateVpcEndpointCommand({
            VpcId: net.vpcId,
            ServiceName: `com.amazonaws.${REGION}.${service}`,
            VpcEndpointType: "Interface",
            SubnetIds: [net.subnetId],
            SecurityGroupIds: [net.groupId],
            PrivateDnsEnabled: true,
        }),
    );
}

async function launchIn(subnetId: string, groupId: string): Promise<string> {
    return runInstance({
        IamInstanceProfile: { Arn: await instanceProfile() },
        SubnetId: subnetId,
        SecurityGroupIds: [groupId],
    });
}

async function runInstance(extra: Record<string, unknown>): Promise<string> {
    const { Instances } = await ec2().send(
        new RunInstancesCommand({
            ImageId: await linuxImage(),
            InstanceType: "t3.micro",
            MinCount: 1,
            MaxCount: 1,
            ...extra,
        }),
    );
    return Instances![0].InstanceId!;
}
