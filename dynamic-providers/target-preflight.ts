/**
 * Looks at the target before anything is touched: refuses what cannot be reset safely, with the
 * fix; records the facts every later step needs to act and to undo (the TargetContext).
 */
import * as pulumi from "@pulumi/pulumi";
import { clientsFor } from "../lib/aws-clients";
import { gatherTargetFacts } from "../lib/gather-facts";
import { evaluateTarget, refusalMessage } from "../lib/preflight-rules";
import { restoreTarget } from "../lib/repair";
import { TargetContext } from "../lib/target-context";
import { plainOutputs } from "./plain-outputs";
import { replaceOnChange } from "./replace-on-change";

export interface TargetPreflightArgs {
    instanceId: pulumi.Input<string>;
    region: pulumi.Input<string>;
    assumeRoleArn?: pulumi.Input<string>;
    subnetId?: pulumi.Input<string>;
    helperInstanceType?: pulumi.Input<string>;
    allowInstanceStoreLoss?: pulumi.Input<boolean>;
    allowAutoScaling?: pulumi.Input<boolean>;
    rotation: pulumi.Input<string>;
    /** Resolves once the component's argument checks passed: the preflight waits for them. */
    argumentsChecked?: pulumi.Input<boolean>;
}

interface PreflightInputs {
    instanceId: string;
    region: string;
    assumeRoleArn?: string;
    subnetId?: string;
    helperInstanceType?: string;
    allowInstanceStoreLoss?: boolean;
    allowAutoScaling?: boolean;
    rotation: string;
}

interface PreflightOutputs extends PreflightInputs {
    context: TargetContext;
    availabilityZone: string;
    chosenHelperInstanceType: string;
    warnings: string[];
}

const provider: pulumi.dynamic.ResourceProvider = {
    diff: replaceOnChange,
    async create(inputs: PreflightInputs) {
        const clients = await clientsFor(inputs);
        const facts = await gatherTargetFacts(clients, {
            instanceId: inputs.instanceId,
            region: inputs.region,
            subnetId: inputs.subnetId || undefined,
            findHelperType: !inputs.helperInstanceType,
        });
        const verdict = evaluateTarget(facts, {
            allowInstanceStoreLoss: inputs.allowInstanceStoreLoss,
            allowAutoScaling: inputs.allowAutoScaling,
            helperInstanceType: inputs.helperInstanceType || undefined,
        });
        if (verdict.refusals.length) throw new Error(refusalMessage(verdict.refusals));
        const context: TargetContext = {
            region: inputs.region,
            assumeRoleArn: inputs.assumeRoleArn,
            instanceId: inputs.instanceId,
            availabilityZone: facts.availabilityZone!,
            rootVolumeId: facts.rootVolumeId!,
            rootDeviceName: facts.rootDeviceName!,
            rootDeleteOnTermination: facts.rootDeleteOnTermination ?? false,
            priorState: facts.state === "running" ? "running" : "stopped",
        };
        const outs = {
            ...inputs,
            context,
            availabilityZone: context.availabilityZone,
            chosenHelperInstanceType: verdict.helperInstanceType!,
            warnings: verdict.warnings,
        } satisfies PreflightOutputs;
        return { id: `${inputs.instanceId}-preflight`, outs: plainOutputs(outs) };
    },
    async delete(_id: pulumi.ID, props: Partial<PreflightOutputs>) {
        // The preflight only reads, but it is the one step every other depends on, so it is in
        // state whenever any step ran: its delete repairs a target held by a step that was
        // killed before its own completion was recorded (a no-op on a whole target).
        if (!props?.context?.rootVolumeId) return;
        await restoreTarget(await clientsFor(props.context), props.context);
    },
};

export class TargetPreflight extends pulumi.dynamic.Resource {
    declare readonly context: pulumi.Output<TargetContext>;
    declare readonly availabilityZone: pulumi.Output<string>;
    declare readonly chosenHelperInstanceType: pulumi.Output<string>;
    declare readonly warnings: pulumi.Output<string[]>;

    constructor(name: string, args: TargetPreflightArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = { context: undefined, availabilityZone: undefined, chosenHelperInstanceType: undefined, warnings: undefined };
        super(provider, name, { ...args, ...outputs }, opts, "ec2-reset-access", "TargetPreflight");
    }
}
