/**
 * A new SSH key pair for the reset. The private key goes to SSM Parameter Store as a
 * SecureString and nowhere else: not into the outputs (so not into Pulumi state), not into a
 * log, not into the command that installs the public key. For a Windows target (the preflight
 * tells) nothing is generated or stored: its outputs are empty.
 */
import * as pulumi from "@pulumi/pulumi";
import { clientsFor } from "../lib/aws-clients";
import { deleteKeyParameterIfCurrent, storeKeyParameter } from "../lib/key-parameter";
import { generateSshKeyPair, SshKeyType, toolKeyComment } from "../lib/ssh-keys";
import { configureStackAws } from "../lib/stack-aws";
import { plainOutputs } from "./plain-outputs";
import { replaceOnChange } from "./replace-on-change";

export interface GeneratedSshKeyArgs {
    instanceId: pulumi.Input<string>;
    parameterName: pulumi.Input<string>;
    kmsKeyId?: pulumi.Input<string>;
    keyType: pulumi.Input<SshKeyType>;
    rotation: pulumi.Input<string>;
    /** Delete the parameter at `pulumi destroy` (default false: the key is how you log in). */
    deleteParameterOnDestroy?: pulumi.Input<boolean>;
    region: pulumi.Input<string>;
    assumeRoleArn?: pulumi.Input<string>;
    /** The target's platform, from the preflight. */
    platform: pulumi.Input<string>;
}

interface KeyInputs {
    instanceId: string;
    parameterName: string;
    kmsKeyId?: string;
    keyType: SshKeyType;
    rotation: string;
    deleteParameterOnDestroy?: boolean;
    region: string;
    assumeRoleArn?: string;
    platform: string;
}

const provider: pulumi.dynamic.ResourceProvider = {
    configure: configureStackAws, // the stack's aws credentials and region (lib/stack-aws.ts)
    diff: replaceOnChange,
    async create(inputs: KeyInputs) {
        if (inputs.platform === "windows") {
            const outs = { ...inputs, publicKey: "", fingerprint: "", parameterVersion: 0 };
            return { id: `${inputs.instanceId}-no-ssh-key`, outs: plainOutputs(outs) };
        }
        const { ssm } = await clientsFor(inputs);
        const key = generateSshKeyPair(inputs.keyType, toolKeyComment(inputs.instanceId));
        // A rotation deletes this instance's earlier parameter and creates it again: it holds the current key only.
        const version = await storeKeyParameter(ssm, {
            name: inputs.parameterName,
            instanceId: inputs.instanceId,
            privateKey: key.privateKey,
            fingerprint: key.fingerprint,
            kmsKeyId: inputs.kmsKeyId,
            description: `SSH private key (${inputs.keyType}, ${key.fingerprint}) installed on ${inputs.instanceId} by ec2-reset-access`,
        });
        const outs = {
            ...inputs,
            publicKey: key.publicKey,
            fingerprint: key.fingerprint,
            parameterVersion: version,
        };
        return { id: `${inputs.parameterName}#${key.fingerprint}`, outs: plainOutputs(outs) };
    },
    async delete(
        _id: pulumi.ID,
        props: KeyInputs & { fingerprint?: string; parameterVersion?: number },
    ) {
        if (!props.deleteParameterOnDestroy || props.platform === "windows" || !props.fingerprint)
            return;
        const { ssm } = await clientsFor(props);
        // Only while it still holds this resource's key: a replacement may have stored a newer one
        // under the same name before this delete runs (create-before-delete).
        await deleteKeyParameterIfCurrent(
            ssm,
            props.parameterName,
            props.fingerprint,
            props.parameterVersion,
        );
    },
};

export class GeneratedSshKey extends pulumi.dynamic.Resource {
    declare readonly publicKey: pulumi.Output<string>;
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly parameterName: pulumi.Output<string>;
    declare readonly parameterVersion: pulumi.Output<number>;

    constructor(name: string, args: GeneratedSshKeyArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = {
            publicKey: undefined,
            fingerprint: undefined,
            parameterVersion: undefined,
        };
        super(provider, name, { ...args, ...outputs }, opts, "ec2-reset-access", "GeneratedSshKey");
    }
}
