/** The deployment harness with ordinary resources (@pulumi/aws, awsx) and invokes, in the emulator. */
import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import {
    DescribeInstancesCommand,
    DescribeInternetGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeSecurityGroupsCommand,
    DescribeSubnetsCommand,
    DescribeVolumesCommand,
    DescribeVpcsCommand,
    EC2Client,
} from "@aws-sdk/client-ec2";
import {
    GetInstanceProfileCommand,
    GetRoleCommand,
    IAMClient,
    ListAttachedRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeDocumentCommand, SSMClient } from "@aws-sdk/client-ssm";
import { EC2_TRUST_POLICY, SSM_CORE_POLICY_ARN } from "../../lib/helper-role";
import { deploy, DeployResult, destroy, DeploymentState, update } from "../../harness/deployment";
import { emulator } from "../hooks";

const ec2 = () => new EC2Client({ maxAttempts: 1 });
const iam = () => new IAMClient({ maxAttempts: 1 });
const ssm = () => new SSMClient({ maxAttempts: 1 });
const AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
const WRITES =
    /^(Put|Delete|Create|Run|Terminate|Attach|Detach|Modify|Associate|Disassociate|Authorize|Revoke|Add|Remove|Send|Start|Stop)/;

const byName = (state: DeploymentState, name: string) =>
    state.resources.find((r) => r.name === name)!;
const errorName = (p: Promise<unknown>) =>
    p.then(
        () => "none",
        (e: Error & { Code?: string }) => e.Code ?? e.name,
    );

/** A VPC with one public subnet, a security group, a role with SSM access, a document and an instance. */
async function helperProgram() {
    const azs = await aws.getAvailabilityZones({ state: "available" });
    const vpc = new awsx.ec2.Vpc("net", {
        availabilityZoneNames: [azs.names[0]],
        natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
        subnetSpecs: [{ type: awsx.ec2.SubnetType.Public }],
    });
    const sg = new aws.ec2.SecurityGroup("helper", {
        vpcId: vpc.vpcId,
        description: "helper: HTTPS out",
        egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
    });
    const role = new aws.iam.Role("helper", {
        assumeRolePolicy: EC2_TRUST_POLICY,
    });
    const attachment = new aws.iam.RolePolicyAttachment("helper-ssm", {
        role: role.name,
        policyArn: SSM_CORE_POLICY_ARN,
    });
    const profile = new aws.iam.InstanceProfile(
        "helper",
        { role: role.name },
        { dependsOn: [attachment] },
    );
    const document = new aws.ssm.Document("hello", {
        documentType: "Command",
        documentFormat: "JSON",
        content: JSON.stringify({
            schemaVersion: "2.2",
            description: "hello",
            mainSteps: [
                { action: "aws:runShellScript", name: "hi", inputs: { runCommand: ["echo hi"] } },
            ],
        }),
    });
    const instance = new aws.ec2.Instance("helper", {
        ami: aws.ssm.getParameterOutput({ name: AMI_PARAMETER }).value,
        instanceType: "t3.micro",
        subnetId: vpc.publicSubnetIds.apply((ids) => ids[0]),
        vpcSecurityGroupIds: [sg.id],
        iamInstanceProfile: profile.name,
        associatePublicIpAddress: true,
        metadataOptions: { httpTokens: "required" },
        rootBlockDevice: {
            encrypted: true,
            volumeSize: 20,
            volumeType: "gp3",
            deleteOnTermination: true,
        },
        tags: { Name: "helper" },
    });
    const seen = aws.ec2.getInstanceOutput({ instanceId: instance.id });
    const subnet = aws.ec2.getSubnetOutput({ id: instance.subnetId });
    return {
        vpcId: vpc.vpcId,
        publicSubnetIds: vpc.publicSubnetIds,
        securityGroupId: sg.id,
        roleName: role.name,
        profileName: profile.name,
        documentName: document.name,
        instanceId: instance.id,
        instanceState: instance.instanceState,
        rootVolumeId: instance.rootBlockDevice.volumeId,
        seenAz: seen.availabilityZone,
        seenRootDevice: seen.rootBlockDevices.apply((d) => d[0].deviceName),
        subnetVpcId: subnet.vpcId,
        region: aws.getRegionOutput().region,
        account: aws.getCallerIdentityOutput().accountId,
    };
}

describe("deployment harness: AWS resources in the emulator", function () {
    let deployed: DeployResult;
    let out: Record<string, string>;

    before(async () => {
        await emulator().reset();
        deployed = await deploy(helperProgram);
        out = deployed.outputs as Record<string, string>;
    });

    it("creates every resource, in dependency order, with the providers' outputs", () => {
        assert.equal(deployed.error, undefined);
        const at = (type: string) => deployed.state.resources.findIndex((r) => r.type === type);
        const after = (later: string, ...earlier: string[]) =>
            earlier.forEach((e) => assert.ok(at(e) < at(later), `${later} after ${e}`));
        after(
            "aws:ec2/instance:Instance",
            "awsx:ec2:Vpc",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:iam/instanceProfile:InstanceProfile",
        );
        after(
            "aws:iam/instanceProfile:InstanceProfile",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:iam/role:Role",
        );
        after("aws:ec2/securityGroup:SecurityGroup", "awsx:ec2:Vpc");
        const vpc = byName(deployed.state, "net");
        assert.deepEqual(
            [vpc.type, vpc.custom, vpc.remote, vpc.id],
            ["awsx:ec2:Vpc", false, true, out.vpcId],
        );
        assert.match(out.roleName, /^helper-[0-9a-f]{7}$/, "Pulumi's autoname");
        assert.match(out.documentName, /^hello-[0-9a-f]{7}$/);
        assert.equal(out.instanceState, "running");
        assert.deepEqual(
            [out.region, out.account, out.subnetVpcId, out.seenRootDevice],
            ["us-east-1", "123456789012", out.vpcId, "/dev/xvda"],
        );
        assert.equal(out.seenAz, "us-east-1a");
    });

    it("the resources really exist in the emulator", async () => {
        const [subnet] = (
            await ec2().send(
                new DescribeSubnetsCommand({
                    SubnetIds: out.publicSubnetIds as unknown as string[],
                }),
            )
        ).Subnets!;
        assert.deepEqual(
            [subnet.VpcId, subnet.MapPublicIpOnLaunch, subnet.AvailabilityZone],
            [out.vpcId, true, "us-east-1a"],
        );
        const tables = (
            await ec2().send(
                new DescribeRouteTablesCommand({
                    Filters: [{ Name: "association.subnet-id", Values: [subnet.SubnetId!] }],
                }),
            )
        ).RouteTables!;
        const igw = (
            await ec2().send(
                new DescribeInternetGatewaysCommand({
                    Filters: [{ Name: "attachment.vpc-id", Values: [out.vpcId] }],
                }),
            )
        ).InternetGateways![0];
        assert.ok(
            tables[0].Routes!.some(
                (r) =>
                    r.DestinationCidrBlock === "0.0.0.0/0" && r.GatewayId === igw.InternetGatewayId,
            ),
        );
        const [group] = (
            await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [out.securityGroupId] }))
        ).SecurityGroups!;
        assert.deepEqual(
            group.IpPermissionsEgress!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]),
            [["tcp", 443, 443]],
        );
        const policies = await iam().send(
            new ListAttachedRolePoliciesCommand({ RoleName: out.roleName }),
        );
        assert.deepEqual(
            policies.AttachedPolicies!.map((p) => p.PolicyArn),
            [SSM_CORE_POLICY_ARN],
        );
        const profile = await iam().send(
            new GetInstanceProfileCommand({ InstanceProfileName: out.profileName }),
        );
        assert.deepEqual(
            profile.InstanceProfile!.Roles!.map((r) => r.RoleName),
            [out.roleName],
        );
        await ssm().send(new DescribeDocumentCommand({ Name: out.documentName }));
        const instance = (
            await ec2().send(new DescribeInstancesCommand({ InstanceIds: [out.instanceId] }))
        ).Reservations![0].Instances![0];
        assert.deepEqual(
            [instance.State!.Name, instance.SubnetId, instance.MetadataOptions!.HttpTokens],
            ["running", subnet.SubnetId, "required"],
        );
        assert.ok(instance.PublicIpAddress);
        const [volume] = (
            await ec2().send(new DescribeVolumesCommand({ VolumeIds: [out.rootVolumeId] }))
        ).Volumes!;
        assert.deepEqual(
            [volume.Encrypted, volume.VolumeType, volume.Size, volume.Attachments![0].Device],
            [true, "gp3", 20, instance.RootDeviceName],
        );
    });

    it("an update with no change makes no AWS write call and keeps every output", async () => {
        const since = Date.now() / 1000;
        const again = await update(helperProgram, deployed.state);
        assert.equal(again.error, undefined);
        const writes = (await emulator().calls({ since })).filter((c) => WRITES.test(c.operation));
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
        );
        assert.deepEqual(again.outputs, deployed.outputs);
        deployed = again;
    });

    it("destroy deletes everything, dependents first", async () => {
        const since = Date.now() / 1000;
        assert.deepEqual((await destroy(deployed.state)).resources, []);
        const instance = (
            await ec2().send(new DescribeInstancesCommand({ InstanceIds: [out.instanceId] }))
        ).Reservations![0].Instances![0];
        assert.equal(instance.State!.Name, "terminated");
        assert.deepEqual(
            (
                await ec2().send(
                    new DescribeVpcsCommand({ Filters: [{ Name: "vpc-id", Values: [out.vpcId] }] }),
                )
            ).Vpcs,
            [],
        );
        assert.equal(
            await errorName(
                ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [out.securityGroupId] })),
            ),
            "InvalidGroup.NotFound",
        );
        assert.equal(
            await errorName(iam().send(new GetRoleCommand({ RoleName: out.roleName }))),
            "NoSuchEntity",
        );
        assert.equal(
            await errorName(
                iam().send(new GetInstanceProfileCommand({ InstanceProfileName: out.profileName })),
            ),
            "NoSuchEntity",
        );
        assert.equal(
            await errorName(ssm().send(new DescribeDocumentCommand({ Name: out.documentName }))),
            "InvalidDocument",
        );
        const calls = (await emulator().calls({ since })).map((c) => c.operation);
        const before = (a: string, b: string) =>
            assert.ok(
                calls.indexOf(a) >= 0 && calls.indexOf(a) < calls.indexOf(b),
                `${a} before ${b}: ${calls}`,
            );
        before("TerminateInstances", "DeleteSecurityGroup");
        before("TerminateInstances", "DeleteInstanceProfile");
        before("DeleteSecurityGroup", "DeleteVpc");
        before("DetachRolePolicy", "DeleteRole");
        before("DeleteInstanceProfile", "DeleteRole");
    });

    it("destroying again, with everything already gone, succeeds", async () => {
        assert.deepEqual((await destroy(deployed.state)).resources, []);
    });
});

describe("deployment harness: failures of ordinary resources and invokes", () => {
    beforeEach(() => emulator().reset());

    it("an AWS error fails the deployment with its message; independent resources in flight complete", async () => {
        await emulator().control("POST", "/faults", {
            operation: "CreateDocument",
            code: "AccessDeniedException",
            message: "no documents here (injected)",
        });
        const { state, error } = await deploy(() => {
            new aws.ssm.Document("doc", { documentType: "Command", content: "{}" });
            new aws.iam.Role("role", { assumeRolePolicy: "{}" });
        });
        assert.equal(error?.message, "no documents here (injected)");
        assert.deepEqual(
            state.resources.map((r) => r.name),
            ["role"],
        );
        await destroy(state);
    });

    it("a half-created awsx Vpc stays in state with its error, and destroy removes what exists", async () => {
        await emulator().control("POST", "/faults", {
            operation: "CreateSubnet",
            code: "UnauthorizedOperation",
            message: "no subnets (injected)",
        });
        const { state, error } = await deploy(() => {
            new awsx.ec2.Vpc("net", {
                availabilityZoneNames: ["us-east-1a"],
                natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
                subnetSpecs: [{ type: awsx.ec2.SubnetType.Public }],
            });
        });
        assert.equal(error?.message, "creating awsx:ec2:Vpc net: no subnets (injected)");
        const [vpc] = state.resources;
        assert.deepEqual(vpc.initErrors, [error!.message]);
        assert.match(vpc.id, /^vpc-/);
        await destroy(state);
        assert.deepEqual(
            (
                await ec2().send(
                    new DescribeVpcsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.id] }] }),
                )
            ).Vpcs,
            [],
        );
        // All but the default VPC's own gateway (which the emulator gives it, as AWS does).
        const defaultVpc = (
            await ec2().send(
                new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }),
            )
        ).Vpcs![0].VpcId;
        const gateways =
            (await ec2().send(new DescribeInternetGatewaysCommand({}))).InternetGateways ?? [];
        assert.deepEqual(
            gateways.filter((g) => !g.Attachments?.some((a) => a.VpcId === defaultVpc)),
            [],
        );
    });

    it("an invoke the harness does not emulate fails with 'Mock not implemented: <token>'", async () => {
        const { error } = await deploy(async () => {
            await aws.ec2.getVpc({ default: true });
        });
        assert.match(error?.message ?? "", /Mock not implemented: aws:ec2\/getVpc:getVpc/);
    });

    it("a resource type the table does not know fails with its type", async () => {
        const { error, state } = await deploy(() => void new aws.s3.BucketV2("b", {}));
        assert.equal(
            error?.message,
            "not emulated: aws:s3/bucketV2:BucketV2 (add it to harness/emulated-resources.ts)",
        );
        assert.deepEqual(state.resources, []);
    });
});
