/** The subnet reachability rule: which subnets a helper could reach SSM from, and what it then needs. */
import * as assert from "node:assert/strict";
import { evaluateReach, helperEgress, SubnetReach } from "../../lib/subnet-reach";

const SUBNET = "subnet-0123456789abcdef0";
const base: SubnetReach = {
    vpcId: "vpc-0abc",
    defaultRoute: { kind: "none" },
    endpointServices: [],
    customDnsServers: [],
    mapsPublicIp: false,
};

describe("subnet reachability", () => {
    it("accepts an internet gateway route and gives the helper a public IP", () => {
        assert.deepEqual(
            evaluateReach(SUBNET, {
                ...base,
                defaultRoute: { kind: "internet-gateway", target: "igw-1" },
            }),
            { helperNeedsPublicIp: true },
        );
    });

    it("accepts a NAT gateway route, or the three interface endpoints, without a public IP", () => {
        assert.deepEqual(
            evaluateReach(SUBNET, {
                ...base,
                defaultRoute: { kind: "nat-gateway", target: "nat-1" },
            }),
            { helperNeedsPublicIp: false },
        );
        const endpoints = {
            ...base,
            defaultRoute: { kind: "internet-gateway" as const, target: "igw-1" },
            endpointServices: ["ssm", "ssmmessages", "ec2messages"],
        };
        assert.deepEqual(
            evaluateReach(SUBNET, endpoints),
            { helperNeedsPublicIp: false },
            "the endpoints serve SSM: no public IP needed",
        );
    });

    it("refuses a subnet with no route and not all three endpoints, naming what is missing and the fix", () => {
        assert.deepEqual(evaluateReach(SUBNET, { ...base, endpointServices: ["ssm"] }), {
            helperNeedsPublicIp: false,
            refusal:
                `subnetId: a helper in subnet ${SUBNET} could not reach SSM: its route table has no 0.0.0.0/0 route to an internet gateway or a NAT gateway, and vpc-0abc has no interface endpoint with private DNS for ssmmessages, ec2messages. ` +
                "Add a NAT gateway route, or the interface endpoints (com.amazonaws.<region>.ssm, .ssmmessages, .ec2messages, private DNS on), or give a public subnet, or omit subnetId for a temporary VPC.",
        });
    });

    it("warns where the route goes somewhere it cannot follow (a transit gateway)", () => {
        const verdict = evaluateReach(SUBNET, {
            ...base,
            defaultRoute: { kind: "other", target: "tgw-1" },
        });
        assert.equal(verdict.refusal, undefined);
        assert.match(verdict.warning!, /goes to tgw-1, which the preflight cannot follow/);
    });

    it("opens DNS (TCP and UDP 53) to the VPC's own servers only", () => {
        assert.deepEqual(
            helperEgress([]).map((e) => `${e.protocol}/${e.fromPort}`),
            ["tcp/443"],
        );
        assert.deepEqual(
            helperEgress(["10.0.0.2"]).map((e) => `${e.protocol}/${e.fromPort} ${e.cidrBlocks}`),
            ["tcp/443 0.0.0.0/0", "udp/53 10.0.0.2/32", "tcp/53 10.0.0.2/32"],
        );
    });
});
