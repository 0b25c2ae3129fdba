/**
 * `npm run demo [-- --keep DIR --time-scale S]`: the whole reset against the bundled AWS
 * emulator, no AWS account: a running instance whose root volume is a real XFS filesystem,
 * `pulumi up` of index.ts's program (run by the project's deployment harness), the outputs,
 * the modeled AWS time, fetching and checking the key as a user would, `pulumi destroy`, and
 * what remains. With --keep DIR it leaves DIR/root.img (the target's root volume after the
 * reset) and DIR/id_reset (the private key, mode 0600); without it nothing is left on disk.
 *
 * The modeled AWS time is measured as the benchmark measures it: this run's wall-clock time
 * minus the same reset's with the instant profile (timed first, on throwaway targets) and minus
 * the script's own run time, divided by the time scale.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, DeploymentState, destroy, readState, ResourceState } from "../harness/deployment";
import { targetShape } from "../rehearsal/targets";
import { inventory, Inventory } from "../harness/inventory";
import { EC2_USER, TargetVolume } from "../rehearsal/target-volume";
import { runCommandLine } from "../rehearsal/cli";
import { profileFile, realDiskUnavailableReason, Sandbox, Target, withCleanup } from "../rehearsal/sandbox";
import { formatDuration, median } from "../rehearsal/stats";
import { resetAccessVariant } from "../bench/variants";
import { derivedPublicKey, displayPath, fetchKey, fingerprintLine, getParameterCommand, mode, shortKey } from "./key";
import { diagnosticsBlock, outputsBlock, resourceLine, Row } from "./show";
import { scriptRun } from "./script-output";
import resetAccessProgram = require("../index");

const WIDTHS = { type: 35, name: 19 };
const CALIBRATION_RUNS = 3;

export interface DemoOptions {
    keep?: string;
    timeScale: number;
}

export function parseDemoOptions(argv: string[]): DemoOptions {
    const options: DemoOptions = { timeScale: 0.05 };
    for (let i = 0; i < argv.length; i++) {
        // npm runs scripts in the package's folder; INIT_CWD is where `npm run demo` was typed.
        if (argv[i] === "--keep" && argv[i + 1]) options.keep = path.resolve(process.env.INIT_CWD ?? process.cwd(), argv[++i]);
        else if (argv[i] === "--time-scale" && Number(argv[i + 1]) > 0) options.timeScale = Number(argv[++i]);
        else throw new Error(`unknown or incomplete argument ${argv[i]}; usage: npm run demo -- [--keep DIR] [--time-scale S]`);
    }
    return options;
}

/** Wall-clock milliseconds of the same reset with the instant profile: this machine's own work. */
interface Baseline {
    upMs: number;
    destroyMs: number;
}

class Demo {
    private readonly ec2 = new EC2Client({});

    constructor(
        private readonly sandbox: Sandbox,
        private readonly options: DemoOptions,
        /** Where the key file and the state go when they are not kept; removed by the sandbox's close(). */
        private readonly scratch: string,
    ) {}

    async run(): Promise<number> {
        this.header();
        const baseline = await this.calibrate();
        await this.sandbox.reset();
        await this.sandbox.useProfile("realistic");
        const volume = this.sandbox.makeRealDisk();
        const target = await this.sandbox.newTarget();
        const before = await inventory();
        this.introduce(target);
        const up = await this.pulumiUp(target);
        let failed = Boolean(up.error);
        if (!up.error) {
            const scriptSeconds = await this.showScript(String(up.outputs.helperInstanceId));
            this.modeledTime("until you can log in (pulumi up)", up.ms, baseline.upMs, scriptSeconds);
            failed = !(await this.useKey(up.outputs, volume, target));
        }
        const destroyMs = await this.pulumiDestroy(up.state);
        if (!up.error) this.modeledTime("for pulumi destroy", destroyMs, baseline.destroyMs, 0);
        await this.remains(target, before);
        if (this.options.keep) this.keepVolume(volume);
        return failed ? 1 : 0;
    }

    private header(): void {
        const s = this.sandbox.timeScale;
        console.log("ec2-reset-access demo: the whole reset against the bundled AWS emulator; no AWS account is used.");
        console.log(`  emulator: moto + the project's extensions (emulator/), latency profile ${profileFile("realistic")}`);
        console.log(`  at time scale ${s}: 1 AWS second lasts ${+(s * 1000).toFixed(3)} ms here; EC2_RESET_ACCESS_TIME_SCALE=${s} scales the`);
        console.log("  program's own deadlines and polls alike. `pulumi` below is the project's deployment harness");
        console.log("  (harness/deployment.ts): Pulumi's mocks whose registrations really create each resource.\n");
    }

    /**
     * A warm-up, then CALIBRATION_RUNS timed runs of the same reset with the instant profile
     * (every AWS transition at once, the command answered by a canned result): the median is
     * this machine's own time for the reset, which the modeled AWS time leaves out.
     */
    private async calibrate(): Promise<Baseline> {
        process.stdout.write(`Calibrating: the same reset with the instant profile (no AWS waits) on throwaway targets, ${CALIBRATION_RUNS + 1} times … `);
        const runs: Baseline[] = [];
        for (let i = 0; i <= CALIBRATION_RUNS; i++) {
            await this.sandbox.reset();
            await this.sandbox.cannedCommand();
            const t = await resetAccessVariant.run((await this.sandbox.newTarget()).ctx);
            if (i > 0) runs.push({ upMs: t.accessAt - t.startedAt, destroyMs: t.doneAt - t.accessAt });
        }
        const baseline = { upMs: median(runs.map((r) => r.upMs)), destroyMs: median(runs.map((r) => r.destroyMs)) };
        const list = (pick: (r: Baseline) => number) => runs.map((r) => (pick(r) / 1000).toFixed(1)).join(", ");
        console.log(`pulumi up ${list((r) => r.upMs)} s, destroy ${list((r) => r.destroyMs)} s (the first run, a warm-up, not counted)\n`);
        return baseline;
    }

    private introduce({ ctx, instance }: Target): void {
        console.log("The instance you are locked out of (its SSH key is lost):");
        console.log(`  ${ctx.instanceId}  ${instance.InstanceType}, ${instance.State?.Name} in ${ctx.availabilityZone}, public IP ${instance.PublicIpAddress ?? "none"}`);
        console.log(`  root volume ${ctx.rootVolumeId} at ${ctx.rootDeviceName}: a real XFS filesystem (a small cloud-image root with`);
        console.log(`  users ${EC2_USER.name}, deploy, svc) on a loop device; it shares its XFS UUID with the helper's root, as on EC2.\n`);
    }

    private async pulumiUp({ ctx }: Target) {
        console.log(`$ pulumi config set instanceId ${ctx.instanceId}`);
        console.log("$ pulumi up");
        const started = Date.now();
        const at = () => (Date.now() - started) / 1000;
        const up = await deploy(resetAccessProgram, {
            config: { "ec2-reset-access:instanceId": ctx.instanceId },
            onCompleted: (r) => console.log(resourceLine("+", r, at(), WIDTHS)),
        });
        const ms = Date.now() - started;
        const block = diagnosticsBlock(up.diagnostics);
        if (block) console.log(`\n${block}`);
        if (up.error) {
            console.log(`\nerror: ${up.error.message}\n\n(the demo runs pulumi destroy next: it repairs the instance and removes the rest)`);
        } else {
            console.log(`\n${outputsBlock(up.outputs)}\n\nResources:\n    + ${up.state.resources.length} created\n`);
        }
        console.log(`Duration: ${(ms / 1000).toFixed(1)} s here (times above: seconds since pulumi up started, on this machine)\n`);
        return { ...up, ms };
    }

    /** The script's own lines, as GetCommandInvocation returns them; its real run time in seconds. */
    private async showScript(helperId: string): Promise<number> {
        const run = await scriptRun(helperId);
        if (!run) return 0;
        console.log(`What the reset program printed on the helper (SSM GetCommandInvocation, ${run.status}, ${run.seconds.toFixed(1)} s):`);
        for (const line of run.stdout.trimEnd().split("\n")) console.log(`  | ${line}`);
        console.log();
        return run.seconds;
    }

    private modeledTime(what: string, wallMs: number, baselineMs: number, scriptSeconds: number): void {
        const s = this.sandbox.timeScale;
        const seconds = ((wallMs - baselineMs) / 1000 - scriptSeconds) / s;
        const script = scriptSeconds ? ` − ${scriptSeconds.toFixed(1)} s the script ran` : "";
        console.log(`Modeled AWS time ${what}: ${formatDuration(seconds)}`);
        console.log(`  = (${(wallMs / 1000).toFixed(1)} s here${script} − ${(baselineMs / 1000).toFixed(1)} s, the instant-profile runs' median) / ${s}:`);
        console.log("  the waiting for AWS as the profile models it, from one run on this machine (`npm run bench` repeats it).\n");
    }

    /** Fetches the key as the README says, checks it, and shows it on the volume. False if it does not match. */
    private async useKey(outputs: Record<string, unknown>, volume: TargetVolume, { ctx }: Target): Promise<boolean> {
        const dir = this.options.keep ?? this.scratch;
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "id_reset");
        const parameter = String(outputs.keyParameterName);
        console.log("Fetch the key and log in, as a user would:");
        console.log(`$ aws ${getParameterCommand(parameter).join(" ")} > id_reset && chmod 600 id_reset`);
        const fetched = await fetchKey(parameter, file);
        const where = this.options.keep ? displayPath(file) : "a temporary id_reset, removed at the end (--keep DIR keeps it)";
        console.log(`  (run here with the ${fetched.via} against the emulator: ${where}, mode ${mode(file)})`);
        console.log("$ ssh-keygen -l -f id_reset");
        console.log(`  ${fingerprintLine(file)}`);
        const matches = derivedPublicKey(file) === String(outputs.publicKey).split(" ").slice(0, 2).join(" ");
        console.log(`  ${matches ? "✓ matches" : "✗ does NOT match"} the publicKey and fingerprint outputs`);
        console.log(`$ ssh -i id_reset ${EC2_USER.name}@<the instance's new public IP>`);
        console.log("  (the emulator has no network to log in through; what sshd will read is on the root volume:)");
        const keys = volume.readFile(`home/${EC2_USER.name}/.ssh/authorized_keys`);
        const line = keys?.content.split("\n").find((l) => l.startsWith(String(outputs.publicKey).split(" ").slice(0, 2).join(" ")));
        console.log(`  ${ctx.rootVolumeId}:/home/${EC2_USER.name}/.ssh/authorized_keys (owner ${keys?.uid}:${keys?.gid}, mode ${keys?.mode.toString(8).padStart(4, "0")}):`);
        console.log(`    ${line ? shortKey(line) : "the new key is NOT there"}\n`);
        return matches && Boolean(line);
    }

    /** `pulumi destroy`, each delete printed as the checkpoint loses it. Returns its wall-clock ms. */
    private async pulumiDestroy(state: DeploymentState): Promise<number> {
        console.log("$ pulumi destroy");
        const statePath = path.join(this.scratch, "state.json");
        const started = Date.now();
        const left = new Map(state.resources.map((r) => [r.urn, r] as [string, ResourceState]));
        const report = (now: DeploymentState) => {
            const present = new Set(now.resources.map((r) => r.urn));
            for (const [urn, r] of left) {
                if (present.has(urn)) continue;
                left.delete(urn);
                console.log(resourceLine("-", r as Row, (Date.now() - started) / 1000, WIDTHS));
            }
        };
        const poll = setInterval(() => fs.existsSync(statePath) && report(readState(statePath)), 20);
        try {
            report(await destroy(state, { statePath }));
        } finally {
            clearInterval(poll);
        }
        const ms = Date.now() - started;
        console.log(`\nResources:\n    - ${state.resources.length} deleted\n\nDuration: ${(ms / 1000).toFixed(1)} s here\n`);
        return ms;
    }

    private async remains({ ctx }: Target, before: Inventory): Promise<void> {
        const shape = await targetShape(this.ec2, ctx);
        const after = await inventory();
        const temporary = (Object.keys(after) as (keyof Inventory)[])
            .filter((k) => k !== "images")
            .flatMap((k) => after[k].filter((x) => !before[k].includes(x)).map((x) => `${k}: ${x}`));
        const parameter = await new SSMClient({}).send(new GetParameterCommand({ Name: `/ec2rl/openssh/${ctx.instanceId}/key` })).catch(() => undefined);
        console.log("What remains:");
        console.log(`  ${ctx.instanceId}: ${shape.state}, root volume ${ctx.rootVolumeId} on it at ${shape.rootDevice}, DeleteOnTermination ${shape.rootDeleteOnTermination}, in-progress tag ${shape.inProgressTag ? "STILL SET" : "gone"}`);
        for (const image of after.images) console.log(`  backup AMI "${image}" (kept: retainBackup defaults to true)`);
        if (parameter?.Parameter) console.log(`  key parameter ${parameter.Parameter.Name} (${parameter.Parameter.Type}, version ${parameter.Parameter.Version}; kept: it is how you log in)`);
        console.log(`  temporary resources: ${temporary.length ? temporary.join(", ") : "none left (VPC, security group, role, profile, document, helper: gone)"}\n`);
    }

    /** DIR/root.img: the target's volume after the reset, copied before cleanup removes it. */
    private keepVolume(volume: TargetVolume): void {
        const dir = this.options.keep!;
        const image = path.join(dir, "root.img");
        execFileSync("cp", ["--sparse=always", volume.imagePath, image]);
        console.log(`Kept in ${dir}:`);
        console.log(`  root.img   the target's root volume after the reset (XFS; look inside: mount -o ro,nouuid,loop ${image} /mnt)`);
        const key = path.join(dir, "id_reset");
        if (fs.existsSync(key)) console.log(`  id_reset   the private key from Parameter Store (mode ${mode(key)})`);
        console.log();
    }
}

async function main(options: DemoOptions): Promise<number> {
    const reason = realDiskUnavailableReason();
    if (reason) {
        console.error(`demo: needs root and loop devices for the target's real XFS root volume, and they are unavailable: ${reason}`);
        return 2;
    }
    let sandbox: Sandbox | undefined;
    return withCleanup(
        async () => {
            sandbox = await Sandbox.start("instant", options.timeScale);
            return new Demo(sandbox, options, sandbox.scratchDir("demo")).run();
        },
        async () => sandbox?.close(),
    );
}

if (require.main === module) runCommandLine("demo", parseDemoOptions, main);
