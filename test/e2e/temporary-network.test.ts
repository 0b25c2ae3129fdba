/**
 * The temporary network under the harness's model of the engine: a target in another AZ
 * replaces the subnet create-before-delete in the same VPC (EC2 refuses an overlapping CIDR
 * there: InvalidSubnet.Conflict), and a refused target leaves no network behind (every network
 * resource waits on the preflight: `dependsOn` is awaited before registration, as the SDK does).
 */
import * as assert from "node:assert/strict";
import {
    CreateSubnetCommand,
    DescribeSubnetsCommand,
    DescribeVpcsCommand,
    EC2Client,
} from "@aws-sdk/client-ec2";
import { deploy, destroy, DeploymentState } from "../../harness/deployment";
import { CallRecord } from "../../harness/emulator";
import { emulator } from "../hooks";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { CANNED_RESULT } from "../../rehearsal/sandbox";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { subnetCidrFor } from "../../components/temporary-network";
import resetAccessProgram = require("../../index");

const TEMPORARY = [{ Name: "tag:ec2-reset-access:temporary", Values: ["true"] }];
const errorName = (p: Promise<unknown>) =>
    p.then(
        () => "none",
        (e: Error & { Code?: string }) => e.Code ?? e.name,
    );

describe("the temporary network: the target's AZ, an AZ change, a refusal", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});

    beforeEach(async () => {
        await emulator().reset();
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 0,
            stdout: CANNED_RESULT,
            times: 40,
        });
    });

    async function up(instanceId: string, previous?: DeploymentState) {
        const since = Date.now() / 1000;
        const result = await deploy(resetAccessProgram, {
            previous,
            config: { "ec2-reset-access:instanceId": instanceId },
        });
        assert.equal(result.error, undefined, result.error?.stack);
        return { result, calls: await emulator().calls({ since }) };
    }

    const subnetOf = (state: DeploymentState) =>
        state.resources.find((r) => r.type === "aws:ec2/subnet:Subnet" && !r.delete)!;

    it("models EC2's rule: a second subnet with an overlapping CIDR in the same VPC is refused (InvalidSubnet.Conflict)", async () => {
        const target = contextOf(await createTarget(ec2));
        const { result } = await up(target.instanceId);
        const subnet = subnetOf(result.state).outputs;
        const sameCidr = ec2.send(
            new CreateSubnetCommand({
                VpcId: String(subnet.vpcId),
                CidrBlock: String(subnet.cidrBlock),
                AvailabilityZone: "us-east-1b",
            }),
        );
        assert.equal(await errorName(sameCidr), "InvalidSubnet.Conflict");
        await destroy(result.state);
    });

    it("a target in another AZ replaces the subnet before deleting the old one, in the same VPC, without a CIDR conflict", async () => {
        const first = contextOf(await createTarget(ec2, { availabilityZone: "us-east-1a" }));
        const second = contextOf(await createTarget(ec2, { availabilityZone: "us-east-1b" }));
        const { result: one } = await up(first.instanceId);
        const oldSubnet = subnetOf(one.state);
        assert.equal(oldSubnet.outputs.availabilityZone, "us-east-1a");
        const { result: two, calls } = await up(second.instanceId, one.state);
        const newSubnet = subnetOf(two.state);
        assert.equal(newSubnet.outputs.availabilityZone, "us-east-1b");
        assert.equal(newSubnet.outputs.cidrBlock, subnetCidrFor("us-east-1b"));
        assert.equal(
            newSubnet.outputs.vpcId,
            oldSubnet.outputs.vpcId,
            "the same VPC: only the subnet (and what sits in it) is replaced",
        );
        const ops = calls.map((c) => c.operation);
        assert.ok(
            ops.indexOf("CreateSubnet") >= 0 &&
                ops.indexOf("CreateSubnet") < ops.indexOf("DeleteSubnet"),
            `create before delete: ${ops}`,
        );
        assert.deepEqual(
            calls
                .filter((c: CallRecord) => c.error)
                .map((c) => `${c.operation}: ${c.error}`)
                .filter((e) => /Subnet/.test(e)),
            [],
        );
        const left = await ec2.send(new DescribeSubnetsCommand({ Filters: TEMPORARY }));
        assert.deepEqual(
            left.Subnets?.map((s) => s.AvailabilityZone),
            ["us-east-1b"],
            "the old subnet is gone",
        );
        assert.deepEqual(await targetShape(ec2, second), wholeShape(second));
        assert.deepEqual(await targetShape(ec2, first), wholeShape(first));
        await destroy(two.state);
        assert.deepEqual(
            (await ec2.send(new DescribeVpcsCommand({ Filters: TEMPORARY }))).Vpcs,
            [],
            "destroy removes the network",
        );
    });

    it("a refused target creates no network at all", async () => {
        const refused = contextOf(await createTarget(ec2, { disableApiStop: true }));
        const since = Date.now() / 1000;
        const result = await deploy(resetAccessProgram, {
            config: { "ec2-reset-access:instanceId": refused.instanceId },
        });
        assert.ok(result.error, "the deployment fails");
        assert.match(result.error.message, /has stop protection on; turn it off/);
        const writes = (await emulator().calls({ since }))
            .map((c) => c.operation)
            .filter((op) => /^(Create|Run|Attach|Associate)/.test(op));
        assert.deepEqual(writes, [], "nothing was created");
        assert.deepEqual(
            (await ec2.send(new DescribeVpcsCommand({ Filters: TEMPORARY }))).Vpcs,
            [],
        );
        assert.deepEqual(
            result.state.resources.filter((r) => r.type.startsWith("aws:")).map((r) => r.type),
            [],
        );
        await destroy(result.state);
    });
});
