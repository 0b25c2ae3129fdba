/**
 * The preflight and the generated key, each loaded from its serialized form as the host loads
 * it, against the emulator; and the diff every custom step shares. For a Windows target: the
 * platform and version read from the instance, the helper's AMI resolved from AWS's public
 * parameter of another version, the key pairs checked, and no SSH key made.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
    AllocateAddressCommand,
    AssociateDhcpOptionsCommand,
    AttachInternetGatewayCommand,
    CreateInternetGatewayCommand,
    CreateDhcpOptionsCommand,
    CreateImageCommand,
    CreateNatGatewayCommand,
    CreateRouteCommand,
    DescribeRouteTablesCommand,
    CreateKeyPairCommand,
    CreateSubnetCommand,
    CreateVpcCommand,
    EC2Client,
    RunInstancesCommand,
    waitUntilImageAvailable,
    waitUntilInstanceRunning,
} from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import {
    GetParameterCommand,
    GetParameterHistoryCommand,
    ListTagsForResourceCommand,
    PutParameterCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { GeneratedSshKey } from "../../dynamic-providers/generated-ssh-key";
import { TargetPreflight } from "../../dynamic-providers/target-preflight";
import { emulator } from "../hooks";
import { AZ, contextOf, createTarget, createWindowsTarget, REGION } from "../../rehearsal/targets";
import { createSsmInstanceProfile, uniqueName } from "../../rehearsal/ssm-profile";
import { hostedProvider } from "../../harness/serialized-provider";
import { createTestKey } from "../support/kms-keys";
import { skipWith } from "../support/requirements";

type Provider = pulumi.dynamic.ResourceProvider;

/** `ssh-keygen -y` of a private key: its public key line, with the comment. */
function publicKeyOf(privateKey: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "key-"));
    try {
        fs.writeFileSync(path.join(dir, "id"), privateKey, { mode: 0o600 });
        return execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "id")], {
            encoding: "utf8",
        }).trim();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("preflight and generated key (host-loaded providers)", () => {
    const ec2 = new EC2Client({});
    const ssm = new SSMClient({});
    let preflight: Provider;
    let key: Provider;

    before(async () => {
        preflight = await hostedProvider(
            () =>
                new TargetPreflight("preflight", {
                    instanceId: "i-0",
                    region: REGION,
                    rotation: "1",
                }),
        );
        key = await hostedProvider(
            () =>
                new GeneratedSshKey("key", {
                    instanceId: "i-0",
                    parameterName: "/x",
                    keyType: "ed25519",
                    rotation: "1",
                    region: REGION,
                    platform: "linux",
                }),
        );
    });

    beforeEach(() => emulator().reset());

    const inputs = (instanceId: string, extra: Record<string, unknown> = {}) => ({
        instanceId,
        region: REGION,
        rotation: "1",
        ...extra,
    });

    it("records what every later step needs, and chooses the helper type offered in the AZ", async () => {
        const target = await createTarget(ec2);
        const { outs } = await preflight.create!(inputs(target.InstanceId!));
        assert.deepEqual(outs.context, contextOf(target));
        assert.equal(outs.availabilityZone, AZ);
        assert.equal(outs.chosenHelperInstanceType, "t3.small");
        const writes = (await emulator().calls()).filter(
            (c) => !/^(Describe|Get|List)/.test(c.operation) && c.operation !== "RunInstances",
        );
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
            "the preflight only reads",
        );
    });

    it("refuses a missing instance, naming the region", async () => {
        await assert.rejects(preflight.create!(inputs("i-0123456789abcdef0")), {
            message:
                "refused before touching anything: instanceId: instance i-0123456789abcdef0 was not found in us-east-1; check the id, and the region (config aws:region or the region argument).",
        });
    });

    it("refuses stop protection and a subnet in another AZ at once", async () => {
        const target = await createTarget(ec2, { disableApiStop: true });
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16" }));
        const subnet = await ec2.send(
            new CreateSubnetCommand({
                VpcId: vpc.Vpc!.VpcId,
                CidrBlock: "10.9.1.0/24",
                AvailabilityZone: "us-east-1b",
            }),
        );
        const id = target.InstanceId!;
        const subnetId = subnet.Subnet!.SubnetId!;
        await assert.rejects(preflight.create!(inputs(id, { subnetId })), {
            message: [
                "refused before touching anything:",
                `- instanceId: ${id} has stop protection on; turn it off (aws ec2 modify-instance-attribute --instance-id ${id} --no-disable-api-stop), then run again.`,
                `- subnetId: subnet ${subnetId} is in us-east-1b but ${id} is in ${AZ}; give a subnet in ${AZ}, or omit subnetId for a temporary VPC.`,
                `- subnetId: a helper in subnet ${subnetId} could not reach SSM: its route table has no 0.0.0.0/0 route to an internet gateway or a NAT gateway, and ${vpc.Vpc!.VpcId} has no interface endpoint with private DNS for ssm, ssmmessages, ec2messages. ` +
                    "Add a NAT gateway route, or the interface endpoints (com.amazonaws.<region>.ssm, .ssmmessages, .ec2messages, private DNS on), or give a public subnet, or omit subnetId for a temporary VPC.",
            ].join("\n"),
        });
    });

    it("reads the subnet's reach: refuses one without a route to SSM; a public IP asked for only where the route needs one and the subnet assigns none; the VPC's DNS", async () => {
        const target = await createTarget(ec2);
        const id = target.InstanceId!;
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16" }));
        const vpcId = vpc.Vpc!.VpcId!;
        const subnetId = (
            await ec2.send(
                new CreateSubnetCommand({
                    VpcId: vpcId,
                    CidrBlock: "10.9.1.0/24",
                    AvailabilityZone: AZ,
                }),
            )
        ).Subnet!.SubnetId!;
        await assert.rejects(preflight.create!(inputs(id, { subnetId })), /could not reach SSM/);

        const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
        const nat = await ec2.send(
            new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId }),
        );
        const table = (
            await ec2.send(
                new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
            )
        ).RouteTables![0];
        await ec2.send(
            new CreateRouteCommand({
                RouteTableId: table.RouteTableId,
                DestinationCidrBlock: "0.0.0.0/0",
                NatGatewayId: nat.NatGateway!.NatGatewayId,
            }),
        );
        const { DhcpOptions } = await ec2.send(
            new CreateDhcpOptionsCommand({
                DhcpConfigurations: [
                    { Key: "domain-name-servers", Values: ["10.9.0.2", "AmazonProvidedDNS"] },
                ],
            }),
        );
        await ec2.send(
            new AssociateDhcpOptionsCommand({
                DhcpOptionsId: DhcpOptions!.DhcpOptionsId,
                VpcId: vpcId,
            }),
        );
        assert.deepEqual((await preflight.create!(inputs(id, { subnetId }))).outs.helperNetwork, {
            publicIp: false,
            dnsServers: ["10.9.0.2"],
        });

        assert.deepEqual(
            (await preflight.create!(inputs(id, { subnetId: target.SubnetId }))).outs.helperNetwork,
            { publicIp: false, dnsServers: [] },
            "the default subnet routes to its internet gateway and assigns public IPs itself",
        );
        assert.deepEqual(
            (await preflight.create!(inputs(id))).outs.helperNetwork,
            { publicIp: false, dnsServers: [] },
            "the temporary VPC's subnet assigns them too",
        );

        const igwVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.8.0.0/16" }))).Vpc!
            .VpcId!;
        const igwSubnet = (
            await ec2.send(
                new CreateSubnetCommand({
                    VpcId: igwVpc,
                    CidrBlock: "10.8.1.0/24",
                    AvailabilityZone: AZ,
                }),
            )
        ).Subnet!.SubnetId!;
        const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
        await ec2.send(
            new AttachInternetGatewayCommand({
                InternetGatewayId: InternetGateway!.InternetGatewayId,
                VpcId: igwVpc,
            }),
        );
        const igwTable = (
            await ec2.send(
                new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [igwVpc] }] }),
            )
        ).RouteTables![0];
        await ec2.send(
            new CreateRouteCommand({
                RouteTableId: igwTable.RouteTableId,
                DestinationCidrBlock: "0.0.0.0/0",
                GatewayId: InternetGateway!.InternetGatewayId,
            }),
        );
        assert.deepEqual(
            (await preflight.create!(inputs(id, { subnetId: igwSubnet }))).outs.helperNetwork,
            { publicIp: true, dnsServers: [] },
            "an internet gateway route in a subnet that assigns no public IP: the helper asks for one",
        );
    });

    it("refuses an instance type with instance-store volumes unless allowed", async function () {
        const target = await createTarget(ec2, { instanceType: "m5d.large" });
        const refused = await preflight.create!(inputs(target.InstanceId!)).then(
            () => undefined,
            (err: Error) => err.message,
        );
        if (!refused) skipWith(this, "the emulator reports no instance storage for m5d.large");
        assert.match(
            refused,
            /\(m5d\.large\) has \d+ GiB of instance-store volumes, whose data is lost when it stops; copy what you need, then set allowInstanceStoreLoss: true\.$/,
        );
        await preflight.create!(inputs(target.InstanceId!, { allowInstanceStoreLoss: true }));
    });

    it("diff: nothing changed is no change; a new rotation replaces", async () => {
        const olds = { ...inputs("i-1"), context: { instanceId: "i-1" }, __provider: "old code" };
        assert.deepEqual(
            await preflight.diff!("id", olds, { ...inputs("i-1"), __provider: "new code" }),
            { changes: false, replaces: [], deleteBeforeReplace: false },
        );
        assert.deepEqual(await preflight.diff!("id", olds, { ...inputs("i-1"), rotation: "2" }), {
            changes: true,
            replaces: ["rotation"],
            deleteBeforeReplace: false,
        });
    });

    it("diff: other warnings from check (there for pulumi preview to show) are no change", async () => {
        const olds = {
            ...inputs("i-1"),
            warnings: ["i-1: its public IP 3.3.3.3 will change"],
            __provider: "old code",
        };
        const news = {
            ...inputs("i-1"),
            warnings: ["i-1: its public IP 4.4.4.4 will change"],
            __provider: "new code",
        };
        assert.deepEqual(await preflight.diff!("id", olds, news), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });

    it("the generated key: a SecureString under KMS, outputs without the private key; kept at delete unless asked", async () => {
        await createTestKey(new KMSClient({}), "enabled", "reset");
        const args = {
            instanceId: "i-0123456789abcdef0",
            parameterName: "/ec2rl/openssh/i-0123456789abcdef0/key",
            keyType: "ed25519",
            rotation: "1",
            region: REGION,
            kmsKeyId: "alias/reset",
        };
        const { id, outs } = await key.create!(args);
        assert.deepEqual(
            Object.keys(outs).sort(),
            [...Object.keys(args), "fingerprint", "parameterVersion", "publicKey"].sort(),
        );
        assert.match(outs.publicKey, /^ssh-ed25519 AAAA\S+ ec2-reset-access@i-0123456789abcdef0$/);
        assert.match(outs.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
        const stored = await ssm.send(
            new GetParameterCommand({ Name: args.parameterName, WithDecryption: false }),
        );
        assert.equal(stored.Parameter!.Type, "SecureString");
        await key.delete!(id, outs);
        await ssm.send(new GetParameterCommand({ Name: args.parameterName }));
        await key.delete!(id, { ...outs, deleteParameterOnDestroy: true });
        await assert.rejects(ssm.send(new GetParameterCommand({ Name: args.parameterName })), {
            name: "ParameterNotFound",
        });
        await key.delete!(id, { ...outs, deleteParameterOnDestroy: true }); // already gone is success
    });

    describe("the key parameter's lifecycle", () => {
        const instanceId = "i-0123456789abcdef0";
        const name = `/ec2rl/openssh/${instanceId}/key`;
        const args = (rotation: string) => ({
            instanceId,
            parameterName: name,
            keyType: "ed25519",
            rotation,
            region: REGION,
            deleteParameterOnDestroy: true,
        });
        const stored = async () =>
            (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })))
                .Parameter!;
        const history = async () =>
            (await ssm.send(new GetParameterHistoryCommand({ Name: name }))).Parameters!.length;

        it("is created tagged ec2-reset-access:for=<instanceId>; a rotation re-creates it, so its history holds the current key only", async () => {
            const first = await key.create!(args("1"));
            const tags = (
                await ssm.send(
                    new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: name }),
                )
            ).TagList;
            assert.deepEqual(Object.fromEntries(tags!.map((t) => [t.Key, t.Value])), {
                "ec2-reset-access:for": instanceId,
                "ec2-reset-access:fingerprint": first.outs.fingerprint,
            });
            const second = await key.create!(args("2"));
            assert.notEqual(second.outs.fingerprint, first.outs.fingerprint);
            assert.equal(await history(), 1, "GetParameterHistory shows no earlier key");
            assert.equal(second.outs.parameterVersion, 1);
            assert.equal(publicKeyOf((await stored()).Value!), second.outs.publicKey);
        });

        it("create before delete (the engine's replacement): the old key's delete leaves the new key", async () => {
            const old = await key.create!(args("1"));
            const replacement = await key.create!(args("2"));
            await key.delete!(old.id, old.outs);
            assert.equal(
                publicKeyOf((await stored()).Value!),
                replacement.outs.publicKey,
                "the current key is still there",
            );
            await key.delete!(replacement.id, replacement.outs);
            await assert.rejects(stored(), { name: "ParameterNotFound" });
        });

        it("delete before create (deleteBeforeReplace): the old key goes, the new one is stored", async () => {
            const old = await key.create!(args("1"));
            await key.delete!(old.id, old.outs);
            await assert.rejects(stored(), { name: "ParameterNotFound" });
            const replacement = await key.create!(args("2"));
            assert.equal(publicKeyOf((await stored()).Value!), replacement.outs.publicKey);
        });

        it("a parameter without the tag (a mistyped name, the runbook's earlier key) is refused by the preflight and never overwritten", async () => {
            const target = await createTarget(ec2);
            const id = target.InstanceId!;
            const theirs = `/ec2rl/openssh/${id}/key`;
            await ssm.send(
                new PutParameterCommand({
                    Name: theirs,
                    Type: "SecureString",
                    Value: "the runbook's key",
                }),
            );
            const expected =
                `keyParameterName: the parameter ${theirs} exists and has no ec2-reset-access:for tag, so it is not this tool's key for ${id} ` +
                "(a mistyped name, or a key the runbook stored earlier); this tool never overwrites it. Choose another keyParameterName, " +
                `or, if it is ${id}'s earlier key and nobody needs it, delete it (aws ssm delete-parameter --name ${theirs}), then run again.`;
            await assert.rejects(preflight.create!(inputs(id, { keyParameterName: theirs })), {
                message: `refused before touching anything: ${expected}`,
            });
            await assert.rejects(
                key.create!({ ...args("1"), instanceId: id, parameterName: theirs }),
                { message: expected },
            );
            assert.equal(
                (await ssm.send(new GetParameterCommand({ Name: theirs, WithDecryption: true })))
                    .Parameter!.Value,
                "the runbook's key",
            );
        });
    });

    describe("for a Windows target", () => {
        const windowsParameter = (version: string) =>
            `/aws/service/ami-windows-latest/Windows_Server-${version}-English-Full-Base`;
        const imageOf = async (version: string) =>
            (await ssm.send(new GetParameterCommand({ Name: windowsParameter(version) })))
                .Parameter!.Value!;

        it("records the platform, a 4 GiB helper type, and the AMI of a Windows Server of another version", async () => {
            await ec2.send(new CreateKeyPairCommand({ KeyName: "ops" }));
            const target = await createWindowsTarget(ec2, { version: "2022", keyName: "ops" });
            const { outs } = await preflight.create!(inputs(target.InstanceId!));
            assert.equal(outs.platform, "windows");
            assert.deepEqual(outs.context, contextOf(target));
            assert.equal(outs.context.platform, "windows");
            assert.equal(outs.chosenHelperInstanceType, "t3.medium");
            assert.equal(outs.helperImageParameter, windowsParameter("2019"));
            assert.equal(outs.helperImageId, await imageOf("2019"));
            assert.equal(outs.targetKeyName, "ops");
            assert.deepEqual(
                outs.warnings.filter((w: string) => !w.includes("public IP")),
                [],
                "no warning about the key pair or the version",
            );
        });

        it("reads the version from the SSM agent when the AMI's name does not tell it", async () => {
            // A custom image of a 2022 instance, then an SSM-managed instance launched from it. (Had
            // the version stayed unknown, the helper would be 2022, with a warning.)
            const source = await createWindowsTarget(ec2, { version: "2022" });
            const { ImageId } = await ec2.send(
                new CreateImageCommand({ InstanceId: source.InstanceId!, Name: "golden-web-v42" }),
            );
            await waitUntilImageAvailable(
                { client: ec2, maxWaitTime: 60, minDelay: 1 },
                { ImageIds: [ImageId!] },
            );
            const profile = uniqueName("web");
            await createSsmInstanceProfile(new IAMClient({}), profile);
            const run = await ec2.send(
                new RunInstancesCommand({
                    ImageId,
                    InstanceType: "m5.large",
                    MinCount: 1,
                    MaxCount: 1,
                    Placement: { AvailabilityZone: AZ },
                    IamInstanceProfile: { Name: profile },
                }),
            );
            const id = run.Instances![0].InstanceId!;
            await waitUntilInstanceRunning(
                { client: ec2, maxWaitTime: 60, minDelay: 1 },
                { InstanceIds: [id] },
            );
            const { outs } = await preflight.create!(inputs(id));
            assert.equal(
                outs.helperImageParameter,
                windowsParameter("2019"),
                "the agent reports Windows Server 2022: the helper is 2019",
            );
            assert.equal(
                outs.warnings.some((w: string) => w.includes("Windows Server version")),
                false,
            );
            assert.deepEqual(outs.replacement, {
                instanceType: "m5.large",
                subnetId: outs.replacement.subnetId,
                securityGroupIds: outs.replacement.securityGroupIds,
                instanceProfileName: profile,
            });
        });

        it("refuses Linux-only arguments and a key pair that does not exist, at once", async () => {
            const id = (await createWindowsTarget(ec2, { keyName: undefined })).InstanceId!;
            await assert.rejects(
                preflight.create!(
                    inputs(id, { linuxOnlyArguments: ["publicKey"], newKeyName: "lost-key" }),
                ),
                (err: Error) => {
                    assert.match(
                        err.message,
                        /^refused before touching anything:\n- publicKey: i-\w+ runs Windows, and this applies to Linux targets only/,
                    );
                    assert.match(
                        err.message,
                        /\n- newKeyName: key pair lost-key was not found in us-east-1; create or import it first/,
                    );
                    return true;
                },
            );
        });

        it("generates and stores no SSH key for a Windows target", async () => {
            const { outs } = await key.create!({
                instanceId: "i-0123456789abcdef0",
                parameterName: "/ec2rl/openssh/i-0123456789abcdef0/key",
                keyType: "ed25519",
                rotation: "1",
                region: REGION,
                platform: "windows",
            });
            assert.equal(outs.publicKey, "");
            assert.deepEqual(await emulator().calls({ operation: "PutParameter" }), []);
        });
    });
});
