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
export const SAMPLE_PUBLIC_KEY =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqLQ8lN6pLTn3YjzGhIhGgYkE1bGfO5rWbX3cA1zZxk ec2-reset-access@i-0123456789abcdef0";

/** The helper AMIs the preflight would read from AWS's public parameters. */
export const HELPER_IMAGES = { linux: "ami-0al2023", windows: "ami-0windows2022" };

type Platform = "linux" | "windows";

/** What each step's provider returns, for a Linux or a Windows target (Windows Server 2019, key pair "ops"). */
function stepOutputs(
    platform: Platform,
    helperNetwork?: { publicIp: boolean; dnsServers: string[] },
): Record<string, (inputs: Record<string, any>) => Record<string, any>> {
    const windows = platform === "windows";
    return {
        TargetPreflight: (inputs) => ({
            platform,
            availabilityZone: TARGET.availabilityZone,
            chosenHelperInstanceType:
                inputs.helperInstanceType ?? (windows ? "t3.medium" : "t3.small"),
            helperImageParameter: windows
                ? "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"
                : "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            helperImageId: HELPER_IMAGES[platform],
            // A given subnet behind a NAT gateway, with Amazon's DNS, unless the test says otherwise.
            helperNetwork: helperNetwork ?? { publicIp: false, dnsServers: [] },
            targetKeyName: "ops",
            replacement: {
                instanceType: "m5.large",
                subnetId: "subnet-0target",
                securityGroupIds: ["sg-0target"],
                instanceProfileName: "web-role",
            },
            warnings: [
                "i-0123456789abcdef0: its public IP 3.3.3.3 will change when it stops (no Elastic IP is associated).",
            ],
            context: {
                instanceId: inputs.instanceId,
                region: inputs.region,
                availabilityZone: TARGET.availabilityZone,
                platform,
                rootVolumeId: TARGET.rootVolumeId,
                rootDeviceName: windows ? "/dev/sda1" : "/dev/xvda",
                rootDeleteOnTermination: true,
                priorState: "running",
            },
        }),
        GeneratedSshKey: () =>
            windows
                ? { publicKey: "", fingerprint: "", parameterVersion: 0 }
                : {
                      publicKey: SAMPLE_PUBLIC_KEY,
                      fingerprint: "SHA256:sample",
                      parameterVersion: 1,
                  },
        TargetBackup: () => ({
            imageId: "ami-0backup",
            imageName: `AWSSupport-EC2Rescue_${TARGET.instanceId}`,
        }),
        RootVolumeToHelper: () => ({ helperDevice: windows ? "xvdf" : "/dev/sdf" }),
        OfflineReset: () =>
            windows
                ? {
                      usersUpdated: [],
                      userResults: [],
                      scriptWarnings: [],
                      filesystem: "",
                      windowsAgent: "EC2Launch v2",
                      windowsVolume: "D: (disk 1, partition 1)",
                      windowsChanges: [],
                  }
                : {
                      usersUpdated: ["ec2-user"],
                      userResults: [],
                      scriptWarnings: ["ec2-user: home is writable by others"],
                      filesystem: "xfs",
                      windowsAgent: "",
                      windowsVolume: "",
                      windowsChanges: [],
                  },
        ReleaseTarget: () => ({
            targetState: "running",
            passwordEnabledImageId: windows ? "ami-0passwordenabled" : "",
        }),
        HoldTarget: () => ({ stopped: true }),
        HelperReady: () => ({ waitedSeconds: 45 }),
    };
}

/** The invokes of the last installMocks run: token and inputs. */
export const invokes: { token: string; inputs: Record<string, unknown> }[] = [];

export function installMocks(
    options: {
        subnetAz?: string;
        platform?: Platform;
        helperNetwork?: { publicIp: boolean; dnsServers: string[] };
    } = {},
): Recorded[] {
    const outputsOf = stepOutputs(options.platform ?? "linux", options.helperNetwork);
    const recorded: Recorded[] = [];
    invokes.length = 0;
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
                const stepType = args.type.split(":").pop()!;
                const outputs = { ...args.inputs, ...(outputsOf[stepType]?.(args.inputs) ?? {}) };
                if (args.type === "aws:ec2/subnet:Subnet")
                    return { id: "subnet-0temp", state: outputs };
                if (args.type === "aws:ec2/vpc:Vpc") return { id: "vpc-0temp", state: outputs };
                if (args.type.startsWith("aws:iam/"))
                    outputs.name = args.inputs.name ?? `${args.name}-1234567`;
                if (args.type === "aws:ssm/document:Document")
                    outputs.name = `${args.name}-7654321`;
                return { id: `${args.name}-id`, state: outputs };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                invokes.push({ token: args.token, inputs: args.inputs });
                switch (args.token) {
                    case "aws:index/getRegion:getRegion":
                        return { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" };
                    case "aws:ec2/getInstance:getInstance":
                        if (args.inputs.instanceId !== TARGET.instanceId)
                            throw new Error("Your query returned no results.");
                        return { id: TARGET.instanceId, availabilityZone: TARGET.availabilityZone };
                    case "aws:ec2/getSubnet:getSubnet":
                        return {
                            id: args.inputs.id,
                            vpcId: "vpc-0given",
                            availabilityZone: options.subnetAz ?? TARGET.availabilityZone,
                        };
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
