/**
 * The plain `aws.ec2` network resources (the component's temporary network): VPC, internet
 * gateway (attached when given a vpcId), subnet, route table, route, association. Each takes
 * pulumi-aws v7's per-resource `region` (the operation's context carries it). Overlapping
 * subnet CIDRs in one VPC are refused by the emulator as by EC2 (`InvalidSubnet.Conflict`,
 * CreateSubnet; moto's subnets model checks it), which is what a create-before-delete
 * replacement of a subnet with the same CIDR meets.
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
    DeleteRouteCommand,
    DeleteRouteTableCommand,
    DeleteSubnetCommand,
    DeleteVpcCommand,
    DescribeInternetGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeSubnetsCommand,
    DescribeVpcsCommand,
    DetachInternetGatewayCommand,
    DisassociateRouteTableCommand,
    ModifySubnetAttributeCommand,
    ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import {
    accountId,
    awsTags,
    clients,
    code,
    EmulationContext,
    goneIsFine,
    Props,
    retryWhile,
} from "./emulated-aws";

type Created = Promise<{ id: string; outputs: Props }>;

/** The stored outputs while `lookup` finds the thing; undefined once it is gone. */
async function stillThere(
    lookup: () => Promise<unknown[] | undefined>,
    outputs: Props,
    ...goneCodes: string[]
): Promise<Props | undefined> {
    try {
        return (await lookup())?.length ? outputs : undefined;
    } catch (err) {
        if (code(...goneCodes)(err)) return undefined;
        throw err;
    }
}

function tagged(resourceType: string, tags: unknown) {
    const list = awsTags(tags);
    return list.length ? [{ ResourceType: resourceType as never, Tags: list }] : undefined;
}

// --- aws:ec2/vpc:Vpc ---------------------------------------------------------------------------

async function createVpc(ctx: EmulationContext, inputs: Props): Created {
    const ec2 = clients.ec2(ctx.region);
    const created = await ec2.send(
        new CreateVpcCommand({
            CidrBlock: String(inputs.cidrBlock),
            TagSpecifications: tagged("vpc", inputs.tags),
        }),
    );
    const vpc = created.Vpc!;
    const id = vpc.VpcId!;
    // As the provider does: only settings that differ from a new VPC's (DNS support on, hostnames off).
    if (inputs.enableDnsSupport === false)
        await ec2.send(
            new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: false } }),
        );
    if (inputs.enableDnsHostnames === true)
        await ec2.send(
            new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: true } }),
        );
    const tables = await ec2.send(
        new DescribeRouteTablesCommand({
            Filters: [
                { Name: "vpc-id", Values: [id] },
                { Name: "association.main", Values: ["true"] },
            ],
        }),
    );
    const account = await accountId(ctx.region);
    return {
        id,
        outputs: {
            ...inputs,
            id,
            region: ctx.region,
            arn: `arn:aws:ec2:${ctx.region}:${account}:vpc/${id}`,
            ownerId: account,
            enableDnsSupport: inputs.enableDnsSupport !== false,
            enableDnsHostnames: inputs.enableDnsHostnames === true,
            mainRouteTableId: tables.RouteTables?.[0]?.RouteTableId ?? "",
            defaultRouteTableId: tables.RouteTables?.[0]?.RouteTableId ?? "",
            instanceTenancy: vpc.InstanceTenancy ?? "default",
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteVpc(ctx: EmulationContext, id: string): Promise<void> {
    // What the VPC still holds (an instance's interface being released) clears within minutes: the provider retries.
    await retryWhile(code("DependencyViolation"), ctx.timeoutSeconds ?? 300, () =>
        goneIsFine(
            clients.ec2(ctx.region).send(new DeleteVpcCommand({ VpcId: id })),
            "InvalidVpcID.NotFound",
        ),
    );
}

function readVpc(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        async () =>
            (await clients.ec2(ctx.region).send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs,
        outputs,
        "InvalidVpcID.NotFound",
    );
}

// --- aws:ec2/internetGateway:InternetGateway ----------------------------------------------------

async function createInternetGateway(ctx: EmulationContext, inputs: Props): Created {
    const ec2 = clients.ec2(ctx.region);
    const created = await ec2.send(
        new CreateInternetGatewayCommand({
            TagSpecifications: tagged("internet-gateway", inputs.tags),
        }),
    );
    const id = created.InternetGateway!.InternetGatewayId!;
    if (inputs.vpcId)
        await ec2.send(
            new AttachInternetGatewayCommand({
                InternetGatewayId: id,
                VpcId: String(inputs.vpcId),
            }),
        );
    const account = await accountId(ctx.region);
    return {
        id,
        outputs: {
            ...inputs,
            id,
            region: ctx.region,
            arn: `arn:aws:ec2:${ctx.region}:${account}:internet-gateway/${id}`,
            ownerId: account,
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteInternetGateway(
    ctx: EmulationContext,
    id: string,
    outputs: Props,
): Promise<void> {
    const ec2 = clients.ec2(ctx.region);
    const timeout = ctx.timeoutSeconds ?? 1200;
    // Detaching waits while public addresses are mapped in the VPC (DependencyViolation): the provider retries.
    if (outputs.vpcId) {
        await retryWhile(code("DependencyViolation"), timeout, () =>
            goneIsFine(
                ec2.send(
                    new DetachInternetGatewayCommand({
                        InternetGatewayId: id,
                        VpcId: String(outputs.vpcId),
                    }),
                ),
                "Gateway.NotAttached",
                "InvalidInternetGatewayID.NotFound",
            ),
        );
    }
    await retryWhile(code("DependencyViolation"), timeout, () =>
        goneIsFine(
            ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })),
            "InvalidInternetGatewayID.NotFound",
        ),
    );
}

function readInternetGateway(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        async () =>
            (
                await clients
                    .ec2(ctx.region)
                    .send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))
            ).InternetGateways,
        outputs,
        "InvalidInternetGatewayID.NotFound",
    );
}

// --- aws:ec2/subnet:Subnet ---------------------------------------------------------------------

async function createSubnet(ctx: EmulationContext, inputs: Props): Created {
    const ec2 = clients.ec2(ctx.region);
    const created = await ec2.send(
        new CreateSubnetCommand({
            VpcId: String(inputs.vpcId),
            CidrBlock: inputs.cidrBlock as string | undefined,
            AvailabilityZone: inputs.availabilityZone as string | undefined,
            TagSpecifications: tagged("subnet", inputs.tags),
        }),
    );
    const subnet = created.Subnet!;
    const id = subnet.SubnetId!;
    if (inputs.mapPublicIpOnLaunch === true) {
        await ec2.send(
            new ModifySubnetAttributeCommand({
                SubnetId: id,
                MapPublicIpOnLaunch: { Value: true },
            }),
        );
    }
    return {
        id,
        outputs: {
            ...inputs,
            id,
            region: ctx.region,
            arn: subnet.SubnetArn,
            ownerId: subnet.OwnerId,
            availabilityZone: subnet.AvailabilityZone,
            availabilityZoneId: subnet.AvailabilityZoneId,
            cidrBlock: subnet.CidrBlock,
            mapPublicIpOnLaunch: inputs.mapPublicIpOnLaunch === true,
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteSubnet(ctx: EmulationContext, id: string): Promise<void> {
    // An instance being terminated still holds an interface in it: the provider retries.
    await retryWhile(code("DependencyViolation"), ctx.timeoutSeconds ?? 1200, () =>
        goneIsFine(
            clients.ec2(ctx.region).send(new DeleteSubnetCommand({ SubnetId: id })),
            "InvalidSubnetID.NotFound",
        ),
    );
}

function readSubnet(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        async () =>
            (await clients.ec2(ctx.region).send(new DescribeSubnetsCommand({ SubnetIds: [id] })))
                .Subnets,
        outputs,
        "InvalidSubnetID.NotFound",
    );
}

// --- aws:ec2/routeTable:RouteTable, aws:ec2/route:Route, aws:ec2/routeTableAssociation:RouteTableAssociation

async function createRouteTable(ctx: EmulationContext, inputs: Props): Created {
    const created = await clients.ec2(ctx.region).send(
        new CreateRouteTableCommand({
            VpcId: String(inputs.vpcId),
            TagSpecifications: tagged("route-table", inputs.tags),
        }),
    );
    const id = created.RouteTable!.RouteTableId!;
    const account = await accountId(ctx.region);
    return {
        id,
        outputs: {
            ...inputs,
            id,
            region: ctx.region,
            arn: `arn:aws:ec2:${ctx.region}:${account}:route-table/${id}`,
            ownerId: account,
            routes: [],
            tags: inputs.tags ?? {},
            tagsAll: inputs.tags ?? {},
        },
    };
}

async function deleteRouteTable(ctx: EmulationContext, id: string): Promise<void> {
    await retryWhile(code("DependencyViolation"), ctx.timeoutSeconds ?? 300, () =>
        goneIsFine(
            clients.ec2(ctx.region).send(new DeleteRouteTableCommand({ RouteTableId: id })),
            "InvalidRouteTableID.NotFound",
        ),
    );
}

function readRouteTable(ctx: EmulationContext, id: string, outputs: Props) {
    return stillThere(
        async () =>
            (
                await clients
                    .ec2(ctx.region)
                    .send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))
            ).RouteTables,
        outputs,
        "InvalidRouteTableID.NotFound",
    );
}

/** A route's id has the provider's shape: `r-<table id>` and a number derived from the destination. */
async function createRoute(ctx: EmulationContext, inputs: Props): Created {
    await clients.ec2(ctx.region).send(
        new CreateRouteCommand({
            RouteTableId: String(inputs.routeTableId),
            DestinationCidrBlock: String(inputs.destinationCidrBlock),
            GatewayId: inputs.gatewayId as string | undefined,
        }),
    );
    const id = `r-${inputs.routeTableId}${hashCode(String(inputs.destinationCidrBlock))}`;
    return {
        id,
        outputs: { ...inputs, id, region: ctx.region, origin: "CreateRoute", state: "active" },
    };
}

async function deleteRoute(ctx: EmulationContext, _id: string, outputs: Props): Promise<void> {
    await goneIsFine(
        clients.ec2(ctx.region).send(
            new DeleteRouteCommand({
                RouteTableId: String(outputs.routeTableId),
                DestinationCidrBlock: String(outputs.destinationCidrBlock),
            }),
        ),
        "InvalidRoute.NotFound",
        "InvalidRouteTableID.NotFound",
    );
}

async function readRoute(ctx: EmulationContext, _id: string, outputs: Props) {
    const tables = await readRouteTable(ctx, String(outputs.routeTableId), outputs);
    if (!tables) return undefined;
    const { RouteTables } = await clients
        .ec2(ctx.region)
        .send(new DescribeRouteTablesCommand({ RouteTableIds: [String(outputs.routeTableId)] }));
    return RouteTables?.[0]?.Routes?.some(
        (r) => r.DestinationCidrBlock === outputs.destinationCidrBlock,
    )
        ? outputs
        : undefined;
}

async function createAssociation(ctx: EmulationContext, inputs: Props): Created {
    const created = await clients.ec2(ctx.region).send(
        new AssociateRouteTableCommand({
            RouteTableId: String(inputs.routeTableId),
            SubnetId: inputs.subnetId as string | undefined,
        }),
    );
    const id = created.AssociationId!;
    return { id, outputs: { ...inputs, id, region: ctx.region } };
}

async function deleteAssociation(ctx: EmulationContext, id: string): Promise<void> {
    await goneIsFine(
        clients.ec2(ctx.region).send(new DisassociateRouteTableCommand({ AssociationId: id })),
        "InvalidAssociationID.NotFound",
    );
}

async function readAssociation(ctx: EmulationContext, id: string, outputs: Props) {
    const { RouteTables } = await clients.ec2(ctx.region).send(
        new DescribeRouteTablesCommand({
            Filters: [{ Name: "association.route-table-association-id", Values: [id] }],
        }),
    );
    return RouteTables?.length ? outputs : undefined;
}

/** A positive 32-bit hash of the text (stands in for the provider's; only its shape matters here). */
function hashCode(text: string): number {
    let hash = 0;
    for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
    return Math.abs(hash);
}

export const NETWORK_RESOURCES = {
    "aws:ec2/vpc:Vpc": {
        create: createVpc,
        delete: (ctx: EmulationContext, id: string) => deleteVpc(ctx, id),
        read: readVpc,
    },
    "aws:ec2/internetGateway:InternetGateway": {
        create: createInternetGateway,
        delete: deleteInternetGateway,
        read: readInternetGateway,
    },
    "aws:ec2/subnet:Subnet": {
        create: createSubnet,
        delete: (ctx: EmulationContext, id: string) => deleteSubnet(ctx, id),
        read: readSubnet,
    },
    "aws:ec2/routeTable:RouteTable": {
        create: createRouteTable,
        delete: (ctx: EmulationContext, id: string) => deleteRouteTable(ctx, id),
        read: readRouteTable,
    },
    "aws:ec2/route:Route": { create: createRoute, delete: deleteRoute, read: readRoute },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        create: createAssociation,
        delete: (ctx: EmulationContext, id: string) => deleteAssociation(ctx, id),
        read: readAssociation,
    },
};
