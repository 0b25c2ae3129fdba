/**
 * awsx's `ec2.Vpc`, which under mocks is one opaque resource (`awsx:ec2:Vpc`, custom=false,
 * remote): created here as the VPC, internet gateway and, per availability zone and public
 * subnet spec, a subnet (public IPs on launch), route table, association and default route, as
 * awsx does with `natGateways: {strategy: "None"}`. Only public subnets are emulated.
 * A failure half-way reports the VPC id as a partial create so that a destroy removes what
 * exists, as the engine would with awsx's already-created children in state.
 */
import {
    AssociateRouteTableCommand,
    AttachInternetGatewayCommand,
    CreateInternetGatewayCommand,
    CreateRouteCommand,
    CreateRouteTableCommand,
    CreateSubnetCommand,
    CreateVpcCommand,
    DeleteInternetGatewayCommand,
    DeleteRouteTableCommand,
    DeleteSubnetCommand,
    DeleteVpcCommand,
    DescribeInternetGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeSubnetsCommand,
    DescribeVpcsCommand,
    DetachInternetGatewayCommand,
    DisassociateRouteTableCommand,
    EC2Client,
    ModifySubnetAttributeCommand,
    ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import {
    awsTags,
    clients,
    code,
    EmulationContext,
    goneIsFine,
    PartialCreateError,
    Props,
    retryWhile,
    strings,
} from "./emulated-aws";

const DEFAULT_CIDR = "10.0.0.0/16";

interface SubnetSpec {
    type?: string;
    cidrMask?: number;
    name?: string;
}

export async function createVpc(
    ctx: EmulationContext,
    inputs: Props,
): Promise<{ id: string; outputs: Props }> {
    const azs = strings(inputs.availabilityZoneNames);
    const specs = (inputs.subnetSpecs as SubnetSpec[] | undefined) ?? [{ type: "Public" }];
    checkSupported(inputs, azs, specs);
    const ec2 = clients.ec2(ctx.region);
    const cidrBlock = (inputs.cidrBlock as string | undefined) ?? DEFAULT_CIDR;
    const tags = { Name: ctx.name, ...((inputs.tags as Record<string, string>) ?? {}) };
    const vpc = await ec2.send(
        new CreateVpcCommand({
            CidrBlock: cidrBlock,
            TagSpecifications: [{ ResourceType: "vpc", Tags: awsTags(tags) }],
        }),
    );
    const vpcId = vpc.Vpc!.VpcId!;
    const built: Props = { vpcId, cidrBlock, publicSubnetIds: [] as string[] };
    try {
        await ec2.send(
            new ModifyVpcAttributeCommand({
                VpcId: vpcId,
                EnableDnsHostnames: { Value: inputs.enableDnsHostnames !== false },
            }),
        );
        const igw = await ec2.send(
            new CreateInternetGatewayCommand({
                TagSpecifications: [
                    {
                        ResourceType: "internet-gateway",
                        Tags: awsTags({ ...tags, Name: ctx.name }),
                    },
                ],
            }),
        );
        const igwId = igw.InternetGateway!.InternetGatewayId!;
        built.internetGatewayId = igwId;
        await ec2.send(
            new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }),
        );
        const blocks = subnetBlocks(cidrBlock, azs.length * specs.length, specs);
        const subnets: Props[] = [];
        for (const [a, az] of azs.entries()) {
            for (const [s, spec] of specs.entries()) {
                const subnetName = `${ctx.name}-${spec.name ?? "public"}-${a + 1}`;
                const { subnetId } = await createPublicSubnet(ec2, {
                    vpcId,
                    igwId,
                    az,
                    cidr: blocks[a * specs.length + s],
                    name: subnetName,
                    tags,
                });
                (built.publicSubnetIds as string[]).push(subnetId);
                subnets.push({
                    type: "Public",
                    subnetName,
                    subnetId,
                    availabilityZone: az,
                    cidrBlock: blocks[a * specs.length + s],
                });
            }
        }
        return { id: vpcId, outputs: vpcOutputs(built, subnets, tags) };
    } catch (err) {
        throw new PartialCreateError(
            `creating awsx:ec2:Vpc ${ctx.name}: ${(err as Error).message}`,
            vpcId,
            vpcOutputs(built, [], tags),
        );
    }
}

function checkSupported(inputs: Props, azs: string[], specs: SubnetSpec[]): void {
    if (azs.length === 0) {
        throw new Error(
            "emulated awsx:ec2:Vpc needs availabilityZoneNames (numberOfAvailabilityZones is not emulated)",
        );
    }
    const strategy = (inputs.natGateways as { strategy?: string } | undefined)?.strategy;
    if (strategy !== "None")
        throw new Error(
            `emulated awsx:ec2:Vpc supports only natGateways {strategy: "None"}, not ${strategy ?? "the default"}`,
        );
    const other = specs.find((s) => (s.type ?? "Public") !== "Public");
    if (other)
        throw new Error(
            `emulated awsx:ec2:Vpc supports only Public subnet specs, not ${other.type}`,
        );
}

export interface PublicSubnet {
    subnetId: string;
    routeTableId: string;
    associationId: string;
}

/**
 * A subnet that launches with public IPs, its own route table and a default route to the internet
 * gateway: the one builder for awsx's public subnets here and the benchmark's runbook network.
 */
export async function createPublicSubnet(
    ec2: EC2Client,
    s: {
        vpcId: string;
        igwId: string;
        az: string;
        cidr: string;
        name: string;
        tags: Record<string, string>;
    },
): Promise<PublicSubnet> {
    const subnet = await ec2.send(
        new CreateSubnetCommand({
            VpcId: s.vpcId,
            CidrBlock: s.cidr,
            AvailabilityZone: s.az,
            TagSpecifications: [
                {
                    ResourceType: "subnet",
                    Tags: awsTags({ ...s.tags, Name: s.name, SubnetType: "Public" }),
                },
            ],
        }),
    );
    const subnetId = subnet.Subnet!.SubnetId!;
    await ec2.send(
        new ModifySubnetAttributeCommand({
            SubnetId: subnetId,
            MapPublicIpOnLaunch: { Value: true },
        }),
    );
    const table = await ec2.send(
        new CreateRouteTableCommand({
            VpcId: s.vpcId,
            TagSpecifications: [
                { ResourceType: "route-table", Tags: awsTags({ ...s.tags, Name: s.name }) },
            ],
        }),
    );
    const routeTableId = table.RouteTable!.RouteTableId!;
    const { AssociationId } = await ec2.send(
        new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }),
    );
    await ec2.send(
        new CreateRouteCommand({
            RouteTableId: routeTableId,
            DestinationCidrBlock: "0.0.0.0/0",
            GatewayId: s.igwId,
        }),
    );
    return { subnetId, routeTableId, associationId: AssociationId! };
}

function vpcOutputs(built: Props, subnets: Props[], tags: Record<string, string>): Props {
    return {
        vpcId: built.vpcId,
        publicSubnetIds: built.publicSubnetIds,
        privateSubnetIds: [],
        isolatedSubnetIds: [],
        natGateways: [],
        eips: [],
        // awsx returns resources here; under mocks plain values stand for them.
        vpc: { id: built.vpcId, cidrBlock: built.cidrBlock, tags },
        internetGateway: built.internetGatewayId ? { id: built.internetGatewayId } : undefined,
        subnetLayout: subnets.map((s) => ({
            type: s.type,
            name: s.subnetName,
            cidrBlock: s.cidrBlock,
        })),
    };
}

/** Consecutive blocks from the start of the VPC's range; default mask: the VPC's + 4. */
export function subnetBlocks(vpcCidr: string, count: number, specs: SubnetSpec[]): string[] {
    const [base, bits] = vpcCidr.split("/");
    const prefix = Number(bits);
    const start = base.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const blocks: string[] = [];
    let next = start;
    for (let i = 0; i < count; i++) {
        const mask = specs[i % specs.length].cidrMask ?? Math.min(prefix + 4, 28);
        const size = 2 ** (32 - mask);
        next = Math.ceil((next - start) / size) * size + start;
        if (next + size > start + 2 ** (32 - prefix))
            throw new Error(`subnets do not fit in ${vpcCidr}`);
        blocks.push(`${toIp(next)}/${mask}`);
        next += size;
    }
    return blocks;
}

function toIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Refresh: awsx's children read back; here, whether the VPC is still there. */
export async function readVpc(
    ctx: EmulationContext,
    id: string,
    outputs: Props,
): Promise<Props | undefined> {
    try {
        const found = await clients.ec2(ctx.region).send(new DescribeVpcsCommand({ VpcIds: [id] }));
        return found.Vpcs?.length ? outputs : undefined;
    } catch (err) {
        if (code("InvalidVpcID.NotFound")(err)) return undefined;
        throw err;
    }
}

/** Everything in the VPC that awsx created, in reverse: routes go with their tables. */
export async function deleteVpc(ctx: EmulationContext, vpcId: string): Promise<void> {
    const ec2 = clients.ec2(ctx.region);
    const inVpc = [{ Name: "vpc-id", Values: [vpcId] }];
    const tables = await ec2.send(new DescribeRouteTablesCommand({ Filters: inVpc }));
    for (const table of tables.RouteTables ?? []) {
        if (table.Associations?.some((a) => a.Main)) continue;
        for (const association of table.Associations ?? []) {
            await goneIsFine(
                ec2.send(
                    new DisassociateRouteTableCommand({
                        AssociationId: association.RouteTableAssociationId,
                    }),
                ),
                "InvalidAssociationID.NotFound",
            );
        }
        await goneIsFine(
            ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId })),
            "InvalidRouteTableID.NotFound",
        );
    }
    const timeout = ctx.timeoutSeconds ?? 300;
    const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: inVpc }));
    for (const subnet of subnets.Subnets ?? []) {
        await retryWhile(code("DependencyViolation"), timeout, () =>
            goneIsFine(
                ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId })),
                "InvalidSubnetID.NotFound",
            ),
        );
    }
    const gateways = await ec2.send(
        new DescribeInternetGatewaysCommand({
            Filters: [{ Name: "attachment.vpc-id", Values: [vpcId] }],
        }),
    );
    for (const igw of gateways.InternetGateways ?? []) {
        await goneIsFine(
            ec2.send(
                new DetachInternetGatewayCommand({
                    InternetGatewayId: igw.InternetGatewayId,
                    VpcId: vpcId,
                }),
            ),
            "Gateway.NotAttached",
            "InvalidInternetGatewayID.NotFound",
        );
        await goneIsFine(
            ec2.send(
                new DeleteInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId }),
            ),
            "InvalidInternetGatewayID.NotFound",
        );
    }
    await retryWhile(code("DependencyViolation"), timeout, () =>
        goneIsFine(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })), "InvalidVpcID.NotFound"),
    );
}
