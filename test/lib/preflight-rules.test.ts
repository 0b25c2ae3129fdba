/** Every refusal and warning of the preflight, with its exact message. */
import * as assert from "node:assert/strict";
import { evaluateTarget, refusalMessage } from "../../lib/preflight-rules";
import { TargetFacts } from "../../lib/target-facts";

const healthy: TargetFacts = {
    instanceId: "i-0123456789abcdef0",
    region: "us-east-1",
    found: true,
    state: "running",
    platform: "linux",
    availabilityZone: "us-east-1a",
    instanceType: "t3.micro",
    rootDeviceType: "ebs",
    rootDeviceName: "/dev/xvda",
    rootVolumeId: "vol-0123456789abcdef0",
    rootDeleteOnTermination: true,
    rootEncrypted: false,
    instanceStoreGiB: 0,
    stopProtection: false,
    marketplaceProductCodes: [],
    offeredHelperTypes: ["t3.small", "t2.small"],
};

function refusalsFor(change: Partial<TargetFacts>, options = {}) {
    return evaluateTarget({ ...healthy, ...change }, options).refusals;
}

describe("preflight rules", () => {
    it("passes a healthy running Linux instance, choosing the first offered helper type", () => {
        assert.deepEqual(evaluateTarget(healthy, {}), {
            refusals: [],
            warnings: [],
            helperInstanceType: "t3.small",
            helperImageParameter:
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        });
    });

    it("keeps the helper type the operator chose", () => {
        assert.equal(
            evaluateTarget(healthy, { helperInstanceType: "m5.large" }).helperInstanceType,
            "m5.large",
        );
    });

    const refusals: Array<[string, Partial<TargetFacts>, string]> = [
        [
            "a missing instance",
            { found: false },
            "instanceId: instance i-0123456789abcdef0 was not found in us-east-1; check the id, and the region (config aws:region or the region argument).",
        ],
        [
            "an instance in transition",
            { state: "stopping" },
            "instanceId: i-0123456789abcdef0 is stopping; run again once it is running or stopped.",
        ],
        [
            "an instance-store root device",
            { rootDeviceType: "instance-store", rootVolumeId: undefined },
            "instanceId: i-0123456789abcdef0 has an instance-store root device, which cannot be moved to a helper; such an instance cannot be reset offline.",
        ],
        [
            "instance-store volumes",
            { instanceType: "m5d.large", instanceStoreGiB: 75 },
            "instanceId: i-0123456789abcdef0 (m5d.large) has 75 GiB of instance-store volumes, whose data is lost when it stops; copy what you need, then set allowInstanceStoreLoss: true.",
        ],
        [
            "stop protection",
            { stopProtection: true },
            "instanceId: i-0123456789abcdef0 has stop protection on; turn it off (aws ec2 modify-instance-attribute --instance-id i-0123456789abcdef0 --no-disable-api-stop), then run again.",
        ],
        [
            "a one-time Spot instance",
            { lifecycle: "spot", spotRequestType: "one-time" },
            "instanceId: i-0123456789abcdef0 is a one-time Spot instance, which cannot be stopped; it cannot be reset offline.",
        ],
        [
            "Marketplace product codes",
            { marketplaceProductCodes: ["abc123"] },
            "instanceId: i-0123456789abcdef0 has AWS Marketplace product codes (abc123); its root volume can only be attached to a stopped instance, so it cannot be mounted on a helper.",
        ],
        [
            "an in-service Auto Scaling instance",
            { autoScaling: { group: "web", lifecycleState: "InService", suspendedProcesses: [] } },
            "instanceId: i-0123456789abcdef0 is InService in Auto Scaling group web, which would replace it while it is stopped; put it in Standby (aws autoscaling enter-standby --should-decrement-desired-capacity --auto-scaling-group-name web --instance-ids i-0123456789abcdef0) or suspend HealthCheck and ReplaceUnhealthy, then run again.",
        ],
        [
            "a subnet in another AZ",
            {
                subnet: {
                    id: "subnet-0123456789abcdef0",
                    availabilityZone: "us-east-1b",
                    found: true,
                },
            },
            "subnetId: subnet subnet-0123456789abcdef0 is in us-east-1b but i-0123456789abcdef0 is in us-east-1a; give a subnet in us-east-1a, or omit subnetId for a temporary VPC.",
        ],
        [
            "a target stopped by hibernation",
            {
                state: "stopped",
                stateReasonCode: "Client.UserInitiatedHibernate",
                hibernationConfigured: true,
            },
            "instanceId: i-0123456789abcdef0 is stopped by hibernation: on its next start it would resume its memory image on top of a root volume changed offline. Start it (aws ec2 start-instances --instance-ids i-0123456789abcdef0), then stop it normally, without --hibernate (aws ec2 stop-instances --instance-ids i-0123456789abcdef0), and run again.",
        ],
        [
            "a missing subnet",
            { subnet: { id: "subnet-0123456789abcdef0", found: false } },
            "subnetId: subnet subnet-0123456789abcdef0 was not found in us-east-1; give a subnet in us-east-1a, or omit subnetId for a temporary VPC.",
        ],
        [
            "no helper type offered",
            { offeredHelperTypes: [] },
            "helperInstanceType: none of t3.small, t3a.small, t2.small, m5.large, m6i.large is offered in us-east-1a; set helperInstanceType to a small x86_64 type offered there.",
        ],
    ];
    for (const [what, change, message] of refusals) {
        it(`refuses ${what}`, () => assert.deepEqual(refusalsFor(change), [message]));
    }

    it("lets the override flags through", () => {
        assert.deepEqual(
            refusalsFor({ instanceStoreGiB: 75 }, { allowInstanceStoreLoss: true }),
            [],
        );
        const asg = { group: "web", lifecycleState: "InService", suspendedProcesses: [] };
        assert.deepEqual(refusalsFor({ autoScaling: asg }, { allowAutoScaling: true }), []);
    });

    it("accepts Auto Scaling instances in Standby or with replacement suspended, and persistent Spot", () => {
        assert.deepEqual(
            refusalsFor({
                autoScaling: { group: "web", lifecycleState: "Standby", suspendedProcesses: [] },
            }),
            [],
        );
        assert.deepEqual(
            refusalsFor({
                autoScaling: {
                    group: "web",
                    lifecycleState: "InService",
                    suspendedProcesses: ["ReplaceUnhealthy"],
                },
            }),
            [],
        );
        assert.deepEqual(refusalsFor({ lifecycle: "spot", spotRequestType: "persistent" }), []);
    });

    it("reports every refusal at once", () => {
        const all = refusalsFor({
            stopProtection: true,
            lifecycle: "spot",
            spotRequestType: "one-time",
        });
        assert.equal(all.length, 2);
        assert.match(
            refusalMessage(all),
            /^refused before touching anything:\n- .*stop protection.*\n- .*one-time Spot/,
        );
    });

    it("warns that the public IP changes without an Elastic IP, and about an encrypted root volume", () => {
        const { warnings } = evaluateTarget(
            {
                ...healthy,
                publicIp: "3.3.3.3",
                hasElasticIp: false,
                rootEncrypted: true,
                rootKmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/k",
            },
            {},
        );
        assert.deepEqual(warnings, [
            "i-0123456789abcdef0: its public IP 3.3.3.3 will change when it stops (no Elastic IP is associated).",
            "i-0123456789abcdef0: its root volume is encrypted with arn:aws:kms:us-east-1:123456789012:key/k; you need kms:CreateGrant and kms:Decrypt on that key to attach it to the helper.",
        ]);
        assert.deepEqual(
            evaluateTarget({ ...healthy, publicIp: "3.3.3.3", hasElasticIp: true }, {}).warnings,
            [],
        );
    });

    it("accepts a hibernation-enabled target stopped normally; warns that a running one is stopped without hibernating", () => {
        assert.deepEqual(
            refusalsFor({
                state: "stopped",
                stateReasonCode: "Client.UserInitiatedShutdown",
                hibernationConfigured: true,
            }),
            [],
        );
        assert.deepEqual(evaluateTarget({ ...healthy, hibernationConfigured: true }, {}).warnings, [
            "i-0123456789abcdef0: it is enabled for hibernation; it is stopped without hibernating (what is in its memory is lost, as in a shutdown), so that it boots from the changed root volume.",
        ]);
    });

    it("warns where a restart may find no capacity: a dedicated host, a cluster placement group", () => {
        const tail =
            "where a restart after the stop may find no capacity (InsufficientInstanceCapacity); the reset retries the start for a while, and if it still fails the instance stays stopped and whole (try another instance type, a capacity reservation, or later).";
        assert.deepEqual(
            evaluateTarget(
                { ...healthy, placement: { tenancy: "host", hostId: "h-0123456789abcdef0" } },
                {},
            ).warnings,
            [`i-0123456789abcdef0: it runs on dedicated host h-0123456789abcdef0, ${tail}`],
        );
        assert.deepEqual(
            evaluateTarget(
                {
                    ...healthy,
                    placement: { tenancy: "default", groupName: "hpc", groupStrategy: "cluster" },
                },
                {},
            ).warnings,
            [`i-0123456789abcdef0: it runs in cluster placement group hpc, ${tail}`],
        );
        assert.deepEqual(
            evaluateTarget(
                {
                    ...healthy,
                    placement: {
                        tenancy: "default",
                        groupName: "spread1",
                        groupStrategy: "spread",
                    },
                },
                {},
            ).warnings,
            [],
        );
    });
});
