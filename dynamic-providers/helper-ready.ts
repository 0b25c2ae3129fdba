/**
 * Step 0, before anything touches the target: the helper running, its SSM agent Online, and a
 * probe command answered (lib/helper-ready.ts). Touches only the helper, so it has no repair;
 * `delete` has nothing to undo. Whatever runs the chain on the target again (a new digest)
 * replaces it first, and so proves the helper again (the previous reset left it stopped).
 */
import * as pulumi from "@pulumi/pulumi";
import { clientsFor } from "../lib/aws-clients";
import { startInstance } from "../lib/ec2-instance";
import {
    DEFAULT_HELPER_READY_SECONDS,
    HelperNetwork,
    waitUntilHelperReady,
} from "../lib/helper-ready";
import { configureStackAws } from "../lib/stack-aws";
import { TargetContext } from "../lib/target-context";
import { plainOutputs } from "./plain-outputs";
import { stepDiff } from "./step-diff";

export interface HelperReadyArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** The digest of the reset's inputs (lib/reset-digest.ts): a change runs the chain on the target, and this first. */
    resetDigest: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
    /**
     * This tool's probe document (lib/probe-document.ts): an input, so the step waits for it. A
     * new name alone is no change (stepDiff): the helper was proven ready, the target is untouched.
     */
    probeDocumentName: pulumi.Input<string>;
    /** Seconds to wait for the agent to be Online; default by platform (DEFAULT_HELPER_READY_SECONDS). */
    helperReadyTimeout?: pulumi.Input<number>;
    network: pulumi.Input<HelperNetwork>;
}

interface ReadyInputs {
    context: TargetContext;
    rotation: string;
    resetDigest: string;
    helperInstanceId: string;
    probeDocumentName: string;
    helperReadyTimeout?: number;
    network: HelperNetwork;
}

const provider: pulumi.dynamic.ResourceProvider = {
    configure: configureStackAws, // the stack's aws credentials and region (lib/stack-aws.ts), as every step
    diff: stepDiff, // performed again exactly when the chain on the target is
    async create(inputs: ReadyInputs) {
        const platform = inputs.context.platform ?? "linux";
        const { ec2, ssm } = await clientsFor(inputs.context);
        await startInstance(ec2, inputs.helperInstanceId); // a later rotation finds it stopped
        const { waitedSeconds } = await waitUntilHelperReady(ssm, {
            helperId: inputs.helperInstanceId,
            platform,
            probeDocumentName: inputs.probeDocumentName,
            timeoutSeconds: inputs.helperReadyTimeout ?? DEFAULT_HELPER_READY_SECONDS[platform],
            network: inputs.network,
        });
        return {
            id: `${inputs.helperInstanceId}-ready`,
            outs: plainOutputs({ ...inputs, waitedSeconds }),
        };
    },
};

export class HelperReady extends pulumi.dynamic.Resource {
    /** How long the helper took to be ready (seconds), this time. */
    declare readonly waitedSeconds: pulumi.Output<number>;

    constructor(name: string, args: HelperReadyArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { ...args, waitedSeconds: undefined },
            opts,
            "ec2-reset-access",
            "HelperReady",
        );
    }
}
