/**
 * Pulumi mocks for unit tests of the component: every registered resource is recorded; the
 * dynamic steps answer with the outputs their providers would return; an invoke that is not
 * mocked fails loudly ("Mock not implemented: <token>").
 */
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    parent?: string;
}

export const TARGET = {
    instanceId: "i-0123456789abcdef0",
    availabilityZone: "eu-west-1b",
    rootVolumeId: "vol-0123456789abcdef0",
};

/** An ed25519 key made by ssh-keygen, for the mock of the generated key's outputs. */
export const SAMPLE_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk ec2-reset-access@i-0123456789abcdef0";

const stepOutputs: Record<string, (inputs: Record<string, any>) => Record<string, any>> = {
    TargetPreflight: (inputs) => ({
        availabilityZone: TARGET.availabilityZone,
        chosenHelperInstanceType: inputs.helperInstanceType ?? "t3.small",
        warnings: ["i-0123456789abcdef0: its public IP 3.3.3.3 will change when it stops (no Elastic IP is associated)."],
        context: {
            instanceId: inputs.instanceId, region: inputs.region, availabilityZone: TARGET.availabilityZone,
            rootVolumeId: TARGET.rootVolumeId, rootDeviceName: "/dev/xvda", rootDeleteOnTermination: true, priorState: "running",
        },
    }),
    GeneratedSshKey: () => ({ publicKey: SAMPLE_PUBLIC_KEY, fingerprint: "SHA256:sample", parameterVersion: 1 }),
    TargetBackup: () => ({ imageId: "ami-0backup", imageName: `AWSSupport-EC2Rescue_${TARGET.instanceId}` }),
    RootVolumeToHelper: () => ({ helperDevice: "/dev/sdf" }),
    SshKeyReset: () => ({ usersUpdated: ["ec2-user"], userResults: [], scriptWarnings: ["ec2-user: home is writable by others"], filesystem: "xfs" }),
    ReleaseTarget: () => ({ targetState: "running" }),
    HoldTarget: () => ({ stopped: true }),
};

export function installMocks(options: { subnetAz?: string } = {}): Recorded[] {
    const recorded: Recorded[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
                const stepType = args.type.split(":").pop()!;
                const outputs = { ...args.inputs, ...(stepOutputs[stepType]?.(args.inputs) ?? {}) };
                if (args.type === "awsx:ec2:Vpc") Object.assign(outputs, { vpcId: "vpc-0temp", publicSubnetIds: ["subnet-0temp"] });
                if (args.type.startsWith("aws:iam/")) outputs.name = args.inputs.name ?? `${args.name}-1234567`;
                if (args.type === "aws:ssm/document:Document") outputs.name = `${args.name}-7654321`;
                return { id: `${args.name}-id`, state: outputs };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                switch (args.token) {
                    case "aws:index/getRegion:getRegion":
                        return { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" };
                    case "aws:ec2/getInstance:getInstance":
                        if (args.inputs.instanceId !== TARGET.instanceId) throw new Error("Your query returned no results.");
                        return { id: TARGET.instanceId, availabilityZone: TARGET.availabilityZone };
                    case "aws:ssm/getParameter:getParameter":
                        return { name: args.inputs.name, value: "ami-0al2023", type: "String" };
                    case "aws:ec2/getSubnet:getSubnet":
                        return { id: args.inputs.id, vpcId: "vpc-0given", availabilityZone: options.subnetAz ?? TARGET.availabilityZone };
                    default:
                        throw new Error(`Mock not implemented: ${args.token}`);
                }
            },
        },
        "ec2-reset-access",
        "test",
        false,
    );
    return recorded;
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Lets the mocks' asynchronous registrations finish. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
