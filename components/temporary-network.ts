/**
 * The helper's temporary network: a VPC with one public subnet in the target's AZ (internet
 * gateway, route table, default route), no NAT gateway (the helper gets a public IP).
 *
 * Plain `aws.ec2` resources rather than `awsx.ec2.Vpc`, for two reasons:
 * - The AZ is an Output (read from the instance by an invoke). Plain resources take
 *   `Input<string>`; awsx types `availabilityZoneNames` as plain names, and a remote component
 *   receives an Output there as an output value that only happens to work (awsx compares the
 *   entries by identity).
 * - Each plain resource takes pulumi-aws v7's per-resource `region`, so the component's
 *   `region` argument reaches the network as it reaches every other resource; awsx's Vpc has
 *   no such argument.
 *
 * Pointing the stack at an instance in another AZ replaces the subnet, and the engine replaces
 * create-before-delete: the new subnet exists, in the same VPC, before the old one is deleted.
 * EC2 refuses a subnet whose CIDR overlaps another of the VPC (CreateSubnet:
 * `InvalidSubnet.Conflict`), so the subnet's CIDR derives from its AZ: old and new never overlap.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The VPC's range; each AZ gets its own /27 in it (subnetCidrFor). */
export const TEMPORARY_VPC_CIDR = "10.213.0.0/24";

export interface TemporaryNetworkArgs {
    /** The target's AZ: the helper must be there to take its root volume. */
    availabilityZone: pulumi.Input<string>;
    /** pulumi-aws v7's per-resource region; the aws provider's when undefined. */
    region?: pulumi.Input<string>;
}

export interface TemporaryNetwork {
    vpcId: pulumi.Output<string>;
    /** Resolves once the subnet's route to the internet gateway exists: the helper can reach SSM. */
    subnetId: pulumi.Output<string>;
}

/**
 * The /27 of TEMPORARY_VPC_CIDR for an AZ, by the AZ name's last letter (us-east-1a → 0,
 * …1b → 1): two AZs of a region never share one (no region has more than 8 AZ letters).
 */
export function subnetCidrFor(availabilityZone: string): string {
    const letter = availabilityZone.trim().toLowerCase().slice(-1);
    if (!/^[a-z]$/.test(letter)) {
        throw new Error(
            `availability zone ${JSON.stringify(availabilityZone)} does not end with a zone letter`,
        );
    }
    const index = (letter.charCodeAt(0) - "a".charCodeAt(0)) % 8;
    return `10.213.0.${index * 32}/27`;
}

/** Creates the network; `opts` carries the parent and the preflight dependency to every resource. */
export function temporaryNetwork(
    name: string,
    args: TemporaryNetworkArgs,
    opts: pulumi.CustomResourceOptions,
): TemporaryNetwork {
    const region = args.region;
    const tags = (suffix: string) => ({
        Name: `${name}-${suffix}`,
        "ec2-reset-access:temporary": "true",
    });
    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        {
            cidrBlock: TEMPORARY_VPC_CIDR,
            enableDnsSupport: true,
            enableDnsHostnames: true,
            tags: tags("vpc"),
            region,
        },
        opts,
    );
    const gateway = new aws.ec2.InternetGateway(
        `${name}-igw`,
        { vpcId: vpc.id, tags: tags("igw"), region },
        opts,
    );
    const subnet = new aws.ec2.Subnet(
        `${name}-public`,
        {
            vpcId: vpc.id,
            availabilityZone: args.availabilityZone,
            cidrBlock: pulumi.output(args.availabilityZone).apply(subnetCidrFor),
            mapPublicIpOnLaunch: true,
            tags: tags("public"),
            region,
        },
        opts,
    );
    const routes = new aws.ec2.RouteTable(
        `${name}-public`,
        { vpcId: vpc.id, tags: tags("public"), region },
        opts,
    );
    const defaultRoute = new aws.ec2.Route(
        `${name}-public-default`,
        {
            routeTableId: routes.id,
            destinationCidrBlock: "0.0.0.0/0",
            gatewayId: gateway.id,
            region,
        },
        opts,
    );
    const association = new aws.ec2.RouteTableAssociation(
        `${name}-public`,
        { subnetId: subnet.id, routeTableId: routes.id, region },
        opts,
    );
    return {
        vpcId: vpc.id,
        subnetId: pulumi.all([subnet.id, association.id, defaultRoute.id]).apply(([id]) => id),
    };
}
