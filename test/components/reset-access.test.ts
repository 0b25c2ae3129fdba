/** The ResetAccess component under Pulumi's mocks: what it creates, where, and what it refuses. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, invokes, promiseOf, SAMPLE_PUBLIC_KEY, TARGET } from "./mocks";
import { build, byName, STEP } from "./build";
import { ResetAccess } from "../../components/reset-access";
import { subnetCidrFor } from "../../components/temporary-network";
import { AGENT_ACTIONS } from "../../lib/helper-policy";
import { probeDocumentContent } from "../../lib/probe-document";

describe("ResetAccess under mocks", () => {
    it("creates the temporary network, helper, documents and the five steps, all children of the component", async () => {
        const { recorded, parents, component } = await build();
        const types = recorded.map((r) => `${r.type}::${r.name}`).sort();
        assert.deepEqual(
            types,
            [
                "aws:ec2/instance:Instance::reset-helper",
                "aws:ec2/internetGateway:InternetGateway::reset-igw",
                "aws:ec2/route:Route::reset-public-default",
                "aws:ec2/routeTable:RouteTable::reset-public",
                "aws:ec2/routeTableAssociation:RouteTableAssociation::reset-public",
                "aws:ec2/securityGroup:SecurityGroup::reset-helper",
                "aws:ec2/subnet:Subnet::reset-public",
                "aws:ec2/vpc:Vpc::reset-vpc",
                "aws:iam/instanceProfile:InstanceProfile::reset-helper",
                "aws:iam/role:Role::reset-helper",
                "aws:iam/rolePolicy:RolePolicy::reset-helper-agent",
                "aws:ssm/document:Document::reset-probe-document",
                "aws:ssm/document:Document::reset-reset-document",
                "ec2-reset-access:index:ResetAccess::reset",
                `${STEP("GeneratedSshKey")}::reset-key`,
                `${STEP("HelperReady")}::reset-helper-ready`,
                `${STEP("HoldTarget")}::reset-stop`,
                `${STEP("ReleaseTarget")}::reset-release`,
                `${STEP("RootVolumeToHelper")}::reset-move-root`,
                `${STEP("OfflineReset")}::reset-reset`,
                `${STEP("TargetBackup")}::reset-backup`,
                `${STEP("TargetPreflight")}::reset-preflight`,
            ].sort(),
        );
        for (const r of recorded.filter((r) => r.type !== "ec2-reset-access:index:ResetAccess")) {
            assert.equal(
                parents.get(r.name),
                component,
                `${r.name} is not a child of the component`,
            );
        }
    });

    it("proves the helper ready before the first step on the target, with the default timeout and the network", async () => {
        const { recorded, resourceOptions } = await build();
        const ready = byName(recorded, "reset-helper-ready").inputs;
        assert.equal(ready.helperInstanceId, "reset-helper-id");
        assert.equal(
            ready.helperReadyTimeout,
            undefined,
            "the provider picks the platform's default",
        );
        assert.deepEqual(ready.network, { subnet: "temporary" });
        const stopAfter = resourceOptions.get("reset-stop")!.dependsOn as pulumi.Resource[];
        const names = await Promise.all(stopAfter.map((r) => promiseOf(r.urn)));
        assert.ok(
            names.some((urn) => urn.endsWith("::reset-helper-ready")),
            `the stop waits on ${names.join(", ")}`,
        );
        const given = await build({
            helperReadyTimeout: 900,
            subnetId: "subnet-0aaaabbbbccccdddd",
        });
        assert.equal(byName(given.recorded, "reset-helper-ready").inputs.helperReadyTimeout, 900);
        assert.deepEqual(byName(given.recorded, "reset-helper-ready").inputs.network, {
            subnet: "subnet-0aaaabbbbccccdddd",
        });
    });

    it("pins the temporary subnet to the target's AZ, with a CIDR of that AZ, public IPs on launch and a route to the internet gateway", async () => {
        const { recorded } = await build();
        const subnet = byName(recorded, "reset-public", "aws:ec2/subnet:Subnet").inputs;
        assert.equal(
            subnet.availabilityZone,
            TARGET.availabilityZone,
            "an Output accepted as such, no cast",
        );
        assert.equal(subnet.vpcId, "vpc-0temp");
        assert.equal(subnet.cidrBlock, subnetCidrFor(TARGET.availabilityZone));
        assert.equal(subnet.mapPublicIpOnLaunch, true);
        const route = byName(recorded, "reset-public-default", "aws:ec2/route:Route").inputs;
        assert.equal(route.destinationCidrBlock, "0.0.0.0/0");
        assert.equal(route.gatewayId, "reset-igw-id");
        assert.equal(
            byName(recorded, "reset-public", "aws:ec2/routeTableAssociation:RouteTableAssociation")
                .inputs.subnetId,
            "subnet-0temp",
        );
        assert.equal(
            recorded.some((r) => /NatGateway|Eip/.test(r.type)),
            false,
            "no NAT gateway",
        );
    });

    it("gives each AZ of a region its own subnet CIDR, so a replaced subnet never overlaps the old one", () => {
        const cidrs = ["a", "b", "c", "d", "e", "f"].map((letter) =>
            subnetCidrFor(`us-east-1${letter}`),
        );
        assert.deepEqual(cidrs, [
            "10.213.0.0/27",
            "10.213.0.32/27",
            "10.213.0.64/27",
            "10.213.0.96/27",
            "10.213.0.128/27",
            "10.213.0.160/27",
        ]);
        assert.throws(() => subnetCidrFor("use1-az1"), /does not end with a zone letter/);
    });

    it("passes the region argument to every regional resource and invoke (pulumi-aws v7's per-resource region)", async () => {
        const { recorded } = await build({ region: "ap-southeast-2" });
        const regional = recorded.filter((r) => /^aws:(ec2|ssm)\//.test(r.type));
        assert.ok(regional.length >= 8, `${regional.length} regional resources`);
        for (const r of regional)
            assert.equal(r.inputs.region, "ap-southeast-2", `${r.type} ${r.name}`);
        for (const r of recorded.filter((r) => r.type.startsWith("aws:iam/")))
            assert.equal(r.inputs.region, undefined, `${r.name}: IAM is global`);
        const steps = recorded.filter(
            (r) => r.type.startsWith("pulumi-nodejs:dynamic/") && r.inputs.region !== undefined,
        );
        for (const r of steps) assert.equal(r.inputs.region, "ap-southeast-2", r.name);
        const looked = invokes.filter((i) => i.token !== "aws:index/getRegion:getRegion");
        assert.deepEqual(
            looked.map((i) => [i.token, i.inputs.region]),
            [["aws:ec2/getInstance:getInstance", "ap-southeast-2"]],
        );
    });

    it("asks for a given subnet in the region argument's region", async () => {
        await build({ region: "ap-southeast-2", subnetId: "subnet-0aaaabbbbccccdddd" });
        const subnet = invokes.find((i) => i.token === "aws:ec2/getSubnet:getSubnet");
        assert.equal(subnet?.inputs.region, "ap-southeast-2");
    });

    it("without a region argument leaves every resource to the aws provider's region", async () => {
        const { recorded } = await build();
        for (const r of recorded.filter((r) => r.type.startsWith("aws:")))
            assert.equal(r.inputs.region, undefined, `${r.type} ${r.name}`);
    });

    it("launches the helper from AL2023 with IMDSv2, an encrypted root, the subnet's public IP and a role under the tool's path with iam/helper-policy.json inline", async () => {
        const { recorded } = await build();
        const helper = byName(recorded, "reset-helper", "aws:ec2/instance:Instance").inputs;
        assert.equal(helper.ami, "ami-0al2023");
        assert.equal(helper.instanceType, "t3.small");
        assert.equal(helper.subnetId, "subnet-0temp");
        assert.equal(helper.metadataOptions.httpTokens, "required");
        assert.equal(helper.rootBlockDevice.encrypted, true);
        assert.equal(
            helper.associatePublicIpAddress,
            undefined,
            "left to the subnet: the provider reads it back false on a stopped helper and replaces it",
        );
        assert.equal(helper.iamInstanceProfile, "reset-helper-1234567");
        const inline = byName(recorded, "reset-helper-agent").inputs;
        assert.deepEqual(
            JSON.parse(inline.policy),
            JSON.parse(
                fs.readFileSync(
                    path.join(__dirname, "..", "..", "iam", "helper-policy.json"),
                    "utf8",
                ),
            ),
        );
        assert.equal(
            byName(recorded, "reset-helper", "aws:iam/role:Role").inputs.path,
            "/ec2-reset-access/",
        );
        assert.equal(
            byName(recorded, "reset-helper", "aws:iam/instanceProfile:InstanceProfile").inputs.path,
            "/ec2-reset-access/",
        );
        const sg = recorded.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!.inputs;
        assert.equal(sg.ingress, undefined, "the helper's security group admits nothing inbound");
    });

    it("sets helperPermissionsBoundary on the helper's role, and has the preflight check it; no boundary when not given", async () => {
        const arn = "arn:aws:iam::123456789012:policy/ec2-reset-access/helper-boundary";
        const bounded = (await build({ helperPermissionsBoundary: arn })).recorded;
        assert.equal(
            byName(bounded, "reset-helper", "aws:iam/role:Role").inputs.permissionsBoundary,
            arn,
        );
        assert.equal(
            byName(bounded, "reset-preflight", STEP("TargetPreflight")).inputs
                .helperPermissionsBoundary,
            arn,
        );
        const unbounded = (await build()).recorded;
        assert.equal(
            byName(unbounded, "reset-helper", "aws:iam/role:Role").inputs.permissionsBoundary,
            undefined,
        );
    });

    it("AGENT_ACTIONS, which the preflight checks a boundary against, are what iam/helper-policy.json allows", () => {
        const policy = JSON.parse(
            fs.readFileSync(path.join(__dirname, "..", "..", "iam", "helper-policy.json"), "utf8"),
        );
        assert.deepEqual(
            policy.Statement.flatMap((s: { Action: string[] }) => s.Action).sort(),
            [...AGENT_ACTIONS].sort(),
        );
    });

    it("a new rotation gets a fresh helper: its user data names the rotation (hashed) and a change replaces it", async () => {
        const helperOf = async (rotation?: string) =>
            byName(
                (await build(rotation ? { rotation } : {})).recorded,
                "reset-helper",
                "aws:ec2/instance:Instance",
            ).inputs;
        const first = await helperOf();
        const again = await helperOf("1");
        const rotated = await helperOf("2026-11; reboot");
        assert.equal(first.userDataReplaceOnChange, true);
        assert.equal(first.userData, again.userData, "the same rotation keeps its helper");
        assert.notEqual(rotated.userData, first.userData);
        assert.match(
            rotated.userData,
            /^# ec2-reset-access helper, rotation sha256:[0-9a-f]{64}\n$/,
            "no operator text in the user data",
        );
    });

    it("uses a given subnet instead of a temporary VPC", async () => {
        const { recorded } = await build({ subnetId: "subnet-0aaaabbbbccccdddd" });
        assert.equal(
            recorded.some((r) => /^aws:ec2\/(vpc|subnet|internetGateway):/.test(r.type)),
            false,
        );
        const helper = byName(recorded, "reset-helper", "aws:ec2/instance:Instance").inputs;
        assert.equal(helper.subnetId, "subnet-0aaaabbbbccccdddd");
        assert.equal(
            helper.associatePublicIpAddress,
            undefined,
            "the subnet's own auto-assign setting decides",
        );
        assert.equal(
            recorded.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!.inputs.vpcId,
            "vpc-0given",
        );
        assert.equal(
            byName(recorded, "reset-preflight").inputs.subnetId,
            "subnet-0aaaabbbbccccdddd",
        );
    });

    it("gives the helper a public IP when its subnet's route needs one, and DNS egress to the VPC's own servers", async () => {
        const { recorded } = await build(
            { subnetId: "subnet-0aaaabbbbccccdddd" },
            { helperNetwork: { publicIp: true, dnsServers: ["10.1.0.2", "10.1.0.3"] } },
        );
        assert.equal(
            byName(recorded, "reset-helper", "aws:ec2/instance:Instance").inputs
                .associatePublicIpAddress,
            true,
        );
        const egress = recorded.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!
            .inputs.egress;
        assert.deepEqual(
            egress.map((e: { protocol: string; fromPort: number; cidrBlocks: string[] }) => [
                e.protocol,
                e.fromPort,
                e.cidrBlocks,
            ]),
            [
                ["tcp", 443, ["0.0.0.0/0"]],
                ["udp", 53, ["10.1.0.2/32", "10.1.0.3/32"]],
                ["tcp", 53, ["10.1.0.2/32", "10.1.0.3/32"]],
            ],
        );
        const plain = (await build()).recorded.find(
            (r) => r.type === "aws:ec2/securityGroup:SecurityGroup",
        )!.inputs.egress;
        assert.deepEqual(
            plain.map((e: { protocol: string; fromPort: number }) => [e.protocol, e.fromPort]),
            [["tcp", 443]],
            "Amazon's DNS: HTTPS only",
        );
    });

    it("sends the helper-ready probe through its own document (no AWS document), created after the preflight, tagged as the reset document", async () => {
        const { recorded, resourceOptions } = await build();
        const probe = byName(recorded, "reset-probe-document", "aws:ssm/document:Document");
        assert.deepEqual(
            [probe.inputs.documentType, probe.inputs.documentFormat, probe.inputs.content],
            ["Command", "JSON", probeDocumentContent()],
        );
        assert.deepEqual(probe.inputs.tags, { "ec2-reset-access:for": TARGET.instanceId });
        assert.deepEqual(
            byName(recorded, "reset-reset-document", "aws:ssm/document:Document").inputs.tags,
            probe.inputs.tags,
        );
        const after = resourceOptions.get("reset-probe-document")!.dependsOn as pulumi.Resource[];
        const urns = await Promise.all(after.map((r) => promiseOf(r.urn)));
        assert.ok(
            urns.some((urn) => urn.endsWith("::reset-preflight")),
            `the probe document waits on ${urns.join(", ")}`,
        );
        // The mocks name a document `<name>-7654321`, as Pulumi's autoname would.
        assert.equal(
            byName(recorded, "reset-helper-ready").inputs.probeDocumentName,
            "reset-probe-document-7654321",
        );
    });

    it("passes the document only parameters it declares, with patterns, and never a private key", async () => {
        const { recorded } = await build();
        const content = JSON.parse(byName(recorded, "reset-reset-document").inputs.content);
        assert.deepEqual(Object.keys(content.parameters).sort(), [
            "deviceName",
            "publicKey",
            "revokeComment",
            "users",
            "volumeId",
        ]);
        for (const p of Object.values(content.parameters) as Array<{ allowedPattern: string }>)
            assert.ok(p.allowedPattern);
        const reset = byName(recorded, "reset-reset").inputs;
        assert.equal(reset.publicKey, SAMPLE_PUBLIC_KEY);
        assert.equal(reset.users, "auto");
        // Every input of every resource, but the providers' code (which names the key format).
        const inputs = JSON.stringify(
            recorded.map((r) => ({ ...r.inputs, __provider: undefined })),
        );
        assert.doesNotMatch(inputs, /PRIVATE KEY|b3BlbnNzaC1rZXktdjE/); // the PEM armour, or openssh-key-v1 in base64
    });

    it("a new rotation revokes the keys this tool installed before for the instance; the first reset revokes nothing", async () => {
        const first = byName((await build()).recorded, "reset-reset").inputs;
        assert.equal(first.revokeComment, "");
        const rotated = byName(
            (await build({ rotation: "2026-11" })).recorded,
            "reset-reset",
        ).inputs;
        assert.equal(rotated.revokeComment, `ec2-reset-access@${TARGET.instanceId}`);
    });

    it("stores the generated key at the runbook's parameter by default", async () => {
        const { recorded, component } = await build();
        const key = byName(recorded, "reset-key").inputs;
        assert.equal(key.parameterName, `/ec2rl/openssh/${TARGET.instanceId}/key`);
        assert.equal(key.keyType, "ed25519");
        assert.equal(await promiseOf(component.fingerprint), "SHA256:sample");
    });

    it("installs the operator's own key without generating or storing one", async () => {
        const own =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk me@laptop (work)";
        const { recorded, component } = await build({
            publicKey: own,
            users: ["ec2-user", "deploy"],
        });
        assert.equal(
            recorded.some((r) => r.name === "reset-key"),
            false,
        );
        const reset = byName(recorded, "reset-reset").inputs;
        assert.equal(
            reset.publicKey,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk me@laptop__work_",
        );
        assert.equal(reset.users, "ec2-user,deploy");
        assert.equal(await promiseOf(component.keyParameterName), undefined);
    });

    it("exposes the outputs, with the preflight's and the script's warnings", async () => {
        const { component } = await build();
        assert.deepEqual(await promiseOf(component.usersUpdated), ["ec2-user"]);
        assert.equal(await promiseOf(component.backupImageId), "ami-0backup");
        assert.deepEqual(await promiseOf(component.warnings), [
            "i-0123456789abcdef0: its public IP 3.3.3.3 will change when it stops (no Elastic IP is associated).",
            "ec2-user: home is writable by others",
        ]);
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: Array<[string, Record<string, unknown>, string]> = [
            [
                "a malformed instance id",
                { instanceId: "web-1" },
                'instanceId: "web-1" is not an instance id; expected i- followed by 8 or 17 hex digits (pulumi config set instanceId i-0123456789abcdef0).',
            ],
            [
                "a malformed subnet id",
                { subnetId: "my-subnet" },
                'subnetId: "my-subnet" is not a subnet id; expected subnet- followed by hex digits, or omit it for a temporary VPC.',
            ],
            [
                "publicKey with keyType",
                { publicKey: SAMPLE_PUBLIC_KEY, keyType: "rsa" },
                "Only one of [publicKey] and [keyType] can be specified: publicKey installs your key, the others configure a generated one.",
            ],
            [
                "a helperReadyTimeout under a minute",
                { helperReadyTimeout: 30 },
                "helperReadyTimeout: 30 is not a number of seconds from 60 to 3600; omit it for the default (600 for a Linux helper, 1200 for a Windows one).",
            ],
            [
                "a helperPermissionsBoundary that is no policy ARN",
                { helperPermissionsBoundary: "helper-boundary" },
                `helperPermissionsBoundary: "helper-boundary" is not an IAM managed policy ARN (arn:aws:iam::<account>:policy/ec2-reset-access/helper-boundary, as README's Permissions section creates it).`,
            ],
            [
                "a bad assumeRoleArn",
                { assumeRoleArn: "admin" },
                'assumeRoleArn: "admin" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).',
            ],
        ];
        for (const [what, args, message] of cases) {
            it(what, () => {
                const recorded = installMocks();
                assert.throws(
                    () =>
                        new ResetAccess("reset", {
                            instanceId: TARGET.instanceId,
                            ...args,
                        } as never),
                    { message },
                );
                assert.deepEqual(
                    recorded.filter((r) => r.type !== "ec2-reset-access:index:ResetAccess"),
                    [],
                );
            });
        }
    });
});
