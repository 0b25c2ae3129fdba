/**
 * Whether a helper in the operator's subnet could reach the SSM endpoints (ssm, ssmmessages,
 * ec2messages: AWS docs, Systems Manager "Use VPC endpoints" and "Troubleshooting managed node
 * availability"), read from the subnet's route table, the VPC's interface endpoints and its DHCP
 * options; and, from that, whether the helper needs a public IP and which DNS servers it must reach.
 */
import {
    DescribeDhcpOptionsCommand,
    DescribeRouteTablesCommand,
    DescribeVpcEndpointsCommand,
    DescribeVpcsCommand,
    EC2Client,
    RouteTable,
} from "@aws-sdk/client-ec2";

export const SSM_ENDPOINT_SERVICES = ["ssm", "ssmmessages", "ec2messages"];

/** What the subnet's network offers the helper (plain data: the rule over it is pure). */
export interface SubnetReach {
    vpcId: string;
    /** Where 0.0.0.0/0 goes: an internet gateway, a NAT gateway, something else (a transit gateway, an appliance), or nowhere. */
    defaultRoute: { kind: "internet-gateway" | "nat-gateway" | "other" | "none"; target?: string };
    /** SSM services with an available interface endpoint with private DNS in the VPC. */
    endpointServices: string[];
    /** DNS servers the VPC's DHCP options name other than AmazonProvidedDNS. */
    customDnsServers: string[];
    /** The subnet assigns public IPs at launch itself (MapPublicIpOnLaunch). */
    mapsPublicIp: boolean;
}

export interface ReachVerdict {
    refusal?: string;
    warning?: string;
    /** True only when the route is an internet gateway's and no endpoints serve SSM. */
    helperNeedsPublicIp: boolean;
}

export async function gatherSubnetReach(
    ec2: EC2Client,
    subnet: { id: string; vpcId: string; mapsPublicIp: boolean },
    region: string,
): Promise<SubnetReach> {
    const { id: subnetId, vpcId } = subnet;
    const tables =
        (
            await ec2.send(
                new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
            )
        ).RouteTables ?? [];
    const table =
        tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ??
        tables.find((t) => t.Associations?.some((a) => a.Main));
    const endpoints =
        (
            await ec2.send(
                new DescribeVpcEndpointsCommand({
                    Filters: [
                        { Name: "vpc-id", Values: [vpcId] },
                        { Name: "vpc-endpoint-type", Values: ["Interface"] },
                    ],
                }),
            )
        ).VpcEndpoints ?? [];
    const endpointServices = SSM_ENDPOINT_SERVICES.filter((service) =>
        endpoints.some(
            (e) =>
                e.ServiceName === `com.amazonaws.${region}.${service}` &&
                e.PrivateDnsEnabled &&
                (e.State ?? "available").toLowerCase() === "available",
        ),
    );
    return {
        vpcId,
        defaultRoute: defaultRouteOf(table),
        endpointServices,
        customDnsServers: await customDnsServers(ec2, vpcId),
        mapsPublicIp: subnet.mapsPublicIp,
    };
}

function defaultRouteOf(table: RouteTable | undefined): SubnetReach["defaultRoute"] {
    const route = table?.Routes?.find(
        (r) => r.DestinationCidrBlock === "0.0.0.0/0" && r.State !== "blackhole",
    );
    if (!route) return { kind: "none" };
    if (route.NatGatewayId) return { kind: "nat-gateway", target: route.NatGatewayId };
    if (route.GatewayId?.startsWith("igw-"))
        return { kind: "internet-gateway", target: route.GatewayId };
    const target =
        route.TransitGatewayId ??
        route.NetworkInterfaceId ??
        route.InstanceId ??
        route.VpcPeeringConnectionId ??
        route.GatewayId;
    return { kind: "other", target };
}

async function customDnsServers(ec2: EC2Client, vpcId: string): Promise<string[]> {
    const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
    if (!vpc?.DhcpOptionsId || vpc.DhcpOptionsId === "default") return [];
    const options = (
        await ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [vpc.DhcpOptionsId] }))
    ).DhcpOptions?.[0];
    const servers =
        options?.DhcpConfigurations?.find((c) => c.Key === "domain-name-servers")?.Values?.map(
            (v) => v.Value ?? "",
        ) ?? [];
    return servers.filter((s) => s && s !== "AmazonProvidedDNS");
}

/** Refuses a subnet from which the helper could not reach SSM, with the fix. */
export function evaluateReach(subnetId: string, reach: SubnetReach): ReachVerdict {
    if (reach.endpointServices.length === SSM_ENDPOINT_SERVICES.length)
        return { helperNeedsPublicIp: false };
    const route = reach.defaultRoute;
    if (route.kind === "nat-gateway") return { helperNeedsPublicIp: false };
    if (route.kind === "internet-gateway") return { helperNeedsPublicIp: true };
    if (route.kind === "other") {
        return {
            helperNeedsPublicIp: false,
            warning: `subnetId: the default route of subnet ${subnetId} goes to ${route.target}, which the preflight cannot follow; if the helper cannot reach the SSM endpoints through it, the reset fails before the target is touched (helperReadyTimeout).`,
        };
    }
    const missing = SSM_ENDPOINT_SERVICES.filter((s) => !reach.endpointServices.includes(s));
    return {
        helperNeedsPublicIp: false,
        refusal:
            `subnetId: a helper in subnet ${subnetId} could not reach SSM: its route table has no 0.0.0.0/0 route to an internet gateway or a NAT gateway, and ${reach.vpcId} has no interface endpoint with private DNS for ${missing.join(", ")}. ` +
            `Add a NAT gateway route, or the interface endpoints (com.amazonaws.<region>.ssm, .ssmmessages, .ec2messages, private DNS on), or give a public subnet, or omit subnetId for a temporary VPC.`,
    };
}

/** The helper's egress: HTTPS to the endpoints, and DNS to the VPC's own servers when it names any. */
export function helperEgress(customDnsServers: string[]): Array<{
    protocol: string;
    fromPort: number;
    toPort: number;
    cidrBlocks: string[];
    description: string;
}> {
    const https = {
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["0.0.0.0/0"],
        description: "HTTPS to the SSM endpoints",
    };
    const ips = customDnsServers
        .filter((s) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s))
        .map((s) => `${s}/32`);
    if (!ips.length) return [https];
    return [
        https,
        {
            protocol: "udp",
            fromPort: 53,
            toPort: 53,
            cidrBlocks: ips,
            description: "DNS to the VPC's DHCP-option servers",
        },
        {
            protocol: "tcp",
            fromPort: 53,
            toPort: 53,
            cidrBlocks: ips,
            description: "DNS over TCP to the VPC's DHCP-option servers",
        },
    ];
}
